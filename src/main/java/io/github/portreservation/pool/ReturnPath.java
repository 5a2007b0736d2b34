package io.github.portreservation.pool;

import java.lang.System.Logger.Level;

/**
 * The pool's return path ({@link PortReturns}): a returned port goes to the back of its block's queue (lock-free),
 * into quarantine, or lingers with its lease until its socket is gone; a closing pool releases a block whose last
 * lease came back. Part of {@link LeaseDispatcher}, under its lock where a comment says so.
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
    private final Runnable serveWaiters;
    private final Runnable capacityChanged;

    ReturnPath(Object lock, PoolSettings settings, PoolErrors errors, PortTable table, PoolCounters counters,
               IdleReaper reaper, LingeringLeases lingering, WaiterQueue waiters, Runnable serveWaiters,
               Runnable capacityChanged) {
        this.lock = lock;
        this.settings = settings;
        this.errors = errors;
        this.table = table;
        this.counters = counters;
        this.reaper = reaper;
        this.lingering = lingering;
        this.waiters = waiters;
        this.serveWaiters = serveWaiters;
        this.capacityChanged = capacityChanged;
    }

    @Override
    public void linger(PortLease lease) {
        lingering.add(lease);
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
            serveWaiters.run();
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
        capacityChanged.run(); // serves the waiters (after a release: a fixed range may be acquired again)
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
}
