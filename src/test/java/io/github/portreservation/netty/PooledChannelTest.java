package io.github.portreservation.netty;

import io.github.portreservation.testing.RequiresProvider;
import io.github.portreservation.testing.Descriptors;
import io.github.portreservation.testing.Await;
import io.github.portreservation.PortReservationException;
import io.github.portreservation.PortReservations;
import io.github.portreservation.Protocol;
import io.github.portreservation.pool.ReservationPool;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.EventLoopGroup;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Queue;
import java.util.Set;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * The factories over a {@link ReservationPool} (a PortBinder, like a reservation): each channel leases a port of the
 * pool's blocks, with echo traffic; a full pool fails the bind; every lease comes back on close.
 */
@Tag("netty")
@RequiresProvider
class PooledChannelTest {
    private static final int PORTS = 4;
    private static final InetAddress LOOPBACK = InetAddress.getLoopbackAddress();

    @ParameterizedTest(name = "{0} {1}")
    @MethodSource("io.github.portreservation.netty.Kind#everyTransport")
    void channelsLeaseFromThePool(Transport transport, Kind kind) throws Exception {
        assumeTrue(transport.isAvailable(), transport + " is not available here");
        EventLoopGroup group = transport.newGroup(2);
        try (NettyTestSupport.JdkEchoServer peer = new NettyTestSupport.JdkEchoServer(LOOPBACK)) {
            // Before the pool: its blocks hold placeholder sockets until it closes.
            Set<String> fds = NettyTestSupport.fdBaseline();
            try (ReservationPool pool = ReservationPool.builder(PortReservations.provider(), kind.protocol())
                    .blockSize(PORTS).maxBlocks(1).failWhenExhausted().build()) {
                useThePool(transport, kind, group, pool, peer);
            }
            Descriptors.awaitNoneOpenedSince(fds);
        } finally {
            group.shutdownGracefully(50, 1000, TimeUnit.MILLISECONDS).syncUninterruptibly();
        }
    }

    @ParameterizedTest(name = "{0} {1}")
    @MethodSource("io.github.portreservation.netty.Kind#everyTransport")
    void aForceClosedChannelsLeaseComesBack(Transport transport, Kind kind) throws Exception {
        assumeTrue(transport.isAvailable(), transport + " is not available here");
        EventLoopGroup group = transport.newGroup(1);
        InetSocketAddress any = new InetSocketAddress(LOOPBACK, 0);
        try (NettyTestSupport.JdkEchoServer peer = new NettyTestSupport.JdkEchoServer(LOOPBACK);
             NettyTestSupport.JdkEchoServer otherPeer = new NettyTestSupport.JdkEchoServer(LOOPBACK);
             ReservationPool pool = ReservationPool.builder(PortReservations.provider(), kind.protocol())
                     .blockSize(2).maxBlocks(1).cooldown(Duration.ZERO).failWhenExhausted().build()) {
            Channel forced = kind.open(transport, group, pool, any, peer).sync().channel();
            // closeForcibly() runs doClose() only: a final channel class's closeFuture never completes.
            forced.eventLoop().submit(() -> forced.unsafe().closeForcibly()).sync();
            List<Channel> again = new ArrayList<>();
            for (int i = 0; i < 2; i++) { // needs the forced channel's port: reclaimed when the pool is full
                again.add(Await.openWhenPortIsBack(
                        () -> kind.open(transport, group, pool, any, otherPeer)).sync().channel());
            }
            Await.assertEventually(2, () -> pool.statistics().leased(), "pool.statistics().leased()");
            for (Channel c : again) {
                c.close().sync();
            }
            Await.assertEventually(0, () -> pool.statistics().leased(), "leases after close");
        } finally {
            group.shutdownGracefully(50, 1000, TimeUnit.MILLISECONDS).syncUninterruptibly();
        }
    }

    @Test
    void aWaitingPoolNeverBlocksTheEventLoop() throws Exception {
        EventLoopGroup group = Transport.NIO.newGroup(1);
        InetSocketAddress any = new InetSocketAddress(LOOPBACK, 0);
        try (ReservationPool pool = ReservationPool.builder(PortReservations.provider(), Protocol.UDP)
                .blockSize(1).maxBlocks(1).waitWhenExhausted(Duration.ofSeconds(30)).build()) {
            Channel first = Kind.UDP.open(Transport.NIO, group, pool, any, null).sync().channel();
            long start = System.nanoTime();
            ChannelFuture second = Kind.UDP.open(Transport.NIO, group, pool, any, null).await();
            long millis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
            assertFalse(second.isSuccess(), "a full pool fails the bind on the event loop");
            PortReservationException e = assertInstanceOf(PortReservationException.class, second.cause());
            assertEquals(PortReservationException.Reason.EXHAUSTED, e.reason(), e.getMessage());
            String loop = group.next().submit(() -> Thread.currentThread().getName()).get();
            assertEquals("EXHAUSTED: no free port in " + pool + ": 1 of 1 ports leased in 1 of at most 1 blocks; "
                    + "waiting refused: thread " + loop + " must never block (an event loop thread, says "
                    + "NettyEventLoopThreads). Use leaseAsync() there, or bind from another thread", e.getMessage());
            assertTrue(millis < 5_000, "did not wait for the 30 s timeout: " + millis + " ms");
            first.close().sync();
            Await.assertEventually(0, () -> pool.statistics().leased(), "leases after close");
        } finally {
            group.shutdownGracefully(50, 1000, TimeUnit.MILLISECONDS).syncUninterruptibly();
        }
    }

    private static void useThePool(Transport transport, Kind kind, EventLoopGroup group, ReservationPool pool,
                                   NettyTestSupport.JdkEchoServer peer) throws Exception {
        InetSocketAddress any = new InetSocketAddress(LOOPBACK, 0);
        List<Channel> channels = new ArrayList<>();
        for (int i = 0; i < PORTS; i++) {
            Queue<String> received = new ConcurrentLinkedQueue<>();
            Channel c = kind.open(transport, group, pool, any, peer, new ArrayList<>(), received, 0)
                    .sync().channel();
            channels.add(c);
            int port = ((InetSocketAddress) c.localAddress()).getPort();
            assertTrue(pool.blockRanges().stream().anyMatch(r -> r.contains(port)), port + " in the pool");
            InetSocketAddress bound = new InetSocketAddress(LOOPBACK, port);
            if (kind == Kind.TCP_SERVER) {
                NettyTestSupport.tcpEcho(bound, "pooled server " + i);
            } else if (kind == Kind.TCP_CLIENT) {
                NettyTestSupport.clientEcho(c, received, "pooled client " + i);
            } else {
                NettyTestSupport.udpEcho(bound, "pooled datagram " + i);
            }
        }
        Await.assertEventually(PORTS, () -> pool.statistics().leased(), "pool.statistics().leased()");
        ChannelFuture full = kind.open(transport, group, pool, any, peer).await();
        assertFalse(full.isSuccess(), "a full pool fails the bind");
        PortReservationException e = assertInstanceOf(PortReservationException.class, full.cause());
        assertEquals(PortReservationException.Reason.EXHAUSTED, e.reason(), e.getMessage());
        assertEquals("EXHAUSTED: no free port in " + pool + ": " + PORTS + " of " + PORTS + " ports leased in 1 of "
                + "at most 1 blocks; close leases sooner, raise maxBlocks(...)/maxPorts(...), or use "
                + "waitWhenExhausted(timeout)", e.getMessage());
        for (Channel c : channels) {
            c.close().sync();
        }
        Await.assertEventually(0, () -> pool.statistics().leased(), "leases after close");
    }
}
