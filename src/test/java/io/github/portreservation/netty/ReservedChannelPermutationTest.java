package io.github.portreservation.netty;

import io.github.portreservation.testing.RequiresProvider;
import io.github.portreservation.testing.Await;
import io.github.portreservation.testing.Descriptors;
import io.github.portreservation.PortRange;
import io.github.portreservation.PortReservationException;
import io.github.portreservation.PortReservations;
import io.github.portreservation.ReservationToken;
import io.github.portreservation.RuntimeReservation;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFactory;
import io.netty.channel.ChannelFuture;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.socket.ServerSocketChannel;
import io.netty.channel.socket.SocketChannel;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Queue;
import java.util.Set;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * Every permutation, in the style of Netty's testsuite, one test per behaviour: transport (NIO, Epoll) x channel
 * kind (TCP server, TCP client, UDP) x loopback family (127.0.0.1, ::1) x how the reservation is given (the
 * RESERVATION_TOKEN option, a factory argument), for port 0, a port of the block and a port outside it. Real Linux
 * reservations, real sockets, echo round trips; afterwards the reservation's free count and this process's file
 * descriptors are back where they were.
 */
@Tag("netty")
@RequiresProvider
class ReservedChannelPermutationTest {
    private static final int BLOCK = 4;
    private static final Map<Transport, EventLoopGroup> GROUPS = new EnumMap<>(Transport.class);

    enum Delivery { OPTION, FACTORY }

    @BeforeAll
    static void groups() {
        for (Transport t : Transport.values()) {
            if (t.isAvailable()) {
                GROUPS.put(t, t.newGroup(2));
            }
        }
    }

    @AfterAll
    static void shutdown() {
        GROUPS.values().forEach(g -> g.shutdownGracefully(0, 0, java.util.concurrent.TimeUnit.SECONDS)
                .syncUninterruptibly());
        GROUPS.clear();
    }

    static Stream<Arguments> permutations() {
        List<Arguments> all = new ArrayList<>();
        for (Transport t : Transport.values()) {
            for (Kind k : Kind.values()) {
                for (String host : new String[] {"127.0.0.1", "::1"}) {
                    for (Delivery d : Delivery.values()) {
                        // The option reaches only the NIO TCP channels; final classes take a factory argument.
                        if (d == Delivery.OPTION && (t != Transport.NIO || k == Kind.UDP)) {
                            continue;
                        }
                        all.add(Arguments.of(t, k, host, d));
                    }
                }
            }
        }
        return all.stream();
    }

    @ParameterizedTest(name = "{0} {1} {2} via {3}")
    @MethodSource("permutations")
    void portZeroBindsTheFirstPortOfTheBlockAndServes(Transport transport, Kind kind, String host,
                                                      Delivery delivery) throws Exception {
        try (Permutation p = new Permutation(transport, kind, host, delivery)) {
            Channel channel = p.opened(p.open(0));
            assertEquals(p.range.start(), p.port(channel), "the first port of a new block");
            assertEquals(BLOCK - 1, p.reservation.availablePorts());
            p.assertServes(channel);
        }
    }

    @ParameterizedTest(name = "{0} {1} {2} via {3}")
    @MethodSource("permutations")
    void anExplicitPortOfTheBlockBindsThatPortAndIsRefusedToASecondChannel(Transport transport, Kind kind,
                                                                          String host, Delivery delivery)
            throws Exception {
        try (Permutation p = new Permutation(transport, kind, host, delivery)) {
            int requested = p.range.start() + 2;
            Channel channel = p.opened(p.open(requested));
            assertEquals(requested, p.port(channel));
            assertEquals(BLOCK - 1, p.reservation.availablePorts());
            p.assertServes(channel);
            assertFailed(p.open(requested), "IN_USE: port " + requested + " of " + p.block() + " is already used by ");
            assertEquals(BLOCK - 1, p.reservation.availablePorts(), "a refused bind holds no port");
        }
    }

    @ParameterizedTest(name = "{0} {1} {2} via {3}")
    @MethodSource("permutations")
    void aPortOutsideTheBlockIsRefused(Transport transport, Kind kind, String host, Delivery delivery)
            throws Exception {
        try (Permutation p = new Permutation(transport, kind, host, delivery)) {
            int outside = p.range.end() < 65535 ? p.range.end() + 1 : p.range.start() - 1;
            assertFailed(p.open(outside), "OUTSIDE_RESERVATION: port " + outside + " is outside " + p.block()
                    + " (ports " + p.range + "); request port 0 for any free port of it, or a port in " + p.range);
            assertEquals(BLOCK, p.reservation.availablePorts(), "a refused bind holds no port");
        }
    }

    /**
     * One permutation's peer, reservation and channels. {@link #close()} closes the channels, then checks that every
     * port and every descriptor came back, then releases the reservation and the peer.
     */
    private static final class Permutation implements AutoCloseable {
        final Transport transport;
        final Kind kind;
        final Delivery delivery;
        final InetAddress address;
        final EventLoopGroup group;
        final NettyTestSupport.JdkEchoServer peer;
        final RuntimeReservation reservation;
        final PortRange range;
        final Set<String> fdsBefore;
        final List<Channel> opened = new CopyOnWriteArrayList<>();
        final List<Channel> children = new CopyOnWriteArrayList<>();
        final Queue<String> received = new ConcurrentLinkedQueue<>();

        Permutation(Transport transport, Kind kind, String host, Delivery delivery) throws Exception {
            assumeTrue(GROUPS.containsKey(transport), transport + " is not available here");
            this.transport = transport;
            this.kind = kind;
            this.delivery = delivery;
            this.address = InetAddress.getByName(host);
            this.group = GROUPS.get(transport);
            this.peer = new NettyTestSupport.JdkEchoServer(address);
            RuntimeReservation r;
            try {
                r = PortReservations.provider().acquire(kind.protocol(), BLOCK);
            } catch (RuntimeException e) {
                peer.close();
                throw e;
            }
            this.reservation = r;
            this.range = r.range();
            this.fdsBefore = NettyTestSupport.fdBaseline();
        }

        ChannelFuture open(int port) throws InterruptedException {
            ReservationToken option = delivery == Delivery.OPTION ? reservation.token() : null;
            return ReservedChannelPermutationTest.open(transport, kind, delivery, reservation, group, option, peer,
                    new InetSocketAddress(address, port), received, children).await();
        }

        Channel opened(ChannelFuture future) {
            assertTrue(future.isSuccess(), () -> "bind failed: " + future.cause());
            opened.add(future.channel());
            return future.channel();
        }

        /** The reservation's name in messages. */
        String block() {
            return "the runtime " + kind.protocol() + " reservation " + reservation.token();
        }

        int port(Channel channel) {
            return ((InetSocketAddress) channel.localAddress()).getPort();
        }

        /** Echo traffic through {@code channel}; a server's accepted children are plain and take no port. */
        void assertServes(Channel channel) throws Exception {
            roundTrip(kind, channel, new InetSocketAddress(address, port(channel)), peer, received);
            if (kind == Kind.TCP_SERVER) {
                Await.assertEventually(1, children::size, "accepted children");
                Channel child = children.get(0);
                assertFalse(child.getClass().getName().contains("Reserved"), "children are plain: " + child);
                assertEquals(BLOCK - 1, reservation.availablePorts(), "children take no port");
            }
        }

        @Override
        public void close() throws Exception {
            try {
                opened.addAll(children);
                for (Channel c : opened) {
                    c.close().sync();
                }
                Await.assertEventually(BLOCK, reservation::availablePorts, "free ports after close");
                Descriptors.awaitNoneOpenedSince(fdsBefore);
            } finally {
                reservation.close();
                peer.close();
            }
        }
    }

    private static ChannelFuture open(Transport transport, Kind kind, Delivery delivery,
                                      RuntimeReservation reservation, EventLoopGroup group, ReservationToken option,
                                      NettyTestSupport.JdkEchoServer peer, InetSocketAddress requested,
                                      Queue<String> received, List<Channel> children) {
        switch (kind) {
            case TCP_SERVER: {
                ChannelFactory<ServerSocketChannel> f = delivery == Delivery.OPTION
                        ? ReservedChannelFactories.nioServer() : transport.server(reservation);
                return NettyTestSupport.bindServer(group, f, option, requested, children);
            }
            case TCP_CLIENT: {
                ChannelFactory<SocketChannel> f = delivery == Delivery.OPTION
                        ? ReservedChannelFactories.nioClient() : transport.client(reservation);
                // Port 0: plain connect(remote), the source port still comes from the reservation.
                InetSocketAddress local = requested.getPort() == 0 ? null : requested;
                return NettyTestSupport.connectClient(group, f, option, peer.address(), local, received);
            }
            default:
                return NettyTestSupport.bindDatagram(group, transport.datagram(reservation), requested);
        }
    }

    private static void roundTrip(Kind kind, Channel channel, InetSocketAddress bound,
                                  NettyTestSupport.JdkEchoServer peer, Queue<String> received) throws Exception {
        switch (kind) {
            case TCP_SERVER:
                NettyTestSupport.tcpEcho(bound, "ping over a reserved server port");
                break;
            case TCP_CLIENT:
                NettyTestSupport.clientEcho(channel, received, "ping from a reserved source port");
                Await.assertEventually(1, peer.remotePorts::size, "connections the peer accepted");
                assertEquals(bound.getPort(), peer.remotePorts.peek(), "source port seen by the peer");
                break;
            default:
                NettyTestSupport.udpEcho(bound, "datagram to a reserved port");
        }
    }

    /** The bind failed with a message that starts with {@code message}, and its channel is closed. */
    static void assertFailed(ChannelFuture future, String message) throws InterruptedException {
        assertFalse(future.isSuccess(), "bind must fail");
        // The bootstraps close a channel whose bind or connect failed (CLOSE_ON_FAILURE), on its event loop.
        assertTrue(future.channel().closeFuture().await(NettyTestSupport.TIMEOUT.toMillis()), "failed channel closed");
        PortReservationException e = assertInstanceOf(PortReservationException.class, future.cause());
        assertTrue(e.getMessage().startsWith(message), "expected a message starting with <" + message + "> but was <"
                + e.getMessage() + ">");
        assertEquals(message.substring(0, message.indexOf(':')), e.reason().name());
    }
}
