package io.github.portreservation.linux;

import io.github.portreservation.testing.Descriptors;
import io.github.portreservation.PortBinding;
import io.github.portreservation.PortRange;
import io.github.portreservation.PortReservationException;
import io.github.portreservation.PortReservationException.Reason;
import io.github.portreservation.Protocol;
import io.github.portreservation.ReservableSocket;
import io.github.portreservation.ReservationToken;
import io.github.portreservation.RuntimeReservation;
import io.github.portreservation.testing.ExternalProcess;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledOnOs;
import org.junit.jupiter.api.condition.OS;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.channels.DatagramChannel;
import java.nio.channels.ServerSocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.util.Set;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Each bad bind request fails with its reason, names the value, and leaves the socket unbound and state unchanged. */
@EnabledOnOs(OS.LINUX)
class BindValidationTest {
    private static final InetAddress LOOPBACK = InetAddress.getLoopbackAddress();
    private final LinuxPortReservationProvider provider = LinuxPortReservationProvider.create();
    private RuntimeReservation reservation;
    private ServerSocketChannel socket;

    @BeforeEach
    void setUp() throws Exception {
        reservation = provider.acquire(Protocol.TCP, 4);
        socket = ServerSocketChannel.open();
    }

    @AfterEach
    void tearDown() throws Exception {
        socket.close();
        reservation.close();
    }

    enum BadRequest {
        PORT_BELOW_BLOCK(Reason.OUTSIDE_RESERVATION),
        PORT_ABOVE_BLOCK(Reason.OUTSIDE_RESERVATION),
        UNRESOLVED_ADDRESS(Reason.INVALID_ARGUMENT),
        WRONG_PROTOCOL(Reason.INVALID_ARGUMENT),
        UNKNOWN_TOKEN(Reason.UNKNOWN_TOKEN),
        PORT_USED_BY_OUR_SOCKET(Reason.IN_USE),
        CLOSED_SOCKET(Reason.CLOSED);

        final Reason reason;

        BadRequest(Reason reason) {
            this.reason = reason;
        }
    }

    @ParameterizedTest
    @EnumSource(BadRequest.class)
    void badRequestIsRefusedWithItsReasonAndChangesNothing(BadRequest bad) throws Exception {
        PortRange range = reservation.range();
        ServerSocketChannel holder = null;
        if (bad == BadRequest.PORT_USED_BY_OUR_SOCKET) {
            holder = ServerSocketChannel.open();
            reservation.bind(ReservableSocket.of(holder, 0), new InetSocketAddress(LOOPBACK, range.start()));
        }
        int availableBefore = reservation.availablePorts();
        int boundBefore = reservation.boundPorts();
        Set<String> fdsBefore = Descriptors.snapshot();
        String named;
        PortReservationException e;
        switch (bad) {
            case PORT_BELOW_BLOCK:
                named = "port " + (range.start() - 1);
                e = assertThrows(PortReservationException.class, () -> reservation.bind(ReservableSocket.of(socket, 0),
                        new InetSocketAddress(LOOPBACK, range.start() - 1)));
                break;
            case PORT_ABOVE_BLOCK:
                named = "port " + (range.end() + 1);
                e = assertThrows(PortReservationException.class, () -> provider.bind(reservation.token(),
                        ReservableSocket.of(socket, 0), new InetSocketAddress(LOOPBACK, range.end() + 1)));
                break;
            case UNRESOLVED_ADDRESS:
                named = "no-such-host.invalid";
                e = assertThrows(PortReservationException.class, () -> reservation.bind(ReservableSocket.of(socket, 0),
                        InetSocketAddress.createUnresolved("no-such-host.invalid", 0)));
                break;
            case WRONG_PROTOCOL:
                named = "UDP socket";
                try (DatagramChannel udp = DatagramChannel.open()) {
                    e = assertThrows(PortReservationException.class,
                            () -> reservation.bind(ReservableSocket.of(udp), null));
                    assertEquals(null, udp.getLocalAddress());
                }
                break;
            case UNKNOWN_TOKEN:
                named = "0x1234";
                e = assertThrows(PortReservationException.class, () -> provider.bind(ReservationToken.of(0x1234),
                        ReservableSocket.of(socket, 0), null));
                break;
            case PORT_USED_BY_OUR_SOCKET:
                named = "port " + range.start();
                e = assertThrows(PortReservationException.class, () -> reservation.bind(ReservableSocket.of(socket, 0),
                        new InetSocketAddress(LOOPBACK, range.start())));
                break;
            case CLOSED_SOCKET:
                named = "closed";
                ServerSocketChannel closed = ServerSocketChannel.open();
                closed.close();
                e = assertThrows(PortReservationException.class, () -> reservation.bind(ReservableSocket.of(closed, 0),
                        new InetSocketAddress(LOOPBACK, 0)));
                break;
            default:
                throw new AssertionError(bad);
        }
        assertEquals(bad.reason, e.reason(), e.getMessage());
        assertTrue(e.getMessage().contains(named), e.getMessage());
        assertEquals(null, socket.getLocalAddress(), "the socket must stay unbound");
        assertEquals(availableBefore, reservation.availablePorts());
        assertEquals(boundBefore, reservation.boundPorts());
        Descriptors.assertNoneOpenedSince(fdsBefore, "descriptors after a refused bind");
        if (holder != null) {
            holder.close();
        }
    }

    @Test
    void portOfASocketClosedWithoutItsBindingIsReclaimed() throws Exception {
        PortBinding b = reservation.bind(ReservableSocket.of(socket, 0), new InetSocketAddress(LOOPBACK,
                reservation.range().start()));
        socket.close(); // the binding is never closed: the reservation notices the socket is gone
        try (ServerSocketChannel again = ServerSocketChannel.open()) {
            PortBinding b2 = reservation.bind(ReservableSocket.of(again, 0), new InetSocketAddress(LOOPBACK, b.port()));
            assertEquals(b.port(), b2.port());
        }
    }

    @Test
    void returnedPortsAreReusedLast() throws Exception {
        PortBinding first = reservation.bind(ReservableSocket.of(socket, 0), new InetSocketAddress(LOOPBACK, 0));
        socket.close();
        first.close();
        try (ServerSocketChannel next = ServerSocketChannel.open()) {
            PortBinding second = reservation.bind(ReservableSocket.of(next, 0), new InetSocketAddress(LOOPBACK, 0));
            assertNotEquals(first.port(), second.port(), "a returned port goes to the back of the queue");
        }
    }

    @Test
    void persistentBlockSkipsAPortAnotherProcessTookAndKeepsTrack(@TempDir Path dir) throws Exception {
        // a probe reservation finds two free ports; the "persistent" list is a test file (no host change)
        PortRange range;
        try (RuntimeReservation probe = provider.acquire(Protocol.TCP, 2)) {
            range = probe.range();
        }
        Path file = dir.resolve("reserved");
        Files.write(file, "".getBytes(StandardCharsets.US_ASCII));
        LinuxPortReservationProvider p = LinuxPortReservationProvider.create(file);
        ReservationToken token = p.createPersistent(Protocol.TCP, range);
        try (ServerSocketChannel squatter = ServerSocketChannel.open();
             ServerSocketChannel ours = ServerSocketChannel.open();
             ServerSocketChannel third = ServerSocketChannel.open()) {
            squatter.bind(new InetSocketAddress(range.start()));
            PortReservationException taken = assertThrows(PortReservationException.class,
                    () -> p.bind(token, ReservableSocket.of(third, 0), new InetSocketAddress(range.start())));
            assertEquals(Reason.IN_USE, taken.reason());
            assertEquals("EADDRINUSE", taken.nativeName());
            PortBinding b = p.bind(token, ReservableSocket.of(ours, 0), new InetSocketAddress(LOOPBACK, 0));
            assertEquals(range.end(), b.port(), "port 0 skips the port another process holds");
            PortReservationException none = assertThrows(PortReservationException.class,
                    () -> p.bind(token, ReservableSocket.of(third, 0), new InetSocketAddress(LOOPBACK, 0)));
            assertFalse(third.socket().isBound());
            assertTrue(none.reason() == Reason.IN_USE || none.reason() == Reason.EXHAUSTED, none.getMessage());
        }
        p.deletePersistent(Protocol.TCP, range);
        try (ServerSocketChannel late = ServerSocketChannel.open()) {
            PortReservationException gone = assertThrows(PortReservationException.class,
                    () -> p.bind(token, ReservableSocket.of(late, 0), null));
            assertEquals(Reason.NOT_FOUND, gone.reason());
        }
    }
}
