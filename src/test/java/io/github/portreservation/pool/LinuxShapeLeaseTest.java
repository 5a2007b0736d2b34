package io.github.portreservation.pool;

import io.github.portreservation.PortBinding;
import io.github.portreservation.PortRange;
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
import java.nio.ByteBuffer;
import java.nio.channels.DatagramChannel;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;

import static io.github.portreservation.testing.HeldPorts.assertHeld;
import static io.github.portreservation.testing.HeldPorts.assertUdpHeld;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Shape leases on the real Linux provider: placeholder-held pairs and numbers held for TCP and UDP, real sockets. */
@EnabledOnOs(OS.LINUX)
@RequiresProvider(PortReservations.LINUX)
class LinuxShapeLeaseTest {
    private static final InetAddress LOOPBACK = InetAddress.getLoopbackAddress();
    private static PortReservationProvider provider;

    @BeforeAll
    static void warmUp() throws Exception {
        provider = LinuxPools.provider();
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
        ReservationPool pool = ReservationPool.builder(provider, Protocol.UDP).blockSize(9).maxBlocks(1).build();
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
        pool.close();
        pool.terminationFuture().get(5, TimeUnit.SECONDS);
        Descriptors.awaitNoneOpenedSince(baseline);
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
        pool.close();
        pool.terminationFuture().get(5, TimeUnit.SECONDS);
        Descriptors.awaitNoneOpenedSince(baseline);
    }
}
