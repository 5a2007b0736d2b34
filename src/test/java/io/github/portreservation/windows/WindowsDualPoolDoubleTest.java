package io.github.portreservation.windows;

import io.github.portreservation.PortBinding;
import io.github.portreservation.PortRange;
import io.github.portreservation.Protocol;
import io.github.portreservation.ReservableSocket;
import io.github.portreservation.pool.PortShape;
import io.github.portreservation.pool.ReservationPool;
import io.github.portreservation.pool.ShapeLease;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.channels.DatagramChannel;
import java.nio.channels.ServerSocketChannel;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * A pool of both protocols and a pair lease over the Windows provider, through the native double of the Windows API
 * (not observed on Windows): each block is a TCP and a UDP reservation of the same ports, a block whose ports are
 * excluded for UDP is passed over, and a TCP server and a UDP socket bind one number of a lease.
 */
class WindowsDualPoolDoubleTest {
    private static final InetAddress LOOPBACK = InetAddress.getLoopbackAddress();
    private static final int UDP = 2;

    private NativeDouble.Control control;
    private WindowsPortReservationProvider provider;

    @BeforeEach
    void setUp() {
        NativeDouble.assumeAvailable();
        control = NativeDouble.control();
        provider = WindowsPortReservationProvider.create(NativeDouble.natives());
    }

    @Test
    void eachBlockIsReservedForBothProtocolsAndABlockExcludedForUdpIsPassedOver() throws Exception {
        PortRange window = FreePorts.block(16);
        control.double_set_dynamic_window(window.start(), window.end());
        control.double_add_excluded_range(UDP, window.start() + 1, 1); // inside the first block Windows offers
        ReservationPool pool = ReservationPool.builder(provider, Protocol.TCP, Protocol.UDP).blockSize(4).build();
        ShapeLease number = pool.lease(PortShape.single());
        assertEquals(List.of(PortRange.of(window.start() + 4, 4)), pool.blockRanges());
        assertEquals(2, control.double_runtime_reservations(), "the TCP block passed over was released");
        int port = number.ports().start();
        try (ServerSocketChannel server = ServerSocketChannel.open(); DatagramChannel udp = DatagramChannel.open()) {
            PortBinding tcpBinding = number.bind(new DoubleSocket(ReservableSocket.of(server, 0), control),
                    new InetSocketAddress(LOOPBACK, 0));
            PortBinding udpBinding = number.bind(new DoubleSocket(ReservableSocket.of(udp), control),
                    new InetSocketAddress(LOOPBACK, 0));
            assertEquals(port, tcpBinding.port());
            assertEquals(port, udpBinding.port());
            assertEquals(port, ((InetSocketAddress) server.getLocalAddress()).getPort());
            assertEquals(port, ((InetSocketAddress) udp.getLocalAddress()).getPort());
            LoopbackChecks.assertDatagramArrives(udp, udpBinding.localAddress());
        }
        number.close();
        assertEquals(0, pool.statistics().leased());
        pool.close();
        pool.terminationFuture().get(5, TimeUnit.SECONDS);
        assertEquals(0, control.double_runtime_reservations());
    }

    @Test
    void anRtpPairOfAUdpPoolBindsItsEvenPortAndTheNextOne() throws Exception {
        PortRange window = FreePorts.block(8);
        control.double_set_dynamic_window(window.start(), window.end());
        ReservationPool pool = ReservationPool.builder(provider, Protocol.UDP).blockSize(5).build();
        ShapeLease pair = pool.lease(PortShape.rtpPair());
        assertEquals(0, pair.ports().start() % 2);
        try (DatagramChannel rtp = DatagramChannel.open(); DatagramChannel rtcp = DatagramChannel.open()) {
            assertEquals(pair.ports().start(), pair.bind(new DoubleSocket(ReservableSocket.of(rtp), control),
                    new InetSocketAddress(LOOPBACK, 0)).port());
            assertEquals(pair.ports().end(), pair.bind(new DoubleSocket(ReservableSocket.of(rtcp), control),
                    new InetSocketAddress(LOOPBACK, 0)).port());
            assertEquals(pair.ports().end(), ((InetSocketAddress) rtcp.getLocalAddress()).getPort());
        }
        pair.close();
        pool.close();
        pool.terminationFuture().get(5, TimeUnit.SECONDS);
        assertEquals(0, control.double_runtime_reservations());
    }
}
