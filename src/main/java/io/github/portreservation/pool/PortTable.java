package io.github.portreservation.pool;

import io.github.portreservation.PortRange;
import io.github.portreservation.RuntimeReservation;
import io.github.portreservation.internal.PortFifo;

import java.lang.System.Logger.Level;
import java.util.ArrayList;
import java.util.List;

/**
 * The ports of a pool and the only class that changes block state: the blocks by slot (a lower slot is preferred),
 * each block's FIFO of free ports, one bit per slot whose block has a free port, the block of each port number, the
 * lease holding each port, and the gauges. Taking and giving back a port is O(1) in the occupancy (a scan of one bit
 * per slot) and allocates only the lease.
 *
 * <p>Not thread-safe: the pool's lock guards it, and nothing else in it may be called without that lock, except the
 * immutable parts of a {@link Block} and {@link Block#isRemoved()}.
 */
final class PortTable {
    private static final System.Logger LOG = System.getLogger(ReservationPool.class.getName());

    private final PortReturns returns;
    private final PoolCounters counters;
    private final Block[] blocks;
    private final long[] slotsWithFreePorts;
    private final Block[] blockByPort = new Block[PortRange.MAX_PORT + 1];
    private int blockCount;
    private int heldPorts;
    private int leased;
    private int free;
    private int quarantined;
    private boolean closed;

    PortTable(int slots, PortReturns returns, PoolCounters counters) {
        this.returns = returns;
        this.counters = counters;
        this.blocks = new Block[slots];
        this.slotsWithFreePorts = new long[(slots + 63) >>> 6];
    }

    int slots() {
        return blocks.length;
    }

    /** The block in {@code slot}, or null. */
    Block block(int slot) {
        return blocks[slot];
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

    int leased() {
        return leased;
    }

    int free() {
        return free;
    }

    int quarantined() {
        return quarantined;
    }

    /** Whether the pool is closed: the table grants no port any more. */
    boolean isClosed() {
        return closed;
    }

    /** Grants no port from now on. */
    void close() {
        closed = true;
    }

    /**
     * Leases the oldest returned port of the oldest block whose oldest port is past {@code cooldownNanos} at
     * {@code now}; null when there is none or the table is closed. Each block's queue is in return order, so only its
     * head needs checking.
     */
    PortLease takeReady(long now, long cooldownNanos) {
        if (closed) {
            return null;
        }
        long[] mask = slotsWithFreePorts;
        for (int w = 0; w < mask.length; w++) {
            for (long bits = mask[w]; bits != 0; bits &= bits - 1) {
                Block b = blocks[(w << 6) + Long.numberOfTrailingZeros(bits)];
                int index = b.free.peekFirst();
                if (cooldownNanos == 0 || now - b.returnedAt[index] >= cooldownNanos) {
                    return take(b, index);
                }
            }
        }
        return null;
    }

    /** Leases the first free port of a block just added (all its ports are free). */
    PortLease takeFirst(Block b) {
        return take(b, b.free.peekFirst());
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
        if (b.owners[index] != null) {
            throw errors.leasedBy(port, b.owners[index]);
        }
        if (!b.free.contains(index)) {
            throw errors.quarantined(port);
        }
        long coolFor = cooldownNanos - (now - b.returnedAt[index]);
        if (cooldownNanos > 0 && coolFor > 0) {
            throw errors.coolingDown(port, cooldownNanos, coolFor);
        }
        return take(b, index);
    }

    private PortLease take(Block b, int index) {
        b.free.remove(index);
        if (b.free.isEmpty()) {
            slotsWithFreePorts[b.slot >>> 6] &= ~(1L << b.slot);
        }
        PortLease lease = new PortLease(returns, b, index);
        b.owners[index] = lease;
        b.leased++;
        leased++;
        free--;
        counters.leaseGranted();
        return lease;
    }

    /** Whether {@code lease} still holds its port (false once returned, or when its block was dropped). */
    boolean holds(PortLease lease) {
        Block b = lease.block();
        return !b.removed && b.owners[lease.index()] == lease;
    }

    /**
     * Gives a held port back: to the back of its block's queue, returned at {@code returnedAt}, or into quarantine.
     *
     * @return whether its block has no lease left
     */
    boolean giveBack(PortLease lease, boolean quarantine, long returnedAt) {
        Block b = lease.block();
        int index = lease.index();
        b.owners[index] = null;
        b.leased--;
        leased--;
        if (quarantine) {
            b.quarantined++;
            quarantined++;
        } else {
            b.returnedAt[index] = returnedAt;
            if (b.free.isEmpty()) {
                slotsWithFreePorts[b.slot >>> 6] |= 1L << b.slot;
            }
            b.free.addLast(index);
            free++;
        }
        return b.leased == 0;
    }

    /** Whether {@code b} has leased ports. */
    boolean hasLeases(Block b) {
        return b.leased > 0;
    }

    /** Whether every port of {@code b} that is not leased is quarantined. */
    boolean hasNoFreePort(Block b) {
        return b.free.isEmpty();
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

    /** Adds a new block whose ports are all free, without lease since {@code now}. */
    void add(Block b, long now) {
        blocks[b.slot] = b;
        for (int p = b.range.start(); p <= b.range.end(); p++) {
            blockByPort[p] = b;
        }
        slotsWithFreePorts[b.slot >>> 6] |= 1L << b.slot;
        b.idleSince = now;
        blockCount++;
        heldPorts += b.range.count();
        free += b.range.count();
    }

    /** Drops a block; its leases, if any, no longer count (a forced close). */
    void remove(Block b) {
        b.removed = true;
        blocks[b.slot] = null;
        slotsWithFreePorts[b.slot >>> 6] &= ~(1L << b.slot);
        for (int p = b.range.start(); p <= b.range.end(); p++) {
            blockByPort[p] = null;
        }
        blockCount--;
        heldPorts -= b.range.count();
        free -= b.free.size();
        quarantined -= b.quarantined;
        leased -= b.leased;
    }

    /** The blocks, lowest slot first. */
    List<Block> blocks() {
        List<Block> list = new ArrayList<>(blockCount);
        for (Block b : blocks) {
            if (b != null) {
                list.add(b);
            }
        }
        return list;
    }

    /** The ranges of the blocks, lowest slot first. */
    List<PortRange> ranges() {
        List<PortRange> list = new ArrayList<>(blockCount);
        for (Block b : blocks) {
            if (b != null) {
                list.add(b.range);
            }
        }
        return list;
    }

    /** Notes that {@code b} has had no lease since {@code now}. */
    void markIdle(Block b, long now) {
        b.idleSince = now;
    }

    /** Since when {@code b} has had no lease (meaningful while it has none). */
    long idleSince(Block b) {
        return b.idleSince;
    }

    /** Marks an idle check of {@code b} as scheduled; false when one already is. */
    boolean claimIdleCheck(Block b) {
        if (b.idleCheckPending) {
            return false;
        }
        b.idleCheckPending = true;
        return true;
    }

    /** The scheduled idle check of {@code b} ran, or could not be scheduled. */
    void endIdleCheck(Block b) {
        b.idleCheckPending = false;
    }

    /** When the first port in cooldown becomes ready, or {@link PoolSettings#NEVER} when no port is free. */
    long earliestReady(long cooldownNanos) {
        long earliest = PoolSettings.NEVER;
        for (Block b : blocks) {
            if (b != null && !b.free.isEmpty()) {
                earliest = Math.min(earliest, b.returnedAt[b.free.peekFirst()] + cooldownNanos);
            }
        }
        return earliest;
    }

    /**
     * Leases whose socket was closed but not the lease, seen so for at least {@code graceNanos} (a first sighting is
     * noted at {@code now}); null when none. O(capacity).
     */
    List<PortLease> abandoned(long now, long graceNanos) {
        List<PortLease> out = null;
        for (Block b : blocks) {
            if (b == null || b.leased == 0) {
                continue;
            }
            for (PortLease lease : b.owners) {
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
        for (Block b : blocks) {
            if (b != null) {
                sb.append(sb.length() == 0 ? "" : ", ").append(b.range);
            }
        }
        return sb.length() == 0 ? "none" : sb.toString();
    }

    /**
     * One block of the table: its runtime reservation, the FIFO of its free ports (index = port - start, the oldest
     * returned first), when each port was returned (for the cooldown), and the lease holding each port. Only
     * {@link PortTable} changes it; the reservation, range and slot never change.
     */
    static final class Block {
        private final int slot;
        private final RuntimeReservation reservation;
        private final PortRange range;
        private final PortFifo free;
        private final long[] returnedAt;
        private final PortLease[] owners;
        private int leased;
        private int quarantined;
        private long idleSince;
        private boolean idleCheckPending;
        /** Set once, when the table drops the block; read without the lock by leases. */
        private volatile boolean removed;

        /** A block for {@code slot} whose ports are all free and past their cooldown at {@code readySince}. */
        Block(int slot, RuntimeReservation reservation, long readySince) {
            this.slot = slot;
            this.reservation = reservation;
            this.range = reservation.range();
            int count = range.count();
            this.free = new PortFifo(count);
            this.returnedAt = new long[count];
            this.owners = new PortLease[count];
            for (int i = 0; i < count; i++) {
                free.addLast(i);
                returnedAt[i] = readySince;
            }
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
}
