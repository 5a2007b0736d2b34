package io.github.portreservation.linux;

import io.github.portreservation.PortBinding;
import io.github.portreservation.PortReservationException;
import io.github.portreservation.PortReservationException.Reason;
import io.github.portreservation.Protocol;
import io.github.portreservation.ReservableSocket;
import io.github.portreservation.RuntimeReservation;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledOnOs;
import org.junit.jupiter.api.condition.OS;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.StandardSocketOptions;
import java.nio.channels.DatagramChannel;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Several sockets of this process on one reserved port, as plain sockets may: on addresses that do not overlap, or on
 * one address when every socket asked to share it; the port comes back when the last of them is gone.
 */
@EnabledOnOs(OS.LINUX)
class SeveralSocketsPerPortTest {
    private static final InetAddress V4 = InetAddress.getLoopbackAddress();
    private final LinuxPortReservationProvider provider = LinuxPortReservationProvider.create();

    @Test
    void oneTcpPortOnIpv4AndIpv6LoopbackAcceptsOnBoth() throws Exception {
        try (RuntimeReservation r = provider.acquire(Protocol.TCP, 1);
             ServerSocketChannel v4 = ServerSocketChannel.open();
             ServerSocketChannel v6 = ServerSocketChannel.open()) {
            int port = r.range().start();
            PortBinding a = r.bind(ReservableSocket.of(v4, 0), new InetSocketAddress(V4, 0));
            PortBinding b = r.bind(ReservableSocket.of(v6, 0), new InetSocketAddress(InetAddress.getByName("::1"), port));
            assertEquals(port, a.port());
            assertEquals(port, b.port());
            assertEquals(0, r.availablePorts());
            try (SocketChannel c4 = SocketChannel.open(new InetSocketAddress(V4, port));
                 SocketChannel c6 = SocketChannel.open(new InetSocketAddress(InetAddress.getByName("::1"), port))) {
                assertTrue(v4.accept() != null && v6.accept() != null, "each listener accepts its own connection");
            }
            try (ServerSocketChannel wildcard = ServerSocketChannel.open()) {
                PortReservationException e = assertThrows(PortReservationException.class,
                        () -> r.bind(ReservableSocket.of(wildcard, 0), new InetSocketAddress(port)));
                assertEquals(Reason.IN_USE, e.reason(), e.getMessage());
                assertEquals(null, wildcard.getLocalAddress());
            }
            v4.close();
            a.close();
            assertEquals(0, r.availablePorts(), "::1 still uses the port");
            v6.close();
            b.close();
            assertEquals(1, r.availablePorts(), "the last socket is gone");
        }
    }

    @Test
    void twoUdpSocketsOnOneAddressShareWhenBothSetSoReuseAddr() throws Exception {
        try (RuntimeReservation r = provider.acquire(Protocol.UDP, 1);
             DatagramChannel first = DatagramChannel.open();
             DatagramChannel second = DatagramChannel.open();
             DatagramChannel third = DatagramChannel.open()) {
            int port = r.range().start();
            first.setOption(StandardSocketOptions.SO_REUSEADDR, true);
            second.setOption(StandardSocketOptions.SO_REUSEADDR, true);
            r.bind(ReservableSocket.of(first), new InetSocketAddress(port));
            r.bind(ReservableSocket.of(second), new InetSocketAddress(port));
            assertEquals(port, ((InetSocketAddress) second.getLocalAddress()).getPort());
            PortReservationException e = assertThrows(PortReservationException.class,
                    () -> r.bind(ReservableSocket.of(third), new InetSocketAddress(port)));
            assertEquals(Reason.IN_USE, e.reason(), e.getMessage());
            assertTrue(e.getMessage().contains("when both asked to share it"), e.getMessage());
        }
    }

    @Test
    void twoTcpListenersOnOneAddressShareWhenBothSetSoReusePort() throws Exception {
        try (RuntimeReservation r = provider.acquire(Protocol.TCP, 1);
             ServerSocketChannel first = ServerSocketChannel.open();
             ServerSocketChannel second = ServerSocketChannel.open()) {
            int port = r.range().start();
            first.setOption(StandardSocketOptions.SO_REUSEPORT, true);
            second.setOption(StandardSocketOptions.SO_REUSEPORT, true);
            r.bind(ReservableSocket.of(first, 0), new InetSocketAddress(V4, port));
            r.bind(ReservableSocket.of(second, 0), new InetSocketAddress(V4, port));
            assertEquals(port, ((InetSocketAddress) second.getLocalAddress()).getPort());
        }
    }
}
