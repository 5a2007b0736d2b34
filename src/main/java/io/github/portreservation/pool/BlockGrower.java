package io.github.portreservation.pool;

import io.github.portreservation.PortRange;
import io.github.portreservation.PortReservationException;
import io.github.portreservation.RuntimeReservation;

import java.lang.System.Logger.Level;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;

/**
 * Grows a pool by one block at a time: reserves a slot under the pool's lock, acquires the block from the provider
 * outside it (the system calls), then commits it under the lock, or rolls the slot back and backs off. With fixed
 * ranges, a range that cannot be acquired is skipped for the next one. After each growth it tells the pool, which
 * serves its waiters.
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
    private final boolean[] slotPending;
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
        this.slotPending = new boolean[settings.slots()];
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
        boolean room = !table.isClosed() && table.blockCount() + growing < settings.maxBlocks();
        return lastFailure != null && room ? retryAt : PoolSettings.NEVER;
    }

    /**
     * Reserves the slot of the next block, or returns -1 when the pool cannot grow: closed, at its maximum of blocks
     * or ports, or backing off (unless {@code ignoreBackoff}).
     */
    int reserveLocked(boolean ignoreBackoff) {
        return reserveLocked(null, ignoreBackoff);
    }

    /** As {@link #reserveLocked(boolean)}, skipping the fixed ranges marked in {@code tried}. */
    private int reserveLocked(boolean[] tried, boolean ignoreBackoff) {
        if (table.isClosed() || table.blockCount() + growing >= settings.maxBlocks()
                || !ignoreBackoff && backingOff(settings.clock().getAsLong())) {
            return -1;
        }
        for (int slot = 0; slot < slotPending.length; slot++) {
            if (table.block(slot) != null || slotPending[slot] || tried != null && tried[slot]) {
                continue;
            }
            int size = settings.sizeOfSlot(slot);
            if ((long) table.heldPorts() + pendingPorts + size > settings.maxPorts()) {
                if (!settings.hasFixedRanges()) {
                    return -1;
                }
                continue;
            }
            slotPending[slot] = true;
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
        boolean[] tried = settings.hasFixedRanges() ? new boolean[slotPending.length] : null;
        for (;;) {
            Acquisition acquired = acquire(slot);
            Commit commit;
            synchronized (lock) {
                commit = commitLocked(acquired, forCaller, tried);
            }
            if (commit.discard() != null) {
                PortTable.Block.release(commit.discard());
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

    /** What the provider gave for one slot: a block, or a failure (with a reservation to release, if any). */
    record Acquisition(int slot, PortTable.Block block, RuntimeReservation discard,
                       PortReservationException failure) {
    }

    /** The outcome of a commit: the caller's lease, a reservation to release, the next slot to try, the failure. */
    record Commit(PortLease lease, RuntimeReservation discard, int nextSlot, PortReservationException failure) {
    }

    /** Asks the provider for the block of {@code slot} and checks what it returns; call without the lock. */
    Acquisition acquire(int slot) {
        long started = settings.clock().getAsLong();
        String provider = settings.provider().name();
        RuntimeReservation r;
        try {
            r = settings.hasFixedRanges()
                    ? settings.provider().acquire(settings.protocol(), settings.fixedRanges().get(slot))
                    : settings.provider().acquire(settings.protocol(), settings.blockSize());
        } catch (PortReservationException e) {
            return new Acquisition(slot, null, null, e);
        } catch (RuntimeException e) {
            return new Acquisition(slot, null, null, errors.providerFailed(provider, e));
        }
        if (r == null) {
            return new Acquisition(slot, null, null, errors.providerReturnedNothing(provider));
        }
        PortRange expected = settings.hasFixedRanges() ? settings.fixedRanges().get(slot) : null;
        if (r.protocol() != settings.protocol()
                || (expected != null ? !expected.equals(r.range()) : r.range().count() != settings.blockSize())) {
            return new Acquisition(slot, null, r, errors.providerReturnedWrongBlock(provider, r, settings.protocol(),
                    expected != null ? expected.toString() : settings.blockSize() + " ports"));
        }
        return new Acquisition(slot, new PortTable.Block(slot, r, started - settings.cooldownNanos()), null, null);
    }

    /**
     * Ends the growth of {@code acquired.slot()}: adds the block, or rolls back and backs off (a fixed range that
     * failed is marked in {@code tried} and the next untried one reserved). Needs the lock.
     */
    Commit commitLocked(Acquisition acquired, boolean forCaller, boolean[] tried) {
        rollBackLocked(acquired.slot());
        PortTable.Block block = acquired.block();
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
        RuntimeReservation discard = block != null ? block.reservation() : acquired.discard();
        if (table.isClosed()) {
            return new Commit(null, discard, -1, failure);
        }
        counters.failure();
        int next = -1;
        if (tried != null) {
            tried[acquired.slot()] = true;
            next = reserveLocked(tried, true);
        }
        if (next < 0) {
            failedLocked(failure);
        }
        return new Commit(null, discard, next, failure);
    }

    /** Gives the reserved {@code slot} up: no block is being acquired for it any more. */
    private void rollBackLocked(int slot) {
        slotPending[slot] = false;
        growing--;
        pendingPorts -= settings.sizeOfSlot(slot);
    }

    private void failedLocked(PortReservationException failure) {
        lastFailure = failure;
        retryAt = settings.clock().getAsLong() + BACKOFF_NANOS;
    }
}
