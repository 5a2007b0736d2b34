package io.github.portreservation.pool;

import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The parts of a pool built one by one around a {@link PortTable}, for the unit tests of the grower and the reaper:
 * the same wiring as {@link LeaseDispatcher}, with a scheduler whose tasks never run during a test (the tests call the
 * duties directly) and counters of the notifications. Leases taken here are given back with
 * {@link PortTable#giveBack} directly: closing them would call {@link #NO_RETURNS}.
 */
final class PoolParts implements AutoCloseable {
    static final PortReturns NO_RETURNS = new PortReturns() {
        @Override
        public void giveBack(PortLease lease, boolean quarantine, boolean bindFailure) {
            throw new AssertionError("no lease is returned in these tests");
        }

        @Override
        public void linger(PortLease lease) {
            throw new AssertionError("no lease is bound in these tests");
        }

        @Override
        public void lingerEnded(PortLease lease) {
            throw new AssertionError("no lease is bound in these tests");
        }

        @Override
        public void countBindFailure() {
            throw new AssertionError("no lease is bound in these tests");
        }

        @Override
        public void bound(PortLease lease) {
            throw new AssertionError("no lease is bound in these tests");
        }
    };

    final Object lock = new Object();
    final PoolSettings settings;
    final PoolCounters counters = new PoolCounters();
    final PoolErrors errors = new PoolErrors("test pool");
    final PortTable table;
    final ScheduledExecutorService executor = Executors.newSingleThreadScheduledExecutor();
    /**
     * Keeps the executor's one thread busy until {@link #close()}, so that no scheduled duty runs beside a test's own
     * call: a re-check scheduled for the last nanosecond of an idle timeout would otherwise run at once, on the
     * manual clock of the test, and race with the test's asserts.
     */
    private final CountDownLatch closed = new CountDownLatch(1);
    final PoolScheduler scheduler = new PoolScheduler(executor, "test pool");
    final AtomicInteger growthsEnded = new AtomicInteger();
    final AtomicInteger releases = new AtomicInteger();
    final IdleReaper reaper;
    final BlockGrower grower;

    PoolParts(ReservationPoolBuilder builder) {
        executor.execute(() -> {
            try {
                closed.await();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        });
        this.settings = builder.settings();
        this.table = new PortTable(settings.slots(), NO_RETURNS, counters);
        this.reaper = new IdleReaper(lock, settings, table, counters, scheduler, releases::incrementAndGet);
        this.grower = new BlockGrower(lock, settings, table, counters, errors, scheduler, reaper,
                growthsEnded::incrementAndGet);
    }

    PoolStatistics statistics() {
        synchronized (lock) {
            return counters.snapshot(table, 0);
        }
    }

    @Override
    public void close() {
        closed.countDown();
        executor.shutdownNow();
    }
}
