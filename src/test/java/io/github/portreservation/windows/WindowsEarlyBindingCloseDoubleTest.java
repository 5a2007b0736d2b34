package io.github.portreservation.windows;

import io.github.portreservation.PortBinding;
import io.github.portreservation.PortRange;
import io.github.portreservation.PortReservationException;
import io.github.portreservation.PortReservationException.Reason;
import io.github.portreservation.Protocol;
import io.github.portreservation.ReservableSocket;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.channels.ServerSocketChannel;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Over the native double: a {@link PortBinding} of a Windows runtime reservation closed while its socket is still
 * open (issue [holding], point 6) leaves the port counted as the socket's, so requests are refused before any native
 * call, naming the socket, until the socket closes.
 */
class WindowsEarlyBindingCloseDoubleTest extends OverTheDouble {
    private ServerSocketChannel channel() throws IOException {
        return track(ServerSocketChannel.open());
    }

    private ReservableSocket socket(ServerSocketChannel c) {
        return new DoubleSocket(ReservableSocket.of(c, 0), control);
    }

    @Test
    void explicitRequestForThePortOfAnOpenSocketIsRefusedNamingItUntilItCloses() throws IOException {
        PortRange range = FreePorts.block(2);
        reservation = provider.acquire(Protocol.TCP, range);
        ServerSocketChannel first = channel();
        ReservableSocket firstSocket = socket(first);
        PortBinding early = reservation.bind(firstSocket, loopback(range.start()));
        early.close();
        assertFalse(early.isActive());
        assertEquals(1, reservation.boundPorts(), "the open socket still uses the port");
        assertEquals(1, reservation.availablePorts());

        int before = associateCalls();
        ServerSocketChannel second = channel();
        PortReservationException e = fails(Reason.IN_USE, () -> reservation.bind(socket(second),
                loopback(range.start())));
        assertTrue(e.getMessage().contains("port " + range.start() + " of " + reservation + " is still used by "
                + firstSocket + ", whose PortBinding was closed before the socket"), e.getMessage());
        assertTrue(e.getMessage().contains("close that socket first"), e.getMessage());
        assertEquals(before, associateCalls(), "refused before any native call");
        assertNull(second.getLocalAddress());

        first.close();
        PortBinding again = reservation.bind(socket(second), loopback(range.start()));
        assertEquals(range.start(), again.port());
        assertEquals(1, reservation.boundPorts());
        assertEquals(1, reservation.availablePorts());
        early.close(); // idempotent: must not free the port of the new binding
        assertEquals(1, reservation.boundPorts());
    }

    @Test
    void fullBlockIsExhaustedBeforeAnyNativeCallUntilTheOpenSocketCloses() throws IOException {
        PortRange range = FreePorts.block(1);
        reservation = provider.acquire(Protocol.TCP, range);
        ServerSocketChannel first = channel();
        reservation.bind(socket(first), loopback(0)).close();
        assertEquals(0, reservation.availablePorts());

        int before = associateCalls();
        ServerSocketChannel second = channel();
        PortReservationException e = fails(Reason.EXHAUSTED, () -> reservation.bind(socket(second), loopback(0)));
        assertTrue(e.getMessage().contains("all 1 ports"), e.getMessage());
        assertTrue(e.getMessage().contains("1 of them by sockets that are still open though their PortBinding was "
                + "closed"), e.getMessage());
        assertEquals(before, associateCalls());

        first.close();
        assertEquals(range.start(), reservation.bind(socket(second), loopback(0)).port());
        assertEquals(1, reservation.boundPorts());
    }
}
