package io.github.portreservation.netty;

import io.github.portreservation.testing.Descriptors;
import io.github.portreservation.testing.Await;
import io.github.portreservation.PortReservationException;
import io.github.portreservation.PortReservations;
import io.github.portreservation.RuntimeReservation;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.EventLoopGroup;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.stream.Stream;

import static io.github.portreservation.netty.NettyTestSupport.awaitEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * The port goes back to the reservation, and every file descriptor is closed, on each way a channel can close:
 * close(), close() from another thread, a failed bind, a failed registration, Unsafe.closeForcibly(), the shutdown
 * of the event loop group, a close right before that shutdown (the loop cancels the scheduled release check), and
 * (TCP clients) the SO_LINGER close that Netty runs on GlobalEventExecutor.
 */
@Tag("netty")
class ReservedChannelClosePathTest {
    private static final int BLOCK = 3;
    private static final InetAddress LOOPBACK = InetAddress.getLoopbackAddress();

    enum ClosePath { CLOSE, CLOSE_FROM_OTHER_THREAD, BIND_FAILURE, FAILED_REGISTRATION, CLOSE_FORCIBLY,
        EVENT_LOOP_SHUTDOWN, CLOSE_THEN_SHUTDOWN, LINGER_CLOSE }

    @BeforeAll
    static void provider() {
        assumeTrue(PortReservations.isAvailable(), () -> "no provider: " + PortReservations.unavailabilityCause());
    }

    static Stream<Arguments> paths() {
        List<Arguments> all = new ArrayList<>();
        for (Transport t : Transport.values()) {
            for (Kind k : Kind.values()) {
                for (ClosePath p : ClosePath.values()) {
                    if (p != ClosePath.LINGER_CLOSE || k == Kind.TCP_CLIENT) {
                        all.add(Arguments.of(t, k, p));
                    }
                }
            }
        }
        return all.stream();
    }

    @ParameterizedTest(name = "{0} {1} {2}")
    @MethodSource("paths")
    void portAndDescriptorsComeBack(Transport transport, Kind kind, ClosePath path) throws Exception {
        assumeTrue(transport.isAvailable(), transport + " is not available here");
        EventLoopGroup group = transport.newGroup(1);
        try (NettyTestSupport.JdkEchoServer peer = new NettyTestSupport.JdkEchoServer(LOOPBACK);
             // Clients that bind the same ports again use another peer: same 4-tuple within TIME_WAIT = EADDRNOTAVAIL.
             NettyTestSupport.JdkEchoServer otherPeer = new NettyTestSupport.JdkEchoServer(LOOPBACK);
             RuntimeReservation reservation = PortReservations.provider().acquire(kind.protocol(), BLOCK)) {
            int free = reservation.availablePorts();
            Set<String> fds = NettyTestSupport.fdBaseline();
            InetSocketAddress any = new InetSocketAddress(LOOPBACK, 0);
            List<Channel> opened = new CopyOnWriteArrayList<>();
            switch (path) {
                case CLOSE:
                    opened(kind.open(transport, group, reservation, any, peer), opened).close().sync();
                    break;
                case CLOSE_FROM_OTHER_THREAD: {
                    Channel ch = opened(kind.open(transport, group, reservation, any, peer), opened);
                    Thread closer = new Thread(ch::close, "closer");
                    closer.start();
                    closer.join();
                    assertTrue(ch.closeFuture().await(NettyTestSupport.TIMEOUT.toMillis()));
                    break;
                }
                case BIND_FAILURE: {
                    InetSocketAddress explicit = new InetSocketAddress(LOOPBACK, reservation.range().start());
                    Channel first = opened(kind.open(transport, group, reservation, explicit, peer), opened);
                    // IN_USE (the port is ours already), then an address the OS refuses after the port was chosen.
                    assertBindFails(kind.open(transport, group, reservation, explicit, peer),
                            PortReservationException.Reason.IN_USE);
                    ChannelFuture notLocal = kind.open(transport, group, reservation,
                            new InetSocketAddress(InetAddress.getByName("::2"), reservation.range().start() + 1), peer);
                    assertBindFails(notLocal, null);
                    assertEquals(free - 1, reservation.availablePorts(), "failed binds hold no port");
                    first.close().sync();
                    break;
                }
                case FAILED_REGISTRATION: {
                    group.shutdownGracefully(0, 0, TimeUnit.SECONDS).sync();
                    ChannelFuture f = kind.open(transport, group, reservation, any, peer);
                    assertTrue(f.await(NettyTestSupport.TIMEOUT.toMillis()));
                    assertFalse(f.isSuccess(), "registration on a terminated group fails");
                    assertFalse(f.channel().isOpen());
                    break;
                }
                case CLOSE_FORCIBLY: {
                    Channel ch = opened(kind.open(transport, group, reservation, any, peer), opened);
                    ch.eventLoop().submit(() -> ch.unsafe().closeForcibly()).sync();
                    assertFalse(ch.isOpen());
                    if (transport == Transport.NIO && kind != Kind.UDP) {
                        // Subclassed channels release in doClose(), which closeForcibly() runs.
                        Await.assertEventually(free, reservation::availablePorts, "port back after closeForcibly");
                    }
                    // Every channel class: all ports of the block can be bound again (a final class's port whose
                    // closeFuture never completed is taken back by the reservation when it runs out of ports).
                    List<Channel> again = new ArrayList<>();
                    for (int i = 0; i < BLOCK; i++) {
                        again.add(opened(Await.openWhenPortIsBack(
                                () -> kind.open(transport, group, reservation, any, otherPeer)), opened));
                    }
                    Await.assertEventually(0, reservation::availablePorts, "reservation.availablePorts()");
                    for (Channel c : again) {
                        c.close().sync();
                    }
                    break;
                }
                case EVENT_LOOP_SHUTDOWN: {
                    Channel ch = opened(kind.open(transport, group, reservation, any, peer), opened);
                    // A quiet period > 0: with 0, Netty (4.2.18, plain channels too) often terminates the loop without
                    // closing its channels, whose sockets then stay open and keep their ports.
                    group.shutdownGracefully(50, 1000, TimeUnit.MILLISECONDS).sync();
                    assertFalse(ch.isOpen(), "the shutdown closed the channel");
                    break;
                }
                case CLOSE_THEN_SHUTDOWN: {
                    Channel ch = opened(kind.open(transport, group, reservation, any, peer), opened);
                    ch.close().sync();
                    group.shutdownGracefully(0, 0, TimeUnit.SECONDS).sync();
                    break;
                }
                case LINGER_CLOSE: {
                    Channel ch = opened(kind.open(transport, group, reservation, any, peer, new ArrayList<>(),
                            new ConcurrentLinkedQueue<>(), 1), opened);
                    ch.close().sync();
                    break;
                }
                default:
                    throw new AssertionError(path);
            }
            awaitEquals("free ports after " + path, free, reservation::availablePorts);
            group.shutdownGracefully(0, 0, TimeUnit.SECONDS).sync();
            Descriptors.awaitNoneOpenedSince(fds);
        } finally {
            group.shutdownGracefully(0, 0, TimeUnit.SECONDS).syncUninterruptibly();
        }
    }

    @ParameterizedTest(name = "{0} {1}")
    @MethodSource("io.github.portreservation.netty.Kind#everyTransport")
    void closeRacingWithBindLeavesNothingHeld(Transport transport, Kind kind) throws Exception {
        assumeTrue(transport.isAvailable(), transport + " is not available here");
        EventLoopGroup group = transport.newGroup(2);
        try (NettyTestSupport.JdkEchoServer peer = new NettyTestSupport.JdkEchoServer(LOOPBACK);
             RuntimeReservation reservation = PortReservations.provider().acquire(kind.protocol(), BLOCK)) {
            int free = reservation.availablePorts();
            Set<String> fds = NettyTestSupport.fdBaseline();
            int boundThenClosed = 0;
            for (int i = 0; i < 300; i++) {
                ChannelFuture f = kind.open(transport, group, reservation, new InetSocketAddress(LOOPBACK, 0), peer);
                if (i % 3 == 1) {
                    while (!f.channel().isRegistered() && f.channel().isOpen()) {
                        Thread.onSpinWait();
                    }
                } else if (i % 3 == 2) {
                    LockSupport.parkNanos(ThreadLocalRandom.current().nextLong(300_000));
                }
                f.channel().close(); // from this thread, while registration and bind run on the event loop
                assertTrue(f.channel().closeFuture().await(NettyTestSupport.TIMEOUT.toMillis()), "closed");
                assertTrue(f.await(NettyTestSupport.TIMEOUT.toMillis()), "bind completed one way or the other");
                if (f.isSuccess()) {
                    boundThenClosed++;
                }
            }
            assertTrue(boundThenClosed > 0, "some channels were closed after their bind");
            awaitEquals("free ports after racing closes", free, reservation::availablePorts);
            Descriptors.awaitNoneOpenedSince(fds);
        } finally {
            group.shutdownGracefully(50, 1000, TimeUnit.MILLISECONDS).syncUninterruptibly();
        }
    }

    private static Channel opened(ChannelFuture future, List<Channel> opened) throws InterruptedException {
        assertTrue(future.await(NettyTestSupport.TIMEOUT.toMillis()), "bind completes");
        assertTrue(future.isSuccess(), () -> "bind failed: " + future.cause());
        opened.add(future.channel());
        return future.channel();
    }

    private static void assertBindFails(ChannelFuture future, PortReservationException.Reason reason)
            throws InterruptedException {
        assertTrue(future.await(NettyTestSupport.TIMEOUT.toMillis()), "bind completes");
        assertFalse(future.isSuccess(), "bind must fail");
        if (reason != null) {
            assertEquals(reason, assertInstanceOf(PortReservationException.class, future.cause()).reason());
        }
        assertTrue(future.channel().closeFuture().await(NettyTestSupport.TIMEOUT.toMillis()), "failed channel closed");
    }
}
