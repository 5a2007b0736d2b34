package io.github.portreservation.windows;

import io.github.portreservation.testing.ForwardingSocket;
import io.github.portreservation.PortRange;
import io.github.portreservation.PortReservationException;
import io.github.portreservation.PortReservationException.Reason;
import io.github.portreservation.Protocol;
import io.github.portreservation.ReservableSocket;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.StandardProtocolFamily;
import java.nio.channels.AlreadyBoundException;
import java.nio.channels.DatagramChannel;
import java.nio.channels.SocketChannel;
import java.nio.channels.UnsupportedAddressTypeException;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Over the native double: the JDK's runtime exceptions from a bind (issue [holding], point 7) become
 * {@link PortReservationException}s naming the socket, the address, the rule and the fix, and the reservation's
 * accounting is unchanged.
 */
class WindowsBindErrorsDoubleTest extends OverTheDouble {
    @Test
    void ipv6AddressOnAnIpv4OnlySocketIsAnInvalidArgumentNamingTheAddressAndTheFix() throws IOException {
        PortRange range = FreePorts.block(2);
        reservation = provider.acquire(Protocol.TCP, range);
        SocketChannel inet = track(SocketChannel.open(StandardProtocolFamily.INET));
        ReservableSocket socket = ReservableSocket.of(inet); // the JDK refuses before Windows' bind
        InetSocketAddress v6 = new InetSocketAddress(InetAddress.getByName("::1"), 0);
        PortReservationException e = assertThrows(PortReservationException.class, () -> reservation.bind(socket, v6));
        assertEquals(Reason.INVALID_ARGUMENT, e.reason(), e.getMessage());
        assertInstanceOf(UnsupportedAddressTypeException.class, e.getCause());
        assertTrue(e.getMessage().contains("local address [0:0:0:0:0:0:0:1]:0 is invalid for socket " + socket
                + ": it is an IPv6 address and the socket is IPv4-only"), e.getMessage());
        assertTrue(e.getMessage().contains("bind an IPv4 address such as 127.0.0.1 or 0.0.0.0"), e.getMessage());
        assertNull(inet.getLocalAddress());
        assertEquals(2, reservation.availablePorts());
        assertEquals(0, reservation.boundPorts());
        // The socket is still usable with an IPv4 address.
        int port = reservation.bind(new DoubleSocket(socket, control), new InetSocketAddress(LOOPBACK, 0)).port();
        assertTrue(range.contains(port), String.valueOf(port));
        assertEquals(1, reservation.boundPorts());
    }

    @Test
    void socketBoundWhileTheBindRunsIsAnInvalidArgumentNamingItsAddress() throws IOException {
        PortRange range = FreePorts.block(2);
        reservation = provider.acquire(Protocol.UDP, range);
        DatagramChannel channel = track(DatagramChannel.open());
        ReservableSocket plain = ReservableSocket.of(channel);
        ReservableSocket racing = new ForwardingSocket(plain) {
            @Override
            public void bind(InetSocketAddress localAddress) throws IOException {
                channel.bind(new InetSocketAddress(LOOPBACK, 0)); // another thread got there first
                channel.bind(localAddress);
            }

            @Override
            public String toString() {
                return "racing " + plain;
            }
        };
        PortReservationException e = assertThrows(PortReservationException.class,
                () -> reservation.bind(racing, new InetSocketAddress(LOOPBACK, 0)));
        assertEquals(Reason.INVALID_ARGUMENT, e.reason(), e.getMessage());
        assertInstanceOf(AlreadyBoundException.class, e.getCause());
        int port = ((InetSocketAddress) channel.getLocalAddress()).getPort();
        assertTrue(e.getMessage().contains("socket " + racing + " is already bound to 127.0.0.1:" + port),
                e.getMessage());
        assertTrue(e.getMessage().contains("bind a new, unbound socket"), e.getMessage());
        assertEquals(2, reservation.availablePorts());
        assertEquals(0, reservation.boundPorts());
    }
}
