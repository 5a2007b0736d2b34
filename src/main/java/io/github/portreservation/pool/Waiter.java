package io.github.portreservation.pool;

import io.github.portreservation.PortReservationException;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ScheduledFuture;

/**
 * A lease request waiting for a port, or a unit of a shape. The pool decides under its lock (a lease, or a failure) and completes the
 * future after releasing the lock, so that no callback runs under it. Its state changes only through its methods;
 * all but {@link #deliver()} are called under the pool's lock.
 */
final class Waiter {
    final CompletableFuture<PortLease> future = new CompletableFuture<>();
    /** The index of the shape it waits for (0: a single port). */
    final int shape;
    private boolean queued = true;
    private PortLease lease;
    private PortReservationException failure;
    private ScheduledFuture<?> timeout;

    /** A request for a unit of the table's shape {@code shape}. */
    Waiter(int shape) {
        this.shape = shape;
    }

    /** Whether the request is still in the queue (not yet decided, withdrawn or timed out). */
    boolean isQueued() {
        return queued;
    }

    /** Takes the request out of the queue, undecided. */
    void leaveQueue() {
        queued = false;
    }

    /** Decides: the request gets {@code granted}. */
    void grant(PortLease granted) {
        queued = false;
        lease = granted;
    }

    /** Decides: the request fails with {@code error}. */
    void fail(PortReservationException error) {
        queued = false;
        failure = error;
    }

    /** The timer that times the request out; cancelled on delivery. */
    void timeoutTask(ScheduledFuture<?> task) {
        timeout = task;
    }

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
