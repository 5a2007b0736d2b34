package io.github.portreservation.linux;

import static org.junit.jupiter.api.Assertions.assertNull;
import java.util.ArrayList;
import java.util.List;
import io.github.portreservation.PortBinding;
import io.github.portreservation.PortRange;
import io.github.portreservation.PortReservationException;
import io.github.portreservation.PortReservationException.Reason;
import io.github.portreservation.Protocol;
import io.github.portreservation.ReservableSocket;
import io.github.portreservation.RuntimeReservation;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledOnOs;
import org.junit.jupiter.api.condition.OS;

import java.net.BindException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.DatagramChannel;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;

/** Runtime reservations on the real kernel: placeholders hold ports, our sockets bind from them. */
@EnabledOnOs(OS.LINUX)
class LinuxRuntimeReservationTest {
    private static final InetAddress LOOPBACK = InetAddress.getLoopbackAddress();
    private final LinuxPortReservationProvider provider = LinuxPortReservationProvider.create();

    @Test
    void heldPortIsRefusedToAnotherSocketAndAcceptedForOurListener() throws Exception {
        try (RuntimeReservation r = provider.acquire(Protocol.TCP, 4)) {
            assertEquals(4, r.range().count());
            int port = r.range().start();
            try (ServerSocketChannel intruder = ServerSocketChannel.open()) {
                assertThrows(BindException.class, () -> intruder.bind(new InetSocketAddress(port)));
            }
            try (ServerSocketChannel server = ServerSocketChannel.open()) {
                PortBinding b = r.bind(ReservableSocket.of(server, 0), new InetSocketAddress(LOOPBACK, port));
                assertEquals(port, b.port());
                assertEquals(port, ((InetSocketAddress) server.getLocalAddress()).getPort());
                try (SocketChannel client = SocketChannel.open(new InetSocketAddress(LOOPBACK, port));
                     SocketChannel accepted = server.accept()) {
                    client.write(ByteBuffer.wrap(new byte[] {42}));
                    ByteBuffer in = ByteBuffer.allocate(1);
                    accepted.read(in);
                    assertEquals(42, in.get(0));
                }
                assertEquals(1, r.boundPorts());
                assertEquals(3, r.availablePorts());
                server.close();
                b.close();
                b.close();
                assertEquals(0, r.boundPorts());
            }
            // still held after our listener closed
            try (ServerSocketChannel intruder = ServerSocketChannel.open()) {
                assertThrows(BindException.class, () -> intruder.bind(new InetSocketAddress(port)));
            }
        }
    }

    @Test
    void closeReleasesEveryPort() throws Exception {
        RuntimeReservation r = provider.acquire(Protocol.UDP, 8);
        PortRange range = r.range();
        r.close();
        r.close();
        assertFalse(r.isOpen());
        for (int p = range.start(); p <= range.end(); p++) {
            try (DatagramChannel ch = DatagramChannel.open()) {
                ch.bind(new InetSocketAddress(p));
            }
        }
        try (DatagramChannel late = DatagramChannel.open()) {
            PortReservationException e = assertThrows(PortReservationException.class,
                    () -> r.bind(ReservableSocket.of(late), null));
            assertEquals(Reason.CLOSED, e.reason());
            assertEquals("CLOSED: the runtime UDP reservation " + r.token() + " is closed; acquire a new reservation",
                    e.getMessage());
            assertNull(late.getLocalAddress());
        }
    }

    @Test
    void portZeroHandsOutDistinctPortsUntilExhausted() throws Exception {
        try (RuntimeReservation r = provider.acquire(Protocol.TCP, 3);
             ServerSocketChannel a = ServerSocketChannel.open();
             ServerSocketChannel b = ServerSocketChannel.open();
             ServerSocketChannel c = ServerSocketChannel.open();
             ServerSocketChannel extra = ServerSocketChannel.open()) {
            List<Integer> ports = new ArrayList<>();
            for (ServerSocketChannel s : List.of(a, b, c)) {
                ports.add(r.bind(ReservableSocket.of(s, 0), new InetSocketAddress(LOOPBACK, 0)).port());
            }
            int start = r.range().start();
            assertEquals(List.of(start, start + 1, start + 2), ports, "the block's ports in order");
            PortReservationException e = assertThrows(PortReservationException.class,
                    () -> r.bind(ReservableSocket.of(extra, 0), new InetSocketAddress(LOOPBACK, 0)));
            assertEquals("EXHAUSTED: all 3 ports of the runtime TCP reservation " + r.token() + " (" + r.range()
                    + ") are used by sockets of this process; close one of them, acquire a larger reservation, or "
                    + "use a ReservationPool that grows by blocks", e.getMessage());
            assertFalse(extra.socket().isBound());
        }
    }
}
