package io.github.portreservation.netty;

import io.github.portreservation.testing.RequiresProvider;
import io.github.portreservation.testing.Descriptors;
import io.github.portreservation.testing.Await;
import io.github.portreservation.PortReservationException;
import io.github.portreservation.PortReservations;
import io.github.portreservation.RuntimeReservation;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.EventLoopGroup;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.MethodSource;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * The port goes back to the reservation, and every file descriptor is closed, on each way a channel can close, one
 * test each: close(), close() from another thread, a failed bind, a failed registration, Unsafe.closeForcibly(), the
 * shutdown of the event loop group, a close right before that shutdown (the loop cancels the scheduled release
 * check), and (TCP clients) the SO_LINGER close that Netty runs on GlobalEventExecutor.
 */
@Tag("netty")
@RequiresProvider
class ReservedChannelClosePathTest {
    private static final int BLOCK = 3;
    private static final InetAddress LOOPBACK = InetAddress.getLoopbackAddress();
    private static final InetSocketAddress ANY = new InetSocketAddress(LOOPBACK, 0);

    @ParameterizedTest(name = "{0} {1}")
    @MethodSource("io.github.portreservation.netty.Kind#everyTransport")
    void close(Transport transport, Kind kind) throws Exception {
        try (ClosePath path = new ClosePath(transport, kind)) {
            path.opened(path.open(ANY)).close().sync();
        }
    }

    @ParameterizedTest(name = "{0} {1}")
    @MethodSource("io.github.portreservation.netty.Kind#everyTransport")
    void closeFromAnotherThread(Transport transport, Kind kind) throws Exception {
        try (ClosePath path = new ClosePath(transport, kind)) {
            Channel ch = path.opened(path.open(ANY));
            Thread closer = new Thread(ch::close, "closer");
            closer.start();
            closer.join();
            assertTrue(ch.closeFuture().await(NettyTestSupport.TIMEOUT.toMillis()));
        }
    }

    @ParameterizedTest(name = "{0} {1}")
    @MethodSource("io.github.portreservation.netty.Kind#everyTransport")
    void aBindRefusedInUseHoldsNoPort(Transport transport, Kind kind) throws Exception {
        try (ClosePath path = new ClosePath(transport, kind)) {
            int port = path.reservation.range().start();
            InetSocketAddress explicit = new InetSocketAddress(LOOPBACK, port);
            Channel first = path.opened(path.open(explicit));
            PortReservationException e = assertBindFails(path.open(explicit));
            assertEquals(PortReservationException.Reason.IN_USE, e.reason(), e.getMessage());
            assertTrue(e.getMessage().startsWith("IN_USE: port " + port + " of the runtime " + kind.protocol()
                    + " reservation " + path.reservation.token() + " is already used by "), e.getMessage());
            assertEquals(BLOCK - 1, path.reservation.availablePorts(), "a failed bind holds no port");
            first.close().sync();
        }
    }

    @ParameterizedTest(name = "{0} {1}")
    @MethodSource("io.github.portreservation.netty.Kind#everyTransport")
    void aBindTheSystemRefusesAfterThePortWasChosenHoldsNoPort(Transport transport, Kind kind) throws Exception {
        try (ClosePath path = new ClosePath(transport, kind)) {
            // ::2 is no address of this host: the kernel refuses the bind (EADDRNOTAVAIL) after the port was chosen.
            int port = path.reservation.range().start() + 1;
            PortReservationException e = assertBindFails(path.open(
                    new InetSocketAddress(InetAddress.getByName("::2"), port)));
            assertEquals(PortReservationException.Reason.INVALID_ARGUMENT, e.reason(), e.getMessage());
            assertEquals("EADDRNOTAVAIL", e.nativeName(), e.getMessage());
            assertEquals(BLOCK, path.reservation.availablePorts(), "a failed bind holds no port");
        }
    }

    @ParameterizedTest(name = "{0} {1}")
    @MethodSource("io.github.portreservation.netty.Kind#everyTransport")
    void aFailedRegistration(Transport transport, Kind kind) throws Exception {
        try (ClosePath path = new ClosePath(transport, kind)) {
            path.group.shutdownGracefully(0, 0, TimeUnit.SECONDS).sync();
            ChannelFuture f = path.open(ANY);
            assertTrue(f.await(NettyTestSupport.TIMEOUT.toMillis()));
            assertFalse(f.isSuccess(), "registration on a terminated group fails");
            assertInstanceOf(RejectedExecutionException.class, f.cause(), String.valueOf(f.cause()));
            assertFalse(f.channel().isOpen());
        }
    }

    @ParameterizedTest(name = "{0} {1}")
    @MethodSource("io.github.portreservation.netty.Kind#everyTransport")
    void closeForcibly(Transport transport, Kind kind) throws Exception {
        try (ClosePath path = new ClosePath(transport, kind)) {
            Channel ch = path.opened(path.open(ANY));
            ch.eventLoop().submit(() -> ch.unsafe().closeForcibly()).sync();
            assertFalse(ch.isOpen());
            if (transport == Transport.NIO && kind != Kind.UDP) {
                // Subclassed channels release in doClose(), which closeForcibly() runs.
                Await.assertEventually(BLOCK, path.reservation::availablePorts, "port back after closeForcibly");
            }
            // Every channel class: all ports of the block can be bound again (a final class's port whose
            // closeFuture never completed is taken back by the reservation when it runs out of ports).
            List<Channel> again = new ArrayList<>();
            for (int i = 0; i < BLOCK; i++) {
                again.add(path.opened(Await.openWhenPortIsBack(() -> path.openToOtherPeer(ANY))));
            }
            Await.assertEventually(0, path.reservation::availablePorts, "reservation.availablePorts()");
            for (Channel c : again) {
                c.close().sync();
            }
        }
    }

    @ParameterizedTest(name = "{0} {1}")
    @MethodSource("io.github.portreservation.netty.Kind#everyTransport")
    void eventLoopShutdown(Transport transport, Kind kind) throws Exception {
        try (ClosePath path = new ClosePath(transport, kind)) {
            Channel ch = path.opened(path.open(ANY));
            // A quiet period > 0: with 0, Netty (4.2.18, plain channels too) often terminates the loop without
            // closing its channels, whose sockets then stay open and keep their ports.
            path.group.shutdownGracefully(50, 1000, TimeUnit.MILLISECONDS).sync();
            assertFalse(ch.isOpen(), "the shutdown closed the channel");
        }
    }

    @ParameterizedTest(name = "{0} {1}")
    @MethodSource("io.github.portreservation.netty.Kind#everyTransport")
    void closeRightBeforeTheEventLoopShutdown(Transport transport, Kind kind) throws Exception {
        try (ClosePath path = new ClosePath(transport, kind)) {
            Channel ch = path.opened(path.open(ANY));
            ch.close().sync();
            path.group.shutdownGracefully(0, 0, TimeUnit.SECONDS).sync();
        }
    }

    @ParameterizedTest(name = "{0}")
    @EnumSource(Transport.class)
    void lingerCloseOfATcpClient(Transport transport) throws Exception {
        try (ClosePath path = new ClosePath(transport, Kind.TCP_CLIENT)) {
            Channel ch = path.opened(Kind.TCP_CLIENT.open(transport, path.group, path.reservation, ANY, path.peer,
                    new ArrayList<>(), new ConcurrentLinkedQueue<>(), 1));
            ch.close().sync();
        }
    }

    /**
     * One close path's event loop, peers and reservation. {@link #close()} checks that every port of the reservation
     * and every descriptor came back (after shutting the loop down), then releases the rest.
     */
    private static final class ClosePath implements AutoCloseable {
        final Transport transport;
        final Kind kind;
        final EventLoopGroup group;
        final NettyTestSupport.JdkEchoServer peer;
        /** Clients that bind the same ports again use another peer: same 4-tuple within TIME_WAIT = EADDRNOTAVAIL. */
        final NettyTestSupport.JdkEchoServer otherPeer;
        final RuntimeReservation reservation;
        final Set<String> fds;

        ClosePath(Transport transport, Kind kind) throws Exception {
            assumeTrue(transport.isAvailable(), transport + " is not available here");
            this.transport = transport;
            this.kind = kind;
            List<AutoCloseable> made = new ArrayList<>();
            try {
                group = transport.newGroup(1);
                made.add(() -> group.shutdownGracefully(0, 0, TimeUnit.SECONDS).syncUninterruptibly());
                peer = new NettyTestSupport.JdkEchoServer(LOOPBACK);
                made.add(peer);
                otherPeer = new NettyTestSupport.JdkEchoServer(LOOPBACK);
                made.add(otherPeer);
                reservation = PortReservations.provider().acquire(kind.protocol(), BLOCK);
                made.add(reservation);
                fds = NettyTestSupport.fdBaseline();
            } catch (Exception | Error e) {
                for (int i = made.size() - 1; i >= 0; i--) {
                    made.get(i).close();
                }
                throw e;
            }
        }

        ChannelFuture open(InetSocketAddress local) {
            return kind.open(transport, group, reservation, local, peer);
        }

        ChannelFuture openToOtherPeer(InetSocketAddress local) {
            return kind.open(transport, group, reservation, local, otherPeer);
        }

        /** The channel of a bind that succeeded. */
        Channel opened(ChannelFuture future) throws InterruptedException {
            assertTrue(future.await(NettyTestSupport.TIMEOUT.toMillis()), "bind completes");
            assertTrue(future.isSuccess(), () -> "bind failed: " + future.cause());
            return future.channel();
        }

        @Override
        public void close() throws Exception {
            try {
                Await.assertEventually(BLOCK, reservation::availablePorts, "free ports after the close");
                group.shutdownGracefully(0, 0, TimeUnit.SECONDS).sync();
                Descriptors.awaitNoneOpenedSince(fds);
            } finally {
                group.shutdownGracefully(0, 0, TimeUnit.SECONDS).syncUninterruptibly();
                try {
                    reservation.close();
                } finally {
                    otherPeer.close();
                    peer.close();
                }
            }
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
            Await.assertEventually(free, reservation::availablePorts, "free ports after racing closes");
            Descriptors.awaitNoneOpenedSince(fds);
        } finally {
            group.shutdownGracefully(50, 1000, TimeUnit.MILLISECONDS).syncUninterruptibly();
        }
    }

    /** The cause of a bind that failed, once its channel is closed. */
    private static PortReservationException assertBindFails(ChannelFuture future) throws InterruptedException {
        assertTrue(future.await(NettyTestSupport.TIMEOUT.toMillis()), "bind completes");
        assertFalse(future.isSuccess(), "bind must fail");
        assertTrue(future.channel().closeFuture().await(NettyTestSupport.TIMEOUT.toMillis()), "failed channel closed");
        return assertInstanceOf(PortReservationException.class, future.cause());
    }
}
