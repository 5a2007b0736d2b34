package io.github.portreservation.pool;

import java.lang.System.Logger.Level;
import java.util.ArrayList;
import java.util.List;

/**
 * The pool's return path ({@link PortReturns}): a returned unit goes to the back of its block's queue (lock-free), or
 * into quarantine, or lingers with its lease until its sockets are gone ({@link LingeringLeases}); the ports carved
 * out with a lease's come back with it; closing ({@link #shutdown}) and a closing pool's blocks released by their last
 * return. Part of {@link LeaseDispatcher}, under its lock where a comment says so.
 *
 * <p>No return misses a waiter: the return first offers its unit (a volatile write) and then reads the waiter count,
 * while a waiter first makes itself counted and then looks at the queues again. Closing and the last return of a block
 * meet the same way on the closed flag, so the block is released by one of them.
 */
final class ReturnPath implements PortReturns {
    private static final System.Logger LOG = System.getLogger(ReservationPool.class.getName());

    private final Object lock;
    private final PoolSettings settings;
    private final PoolErrors errors;
    private final PortTable table;
    private final PoolCounters counters;
    private final IdleReaper reaper;
    private final LingeringLeases lingering;
    private final WaiterQueue waiters;
    private final Runnable capacityChanged;

    /** {@code capacityChanged} (serves the waiters, ends a closed pool) runs without the lock. */
    ReturnPath(Object lock, PoolSettings settings, PoolErrors errors, PortTable table, PoolCounters counters,
               IdleReaper reaper, LingeringLeases lingering, WaiterQueue waiters, Runnable capacityChanged) {
        this.lock = lock;
        this.settings = settings;
        this.errors = errors;
        this.table = table;
        this.counters = counters;
        this.reaper = reaper;
        this.lingering = lingering;
        this.waiters = waiters;
        this.capacityChanged = capacityChanged;
    }

    @Override
    public void linger(PortLease lease) {
        lingering.add(lease);
    }

    @Override
    public void lingerEnded(PortLease lease) {
        if (lingering.remove(lease)) {
            lease.endLingering();
        } // else not added yet: the sweep or the next request gives it back
    }

    /** The ports carved out with the lease's (see {@link PortTable#takeRun}) come back with it. */
    @Override
    public void giveBack(PortLease lease, boolean quarantine, boolean bindFailure) {
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

    /** Refuses new leases, fails the waiters, and releases the blocks without lease (all of them when forced). */
    void shutdown(boolean force) {
        List<Waiter> failed = null;
        List<PoolBlock> released = new ArrayList<>();
        synchronized (lock) {
            if (!table.isClosed()) {
                table.close();
                failed = waiters.failAll(errors.closed(), null);
            }
            for (PoolBlock b : table.blocks()) {
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
        for (PoolBlock b : released) {
            b.releaseReservation();
        }
        capacityChanged.run();
    }
}
