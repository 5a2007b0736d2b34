package io.github.portreservation.windows;

import io.github.portreservation.PortBinding;
import io.github.portreservation.PortRange;
import io.github.portreservation.PortReservationException;
import io.github.portreservation.PortReservationException.Reason;
import io.github.portreservation.Protocol;
import io.github.portreservation.ReservableSocket;
import io.github.portreservation.ReservationToken;
import io.github.portreservation.RuntimeReservation;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledOnOs;
import org.junit.jupiter.api.condition.OS;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.channels.DatagramChannel;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * The provider on real Windows (the only tests that observe Windows itself; run by .github/workflows/windows.yml on
 * windows-latest). Never run on the project's Linux machines. Persistent tests need an elevated administrator and
 * are skipped otherwise.
 */
@EnabledOnOs(OS.WINDOWS)
class WindowsRealReservationTest {
    private static final InetAddress LOOPBACK = InetAddress.getLoopbackAddress();

    private WindowsPortReservationProvider provider;

    @BeforeEach
    void setUp() {
        assertNull(WindowsPortReservationProvider.unavailabilityCause(),
                "this Windows should support port reservations");
        provider = WindowsPortReservationProvider.create();
    }

    @Test
    void tcpRuntimeReservationBindsPortZeroAndAnExplicitPortInsideTheBlock() throws IOException {
        try (RuntimeReservation reservation = provider.acquire(Protocol.TCP, 8);
             ServerSocketChannel any = ServerSocketChannel.open();
             ServerSocketChannel explicit = ServerSocketChannel.open()) {
            PortRange range = reservation.range();
            PortBinding first = reservation.bind(ReservableSocket.of(any, 0), new InetSocketAddress(LOOPBACK, 0));
            assertTrue(range.contains(first.port()), first + " outside " + range);
            int wanted = first.port() == range.end() ? range.start() : range.end();
            PortBinding second = reservation.bind(ReservableSocket.of(explicit, 0),
                    new InetSocketAddress(LOOPBACK, wanted));
            assertEquals(wanted, second.port());
            assertEquals(2, reservation.boundPorts());
            try (SocketChannel peer = SocketChannel.open(first.localAddress())) {
                assertTrue(peer.isConnected());
            }
        }
    }

    @Test
    void specificBlockCanBeAcquiredAgainAfterRelease() throws IOException {
        PortRange range;
        try (RuntimeReservation any = provider.acquire(Protocol.TCP, 4)) {
            range = any.range();
        }
        try (RuntimeReservation reservation = provider.acquire(Protocol.TCP, range);
             SocketChannel client = SocketChannel.open()) {
            assertEquals(range, reservation.range());
            PortBinding binding = reservation.bind(ReservableSocket.of(client), new InetSocketAddress(LOOPBACK, 0));
            assertTrue(range.contains(binding.port()));
        }
    }

    @Test
    void reservedPortsAreRefusedToSocketsWithoutTheToken() throws IOException {
        try (RuntimeReservation reservation = provider.acquire(Protocol.TCP, 2);
             ServerSocketChannel outsider = ServerSocketChannel.open()) {
            boolean refused;
            try {
                outsider.bind(new InetSocketAddress(LOOPBACK, reservation.range().start()));
                refused = false;
            } catch (IOException expected) {
                refused = true;
            }
            assertTrue(refused, "a socket without the token bound a reserved port");
        }
    }

    @Test
    void udpRuntimeReservationReceivesDatagrams() throws IOException {
        try (RuntimeReservation reservation = provider.acquire(Protocol.UDP, 4);
             DatagramChannel receiver = DatagramChannel.open()) {
            PortBinding binding = reservation.bind(ReservableSocket.of(receiver), new InetSocketAddress(LOOPBACK, 0));
            assertTrue(reservation.range().contains(binding.port()));
            LoopbackChecks.assertDatagramArrives(receiver, binding.localAddress());
        }
    }

    @Test
    void closeReleasesTheBlock() throws IOException {
        RuntimeReservation reservation = provider.acquire(Protocol.TCP, 4);
        PortRange range = reservation.range();
        reservation.close();
        assertFalse(reservation.isOpen());
        try (RuntimeReservation again = provider.acquire(Protocol.TCP, range)) {
            assertEquals(range, again.range());
        }
    }

    @Test
    void persistentReservationCreateBindLookupDeleteWhenElevated() throws IOException {
        PortRange range;
        try (RuntimeReservation any = provider.acquire(Protocol.TCP, 4)) {
            range = any.range();
        }
        ReservationToken token;
        try {
            token = provider.createPersistent(Protocol.TCP, range);
        } catch (PortReservationException e) {
            assumeTrue(e.reason() != Reason.ACCESS_DENIED, "not elevated: " + e.getMessage());
            throw e;
        }
        try (ServerSocketChannel server = ServerSocketChannel.open()) {
            assertEquals(token, provider.lookupPersistent(Protocol.TCP, range).orElseThrow());
            PortBinding binding = provider.bind(token, ReservableSocket.of(server, 0),
                    new InetSocketAddress(LOOPBACK, 0));
            assertTrue(range.contains(binding.port()));
        } finally {
            provider.deletePersistent(Protocol.TCP, range);
        }
        assertTrue(provider.lookupPersistent(Protocol.TCP, range).isEmpty());
    }
}
