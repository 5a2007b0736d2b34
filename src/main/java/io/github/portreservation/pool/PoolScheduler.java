package io.github.portreservation.pool;

import java.lang.System.Logger.Level;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;

/** A pool's scheduler: runs its background duties and says when it refuses one (the pool then degrades, logged). */
final class PoolScheduler {
    private static final System.Logger LOG = System.getLogger(ReservationPool.class.getName());

    private final ScheduledExecutorService executor;
    private final String pool;

    PoolScheduler(ScheduledExecutorService executor, String pool) {
        this.executor = executor;
        this.pool = pool;
    }

    /** The default scheduler: one daemon thread shared by all pools. */
    static ScheduledExecutorService shared() {
        return Shared.INSTANCE;
    }

    /** Runs {@code task} after {@code delayNanos}; null (logged) when the scheduler refuses it. */
    ScheduledFuture<?> schedule(Runnable task, long delayNanos) {
        try {
            return executor.schedule(task, delayNanos, TimeUnit.NANOSECONDS);
        } catch (RejectedExecutionException e) {
            LOG.log(Level.WARNING, () -> "The scheduler of " + pool + " rejected a task; idle blocks, timeouts or "
                    + "cooldown wake-ups are not handled until it runs again", e);
            return null;
        }
    }

    /** Runs {@code task} soon. @throws RejectedExecutionException when the scheduler refuses it */
    void execute(Runnable task) {
        executor.execute(task);
    }

    private static final class Shared {
        static final ScheduledExecutorService INSTANCE = create();

        private static ScheduledExecutorService create() {
            ScheduledThreadPoolExecutor executor = new ScheduledThreadPoolExecutor(1, task -> {
                Thread t = new Thread(task, "port-reservation-pool");
                t.setDaemon(true);
                return t;
            });
            executor.setRemoveOnCancelPolicy(true);
            return executor;
        }
    }
}
