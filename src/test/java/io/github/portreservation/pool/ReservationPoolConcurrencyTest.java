package io.github.portreservation.pool;

import io.github.portreservation.PortReservationException;
import io.github.portreservation.PortReservationException.Reason;
import io.github.portreservation.Protocol;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Four threads lease, bind and return at once on a small pool that grows, waits, reclaims nothing and releases idle
 * blocks at once (test-only provider, no sockets): a port is never held by two live leases (checked by an owner map
 * and by the fake reservation, which refuses a second bind of a bound port), and the counts add up at the end.
 */
class ReservationPoolConcurrencyTest {
    private static final int THREADS = 4;
    private static final int CYCLES = 25_000;

    @Test
    void concurrentLeasesNeverShareAPortAndTheCountsAddUp() throws Exception {
        FakeProvider provider = new FakeProvider(30000);
        ReservationPool pool = ReservationPool.builder(provider, Protocol.TCP).blockSize(2).maxBlocks(3)
                .idleTimeout(Duration.ZERO).waitWhenExhausted(Duration.ofSeconds(20)).cooldown(Duration.ZERO)
                .nonBlockingThreads(thread -> false).build();
        ConcurrentMap<Integer, Thread> owners = new ConcurrentHashMap<>();
        AtomicLong granted = new AtomicLong();
        AtomicReference<Throwable> failure = new AtomicReference<>();
        List<Thread> workers = new ArrayList<>();
        for (int t = 0; t < THREADS; t++) {
            Thread worker = new Thread(() -> {
                try {
                    work(pool, owners, granted);
                } catch (Throwable e) {
                    failure.compareAndSet(null, e);
                }
            }, "worker-" + t);
            workers.add(worker);
            worker.start();
        }
        for (Thread worker : workers) {
            worker.join(TimeUnit.SECONDS.toMillis(120));
            assertTrue(!worker.isAlive(), worker.getName() + " is stuck: " + pool.statistics());
        }
        if (failure.get() != null) {
            throw new AssertionError("a worker failed", failure.get());
        }
        PoolStatistics s = pool.statistics();
        assertEquals(granted.get(), s.leasesGranted(), s.toString());
        assertEquals(0, s.leased(), s.toString());
        assertEquals(0, s.waiters(), s.toString());
        assertEquals(0, s.timeouts(), s.toString());
        assertEquals(0, s.quarantined(), s.toString());
        assertEquals(0, s.failures(), s.toString());
        assertEquals(s.blocksAcquired() - s.blocksReleased(), s.blocks(), s.toString());
        assertTrue(s.blocksReleased() > 0, "idle blocks were released along the way: " + s);
        pool.close();
        pool.terminationFuture().get(5, TimeUnit.SECONDS);
        assertEquals(0, provider.openReservations.get());
    }

    /** With a cooldown, a port handed out again was returned at least that long before (checked against the clock). */
    @Test
    void withACooldownNoPortIsLeasedAgainInsideIt() throws Exception {
        FakeProvider provider = new FakeProvider(31000);
        long cooldown = TimeUnit.MICROSECONDS.toNanos(200);
        ReservationPool pool = ReservationPool.builder(provider, Protocol.TCP).blockSize(4).maxBlocks(2)
                .keepIdleBlocks().waitWhenExhausted(Duration.ofSeconds(20)).cooldown(Duration.ofNanos(cooldown))
                .nonBlockingThreads(thread -> false).build();
        ConcurrentMap<Integer, Long> returnedAt = new ConcurrentHashMap<>();
        ConcurrentMap<Integer, Thread> owners = new ConcurrentHashMap<>();
        AtomicReference<Throwable> failure = new AtomicReference<>();
        List<Thread> workers = new ArrayList<>();
        for (int t = 0; t < THREADS; t++) {
            workers.add(new Thread(() -> {
                try {
                    for (int i = 0; i < 5_000; i++) {
                        PortLease lease = pool.lease();
                        long leasedAt = System.nanoTime();
                        assertNull(owners.putIfAbsent(lease.port(), Thread.currentThread()), "leased twice");
                        Long returned = returnedAt.get(lease.port());
                        if (returned != null) {
                            assertTrue(leasedAt - returned >= cooldown, () -> "port " + lease.port() + " leased "
                                    + (leasedAt - returned) + " ns after its return");
                        }
                        owners.remove(lease.port());
                        returnedAt.put(lease.port(), System.nanoTime()); // before the pool notes its return
                        lease.close();
                    }
                } catch (Throwable e) {
                    failure.compareAndSet(null, e);
                }
            }));
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
        assertEquals(THREADS * 5_000L, s.leasesGranted(), s.toString());
        assertEquals(0, s.leased(), s.toString());
        assertEquals(0, s.timeouts(), s.toString());
        pool.closeForcibly();
        assertEquals(0, provider.openReservations.get());
    }

    /** A forced close in the middle of leases and returns: every request after it fails CLOSED, nothing stays held. */
    @Test
    void aForcedCloseMidwayLeavesNothingReserved() throws Exception {
        FakeProvider provider = new FakeProvider(32000);
        ReservationPool pool = ReservationPool.builder(provider, Protocol.TCP).blockSize(2).maxBlocks(3)
                .idleTimeout(Duration.ZERO).waitWhenExhausted(Duration.ofSeconds(20))
                .nonBlockingThreads(thread -> false).build();
        AtomicReference<Throwable> failure = new AtomicReference<>();
        AtomicLong closedFailures = new AtomicLong();
        List<Thread> workers = new ArrayList<>();
        for (int t = 0; t < THREADS; t++) {
            workers.add(new Thread(() -> {
                try {
                    for (;;) {
                        PortLease lease;
                        try {
                            lease = pool.lease();
                        } catch (PortReservationException e) {
                            assertEquals(Reason.CLOSED, e.reason(), e.getMessage());
                            closedFailures.incrementAndGet();
                            return;
                        }
                        lease.close();
                    }
                } catch (Throwable e) {
                    failure.compareAndSet(null, e);
                }
            }));
        }
        workers.forEach(Thread::start);
        Thread.sleep(200);
        pool.closeForcibly();
        for (Thread worker : workers) {
            worker.join(TimeUnit.SECONDS.toMillis(60));
            assertTrue(!worker.isAlive(), worker.getName() + " is stuck: " + pool.statistics());
        }
        if (failure.get() != null) {
            throw new AssertionError("a worker failed", failure.get());
        }
        assertEquals(THREADS, closedFailures.get());
        pool.terminationFuture().get(5, TimeUnit.SECONDS);
        assertEquals(0, provider.openReservations.get());
        assertEquals(0, pool.statistics().blocks());
    }

    /** Holds up to two leases at a time, taken in one of four ways; sockets are closed before their leases. */
    private static void work(ReservationPool pool, ConcurrentMap<Integer, Thread> owners, AtomicLong granted)
            throws Exception {
        ThreadLocalRandom random = ThreadLocalRandom.current();
        List<PortLease> held = new ArrayList<>();
        List<FakeSocket> sockets = new ArrayList<>();
        for (int i = 0; i < CYCLES; i++) {
            if (held.size() == 2 || !held.isEmpty() && random.nextBoolean()) {
                int k = random.nextInt(held.size());
                PortLease lease = held.remove(k);
                FakeSocket socket = sockets.remove(k);
                assertTrue(owners.remove(lease.port(), Thread.currentThread()), "port " + lease.port() + " lost");
                if (socket != null) {
                    socket.open = false;
                }
                lease.close();
                continue;
            }
            FakeSocket socket = null;
            PortLease lease;
            switch (random.nextInt(4)) {
                case 0:
                    lease = pool.lease();
                    break;
                case 1:
                    lease = pool.leaseAsync().get(20, TimeUnit.SECONDS);
                    break;
                case 2:
                    socket = new FakeSocket(Protocol.TCP);
                    lease = (PortLease) pool.bind(socket, null);
                    assertEquals(lease.port(), socket.bound);
                    break;
                default:
                    lease = leaseAnyExplicitly(pool, random);
                    if (lease == null) {
                        continue;
                    }
            }
            granted.incrementAndGet();
            assertNull(owners.putIfAbsent(lease.port(), Thread.currentThread()), "port " + lease.port() + " leased "
                    + "twice");
            held.add(lease);
            sockets.add(socket);
        }
        for (int k = 0; k < held.size(); k++) {
            owners.remove(held.get(k).port(), Thread.currentThread());
            if (sockets.get(k) != null) {
                sockets.get(k).open = false;
            }
            held.get(k).close();
        }
    }

    /** A port of a held block by number: null when it is taken (IN_USE) or its block went away meanwhile. */
    private static PortLease leaseAnyExplicitly(ReservationPool pool, ThreadLocalRandom random) {
        List<io.github.portreservation.PortRange> ranges = pool.blockRanges();
        if (ranges.isEmpty()) {
            return null;
        }
        io.github.portreservation.PortRange r = ranges.get(random.nextInt(ranges.size()));
        try {
            return pool.lease(r.start() + random.nextInt(r.count()));
        } catch (PortReservationException e) {
            if (e.reason() != Reason.IN_USE && e.reason() != Reason.OUTSIDE_RESERVATION) {
                throw e;
            }
            return null;
        }
    }
}
