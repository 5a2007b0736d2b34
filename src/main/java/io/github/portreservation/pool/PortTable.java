package io.github.portreservation.pool;

import io.github.portreservation.PortRange;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicReferenceArray;
import java.util.function.BooleanSupplier;

/**
 * The ports of a pool and the only class that changes block state: the blocks by slot (a lower slot is preferred),
 * each cut into units of one {@link PortShape} (single ports by default), each block's {@link PortQueue} of free
 * units, per shape the {@link FreeSlots} whose block may have a free unit ({@link BlockShapes}), the block of each port
 * number, the bound lease of each unit, quarantines and its {@link PortGauges}.
 *
 * <p>Two kinds of methods. Lock-free, for any thread: {@link #takeReady}, {@link #giveBack}, {@link #isClosed},
 * {@link #isWithoutLease}, {@link #track}, {@link #shapeIndex}. Everything else needs the pool's lock; those methods
 * freeze a block's queue when they must see it still ({@link #takeExplicit}, {@link #retireIfWithoutLease},
 * {@link #retireIfReady}, {@link #remove}).
 *
 * <h2>Concurrency argument</h2>
 * A unit is leased by the one thread whose poll takes it out of its block's queue, or by an explicit lease that
 * removes it from the frozen queue; it goes back by the one return of that lease. So no two live leases share a unit,
 * and units of one block never overlap. A block with a free unit is always marked in the {@link FreeSlots} of its
 * shape (see there). A block is retired (released, or replaced by a block of another shape over the same
 * reservations) only from a frozen queue that holds every unit not quarantined, so no lease of it is live or under
 * way; it stays frozen, so later polls go to the lock, which no longer lists the block. A poll that finds a block of
 * another shape in a slot of its own shape's {@link FreeSlots} (the slot was re-cut meanwhile) skips it.
 */
final class PortTable {
    private final PortReturns returns;
    private final PoolCounters counters;
    private final AtomicReferenceArray<PoolBlock> blocks;
    private final BlockShapes shapes;
    /** {@code shapes.withFreeUnits(0)}: the single ports' slots, read on every lease and return. */
    private final FreeSlots singles;
    private final PoolBlock[] blockByPort = new PoolBlock[PortRange.MAX_PORT + 1];
    private final PortGauges gauges = new PortGauges();
    private volatile boolean closed;
    /** Whether polls collided once: then each thread starts where {@link LeaseSpread} says. */
    private volatile boolean spread;

    PortTable(int slots, PortReturns returns, PoolCounters counters) {
        this.returns = returns;
        this.counters = counters;
        this.blocks = new AtomicReferenceArray<>(slots);
        this.shapes = new BlockShapes(slots);
        this.singles = shapes.withFreeUnits(0);
    }

    // ------------------------------------------------------------------------------------------------------------
    // Lock-free

    /** Whether the pool is closed: the table grants no port any more. */
    boolean isClosed() {
        return closed;
    }

    /** The index of {@code shape} among the shapes of the table's blocks, or -1 when it has none yet. */
    int shapeIndex(PortShape shape) {
        return shapes.indexOf(shape);
    }

    /**
     * Leases the oldest returned unit of shape {@code shape} of the lowest slot whose oldest unit is past
     * {@code cooldownNanos} at {@code now}; null when there is none, the table is closed, or a queue is frozen (the
     * caller then asks again under the pool's lock, where no queue is frozen).
     */
    PortLease takeReady(int shape, long now, long cooldownNanos) {
        if (closed) {
            return null;
        }
        FreeSlots marked = shape == 0 ? singles : shapes.withFreeUnits(shape);
        int from = spread ? LeaseSpread.startSlot(marked, blocks, shape) : 0;
        for (int slot = marked.next(from);; slot = marked.next(slot + 1)) {
            if (slot < 0 && (from == 0 || (slot = marked.next(from = 0)) < 0)) {
                return null; // none from the thread's start up, nor (once more) from the lowest
            }
            PoolBlock b = blocks.get(slot);
            if (b == null || b.shapeIndex() != shape) {
                continue;
            }
            int index = b.queue.poll(now, cooldownNanos, b.returnedAt);
            if (index >= 0) {
                counters.leaseGranted();
                return new PortLease(returns, b, index);
            }
            if (index == PortQueue.FROZEN) {
                return null;
            }
            if (index == PortQueue.COLLIDED) {
                collided();
                slot--; // poll this block again: it has a unit, and no thread is waiting for it
            } else if (index == PortQueue.EMPTY && marked.unmark(slot, () -> b.queue.size() > 0)) {
                slot = from - 1; // an offer came meanwhile: start again
            }
        }
    }

    /** The calling thread lost a poll to another thread: from now on each thread starts where it is told. */
    void collided() {
        if (!spread) {
            spread = true;
        }
        LeaseSpread.collided();
    }

    /**
     * Gives a unit back to the back of its block's queue (returned at {@code returnedAt}, noted only with a
     * {@code cooldown}); nothing when the block was dropped (a forced close).
     *
     * @return false when the queue is frozen: call again under the pool's lock
     */
    boolean giveBack(PortLease lease, boolean cooldown, long returnedAt) {
        PoolBlock b = lease.block();
        if (b.removed) {
            return true;
        }
        if (b.bound.get(lease.index()) == lease) {
            b.bound.compareAndSet(lease.index(), lease, null); // read first: most leases never bind
        }
        if (cooldown) {
            b.returnedAt[lease.index()] = returnedAt;
        }
        if (!b.queue.offer(lease.index())) {
            return false;
        }
        (b.shapeIndex() == 0 ? singles : shapes.withFreeUnits(b.shapeIndex())).mark(b.slot());
        return true;
    }

    /** Whether every unit of {@code b} that is not quarantined is in its queue (a hint, unless frozen). */
    boolean isWithoutLease(PoolBlock b) {
        return b.queue.size() >= b.units() - b.quarantined;
    }

    /** Notes that {@code lease} bound a socket, so that an exhausted pool can find it if it is abandoned. */
    void track(PortLease lease) {
        lease.block().bound.set(lease.index(), lease);
    }

    // ------------------------------------------------------------------------------------------------------------
    // Under the pool's lock

    /** Grants no port from now on. */
    void close() {
        closed = true;
    }

    int slots() {
        return blocks.length();
    }
    /** The block in {@code slot}, or null. */
    PoolBlock block(int slot) {
        return blocks.get(slot);
    }

    /** Its sizes in blocks and ports. */
    PortGauges gauges() {
        return gauges;
    }

    /** The index of {@code shape}, added when new; -1 when the table serves {@link BlockShapes#MAX} shapes. */
    int shapeIndexLocked(PortShape shape) {
        return shapes.addLocked(shape);
    }

    PortShape shape(int index) {
        return shapes.shape(index);
    }

    /** How many shapes the table's blocks were cut into so far (1: single ports only). */
    int shapeCount() {
        return shapes.count();
    }

    /**
     * Free ports (in the queues, in their cooldown or not; the rest of the capacity is leased) of the blocks of shape
     * {@code shape} ({@code same}), or of the blocks of every other shape; of every block when {@code shape} is -1.
     */
    int free(int shape, boolean same) {
        int free = 0;
        for (PoolBlock b : blocks()) {
            free += shape < 0 || (b.shapeIndex() == shape) == same ? b.freePorts() : 0;
        }
        return free;
    }

    /**
     * Leases exactly {@code port} when it is a free port of a block of single ports, past its cooldown at {@code now}.
     *
     * @throws io.github.portreservation.PortReservationException OUTSIDE_RESERVATION or IN_USE (leased, quarantined,
     *         cooling down, in a block of another shape), worded by {@code errors}
     */
    PortLease takeExplicit(int port, long now, long cooldownNanos, PoolErrors errors) {
        PoolBlock b = blockByPort[port];
        if (b == null) {
            throw errors.notInPool(port, toString());
        }
        if (b.shapeIndex() != 0) {
            throw errors.inBlockOfShape(port, b.range(), b.shape());
        }
        int index = b.unitAt(port);
        b.takeOut(index, now, cooldownNanos, errors);
        counters.leaseGranted();
        return new PortLease(returns, b, index);
    }

    /** The block that holds {@code port}, or null. */
    PoolBlock blockOf(int port) {
        return blockByPort[port];
    }

    /**
     * Carves the {@code count} ports from index {@code first} out of {@code b}, a block of single ports, when they are
     * all free, past their cooldown at {@code now} and not quarantined: a lease of the first port, which gives the
     * others back with itself (its riders, see {@link PoolBlock#detachRiders}); else null.
     */
    PortLease takeRun(PoolBlock b, int first, int count, long now, long cooldownNanos) {
        PortLease[] riders = new PortLease[count - 1];
        for (int i = 0; i < riders.length; i++) {
            riders[i] = new PortLease(returns, b, first + 1 + i);
        }
        if (!b.takeOutRun(first, count, now, cooldownNanos, riders)) {
            return null;
        }
        counters.leaseGranted();
        return new PortLease(returns, b, first);
    }

    /** Whether {@code lease} still holds its port: false when its block was dropped. */
    boolean holds(PortLease lease) {
        return !lease.block().removed;
    }

    /**
     * Quarantines the unit of a lease given back: it is not leased again while its block is held.
     *
     * @return whether every unit of the block is now quarantined
     */
    boolean quarantine(PortLease lease) {
        PoolBlock b = lease.block();
        b.bound.compareAndSet(lease.index(), lease, null);
        b.quarantinedUnits[lease.index()] = true;
        b.quarantined++;
        gauges.quarantined(b);
        return b.quarantined == b.units();
    }

    /** Whether a port of {@code range} already belongs to a block. */
    boolean overlaps(PortRange range) {
        for (int p = range.start(); p <= range.end(); p++) {
            if (blockByPort[p] != null) {
                return true;
            }
        }
        return false;
    }

    /**
     * Adds a new block whose units are all free (one of its shape, which the table serves already).
     *
     * @return a lease of its first unit, taken before any other request can see the block, when {@code forCaller}
     */
    PortLease add(PoolBlock b, boolean forCaller) {
        b.shapeIndex(shapes.addLocked(b.shape()));
        PortLease first = null;
        if (forCaller) {
            first = new PortLease(returns, b, b.queue.poll(0, 0, b.returnedAt));
            counters.leaseGranted();
        }
        for (int p = b.range().start(); p <= b.range().end(); p++) {
            blockByPort[p] = b;
        }
        gauges.added(b);
        blocks.set(b.slot(), b);
        shapes.withFreeUnits(b.shapeIndex()).mark(b.slot());
        return first;
    }

    /**
     * Drops {@code b} when no lease of it is live or under way (its frozen queue holds every unit not quarantined).
     *
     * @return whether it was dropped
     */
    boolean retireIfWithoutLease(PoolBlock b) {
        return retireIf(b, () -> true);
    }

    /**
     * Drops {@code b} when no lease of it is live or under way and none was taken since its lease mark was
     * {@code leaseMark} (the idle reaper's note).
     *
     * @return whether it was dropped
     */
    boolean retireIfIdleSince(PoolBlock b, long leaseMark) {
        return retireIf(b, () -> b.leaseMark() == leaseMark);
    }

    /**
     * Drops {@code b}, to cut its reservations into another shape, when it has no quarantined unit, no lease live or
     * under way, and every unit is past its cooldown at {@code now}.
     *
     * @return whether it was dropped (its reservations are the caller's now)
     */
    boolean retireIfReady(PoolBlock b, long now, long cooldownNanos) {
        return b.quarantined == 0 && retireIf(b, () -> b.allReady(now, cooldownNanos));
    }

    /** Drops {@code b} when its frozen queue holds every unit not quarantined and {@code also} holds. */
    private boolean retireIf(PoolBlock b, BooleanSupplier also) {
        b.queue.freeze();
        if (b.queue.sizeFrozen() < b.units() - b.quarantined || !also.getAsBoolean()) {
            b.queue.unfreeze();
            return false;
        }
        drop(b);
        return true;
    }

    /** Drops a block at once; its leases, if any, become inactive (a forced close). */
    void remove(PoolBlock b) {
        b.queue.freeze();
        drop(b);
    }

    private void drop(PoolBlock b) {
        b.removed = true; // the queue stays frozen: polls and offers that still find the block go to the lock
        blocks.set(b.slot(), null);
        shapes.withFreeUnits(b.shapeIndex()).unmark(b.slot(), () -> false);
        for (int p = b.range().start(); p <= b.range().end(); p++) {
            blockByPort[p] = null;
        }
        gauges.dropped(b);
    }

    /** The blocks, lowest slot first. */
    List<PoolBlock> blocks() {
        List<PoolBlock> list = new ArrayList<>(gauges.blockCount());
        for (int slot = 0; slot < blocks.length(); slot++) {
            PoolBlock b = blocks.get(slot);
            if (b != null) {
                list.add(b);
            }
        }
        return list;
    }

    /** The ranges of the blocks, lowest slot first. */
    List<PortRange> ranges() {
        List<PortRange> list = new ArrayList<>(gauges.blockCount());
        for (PoolBlock b : blocks()) {
            list.add(b.range());
        }
        return list;
    }

    /** When the first unit in cooldown becomes ready (a hint), or {@link PoolSettings#NEVER} when none is free. */
    long earliestReady(long cooldownNanos) {
        long earliest = PoolSettings.NEVER;
        for (PoolBlock b : blocks()) {
            int index = b.queue.peek();
            if (index >= 0) {
                earliest = Math.min(earliest, b.returnedAt[index] + cooldownNanos);
            }
        }
        return earliest;
    }

    /**
     * Bound leases whose socket was closed but not the lease, seen so for at least {@code graceNanos} (a first
     * sighting is noted at {@code now}); null when none. O(capacity).
     */
    List<PortLease> abandoned(long now, long graceNanos) {
        List<PortLease> out = null;
        for (PoolBlock b : blocks()) {
            out = b.abandoned(now, graceNanos, out);
        }
        return out;
    }

    @Override
    public String toString() {
        StringBuilder sb = new StringBuilder();
        for (PoolBlock b : blocks()) {
            sb.append(sb.length() == 0 ? "" : ", ").append(b.range());
        }
        return sb.length() == 0 ? "none" : sb.toString();
    }
}
