package io.github.portreservation.pool;

import java.lang.System.Logger.Level;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;

/**
 * How leases come back: a return offers its unit to its block's queue without a lock (or under the lock when the
 * queue is frozen), serves the waiters, notes the block idle, and releases it when the pool is closing; a unit that
 * must not be leased again goes into quarantine under the lock; a lease closed while its sockets still exist lingers
 * here until they are gone. Part of {@link LeaseDispatcher}, whose lock it shares.
 *
 * <p>No return misses a waiter: the return first offers its unit (a volatile write) and then reads the waiter count,
 * while a waiter first makes itself counted and then looks at the queues again. Closing and the last return of a block
 * meet the same way on the closed flag, so the block is released by one of them.
 */
final class ReturnPath {
    private static final System.Logger LOG = System.getLogger(ReservationPool.class.getName());

    private final Object lock;
    private final PoolSettings settings;
    private final PoolErrors errors;
    private final PoolCounters counters;
    private final PortTable table;
    private final WaiterQueue waiters;
    private final IdleReaper reaper;
    private final Runnable capacityChanged;
    /** Leases closed while their sockets still existed; guarded by the lock. */
    private final List<PortLease> lingering = new ArrayList<>();

    /** {@code capacityChanged} (serves the waiters, ends a closed pool) runs without the lock. */
    ReturnPath(Object lock, PoolSettings settings, PoolErrors errors, PoolCounters counters, PortTable table,
               WaiterQueue waiters, IdleReaper reaper, Runnable capacityChanged) {
        this.lock = lock;
        this.settings = settings;
        this.errors = errors;
        this.counters = counters;
        this.table = table;
        this.waiters = waiters;
        this.reaper = reaper;
        this.capacityChanged = capacityChanged;
    }

    /** See {@link PortReturns#giveBack}; the ports carved out with the lease's come back with it. */
    void giveBack(PortLease lease, boolean quarantine, boolean bindFailure) {
        PortLease[] riders = lease.block().detachRiders(lease.index());
        giveBackOne(lease, quarantine, bindFailure);
        if (riders != null) {
            for (PortLease rider : riders) {
                giveBackOne(rider, quarantine, false);
            }
        }
    }

    private void giveBackOne(PortLease lease, boolean quarantine, boolean bindFailure) {
        if (quarantine || bindFailure) {
            giveBackToQuarantine(lease, bindFailure);
            return;
        }
        PoolBlock b = lease.block();
        boolean cooldown = settings.hasCooldown();
        long returnedAt = cooldown ? lease.returnTime(settings.clock().getAsLong()) : 0;
        if (!table.giveBack(lease, cooldown, returnedAt)) {
            synchronized (lock) { // the queue was frozen by an explicit lease or a release: done by now
                table.giveBack(lease, cooldown, returnedAt);
            }
        }
        if (!waiters.isEmpty()) {
            capacityChanged.run();
        }
        if (table.isClosed()) {
            releaseIfWithoutLease(b);
        } else if (settings.releasesIdleBlocks() && table.isWithoutLease(b)) {
            reaper.wentIdle(b);
        }
    }

    /** A return quarantines its unit (a bind failed, or found another socket on one of its ports); under the lock. */
    private void giveBackToQuarantine(PortLease lease, boolean bindFailure) {
        PoolBlock b = lease.block();
        boolean released = false;
        synchronized (lock) {
            if (bindFailure) {
                counters.failure();
            }
            if (!table.holds(lease)) {
                return; // the pool was closed forcibly: the block is gone
            }
            if (table.quarantine(lease) || table.isClosed()) {
                released = table.retireIfWithoutLease(b); // every unit quarantined, or closing: of no use any more
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
        capacityChanged.run(); // serves the waiters (after a release: a fixed range may be acquired again)
    }

    /** A closing pool releases a block whose last lease came back. */
    private void releaseIfWithoutLease(PoolBlock b) {
        boolean released;
        synchronized (lock) {
            released = !b.isRemoved() && table.retireIfWithoutLease(b);
            if (released) {
                counters.blockReleased();
            }
        }
        if (released) {
            b.releaseReservation();
            capacityChanged.run();
        }
    }

    /** See {@link PortReturns#linger}. */
    void linger(PortLease lease) {
        synchronized (lock) {
            lingering.add(lease);
        }
    }

    /** See {@link PortReturns#lingerEnded}. */
    void lingerEnded(PortLease lease) {
        synchronized (lock) {
            lingering.remove(lease);
        }
        lease.endLingering();
    }

    /** Whether a lease lingers; under the lock. */
    boolean hasLingeringLocked() {
        return !lingering.isEmpty();
    }

    /**
     * Takes out the lingering leases whose sockets are gone (see {@link PortLease}), to be given back with
     * {@link #end} once the lock is released, and forgets those whose last socket's close ended them; null when none
     * is done. Under the lock, where a request finds no ready port and before a snapshot.
     */
    List<PortLease> socketsGoneLocked() {
        List<PortLease> done = null;
        for (Iterator<PortLease> it = lingering.iterator(); it.hasNext();) {
            PortLease lease = it.next();
            if (lease.lingeredLongEnough()) {
                it.remove();
                done = done != null ? done : new ArrayList<>(4);
                done.add(lease);
            } else if (!lease.isLingering()) {
                it.remove();
            }
        }
        return done;
    }

    /** Gives back the units of {@code leases} from {@link #socketsGoneLocked()}; call without the lock. */
    static void end(List<PortLease> leases) {
        if (leases != null) {
            for (PortLease lease : leases) {
                lease.endLingering();
            }
        }
    }

    /** See {@link PortReturns#bound}. */
    void bound(PortLease lease) {
        table.track(lease);
    }

    /** See {@link PortReturns#countBindFailure}. */
    void countBindFailure() {
        synchronized (lock) {
            counters.failure();
        }
    }
}
