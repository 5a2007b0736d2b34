package io.github.portreservation.pool;

import io.github.portreservation.PortReservationException;

import java.util.ArrayDeque;
import java.util.List;

/**
 * The lease requests waiting for a port, in arrival order. A withdrawn request stays in the deque, marked, until it
 * reaches the head; {@link #size()} counts only those still queued. The pool's lock guards it; {@link #isEmpty()} and
 * {@link #size()} may be read without it.
 */
final class WaiterQueue {
    private final ArrayDeque<Waiter> queue = new ArrayDeque<>();
    /** Written under the pool's lock, read without it by returns (is anyone waiting?). */
    private volatile int live;

    /** A new request at the back of the queue. */
    Waiter add() {
        Waiter w = new Waiter();
        queue.addLast(w);
        live++;
        return w;
    }

    /** Whether no request is queued. */
    boolean isEmpty() {
        return live == 0;
    }

    /** Requests queued. */
    int size() {
        return live;
    }

    /** Grants {@code lease} to the oldest queued request and returns it; the queue must not be empty. */
    Waiter grantFirst(PortLease lease) {
        Waiter w = queue.pollFirst();
        while (!w.isQueued()) {
            w = queue.pollFirst();
        }
        w.grant(lease);
        live--;
        if (live == 0) {
            queue.clear();
        }
        return w;
    }

    /** Takes {@code w} out of the queue undecided; false when it was decided or withdrawn already. */
    boolean withdraw(Waiter w) {
        if (!w.isQueued()) {
            return false;
        }
        w.leaveQueue();
        live--;
        if (live == 0) {
            queue.clear();
        }
        return true;
    }

    /** Fails every queued request with {@code error}; returns them, added to {@code out} (created when null). */
    List<Waiter> failAll(PortReservationException error, List<Waiter> out) {
        for (Waiter w : queue) {
            if (w.isQueued()) {
                w.fail(error);
                out = Handoff.add(out, w);
            }
        }
        queue.clear();
        live = 0;
        return out;
    }
}
