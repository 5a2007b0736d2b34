package io.github.portreservation.pool;

import io.github.portreservation.PortBinding;
import io.github.portreservation.PortRange;
import io.github.portreservation.Protocol;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Four threads lease single ports and shapes at once, blocking and asynchronously, on a pool of three blocks that
 * waits when exhausted and releases idle blocks at once (test-only provider, no sockets): blocks are cut into one
 * shape after another, grown and released while leases and returns run, and still no port is held by two live
 * leases, every shape is whole, and the counts add up at the end.
 */
class ShapeConcurrencyTest {
    private static final int THREADS = 4;
    private static final int CYCLES = 10_000;
    private static final List<PortShape> SHAPES = List.of(PortShape.rtpPair(), PortShape.contiguous(3),
            PortShape.single());

    @Test
    void concurrentShapeAndSingleLeasesNeverShareAPort() throws Exception {
        FakeProvider provider = new FakeProvider(30001);
        ReservationPool pool = ReservationPool.builder(provider, Protocol.UDP).blockSize(6).maxBlocks(3)
                .idleTimeout(Duration.ZERO).waitWhenExhausted(Duration.ofSeconds(20)).cooldown(Duration.ZERO)
                .nonBlockingThreads(thread -> false).build();
        ConcurrentMap<Integer, Thread> owners = new ConcurrentHashMap<>();
        AtomicReference<Throwable> failure = new AtomicReference<>();
        List<Thread> workers = new ArrayList<>();
        for (int t = 0; t < THREADS; t++) {
            workers.add(new Thread(() -> {
                try {
                    for (int i = 0; i < CYCLES; i++) {
                        cycle(pool, owners, ThreadLocalRandom.current());
                    }
                } catch (Throwable e) {
                    failure.compareAndSet(null, e);
                }
            }, "worker-" + t));
        }
        workers.forEach(Thread::start);
        for (Thread worker : workers) {
            worker.join(TimeUnit.SECONDS.toMillis(120));
            assertTrue(!worker.isAlive(), worker.getName() + " is stuck: " + pool.statistics());
        }
        if (failure.get() != null) {
            throw new AssertionError("a worker failed", failure.get());
        }
        PoolStatistics s = pool.statistics();
        assertEquals(THREADS * (long) CYCLES, s.leasesGranted(), s.toString());
        assertEquals(0, s.leased(), s.toString());
        assertEquals(0, s.waiters(), s.toString());
        assertEquals(0, s.timeouts(), s.toString());
        assertEquals(0, s.failures(), s.toString());
        assertEquals(s.blocksAcquired() - s.blocksReleased(), s.blocks(), s.toString());
        pool.close();
        pool.terminationFuture().get(5, TimeUnit.SECONDS);
        assertEquals(0, provider.openReservations.get());
    }

    /** One lease of a random shape and kind, owned, maybe bound, then given back (sockets first or last). */
    private static void cycle(ReservationPool pool, ConcurrentMap<Integer, Thread> owners, ThreadLocalRandom random)
            throws Exception {
        PortShape shape = SHAPES.get(random.nextInt(SHAPES.size()));
        if (shape.equals(PortShape.single()) && random.nextBoolean()) {
            PortLease lease = random.nextBoolean() ? pool.lease() : pool.leaseAsync().get(20, TimeUnit.SECONDS);
            own(owners, PortRange.single(lease.port()));
            disown(owners, PortRange.single(lease.port()));
            lease.close();
            return;
        }
        ShapeLease lease = random.nextBoolean() ? pool.lease(shape)
                : pool.leaseAsync(shape).get(20, TimeUnit.SECONDS);
        PortRange ports = lease.ports();
        assertEquals(shape.count(), ports.count());
        assertEquals(0, ports.start() % shape.alignment(), ports.toString());
        own(owners, ports);
        List<FakeSocket> sockets = new ArrayList<>();
        List<PortBinding> bindings = new ArrayList<>();
        for (int i = random.nextInt(shape.count() + 1); i > 0; i--) {
            FakeSocket socket = new FakeSocket(Protocol.UDP);
            bindings.add(lease.bind(socket, null));
            sockets.add(socket);
        }
        disown(owners, ports); // before the pool can hand the ports out again
        boolean leaseFirst = random.nextBoolean();
        if (leaseFirst) {
            lease.close();
        }
        for (int i = 0; i < sockets.size(); i++) {
            sockets.get(i).open = false;
            bindings.get(i).close();
        }
        lease.close();
    }

    private static void own(ConcurrentMap<Integer, Thread> owners, PortRange ports) {
        for (int p = ports.start(); p <= ports.end(); p++) {
            assertNull(owners.putIfAbsent(p, Thread.currentThread()), "port " + p + " leased twice");
        }
    }

    private static void disown(ConcurrentMap<Integer, Thread> owners, PortRange ports) {
        for (int p = ports.start(); p <= ports.end(); p++) {
            assertTrue(owners.remove(p, Thread.currentThread()), "port " + p + " lost");
        }
    }
}
