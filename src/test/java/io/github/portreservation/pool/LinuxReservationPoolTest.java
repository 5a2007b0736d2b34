package io.github.portreservation.pool;

import io.github.portreservation.testing.FaultySocket;
import io.github.portreservation.PortReservations;
import io.github.portreservation.testing.RequiresProvider;
import io.github.portreservation.testing.Await;
import io.github.portreservation.testing.Descriptors;
import io.github.portreservation.PortBinding;
import io.github.portreservation.PortRange;
import io.github.portreservation.PortReservationException;
import io.github.portreservation.PortReservationException.Reason;
import io.github.portreservation.PortReservationProvider;
import io.github.portreservation.Protocol;
import io.github.portreservation.ReservableSocket;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledOnOs;
import org.junit.jupiter.api.condition.OS;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.DatagramChannel;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static io.github.portreservation.testing.HeldPorts.assertHeld;
import static io.github.portreservation.pool.LinuxPools.assertInside;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The pool on the real Linux provider: placeholder-held blocks, real sockets on loopback, real traffic. */
@EnabledOnOs(OS.LINUX)
@RequiresProvider(PortReservations.LINUX)
class LinuxReservationPoolTest {
    private static final InetAddress LOOPBACK = InetAddress.getLoopbackAddress();
    private static PortReservationProvider provider;

    @BeforeAll
    static void warmUp() throws Exception {
        provider = LinuxPools.provider();
        // Load every class and open every jar once, so that descriptor counts compare like with like.
        ReservationPool pool = ReservationPool.builder(provider, Protocol.TCP).blockSize(1).build();
        try (ServerSocketChannel server = ServerSocketChannel.open()) {
            PortBinding b = pool.bind(ReservableSocket.of(server, 0), new InetSocketAddress(LOOPBACK, 0));
            roundTrip(server, b.port());
            server.close();
            b.close();
        }
        pool.close();
        pool.terminationFuture().get(5, TimeUnit.SECONDS);
    }

    private static void roundTrip(ServerSocketChannel server, int port) throws IOException {
        try (SocketChannel client = SocketChannel.open(new InetSocketAddress(LOOPBACK, port));
             SocketChannel accepted = server.accept()) {
            client.write(ByteBuffer.wrap(new byte[] {(byte) port}));
            ByteBuffer in = ByteBuffer.allocate(1);
            assertEquals(1, accepted.read(in));
            assertEquals((byte) port, in.get(0));
        }
    }

    private static PortReservationException expect(Reason reason, org.junit.jupiter.api.function.Executable call) {
        PortReservationException e = assertThrows(PortReservationException.class, call);
        assertEquals(reason, e.reason(), e.getMessage());
        return e;
    }

    @Test
    void tcpServersGrowThePoolByHeldBlocksAndIdleBlocksAreReleased() throws Exception {
        Set<String> baseline = Descriptors.snapshot();
        ReservationPool pool = ReservationPool.builder(provider, Protocol.TCP).blockSize(4).maxBlocks(3)
                .idleTimeout(Duration.ofMillis(100)).build();
        List<ServerSocketChannel> servers = new ArrayList<>();
        List<PortBinding> bindings = new ArrayList<>();
        Set<Integer> ports = new HashSet<>();
        for (int i = 0; i < 12; i++) {
            ServerSocketChannel server = ServerSocketChannel.open();
            servers.add(server);
            PortBinding b = pool.bind(ReservableSocket.of(server, 0), new InetSocketAddress(LOOPBACK, 0));
            bindings.add(b);
            assertEquals(b.port(), ((InetSocketAddress) server.getLocalAddress()).getPort());
            assertTrue(ports.add(b.port()), "port " + b.port() + " twice");
        }
        List<PortRange> blocks = pool.blockRanges();
        assertEquals(3, blocks.size());
        for (PortRange block : blocks) {
            assertHeld(block);
        }
        for (int i = 0; i < servers.size(); i++) {
            assertInside(bindings.get(i).port(), blocks);
            roundTrip(servers.get(i), bindings.get(i).port());
        }
        PoolStatistics s = pool.statistics();
        assertEquals(12, s.capacity());
        assertEquals(12, s.leased());
        assertEquals(3, s.blocksAcquired());
        try (ServerSocketChannel extra = ServerSocketChannel.open()) {
            expect(Reason.EXHAUSTED, () -> pool.bind(ReservableSocket.of(extra, 0), null));
            assertEquals(null, extra.getLocalAddress());
        }
        Set<String> opened = Descriptors.snapshot();
        opened.removeAll(baseline);
        assertEquals(12 + 12, opened.size(), "12 placeholders + 12 servers, nothing else: " + opened);
        // Shrink: the newest block goes idle first and is released; the others follow.
        for (int i = 11; i >= 4; i--) {
            servers.get(i).close();
            bindings.get(i).close();
        }
        Await.assertEventually(1, () -> pool.statistics().blocks(), "blocks");
        assertEquals(List.of(blocks.get(0)), pool.blockRanges());
        assertHeld(blocks.get(0));
        for (int i = 0; i < 4; i++) {
            roundTrip(servers.get(i), bindings.get(i).port());
            servers.get(i).close();
            bindings.get(i).close();
        }
        Await.assertEventually(0, () -> pool.statistics().blocks(), "blocks");
        assertEquals(3, pool.statistics().blocksReleased());
        Descriptors.awaitNoneOpenedSince(baseline);
        pool.close();
    }

    @Test
    void udpSocketsAndTcpClientSourcePortsComeFromThePool() throws Exception {
        Set<String> baseline = Descriptors.snapshot();
        ReservationPool udp = ReservationPool.builder(provider, Protocol.UDP).blockSize(2).build();
        try (DatagramChannel a = DatagramChannel.open(); DatagramChannel b = DatagramChannel.open()) {
            PortBinding ba = udp.bind(ReservableSocket.of(a), new InetSocketAddress(LOOPBACK, 0));
            PortBinding bb = udp.bind(ReservableSocket.of(b), new InetSocketAddress(LOOPBACK, 0));
            assertEquals(List.of(PortRange.of(ba.port(), 2)), udp.blockRanges());
            a.send(ByteBuffer.wrap(new byte[] {7}), new InetSocketAddress(LOOPBACK, bb.port()));
            ByteBuffer in = ByteBuffer.allocate(4);
            InetSocketAddress from = (InetSocketAddress) b.receive(in);
            assertEquals(ba.port(), from.getPort());
            assertEquals(7, in.get(0));
            a.close();
            b.close();
            ba.close();
            bb.close();
        }
        udp.close();
        ReservationPool tcp = ReservationPool.builder(provider, Protocol.TCP).blockSize(2).build();
        try (ServerSocketChannel server = ServerSocketChannel.open().bind(new InetSocketAddress(LOOPBACK, 0));
             SocketChannel client = SocketChannel.open()) {
            PortBinding source = tcp.bind(ReservableSocket.of(client), new InetSocketAddress(LOOPBACK, 0));
            client.connect(server.getLocalAddress());
            try (SocketChannel accepted = server.accept()) {
                assertEquals(source.port(), ((InetSocketAddress) accepted.getRemoteAddress()).getPort());
            }
            client.close();
            source.close();
        }
        tcp.close();
        udp.terminationFuture().get(5, TimeUnit.SECONDS);
        tcp.terminationFuture().get(5, TimeUnit.SECONDS);
        Descriptors.awaitNoneOpenedSince(baseline);
    }

    @Test
    void aWaitingLeaseGetsTheNextReturnedPortAndBindsANewServerOnIt() throws Exception {
        ReservationPool pool = ReservationPool.builder(provider, Protocol.TCP).blockSize(2).maxBlocks(1)
                .waitWhenExhausted(Duration.ofSeconds(10)).build();
        ServerSocketChannel first = ServerSocketChannel.open();
        ServerSocketChannel second = ServerSocketChannel.open();
        PortBinding b1 = pool.bind(ReservableSocket.of(first, 0), new InetSocketAddress(LOOPBACK, 0));
        PortBinding b2 = pool.bind(ReservableSocket.of(second, 0), new InetSocketAddress(LOOPBACK, 0));
        CompletableFuture<PortLease> waiting = pool.leaseAsync();
        CompletableFuture<PortBinding> blocked = CompletableFuture.supplyAsync(() -> {
            try {
                return pool.bind(ReservableSocket.of(ServerSocketChannel.open(), 0),
                        new InetSocketAddress(LOOPBACK, 0));
            } catch (IOException e) {
                throw new AssertionError(e);
            }
        });
        Await.assertEventually(2, () -> pool.statistics().waiters(), "pool.statistics().waiters()");
        assertFalse(waiting.isDone());
        first.close();
        b1.close();
        PortLease lease = waiting.get(5, TimeUnit.SECONDS);
        assertEquals(b1.port(), lease.port());
        try (ServerSocketChannel third = ServerSocketChannel.open()) {
            lease.bind(ReservableSocket.of(third, 0), new InetSocketAddress(LOOPBACK, 0));
            roundTrip(third, lease.port());
            third.close();
            lease.close();
        }
        PortBinding b3 = blocked.get(5, TimeUnit.SECONDS);
        assertEquals(b1.port(), b3.port()); // the only free port, after its return
        assertEquals(2, pool.statistics().leased());
        pool.closeForcibly();
        second.close();
        b2.close();
        b3.close();
    }

    @Test
    void closeKeepsBlocksHeldUntilTheirLastLeaseReturns() throws Exception {
        Set<String> baseline = Descriptors.snapshot();
        ReservationPool pool = ReservationPool.builder(provider, Protocol.TCP).blockSize(2).maxBlocks(2).build();
        List<ServerSocketChannel> servers = new ArrayList<>();
        List<PortBinding> bindings = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            ServerSocketChannel server = ServerSocketChannel.open();
            servers.add(server);
            bindings.add(pool.bind(ReservableSocket.of(server, 0), new InetSocketAddress(LOOPBACK, 0)));
        }
        List<PortRange> blocks = pool.blockRanges();
        CompletableFuture<Void> terminated = pool.terminationFuture();
        pool.close();
        expect(Reason.CLOSED, pool::lease);
        try (ServerSocketChannel late = ServerSocketChannel.open()) {
            expect(Reason.CLOSED, () -> pool.bind(ReservableSocket.of(late, 0), null));
        }
        for (int i = 0; i < 3; i++) {
            roundTrip(servers.get(i), bindings.get(i).port());
        }
        // The second block's only lease returns: that block is released, the first is still held.
        servers.get(2).close();
        bindings.get(2).close();
        assertTrue(provider.runtimeReservation(bindings.get(2).token()).isEmpty());
        assertHeld(blocks.get(0));
        servers.get(0).close();
        bindings.get(0).close();
        assertFalse(terminated.isDone());
        assertHeld(blocks.get(0).start());
        servers.get(1).close();
        bindings.get(1).close();
        terminated.get(5, TimeUnit.SECONDS);
        assertTrue(provider.runtimeReservation(bindings.get(0).token()).isEmpty());
        Descriptors.awaitNoneOpenedSince(baseline);
    }

    @Test
    void forcedCloseReleasesBlocksAtOnceAndBoundSocketsKeepWorking() throws Exception {
        Set<String> baseline = Descriptors.snapshot();
        ReservationPool pool = ReservationPool.builder(provider, Protocol.TCP).blockSize(2).build();
        ServerSocketChannel server = ServerSocketChannel.open();
        PortLease lease = (PortLease) pool.bind(ReservableSocket.of(server, 0), new InetSocketAddress(LOOPBACK, 0));
        pool.closeForcibly();
        assertFalse(lease.isActive());
        assertTrue(pool.terminationFuture().isDone());
        assertTrue(provider.runtimeReservation(lease.token()).isEmpty());
        roundTrip(server, lease.port());
        server.close();
        lease.close();
        Descriptors.awaitNoneOpenedSince(baseline);
        PoolStatistics s = pool.statistics();
        assertEquals(0, s.capacity());
        assertEquals(1, s.blocksReleased());
    }

    @Test
    void aPortTakenBetweenAcquireAndBindIsQuarantinedAndTheNextIsBound() throws Exception {
        ReservationPool pool = ReservationPool.builder(provider, Protocol.TCP).blockSize(4).build();
        try (ServerSocketChannel server = ServerSocketChannel.open();
             ServerSocketChannel other = ServerSocketChannel.open()) {
            PortBinding b = pool.bind(new FaultySocket(ReservableSocket.of(server, 0), FaultySocket.Fault.PORT_TAKEN),
                    new InetSocketAddress(LOOPBACK, 0));
            PortRange block = pool.blockRanges().get(0);
            assertEquals(block.start() + 1, b.port());
            roundTrip(server, b.port());
            PoolStatistics s = pool.statistics();
            assertEquals(1, s.quarantined());
            assertEquals(1, s.failures());
            assertEquals(3, s.capacity());
            assertTrue(expect(Reason.IN_USE, () -> pool.lease(block.start())).getMessage().contains("quarantined"));
            // An error that is not the port's fault: the port goes back, the socket stays unbound.
            PortReservationException e = expect(Reason.SYSTEM_ERROR, () -> pool.bind(
                    new FaultySocket(ReservableSocket.of(other, 0), FaultySocket.Fault.OTHER_ERROR), null));
            assertTrue(e.getMessage().contains("the network is unreachable"), e.getMessage());
            assertEquals("ENETUNREACH", e.nativeName());
            assertEquals(null, other.getLocalAddress());
            assertEquals(1, pool.statistics().leased());
            assertEquals(2, pool.statistics().free());
            server.close();
            b.close();
        }
        pool.close();
        pool.terminationFuture().get(5, TimeUnit.SECONDS);
    }
}
