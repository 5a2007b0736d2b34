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
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.ServerSocketChannel;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The JDK keeps the socket of a channel closed while registered with a selector (still listening) until the
 * selector's next select; the port must not be handed to another socket before that.
 */
@EnabledOnOs(OS.LINUX)
class DeferredCloseTest {
    private static final InetAddress LOOPBACK = InetAddress.getLoopbackAddress();

    @Test
    void aClosedButRegisteredListenerKeepsItsPortUntilTheSelectorDeregistersIt() throws Exception {
        LinuxPortReservationProvider provider = LinuxPortReservationProvider.create();
        try (RuntimeReservation r = provider.acquire(Protocol.TCP, 1);
             Selector selector = Selector.open()) {
            ServerSocketChannel first = ServerSocketChannel.open();
            ReservableSocket firstSocket = ReservableSocket.of(first, 0);
            r.bind(firstSocket, new InetSocketAddress(LOOPBACK, 0)); // binding "forgotten" on purpose
            first.configureBlocking(false);
            first.register(selector, SelectionKey.OP_ACCEPT);
            first.close();
            assertFalse(first.isOpen());
            assertTrue(firstSocket.socketExists(), "the kernel socket still exists until the selector deregisters it");
            try (ServerSocketChannel second = ServerSocketChannel.open()) {
                PortReservationException e = assertThrows(PortReservationException.class,
                        () -> r.bind(ReservableSocket.of(second, 0), new InetSocketAddress(LOOPBACK, 0)));
                assertEquals(Reason.EXHAUSTED, e.reason(), "the port must not be reclaimed from a listening socket");
                selector.selectNow(); // deregisters the key: the JDK closes the socket now
                assertFalse(firstSocket.socketExists());
                PortBinding b = r.bind(ReservableSocket.of(second, 0), new InetSocketAddress(LOOPBACK, 0));
                assertEquals(r.range().start(), b.port());
            }
        }
    }
}
