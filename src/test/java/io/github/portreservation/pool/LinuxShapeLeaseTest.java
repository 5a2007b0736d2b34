package io.github.portreservation.pool;

import io.github.portreservation.PortBinding;
import io.github.portreservation.PortRange;
import io.github.portreservation.PortReservationException;
import io.github.portreservation.PortReservationException.Reason;
import io.github.portreservation.PortReservationProvider;
import io.github.portreservation.PortReservations;
import io.github.portreservation.Protocol;
import io.github.portreservation.ReservableSocket;
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
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;

import static io.github.portreservation.pool.LinuxPools.V6;
import static io.github.portreservation.pool.LinuxPools.ipv6LoopbackWorks;
import static io.github.portreservation.pool.LinuxPools.assertCounts;
import static io.github.portreservation.pool.LinuxPools.expect;
import static io.github.portreservation.testing.HeldPorts.assertHeld;
import static io.github.portreservation.testing.HeldPorts.assertUdpHeld;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * Shape leases on the real Linux provider: placeholder-held pairs and numbers held for TCP and UDP, real sockets;
 * several sockets on one port of a pair (127.0.0.1 and ::1, an SO_REUSEPORT pair), the refusals of the reservation's
 * rules, the ports coming back after the last socket, another process refused all along.
 */
@EnabledOnOs(OS.LINUX)
@RequiresProvider(PortReservations.LINUX)
class LinuxShapeLeaseTest {
    private static final InetAddress LOOPBACK = InetAddress.getLoopbackAddress();
    private static PortReservationProvider provider;

    @BeforeAll
    static void warmUp() throws Exception {
        provider = LinuxPools.provider();
        // The JDK keeps /dev/random and /dev/urandom open once a SecureRandom is made (the other process's output
        // file): open them before any descriptor snapshot.
        new SecureRandom().nextInt();
        // Load every class once, so that descriptor snapshots compare like with like.
        ReservationPool pool = ReservationPool.builder(provider, Protocol.TCP, Protocol.UDP).blockSize(3).build();
        try (ShapeLease pair = pool.lease(PortShape.rtpPair());
             DatagramChannel a = DatagramChannel.open(); ServerSocketChannel b = ServerSocketChannel.open()) {
            pair.bind(ReservableSocket.of(a), new InetSocketAddress(LOOPBACK, 0));
            pair.bind(ReservableSocket.of(b, 0), new InetSocketAddress(LOOPBACK, 0));
        }
        pool.close();
        pool.terminationFuture().get(5, TimeUnit.SECONDS);
    }

    /** A UDP pool of one block of 9 ports: 4 RTP pairs, whatever port the block starts at. */
    private static ReservationPool pairPool() {
        return ReservationPool.builder(provider, Protocol.UDP).blockSize(9).maxBlocks(1).build();
    }

    /** Closes {@code pool}, waits for its end and for every descriptor opened since {@code baseline} to be closed. */
    private static void closeAll(ReservationPool pool, Set<String> baseline) throws Exception {
        pool.close();
        pool.terminationFuture().get(5, TimeUnit.SECONDS);
        Descriptors.awaitNoneOpenedSince(baseline);
    }

    private static int send(DatagramChannel from, int toPort, byte b) throws Exception {
        from.send(ByteBuffer.wrap(new byte[] {b}), new InetSocketAddress(LOOPBACK, toPort));
        return toPort;
    }

    private static byte receive(DatagramChannel at) throws Exception {
        ByteBuffer in = ByteBuffer.allocate(4);
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
        at.configureBlocking(false);
        while (at.receive(in) == null) {
            assertTrue(System.nanoTime() < deadline, "no datagram on " + at.getLocalAddress());
            Thread.sleep(1);
        }
        return in.get(0);
    }

    @Test
    void anRtpPairIsHeldAsTwoConsecutivePortsFromAnEvenOneAndCarriesDatagrams() throws Exception {
        Set<String> baseline = Descriptors.snapshot();
        ReservationPool pool = pairPool();
        ShapeLease pair = pool.lease(PortShape.rtpPair());
        int rtpPort = pair.ports().start();
        assertEquals(0, rtpPort % 2, "RTP on an even port: " + pair);
        assertTrue(pair.blockRange().contains(pair.ports()));
        try (DatagramChannel rtp = DatagramChannel.open(); DatagramChannel rtcp = DatagramChannel.open();
             DatagramChannel peer = DatagramChannel.open()) {
            PortBinding rtpBinding = pair.bind(ReservableSocket.of(rtp), new InetSocketAddress(LOOPBACK, 0));
            PortBinding rtcpBinding = pair.bind(ReservableSocket.of(rtcp), new InetSocketAddress(LOOPBACK, 0));
            assertEquals(rtpPort, ((InetSocketAddress) rtp.getLocalAddress()).getPort());
            assertEquals(rtpPort + 1, ((InetSocketAddress) rtcp.getLocalAddress()).getPort());
            assertUdpHeld(rtpPort);
            assertUdpHeld(rtpPort + 1);
            peer.bind(new InetSocketAddress(LOOPBACK, 0));
            send(peer, rtpPort, (byte) 1);
            send(peer, rtpPort + 1, (byte) 2);
            assertEquals(1, receive(rtp));
            assertEquals(2, receive(rtcp));
            rtp.close();
            rtcp.close();
            rtpBinding.close();
            rtcpBinding.close();
        }
        assertEquals(2, pool.statistics().leased(), "the lease still holds both ports");
        pair.close();
        assertEquals(0, pool.statistics().leased());
        assertUdpHeld(rtpPort); // the pool's block still holds them
        closeAll(pool, baseline);
    }

    @Test
    void theRtpPortOfAPairCarriesAUdpSocketOnIpv4AndOneOnIpv6LoopbackAndComesBackAfterBoth() throws Exception {
        assumeTrue(ipv6LoopbackWorks(), "no IPv6 loopback (::1) here");
        Set<String> baseline = Descriptors.snapshot();
        ReservationPool pool = pairPool();
        ShapeLease pair = pool.lease(PortShape.rtpPair());
        int rtpPort = pair.ports().start();
        try (DatagramChannel v4 = DatagramChannel.open(); DatagramChannel v6 = DatagramChannel.open();
             DatagramChannel rtcp = DatagramChannel.open(); DatagramChannel peer4 = DatagramChannel.open();
             DatagramChannel peer6 = DatagramChannel.open()) {
            PortBinding v4Binding = pair.bind(ReservableSocket.of(v4), new InetSocketAddress(LOOPBACK, 0));
            PortBinding v6Binding = pair.bind(ReservableSocket.of(v6), new InetSocketAddress(V6, rtpPort));
            PortBinding rtcpBinding = pair.bind(ReservableSocket.of(rtcp), new InetSocketAddress(LOOPBACK, 0));
            assertEquals(new InetSocketAddress(LOOPBACK, rtpPort), v4.getLocalAddress());
            assertEquals(new InetSocketAddress(V6, rtpPort), v6.getLocalAddress());
            assertEquals(new InetSocketAddress(V6, rtpPort), v6Binding.localAddress());
            assertEquals(rtpPort + 1, rtcpBinding.port(), "port 0: the lowest port without a UDP socket");
            assertEquals("ShapeLease[" + pair.ports() + " of " + pair.blockRange() + ", [UDP], 3 sockets]",
                    pair.toString());
            assertCounts(pool, 2, 6, "one pair, three sockets");
            peer4.bind(new InetSocketAddress(LOOPBACK, 0));
            peer6.bind(new InetSocketAddress(V6, 0));
            peer4.send(ByteBuffer.wrap(new byte[] {4}), new InetSocketAddress(LOOPBACK, rtpPort));
            peer6.send(ByteBuffer.wrap(new byte[] {6}), new InetSocketAddress(V6, rtpPort));
            assertEquals(4, receive(v4));
            assertEquals(6, receive(v6));
            OtherProcessBinds.assertRefused(Protocol.UDP, rtpPort);

            pair.close(); // first: the lease waits for its sockets
            v4.close();
            v4Binding.close();
            rtcp.close();
            rtcpBinding.close();
            assertCounts(pool, 2, 6, "the ::1 socket still holds the RTP port, and the pair with it");
            OtherProcessBinds.assertRefused(Protocol.UDP, rtpPort);
            v6.close();
            v6Binding.close();
            assertCounts(pool, 0, 8, "the last socket and the lease are gone: both ports are back");
        }
        assertUdpHeld(rtpPort); // the pool's block still holds them
        closeAll(pool, baseline);
    }

    @Test
    void twoSocketsShareOneAddressOnAPortOfThePairOnlyWhenBothAskedForSoReusePort() throws Exception {
        Set<String> baseline = Descriptors.snapshot();
        ReservationPool pool = pairPool();
        ShapeLease pair = pool.lease(PortShape.rtpPair());
        int rtpPort = pair.ports().start();
        try (DatagramChannel plain = DatagramChannel.open(); DatagramChannel asking = DatagramChannel.open();
             DatagramChannel group1 = DatagramChannel.open(); DatagramChannel group2 = DatagramChannel.open()) {
            PortBinding plainBinding = pair.bind(ReservableSocket.of(plain), new InetSocketAddress(LOOPBACK, 0));
            assertEquals(rtpPort, plainBinding.port());
            asking.setOption(StandardSocketOptions.SO_REUSEPORT, true);
            PortReservationException refused = expect(Reason.IN_USE,
                    () -> pair.bind(ReservableSocket.of(asking), new InetSocketAddress(LOOPBACK, rtpPort)));
            assertTrue(refused.getMessage().startsWith("IN_USE: port " + rtpPort + " of the lease of ports "
                    + pair.ports() + " cannot carry UDP " + asking + " on 127.0.0.1 beside its UDP socket UDP "
                    + plain + "; its reservation refused it: IN_USE: port " + rtpPort + " of the runtime UDP "
                    + "reservation "), refused.getMessage());
            assertTrue(refused.getMessage().contains("when both asked to share it"), refused.getMessage());
            assertTrue(refused.getMessage().endsWith("; bind it to another port of the lease, or where its "
                    + "reservation allows a second socket (Linux: an address that overlaps none on the port, or one "
                    + "whose sockets all asked to share it)"), refused.getMessage());
            assertNull(asking.getLocalAddress(), "a refused join leaves the socket unbound");
            assertTrue(pair.isActive());
            assertFalse(pair.isQuarantined());
            assertCounts(pool, 2, 6, "a refused join changes no count");

            group1.setOption(StandardSocketOptions.SO_REUSEPORT, true);
            group2.setOption(StandardSocketOptions.SO_REUSEPORT, true);
            PortBinding first = pair.bind(ReservableSocket.of(group1), new InetSocketAddress(LOOPBACK, 0));
            assertEquals(rtpPort + 1, first.port());
            PortBinding second = pair.bind(ReservableSocket.of(group2), new InetSocketAddress(LOOPBACK, rtpPort + 1));
            assertEquals(new InetSocketAddress(LOOPBACK, rtpPort + 1), group2.getLocalAddress());
            assertEquals("ShapeLease[" + pair.ports() + " of " + pair.blockRange() + ", [UDP], 3 sockets]",
                    pair.toString());
            assertCounts(pool, 2, 6, "an SO_REUSEPORT pair on the RTCP port");
            OtherProcessBinds.assertRefused(Protocol.UDP, rtpPort + 1);

            plain.close();
            plainBinding.close();
            group1.close();
            first.close();
            pair.close();
            assertCounts(pool, 2, 6, "the second socket of the group still holds the RTCP port");
            group2.close();
            second.close();
            assertCounts(pool, 0, 8, "all gone: back");
        }
        closeAll(pool, baseline);
    }

    @Test
    void aPoolOfBothProtocolsHoldsEveryNumberForTcpAndUdpAndBindsOneSocketOfEach() throws Exception {
        Set<String> baseline = Descriptors.snapshot();
        ReservationPool pool = ReservationPool.builder(provider, Protocol.TCP, Protocol.UDP).blockSize(4).build();
        ShapeLease number = pool.lease(PortShape.single());
        PortRange block = number.blockRange();
        assertEquals(List.of(block), pool.blockRanges());
        for (int p = block.start(); p <= block.end(); p++) {
            assertHeld(p);
            assertUdpHeld(p);
        }
        Set<String> opened = Descriptors.socketsOpenedSince(baseline);
        assertEquals(8, opened.size(), "a TCP and a UDP placeholder per port: " + opened);
        int port = number.ports().start();
        try (ServerSocketChannel server = ServerSocketChannel.open(); DatagramChannel udp = DatagramChannel.open();
             DatagramChannel peer = DatagramChannel.open()) {
            PortBinding tcpBinding = number.bind(ReservableSocket.of(server, 0), new InetSocketAddress(LOOPBACK, 0));
            PortBinding udpBinding = number.bind(ReservableSocket.of(udp), new InetSocketAddress(LOOPBACK, 0));
            assertEquals(port, tcpBinding.port());
            assertEquals(port, udpBinding.port());
            try (SocketChannel client = SocketChannel.open(new InetSocketAddress(LOOPBACK, port));
                 SocketChannel accepted = server.accept()) {
                client.write(ByteBuffer.wrap(new byte[] {7}));
                ByteBuffer in = ByteBuffer.allocate(1);
                assertEquals(1, accepted.read(in));
            }
            peer.bind(new InetSocketAddress(LOOPBACK, 0));
            send(peer, port, (byte) 3);
            assertEquals(3, receive(udp));
            number.close(); // before its sockets: the number stays leased until they are gone
            assertEquals(1, pool.statistics().leased());
        }
        assertEquals(0, pool.statistics().leased(), "both sockets are gone");
        closeAll(pool, baseline);
    }
}
