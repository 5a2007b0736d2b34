package io.github.portreservation.pool;

import java.lang.System.Logger.Level;

/**
 * Releases the blocks that had no lease for the idle timeout, down to the minimum of blocks: each block that goes idle
 * gets one check on the scheduler, which releases it, or runs again for the rest of the timeout when the block was
 * leased meanwhile. After a release it tells the pool, which may grow again for its waiters.
 */
final class IdleReaper {
    private static final System.Logger LOG = System.getLogger(ReservationPool.class.getName());

    private final Object lock;
    private final PoolSettings settings;
    private final PortTable table;
    private final PoolCounters counters;
    private final PoolScheduler scheduler;
    private final Runnable afterRelease;

    /** {@code afterRelease} runs without the lock after each block the reaper released. */
    IdleReaper(Object lock, PoolSettings settings, PortTable table, PoolCounters counters, PoolScheduler scheduler,
               Runnable afterRelease) {
        this.lock = lock;
        this.settings = settings;
        this.table = table;
        this.counters = counters;
        this.scheduler = scheduler;
        this.afterRelease = afterRelease;
    }

    /** Notes that {@code b} has no lease from now on, and schedules its check. Needs the lock. */
    void wentIdleLocked(PortTable.Block b) {
        if (!settings.releasesIdleBlocks()) {
            return;
        }
        table.markIdle(b, settings.clock().getAsLong());
        if (table.claimIdleCheck(b)) {
            scheduleLocked(b, settings.idleNanos());
        }
    }

    private void scheduleLocked(PortTable.Block b, long delayNanos) {
        if (scheduler.schedule(() -> check(b), delayNanos) == null) {
            table.endIdleCheck(b);
        }
    }

    /** Releases {@code b} when it has had no lease for the idle timeout; runs on the scheduler. */
    void check(PortTable.Block b) {
        boolean release = false;
        synchronized (lock) {
            table.endIdleCheck(b);
            if (b.isRemoved() || table.isClosed() || table.hasLeases(b)) {
                return;
            }
            long idleFor = settings.clock().getAsLong() - table.idleSince(b);
            if (idleFor < settings.idleNanos()) {
                table.claimIdleCheck(b);
                scheduleLocked(b, settings.idleNanos() - idleFor);
            } else if (table.blockCount() > settings.minBlocks()) {
                table.remove(b);
                counters.blockReleased();
                release = true;
            }
        }
        if (release) {
            LOG.log(Level.DEBUG, () -> "Released idle block " + b.range());
            b.releaseReservation();
            afterRelease.run();
        }
    }
}
