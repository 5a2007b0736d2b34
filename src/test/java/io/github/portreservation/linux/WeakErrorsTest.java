package io.github.portreservation.linux;

import io.github.portreservation.testing.ForwardingSocket;
import io.github.portreservation.PortBinding;
import io.github.portreservation.PortRange;
import io.github.portreservation.PortReservationException;
import io.github.portreservation.PortReservationException.Reason;
import io.github.portreservation.Protocol;
import io.github.portreservation.ReservableSocket;
import io.github.portreservation.RuntimeReservation;
import io.github.portreservation.testing.Await;
import io.github.portreservation.testing.ExternalProcess;
import io.github.portreservation.testing.ExternalProcess.Result;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledOnOs;
import org.junit.jupiter.api.condition.OS;
import org.junit.jupiter.api.function.Executable;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.StandardProtocolFamily;
import java.nio.ByteBuffer;
import java.nio.channels.DatagramChannel;
import java.nio.channels.NetworkChannel;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The weak errors of issue [holding], point 7, on the Linux provider: each failure is a
 * {@link PortReservationException} with its reason, naming the value, the rule and the fix, and changes nothing.
 */
@EnabledOnOs(OS.LINUX)
class WeakErrorsTest {
    private static final InetAddress LOOPBACK = InetAddress.getLoopbackAddress();
    private final LinuxPortReservationProvider provider = LinuxPortReservationProvider.create();
    private final List<AutoCloseable> resources = new ArrayList<>();

    @AfterEach
    void tearDown() throws Exception {
        for (int i = resources.size() - 1; i >= 0; i--) {
            resources.get(i).close();
        }
    }

    private <T extends AutoCloseable> T track(T resource) {
        resources.add(resource);
        return resource;
    }

    private static PortReservationException fails(Reason reason, Executable call) {
        PortReservationException e = assertThrows(PortReservationException.class, call);
        assertEquals(reason, e.reason(), e.getMessage());
        return e;
    }

    private static void assertContains(PortReservationException e, String... words) {
        for (String w : words) {
            assertTrue(e.getMessage().contains(w), "missing \"" + w + "\" in: " + e.getMessage());
        }
    }

    @Test
    void alreadyBoundSocketIsRefusedBeforeAnyPortIsTaken() throws Exception {
        RuntimeReservation reservation = track(provider.acquire(Protocol.TCP, 2));
        ServerSocketChannel bound = track(ServerSocketChannel.open());
        bound.bind(new InetSocketAddress(LOOPBACK, 0));
        int port = ((InetSocketAddress) bound.getLocalAddress()).getPort();
        ReservableSocket socket = ReservableSocket.of(bound, 0);
        PortReservationException e = fails(Reason.INVALID_ARGUMENT,
                () -> reservation.bind(socket, new InetSocketAddress(LOOPBACK, 0)));
        assertContains(e, "socket " + socket + " is already bound to 127.0.0.1:" + port,
                "a socket binds once", "bind a new, unbound socket");
        assertEquals(2, reservation.availablePorts());
        assertEquals(port, ((InetSocketAddress) bound.getLocalAddress()).getPort());
        // The same through the provider's token.
        fails(Reason.INVALID_ARGUMENT, () -> provider.bind(reservation.token(), socket, null));
        assertEquals(0, reservation.boundPorts());
    }

    @Test
    void socketBoundWhileTheBindRunsIsMappedFromAlreadyBoundException() throws Exception {
        RuntimeReservation reservation = track(provider.acquire(Protocol.UDP, 1));
        DatagramChannel channel = track(DatagramChannel.open());
        ReservableSocket racing = new ForwardingSocket(ReservableSocket.of(channel)) {
            @Override
            public void bind(InetSocketAddress localAddress) throws IOException {
                channel.bind(new InetSocketAddress(LOOPBACK, 0)); // another thread got there first
                super.bind(localAddress);
            }
        };
        PortReservationException e = fails(Reason.INVALID_ARGUMENT, () -> reservation.bind(racing, null));
        assertTrue(e.getCause() instanceof java.nio.channels.AlreadyBoundException, String.valueOf(e.getCause()));
        assertContains(e, "is already bound to 127.0.0.1:", "bind a new, unbound socket");
        assertEquals(1, reservation.availablePorts(), "the port the failed bind claimed is free again");
    }

    @Test
    void ipv6AddressOnAnIpv4OnlySocketNamesTheAddressAndTheFix() throws Exception {
        for (Protocol protocol : Protocol.values()) {
            RuntimeReservation reservation = track(provider.acquire(protocol, 1));
            NetworkChannel channel = protocol == Protocol.TCP ? track(SocketChannel.open(StandardProtocolFamily.INET))
                    : track(DatagramChannel.open(StandardProtocolFamily.INET));
            ReservableSocket socket = protocol == Protocol.TCP ? ReservableSocket.of((SocketChannel) channel)
                    : ReservableSocket.of((DatagramChannel) channel);
            InetSocketAddress v6 = new InetSocketAddress(InetAddress.getByName("::1"), 0);
            PortReservationException e = fails(Reason.INVALID_ARGUMENT, () -> reservation.bind(socket, v6));
            assertTrue(e.getCause() instanceof java.nio.channels.UnsupportedAddressTypeException,
                    String.valueOf(e.getCause()));
            assertContains(e, "local address [0:0:0:0:0:0:0:1]:" + reservation.range().start(), "IPv4-only",
                    "StandardProtocolFamily.INET", "bind an IPv4 address such as 127.0.0.1 or 0.0.0.0");
            assertNull(channel.getLocalAddress());
            assertEquals(1, reservation.availablePorts(), protocol + ": the port is free again");
            assertEquals(reservation.range().start(), reservation.bind(socket, null).port(),
                    protocol + ": the IPv4-only socket binds the wildcard");
        }
    }

    @Test
    void ipv6AddressInAnIpv4OnlyJvmIsRefusedBeforeTheBind() throws Exception {
        List<String> cmd = ExternalProcess.javaCommand(PreferIpv4Child.class);
        cmd.add(1, "-Djava.net.preferIPv4Stack=true");
        Result r = ExternalProcess.run(60, cmd.toArray(new String[0]));
        assertEquals(0, r.exitCode, r.output);
        assertTrue(r.output.contains("REASON INVALID_ARGUMENT"), r.output);
        assertTrue(r.output.contains("local address 0:0:0:0:0:0:0:1 is invalid: it is an IPv6 address and this JVM "
                + "runs with -Djava.net.preferIPv4Stack=true"), r.output);
        assertTrue(r.output.contains("start the JVM without -Djava.net.preferIPv4Stack=true"), r.output);
        assertTrue(r.output.contains("CAUSE null"), "refused before the channel's bind: " + r.output);
        assertTrue(r.output.contains("AVAILABLE 1 UNBOUND true"), r.output);
    }

    /** Runs with -Djava.net.preferIPv4Stack=true: binds [::1] from a reservation. */
    public static final class PreferIpv4Child {
        public static void main(String[] args) throws Exception {
            LinuxPortReservationProvider p = LinuxPortReservationProvider.create();
            try (RuntimeReservation r = p.acquire(Protocol.TCP, 1);
                 ServerSocketChannel s = ServerSocketChannel.open()) {
                try {
                    r.bind(ReservableSocket.of(s, 0), new InetSocketAddress(InetAddress.getByName("::1"), 0));
                    System.out.println("BOUND");
                } catch (PortReservationException e) {
                    System.out.println("REASON " + e.reason());
                    System.out.println("MESSAGE " + e.getMessage());
                    System.out.println("CAUSE " + e.getCause());
                }
                System.out.println("AVAILABLE " + r.availablePorts() + " UNBOUND " + (s.getLocalAddress() == null));
            }
        }
    }

    @Test
    void tokenOfAnotherProviderInstanceIsNamedAsSuch() throws Exception {
        LinuxPortReservationProvider other = LinuxPortReservationProvider.create();
        RuntimeReservation reservation = track(other.acquire(Protocol.TCP, 1));
        ServerSocketChannel channel = track(ServerSocketChannel.open());
        PortReservationException e = fails(Reason.UNKNOWN_TOKEN,
                () -> provider.bind(reservation.token(), ReservableSocket.of(channel, 0), null));
        assertContains(e, reservation.token() + " names an open runtime reservation of another "
                + "LinuxPortReservationProvider instance in this process (" + other + "), not of this one (" + provider
                + ")", "bind through that provider or its RuntimeReservation", "PortReservations.provider()");
        assertNull(channel.getLocalAddress());
        assertEquals(1, reservation.availablePorts());
        PortBinding b = other.bind(reservation.token(), ReservableSocket.of(channel, 0), null);
        assertEquals(reservation.range().start(), b.port());

        reservation.close();
        ServerSocketChannel late = track(ServerSocketChannel.open());
        PortReservationException closed = fails(Reason.UNKNOWN_TOKEN,
                () -> provider.bind(reservation.token(), ReservableSocket.of(late, 0), null));
        assertContains(closed, "names no open reservation of this process");
        assertFalse(closed.getMessage().contains("another"), closed.getMessage());
        PortReservationException closedInOwner = fails(Reason.UNKNOWN_TOKEN,
                () -> other.bind(reservation.token(), ReservableSocket.of(late, 0), null));
        assertContains(closedInOwner, "names no open reservation of this process");
    }

    @Test
    void nullTokenOrSocketIsAnInvalidArgument() throws Exception {
        RuntimeReservation reservation = track(provider.acquire(Protocol.TCP, 1));
        ServerSocketChannel channel = track(ServerSocketChannel.open());
        assertContains(fails(Reason.INVALID_ARGUMENT, () -> provider.bind(null, ReservableSocket.of(channel, 0),
                null)), "token null is invalid: must not be null");
        assertContains(fails(Reason.INVALID_ARGUMENT, () -> provider.bind(reservation.token(), null, null)),
                "socket null is invalid: must not be null");
        assertContains(fails(Reason.INVALID_ARGUMENT, () -> reservation.bind(null, null)),
                "socket null is invalid: must not be null");
    }

    @Test
    void fixedBlockReacquiredWhileItsPortIsInTimeWaitSaysSo() throws Exception {
        // A connection closed from the reserved side leaves that side's port in TIME_WAIT for 60 s.
        ServerSocketChannel server = track(ServerSocketChannel.open());
        server.bind(new InetSocketAddress(LOOPBACK, 0));
        int port;
        RuntimeReservation first = provider.acquire(Protocol.TCP, 1);
        try {
            port = first.range().start();
            SocketChannel client = SocketChannel.open();
            first.bind(ReservableSocket.of(client), new InetSocketAddress(LOOPBACK, 0));
            client.connect(server.getLocalAddress());
            SocketChannel accepted = server.accept();
            client.close(); // active close: the client's port goes to TIME_WAIT once the peer closes too
            accepted.read(ByteBuffer.allocate(1)); // EOF
            accepted.close();
        } finally {
            first.close();
        }
        Await.until(() -> "a TIME_WAIT socket on port " + port, () -> BoundPorts.timeWaitSockets(port) > 0);
        PortReservationException e = fails(Reason.IN_USE, () -> provider.acquire(Protocol.TCP, PortRange.of(port, 1)));
        assertEquals("EADDRINUSE", e.nativeName());
        assertContains(e, "cannot reserve TCP port " + port + " of block " + port + ": 1 closed TCP connection on port "
                + port + " is in TIME_WAIT", "retry after 60 s, or acquire another block");
        assertFalse(e.getMessage().contains("another socket is bound to it"), e.getMessage());
    }

    @Test
    void fixedBlockHeldByAListeningSocketIsNotBlamedOnTimeWait() throws Exception {
        ServerSocketChannel holder = track(ServerSocketChannel.open());
        holder.bind(new InetSocketAddress(LOOPBACK, 0));
        int port = ((InetSocketAddress) holder.getLocalAddress()).getPort();
        PortReservationException e = fails(Reason.IN_USE, () -> provider.acquire(Protocol.TCP, PortRange.of(port, 1)));
        assertContains(e, "cannot reserve TCP port " + port + " of block " + port + ": another socket is bound to it",
                "'ss -atunp sport = :" + port + "'");
        assertFalse(e.getMessage().contains("TIME_WAIT"), e.getMessage());
    }

}
