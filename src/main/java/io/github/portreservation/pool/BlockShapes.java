package io.github.portreservation.pool;

/**
 * The shapes a pool's blocks are cut into, by index (0: {@link PortShape#single()}), and for each the
 * {@link FreeSlots} whose block of that shape may have a free unit. Read without a lock (a copy-on-write array); a
 * shape is added under the pool's lock and never removed.
 */
final class BlockShapes {
    /** Shapes one pool serves at most. */
    static final int MAX = 16;

    private final int slots;
    private volatile Entry[] entries;

    BlockShapes(int slots) {
        this.slots = slots;
        this.entries = new Entry[] {new Entry(PortShape.single(), new FreeSlots(slots))};
    }

    /** The index of {@code shape}, or -1 when no block was cut into it yet. Lock-free. */
    int indexOf(PortShape shape) {
        Entry[] e = entries;
        for (int i = 0; i < e.length; i++) {
            if (e[i].shape == shape || e[i].shape.equals(shape)) {
                return i;
            }
        }
        return -1;
    }

    /** The index of {@code shape}, added if new; -1 when the pool serves {@link #MAX} shapes already. Under the lock. */
    int addLocked(PortShape shape) {
        int index = indexOf(shape);
        if (index >= 0) {
            return index;
        }
        Entry[] old = entries;
        if (old.length == MAX) {
            return -1;
        }
        Entry[] grown = java.util.Arrays.copyOf(old, old.length + 1);
        grown[old.length] = new Entry(shape, new FreeSlots(slots));
        entries = grown;
        return old.length;
    }

    /** How many shapes there are. */
    int count() {
        return entries.length;
    }

    PortShape shape(int index) {
        return entries[index].shape;
    }

    /** The slots whose block of shape {@code index} may have a free unit. */
    FreeSlots withFreeUnits(int index) {
        return entries[index].withFreeUnits;
    }

    private record Entry(PortShape shape, FreeSlots withFreeUnits) {
    }
}
