package io.github.portreservation.linux;

import io.github.portreservation.PortBinding;
import io.github.portreservation.PortRange;
import io.github.portreservation.PortReservationException;
import io.github.portreservation.PortReservationException.Reason;
import io.github.portreservation.Protocol;
import io.github.portreservation.ReservableSocket;
import io.github.portreservation.RuntimeReservation;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledOnOs;
import org.junit.jupiter.api.condition.OS;
import org.junit.jupiter.api.function.Executable;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.channels.DatagramChannel;
import java.nio.channels.NetworkChannel;
import java.nio.channels.ServerSocketChannel;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A {@link PortBinding} closed while its socket is still open (issue [holding], point 6): the port stays held by that
 * socket, so no second socket of the process joins it in one SO_REUSEPORT group; it comes back once the socket is
 * closed.
 */
@EnabledOnOs(OS.LINUX)
class EarlyBindingCloseTest {
    private static final InetAddress LOOPBACK = InetAddress.getLoopbackAddress();
    private final LinuxPortReservationProvider provider = LinuxPortReservationProvider.create();
    private final List<NetworkChannel> channels = new ArrayList<>();
    private RuntimeReservation reservation;

    @AfterEach
    void tearDown() throws IOException {
        for (NetworkChannel c : channels) {
            c.close();
        }
        if (reservation != null) {
            reservation.close();
        }
    }

    private NetworkChannel open(Protocol protocol) throws IOException {
        NetworkChannel c = protocol == Protocol.TCP ? ServerSocketChannel.open() : DatagramChannel.open();
        channels.add(c);
        return c;
    }

    private static ReservableSocket socket(NetworkChannel c) {
        return c instanceof ServerSocketChannel ? ReservableSocket.of((ServerSocketChannel) c, 0)
                : ReservableSocket.of((DatagramChannel) c);
    }

    private static PortReservationException fails(Reason reason, Executable call) {
        PortReservationException e = assertThrows(PortReservationException.class, call);
        assertEquals(reason, e.reason(), e.getMessage());
        return e;
    }

    @ParameterizedTest
    @EnumSource(Protocol.class)
    void portOfABindingClosedBeforeItsSocketIsNotHandedOutUntilTheSocketCloses(Protocol protocol) throws Exception {
        reservation = provider.acquire(protocol, 2);
        PortRange range = reservation.range();
        NetworkChannel first = open(protocol);
        ReservableSocket firstSocket = socket(first);
        PortBinding early = reservation.bind(firstSocket, new InetSocketAddress(LOOPBACK, range.start()));
        early.close(); // before its socket: the mistake of point 6
        assertFalse(early.isActive());
        assertEquals(1, reservation.availablePorts(), "the port stays held by the open socket");
        assertEquals(1, reservation.boundPorts());

        NetworkChannel second = open(protocol);
        PortReservationException explicit = fails(Reason.IN_USE,
                () -> reservation.bind(socket(second), new InetSocketAddress(LOOPBACK, range.start())));
        assertTrue(explicit.getMessage().contains("port " + range.start() + " of the runtime " + protocol), explicit
                .getMessage());
        assertTrue(explicit.getMessage().contains("is still used by " + firstSocket + ", whose PortBinding was closed "
                + "before the socket"), explicit.getMessage());
        assertTrue(explicit.getMessage().contains("close that socket first, or request port 0"), explicit.getMessage());
        assertNull(second.getLocalAddress(), "refused before any bind");

        PortBinding other = reservation.bind(socket(second), new InetSocketAddress(LOOPBACK, 0));
        assertEquals(range.end(), other.port(), "port 0 skips the port the open socket holds");

        NetworkChannel third = open(protocol);
        PortReservationException full = fails(Reason.EXHAUSTED,
                () -> reservation.bind(socket(third), new InetSocketAddress(LOOPBACK, 0)));
        assertTrue(full.getMessage().contains("all 2 ports"), full.getMessage());
        assertTrue(full.getMessage().contains("1 of them by sockets that are still open though their PortBinding was "
                + "closed"), full.getMessage());
        assertNull(third.getLocalAddress());

        first.close(); // now the port comes back (found on the exhausted path)
        PortBinding again = reservation.bind(socket(third), new InetSocketAddress(LOOPBACK, 0));
        assertEquals(range.start(), again.port());
        assertEquals(0, reservation.availablePorts());
        assertEquals(2, reservation.boundPorts());
        early.close(); // idempotent: must not free the port of the new binding
        assertEquals(2, reservation.boundPorts());
    }

    @Test
    void explicitRequestTakesThePortBackOnceTheSocketIsClosed() throws Exception {
        reservation = provider.acquire(Protocol.TCP, 3);
        PortRange range = reservation.range();
        NetworkChannel first = open(Protocol.TCP);
        PortBinding early = reservation.bind(socket(first), new InetSocketAddress(LOOPBACK, range.start() + 1));
        early.close();
        first.close();
        assertEquals(3, reservation.availablePorts(), "binding closed and socket gone: the port is free again");
        PortBinding again = reservation.bind(socket(open(Protocol.TCP)), new InetSocketAddress(LOOPBACK,
                range.start() + 1));
        assertEquals(range.start() + 1, again.port());
        assertEquals(1, reservation.boundPorts());
        assertEquals(2, reservation.availablePorts());
    }

    @Test
    void bindingClosedAfterItsSocketGivesThePortBackAtOnceToTheBackOfTheQueue() throws Exception {
        reservation = provider.acquire(Protocol.UDP, 3);
        PortRange range = reservation.range();
        NetworkChannel first = open(Protocol.UDP);
        PortBinding b = reservation.bind(socket(first), new InetSocketAddress(LOOPBACK, 0));
        assertEquals(range.start(), b.port());
        first.close();
        b.close();
        assertEquals(3, reservation.availablePorts());
        assertEquals(range.start() + 1, reservation.bind(socket(open(Protocol.UDP)), null).port());
        assertEquals(range.start() + 2, reservation.bind(socket(open(Protocol.UDP)), null).port());
        assertEquals(range.start(), reservation.bind(socket(open(Protocol.UDP)), null).port());
    }

    @Test
    void failedBindLeavesThePortFreeAlthoughItsSocketStaysOpen() throws Exception {
        reservation = provider.acquire(Protocol.TCP, 1);
        NetworkChannel socket = open(Protocol.TCP);
        // 192.0.2.1 (TEST-NET-1) is no address of this host: EADDRNOTAVAIL, and no packet is sent.
        PortReservationException e = fails(Reason.INVALID_ARGUMENT,
                () -> reservation.bind(socket(socket), new InetSocketAddress(InetAddress.getByName("192.0.2.1"), 0)));
        assertEquals("EADDRNOTAVAIL", e.nativeName());
        assertTrue(socket.isOpen());
        assertNull(socket.getLocalAddress());
        assertEquals(1, reservation.availablePorts(), "a socket that was never bound holds nothing");
        assertEquals(0, reservation.boundPorts());
        assertEquals(reservation.range().start(), reservation.bind(socket(socket), null).port());
    }
}
