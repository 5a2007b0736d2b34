package io.github.portreservation.pool;

import io.github.portreservation.PortReservationException;
import io.github.portreservation.RuntimeReservation;

import java.lang.System.Logger.Level;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;

/**
 * Grows a pool by one block at a time: reserves a slot under the pool's lock (for a block cut into units of one
 * shape), acquires the block's reservations from the provider outside it (the system calls, see
 * {@link BlockReservations}), then commits it under the lock, or rolls the slot back and backs off. With fixed
 * ranges, only ranges that hold a unit of the shape are used, and a range that cannot be acquired is skipped for the
 * next one. After each growth it tells the pool, which serves its waiters.
 *
 * <p>The methods named {@code ...Locked} need the pool's lock; {@link #grow} and {@link #acquireMinimumBlocks} must be
 * called without it.
 */
final class BlockGrower {
    private static final System.Logger LOG = System.getLogger(ReservationPool.class.getName());
    /** After a block could not be acquired, growth is not tried again for this long (protects the provider). */
    static final long BACKOFF_NANOS = TimeUnit.MILLISECONDS.toNanos(500);

    private final Object lock;
    private final PoolSettings settings;
    private final PortTable table;
    private final PoolCounters counters;
    private final PoolErrors errors;
    private final PoolScheduler scheduler;
    private final IdleReaper reaper;
    private final Runnable afterGrowth;
    /** Per slot: the shape of the block being acquired for it, or -1. Guarded by the lock. */
    private final int[] slotShape;
    private final BlockReservations reservations;
    private int growing;
    private int pendingPorts;
    private PortReservationException lastFailure;
    private long retryAt;

    /** {@code afterGrowth} runs without the lock after each growth ends, added or not. */
    BlockGrower(Object lock, PoolSettings settings, PortTable table, PoolCounters counters, PoolErrors errors,
                PoolScheduler scheduler, IdleReaper reaper, Runnable afterGrowth) {
        this.lock = lock;
        this.settings = settings;
        this.table = table;
        this.counters = counters;
        this.errors = errors;
        this.scheduler = scheduler;
        this.reaper = reaper;
        this.afterGrowth = afterGrowth;
        this.slotShape = new int[settings.slots()];
        Arrays.fill(slotShape, -1);
        this.reservations = new BlockReservations(settings, errors);
    }

    /** Blocks being acquired now. */
    int growing() {
        return growing;
    }

    /** Why the last acquisition failed, or null after a success. */
    PortReservationException lastFailure() {
        return lastFailure;
    }

    /** Whether growth waits, at {@code now}, for the backoff after a failed acquisition to end. */
    boolean backingOff(long now) {
        return lastFailure != null && now - retryAt < 0;
    }

    /** Nanoseconds from {@code now} until growth is tried again after a failure (0 when not backing off). */
    long retryInNanos(long now) {
        return backingOff(now) ? retryAt - now : 0;
    }

    /** When growth may be tried again, if the pool is backing off and has room for a block; else NEVER. */
    long retryTimeLocked() {
        boolean room = !table.isClosed() && table.gauges().blockCount() + growing < settings.maxBlocks();
        return lastFailure != null && room ? retryAt : PoolSettings.NEVER;
    }

    /**
     * Reserves the slot of the next block (of single ports), or returns -1 when the pool cannot grow: closed, at its
     * maximum of blocks or ports, or backing off (unless {@code ignoreBackoff}).
     */
    int reserveLocked(boolean ignoreBackoff) {
        return reserveLocked(0, null, ignoreBackoff);
    }

    /** As {@link #reserveLocked(boolean)}, for a block cut into units of the table's shape {@code shape}. */
    int reserveLocked(int shape, boolean ignoreBackoff) {
        return reserveLocked(shape, null, ignoreBackoff);
    }

    /** As {@link #reserveLocked(int, boolean)}, skipping the fixed ranges marked in {@code tried}. */
    private int reserveLocked(int shape, boolean[] tried, boolean ignoreBackoff) {
        if (table.isClosed() || table.gauges().blockCount() + growing >= settings.maxBlocks()
                || !ignoreBackoff && backingOff(settings.clock().getAsLong())) {
            return -1;
        }
        for (int slot = 0; slot < slotShape.length; slot++) {
            if (table.block(slot) != null || slotShape[slot] >= 0 || tried != null && tried[slot]
                    || settings.hasFixedRanges() && table.shape(shape).unitsIn(settings.fixedRanges().get(slot)) == 0) {
                continue;
            }
            int size = settings.sizeOfSlot(slot);
            if ((long) table.gauges().heldPorts() + pendingPorts + size > settings.maxPorts()) {
                if (!settings.hasFixedRanges()) {
                    return -1;
                }
                continue;
            }
            slotShape[slot] = shape;
            growing++;
            pendingPorts += size;
            return slot;
        }
        return -1;
    }

    /** Grows by the reserved {@code slot} on the scheduler; a refusal counts as a failed acquisition. */
    void launchLocked(int slot) {
        try {
            scheduler.execute(() -> growInBackground(slot));
        } catch (RejectedExecutionException e) {
            rollBackLocked(slot);
            failedLocked(errors.schedulerRejected("the growth task", e));
        }
    }

    private void growInBackground(int slot) {
        try {
            grow(slot, false);
        } catch (RuntimeException e) {
            LOG.log(Level.DEBUG, () -> "Growing " + errors + " failed", e);
        }
    }

    /** Acquires the pool's minimum blocks, all or nothing: on failure the caller releases what was added. */
    void acquireMinimumBlocks(int count) {
        for (int i = 0; i < count; i++) {
            int slot;
            synchronized (lock) {
                slot = reserveLocked(true);
            }
            if (slot < 0) {
                throw errors.minimumBlocks(count);
            }
            grow(slot, false);
        }
    }

    /**
     * Acquires the block of the reserved {@code slot} and adds it, trying the next fixed ranges when it is taken.
     *
     * @return a lease of the new block's first port when {@code forCaller}, else null
     * @throws PortReservationException why no block could be acquired (CLOSED when the pool closed meanwhile)
     */
    PortLease grow(int slot, boolean forCaller) {
        boolean[] tried = settings.hasFixedRanges() ? new boolean[slotShape.length] : null;
        for (;;) {
            Acquisition acquired = acquire(slot);
            Commit commit;
            synchronized (lock) {
                commit = commitLocked(acquired, forCaller, tried);
            }
            if (commit.discard() != null) {
                PoolBlock.release(commit.discard());
            }
            if (commit.nextSlot() >= 0) {
                slot = commit.nextSlot();
                continue;
            }
            afterGrowth.run();
            if (commit.failure() != null) {
                LOG.log(Level.DEBUG, () -> errors + " could not grow", commit.failure());
                throw commit.failure();
            }
            LOG.log(Level.DEBUG, () -> errors + " acquired block " + acquired.block().range());
            return commit.lease();
        }
    }

    /** What the provider gave for one slot: a block, or a failure (with reservations to release, if any). */
    record Acquisition(int slot, PoolBlock block, List<RuntimeReservation> discard,
                       PortReservationException failure) {
    }

    /** The outcome of a commit: the caller's lease, reservations to release, the next slot to try, the failure. */
    record Commit(PortLease lease, List<RuntimeReservation> discard, int nextSlot, PortReservationException failure) {
    }

    /**
     * Asks the provider for the block of {@code slot} (its reservations, see {@link BlockReservations}) and cuts it
     * into units of the shape it was reserved for; call without the lock.
     */
    Acquisition acquire(int slot) {
        long started = settings.clock().getAsLong();
        PortShape shape = table.shape(slotShape[slot]); // written under the lock before this thread got the slot
        try {
            List<RuntimeReservation> r = reservations.acquire(settings.hasFixedRanges()
                    ? settings.fixedRanges().get(slot) : null);
            return new Acquisition(slot, new PoolBlock(slot, r, shape, started - settings.cooldownNanos()), null, null);
        } catch (PortReservationException e) {
            return new Acquisition(slot, null, null, e);
        }
    }

    /**
     * Ends the growth of {@code acquired.slot()}: adds the block, or rolls back and backs off (a fixed range that
     * failed is marked in {@code tried} and the next untried one reserved). Needs the lock.
     */
    Commit commitLocked(Acquisition acquired, boolean forCaller, boolean[] tried) {
        int shape = Math.max(0, slotShape[acquired.slot()]);
        rollBackLocked(acquired.slot());
        PoolBlock block = acquired.block();
        if (block != null && !table.isClosed() && !table.overlaps(block.range())) {
            PortLease first = table.add(block, forCaller);
            counters.blockAcquired();
            lastFailure = null;
            if (!forCaller) {
                reaper.wentIdle(block);
            }
            return new Commit(first, null, -1, null);
        }
        PortReservationException failure = block == null ? acquired.failure()
                : table.isClosed() ? errors.closed() : errors.overlappingBlock(settings.provider().name(), block.range());
        List<RuntimeReservation> discard = block != null ? block.reservations() : acquired.discard();
        if (table.isClosed()) {
            return new Commit(null, discard, -1, failure);
        }
        counters.failure();
        int next = -1;
        if (tried != null) {
            tried[acquired.slot()] = true;
            next = reserveLocked(shape, tried, true);
        }
        if (next < 0) {
            failedLocked(failure);
        }
        return new Commit(null, discard, next, failure);
    }

    /** Gives the reserved {@code slot} up: no block is being acquired for it any more. */
    private void rollBackLocked(int slot) {
        slotShape[slot] = -1;
        growing--;
        pendingPorts -= settings.sizeOfSlot(slot);
    }

    private void failedLocked(PortReservationException failure) {
        lastFailure = failure;
        retryAt = settings.clock().getAsLong() + BACKOFF_NANOS;
    }
}
