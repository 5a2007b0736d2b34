package io.github.portreservation.pool;

/**
 * The one scheduled wake-up of a pool's waiters: when the first cooling port becomes ready, or when growth may be
 * tried again after a failure. At most one is armed, for the earliest time asked; guarded by the pool's lock.
 */
final class WakeUpTimer {
    private final PoolScheduler scheduler;
    private final Runnable wakeUp;
    private boolean pending;
    private long at;

    /** {@code wakeUp} runs on the scheduler, without the lock; it calls {@link #firedLocked()} under it. */
    WakeUpTimer(PoolScheduler scheduler, Runnable wakeUp) {
        this.scheduler = scheduler;
        this.wakeUp = wakeUp;
    }

    /** Arms the wake-up for {@code earliest} (nanosecond clock; NEVER: none) unless one is due no later. */
    void armLocked(long earliest, long now) {
        if (earliest == PoolSettings.NEVER || pending && at <= earliest) {
            return;
        }
        pending = scheduler.schedule(wakeUp, Math.max(0, earliest - now)) != null;
        at = earliest;
    }

    /** The armed wake-up runs now. */
    void firedLocked() {
        pending = false;
    }
}
