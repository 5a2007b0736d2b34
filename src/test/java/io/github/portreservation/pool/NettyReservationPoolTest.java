package io.github.portreservation.pool;

import io.github.portreservation.PortReservations;
import io.github.portreservation.testing.RequiresProvider;
import io.github.portreservation.testing.Descriptors;
import io.github.portreservation.testing.Await;
import io.github.portreservation.PortRange;
import io.github.portreservation.PortReservationException;
import io.github.portreservation.PortReservationException.Reason;
import io.github.portreservation.PortReservationProvider;
import io.github.portreservation.Protocol;
import io.github.portreservation.netty.ReservedChannelFactories;
import io.netty.bootstrap.Bootstrap;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFactory;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.epoll.EpollEventLoopGroup;
import io.netty.channel.nio.NioEventLoopGroup;
import io.netty.channel.socket.DatagramPacket;
import io.netty.channel.socket.ServerSocketChannel;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledOnOs;
import org.junit.jupiter.api.condition.OS;

import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;

import static io.github.portreservation.testing.HeldPorts.assertHeld;
import static io.github.portreservation.pool.LinuxPools.assertInside;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * The pool behind Netty channels (the factories of io.github.portreservation.netty), on the real Linux provider:
 * servers, clients and datagram channels lease on bind and give back on close, with traffic on loopback.
 */
@EnabledOnOs(OS.LINUX)
@Tag("netty") // event loops run in the Netty test JVMs (4.2 and 4.1), apart from the descriptor-counting tests
@SuppressWarnings("deprecation") // NioEventLoopGroup / EpollEventLoopGroup: deprecated in 4.2, the only ones in 4.1
@RequiresProvider(PortReservations.LINUX)
class NettyReservationPoolTest {
    private static final InetAddress LOOPBACK = InetAddress.getLoopbackAddress();
    private static PortReservationProvider provider;
    private static EventLoopGroup group;

    @BeforeAll
    static void start() throws Exception {
        provider = LinuxPools.provider();
        group = new NioEventLoopGroup(2); // the classic group: present in Netty 4.1 and 4.2
        // Warm up classes, jars and the event loops' own descriptors before any descriptor is counted.
        ReservationPool pool = ReservationPool.builder(provider, Protocol.TCP).blockSize(1).build();
        Channel server = bindEchoServer(ReservedChannelFactories.nioServer(pool), 0).sync().channel();
        echo(port(server));
        server.close().sync();
        pool.close();
        pool.terminationFuture().get(5, TimeUnit.SECONDS);
    }

    @AfterAll
    static void stop() {
        if (group != null) {
            group.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
        }
    }

    private static ChannelFuture bindEchoServer(ChannelFactory<? extends ServerSocketChannel> factory, int port) {
        return bindEchoServer(group, factory, port);
    }

    private static ChannelFuture bindEchoServer(EventLoopGroup loops,
                                                ChannelFactory<? extends ServerSocketChannel> factory, int port) {
        return new ServerBootstrap().group(loops).channelFactory(factory).childHandler(Echo.INSTANCE)
                .bind(new InetSocketAddress(LOOPBACK, port));
    }

    @ChannelHandler.Sharable
    private static final class Echo extends ChannelInboundHandlerAdapter {
        static final Echo INSTANCE = new Echo();

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            ctx.writeAndFlush(msg);
        }
    }

    private static int port(Channel channel) {
        return ((InetSocketAddress) channel.localAddress()).getPort();
    }

    /** One byte to the echo server on {@code port} and back, over a plain JDK socket. */
    private static void echo(int port) throws IOException {
        try (Socket socket = new Socket(LOOPBACK, port)) {
            socket.setSoTimeout(5_000);
            socket.getOutputStream().write(port & 0x7F);
            InputStream in = socket.getInputStream();
            assertEquals(port & 0x7F, in.read());
        }
    }

    private static PortReservationException bindFailure(ChannelFuture future) throws InterruptedException {
        future.await(10, TimeUnit.SECONDS);
        assertFalse(future.isSuccess(), "bind should fail");
        assertInstanceOf(PortReservationException.class, future.cause());
        assertTrue(future.channel().closeFuture().await(5, TimeUnit.SECONDS), "closed on bind failure");
        return (PortReservationException) future.cause();
    }

    @Test
    void serversGrowThePoolByBlocksAndTheirCloseShrinksIt() throws Exception {
        Set<String> baseline = Descriptors.snapshot();
        ReservationPool pool = ReservationPool.builder(provider, Protocol.TCP).blockSize(2).maxBlocks(3)
                .idleTimeout(Duration.ofMillis(100)).cooldown(Duration.ofMillis(500)).build();
        List<Channel> servers = new ArrayList<>();
        Set<Integer> ports = new HashSet<>();
        for (int i = 0; i < 6; i++) {
            Channel server = bindEchoServer(ReservedChannelFactories.nioServer(pool), 0).sync().channel();
            servers.add(server);
            assertTrue(ports.add(port(server)));
        }
        List<PortRange> blocks = pool.blockRanges();
        assertEquals(3, blocks.size());
        for (Channel server : servers) {
            assertInside(port(server), blocks);
            assertHeld(port(server));
            echo(port(server));
        }
        PortReservationException e = bindFailure(bindEchoServer(ReservedChannelFactories.nioServer(pool), 0));
        assertEquals(Reason.EXHAUSTED, e.reason(), e.getMessage());
        Await.assertEventually(6, () -> pool.statistics().leased(), "pool.statistics().leased()");
        // The newest blocks' servers close: their blocks go idle and are released; the first block stays busy.
        for (int i = 5; i >= 2; i--) {
            servers.get(i).close().sync();
        }
        Await.assertEventually(2, () -> pool.statistics().leased(), "pool.statistics().leased()"); // doClose gave the ports back before close() completed
        Await.assertEventually(1, () -> pool.statistics().blocks(), "blocks");
        Await.assertEventually(List.of(blocks.get(0)), pool::blockRanges, "blocks after the shrink");
        echo(port(servers.get(0)));
        // An explicit port of the pool: that port, or IN_USE.
        int taken = port(servers.get(1));
        assertEquals(Reason.IN_USE, bindFailure(bindEchoServer(ReservedChannelFactories.nioServer(pool), taken)).reason());
        servers.get(1).close().sync();
        Await.assertEventually(1, () -> pool.statistics().leased(), "leased"); // back once the closed socket is gone
        PortReservationException cooling = bindFailure(bindEchoServer(ReservedChannelFactories.nioServer(pool), taken));
        assertEquals(Reason.IN_USE, cooling.reason());
        assertTrue(cooling.getMessage().contains("cools down"), cooling.getMessage());
        Thread.sleep(550);
        Channel again = bindEchoServer(ReservedChannelFactories.nioServer(pool), taken).sync().channel();
        assertEquals(taken, port(again));
        echo(taken);
        again.close().sync();
        servers.get(0).close().sync();
        Await.assertEventually(0, () -> pool.statistics().blocks(), "blocks");
        pool.close();
        pool.terminationFuture().get(5, TimeUnit.SECONDS);
        Descriptors.awaitNoneOpenedSince(baseline);
    }

    @Test
    void clientSourcePortsAndDatagramChannelsComeFromThePool() throws Exception {
        Set<String> baseline = Descriptors.snapshot();
        ReservationPool tcp = ReservationPool.builder(provider, Protocol.TCP).blockSize(2).build();
        try (ServerSocket peer = new ServerSocket(0, 50, LOOPBACK)) {
            Channel client = new Bootstrap().group(group).channelFactory(ReservedChannelFactories.nioClient(tcp))
                    .handler(new ChannelInboundHandlerAdapter()).connect(peer.getLocalSocketAddress()).sync().channel();
            try (Socket accepted = peer.accept()) {
                assertEquals(port(client), accepted.getPort());
                assertInside(accepted.getPort(), tcp.blockRanges());
                client.writeAndFlush(Unpooled.wrappedBuffer(new byte[] {9})).sync();
                accepted.setSoTimeout(5_000);
                assertEquals(9, accepted.getInputStream().read());
                assertEquals(1, tcp.statistics().leased());
            }
            client.close().sync(); // (or already closed by the peer's close)
            Await.assertEventually(0, () -> tcp.statistics().leased(), "leased after the client closed");
        }
        tcp.close();

        ReservationPool udp = ReservationPool.builder(provider, Protocol.UDP).blockSize(2).build();
        CompletableFuture<DatagramPacket> received = new CompletableFuture<>();
        Channel receiver = new Bootstrap().group(group).channelFactory(ReservedChannelFactories.nioDatagram(udp))
                .handler(new SimpleChannelInboundHandler<DatagramPacket>() {
                    @Override
                    protected void channelRead0(ChannelHandlerContext ctx, DatagramPacket packet) {
                        received.complete(packet.retain());
                    }
                }).bind(new InetSocketAddress(LOOPBACK, 0)).sync().channel();
        Channel sender = new Bootstrap().group(group).channelFactory(ReservedChannelFactories.nioDatagram(udp))
                .handler(new ChannelInboundHandlerAdapter()).bind(new InetSocketAddress(LOOPBACK, 0)).sync().channel();
        assertEquals(List.of(PortRange.of(Math.min(port(receiver), port(sender)), 2)), udp.blockRanges());
        sender.writeAndFlush(new DatagramPacket(Unpooled.wrappedBuffer(new byte[] {5}),
                new InetSocketAddress(LOOPBACK, port(receiver)))).sync();
        DatagramPacket packet = received.get(5, TimeUnit.SECONDS);
        try {
            assertEquals(port(sender), packet.sender().getPort());
            assertEquals(5, packet.content().readByte());
        } finally {
            packet.release();
        }
        sender.close().sync();
        receiver.close().sync();
        // datagram ports come back from closeFuture
        Await.assertEventually(0, () -> udp.statistics().leased(), "leased");
        udp.close();
        tcp.terminationFuture().get(5, TimeUnit.SECONDS);
        udp.terminationFuture().get(5, TimeUnit.SECONDS);
        Descriptors.awaitNoneOpenedSince(baseline);
    }

    @Test
    void aChannelClosedForciblyDoesNotLeakItsPort() throws Exception {
        ReservationPool udp = ReservationPool.builder(provider, Protocol.UDP).blockSize(1).maxBlocks(1).build();
        Channel first = new Bootstrap().group(group).channelFactory(ReservedChannelFactories.nioDatagram(udp))
                .handler(new ChannelInboundHandlerAdapter()).bind(new InetSocketAddress(LOOPBACK, 0)).sync().channel();
        int port = port(first);
        first.eventLoop().submit(() -> first.unsafe().closeForcibly()).sync(); // completes no closeFuture
        assertFalse(first.isOpen());
        assertEquals(1, udp.statistics().leased());
        // The pool is full; the channel layer takes the force-closed channel's port back when a bind runs short
        // (its socket is gone by then), so the next bind gets that port at once.
        Channel second = Await.openWhenPortIsBack(() -> new Bootstrap().group(group)
                .channelFactory(ReservedChannelFactories.nioDatagram(udp)).handler(new ChannelInboundHandlerAdapter())
                .bind(new InetSocketAddress(LOOPBACK, 0))).sync().channel();
        assertEquals(port, port(second)); // taken back when the pool ran out
        second.close().sync();
        udp.close();
        udp.terminationFuture().get(5, TimeUnit.SECONDS);
    }

    @Test
    void waitingForAPortHappensOffTheEventLoopAndTimesOut() throws Exception {
        ReservationPool pool = ReservationPool.builder(provider, Protocol.TCP).blockSize(2).maxBlocks(1)
                .waitWhenExhausted(Duration.ofSeconds(10)).build();
        Channel first = bindEchoServer(ReservedChannelFactories.nioServer(pool), 0).sync().channel();
        Channel second = bindEchoServer(ReservedChannelFactories.nioServer(pool), 0).sync().channel();
        // A bind runs on the event loop: it never waits, even under the wait policy.
        long start = System.nanoTime();
        PortReservationException e = bindFailure(bindEchoServer(ReservedChannelFactories.nioServer(pool), 0));
        assertEquals(Reason.EXHAUSTED, e.reason());
        assertTrue(e.getMessage().contains("event loop"), e.getMessage());
        assertTrue(System.nanoTime() - start < TimeUnit.SECONDS.toNanos(5));
        // Waiting, asynchronously, from the event loop itself; then a server binds from the lease.
        CompletableFuture<PortLease> waiting = group.next().submit(() -> pool.leaseAsync()).get().toCompletableFuture();
        assertEquals(1, pool.statistics().waiters());
        int firstPort = port(first);
        first.close().sync();
        PortLease lease = waiting.get(5, TimeUnit.SECONDS);
        assertEquals(firstPort, lease.port());
        Channel third = bindEchoServer(ReservedChannelFactories.nioServer(lease), 0).sync().channel();
        assertEquals(firstPort, port(third));
        echo(firstPort);
        third.close().sync();
        Await.assertEventually(false, lease::isActive, "the channel's close closed the lease");
        Await.assertEventually(1, () -> pool.statistics().leased(), "pool.statistics().leased()");
        second.close().sync();
        pool.close();

        ReservationPool quick = ReservationPool.builder(provider, Protocol.TCP).blockSize(1).maxBlocks(1)
                .waitWhenExhausted(Duration.ofMillis(100)).build();
        Channel only = bindEchoServer(ReservedChannelFactories.nioServer(quick), 0).sync().channel();
        ExecutionException timeout = assertThrows(ExecutionException.class,
                () -> quick.leaseAsync().get(5, TimeUnit.SECONDS));
        assertEquals(Reason.TIMEOUT, ((PortReservationException) timeout.getCause()).reason());
        assertEquals(1, quick.statistics().timeouts());
        only.close().sync();
        quick.close();
        pool.terminationFuture().get(5, TimeUnit.SECONDS);
        quick.terminationFuture().get(5, TimeUnit.SECONDS);
    }

    @Test
    void closingThePoolKeepsServingChannelsAndReleasesEachBlockWithItsLastChannel() throws Exception {
        Set<String> baseline = Descriptors.snapshot();
        ReservationPool pool = ReservationPool.builder(provider, Protocol.TCP).blockSize(2).maxBlocks(2).build();
        List<Channel> servers = new ArrayList<>();
        List<PortLease> leases = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            Channel server = bindEchoServer(ReservedChannelFactories.nioServer(pool), 0).sync().channel();
            servers.add(server);
        }
        List<PortRange> blocks = pool.blockRanges();
        for (int i = 0; i < 3; i++) {
            leases.add(pool.lease()); // the fourth port: a direct lease
            break;
        }
        CompletableFuture<Void> terminated = pool.terminationFuture();
        pool.close();
        assertEquals(Reason.CLOSED, bindFailure(bindEchoServer(ReservedChannelFactories.nioServer(pool), 0)).reason());
        for (Channel server : servers) {
            echo(port(server));
        }
        servers.get(2).close().sync();
        leases.get(0).close();
        Await.assertEventually(List.of(blocks.get(0)), pool::blockRanges, "blocks after the shrink"); // the second block went with its last lease
        assertHeld(blocks.get(0));
        servers.get(0).close().sync();
        assertFalse(terminated.isDone());
        echo(port(servers.get(1)));
        servers.get(1).close().sync();
        terminated.get(5, TimeUnit.SECONDS);
        Descriptors.awaitNoneOpenedSince(baseline);
    }

    @Test
    void epollChannelsLeaseFromThePoolToo() throws Exception {
        assumeTrue(ReservedChannelFactories.isEpollAvailable(), "netty-transport-native-epoll is not usable here");
        EventLoopGroup epoll = new EpollEventLoopGroup(1);
        try {
            ReservationPool pool = ReservationPool.builder(provider, Protocol.TCP).blockSize(2).build();
            Channel server = bindEchoServer(epoll, ReservedChannelFactories.epollServer(pool), 0).sync().channel();
            assertInside(port(server), pool.blockRanges());
            echo(port(server));
            server.close().sync();
            Await.assertEventually(0, () -> pool.statistics().leased(), "leased");
            pool.close();
            pool.terminationFuture().get(5, TimeUnit.SECONDS);
        } finally {
            epoll.shutdownGracefully(0, 1, TimeUnit.SECONDS).sync();
        }
    }

    @Test
    void channelsOfTheOtherProtocolAreRefusedAtBindAndLeaseNothing() throws Exception {
        ReservationPool tcp = ReservationPool.builder(provider, Protocol.TCP).blockSize(1).build();
        ReservationPool udp = ReservationPool.builder(provider, Protocol.UDP).blockSize(1).build();
        PortReservationException datagram = bindFailure(new Bootstrap().group(group)
                .channelFactory(ReservedChannelFactories.nioDatagram(tcp)).handler(new ChannelInboundHandlerAdapter())
                .bind(new InetSocketAddress(LOOPBACK, 0)));
        assertEquals(Reason.INVALID_ARGUMENT, datagram.reason(), datagram.getMessage());
        assertTrue(datagram.getMessage().contains("binds TCP sockets only"), datagram.getMessage());
        PortReservationException server = bindFailure(bindEchoServer(ReservedChannelFactories.nioServer(udp), 0));
        assertEquals(Reason.INVALID_ARGUMENT, server.reason(), server.getMessage());
        assertTrue(server.getMessage().contains("binds UDP sockets only"), server.getMessage());
        assertEquals(0, tcp.statistics().leasesGranted());
        assertEquals(0, udp.statistics().leasesGranted());
        tcp.close();
        udp.close();
    }
}
