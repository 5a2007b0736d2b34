package io.github.portreservation.pool;

import io.github.portreservation.PortRange;
import io.github.portreservation.Protocol;
import io.github.portreservation.RuntimeReservation;

import java.lang.System.Logger.Level;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReferenceArray;

/**
 * One block of a pool: its runtime reservations (one per protocol of the pool, at the same ports), the
 * {@link PortShape} its ports are cut into, and per unit of that shape (a single port, or a pair...): the queue of free
 * units, when each was returned (for the cooldown), its bound lease, whether it is quarantined; and what the idle
 * reaper noted. Only {@link PortTable} (with the methods here that take units out of the frozen queue) and the
 * {@link IdleReaper} change it; the reservations, range, slot and shape never change (a block that changes shape is
 * replaced by a new one over the same reservations).
 *
 * <p>Unit {@code i} is the {@code shape.count()} ports from {@link #portOf(int) portOf(i)}: the first unit starts at
 * the first multiple of the alignment in the range, the next ones every {@link PortShape#stride()} ports.
 */
final class PoolBlock {
    private static final System.Logger LOG = System.getLogger(ReservationPool.class.getName());

    private final int slot;
    private final List<RuntimeReservation> reservations;
    private final PortRange range;
    private final PortShape shape;
    private final int firstUnitPort;
    private final int stride;
    private final int units;
    /** The index of {@link #shape} in the table's {@link BlockShapes}; set by the table before it publishes the block. */
    private int shapeIndex;
    final PortQueue queue;
    /** Written by the returning thread before its offer, read after the poll that takes the unit. */
    final long[] returnedAt;
    final AtomicReferenceArray<PortLease> bound;
    /** Guarded by the pool's lock; {@link #quarantined} is read without it. */
    final boolean[] quarantinedUnits;
    volatile int quarantined;
    volatile boolean removed;
    /** Units taken out of the middle of the queue; with the head's position, the block's lease mark. */
    volatile long explicitLeases;
    /**
     * Per unit of a block of single ports, the other ports of a shape carved out of it with that unit's port first
     * (see {@link PortTable#takeRun}), given back with it; null until the first carve. Written under the lock before
     * the lease is handed out, cleared by the lease's one return.
     */
    private volatile PortLease[][] riders;
    /**
     * Per unit (a single port), the sockets that joined its lease ({@link JoinedSockets}); null until the block's first
     * join. Kept here, not in the lease, so that a lease stays as small as it was.
     */
    private volatile AtomicReferenceArray<JoinedSockets> joined;
    private volatile IdleMark idleMark;
    private final AtomicBoolean idleCheckPending = new AtomicBoolean();

    /** A block of single ports for {@code slot} whose ports are all free and past their cooldown at {@code readySince}. */
    PoolBlock(int slot, RuntimeReservation reservation, long readySince) {
        this(slot, List.of(reservation), PortShape.single(), readySince);
    }

    /**
     * A block for {@code slot} over {@code reservations} (the same range, one per protocol, the first the pool's
     * first protocol), cut into units of {@code shape}, all free and past their cooldown at {@code readySince}.
     */
    PoolBlock(int slot, List<RuntimeReservation> reservations, PortShape shape, long readySince) {
        this.slot = slot;
        this.reservations = List.copyOf(reservations);
        this.range = reservations.get(0).range();
        this.shape = shape;
        this.firstUnitPort = range.start() + shape.offsetIn(range);
        this.stride = shape.stride();
        this.units = shape.unitsIn(range);
        this.queue = new PortQueue(units);
        this.returnedAt = new long[units];
        this.bound = new AtomicReferenceArray<>(units);
        this.quarantinedUnits = new boolean[units];
        Arrays.fill(returnedAt, readySince);
    }

    int slot() {
        return slot;
    }

    /** The reservation of the pool's first protocol. */
    RuntimeReservation reservation() {
        return reservations.get(0);
    }

    /** The reservation of {@code protocol}; the first one when the block holds no other. */
    RuntimeReservation reservation(Protocol protocol) {
        for (RuntimeReservation r : reservations) {
            if (r.protocol() == protocol) {
                return r;
            }
        }
        return reservations.get(0);
    }

    /** Every reservation of the block, the first protocol's first. */
    List<RuntimeReservation> reservations() {
        return reservations;
    }

    PortRange range() {
        return range;
    }

    PortShape shape() {
        return shape;
    }

    int shapeIndex() {
        return shapeIndex;
    }

    void shapeIndex(int index) {
        shapeIndex = index;
    }

    /** Units of its shape the block holds. */
    int units() {
        return units;
    }

    /** Ports of one unit. */
    int width() {
        return shape.count();
    }

    /** The first port of unit {@code unit}. */
    int portOf(int unit) {
        return firstUnitPort + unit * stride;
    }

    /** The unit that starts at {@code port}, or -1 when no unit does. */
    int unitAt(int port) {
        int offset = port - firstUnitPort;
        return offset < 0 || offset % stride != 0 || offset / stride >= units ? -1 : offset / stride;
    }

    /** Ports that can be leased now: those of its units that are not quarantined. */
    int leasablePorts() {
        return (units - quarantined) * width();
    }

    /** Ports in the queue: free, in their cooldown or not (a hint, unless frozen). */
    int freePorts() {
        return Math.min(queue.size(), units - quarantined) * width();
    }

    /**
     * The index of the first port of a run of {@code shape} whose ports are all free, past their cooldown at
     * {@code now} and not quarantined, in this block of single ports; -1 when there is none. A hint (read without
     * freezing the queue); {@link PortTable#takeRun} checks it.
     */
    int findFreeRun(PortShape shape, long now, long cooldownNanos) {
        long[] free = new long[(units + 63) >>> 6];
        queue.addPortsTo(free);
        int first = shape.offsetIn(range);
        for (int start = first; start + shape.count() <= units; start += shape.alignment()) {
            int i = start;
            while (i < start + shape.count() && (free[i >>> 6] & 1L << i) != 0 && !quarantinedUnits[i]
                    && (cooldownNanos == 0 || now - returnedAt[i] >= cooldownNanos)) {
                i++;
            }
            if (i == start + shape.count()) {
                return start;
            }
        }
        return -1;
    }

    /**
     * Takes unit {@code index} (a single port) out of the frozen queue for an explicit lease; under the pool's lock.
     *
     * @throws io.github.portreservation.PortReservationException IN_USE (leased, quarantined, cooling down), worded
     *         by {@code errors}
     */
    void takeOut(int index, long now, long cooldownNanos, PoolErrors errors) {
        int port = portOf(index);
        if (quarantinedUnits[index]) {
            throw errors.quarantined(port);
        }
        queue.freeze();
        try {
            if (!queue.containsFrozen(index)) {
                throw errors.leasedBy(port, bound.get(index));
            }
            long coolFor = cooldownNanos - (now - returnedAt[index]);
            if (cooldownNanos > 0 && coolFor > 0) {
                throw errors.coolingDown(port, cooldownNanos, coolFor);
            }
            queue.removeFrozen(index);
            explicitLeases++;
        } finally {
            queue.unfreeze();
        }
    }

    /**
     * Takes the {@code count} units from {@code first} out of the frozen queue when they are all there, past their
     * cooldown and not quarantined, and notes {@code riders} (the leases of all but the first) as coming back with
     * the first one's lease; under the pool's lock. Returns whether it took them.
     */
    boolean takeOutRun(int first, int count, long now, long cooldownNanos, PortLease[] riders) {
        queue.freeze();
        try {
            for (int i = first; i < first + count; i++) {
                if (quarantinedUnits[i] || !queue.containsFrozen(i)
                        || cooldownNanos > 0 && now - returnedAt[i] < cooldownNanos) {
                    return false;
                }
            }
            for (int i = first; i < first + count; i++) {
                queue.removeFrozen(i);
            }
            explicitLeases += count;
            PortLease[][] all = riders();
            all[first] = riders;
            return true;
        } finally {
            queue.unfreeze();
        }
    }

    private PortLease[][] riders() {
        PortLease[][] all = riders;
        if (all == null) {
            all = new PortLease[units][];
            riders = all;
        }
        return all;
    }

    /** The riders noted with unit {@code index} (see {@link #takeOutRun}), forgotten now; or null. Lock-free. */
    PortLease[] detachRiders(int index) {
        PortLease[][] all = riders;
        if (all == null || all[index] == null) {
            return null;
        }
        PortLease[] mine = all[index];
        all[index] = null;
        return mine;
    }

    /** Whether every unit was returned at least {@code cooldownNanos} before {@code now}. */
    boolean allReady(long now, long cooldownNanos) {
        for (int i = 0; cooldownNanos > 0 && i < units; i++) {
            if (now - returnedAt[i] < cooldownNanos) {
                return false;
            }
        }
        return true;
    }

    /**
     * Adds to {@code out} (created when null) the bound leases of this block seen abandoned for {@code graceNanos}
     * (see {@link PortLease#abandonedFor}); returns it.
     */
    List<PortLease> abandoned(long now, long graceNanos, List<PortLease> out) {
        for (int i = 0; i < units; i++) {
            PortLease lease = bound.get(i);
            if (lease != null && lease.abandonedFor(now, graceNanos)) {
                out = out != null ? out : new ArrayList<>();
                out.add(lease);
            }
        }
        return out;
    }

    /** The sockets that joined {@code lease} (a lease of this block), or null. Lock-free. */
    JoinedSockets joinedTo(PortLease lease) {
        AtomicReferenceArray<JoinedSockets> all = joined;
        JoinedSockets j = all == null ? null : all.get(lease.index());
        return j != null && j.lease() == lease ? j : null;
    }

    /**
     * The sockets that joined {@code lease}, made when it has none yet (an entry of the unit's earlier lease, which
     * came back with all its sockets gone, is replaced). Lock-free.
     */
    JoinedSockets joinedToOrNew(PortLease lease) {
        AtomicReferenceArray<JoinedSockets> all = joined;
        if (all == null) {
            synchronized (this) {
                if (joined == null) {
                    joined = new AtomicReferenceArray<>(units);
                }
                all = joined;
            }
        }
        for (;;) {
            JoinedSockets j = all.get(lease.index());
            if (j != null && j.lease() == lease) {
                return j;
            }
            JoinedSockets made = new JoinedSockets(lease);
            if (all.compareAndSet(lease.index(), j, made)) {
                return made;
            }
        }
    }

    /** Forgets {@code joined} (null: nothing), the sockets of a lease that comes back: all of them are gone. */
    void forget(JoinedSockets joined) {
        AtomicReferenceArray<JoinedSockets> all = this.joined;
        if (joined != null && all != null) {
            all.compareAndSet(joined.lease().index(), joined, null);
        }
    }

    /** The lease bound to a socket on {@code port} in this block of single ports, or null. */
    PortLease boundLeaseAt(int port) {
        int unit = shapeIndex == 0 ? unitAt(port) : -1;
        return unit < 0 ? null : bound.get(unit);
    }

    /** Whether the pool dropped the block (its leases are inactive); safe without the lock. */
    boolean isRemoved() {
        return removed;
    }

    /** A number that grows with every lease of the block: the idle reaper's evidence of no lease meanwhile. */
    long leaseMark() {
        return queue.headPosition() + explicitLeases;
    }

    /** What the reaper last noted: since when, and at which lease mark, the block had no lease; or null. */
    IdleMark idleMark() {
        return idleMark;
    }

    void idleMark(IdleMark mark) {
        idleMark = mark;
    }

    /** Marks an idle check as scheduled; false when one already is. */
    boolean claimIdleCheck() {
        return idleCheckPending.compareAndSet(false, true);
    }

    /** The scheduled idle check ran, or could not be scheduled. */
    void endIdleCheck() {
        idleCheckPending.set(false);
    }

    /** Closes the block's reservations (call without the pool's lock); a failure is logged, never thrown. */
    void releaseReservation() {
        release(reservations);
    }

    /** Closes {@code reservations} (call without the pool's lock); a failure is logged, never thrown. */
    static void release(List<RuntimeReservation> reservations) {
        for (RuntimeReservation reservation : reservations) {
            try {
                reservation.close();
            } catch (RuntimeException e) {
                LOG.log(Level.WARNING, () -> "Releasing " + reservation + " failed", e);
            }
        }
    }

    @Override
    public String toString() {
        return range.format();
    }

    /** The block had no lease from {@code since} on, and its lease mark was {@code leaseMark} then. */
    record IdleMark(long leaseMark, long since) {
    }
}
