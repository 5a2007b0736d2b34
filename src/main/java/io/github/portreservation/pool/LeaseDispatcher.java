package io.github.portreservation.pool;

import io.github.portreservation.PortRange;
import io.github.portreservation.PortReservationException;

import java.lang.System.Logger.Level;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;

/**
 * The pool's lock and every decision: what a lease request gets ({@link #decide}), which waiters get the ports that
 * come back, the return path of leases, and closing. It owns the parts that hold state (the {@link PortTable}, the
 * {@link WaiterQueue}, the {@link BlockGrower}'s counts, the {@link IdleReaper}, the {@link PoolCounters}).
 *
 * <h2>Concurrency argument</h2>
 * The common lease and return take no lock: {@link #leaseReady()} polls the table when no request waits, and a
 * return offers its port to its block's queue (both lock-free, see {@link PortTable}). Everything else runs under
 * {@link #lock}: decisions with no port ready, waits, growth, quarantine, explicit leases, idle release and closing.
 * Under it nothing blocks, calls the provider, closes a socket or reservation, or completes a future (decided waiters
 * are completed after it, see {@link Handoff}); the scheduler is only handed tasks. A return never misses a waiter:
 * the waiter first makes itself counted (a volatile write) and then looks at the queues again, while the return first
 * offers its port (a volatile write) and then reads the count; whichever comes second sees the other. Closing and the
 * last return of a block meet the same way on the closed flag, so the block is released by one of them.
 */
final class LeaseDispatcher implements PortReturns {
    private static final System.Logger LOG = System.getLogger(ReservationPool.class.getName());
    /** How long a lease must be seen with its socket closed before an exhausted pool takes its port back. */
    static final long ABANDONED_GRACE_NANOS = TimeUnit.SECONDS.toNanos(1);

    /** Leases closed while their sockets still existed; guarded by the lock. */
    private final java.util.ArrayList<PortLease> lingering = new java.util.ArrayList<>();
    private final Object lock = new Object();
    private final PoolSettings settings;
    private final PoolErrors errors;
    private final PoolCounters counters = new PoolCounters();
    private final PoolScheduler scheduler;
    private final PortTable table;
    private final WaiterQueue waiters = new WaiterQueue();
    private final IdleReaper reaper;
    private final BlockGrower grower;
    private final CompletableFuture<Void> termination = new CompletableFuture<>();
    private boolean wakeUpPending;
    private long wakeUpAt;

    LeaseDispatcher(PoolSettings settings, PoolErrors errors) {
        this.settings = settings;
        this.errors = errors;
        this.scheduler = new PoolScheduler(settings.scheduler(), errors.toString());
        this.table = new PortTable(settings.slots(), this, counters);
        this.reaper = new IdleReaper(lock, settings, table, counters, scheduler, this::capacityChanged);
        this.grower = new BlockGrower(lock, settings, table, counters, errors, scheduler, reaper,
                this::capacityChanged);
    }

    BlockGrower grower() {
        return grower;
    }

    /**
     * The ready-port rule of {@link #decide} alone, for the common case, without the lock: the next ready port when no
     * request waits; null when there is none, a request waits, or the pool is closed. Allocates only the lease.
     */
    PortLease leaseReady() {
        if (!waiters.isEmpty()) {
            return null; // they come first: decide() serves them
        }
        return table.takeReady(settings.hasCooldown() ? settings.clock().getAsLong() : 0, settings.cooldownNanos());
    }

    /**
     * The one decision of every lease request (lease, leaseAsync, bind): closed? ready port? grow? take back
     * abandoned leases? fail? else wait. The outcome is recorded in {@code a}; an asynchronous request never gets
     * GROW (its growth is launched on the scheduler and it waits).
     */
    LeaseAttempt.Step decide(LeaseAttempt a) {
        List<Waiter> handoff = null;
        try {
            synchronized (lock) {
                if (table.isClosed()) {
                    return a.fail(errors.closed());
                }
                if (!waiters.isEmpty()) {
                    handoff = serveLocked(null);
                }
                long now = settings.clock().getAsLong();
                PortLease lease = table.takeReady(now, settings.cooldownNanos());
                if (lease == null && !lingering.isEmpty() && endLingeringLocked()) {
                    lease = table.takeReady(now, settings.cooldownNanos());
                }
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

    /** The rest of the decision, when no port is ready: grow, take back abandoned leases, fail, or wait. */
    private LeaseAttempt.Step noPortReadyLocked(LeaseAttempt a, long now) {
        int growing = grower.growing();
        int slot = a.mayGrow(growing) ? grower.reserveLocked(false) : -1;
        if (slot < 0 && a.claimReclaim(growing)) {
            List<PortLease> abandoned = table.abandoned(now, ABANDONED_GRACE_NANOS);
            if (abandoned != null) {
                return a.reclaim(abandoned);
            }
        }
        if (slot >= 0 && a.mode() != LeaseMode.ASYNC) {
            return a.grow(slot);
        }
        if (slot < 0 && a.mustFailNow(growing, settings.waitsWhenExhausted())) {
            counters.exhaustions(1);
            boolean refused = a.refusesWait(settings.waitsWhenExhausted());
            return a.fail(exhaustedLocked(now, refused ? Thread.currentThread() : null));
        }
        Waiter w = enqueueLocked(a.mode() == LeaseMode.ASYNC, now);
        if (slot >= 0) {
            grower.launchLocked(slot);
        }
        return a.await(w);
    }

    /** Leases exactly {@code port} (see {@link ReservationPool#lease(int)}); never waits. */
    PortLease leaseExplicit(int port) {
        synchronized (lock) {
            if (table.isClosed()) {
                throw errors.closed();
            }
            return table.takeExplicit(port, settings.clock().getAsLong(), settings.cooldownNanos(), errors);
        }
    }

    /** The error for a request whose growth on its own thread failed with {@code cause} (counted as exhausted). */
    PortReservationException growthFailed(PortReservationException cause) {
        PoolSnapshot snapshot;
        synchronized (lock) {
            counters.exhaustions(1);
            snapshot = snapshotLocked(settings.clock().getAsLong());
        }
        return errors.growthFailed(cause, snapshot);
    }

    /**
     * Hands ready ports to the waiters in arrival order. With waiters left and no growth under way: launches one, or
     * under the fail policy fails them when nothing more can come, or arms the wake-up for a cooling port or the end
     * of a growth backoff. Returns the decided waiters, added to {@code out}.
     */
    private List<Waiter> serveLocked(List<Waiter> out) {
        long now = settings.clock().getAsLong();
        while (!waiters.isEmpty()) {
            PortLease lease = table.takeReady(now, settings.cooldownNanos());
            if (lease == null) {
                break;
            }
            out = Handoff.add(out, waiters.grantFirst(lease));
        }
        if (waiters.isEmpty() || grower.growing() > 0) {
            return out; // the growth under way serves them when it ends
        }
        int slot = grower.reserveLocked(false);
        if (slot >= 0) {
            grower.launchLocked(slot);
        } else if (!settings.waitsWhenExhausted()) {
            counters.exhaustions(waiters.size());
            out = waiters.failAll(exhaustedLocked(now, null), out);
        } else {
            scheduleWakeUpLocked(now);
        }
        return out;
    }

    private Waiter enqueueLocked(boolean async, long now) {
        Waiter w = waiters.add();
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
            return errors.timedOut(snapshotLocked(settings.clock().getAsLong()), settings.waitNanos());
        }
    }

    /** Wakes the waiters when the first cooling port becomes ready, or when growth may be tried again. */
    private void scheduleWakeUpLocked(long now) {
        if (waiters.isEmpty()) {
            return;
        }
        long earliest = settings.hasCooldown() ? table.earliestReady(settings.cooldownNanos()) : PoolSettings.NEVER;
        earliest = Math.min(earliest, grower.retryTimeLocked());
        if (earliest == PoolSettings.NEVER || wakeUpPending && wakeUpAt <= earliest) {
            return;
        }
        wakeUpPending = scheduler.schedule(this::wakeUp, Math.max(0, earliest - now)) != null;
        wakeUpAt = earliest;
    }

    private void wakeUp() {
        List<Waiter> handoff;
        synchronized (lock) {
            wakeUpPending = false;
            handoff = serveLocked(null);
        }
        Handoff.deliver(handoff);
    }

    @Override
    public void linger(PortLease lease) {
        synchronized (lock) {
            lingering.add(lease);
        }
    }

    /**
     * Gives back the ports of lingering leases whose sockets are gone (see {@link PortLease}); under the lock, where a
     * request finds no ready port and before {@link #statistics()}. Returns whether any came back.
     */
    private boolean endLingeringLocked() {
        boolean any = false;
        for (java.util.Iterator<PortLease> it = lingering.iterator(); it.hasNext();) {
            PortLease lease = it.next();
            if (lease.lingeredLongEnough()) {
                it.remove();
                lease.endLingering();
                any = true;
            }
        }
        return any;
    }

    @Override
    public void giveBack(PortLease lease, boolean quarantine, boolean bindFailure) {
        if (quarantine || bindFailure) {
            giveBackToQuarantine(lease, bindFailure);
            return;
        }
        PortTable.Block b = lease.block();
        boolean cooldown = settings.hasCooldown();
        long returnedAt = cooldown ? lease.returnTime(settings.clock().getAsLong()) : 0;
        if (!table.giveBack(lease, cooldown, returnedAt)) {
            synchronized (lock) { // the queue was frozen by an explicit lease or a release: done by now
                table.giveBack(lease, cooldown, returnedAt);
            }
        }
        if (!waiters.isEmpty()) {
            serveWaiters();
        }
        if (table.isClosed()) {
            releaseIfWithoutLease(b);
        } else if (settings.releasesIdleBlocks() && table.isWithoutLease(b)) {
            reaper.wentIdle(b);
        }
    }

    /** A return quarantines its port (a bind failed, or the lease was closed before its socket); under the lock. */
    private void giveBackToQuarantine(PortLease lease, boolean bindFailure) {
        PortTable.Block b = lease.block();
        boolean released = false;
        synchronized (lock) {
            if (bindFailure) {
                counters.failure();
            }
            if (!table.holds(lease)) {
                return; // the pool was closed forcibly: the block is gone
            }
            if (table.quarantine(lease) || table.isClosed()) {
                released = table.retireIfWithoutLease(b); // every port quarantined, or closing: of no use any more
                if (released) {
                    counters.blockReleased();
                }
            } else if (table.isWithoutLease(b)) {
                reaper.wentIdle(b);
            }
        }
        if (bindFailure) {
            LOG.log(Level.WARNING, () -> "Port " + lease.port() + " of " + errors + " is quarantined until its block "
                    + b.range() + " is released: another socket holds it");
        }
        if (released) {
            b.releaseReservation();
        }
        capacityChanged(); // serves the waiters (after a release: a fixed range may be acquired again)
    }

    /** A closing pool releases a block whose last lease came back. */
    private void releaseIfWithoutLease(PortTable.Block b) {
        boolean released;
        synchronized (lock) {
            released = !b.isRemoved() && table.retireIfWithoutLease(b);
            if (released) {
                counters.blockReleased();
            }
        }
        if (released) {
            b.releaseReservation();
            capacityChanged();
        }
    }

    private void serveWaiters() {
        List<Waiter> handoff = null;
        synchronized (lock) {
            if (!waiters.isEmpty()) {
                handoff = serveLocked(null);
            }
        }
        Handoff.deliver(handoff);
    }

    @Override
    public void bound(PortLease lease) {
        table.track(lease);
    }

    @Override
    public void countBindFailure() {
        synchronized (lock) {
            counters.failure();
        }
    }

    /**
     * After blocks were added or released: serves the waiters, and completes the termination once the pool is closed
     * with no block held or being acquired. Call without the lock.
     */
    void capacityChanged() {
        List<Waiter> handoff = null;
        boolean terminated;
        synchronized (lock) {
            if (!waiters.isEmpty()) {
                handoff = serveLocked(null);
            }
            terminated = table.isClosed() && table.blockCount() == 0 && grower.growing() == 0;
        }
        Handoff.deliver(handoff);
        if (terminated) {
            termination.complete(null);
        }
    }

    /** Refuses new leases, fails the waiters, and releases the blocks without lease (all of them when forced). */
    void shutdown(boolean force) {
        List<Waiter> failed = null;
        List<PortTable.Block> released = new ArrayList<>();
        synchronized (lock) {
            if (!table.isClosed()) {
                table.close();
                failed = waiters.failAll(errors.closed(), null);
            }
            for (PortTable.Block b : table.blocks()) {
                if (force) {
                    table.remove(b);
                } else if (!table.retireIfWithoutLease(b)) {
                    continue; // released by its last return
                }
                counters.blockReleased();
                released.add(b);
            }
        }
        Handoff.deliver(failed);
        for (PortTable.Block b : released) {
            b.releaseReservation();
        }
        capacityChanged();
    }

    boolean isClosed() {
        synchronized (lock) {
            return table.isClosed();
        }
    }

    CompletableFuture<Void> termination() {
        return termination;
    }

    PoolStatistics statistics() {
        synchronized (lock) {
            if (!lingering.isEmpty()) {
                endLingeringLocked();
            }
            return counters.snapshot(table, waiters.size());
        }
    }

    List<PortRange> blockRanges() {
        synchronized (lock) {
            return table.ranges();
        }
    }

    private PoolSnapshot snapshotLocked(long now) {
        return new PoolSnapshot(counters.snapshot(table, waiters.size()), settings.maxBlocks(), grower.growing(),
                settings.hasCooldown() ? table.free() : 0, grower.lastFailure(), grower.backingOff(now),
                grower.retryInNanos(now));
    }

    private PortReservationException exhaustedLocked(long now, Thread refusedWait) {
        return errors.exhausted(snapshotLocked(now), refusedWait, settings.nonBlocking());
    }
}
