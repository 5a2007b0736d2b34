package io.github.portreservation.pool;

import io.github.portreservation.PortReservationException;

import java.util.List;

/**
 * One lease request that found no port ready at once, carried through the pool's decisions: its mode, what it
 * already tried, and the outcome of the last decision ({@link Step} and its value). Used by one thread at a time.
 */
final class LeaseAttempt {
    /** What a request does next. */
    enum Step {
        /** Take {@link #lease()}. */
        READY,
        /** Acquire the block of the reserved {@link #slot()} on the caller's thread, then decide again. */
        GROW,
        /** Close the {@link #abandoned()} leases (sockets closed long ago), then decide again. */
        RECLAIM,
        /** Wait for {@link #waiter()}'s future. */
        WAIT,
        /** Fail with {@link #failure()}. */
        FAIL
    }

    private final LeaseMode mode;
    private final int shape;
    private boolean growthFailed;
    private boolean reclaimTried;
    private PortLease lease;
    private int slot = -1;
    private List<PortLease> abandoned;
    private Waiter waiter;
    private PortReservationException failure;

    /** A request for a single port. */
    LeaseAttempt(LeaseMode mode) {
        this(mode, 0);
    }

    /** A request for a unit of the table's shape {@code shape} (0: a single port). */
    LeaseAttempt(LeaseMode mode, int shape) {
        this.mode = mode;
        this.shape = shape;
    }

    LeaseMode mode() {
        return mode;
    }

    /** The index of the shape asked for. */
    int shape() {
        return shape;
    }

    /**
     * Whether this request may start a growth now, {@code growing} blocks being acquired already: not after its own
     * growth failed (it waits for a returned port then), and while another growth is under way only when it cannot
     * wait for that one and would grow on its own thread ({@code offThread}: its growth runs on the scheduler).
     */
    boolean mayGrow(int growing, boolean offThread) {
        return !growthFailed && (mode == LeaseMode.NEVER_WAIT && !offThread || growing == 0);
    }

    /**
     * Whether this request's growth must run on the scheduler although the request is blocking: its thread must never
     * block and the provider's acquire may ({@link io.github.portreservation.PortReservationProvider#acquireMayBlock}).
     */
    boolean growsOffThread(boolean acquireMayBlock) {
        return mode == LeaseMode.NEVER_WAIT && acquireMayBlock;
    }

    /** Whether this request takes back abandoned leases now (once per request, when no growth is under way). */
    boolean claimReclaim(int growing) {
        if (reclaimTried || growing > 0) {
            return false;
        }
        reclaimTried = true;
        return true;
    }

    /** Whether this request fails at once when it can neither take nor grow: it must not wait, or nothing may come. */
    boolean mustFailNow(int growing, boolean waitPolicy) {
        return mode == LeaseMode.NEVER_WAIT || growing == 0 && !waitPolicy;
    }

    /** Whether the wait policy applied but this request's thread must not block. */
    boolean refusesWait(boolean waitPolicy) {
        return mode == LeaseMode.NEVER_WAIT && waitPolicy;
    }

    /** Its growth on the caller's thread failed: from now on it waits for a returned port instead. */
    void growthFailed() {
        growthFailed = true;
    }

    Step ready(PortLease granted) {
        lease = granted;
        return Step.READY;
    }

    Step grow(int reservedSlot) {
        slot = reservedSlot;
        return Step.GROW;
    }

    Step reclaim(List<PortLease> leases) {
        abandoned = leases;
        return Step.RECLAIM;
    }

    Step await(Waiter queued) {
        waiter = queued;
        return Step.WAIT;
    }

    Step fail(PortReservationException error) {
        failure = error;
        return Step.FAIL;
    }

    PortLease lease() {
        return lease;
    }

    int slot() {
        return slot;
    }

    List<PortLease> abandoned() {
        return abandoned;
    }

    Waiter waiter() {
        return waiter;
    }

    PortReservationException failure() {
        return failure;
    }
}
