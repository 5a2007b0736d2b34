package io.github.portreservation.pool;

import io.github.portreservation.PortReservationException;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ScheduledFuture;

/**
 * A lease request waiting for a port. The pool decides under its lock (a lease or a failure) and completes the
 * future after releasing the lock, so that no callback runs under it.
 */
final class Waiter {
    final CompletableFuture<PortLease> future = new CompletableFuture<>();
    /** Still in the pool's queue; guarded by the pool's lock. */
    boolean queued = true;
    PortLease lease;
    PortReservationException failure;
    ScheduledFuture<?> timeout;

    /** Completes the future with the decision; a lease nobody takes any more goes back to the pool. */
    void deliver() {
        ScheduledFuture<?> t = timeout;
        if (t != null) {
            t.cancel(false);
        }
        if (lease != null) {
            if (!future.complete(lease)) {
                lease.close();
            }
        } else if (failure != null) {
            future.completeExceptionally(failure);
        }
    }
}
