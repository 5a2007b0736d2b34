package io.github.portreservation.netty;

import io.github.portreservation.testing.Descriptors;
import io.github.portreservation.PortRange;
import io.github.portreservation.PortReservationException;
import io.github.portreservation.PortReservationProvider;
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

import static io.github.portreservation.netty.NettyTestSupport.awaitEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * One test body over every permutation, in the style of Netty's testsuite: transport (NIO, Epoll) x channel kind
 * (TCP server, TCP client, UDP) x requested port (0, a port of the block, a port outside it) x loopback family
 * (127.0.0.1, ::1) x how the reservation is given (the RESERVATION_TOKEN option, a factory argument). Real Linux
 * reservations, real sockets, echo round trips; afterwards the reservation's free count and this process's file
 * descriptors are back where they were.
 */
@Tag("netty")
class ReservedChannelPermutationTest {
    private static final int BLOCK = 4;
    private static final Map<Transport, EventLoopGroup> GROUPS = new EnumMap<>(Transport.class);

    enum PortChoice { ANY, EXPLICIT, OUTSIDE }

    enum Delivery { OPTION, FACTORY }

    @BeforeAll
    static void groups() {
        assumeTrue(PortReservations.isAvailable(), () -> "no provider: " + PortReservations.unavailabilityCause());
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
                for (PortChoice c : PortChoice.values()) {
                    for (String host : new String[] {"127.0.0.1", "::1"}) {
                        for (Delivery d : Delivery.values()) {
                            // The option reaches only the NIO TCP channels; final classes take a factory argument.
                            if (d == Delivery.OPTION && (t != Transport.NIO || k == Kind.UDP)) {
                                continue;
                            }
                            all.add(Arguments.of(t, k, c, host, d));
                        }
                    }
                }
            }
        }
        return all.stream();
    }

    @ParameterizedTest(name = "{0} {1} port={2} {3} via {4}")
    @MethodSource("permutations")
    void bindsFromTheReservation(Transport transport, Kind kind, PortChoice choice, String host, Delivery delivery)
            throws Exception {
        assumeTrue(GROUPS.containsKey(transport), transport + " is not available here");
        EventLoopGroup group = GROUPS.get(transport);
        InetAddress address = InetAddress.getByName(host);
        PortReservationProvider provider = PortReservations.provider();
        try (NettyTestSupport.JdkEchoServer peer = new NettyTestSupport.JdkEchoServer(address);
             RuntimeReservation reservation = provider.acquire(kind.protocol(), BLOCK)) {
            PortRange range = reservation.range();
            int freeBefore = reservation.availablePorts();
            Set<String> fdsBefore = NettyTestSupport.fdBaseline();
            int requestedPort = choice == PortChoice.ANY ? 0
                    : choice == PortChoice.EXPLICIT ? range.start() + 2
                    : range.end() < 65535 ? range.end() + 1 : range.start() - 1;
            InetSocketAddress requested = new InetSocketAddress(address, requestedPort);
            ReservationToken option = delivery == Delivery.OPTION ? reservation.token() : null;
            List<Channel> opened = new CopyOnWriteArrayList<>();
            List<Channel> children = new CopyOnWriteArrayList<>();
            Queue<String> received = new ConcurrentLinkedQueue<>();

            ChannelFuture future = open(transport, kind, delivery, reservation, group, option, peer, requested,
                    received, children);
            future.await();
            if (choice == PortChoice.OUTSIDE) {
                assertFailed(future, PortReservationException.Reason.OUTSIDE_RESERVATION, requestedPort);
                assertEquals(freeBefore, reservation.availablePorts(), "a refused bind holds no port");
            } else {
                assertTrue(future.isSuccess(), () -> "bind failed: " + future.cause());
                Channel channel = future.channel();
                opened.add(channel);
                int port = ((InetSocketAddress) channel.localAddress()).getPort();
                assertTrue(range.contains(port), "port " + port + " in " + range);
                if (choice == PortChoice.EXPLICIT) {
                    assertEquals(requestedPort, port);
                }
                assertEquals(freeBefore - 1, reservation.availablePorts());
                roundTrip(kind, channel, new InetSocketAddress(address, port), peer, received);
                if (kind == Kind.TCP_SERVER) {
                    awaitEquals("accepted children", 1, children::size);
                    Channel child = children.get(0);
                    assertFalse(child.getClass().getName().contains("Reserved"), "children are plain: " + child);
                    assertEquals(freeBefore - 1, reservation.availablePorts(), "children take no port");
                }
                if (choice == PortChoice.EXPLICIT) { // the same port again: refused while the first holds it
                    ChannelFuture second = open(transport, kind, delivery, reservation, group, option, peer,
                            requested, received, children);
                    second.await();
                    assertFailed(second, PortReservationException.Reason.IN_USE, requestedPort);
                    assertEquals(freeBefore - 1, reservation.availablePorts());
                }
            }
            opened.addAll(children);
            for (Channel c : opened) {
                c.close().sync();
            }
            awaitEquals("free ports after close", freeBefore, reservation::availablePorts);
            Descriptors.awaitNoneOpenedSince(fdsBefore);
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
                awaitEquals("connections the peer accepted", 1, peer.remotePorts::size);
                assertEquals(bound.getPort(), peer.remotePorts.peek(), "source port seen by the peer");
                break;
            default:
                NettyTestSupport.udpEcho(bound, "datagram to a reserved port");
        }
    }

    static void assertFailed(ChannelFuture future, PortReservationException.Reason reason, int port)
            throws InterruptedException {
        assertFalse(future.isSuccess(), "bind must fail");
        // The bootstraps close a channel whose bind or connect failed (CLOSE_ON_FAILURE), on its event loop.
        future.channel().closeFuture().await(NettyTestSupport.TIMEOUT.toMillis());
        PortReservationException e = assertInstanceOf(PortReservationException.class, future.cause());
        assertEquals(reason, e.reason(), e.getMessage());
        assertTrue(e.getMessage().contains(String.valueOf(port)), "message names the port: " + e.getMessage());
        assertFalse(future.channel().isOpen(), "the failed channel is closed");
    }
}
