package io.github.portreservation.pool;

import java.lang.System.Logger.Level;

/**
 * Releases the blocks that had no lease for the idle timeout, down to the minimum of blocks. The return that leaves a
 * block without lease notes when, and the block's lease mark then (the position of its queue's head, which every lease
 * moves), and schedules one check; the check releases the block when the timeout has passed and the mark has not
 * moved, under the pool's lock with the block's queue frozen, or runs again for the rest of the timeout. After a
 * release it tells the pool, which may grow again for its waiters.
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

    /** Notes that {@code b} has no lease from now on, and schedules its check. Any thread, with or without the lock. */
    void wentIdle(PoolBlock b) {
        if (!settings.releasesIdleBlocks()) {
            return;
        }
        b.idleMark(new PoolBlock.IdleMark(b.leaseMark(), settings.clock().getAsLong()));
        if (b.claimIdleCheck()) {
            schedule(b, settings.idleNanos());
        }
    }

    private void schedule(PoolBlock b, long delayNanos) {
        if (scheduler.schedule(() -> check(b), delayNanos) == null) {
            b.endIdleCheck();
        }
    }

    /** Releases {@code b} when it has had no lease for the idle timeout; runs on the scheduler. */
    void check(PoolBlock b) {
        boolean released = false;
        synchronized (lock) {
            b.endIdleCheck();
            PoolBlock.IdleMark mark = b.idleMark();
            if (b.isRemoved() || table.isClosed() || mark == null || table.gauges().blockCount() <= settings.minBlocks()) {
                return;
            }
            long idleFor = settings.clock().getAsLong() - mark.since();
            if (idleFor < settings.idleNanos()) {
                again(b, settings.idleNanos() - idleFor);
            } else if (table.retireIfIdleSince(b, mark.leaseMark())) {
                counters.blockReleased();
                released = true;
            } else if (b.idleMark() != mark) {
                again(b, 0); // leased and freed again since: its newer note decides
            }
        }
        if (released) {
            LOG.log(Level.DEBUG, () -> "Released idle block " + b.range());
            b.releaseReservation();
            afterRelease.run();
        }
    }

    private void again(PoolBlock b, long delayNanos) {
        if (b.claimIdleCheck()) {
            schedule(b, delayNanos);
        }
    }
}
