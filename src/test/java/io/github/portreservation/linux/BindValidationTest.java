package io.github.portreservation.linux;

import io.github.portreservation.PortBinding;
import io.github.portreservation.PortRange;
import io.github.portreservation.PortReservationException;
import io.github.portreservation.PortReservationException.Reason;
import io.github.portreservation.Protocol;
import io.github.portreservation.ReservableSocket;
import io.github.portreservation.ReservationToken;
import io.github.portreservation.RuntimeReservation;
import io.github.portreservation.testing.Descriptors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledOnOs;
import org.junit.jupiter.api.condition.OS;
import org.junit.jupiter.api.function.Executable;
import org.junit.jupiter.api.io.TempDir;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.channels.DatagramChannel;
import java.nio.channels.ServerSocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
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

    /** The reservation's name in messages. */
    private String block() {
        return "the runtime TCP reservation " + reservation.token();
    }

    /**
     * Runs a bind that must be refused: it fails with {@code message} (which starts with the reason), the socket of
     * the test stays unbound, and the reservation's counts and this process's descriptors are unchanged.
     */
    private void assertRefused(String message, Executable bind) throws Exception {
        int availableBefore = reservation.availablePorts();
        int boundBefore = reservation.boundPorts();
        Set<String> fdsBefore = Descriptors.snapshot();
        PortReservationException e = assertThrows(PortReservationException.class, bind);
        assertEquals(message, e.getMessage());
        assertEquals(message.substring(0, message.indexOf(':')), e.reason().name());
        assertNull(socket.getLocalAddress(), "the socket must stay unbound");
        assertEquals(availableBefore, reservation.availablePorts(), "available ports");
        assertEquals(boundBefore, reservation.boundPorts(), "bound ports");
        Descriptors.assertNoneOpenedSince(fdsBefore, "descriptors after a refused bind");
    }

    private String outside(int port) {
        PortRange range = reservation.range();
        return "OUTSIDE_RESERVATION: port " + port + " is outside " + block() + " (ports " + range + "); request "
                + "port 0 for any free port of it, or a port in " + range;
    }

    @Test
    void aPortBelowTheBlockIsOutsideTheReservation() throws Exception {
        int below = reservation.range().start() - 1;
        assertRefused(outside(below), () -> reservation.bind(ReservableSocket.of(socket, 0),
                new InetSocketAddress(LOOPBACK, below)));
    }

    @Test
    void aPortAboveTheBlockIsOutsideTheReservationAlsoThroughTheProvider() throws Exception {
        int above = reservation.range().end() + 1;
        assertRefused(outside(above), () -> provider.bind(reservation.token(), ReservableSocket.of(socket, 0),
                new InetSocketAddress(LOOPBACK, above)));
    }

    @Test
    void anUnresolvedAddressIsAnInvalidArgument() throws Exception {
        assertRefused("INVALID_ARGUMENT: local address no-such-host.invalid/<unresolved>:0 is invalid: it is "
                + "unresolved; pass a resolved address such as new InetSocketAddress(\"127.0.0.1\", 0)",
                () -> reservation.bind(ReservableSocket.of(socket, 0),
                        InetSocketAddress.createUnresolved("no-such-host.invalid", 0)));
    }

    @Test
    void aSocketOfTheOtherProtocolIsAnInvalidArgument() throws Exception {
        try (DatagramChannel udp = DatagramChannel.open()) {
            ReservableSocket other = ReservableSocket.of(udp);
            assertRefused("INVALID_ARGUMENT: UDP socket " + other + " is invalid: " + block() + " binds TCP sockets "
                    + "only; bind TCP sockets from it, and use a UDP reservation or pool for the other",
                    () -> reservation.bind(other, null));
            assertNull(udp.getLocalAddress(), "the UDP socket stays unbound");
        }
    }

    @Test
    void anUnknownTokenIsNamed() throws Exception {
        assertRefused("UNKNOWN_TOKEN: ReservationToken[0x1234] names no open reservation of this process: runtime "
                + "tokens are valid only in the process that acquired them and until close(); use the token of an "
                + "open RuntimeReservation or of lookupPersistent()",
                () -> provider.bind(ReservationToken.of(0x1234), ReservableSocket.of(socket, 0), null));
    }

    @Test
    void aPortAnotherSocketOfThisProcessUsesIsInUse() throws Exception {
        int port = reservation.range().start();
        try (ServerSocketChannel holder = ServerSocketChannel.open()) {
            ReservableSocket held = ReservableSocket.of(holder, 0);
            reservation.bind(held, new InetSocketAddress(LOOPBACK, port));
            assertRefused("IN_USE: port " + port + " of " + block() + " is already used by " + held + " on 127.0.0.1:"
                    + port + " of this process; a second socket may use the port on an address that does not "
                    + "overlap, or when both asked to share it (SO_REUSEPORT, or SO_REUSEADDR for UDP); close that "
                    + "socket first, or request port 0 for any free port",
                    () -> reservation.bind(ReservableSocket.of(socket, 0), new InetSocketAddress(LOOPBACK, port)));
        }
    }

    @Test
    void aClosedSocketIsClosed() throws Exception {
        try (ServerSocketChannel closed = ServerSocketChannel.open()) {
            closed.close();
            ReservableSocket gone = ReservableSocket.of(closed, 0);
            assertRefused("CLOSED: socket " + gone + " is closed; bind an open socket from " + block(),
                    () -> reservation.bind(gone, new InetSocketAddress(LOOPBACK, 0)));
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
        PortRange range = reservation.range();
        PortBinding first = reservation.bind(ReservableSocket.of(socket, 0), new InetSocketAddress(LOOPBACK, 0));
        assertEquals(range.start(), first.port(), "port 0 takes the first port of a new block");
        socket.close();
        first.close(); // binding closed and socket gone: the port goes to the back of the queue
        List<Integer> next = new ArrayList<>();
        List<ServerSocketChannel> sockets = new ArrayList<>();
        try {
            for (int i = 0; i < range.count(); i++) {
                ServerSocketChannel s = ServerSocketChannel.open();
                sockets.add(s);
                next.add(reservation.bind(ReservableSocket.of(s, 0), new InetSocketAddress(LOOPBACK, 0)).port());
            }
        } finally {
            for (ServerSocketChannel s : sockets) {
                s.close();
            }
        }
        assertEquals(List.of(range.start() + 1, range.start() + 2, range.start() + 3, range.start()), next,
                "the returned port comes after every port that was never used");
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
            assertEquals(Reason.IN_USE, none.reason(), none.getMessage());
            assertEquals("EADDRINUSE", none.nativeName());
            assertTrue(none.getMessage().startsWith("IN_USE: cannot bind TCP port " + range.start() + " of the "),
                    "the one free port is the squatter's: " + none.getMessage());
        }
        p.deletePersistent(Protocol.TCP, range);
        try (ServerSocketChannel late = ServerSocketChannel.open()) {
            PortReservationException gone = assertThrows(PortReservationException.class,
                    () -> p.bind(token, ReservableSocket.of(late, 0), null));
            assertEquals(Reason.NOT_FOUND, gone.reason());
        }
    }
}
