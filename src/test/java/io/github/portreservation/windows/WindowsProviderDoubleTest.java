package io.github.portreservation.windows;

import java.io.IOException;
import io.github.portreservation.testing.Descriptors;
import io.github.portreservation.PortBinding;
import io.github.portreservation.PortBinder;
import io.github.portreservation.PortRange;
import io.github.portreservation.PortReservationException;
import io.github.portreservation.PortReservationException.Reason;
import io.github.portreservation.Protocol;
import io.github.portreservation.ReservableSocket;
import io.github.portreservation.ReservationToken;
import io.github.portreservation.RuntimeReservation;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.channels.DatagramChannel;
import java.nio.channels.NetworkChannel;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.function.IntFunction;
import java.util.function.IntUnaryOperator;
import java.util.stream.Collectors;
import java.util.stream.IntStream;

import static io.github.portreservation.windows.WindowsConstants.SIO_ACQUIRE_PORT_RESERVATION;
import static io.github.portreservation.windows.WindowsConstants.SIO_ASSOCIATE_PORT_RESERVATION;
import static io.github.portreservation.windows.WindowsConstants.SIO_RELEASE_PORT_RESERVATION;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@link WindowsPortReservationProvider} over the native test double: acquire, bind from the block, accounting,
 * release, persistent reservations, and the checks made before any native call. Linux with gcc only; the sockets are
 * real JDK channels bound on loopback to the ports the double hands out.
 */
class WindowsProviderDoubleTest {
    private static final InetAddress LOOPBACK = InetAddress.getLoopbackAddress();

    private NativeDouble.Control control;
    private WindowsPortReservationProvider provider;
    private final List<NetworkChannel> channels = new ArrayList<>();
    private final List<RuntimeReservation> reservations = new ArrayList<>();

    @BeforeEach
    void setUp() {
        NativeDouble.assumeAvailable();
        control = NativeDouble.control();
        provider = WindowsPortReservationProvider.create(NativeDouble.natives());
    }

    @AfterEach
    void tearDown() throws IOException {
        for (NetworkChannel channel : channels) {
            channel.close();
        }
        reservations.forEach(RuntimeReservation::close);
    }

    private RuntimeReservation acquire(Protocol protocol, PortRange range) {
        RuntimeReservation reservation = provider.acquire(protocol, range);
        reservations.add(reservation);
        return reservation;
    }

    private <T extends NetworkChannel> T track(T channel) {
        channels.add(channel);
        return channel;
    }

    private ReservableSocket server() throws IOException {
        return new DoubleSocket(ReservableSocket.of(track(ServerSocketChannel.open()), 0), control);
    }

    private ReservableSocket client() throws IOException {
        return new DoubleSocket(ReservableSocket.of(track(SocketChannel.open())), control);
    }

    private ReservableSocket datagram() throws IOException {
        return new DoubleSocket(ReservableSocket.of(track(DatagramChannel.open())), control);
    }

    private static InetSocketAddress loopback(int port) {
        return new InetSocketAddress(LOOPBACK, port);
    }

    private static PortReservationException fails(Reason reason, Executable call) {
        PortReservationException e = assertThrows(PortReservationException.class, call);
        assertEquals(reason, e.reason(), e.getMessage());
        return e;
    }

    private int associateCalls() {
        return control.double_ioctl_calls(SIO_ASSOCIATE_PORT_RESERVATION);
    }

    @Test
    void serverBindsPortZeroFromTheBlockAndAcceptsConnections() throws IOException {
        PortRange range = FreePorts.block(8);
        RuntimeReservation reservation = acquire(Protocol.TCP, range);
        assertEquals(range, reservation.range());
        assertEquals(Protocol.TCP, reservation.protocol());
        assertTrue(reservation.isOpen());
        assertEquals(8, reservation.availablePorts());
        assertSame(reservation, provider.runtimeReservation(reservation.token()).orElseThrow());

        PortBinding binding = reservation.bind(server(), loopback(0));
        assertTrue(range.contains(binding.port()), binding.toString());
        assertEquals(binding.port(), binding.localAddress().getPort());
        assertEquals(reservation.token(), binding.token());
        assertEquals(1, reservation.boundPorts());
        assertEquals(7, reservation.availablePorts());
        assertEquals(1, control.double_reservation_ports_in_use(reservation.token().value()));

        try (SocketChannel peer = SocketChannel.open(binding.localAddress())) {
            assertTrue(peer.isConnected());
        }
        channels.get(0).close(); // the socket first: a binding closed before it leaves the port to the open socket
        binding.close();
        assertEquals(0, reservation.boundPorts());
        assertEquals(8, reservation.availablePorts());
    }

    @Test
    void explicitPortInsideTheBlockIsBoundAndCountedOnce() throws IOException {
        PortRange range = FreePorts.block(4);
        RuntimeReservation reservation = acquire(Protocol.TCP, range);
        PortBinding binding = reservation.bind(client(), loopback(range.start() + 2));
        assertEquals(range.start() + 2, binding.port());

        int before = associateCalls();
        PortReservationException taken = fails(Reason.IN_USE,
                () -> reservation.bind(client(), loopback(range.start() + 2)));
        assertTrue(taken.getMessage().contains("request port 0 or another port"), taken.getMessage());
        assertEquals(before, associateCalls(), "refused before any native call");
        assertEquals(1, reservation.boundPorts());
    }

    @Test
    void requestsThatBreakTheRulesFailBeforeAnyNativeCall() throws IOException {
        PortRange range = FreePorts.block(4);
        RuntimeReservation reservation = acquire(Protocol.TCP, range);
        int before = associateCalls();

        PortReservationException outside = fails(Reason.OUTSIDE_RESERVATION,
                () -> reservation.bind(server(), loopback(range.end() + 1)));
        assertTrue(outside.getMessage().contains(range.toString()), outside.getMessage());
        PortReservationException wrongProtocol = fails(Reason.INVALID_ARGUMENT,
                () -> reservation.bind(datagram(), loopback(0)));
        assertTrue(wrongProtocol.getMessage().contains("UDP socket"), wrongProtocol.getMessage());
        fails(Reason.INVALID_ARGUMENT, () -> reservation.bind(server(), InetSocketAddress.createUnresolved("x", 0)));
        fails(Reason.INVALID_ARGUMENT, () -> reservation.bind(null, loopback(0)));

        ServerSocketChannel bound = track(ServerSocketChannel.open());
        bound.bind(loopback(0));
        fails(Reason.INVALID_ARGUMENT, () -> reservation.bind(ReservableSocket.of(bound, 0), loopback(0)));
        SocketChannel closed = SocketChannel.open();
        closed.close();
        fails(Reason.CLOSED, () -> reservation.bind(ReservableSocket.of(closed), loopback(0)));

        fails(Reason.INVALID_ARGUMENT, () -> provider.acquire(Protocol.TCP, 0));
        fails(Reason.INVALID_ARGUMENT, () -> provider.acquire(Protocol.TCP, 65536));
        fails(Reason.INVALID_ARGUMENT, () -> provider.acquire(null, range));
        assertEquals(before, associateCalls());
        assertEquals(0, reservation.boundPorts());
        assertEquals(4, reservation.availablePorts());
    }

    @Test
    void aNullAddressIsTheWildcardWithAnyPortOfTheBlock() throws IOException {
        PortRange range = FreePorts.block(2);
        RuntimeReservation reservation = acquire(Protocol.TCP, range);
        PortBinding binding = reservation.bind(server(), null);
        assertTrue(range.contains(binding.port()), binding.toString());
        assertTrue(binding.localAddress().getAddress().isAnyLocalAddress(), binding.localAddress().toString());
        assertEquals(1, reservation.boundPorts());
    }

    @Test
    void fullBlockIsExhaustedUntilASocketAndItsBindingClose() throws IOException {
        PortRange range = FreePorts.block(2);
        RuntimeReservation reservation = acquire(Protocol.UDP, range);
        ReservableSocket first = datagram();
        PortBinding a = reservation.bind(first, loopback(0));
        PortBinding b = reservation.bind(datagram(), loopback(0));
        assertEquals(Set.of(range.start(), range.end()), Set.of(a.port(), b.port()));
        assertEquals(0, reservation.availablePorts());

        int before = associateCalls();
        PortReservationException full = fails(Reason.EXHAUSTED, () -> reservation.bind(datagram(), loopback(0)));
        assertTrue(full.getMessage().contains("all 2 ports"), full.getMessage());
        assertEquals(before, associateCalls());

        channels.get(0).close();
        a.close();
        PortBinding again = reservation.bind(datagram(), loopback(0));
        assertEquals(a.port(), again.port());
        assertEquals(2, reservation.boundPorts());
    }

    @Test
    void socketClosedWithoutItsBindingIsReclaimedWhenThePortIsNeeded() throws IOException {
        PortRange range = FreePorts.block(1);
        RuntimeReservation reservation = acquire(Protocol.TCP, range);
        PortBinding forgotten = reservation.bind(server(), loopback(0));
        channels.get(0).close();
        PortBinding next = reservation.bind(server(), loopback(0));
        assertEquals(range.start(), next.port());
        assertFalse(forgotten.isActive());
        forgotten.close(); // must not free the port of the new binding
        assertEquals(1, reservation.boundPorts());
    }

    @Test
    void portGivenAgainByTheSystemReplacesABindingWhoseSocketClosed() throws IOException {
        PortRange range = FreePorts.block(2);
        RuntimeReservation reservation = acquire(Protocol.TCP, range);
        PortBinding forgotten = reservation.bind(server(), loopback(range.start()));
        channels.get(0).close();
        assertEquals(1, reservation.availablePorts(), "not reclaimed while a port is free");
        PortBinding next = reservation.bind(server(), loopback(0));
        assertEquals(range.start(), next.port(), "the double hands out the lowest port its sockets left free");
        assertFalse(forgotten.isActive());
        assertTrue(next.isActive());
        assertEquals(1, reservation.boundPorts());
        assertEquals(1, reservation.availablePorts());
        forgotten.close();
        assertEquals(1, reservation.boundPorts());
    }

    @Test
    void mixedConcurrentBindsNeverHandOutAPortTwice() throws Exception {
        PortRange range = FreePorts.block(10);
        RuntimeReservation reservation = acquire(Protocol.UDP, range);
        List<ReservableSocket> sockets = new ArrayList<>();
        for (int i = 0; i < 20; i++) {
            sockets.add(datagram());
        }
        // Ten requests for port 0 and one for each port: a port a port-0 request took first is IN_USE for its own
        // request, and a port-0 request that finds none free is EXHAUSTED; either way every port ends up bound once.
        Set<Integer> ports = bindConcurrently(reservation, sockets,
                i -> i % 2 == 0 ? 0 : range.start() + i / 2, port -> port == 0 ? Reason.EXHAUSTED : Reason.IN_USE);
        assertEquals(IntStream.rangeClosed(range.start(), range.end()).boxed().collect(Collectors.toSet()), ports);
        assertEquals(10, reservation.boundPorts());
        assertEquals(0, reservation.availablePorts());
        assertEquals(10, control.double_reservation_ports_in_use(reservation.token().value()));
    }

    @Test
    void datagramsReachASocketBoundFromAUdpReservation() throws IOException {
        PortRange range = FreePorts.block(4);
        RuntimeReservation reservation = acquire(Protocol.UDP, range);
        DatagramChannel receiver = track(DatagramChannel.open());
        PortBinding binding = reservation.bind(new DoubleSocket(ReservableSocket.of(receiver), control), loopback(0));
        LoopbackChecks.assertDatagramArrives(receiver, binding.localAddress());
    }

    @Test
    void acquireByCountTakesABlockWindowsChooses() throws IOException {
        PortRange window = FreePorts.block(16);
        control.double_set_dynamic_window(window.start(), window.end());
        RuntimeReservation reservation = provider.acquire(Protocol.TCP, 5);
        reservations.add(reservation);
        assertEquals(PortRange.of(window.start(), 5), reservation.range());
        PortBinding binding = PortBinder.of(provider, reservation.token()).bind(server(), loopback(0));
        assertTrue(reservation.range().contains(binding.port()));
        assertEquals(1, reservation.boundPorts(), "provider.bind of a runtime token goes through the reservation");
    }

    @Test
    void closeReleasesClosesTheOwnerSocketAndIsIdempotent() throws IOException {
        PortRange range = FreePorts.block(4);
        RuntimeReservation reservation = acquire(Protocol.TCP, range);
        PortBinding binding = reservation.bind(server(), loopback(0));
        reservation.close();
        reservation.close();
        assertFalse(reservation.isOpen());
        assertEquals(1, control.double_ioctl_calls(SIO_RELEASE_PORT_RESERVATION));
        assertEquals(0, control.double_runtime_reservations());
        assertTrue(provider.runtimeReservation(reservation.token()).isEmpty());
        assertEquals(0, reservation.availablePorts());
        assertTrue(binding.isActive(), "sockets already bound keep their ports");
        fails(Reason.CLOSED, () -> reservation.bind(server(), loopback(0)));
        fails(Reason.UNKNOWN_TOKEN, () -> provider.bind(reservation.token(), server(), loopback(0)));
    }

    @Test
    void failedReleaseStillClosesTheOwnerSocketWhichEndsTheReservation() {
        RuntimeReservation reservation = acquire(Protocol.UDP, FreePorts.block(4));
        control.double_fail_next_ioctl(SIO_RELEASE_PORT_RESERVATION, WindowsConstants.WSAENETDOWN);
        Set<String> fds = Descriptors.snapshot();
        reservation.close();
        assertEquals(1, Descriptors.socketsClosedSince(fds).size(), "the owner socket is closed");
        assertEquals(0, control.double_runtime_reservations());
    }

    @Test
    void failedAcquireLeavesNoSocketBehind() {
        PortRange range = FreePorts.block(4);
        control.double_add_excluded_range(1, range.start(), 1);
        Set<String> fds = Descriptors.snapshot();
        PortReservationException e = fails(Reason.IN_USE, () -> provider.acquire(Protocol.TCP, range));
        assertEquals("WSAEADDRINUSE", e.nativeName());
        assertTrue(e.getMessage().contains("netsh interface ipv4 show excludedportrange protocol=tcp"));
        control.double_fail_next_ioctl(SIO_ACQUIRE_PORT_RESERVATION, WindowsConstants.WSAEOPNOTSUPP);
        fails(Reason.UNSUPPORTED, () -> provider.acquire(Protocol.UDP, range));
        Descriptors.assertNoneOpenedSince(fds, "sockets after refused acquires");
        assertEquals(0, control.double_runtime_reservations());
    }

    @Test
    void failedAssociateLeavesTheSocketUnboundAndThePortFree() throws IOException {
        PortRange range = FreePorts.block(2);
        RuntimeReservation reservation = acquire(Protocol.TCP, range);
        control.double_fail_next_ioctl(SIO_ASSOCIATE_PORT_RESERVATION, WindowsConstants.WSAEINVAL);
        ReservableSocket socket = server();
        PortReservationException e = fails(Reason.UNKNOWN_TOKEN, () -> reservation.bind(socket, loopback(0)));
        assertEquals(WindowsConstants.WSAEINVAL, e.nativeCode());
        assertEquals(null, socket.localAddress());
        assertEquals(2, reservation.availablePorts());
        assertEquals(0, reservation.boundPorts());
        reservation.bind(socket, loopback(range.start()));
    }

    @Test
    void concurrentBindsGetDistinctPortsAndTheRestIsExhausted() throws Exception {
        PortRange range = FreePorts.block(12);
        RuntimeReservation reservation = acquire(Protocol.TCP, range);
        List<ReservableSocket> sockets = new ArrayList<>();
        for (int i = 0; i < 16; i++) {
            sockets.add(server());
        }
        Set<Integer> ports = bindConcurrently(reservation, sockets, i -> 0, port -> Reason.EXHAUSTED);
        assertEquals(IntStream.rangeClosed(range.start(), range.end()).boxed().collect(Collectors.toSet()), ports);
        assertEquals(12, reservation.boundPorts());
        assertEquals(0, reservation.availablePorts());
    }

    /**
     * Binds socket i to port {@code portOf(i)} from 6 threads released at once; returns the ports handed out, after
     * checking that none was handed out twice, all are in the block and every failed request for port p failed with
     * {@code failureOf(p)}.
     */
    private static Set<Integer> bindConcurrently(RuntimeReservation reservation, List<ReservableSocket> sockets,
                                                 IntUnaryOperator portOf, IntFunction<Reason> failureOf)
            throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(6);
        try {
            CountDownLatch start = new CountDownLatch(1);
            List<Future<Integer>> results = new ArrayList<>();
            for (int i = 0; i < sockets.size(); i++) {
                ReservableSocket socket = sockets.get(i);
                int port = portOf.applyAsInt(i);
                results.add(pool.submit(() -> {
                    start.await();
                    try {
                        return reservation.bind(socket, loopback(port)).port();
                    } catch (PortReservationException e) {
                        assertEquals(failureOf.apply(port), e.reason(), e.getMessage());
                        return -1;
                    }
                }));
            }
            start.countDown();
            Set<Integer> ports = new TreeSet<>();
            for (Future<Integer> result : results) {
                int port = result.get();
                if (port >= 0) {
                    assertTrue(reservation.range().contains(port));
                    assertTrue(ports.add(port), "port " + port + " handed out twice");
                }
            }
            return ports;
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    void bindingCloseIsIdempotentAndThreadSafe() throws Exception {
        RuntimeReservation reservation = acquire(Protocol.TCP, FreePorts.block(4));
        reservation.bind(server(), loopback(0));
        PortBinding binding = reservation.bind(server(), loopback(0));
        assertEquals(2, reservation.boundPorts());
        channels.get(1).close(); // the socket first, so that the binding's close frees the port
        Thread[] threads = new Thread[8];
        for (int i = 0; i < threads.length; i++) {
            threads[i] = new Thread(binding::close);
            threads[i].start();
        }
        for (Thread thread : threads) {
            thread.join();
        }
        assertFalse(binding.isActive());
        assertEquals(1, reservation.boundPorts());
    }

    @Test
    void persistentReservationCreateBindLookupDelete() throws IOException {
        PortRange range = FreePorts.block(4);
        ReservationToken token = provider.createPersistent(Protocol.TCP, range);
        assertEquals(token, provider.lookupPersistent(Protocol.TCP, range).orElseThrow());
        assertTrue(provider.runtimeReservation(token).isEmpty());

        PortBinding binding = provider.bind(token, server(), loopback(0));
        assertTrue(range.contains(binding.port()));
        PortBinding explicit = provider.bind(token, client(), loopback(range.end()));
        assertEquals(range.end(), explicit.port());
        fails(Reason.OUTSIDE_RESERVATION, () -> provider.bind(token, client(), loopback(range.end() + 1)));
        fails(Reason.INVALID_ARGUMENT, () -> provider.bind(token, datagram(), loopback(0)));
        binding.close();
        binding.close();
        assertFalse(binding.isActive());

        provider.deletePersistent(Protocol.TCP, range);
        assertTrue(provider.lookupPersistent(Protocol.TCP, range).isEmpty());
        fails(Reason.UNKNOWN_TOKEN, () -> provider.bind(token, server(), loopback(0)));
        fails(Reason.NOT_FOUND, () -> provider.deletePersistent(Protocol.TCP, range));
    }

    @Test
    void persistentTokenFoundByLookupIsBindable() throws IOException {
        PortRange range = FreePorts.block(2);
        long raw = NativeDouble.natives().createPersistent(Protocol.UDP, range);
        ReservationToken token = provider.lookupPersistent(Protocol.UDP, range).orElseThrow();
        assertEquals(raw, token.value());
        assertTrue(range.contains(provider.bind(token, datagram(), loopback(0)).port()));
    }

    @Test
    void persistentOperationsNeedElevation() throws IOException {
        PortRange range = FreePorts.block(2);
        ReservationToken token = provider.createPersistent(Protocol.TCP, range);
        control.double_set_elevated(0);
        PortReservationException create = fails(Reason.ACCESS_DENIED,
                () -> provider.createPersistent(Protocol.UDP, range));
        assertTrue(create.getMessage().contains("Run as administrator"), create.getMessage());
        PortReservationException associate = fails(Reason.ACCESS_DENIED,
                () -> provider.bind(token, server(), loopback(0)));
        assertEquals("WSAEACCES", associate.nativeName());
        fails(Reason.ACCESS_DENIED, () -> provider.deletePersistent(Protocol.TCP, range));
    }

    @Test
    void unknownTokensAreRefusedBeforeAnyNativeCall() throws IOException {
        int before = associateCalls();
        PortReservationException e = fails(Reason.UNKNOWN_TOKEN,
                () -> provider.bind(ReservationToken.of(12345), server(), loopback(0)));
        assertTrue(e.getMessage().contains("lookupPersistent"), e.getMessage());
        assertTrue(provider.runtimeReservation(ReservationToken.of(12345)).isEmpty());
        fails(Reason.INVALID_ARGUMENT, () -> provider.bind(null, server(), loopback(0)));
        fails(Reason.INVALID_ARGUMENT, () -> WindowsPortReservationProvider.create(null));
        assertEquals(before, associateCalls());
        assertEquals("windows", provider.name());
    }

}
