package io.github.portreservation.pool;

import io.github.portreservation.PortReservationException;

import java.util.ArrayDeque;
import java.util.Iterator;
import java.util.List;
import java.util.function.IntFunction;

/**
 * The lease requests waiting for a port (or a unit of a shape), in arrival order. A withdrawn request stays in the
 * deque, marked, until it reaches the head or is passed by {@link #serve}; {@link #size()} counts only those still
 * queued. The pool's lock guards it; {@link #isEmpty()} and
 * {@link #size()} may be read without it.
 */
final class WaiterQueue {
    private final ArrayDeque<Waiter> queue = new ArrayDeque<>();
    /** Written under the pool's lock, read without it by returns (is anyone waiting?). */
    private volatile int live;

    /** A new request for a single port at the back of the queue. */
    Waiter add() {
        return add(0);
    }

    /** A new request for a unit of the table's shape {@code shape} at the back of the queue. */
    Waiter add(int shape) {
        Waiter w = new Waiter(shape);
        queue.addLast(w);
        live++;
        return w;
    }

    /** The shape of the oldest queued request; the queue must not be empty. */
    int firstShape() {
        for (Waiter w : queue) {
            if (w.isQueued()) {
                return w.shape;
            }
        }
        throw new IllegalStateException("no request is queued");
    }

    /**
     * Grants the units that {@code take} gives (per shape index; null when none is ready) to the queued requests in
     * arrival order: a request whose shape has none left does not hold back a later one of another shape. Stops once
     * each of the {@code shapes} shapes had none left. Returns the decided requests, added to {@code out}.
     */
    List<Waiter> serve(IntFunction<PortLease> take, int shapes, List<Waiter> out) {
        long dry = 0; // bit i: shape i had no unit left (more than 64 shapes never happen: BlockShapes.MAX)
        int dryCount = 0;
        for (Iterator<Waiter> it = queue.iterator(); it.hasNext() && live > 0 && dryCount < shapes;) {
            Waiter w = it.next();
            if (!w.isQueued()) {
                it.remove();
                continue;
            }
            if ((dry & 1L << w.shape) != 0) {
                continue;
            }
            PortLease lease = take.apply(w.shape);
            if (lease == null) {
                dry |= 1L << w.shape;
                dryCount++;
                continue;
            }
            it.remove();
            w.grant(lease);
            live--;
            out = Handoff.add(out, w);
        }
        if (live == 0) {
            queue.clear();
        }
        return out;
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
        return failAll(shape -> error, out);
    }

    /** Fails every queued request with the error of its shape; returns them, added to {@code out}. */
    List<Waiter> failAll(IntFunction<PortReservationException> errorOfShape, List<Waiter> out) {
        for (Waiter w : queue) {
            if (w.isQueued()) {
                w.fail(errorOfShape.apply(w.shape));
                out = Handoff.add(out, w);
            }
        }
        queue.clear();
        live = 0;
        return out;
    }
}
