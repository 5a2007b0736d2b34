package io.github.portreservation.pool;

import java.util.concurrent.atomic.LongAdder;

/**
 * The counters of one pool since it was built, the only place they change. The pool's lock guards them, so that
 * {@link #snapshot} reads them together with the gauges in one state; only {@link #leaseGranted()}, bumped by leases
 * taken without the lock, is a {@link LongAdder}.
 */
final class PoolCounters {
    private final LongAdder leasesGranted = new LongAdder();
    private long failures;
    private long exhaustions;
    private long timeouts;
    private long blocksAcquired;
    private long blocksReleased;

    /** A port was leased; thread-safe. */
    void leaseGranted() {
        leasesGranted.increment();
    }

    /** A bind failed, or a block could not be acquired. */
    void failure() {
        failures++;
    }

    /** {@code requests} requests were refused because no port was free and the pool could not grow. */
    void exhaustions(int requests) {
        exhaustions += requests;
    }

    /** A request waited longer than the wait timeout. */
    void timeout() {
        timeouts++;
    }

    /** A block was added. */
    void blockAcquired() {
        blocksAcquired++;
    }

    /** A block was dropped (idle, all quarantined, or closing). */
    void blockReleased() {
        blocksReleased++;
    }

    /**
     * These counters with the gauges of {@code table} and {@code waiters}; call under the pool's lock. Leased is
     * capacity minus free, so the two always add up; with leases and returns under way they are those of an instant
     * during the call.
     */
    PoolStatistics snapshot(PortTable table, int waiters) {
        int capacity = table.gauges().capacity();
        int free = table.free(-1, true);
        return new PoolStatistics(capacity, capacity - free, free, table.gauges().quarantined(), table.gauges().blockCount(), waiters,
                leasesGranted.sum(), failures, exhaustions, timeouts, blocksAcquired, blocksReleased);
    }
}
