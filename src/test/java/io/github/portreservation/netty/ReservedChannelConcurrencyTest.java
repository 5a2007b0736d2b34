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
import org.junit.jupiter.params.provider.MethodSource;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import java.util.stream.IntStream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * N channels bound at once from an N-port reservation, from N threads over a multi-threaded event loop group, all get
 * distinct ports of the block; channel N+1 fails EXHAUSTED; once they are closed, N new binds succeed again.
 */
@Tag("netty")
@RequiresProvider
class ReservedChannelConcurrencyTest {
    private static final int N = 16;
    private static final InetAddress LOOPBACK = InetAddress.getLoopbackAddress();

    @ParameterizedTest(name = "{0} {1}")
    @MethodSource("io.github.portreservation.netty.Kind#everyTransport")
    void nChannelsFromNPorts(Transport transport, Kind kind) throws Exception {
        assumeTrue(transport.isAvailable(), transport + " is not available here");
        EventLoopGroup group = transport.newGroup(4);
        ExecutorService binders = Executors.newFixedThreadPool(N);
        // One peer per round: a client that reconnects from the same source port to the same peer within TIME_WAIT
        // gets EADDRNOTAVAIL from connect() (the 4-tuple is taken), which is TCP, not this library.
        try (NettyTestSupport.JdkEchoServer firstPeer = new NettyTestSupport.JdkEchoServer(LOOPBACK);
             NettyTestSupport.JdkEchoServer secondPeer = new NettyTestSupport.JdkEchoServer(LOOPBACK);
             RuntimeReservation reservation = PortReservations.provider().acquire(kind.protocol(), N)) {
            Set<String> fds = NettyTestSupport.fdBaseline();
            for (int round = 0; round < 2; round++) {
                NettyTestSupport.JdkEchoServer peer = round == 0 ? firstPeer : secondPeer;
                List<Channel> channels = bindAllAtOnce(transport, kind, group, reservation, peer, binders);
                Set<Integer> ports = new TreeSet<>();
                for (Channel c : channels) {
                    ports.add(((InetSocketAddress) c.localAddress()).getPort());
                }
                assertEquals(IntStream.rangeClosed(reservation.range().start(), reservation.range().end()).boxed()
                        .collect(Collectors.toSet()), ports, "each port of the block once");
                Await.assertEventually(0, reservation::availablePorts, "reservation.availablePorts()");

                ChannelFuture extra = kind.open(transport, group, reservation, new InetSocketAddress(LOOPBACK, 0),
                        peer);
                assertTrue(extra.await(NettyTestSupport.TIMEOUT.toMillis()));
                assertFalse(extra.isSuccess(), "channel N+1 must fail");
                PortReservationException e = assertInstanceOf(PortReservationException.class, extra.cause());
                assertEquals("EXHAUSTED: all " + N + " ports of the runtime " + kind.protocol() + " reservation "
                        + reservation.token() + " (" + reservation.range() + ") are used by sockets of this process; "
                        + "close one of them, acquire a larger reservation, or use a ReservationPool that grows by "
                        + "blocks", e.getMessage());

                for (Channel c : channels) {
                    c.close().sync();
                }
                Await.assertEventually(N, reservation::availablePorts, "free ports after round " + round);
            }
            Descriptors.awaitNoneOpenedSince(fds);
        } finally {
            binders.shutdownNow();
            group.shutdownGracefully(50, 1000, TimeUnit.MILLISECONDS).syncUninterruptibly();
        }
    }

    private static List<Channel> bindAllAtOnce(Transport transport, Kind kind, EventLoopGroup group,
                                               RuntimeReservation reservation, NettyTestSupport.JdkEchoServer peer,
                                               ExecutorService binders) throws Exception {
        CountDownLatch start = new CountDownLatch(1);
        List<Future<ChannelFuture>> pending = new ArrayList<>();
        for (int i = 0; i < N; i++) {
            pending.add(binders.submit(() -> {
                start.await();
                return kind.open(transport, group, reservation, new InetSocketAddress(LOOPBACK, 0), peer);
            }));
        }
        start.countDown();
        List<Channel> channels = new ArrayList<>();
        List<Throwable> failures = new ArrayList<>();
        for (Future<ChannelFuture> f : pending) {
            ChannelFuture bound = f.get(NettyTestSupport.TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
            assertTrue(bound.await(NettyTestSupport.TIMEOUT.toMillis()));
            if (bound.isSuccess()) {
                channels.add(bound.channel());
            } else {
                failures.add(bound.cause());
            }
        }
        if (!failures.isEmpty()) {
            for (Channel c : channels) {
                c.close().sync();
            }
            throw new AssertionError(failures.size() + " of " + N + " concurrent binds failed: " + failures);
        }
        return channels;
    }
}
