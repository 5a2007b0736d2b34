package io.github.portreservation.pool;

/**
 * A consistent snapshot of a {@link ReservationPool}'s gauges and counters, taken under the pool's lock. Immutable.
 *
 * <p>Gauges: {@link #capacity()} = {@link #leased()} + {@link #free()} (ports of the held blocks that can be leased,
 * quarantined ports excluded), {@link #blocks()}, {@link #quarantined()}, {@link #waiters()}. Counters (since the pool
 * was built): {@link #leasesGranted()}, {@link #failures()}, {@link #exhaustions()}, {@link #timeouts()},
 * {@link #blocksAcquired()}, {@link #blocksReleased()}.
 */
public final class PoolStatistics {
    private final int capacity;
    private final int leased;
    private final int free;
    private final int quarantined;
    private final int blocks;
    private final int waiters;
    private final long leasesGranted;
    private final long failures;
    private final long exhaustions;
    private final long timeouts;
    private final long blocksAcquired;
    private final long blocksReleased;

    PoolStatistics(int capacity, int leased, int free, int quarantined, int blocks, int waiters, long leasesGranted,
                   long failures, long exhaustions, long timeouts, long blocksAcquired, long blocksReleased) {
        this.capacity = capacity;
        this.leased = leased;
        this.free = free;
        this.quarantined = quarantined;
        this.blocks = blocks;
        this.waiters = waiters;
        this.leasesGranted = leasesGranted;
        this.failures = failures;
        this.exhaustions = exhaustions;
        this.timeouts = timeouts;
        this.blocksAcquired = blocksAcquired;
        this.blocksReleased = blocksReleased;
    }

    /**
     * Ports of the held blocks that the pool can lease: leased + free (quarantined ports are not counted, nor the
     * ports of a block cut into a shape that lie in none of its units, such as the odd first port of a block of
     * RTP pairs).
     */
    public int capacity() {
        return capacity;
    }

    /** Ports currently leased. */
    public int leased() {
        return leased;
    }

    /** Ports free to lease now or after their cooldown. */
    public int free() {
        return free;
    }

    /** Ports taken out of use because a bind on them failed for a reason outside the pool's control. */
    public int quarantined() {
        return quarantined;
    }

    /** Blocks (runtime reservations) the pool holds. */
    public int blocks() {
        return blocks;
    }

    /** Lease requests waiting for a port. */
    public int waiters() {
        return waiters;
    }

    /** Leases granted since the pool was built. */
    public long leasesGranted() {
        return leasesGranted;
    }

    /** Failed attempts: binds refused by the operating system or the reservation, and blocks that could not be acquired. */
    public long failures() {
        return failures;
    }

    /** Lease requests refused at once because no port was free and the pool could not grow. */
    public long exhaustions() {
        return exhaustions;
    }

    /** Lease requests that waited for a port longer than the configured timeout. */
    public long timeouts() {
        return timeouts;
    }

    /** Blocks acquired since the pool was built. */
    public long blocksAcquired() {
        return blocksAcquired;
    }

    /** Blocks released (idle, or at close) since the pool was built. */
    public long blocksReleased() {
        return blocksReleased;
    }

    @Override
    public String toString() {
        return "PoolStatistics[capacity=" + capacity + ", leased=" + leased + ", free=" + free + ", quarantined="
                + quarantined + ", blocks=" + blocks + ", waiters=" + waiters + ", leasesGranted=" + leasesGranted
                + ", failures=" + failures + ", exhaustions=" + exhaustions + ", timeouts=" + timeouts
                + ", blocksAcquired=" + blocksAcquired + ", blocksReleased=" + blocksReleased + "]";
    }
}
