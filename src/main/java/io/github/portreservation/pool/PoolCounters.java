package io.github.portreservation.pool;

/**
 * The counters of one pool since it was built, the only place they change. Not thread-safe: the pool's lock guards
 * them, so that {@link #snapshot} reads them together with the gauges in one consistent state.
 */
final class PoolCounters {
    private long leasesGranted;
    private long failures;
    private long exhaustions;
    private long timeouts;
    private long blocksAcquired;
    private long blocksReleased;

    /** A port was leased. */
    void leaseGranted() {
        leasesGranted++;
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

    /** These counters with the gauges of {@code table} and {@code waiters}; call under the pool's lock. */
    PoolStatistics snapshot(PortTable table, int waiters) {
        return new PoolStatistics(table.capacity(), table.leased(), table.free(), table.quarantined(),
                table.blockCount(), waiters, leasesGranted, failures, exhaustions, timeouts, blocksAcquired,
                blocksReleased);
    }
}
