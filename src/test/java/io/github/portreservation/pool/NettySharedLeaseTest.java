package io.github.portreservation.pool;

import io.github.portreservation.PortRange;
import io.github.portreservation.PortReservationException;
import io.github.portreservation.PortReservationException.Reason;
import io.github.portreservation.PortReservations;
import io.github.portreservation.Protocol;
import io.github.portreservation.netty.ReservedChannelFactories;
import io.github.portreservation.testing.Await;
import io.github.portreservation.testing.Descriptors;
import io.github.portreservation.testing.RequiresProvider;
import io.netty.bootstrap.Bootstrap;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.epoll.EpollChannelOption;
import io.netty.channel.epoll.EpollEventLoopGroup;
import io.netty.channel.nio.NioEventLoopGroup;
import io.netty.channel.socket.DatagramPacket;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledOnOs;
import org.junit.jupiter.api.condition.OS;

import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.util.Set;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * Several channels on one leased port through the pool's channel factories: an Epoll SO_REUSEPORT accept group of two
 * listeners, and two NIO datagram receivers with SO_REUSEADDR (as Netty's DatagramMulticastTest binds them); the
 * second channel of each binds the first one's port and joins its lease.
 */
@EnabledOnOs(OS.LINUX)
@Tag("netty")
@SuppressWarnings("deprecation") // NioEventLoopGroup / EpollEventLoopGroup: deprecated in 4.2, the only ones in 4.1
@RequiresProvider(PortReservations.LINUX)
class NettySharedLeaseTest {
    private static final InetAddress LOOPBACK = InetAddress.getLoopbackAddress();
    private static final int CONNECTIONS = 32;

    private static ReservationPool pool(Protocol protocol) {
        return ReservationPool.builder(LinuxPools.provider(), protocol).blockSize(4).maxBlocks(1).minBlocks(1)
                .failWhenExhausted().build();
    }

    private static int port(Channel channel) {
        return ((InetSocketAddress) channel.localAddress()).getPort();
    }

    /** Writes the byte {@code id} to each connection, then closes it. */
    @ChannelHandler.Sharable
    private static final class Answer extends ChannelInboundHandlerAdapter {
        private final int id;

        Answer(int id) {
            this.id = id;
        }

        @Override
        public void channelActive(ChannelHandlerContext ctx) {
            ctx.writeAndFlush(Unpooled.wrappedBuffer(new byte[] {(byte) id})).addListener(ChannelFutureListener.CLOSE);
        }
    }

    /** A listener of the pool whose every connection gets the byte {@code id}, then is closed. */
    private static ChannelFuture listen(EventLoopGroup loops, ReservationPool pool, boolean reusePort, int id,
                                        int port) {
        return new ServerBootstrap().group(loops).channelFactory(ReservedChannelFactories.epollServer(pool))
                .option(EpollChannelOption.SO_REUSEPORT, reusePort).childHandler(new Answer(id))
                .bind(new InetSocketAddress(LOOPBACK, port));
    }

    /** Which listener answered a new connection to {@code port}. */
    private static int answeredBy(int port) throws Exception {
        try (Socket s = new Socket(LOOPBACK, port)) {
            s.setSoTimeout(5_000);
            return s.getInputStream().read();
        }
    }

    @Test
    void anEpollAcceptGroupOfTwoListenersSharesOneLeasedPort() throws Exception {
        assumeTrue(ReservedChannelFactories.isEpollAvailable(), "netty-transport-native-epoll is not usable here");
        EventLoopGroup epoll = new EpollEventLoopGroup(2);
        try (ReservationPool pool = pool(Protocol.TCP)) {
            PortRange block = pool.blockRanges().get(0);
            Set<String> baseline = Descriptors.snapshot();
            Channel first = listen(epoll, pool, true, 1, 0).sync().channel();
            int port = port(first);
            Channel second = listen(epoll, pool, true, 2, port).sync().channel();
            assertEquals(port, port(second));
            assertEquals(1, pool.statistics().leased());

            ChannelFuture plain = listen(epoll, pool, false, 3, port).await();
            PortReservationException refused = assertInstanceOf(PortReservationException.class, plain.cause());
            assertEquals(Reason.IN_USE, refused.reason());
            String prefix = "IN_USE: port " + port + " of ReservationPool[TCP, blocks of 4 from linux] is leased by "
                    + "PortLease[" + port + " of " + block + ", bound to ";
            assertTrue(refused.getMessage().startsWith(prefix)
                    && refused.getMessage().endsWith("]; wait until it is closed or request port 0"),
                    refused.getMessage());
            assertTrue(plain.channel().closeFuture().await(5, TimeUnit.SECONDS),
                    "Netty closes a channel whose bind failed");
            assertEquals(1, pool.statistics().leased(), "the refused listener changed nothing");

            int[] answered = new int[3];
            for (int i = 0; i < CONNECTIONS; i++) {
                answered[answeredBy(port)]++;
            }
            assertEquals(CONNECTIONS, answered[1] + answered[2]);
            assertTrue(answered[1] > 0 && answered[2] > 0, "the kernel spreads the connections over the group: "
                    + answered[1] + " and " + answered[2]);
            OtherProcessBinds.assertRefused(Protocol.TCP, port);

            first.close().sync(); // its binding is the lease: closed, it waits for the second listener
            assertEquals(1, pool.statistics().leased());
            for (int i = 0; i < 8; i++) {
                assertEquals(2, answeredBy(port), "connection " + i + " after the first listener closed");
            }
            second.close().sync();
            Await.assertEventually(0, () -> pool.statistics().leased(), "leased after the last listener closed");
            assertEquals(4, pool.statistics().free());
            Descriptors.awaitNoneOpenedSince(baseline);
        } finally {
            epoll.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
        }
    }

    @Test
    void twoNioDatagramReceiversWithSoReuseAddrShareOneLeasedPort() throws Exception {
        EventLoopGroup nio = new NioEventLoopGroup(1);
        BlockingQueue<String> received = new LinkedBlockingQueue<>();
        try (ReservationPool pool = pool(Protocol.UDP);
             DatagramSocket sender = new DatagramSocket(new InetSocketAddress(LOOPBACK, 0))) {
            Bootstrap receivers = new Bootstrap().group(nio).channelFactory(ReservedChannelFactories.nioDatagram(pool))
                    .option(ChannelOption.SO_REUSEADDR, true);
            Channel first = receivers.clone().handler(recorder("first", received))
                    .bind(new InetSocketAddress(LOOPBACK, 0)).sync().channel();
            int port = port(first);
            Channel second = receivers.clone().handler(recorder("second", received)).localAddress(port).bind().sync()
                    .channel();
            assertEquals(port, port(second));
            assertEquals(1, pool.statistics().leased());

            java.net.DatagramPacket datagram = new java.net.DatagramPacket(new byte[] {7}, 1,
                    new InetSocketAddress(LOOPBACK, port));
            sender.send(datagram);
            assertEquals("first 7", received.poll(5, TimeUnit.SECONDS), "127.0.0.1 is the closest match");
            first.close().sync();
            assertEquals(1, pool.statistics().leased(), "the second receiver holds the port");
            // A closed NIO socket lives until its selector's next select: datagrams sent meanwhile go to it, lost.
            long deadline = System.nanoTime() + Await.TIMEOUT.toNanos();
            String got = null;
            while (got == null && System.nanoTime() < deadline) {
                sender.send(datagram);
                got = received.poll(50, TimeUnit.MILLISECONDS);
            }
            assertEquals("second 7", got);
            second.close().sync();
            Await.assertEventually(0, () -> pool.statistics().leased(), "leased after the last receiver closed");
            assertEquals(4, pool.statistics().free());
            for (String late : received) {
                assertEquals("second 7", late, "a datagram sent while the first socket went away");
            }
        } finally {
            nio.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
        }
    }

    private static SimpleChannelInboundHandler<DatagramPacket> recorder(String name, BlockingQueue<String> out) {
        return new SimpleChannelInboundHandler<DatagramPacket>() {
            @Override
            protected void channelRead0(ChannelHandlerContext ctx, DatagramPacket packet) {
                out.add(name + " " + packet.content().readByte());
            }
        };
    }
}
