package io.github.portreservation.pool;

import io.github.portreservation.PortRange;
import io.github.portreservation.RuntimeReservation;

import java.lang.System.Logger.Level;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReferenceArray;

/**
 * The ports of a pool and the only class that changes block state: the blocks by slot (a lower slot is preferred),
 * each block's {@link PortQueue} of free ports, the {@link FreeSlots} whose block may have a free port, the block of each
 * port number, the bound lease of each port, quarantines and the gauges.
 *
 * <p>Two kinds of methods. Lock-free, for any thread: {@link #takeReady}, {@link #giveBack}, {@link #isClosed},
 * {@link #isWithoutLease}, {@link #track}. Everything else needs the pool's lock; those methods freeze a block's queue
 * when they must see it still ({@link #takeExplicit}, {@link #retireIfWithoutLease}, {@link #remove}).
 *
 * <h2>Concurrency argument</h2>
 * A port is leased by the one thread whose poll takes it out of its block's queue, or by an explicit lease that
 * removes it from the frozen queue; it goes back by the one return of that lease. So no two live leases share a port.
 * A block with a free port is always marked in {@link FreeSlots} (see there). A block is retired (released) only from a frozen queue that holds every port not quarantined, so no lease of it
 * is live or under way; it stays frozen, so later polls go to the lock, which no longer lists the block.
 */
final class PortTable {
    private static final System.Logger LOG = System.getLogger(ReservationPool.class.getName());

    private final PortReturns returns;
    private final PoolCounters counters;
    private final AtomicReferenceArray<Block> blocks;
    private final FreeSlots withFreePorts;
    private final Block[] blockByPort = new Block[PortRange.MAX_PORT + 1];
    private int blockCount;
    private int heldPorts;
    private int quarantined;
    private volatile boolean closed;

    PortTable(int slots, PortReturns returns, PoolCounters counters) {
        this.returns = returns;
        this.counters = counters;
        this.blocks = new AtomicReferenceArray<>(slots);
        this.withFreePorts = new FreeSlots(slots);
    }

    // ------------------------------------------------------------------------------------------------------------
    // Lock-free

    /** Whether the pool is closed: the table grants no port any more. */
    boolean isClosed() {
        return closed;
    }

    /**
     * Leases the oldest returned port of the lowest slot whose oldest port is past {@code cooldownNanos} at
     * {@code now}; null when there is none, the table is closed, or a queue is frozen (the caller then asks again
     * under the pool's lock, where no queue is frozen).
     */
    PortLease takeReady(long now, long cooldownNanos) {
        if (closed) {
            return null;
        }
        for (int slot = withFreePorts.next(0); slot >= 0; slot = withFreePorts.next(slot + 1)) {
            Block b = blocks.get(slot);
            if (b == null) {
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
            if (index == PortQueue.EMPTY && withFreePorts.unmark(slot, () -> b.queue.size() > 0)) {
                slot = -1; // an offer came meanwhile: start again from the lowest slot
            }
        }
        return null;
    }

    /**
     * Gives a port back to the back of its block's queue (returned at {@code returnedAt}, noted only with a
     * {@code cooldown}); nothing when the block was dropped (a forced close).
     *
     * @return false when the queue is frozen: call again under the pool's lock
     */
    boolean giveBack(PortLease lease, boolean cooldown, long returnedAt) {
        Block b = lease.block();
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
        withFreePorts.mark(b.slot);
        return true;
    }

    /** Whether every port of {@code b} that is not quarantined is in its queue (a hint, unless frozen). */
    boolean isWithoutLease(Block b) {
        return b.queue.size() >= b.count - b.quarantined;
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
    Block block(int slot) {
        return blocks.get(slot);
    }

    int blockCount() {
        return blockCount;
    }

    /** Ports of all blocks, quarantined ones included. */
    int heldPorts() {
        return heldPorts;
    }

    /** Ports that can be leased: leased + free. */
    int capacity() {
        return heldPorts - quarantined;
    }

    int quarantined() {
        return quarantined;
    }

    /** Ports in the queues: free, in their cooldown or not. The rest of the capacity is leased. */
    int free() {
        int free = 0;
        for (int slot = 0; slot < blocks.length(); slot++) {
            Block b = blocks.get(slot);
            if (b != null) {
                free += Math.min(b.queue.size(), b.count - b.quarantined);
            }
        }
        return free;
    }

    /**
     * Leases exactly {@code port} when it is a free port of a block, past its cooldown at {@code now}.
     *
     * @throws io.github.portreservation.PortReservationException OUTSIDE_RESERVATION or IN_USE (leased, quarantined,
     *         cooling down), worded by {@code errors}
     */
    PortLease takeExplicit(int port, long now, long cooldownNanos, PoolErrors errors) {
        Block b = blockByPort[port];
        if (b == null) {
            throw errors.notInPool(port, toString());
        }
        int index = port - b.range.start();
        if (b.quarantinedPorts[index]) {
            throw errors.quarantined(port);
        }
        b.queue.freeze();
        try {
            if (!b.queue.containsFrozen(index)) {
                throw errors.leasedBy(port, b.bound.get(index));
            }
            long coolFor = cooldownNanos - (now - b.returnedAt[index]);
            if (cooldownNanos > 0 && coolFor > 0) {
                throw errors.coolingDown(port, cooldownNanos, coolFor);
            }
            b.queue.removeFrozen(index);
            b.explicitLeases++;
        } finally {
            b.queue.unfreeze();
        }
        counters.leaseGranted();
        return new PortLease(returns, b, index);
    }

    /** Whether {@code lease} still holds its port: false when its block was dropped. */
    boolean holds(PortLease lease) {
        return !lease.block().removed;
    }

    /**
     * Quarantines the port of a lease given back: it is not leased again while its block is held.
     *
     * @return whether every port of the block is now quarantined
     */
    boolean quarantine(PortLease lease) {
        Block b = lease.block();
        b.bound.compareAndSet(lease.index(), lease, null);
        b.quarantinedPorts[lease.index()] = true;
        b.quarantined++;
        quarantined++;
        return b.quarantined == b.count;
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
     * Adds a new block whose ports are all free.
     *
     * @return a lease of its first port, taken before any other request can see the block, when {@code forCaller}
     */
    PortLease add(Block b, boolean forCaller) {
        PortLease first = null;
        if (forCaller) {
            first = new PortLease(returns, b, b.queue.poll(0, 0, b.returnedAt));
            counters.leaseGranted();
        }
        for (int p = b.range.start(); p <= b.range.end(); p++) {
            blockByPort[p] = b;
        }
        blockCount++;
        heldPorts += b.count;
        blocks.set(b.slot, b);
        withFreePorts.mark(b.slot);
        return first;
    }

    /**
     * Drops {@code b} when no lease of it is live or under way (its frozen queue holds every port not quarantined).
     *
     * @return whether it was dropped
     */
    boolean retireIfWithoutLease(Block b) {
        b.queue.freeze();
        if (b.queue.sizeFrozen() < b.count - b.quarantined) {
            b.queue.unfreeze();
            return false;
        }
        drop(b);
        return true;
    }

    /**
     * Drops {@code b} when no lease of it is live or under way and none was taken since its lease mark was
     * {@code leaseMark} (the idle reaper's note).
     *
     * @return whether it was dropped
     */
    boolean retireIfIdleSince(Block b, long leaseMark) {
        b.queue.freeze();
        if (b.queue.sizeFrozen() < b.count - b.quarantined || b.leaseMark() != leaseMark) {
            b.queue.unfreeze();
            return false;
        }
        drop(b);
        return true;
    }

    /** Drops a block at once; its leases, if any, become inactive (a forced close). */
    void remove(Block b) {
        b.queue.freeze();
        drop(b);
    }

    private void drop(Block b) {
        b.removed = true; // the queue stays frozen: polls and offers that still find the block go to the lock
        blocks.set(b.slot, null);
        withFreePorts.unmark(b.slot, () -> false);
        for (int p = b.range.start(); p <= b.range.end(); p++) {
            blockByPort[p] = null;
        }
        blockCount--;
        heldPorts -= b.count;
        quarantined -= b.quarantined;
    }

    /** The blocks, lowest slot first. */
    List<Block> blocks() {
        List<Block> list = new ArrayList<>(blockCount);
        for (int slot = 0; slot < blocks.length(); slot++) {
            Block b = blocks.get(slot);
            if (b != null) {
                list.add(b);
            }
        }
        return list;
    }

    /** The ranges of the blocks, lowest slot first. */
    List<PortRange> ranges() {
        List<PortRange> list = new ArrayList<>(blockCount);
        for (Block b : blocks()) {
            list.add(b.range);
        }
        return list;
    }

    /** When the first port in cooldown becomes ready (a hint), or {@link PoolSettings#NEVER} when none is free. */
    long earliestReady(long cooldownNanos) {
        long earliest = PoolSettings.NEVER;
        for (Block b : blocks()) {
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
        for (Block b : blocks()) {
            for (int i = 0; i < b.count; i++) {
                PortLease lease = b.bound.get(i);
                if (lease != null && lease.abandonedFor(now, graceNanos)) {
                    out = out != null ? out : new ArrayList<>();
                    out.add(lease);
                }
            }
        }
        return out;
    }

    @Override
    public String toString() {
        StringBuilder sb = new StringBuilder();
        for (Block b : blocks()) {
            sb.append(sb.length() == 0 ? "" : ", ").append(b.range);
        }
        return sb.length() == 0 ? "none" : sb.toString();
    }

    /**
     * One block of the table: its runtime reservation, the queue of its free ports, when each port was returned (for
     * the cooldown), the bound lease of each port, its quarantined ports, and what the idle reaper noted. Only
     * {@link PortTable} and the {@link IdleReaper} change it; the reservation, range and slot never change.
     */
    static final class Block {
        private final int slot;
        private final RuntimeReservation reservation;
        private final PortRange range;
        private final int count;
        private final PortQueue queue;
        /** Written by the returning thread before its offer, read after the poll that takes the port. */
        private final long[] returnedAt;
        private final AtomicReferenceArray<PortLease> bound;
        /** Guarded by the pool's lock; {@link #quarantined} is read without it. */
        private final boolean[] quarantinedPorts;
        private volatile int quarantined;
        private volatile boolean removed;
        /** Leases taken out of the middle of the queue; with the head's position, the block's lease mark. */
        private volatile long explicitLeases;
        private volatile IdleMark idleMark;
        private final AtomicBoolean idleCheckPending = new AtomicBoolean();

        /** A block for {@code slot} whose ports are all free and past their cooldown at {@code readySince}. */
        Block(int slot, RuntimeReservation reservation, long readySince) {
            this.slot = slot;
            this.reservation = reservation;
            this.range = reservation.range();
            this.count = range.count();
            this.queue = new PortQueue(count);
            this.returnedAt = new long[count];
            this.bound = new AtomicReferenceArray<>(count);
            this.quarantinedPorts = new boolean[count];
            java.util.Arrays.fill(returnedAt, readySince);
        }

        int slot() {
            return slot;
        }

        RuntimeReservation reservation() {
            return reservation;
        }

        PortRange range() {
            return range;
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

        /** Closes the block's reservation (call without the pool's lock); a failure is logged, never thrown. */
        void releaseReservation() {
            release(reservation);
        }

        /** Closes {@code reservation} (call without the pool's lock); a failure is logged, never thrown. */
        static void release(RuntimeReservation reservation) {
            try {
                reservation.close();
            } catch (RuntimeException e) {
                LOG.log(Level.WARNING, () -> "Releasing " + reservation + " failed", e);
            }
        }

        @Override
        public String toString() {
            return range.format();
        }
    }

    /** The block had no lease from {@code since} on, and its lease mark was {@code leaseMark} then. */
    record IdleMark(long leaseMark, long since) {
    }
}
