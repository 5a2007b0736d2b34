package io.github.portreservation.pool;

import io.github.portreservation.PortRange;
import io.github.portreservation.PortReservationException;

import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;

/**
 * The pool's lock and every decision: what a lease request gets ({@link #decide}), which waiters get the units that
 * come back, which block is cut into another shape, and closing. It owns the parts that hold state (the
 * {@link PortTable}, the {@link WaiterQueue}, the {@link BlockGrower}'s counts, the {@link IdleReaper}, the
 * {@link PoolCounters}, the {@link LingeringLeases}); the return path of leases is its {@link ReturnPath}.
 *
 * <h2>Concurrency argument</h2>
 * The common lease and return take no lock: {@link #leaseReady} polls the table when no request waits, and a
 * return offers its unit to its block's queue (both lock-free, see {@link PortTable}). Everything else runs under
 * {@link #lock}: decisions with no unit ready, waits, growth, re-cutting a block, quarantine, explicit leases, idle
 * release and closing.
 * Under it nothing blocks, calls the provider, closes a socket or reservation, or completes a future (decided waiters
 * are completed after it, see {@link Handoff}); the scheduler is only handed tasks. A return never misses a waiter:
 * the waiter first makes itself counted (a volatile write) and then looks at the queues again, while the return first
 * offers its port (a volatile write) and then reads the count; whichever comes second sees the other. Closing and the
 * last return of a block meet the same way on the closed flag, so the block is released by one of them.
 */
final class LeaseDispatcher implements PortReturns {
    /** How long a lease must be seen with its socket closed before an exhausted pool takes its port back. */
    static final long ABANDONED_GRACE_NANOS = TimeUnit.SECONDS.toNanos(1);

    private final Object lock = new Object();
    private final PoolSettings settings;
    private final PoolErrors errors;
    private final PoolCounters counters = new PoolCounters();
    private final PoolScheduler scheduler;
    private final PortTable table;
    private final WaiterQueue waiters = new WaiterQueue();
    private final IdleReaper reaper;
    private final BlockGrower grower;
    private final LingeringLeases lingering;
    private final ReturnPath returnPath;
    private final BlockReshaper reshaper;
    private final CompletableFuture<Void> termination = new CompletableFuture<>();
    private final WakeUpTimer wakeUps;

    LeaseDispatcher(PoolSettings settings, PoolErrors errors) {
        this.settings = settings;
        this.errors = errors;
        this.scheduler = new PoolScheduler(settings.scheduler(), errors.toString());
        this.wakeUps = new WakeUpTimer(scheduler, this::wakeUp);
        this.table = new PortTable(settings.slots(), this, counters);
        this.reaper = new IdleReaper(lock, settings, table, counters, scheduler, this::capacityChanged);
        this.grower = new BlockGrower(lock, settings, table, counters, errors, scheduler, reaper,
                this::capacityChanged);
        this.reshaper = new BlockReshaper(table, settings);
        this.lingering = new LingeringLeases(scheduler);
        this.returnPath = new ReturnPath(lock, settings, errors, table, counters, reaper, lingering, waiters,
                this::capacityChanged);
    }

    BlockGrower grower() {
        return grower;
    }

    /**
     * The index of {@code shape} in the table, added when new.
     *
     * @throws PortReservationException INVALID_ARGUMENT when the shape fits no block the pool grows by, or the pool
     *         serves {@link BlockShapes#MAX} shapes already
     */
    int shapeIndex(PortShape shape) {
        int index = table.shapeIndex(shape);
        if (index >= 0) {
            return index;
        }
        settings.checkFits(shape, errors);
        synchronized (lock) {
            index = table.shapeIndexLocked(shape);
        }
        if (index < 0) {
            throw errors.tooManyShapes(shape, BlockShapes.MAX);
        }
        return index;
    }

    /**
     * The ready-port rule of {@link #decide} alone, for the common case, without the lock: the next ready unit of
     * shape {@code shape} when no request waits; null when there is none, a request waits, or the pool is closed.
     * Allocates only the lease.
     */
    PortLease leaseReady(int shape) {
        if (!waiters.isEmpty()) {
            return null; // they come first: decide() serves them
        }
        return table.takeReady(shape, settings.hasCooldown() ? settings.clock().getAsLong() : 0,
                settings.cooldownNanos());
    }

    /**
     * The one decision of every lease request (lease, leaseAsync, bind, of a port or a shape): closed? ready unit
     * (of a block of its shape, or of a block without lease cut into it)? grow? take back abandoned leases? fail?
     * else wait. The outcome is recorded in {@code a}; an asynchronous request never gets GROW (its growth is
     * launched on the scheduler and it waits). Lingering leases whose sockets are gone come back first, outside the
     * lock.
     */
    LeaseAttempt.Step decide(LeaseAttempt a) {
        List<Waiter> handoff = null;
        if (!lingering.isEmpty()) {
            lingering.endGone(); // before the lock: a return may release a block
        }
        try {
            synchronized (lock) {
                if (table.isClosed()) {
                    return a.fail(errors.closed());
                }
                if (!waiters.isEmpty()) {
                    handoff = serveLocked(null);
                }
                long now = settings.clock().getAsLong();
                PortLease lease = takeLocked(a.shape(), now);
                if (lease != null) {
                    return a.ready(lease);
                }
                LeaseAttempt.Step step = noPortReadyLocked(a, now);
                if (step == LeaseAttempt.Step.WAIT) {
                    handoff = serveLocked(handoff); // a port returned since the look above: now counted, served
                }
                return step;
            }
        } finally {
            Handoff.deliver(handoff);
        }
    }

    /** The next ready unit of {@code shape}: from a block of that shape, else from a block without lease cut anew. */
    private PortLease takeLocked(int shape, long now) {
        PortLease lease = table.takeReady(shape, now, settings.cooldownNanos());
        return lease != null ? lease : reshaper.leaseFromRecutLocked(shape, now);
    }

    /** The rest of the decision, when no port is ready: grow, take back abandoned leases, fail, or wait. */
    private LeaseAttempt.Step noPortReadyLocked(LeaseAttempt a, long now) {
        int growing = grower.growing();
        boolean offThread = a.growsOffThread(settings.provider().acquireMayBlock());
        int slot = a.mayGrow(growing, offThread) ? grower.reserveLocked(a.shape(), false) : -1;
        if (slot < 0 && a.claimReclaim(growing)) {
            List<PortLease> abandoned = table.abandoned(now, ABANDONED_GRACE_NANOS);
            if (abandoned != null) {
                return a.reclaim(abandoned);
            }
        }
        if (offThread && (slot >= 0 || growing > 0)) {
            return a.fail(growingOffThreadLocked(slot, now, a.shape()));
        }
        if (slot >= 0 && a.mode() != LeaseMode.ASYNC) {
            return a.grow(slot);
        }
        if (slot < 0 && a.mustFailNow(growing, settings.waitsWhenExhausted())) {
            counters.exhaustions(1);
            boolean refused = a.refusesWait(settings.waitsWhenExhausted());
            return a.fail(exhaustedLocked(now, refused ? Thread.currentThread() : null, a.shape()));
        }
        Waiter w = enqueueLocked(a.mode() == LeaseMode.ASYNC, now, a.shape());
        if (slot >= 0) {
            grower.launchLocked(slot);
        }
        return a.await(w);
    }

    /**
     * Leases exactly {@code port} (see {@link ReservationPool#lease(int)}); never waits. A block of another shape
     * that has no lease is cut back into single ports first.
     */
    PortLease leaseExplicit(int port) {
        if (!lingering.isEmpty()) {
            lingering.endGone(); // the port asked for may be one whose socket is gone by now
        }
        synchronized (lock) {
            if (table.isClosed()) {
                throw errors.closed();
            }
            long now = settings.clock().getAsLong();
            reshaper.cutIntoSinglePortsLocked(port, now);
            return table.takeExplicit(port, now, settings.cooldownNanos(), errors);
        }
    }

    /** The lease of this pool bound to a socket on {@code port}, which another socket may join; or null. */
    PortLease boundLease(int port) {
        synchronized (lock) {
            PoolBlock b = table.blockOf(port);
            return b == null ? null : b.boundLeaseAt(port);
        }
    }

    /**
     * The error for a request of a unit of {@code shape} whose growth on its own thread failed with {@code cause}
     * (counted as exhausted).
     */
    PortReservationException growthFailed(PortReservationException cause, int shape) {
        PoolSnapshot snapshot;
        synchronized (lock) {
            counters.exhaustions(1);
            snapshot = snapshotLocked(settings.clock().getAsLong(), shape);
        }
        return errors.growthFailed(cause, snapshot);
    }

    /**
     * Hands ready units to the waiters in arrival order (a waiter whose shape has none left does not hold back a
     * later one of another shape). With waiters left and no growth under way: launches one for the oldest waiter's
     * shape, or under the fail policy fails them when nothing more can come, or arms the wake-up for a cooling unit or
     * the end of a growth backoff. Returns the decided waiters, added to {@code out}.
     */
    private List<Waiter> serveLocked(List<Waiter> out) {
        long now = settings.clock().getAsLong();
        out = waiters.serve(shape -> takeLocked(shape, now), table.shapeCount(), out);
        if (waiters.isEmpty() || grower.growing() > 0) {
            return out; // the growth under way serves them when it ends
        }
        int slot = grower.reserveLocked(waiters.firstShape(), false);
        if (slot >= 0) {
            grower.launchLocked(slot);
        } else if (!settings.waitsWhenExhausted()) {
            counters.exhaustions(waiters.size());
            out = waiters.failAll(shape -> exhaustedLocked(now, null, shape), out);
        } else {
            scheduleWakeUpLocked(now);
        }
        return out;
    }

    private Waiter enqueueLocked(boolean async, long now, int shape) {
        Waiter w = waiters.add(shape);
        w.future.whenComplete((lease, error) -> {
            if (error != null) {
                withdraw(w);
            }
        });
        if (async && settings.waitsWhenExhausted()) {
            ScheduledFuture<?> timeout = scheduler.schedule(() -> timeOut(w), settings.waitNanos());
            if (timeout != null) {
                w.timeoutTask(timeout);
            } else {
                waiters.withdraw(w);
                w.fail(errors.schedulerRejected("the wait's timeout", null));
                CompletableFuture.runAsync(w::deliver);
            }
        }
        scheduleWakeUpLocked(now);
        return w;
    }

    private void withdraw(Waiter w) {
        synchronized (lock) {
            waiters.withdraw(w);
        }
    }

    private void timeOut(Waiter w) {
        PortReservationException timeout = timedOut(w);
        if (timeout != null) {
            w.future.completeExceptionally(timeout);
        }
    }

    /** Takes a waiter whose time ran out out of the queue: its TIMEOUT error, or null when it was decided meanwhile. */
    PortReservationException timedOut(Waiter w) {
        synchronized (lock) {
            if (!waiters.withdraw(w)) {
                return null;
            }
            counters.timeout();
            return errors.timedOut(snapshotLocked(settings.clock().getAsLong(), w.shape), settings.waitNanos());
        }
    }

    /** Wakes the waiters when the first cooling port becomes ready, or when growth may be tried again. */
    private void scheduleWakeUpLocked(long now) {
        if (waiters.isEmpty()) {
            return;
        }
        long earliest = settings.hasCooldown() ? table.earliestReady(settings.cooldownNanos()) : PoolSettings.NEVER;
        wakeUps.armLocked(Math.min(earliest, grower.retryTimeLocked()), now);
    }

    private void wakeUp() {
        List<Waiter> handoff;
        synchronized (lock) {
            wakeUps.firedLocked();
            handoff = serveLocked(null);
        }
        Handoff.deliver(handoff);
    }

    @Override
    public void giveBack(PortLease lease, boolean quarantine, boolean bindFailure) {
        returnPath.giveBack(lease, quarantine, bindFailure);
    }

    @Override
    public void linger(PortLease lease) {
        returnPath.linger(lease);
    }

    @Override
    public void lingerEnded(PortLease lease) {
        returnPath.lingerEnded(lease);
    }

    @Override
    public void bound(PortLease lease) {
        returnPath.bound(lease);
    }

    @Override
    public void countBindFailure() {
        returnPath.countBindFailure();
    }

    /**
     * After a unit came back or blocks were added or released: serves the waiters, and completes the termination once
     * the pool is closed with no block held or being acquired. Call without the lock.
     */
    void capacityChanged() {
        List<Waiter> handoff = null;
        boolean terminated;
        synchronized (lock) {
            if (!waiters.isEmpty()) {
                handoff = serveLocked(null);
            }
            terminated = table.isClosed() && table.gauges().blockCount() == 0 && grower.growing() == 0;
        }
        Handoff.deliver(handoff);
        if (terminated) {
            termination.complete(null);
        }
    }

    /** Refuses new leases, fails the waiters, and releases the blocks without lease (all of them when forced). */
    void shutdown(boolean force) {
        returnPath.shutdown(force);
    }

    boolean isClosed() {
        return table.isClosed();
    }

    CompletableFuture<Void> termination() {
        return termination;
    }

    /** A snapshot of the gauges and counters, after giving back the lingering leases whose sockets are gone. */
    PoolStatistics statistics() {
        if (!lingering.isEmpty()) {
            lingering.endGone();
        }
        synchronized (lock) {
            return counters.snapshot(table, waiters.size());
        }
    }

    List<PortRange> blockRanges() {
        synchronized (lock) {
            return table.ranges();
        }
    }

    /** The state the errors of a request for a unit of {@code shape} report. */
    private PoolSnapshot snapshotLocked(long now, int shape) {
        return new PoolSnapshot(counters.snapshot(table, waiters.size()), table.shape(shape), settings.maxBlocks(),
                grower.growing(), settings.hasCooldown() ? table.free(shape, true) : 0, table.free(shape, false),
                grower.lastFailure(), grower.backingOff(now), grower.retryInNanos(now));
    }

    /**
     * A request on a thread that must never block found no unit while the pool can grow, but the provider's acquire
     * blocks: the block ({@code slot}, or one under way) is acquired on the scheduler, and the request fails now.
     */
    private PortReservationException growingOffThreadLocked(int slot, long now, int shape) {
        if (slot >= 0) {
            grower.launchLocked(slot);
        }
        counters.exhaustions(1);
        return errors.growingOffThread(snapshotLocked(now, shape), Thread.currentThread(), settings.nonBlocking(),
                settings.provider().name());
    }

    private PortReservationException exhaustedLocked(long now, Thread refusedWait, int shape) {
        return errors.exhausted(snapshotLocked(now, shape), refusedWait, settings.nonBlocking());
    }
}
