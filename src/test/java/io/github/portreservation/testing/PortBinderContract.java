package io.github.portreservation.testing;

import io.github.portreservation.PortBinder;
import io.github.portreservation.PortBinding;
import io.github.portreservation.PortRange;
import io.github.portreservation.PortReservationException;
import io.github.portreservation.PortReservationException.Reason;
import io.github.portreservation.Protocol;
import io.github.portreservation.ReservableSocket;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.channels.DatagramChannel;
import java.nio.channels.NetworkChannel;
import java.nio.channels.ServerSocketChannel;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The binder contract of {@link PortBinder}, one test per rule, run against every binder of the library: a subclass
 * gives a fresh binder of two TCP ports (or a binder it cannot bound: a pool) and the sockets to bind. Each failure
 * is checked for its reason, for the socket left unbound and for the binder's free ports unchanged.
 */
public abstract class PortBinderContract {
    protected static final InetAddress LOOPBACK = InetAddress.getLoopbackAddress();
    private final List<NetworkChannel> channels = new ArrayList<>();
    private final List<PortBinding> bindings = new ArrayList<>();
    protected PortBinder binder;

    /** A fresh binder of TCP ports, two of them free. */
    protected abstract PortBinder newBinder() throws Exception;

    /** The binder's ports, or null when they are not fixed in advance (a pool that grows). */
    protected abstract PortRange ports();

    /** Ports of the binder free for a new socket now. */
    protected abstract int freePorts();

    /** Closes the binder (a reservation, a pool, a lease). */
    protected abstract void closeBinder() throws Exception;

    /** A port no binder of the test holds. */
    protected abstract int portOutside();

    /** The reason of a bind from a closed binder: CLOSED (a deleted persistent reservation is NOT_FOUND instead). */
    protected Reason closedReason() {
        return Reason.CLOSED;
    }

    /** {@code socket} as this binder's sockets are (a subclass may wrap it, e.g. for a native double). */
    protected ReservableSocket adapt(ReservableSocket socket) {
        return socket;
    }

    @BeforeEach
    final void createBinder() throws Exception {
        binder = newBinder();
    }

    @AfterEach
    final void cleanUp() throws Exception {
        for (NetworkChannel c : channels) {
            c.close();
        }
        for (PortBinding b : bindings) {
            b.close();
        }
        closeBinder();
    }

    /** A new unbound TCP server socket. */
    protected final ReservableSocket tcp() throws IOException {
        return adapt(ReservableSocket.of(track(ServerSocketChannel.open()), 0));
    }

    private <T extends NetworkChannel> T track(T channel) {
        channels.add(channel);
        return channel;
    }

    private PortBinding bind(ReservableSocket socket, InetSocketAddress requested) {
        PortBinding b = binder.bind(socket, requested);
        bindings.add(b);
        return b;
    }

    /** The failure of {@code call}, checked for {@code reason}, the binder's free ports unchanged. */
    private PortReservationException refused(Reason reason, Executable call) {
        int free = freePorts();
        PortReservationException e = assertThrows(PortReservationException.class, call);
        assertEquals(reason, e.reason(), e.getMessage());
        assertEquals(free, freePorts(), "a refused bind changes nothing: " + e.getMessage());
        return e;
    }

    @Test
    public void aNullSocketIsInvalidArgument() {
        PortReservationException e = refused(Reason.INVALID_ARGUMENT,
                () -> binder.bind(null, new InetSocketAddress(LOOPBACK, 0)));
        assertTrue(e.getMessage().contains("socket null is invalid"), e.getMessage());
    }

    /** Whether the binder binds UDP sockets too (a Linux persistent token: the list is one for TCP and UDP). */
    protected boolean bindsBothProtocols() {
        return false;
    }

    @Test
    public void aSocketOfTheOtherProtocolIsInvalidArgument() throws IOException {
        ReservableSocket udp = adapt(ReservableSocket.of(track(DatagramChannel.open())));
        if (bindsBothProtocols()) {
            PortBinding b = bind(udp, new InetSocketAddress(LOOPBACK, 0));
            assertEquals(b.port(), udp.localAddress().getPort());
            return;
        }
        PortReservationException e = refused(Reason.INVALID_ARGUMENT, () -> binder.bind(udp,
                new InetSocketAddress(LOOPBACK, 0)));
        assertTrue(e.getMessage().contains("UDP socket"), e.getMessage());
        assertTrue(e.getMessage().contains("binds TCP sockets only"), e.getMessage());
        assertNull(udp.localAddress());
    }

    @Test
    public void aClosedSocketIsClosed() throws IOException {
        ServerSocketChannel closed = ServerSocketChannel.open();
        closed.close();
        PortReservationException e = refused(Reason.CLOSED,
                () -> binder.bind(adapt(ReservableSocket.of(closed, 0)), new InetSocketAddress(LOOPBACK, 0)));
        assertTrue(e.getMessage().contains("is closed"), e.getMessage());
    }

    @Test
    public void anAlreadyBoundSocketIsInvalidArgument() throws IOException {
        ServerSocketChannel bound = track(ServerSocketChannel.open());
        bound.bind(new InetSocketAddress(LOOPBACK, 0));
        PortReservationException e = refused(Reason.INVALID_ARGUMENT,
                () -> binder.bind(adapt(ReservableSocket.of(bound, 0)), new InetSocketAddress(LOOPBACK, 0)));
        assertTrue(e.getMessage().contains("is already bound"), e.getMessage());
    }

    @Test
    public void anUnresolvedAddressIsInvalidArgument() throws IOException {
        ReservableSocket socket = tcp();
        PortReservationException e = refused(Reason.INVALID_ARGUMENT,
                () -> binder.bind(socket, InetSocketAddress.createUnresolved("no-such-host.invalid", 0)));
        assertTrue(e.getMessage().contains("it is unresolved"), e.getMessage());
        assertNull(socket.localAddress());
    }

    @Test
    public void aPortOutsideIsOutsideReservation() throws IOException {
        ReservableSocket socket = tcp();
        int outside = portOutside();
        PortReservationException e = refused(Reason.OUTSIDE_RESERVATION,
                () -> binder.bind(socket, new InetSocketAddress(LOOPBACK, outside)));
        assertTrue(e.getMessage().contains("port " + outside), e.getMessage());
        assertNull(socket.localAddress());
    }

    @Test
    public void aNullAddressIsTheWildcardWithAPortOfTheBinder() throws IOException {
        PortBinding b = bind(tcp(), null);
        assertTrue(b.localAddress().getAddress().isAnyLocalAddress(), b.localAddress().toString());
        assertInPorts(b.port());
    }

    @Test
    public void portZeroTakesAFreePortAndTheSocketGetsIt() throws IOException {
        ReservableSocket socket = tcp();
        int free = freePorts();
        PortBinding b = bind(socket, new InetSocketAddress(LOOPBACK, 0));
        assertInPorts(b.port());
        assertEquals(b.port(), socket.localAddress().getPort());
        assertEquals(free - 1, freePorts());
    }

    @Test
    public void anExplicitPortTakesThatPortAndIsInUseForTheNextSocket() throws IOException {
        int port = bind(tcp(), new InetSocketAddress(LOOPBACK, 0)).port();
        bindings.remove(bindings.size() - 1).close(); // socket still open: the port stays in use
        ReservableSocket second = tcp();
        PortReservationException e = refused(Reason.IN_USE,
                () -> binder.bind(second, new InetSocketAddress(LOOPBACK, port)));
        assertTrue(e.getMessage().contains("port " + port), e.getMessage());
        assertNull(second.localAddress());
    }

    @Test
    public void everyPortInUseIsExhausted() throws IOException {
        Set<Integer> ports = new HashSet<>();
        while (freePorts() > 0) {
            ports.add(bind(tcp(), new InetSocketAddress(LOOPBACK, 0)).port());
        }
        assertTrue(ports.size() >= 2, ports.toString());
        ReservableSocket last = tcp();
        refused(Reason.EXHAUSTED, () -> binder.bind(last, new InetSocketAddress(LOOPBACK, 0)));
        assertNull(last.localAddress());
    }

    @Test
    public void anExplicitPortOfAFullBinderIsInUseNotExhausted() throws IOException {
        List<Integer> ports = new ArrayList<>();
        while (freePorts() > 0) {
            ports.add(bind(tcp(), new InetSocketAddress(LOOPBACK, 0)).port());
        }
        int port = ports.get(0);
        ReservableSocket last = tcp();
        PortReservationException e = refused(Reason.IN_USE,
                () -> binder.bind(last, new InetSocketAddress(LOOPBACK, port)));
        assertTrue(e.getMessage().contains("port " + port), e.getMessage());
        assertNull(last.localAddress());
    }

    @Test
    public void aPortComesBackOnlyOnceItsBindingIsClosedAndItsSocketIsGone() throws IOException {
        ServerSocketChannel first = track(ServerSocketChannel.open());
        PortBinding b = binder.bind(adapt(ReservableSocket.of(first, 0)), new InetSocketAddress(LOOPBACK, 0));
        int free = freePorts();
        b.close();
        assertEquals(free, freePorts(), "closed binding, socket still open: the port is still in use");
        first.close();
        PortBinding again = bind(tcp(), new InetSocketAddress(LOOPBACK, b.port()));
        assertEquals(b.port(), again.port());
    }

    @Test
    public void aClosedBinderIsClosed() throws Exception {
        closeBinder();
        ReservableSocket socket = tcp();
        PortReservationException e = assertThrows(PortReservationException.class,
                () -> binder.bind(socket, new InetSocketAddress(LOOPBACK, 0)));
        assertEquals(closedReason(), e.reason(), e.getMessage());
        assertNull(socket.localAddress());
    }

    private void assertInPorts(int port) {
        PortRange ports = ports();
        if (ports != null) {
            assertTrue(ports.contains(port), port + " in " + ports);
        } else {
            assertNotEquals(0, port);
        }
    }
}
