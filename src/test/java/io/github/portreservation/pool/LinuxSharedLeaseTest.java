package io.github.portreservation.pool;

import io.github.portreservation.PortBinding;
import io.github.portreservation.PortRange;
import io.github.portreservation.PortReservationException;
import io.github.portreservation.PortReservationException.Reason;
import io.github.portreservation.PortReservations;
import io.github.portreservation.Protocol;
import io.github.portreservation.ReservableSocket;
import io.github.portreservation.testing.Await;
import io.github.portreservation.testing.Descriptors;
import io.github.portreservation.testing.RequiresProvider;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledOnOs;
import org.junit.jupiter.api.condition.OS;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.StandardSocketOptions;
import java.nio.ByteBuffer;
import java.nio.channels.DatagramChannel;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.security.SecureRandom;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import static io.github.portreservation.pool.LinuxPools.assertCounts;
import static io.github.portreservation.pool.LinuxPools.expect;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Several sockets of this process on one leased port, on the real Linux provider: IPv4 and IPv6 listeners, UDP
 * receivers that set SO_REUSEADDR, the refusals of the reservation's rules (the pool's IN_USE, no count changed), the
 * port coming back only after the last socket and the lease, another process refused all along, and no descriptor
 * left behind.
 */
@EnabledOnOs(OS.LINUX)
@RequiresProvider(PortReservations.LINUX)
class LinuxSharedLeaseTest {
    private static final InetAddress V4 = InetAddress.getLoopbackAddress();
    private static final InetAddress V6 = address("::1");
    private static final InetAddress ANY = address("0.0.0.0");

    private static InetAddress address(String literal) {
        try {
            return InetAddress.getByName(literal);
        } catch (java.net.UnknownHostException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    private static ReservationPool pool(Protocol protocol) {
        return ReservationPool.builder(LinuxPools.provider(), protocol).blockSize(4).maxBlocks(1).minBlocks(1)
                .failWhenExhausted().build();
    }

    /** The JDK keeps /dev/random and /dev/urandom open once a SecureRandom is made (a temporary file's name). */
    @BeforeAll
    static void openTheJdksRandomSources() {
        new SecureRandom().nextInt();
    }

    @Test
    void ipv4AndIpv6ListenersShareOneLeasedPortThatComesBackAfterTheLastOfThem() throws Exception {
        try (ReservationPool pool = pool(Protocol.TCP)) {
            PortRange block = pool.blockRanges().get(0);
            Set<String> baseline = Descriptors.snapshot();
            try (ServerSocketChannel v4 = ServerSocketChannel.open();
                 ServerSocketChannel v6 = ServerSocketChannel.open()) {
                PortBinding first = pool.bind(ReservableSocket.of(v4, 0), new InetSocketAddress(V4, 0));
                int port = first.port();
                assertEquals(block.start(), port);
                PortBinding second = pool.bind(ReservableSocket.of(v6, 0), new InetSocketAddress(V6, port));
                assertInstanceOf(PortLease.class, first);
                assertFalse(second instanceof PortLease, "the second socket joined the lease: a binding of its own");
                assertEquals(new InetSocketAddress(V6, port), second.localAddress());
                assertEquals(new InetSocketAddress(V6, port), v6.getLocalAddress());
                assertCounts(pool, 1, 3, "one lease carries both sockets");
                assertEquals(1, pool.statistics().leasesGranted());
                try (SocketChannel c4 = SocketChannel.open(new InetSocketAddress(V4, port));
                     SocketChannel c6 = SocketChannel.open(new InetSocketAddress(V6, port));
                     SocketChannel a4 = v4.accept();
                     SocketChannel a6 = v6.accept()) {
                    assertEquals(c4.getLocalAddress(), a4.getRemoteAddress());
                    assertEquals(c6.getLocalAddress(), a6.getRemoteAddress());
                }
                OtherProcessBinds.assertRefused(Protocol.TCP, port);

                v4.close();
                first.close(); // the lease: closed first, it waits for the IPv6 listener
                assertFalse(first.isActive());
                assertTrue(second.isActive());
                assertCounts(pool, 1, 3, "the IPv6 listener still holds the port");
                assertEquals("IN_USE: port " + port + " of ReservationPool[TCP, blocks of 4 from linux] is "
                        + "leased by PortLease[" + port + " of " + block + ", closed]; wait until it is closed or "
                        + "request port 0", expect(Reason.IN_USE, () -> pool.lease(port)).getMessage());
                OtherProcessBinds.assertRefused(Protocol.TCP, port);

                v6.close();
                second.close();
                assertCounts(pool, 0, 4, "the last socket and the lease are gone: the port is back");
                try (PortLease again = pool.lease(port)) {
                    assertEquals(port, again.port());
                }
            }
            Descriptors.assertNoneOpenedSince(baseline, "after both listeners and their bindings closed");
        }
    }

    @Test
    void aSecondSocketTheRulesRefuseGetsThePoolsInUseAndChangesNoCount() throws Exception {
        try (ReservationPool pool = pool(Protocol.TCP);
             ServerSocketChannel first = ServerSocketChannel.open();
             ServerSocketChannel wildcard = ServerSocketChannel.open();
             ServerSocketChannel sharing = ServerSocketChannel.open()) {
            PortBinding lease = pool.bind(ReservableSocket.of(first, 0), new InetSocketAddress(V4, 0));
            int port = lease.port();
            PortRange block = pool.blockRanges().get(0);
            String inUse = "IN_USE: port " + port + " of ReservationPool[TCP, blocks of 4 from linux] is leased by "
                    + "PortLease[" + port + " of " + block + ", bound to TCP " + first + "]; wait until it is closed "
                    + "or request port 0";

            // The wildcard overlaps 127.0.0.1, and neither socket asked to share the port.
            PortReservationException refused = expect(Reason.IN_USE,
                    () -> pool.bind(ReservableSocket.of(wildcard, 0), new InetSocketAddress(port)));
            assertEquals(inUse, refused.getMessage());
            assertEquals(1, refused.getSuppressed().length);
            assertTrue(refused.getSuppressed()[0].getMessage().startsWith("IN_USE: the lease of port " + port
                    + " cannot carry "), refused.getSuppressed()[0].getMessage());
            assertTrue(refused.getSuppressed()[0].getMessage().contains("when both asked to share it"),
                    refused.getSuppressed()[0].getMessage());
            assertNull(wildcard.getLocalAddress());

            // Sharing one address needs every socket on it to ask: the first one did not.
            sharing.setOption(StandardSocketOptions.SO_REUSEPORT, true);
            assertEquals(inUse, expect(Reason.IN_USE,
                    () -> pool.bind(ReservableSocket.of(sharing, 0), new InetSocketAddress(V4, port))).getMessage());
            assertNull(sharing.getLocalAddress());

            // Through the lease itself: the reservation's refusal, worded for the lease.
            PortReservationException direct = expect(Reason.IN_USE,
                    () -> ((PortLease) lease).bind(ReservableSocket.of(wildcard, 0), null));
            assertTrue(direct.getMessage().startsWith("IN_USE: the lease of port " + port + " cannot carry TCP "
                    + wildcard + " on 0.0.0.0 beside its socket TCP " + first + "; its reservation refused it: "
                    + "IN_USE: port " + port + " of the runtime TCP reservation "), direct.getMessage());
            assertTrue(direct.getMessage().contains(" is already used by TCP " + first + " on 127.0.0.1:" + port),
                    direct.getMessage());
            assertTrue(direct.getMessage().contains("when both asked to share it"), direct.getMessage());
            assertNull(wildcard.getLocalAddress());

            assertCounts(pool, 1, 3, "refused joins change no count");
            assertEquals(1, pool.statistics().leasesGranted());
            assertEquals(0, pool.statistics().quarantined());
            first.close();
            lease.close();
            assertCounts(pool, 0, 4, "the lease's port is back, nothing quarantined");
        }
    }

    @Test
    void twoUdpReceiversWithSoReuseAddrShareOneLeasedPortAndEachReceives() throws Exception {
        try (ReservationPool pool = pool(Protocol.UDP)) {
            Set<String> baseline = Descriptors.snapshot();
            try (DatagramChannel first = DatagramChannel.open();
                 DatagramChannel second = DatagramChannel.open();
                 DatagramChannel plain = DatagramChannel.open();
                 DatagramChannel sender = DatagramChannel.open()) {
                first.setOption(StandardSocketOptions.SO_REUSEADDR, true);
                second.setOption(StandardSocketOptions.SO_REUSEADDR, true);
                PortBinding lease = pool.bind(ReservableSocket.of(first), new InetSocketAddress(V4, 0));
                int port = lease.port();
                PortBinding joined = pool.bind(ReservableSocket.of(second), new InetSocketAddress(ANY, port));
                assertEquals(port, ((InetSocketAddress) second.getLocalAddress()).getPort());
                assertTrue(((InetSocketAddress) second.getLocalAddress()).getAddress().isAnyLocalAddress());
                assertCounts(pool, 1, 3, "one lease, two receivers");
                expect(Reason.IN_USE, () -> pool.bind(ReservableSocket.of(plain), new InetSocketAddress(ANY, port)));
                assertNull(plain.getLocalAddress());
                OtherProcessBinds.assertRefused(Protocol.UDP, port);

                InetSocketAddress target = new InetSocketAddress(V4, port);
                sender.send(ByteBuffer.wrap(new byte[] {1}), target);
                assertEquals(1, receiveOne(first), "127.0.0.1 is the closest match: the first receiver");

                // The joined receiver first: the lease keeps the port.
                second.close();
                joined.close();
                assertCounts(pool, 1, 3, "the lease's own receiver still holds the port");
                first.close();
                assertCounts(pool, 1, 3, "the sockets are gone, the lease is open: still leased");
                lease.close();
                assertCounts(pool, 0, 4, "the lease closed after its last socket: back");
            }
            Descriptors.assertNoneOpenedSince(baseline, "after both receivers and their bindings closed");
        }
    }

    @Test
    void theJoinedReceiverGetsTheDatagramsOnceTheFirstIsClosed() throws Exception {
        try (ReservationPool pool = pool(Protocol.UDP);
             DatagramChannel first = DatagramChannel.open();
             DatagramChannel second = DatagramChannel.open();
             DatagramChannel sender = DatagramChannel.open()) {
            first.setOption(StandardSocketOptions.SO_REUSEADDR, true);
            second.setOption(StandardSocketOptions.SO_REUSEADDR, true);
            PortLease lease = pool.lease();
            int port = lease.port();
            assertSame(lease, lease.bind(ReservableSocket.of(first), new InetSocketAddress(V4, 0)));
            PortBinding joined = lease.bind(ReservableSocket.of(second), new InetSocketAddress(ANY, 0));
            assertEquals(port, joined.port(), "port 0 of a lease is its port, for a joining socket too");
            first.close();
            lease.close();
            assertCounts(pool, 1, 3, "the joined receiver holds the port");
            sender.send(ByteBuffer.wrap(new byte[] {2}), new InetSocketAddress(V4, port));
            assertEquals(2, receiveOne(second));
            try (DatagramChannel third = DatagramChannel.open()) {
                third.setOption(StandardSocketOptions.SO_REUSEADDR, true);
                assertEquals("CLOSED: the lease of port " + port + " is closed; lease another port from the pool",
                        expect(Reason.CLOSED, () -> lease.bind(ReservableSocket.of(third), null)).getMessage());
            }
            second.close();
            joined.close();
            assertCounts(pool, 0, 4, "the joined receiver was the last: back");
        }
    }

    @Test
    void inAPoolOfBothProtocolsAUdpSocketJoinsTheLeaseOfATcpServer() throws Exception {
        try (ReservationPool pool = ReservationPool.builder(LinuxPools.provider(), Protocol.TCP, Protocol.UDP)
                .blockSize(4).maxBlocks(1).minBlocks(1).failWhenExhausted().build();
             ServerSocketChannel server = ServerSocketChannel.open();
             DatagramChannel udp = DatagramChannel.open()) {
            PortBinding lease = pool.bind(ReservableSocket.of(server, 0), new InetSocketAddress(V4, 0));
            int port = lease.port();
            PortBinding joined = pool.bind(ReservableSocket.of(udp), new InetSocketAddress(V4, port));
            assertEquals(new InetSocketAddress(V4, port), udp.getLocalAddress());
            assertFalse(joined.token().equals(lease.token()), "each protocol's own reservation");
            assertCounts(pool, 1, 3, "one number, a TCP server and a UDP socket");
            server.close();
            lease.close();
            assertCounts(pool, 1, 3, "the UDP socket still holds the number");
            udp.close();
            joined.close();
            assertCounts(pool, 0, 4, "both gone: back");
        }
    }

    /** The first byte of the next datagram on {@code channel}, waiting up to 5 s. */
    private static int receiveOne(DatagramChannel channel) throws Exception {
        ByteBuffer in = ByteBuffer.allocate(8);
        channel.configureBlocking(false);
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
        while (channel.receive(in) == null) {
            assertTrue(System.nanoTime() < deadline, "no datagram on " + channel.getLocalAddress());
            Thread.sleep(5);
        }
        return in.get(0);
    }

    @Test
    void joinsRacingWithTheLeasesCloseNeverLoseOrDoubleThePort() throws Exception {
        ExecutorService threads = Executors.newFixedThreadPool(2);
        try (ReservationPool pool = pool(Protocol.UDP)) {
            int joinedCount = 0;
            for (int i = 0; i < 200; i++) {
                try (DatagramChannel first = DatagramChannel.open();
                     DatagramChannel second = DatagramChannel.open()) {
                    first.setOption(StandardSocketOptions.SO_REUSEADDR, true);
                    second.setOption(StandardSocketOptions.SO_REUSEADDR, true);
                    PortBinding lease = pool.bind(ReservableSocket.of(first), new InetSocketAddress(V4, 0));
                    int port = lease.port();
                    CountDownLatch start = new CountDownLatch(1);
                    boolean leaseFirst = i % 2 == 0; // the lease's close first: it lingers for its socket
                    Future<?> closing = threads.submit(() -> {
                        start.await();
                        if (leaseFirst) {
                            lease.close();
                            first.close();
                        } else {
                            first.close();
                            lease.close();
                        }
                        return null;
                    });
                    Future<PortBinding> joining = threads.submit(() -> {
                        start.await();
                        try {
                            return pool.bind(ReservableSocket.of(second), new InetSocketAddress(ANY, port));
                        } catch (PortReservationException e) {
                            assertEquals(Reason.IN_USE, e.reason(), e.getMessage());
                            assertNull(second.getLocalAddress(), "a refused join leaves the socket unbound");
                            return null;
                        }
                    });
                    start.countDown();
                    closing.get(10, TimeUnit.SECONDS);
                    PortBinding joined = joining.get(10, TimeUnit.SECONDS);
                    if (joined != null) {
                        joinedCount++;
                        assertEquals(1, pool.statistics().leased(), "round " + i + ": the joined socket holds it");
                        second.close();
                        joined.close();
                    }
                    Await.assertEventually(0, () -> pool.statistics().leased(), "round " + i + ": the port back");
                }
            }
            assertCounts(pool, 0, 4, "after 200 rounds");
            assertEquals(0, pool.statistics().quarantined());
            System.out.println("joins that won the race: " + joinedCount + " of 200");
        } finally {
            threads.shutdownNow();
        }
    }
}
