package io.github.portreservation.pool;

/**
 * Cuts a block that has no lease into units of another shape, over the same reservations (no system call): for a
 * request that finds no free unit of its shape, before the pool grows, and for an explicit lease of a port in a block
 * of another shape. A block qualifies when none of its units is leased, quarantined or in its cooldown, and it holds a
 * unit of the new shape. When no block qualifies, a shape is carved out of the free ports of a block of single ports
 * instead. The highest slot is tried first: leases prefer the lowest slots, so the highest go idle first. Every
 * method needs the pool's lock.
 */
final class BlockReshaper {
    private final PortTable table;
    private final PoolSettings settings;

    BlockReshaper(PortTable table, PoolSettings settings) {
        this.table = table;
        this.settings = settings;
    }

    /**
     * A unit of the table's shape {@code shape} that no block of that shape has free: a qualifying block cut into the
     * shape (its first unit), else a run of the shape carved out of the free ports of a block of single ports (which
     * stays cut into single ports: the run comes back to it as single ports); null when neither exists.
     */
    PortLease leaseFromRecutLocked(int shape, long now) {
        if (table.shapeCount() == 1) {
            return null; // every block is cut into single ports
        }
        PortShape target = table.shape(shape);
        for (int slot = table.slots() - 1; slot >= 0; slot--) {
            PoolBlock b = table.block(slot);
            if (b != null && b.shapeIndex() != shape && qualifies(b, target, now)) {
                return table.add(recut(b, target, now), true);
            }
        }
        for (int slot = table.slots() - 1; slot >= 0 && shape != 0; slot--) {
            PoolBlock b = table.block(slot);
            int first = b != null && b.shapeIndex() == 0 ? b.findFreeRun(target, now, settings.cooldownNanos()) : -1;
            PortLease run = first < 0 ? null
                    : table.takeRun(b, first, target.count(), now, settings.cooldownNanos());
            if (run != null) {
                return run;
            }
        }
        return null;
    }

    /** Cuts the block of {@code port} back into single ports when it is of another shape and qualifies. */
    void cutIntoSinglePortsLocked(int port, long now) {
        PoolBlock b = table.blockOf(port);
        if (b != null && b.shapeIndex() != 0 && qualifies(b, PortShape.single(), now)) {
            table.add(recut(b, PortShape.single(), now), false);
        }
    }

    /** Whether {@code b} holds a unit of {@code target} and was retired for it (no lease, quarantine, cooldown). */
    private boolean qualifies(PoolBlock b, PortShape target, long now) {
        return target.unitsIn(b.range()) > 0 && table.isWithoutLease(b)
                && table.retireIfReady(b, now, settings.cooldownNanos());
    }

    private PoolBlock recut(PoolBlock retired, PortShape target, long now) {
        return new PoolBlock(retired.slot(), retired.reservations(), target, now - settings.cooldownNanos());
    }
}
