package io.github.portreservation.pool;

import io.github.portreservation.PortRange;

import java.util.ArrayList;
import java.util.List;

/**
 * The ports of a {@link ReservationPool}: its blocks by slot (a lower slot is preferred), one bit per slot whose block
 * has a free port, the block of each port number, and the gauges. Taking and giving back a port is O(1) in the
 * occupancy (a scan of one bit per slot) and allocates only the lease. Not thread-safe: the pool's lock guards it.
 */
final class PortTable {
    private final ReservationPool owner;
    private final PoolBlock[] blocks;
    private final long[] slotsWithFreePorts;
    private final PoolBlock[] blockByPort = new PoolBlock[PortRange.MAX_PORT + 1];
    private int blockCount;
    private int heldPorts;
    private int leased;
    private int free;
    private int quarantined;
    private long granted;

    PortTable(ReservationPool owner, int slots) {
        this.owner = owner;
        this.blocks = new PoolBlock[slots];
        this.slotsWithFreePorts = new long[(slots + 63) >>> 6];
    }

    int slots() {
        return blocks.length;
    }

    /** The block in {@code slot}, or null. */
    PoolBlock block(int slot) {
        return blocks[slot];
    }

    /** The block holding {@code port}, or null. */
    PoolBlock blockOf(int port) {
        return blockByPort[port];
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

    long granted() {
        return granted;
    }

    /**
     * Leases the oldest returned port of the oldest block whose oldest port is past {@code cooldownNanos}; null when
     * there is none. Each block's queue is in return order, so only its head needs checking.
     */
    PortLease takeReady(long now, long cooldownNanos) {
        long[] mask = slotsWithFreePorts;
        for (int w = 0; w < mask.length; w++) {
            long bits = mask[w];
            while (bits != 0) {
                PoolBlock b = blocks[(w << 6) + Long.numberOfTrailingZeros(bits)];
                int index = b.free.peekFirst();
                if (cooldownNanos == 0 || now - b.returnedAt[index] >= cooldownNanos) {
                    return take(b, index);
                }
                bits &= bits - 1;
            }
        }
        return null;
    }

    /** Leases port {@code index} of {@code b}, which must be free. */
    PortLease take(PoolBlock b, int index) {
        b.free.remove(index);
        if (b.free.isEmpty()) {
            clearSlotBit(b.slot);
        }
        PortLease lease = new PortLease(owner, b, index);
        b.owners[index] = lease;
        b.leased++;
        leased++;
        free--;
        granted++;
        return lease;
    }

    /** Whether {@code lease} still holds its port (false once returned, or when its block was dropped). */
    boolean holds(PortLease lease) {
        return !lease.block.removed && lease.block.owners[lease.index] == lease;
    }

    /** Gives a held port back: to the back of its block's queue, returned at {@code returnedAt}, or into quarantine. */
    void giveBack(PortLease lease, boolean quarantine, long returnedAt) {
        PoolBlock b = lease.block;
        int index = lease.index;
        b.owners[index] = null;
        b.leased--;
        leased--;
        if (quarantine) {
            b.quarantined++;
            quarantined++;
        } else {
            b.returnedAt[index] = returnedAt;
            if (b.free.isEmpty()) {
                setSlotBit(b.slot);
            }
            b.free.addLast(index);
            free++;
        }
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

    /** Adds a new block whose ports are all free. */
    void add(PoolBlock b) {
        blocks[b.slot] = b;
        for (int p = b.range.start(); p <= b.range.end(); p++) {
            blockByPort[p] = b;
        }
        setSlotBit(b.slot);
        blockCount++;
        heldPorts += b.range.count();
        free += b.range.count();
    }

    /** Drops a block; its leases, if any, no longer count (a forced close). */
    void remove(PoolBlock b) {
        b.removed = true;
        blocks[b.slot] = null;
        clearSlotBit(b.slot);
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
    List<PoolBlock> blocks() {
        List<PoolBlock> list = new ArrayList<>(blockCount);
        for (PoolBlock b : blocks) {
            if (b != null) {
                list.add(b);
            }
        }
        return list;
    }

    /** When the first port in cooldown becomes ready, or {@link ReservationPool#NEVER} when no port is free. */
    long earliestReady(long cooldownNanos) {
        long earliest = ReservationPool.NEVER;
        for (PoolBlock b : blocks) {
            if (b != null && !b.free.isEmpty()) {
                earliest = Math.min(earliest, b.returnedAt[b.free.peekFirst()] + cooldownNanos);
            }
        }
        return earliest;
    }

    /**
     * Leases whose socket was closed but not the lease, seen so for at least {@code graceNanos} (the first sighting is
     * noted now); null when none. O(capacity).
     */
    ArrayList<PortLease> abandoned(long now, long graceNanos) {
        ArrayList<PortLease> out = null;
        for (PoolBlock b : blocks) {
            if (b == null || b.leased == 0) {
                continue;
            }
            for (PortLease lease : b.owners) {
                if (lease == null || !lease.isAbandoned()) {
                    continue;
                }
                if (lease.abandonedSeenAt == 0) {
                    lease.abandonedSeenAt = now | 1;
                } else if (now - lease.abandonedSeenAt >= graceNanos) {
                    out = out != null ? out : new ArrayList<>();
                    out.add(lease);
                }
            }
        }
        return out;
    }

    private void setSlotBit(int slot) {
        slotsWithFreePorts[slot >>> 6] |= 1L << slot;
    }

    private void clearSlotBit(int slot) {
        slotsWithFreePorts[slot >>> 6] &= ~(1L << slot);
    }

    @Override
    public String toString() {
        StringBuilder sb = new StringBuilder();
        for (PoolBlock b : blocks) {
            if (b != null) {
                sb.append(sb.length() == 0 ? "" : ", ").append(b.range);
            }
        }
        return sb.length() == 0 ? "none" : sb.toString();
    }
}
