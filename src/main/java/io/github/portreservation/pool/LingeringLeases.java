package io.github.portreservation.pool;

import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * Leases closed while their sockets still existed (a JDK socket closed while registered with a selector lives until
 * the next select): each keeps its port until its socket is gone, then gives it back. The pool looks when a request
 * finds no ready port and before a statistics snapshot, and a sweep on the scheduler looks {@value #SWEEP_MILLIS} ms
 * after a lease starts lingering and then at doubling intervals up to {@value #MAX_SWEEP_MILLIS} ms while any lingers
 * (a socket the application never closes costs one sweep a second), so that idle release and termination do not wait
 * for a request.
 * Lock-free; never called under the pool's lock (giving a port back may release a block).
 */
final class LingeringLeases {
    static final long SWEEP_MILLIS = 20;
    static final long MAX_SWEEP_MILLIS = 1000;

    private final Queue<PortLease> leases = new ConcurrentLinkedQueue<>();
    private final AtomicBoolean sweepScheduled = new AtomicBoolean();
    private final PoolScheduler scheduler;
    /** The delay of the next sweep; written by the thread that scheduled it. */
    private volatile long sweepMillis = SWEEP_MILLIS;

    LingeringLeases(PoolScheduler scheduler) {
        this.scheduler = scheduler;
    }

    /** {@code lease} lingers from now on. */
    void add(PortLease lease) {
        leases.add(lease);
        if (sweepScheduled.compareAndSet(false, true)) {
            sweepMillis = SWEEP_MILLIS;
            schedule();
        }
    }

    /** Forgets {@code lease} (its last socket's close ends it); false when it is not here (yet, or any more). */
    boolean remove(PortLease lease) {
        return leases.remove(lease);
    }

    /** Whether none lingers (a volatile read: the common case costs nothing more). */
    boolean isEmpty() {
        return leases.isEmpty();
    }

    /** Gives back the ports of the lingering leases whose sockets are gone; returns whether any came back. */
    boolean endGone() {
        boolean any = false;
        for (PortLease lease : leases) {
            if (lease.lingeredLongEnough() && leases.remove(lease)) {
                lease.endLingering();
                any = true;
            }
        }
        return any;
    }

    private void schedule() {
        if (scheduler.schedule(this::sweep, TimeUnit.MILLISECONDS.toNanos(sweepMillis)) == null) {
            sweepScheduled.set(false); // refused (logged): the next lingering lease or request tries again
        }
    }

    private void sweep() {
        endGone();
        sweepScheduled.set(false);
        if (!leases.isEmpty() && sweepScheduled.compareAndSet(false, true)) {
            sweepMillis = Math.min(sweepMillis * 2, MAX_SWEEP_MILLIS);
            schedule();
        }
    }
}
