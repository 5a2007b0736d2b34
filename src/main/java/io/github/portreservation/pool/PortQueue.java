package io.github.portreservation.pool;

import java.util.concurrent.atomic.AtomicLongArray;

/**
 * The free ports of one block in return order (index = port - start; the oldest returned comes out first): a bounded
 * multi-producer multi-consumer ring after Dmitry Vyukov's, polled and offered without a lock, which the pool's lock
 * can also freeze to look inside and take one port out of the middle.
 *
 * <h2>Concurrency argument</h2>
 * <ul>
 *   <li>Each cell is one {@code long}: a sequence number (48 bits, compared modulo 2<sup>48</sup>) and a port index
 *       (16 bits), so that one volatile store publishes both. A cell holds the entry of position {@code p} when its
 *       sequence is {@code p + 1}; it is free for the entry of position {@code p} when its sequence is {@code p}. A
 *       poller claims position {@code p} by moving {@code head} from {@code p} to {@code p + 1} with a CAS, so exactly
 *       one poller gets each entry; an offerer claims position {@code p} by moving {@code tail} the same way, so no two
 *       entries share a cell.</li>
 *   <li>A port is offered only by the lease that held it, once, and polled once: so each index is at most once in the
 *       ring, the ring (twice as many cells as ports, so that the head and the tail are half a ring apart and rarely
 *       share a cache line) is never more than half full. An offer that finds its cell not yet released waits for the
 *       poll of the cell's previous entry to end (a few instructions, unless that thread was descheduled); a poll that
 *       finds the head claimed but not yet written waits for that offer.</li>
 *   <li>{@link #poll} checks the head's cooldown before it claims it, and claims it only if the head did not move:
 *       the port it returns is the oldest in the ring at the instant of its CAS.</li>
 *   <li>{@link #freeze} (called only under the pool's lock) sets a flag in {@code head} and in {@code tail}, which
 *       makes every later poll and offer fail ({@link #FROZEN}, false: the caller goes to the pool's lock), then waits
 *       until every poll and offer that claimed a position before finished with its cell. The ring is then the
 *       freezer's alone until {@link #unfreeze}; a retired block stays frozen.</li>
 *   <li>A poll reads the head's position and cell, then claims the position with a CAS. Had the freezer taken the
 *       head's port out and restored the same position, a poll that read them before the freeze would claim a port
 *       that is not there any more (held twice) and skip the one that is (lost). So {@link #removeFrozen} moves the
 *       head forward, never back: after an unfreeze the head's position is the one the freeze saw, with the same
 *       cells, or a later one.</li>
 * </ul>
 */
final class PortQueue {
    /** {@link #poll}: the ring is empty. */
    static final int EMPTY = -1;
    /** {@link #poll}: the oldest port is still in its cooldown. */
    static final int NOT_READY = -2;
    /** {@link #poll}: the ring is frozen by the pool's lock. */
    static final int FROZEN = -3;
    /** {@link #poll}: another poll claimed the head first; poll again (here, or in another block). */
    static final int COLLIDED = -4;
    private static final long FROZEN_BIT = 1L << 62;
    private static final int PORT_BITS = 16;
    private static final long PORT_MASK = (1L << PORT_BITS) - 1;
    /** Head at {@link #HEAD}, tail at {@link #TAIL}: cache lines apart, and apart from other objects. */
    private static final int HEAD = 8;
    private static final int TAIL = 16;

    private final int capacity;
    private final int mask;
    /** Per cell: sequence (48 bits) and port index (16 bits). */
    private final AtomicLongArray cells;
    private final AtomicLongArray positions = new AtomicLongArray(TAIL + 8);
    /** Positions while frozen; read and written by the freezer only. */
    private long frozenHead;
    private long frozenTail;

    /** A ring holding ports {@code 0..ports-1} (at most 65,536) in order. */
    PortQueue(int ports) {
        int c = 2;
        while (c < 2 * ports) {
            c <<= 1;
        }
        this.capacity = c;
        this.mask = c - 1;
        this.cells = new AtomicLongArray(c);
        for (int i = 0; i < c; i++) {
            cells.set(i, i < ports ? cell(i + 1, i) : cell(i, 0));
        }
        positions.set(TAIL, ports);
    }

    private static long cell(long sequence, int port) {
        return sequence << PORT_BITS | port;
    }

    /** The cell's sequence minus {@code position}, as a signed number (both taken modulo 2<sup>48</sup>). */
    private static long distance(long cell, long position) {
        return ((cell >>> PORT_BITS) - position) << PORT_BITS >> PORT_BITS;
    }

    /**
     * Takes the oldest port, if it is past {@code cooldownNanos} at {@code now} ({@code returnedAt} by port index).
     *
     * @return the port index, {@link #EMPTY}, {@link #NOT_READY}, {@link #FROZEN} or {@link #COLLIDED}
     */
    int poll(long now, long cooldownNanos, long[] returnedAt) {
        for (int spins = 0;; spins++) {
            long h = positions.get(HEAD);
            if ((h & FROZEN_BIT) != 0) {
                return FROZEN;
            }
            int index = (int) (h & mask);
            long c = cells.get(index);
            long d = distance(c, h + 1);
            if (d == 0) {
                int port = (int) (c & PORT_MASK);
                if (cooldownNanos > 0 && now - returnedAt[port] < cooldownNanos) {
                    return NOT_READY;
                }
                if (!positions.compareAndSet(HEAD, h, h + 1)) {
                    return COLLIDED;
                }
                cells.lazySet(index, cell(h + capacity, 0));
                return port;
            } else if (d < 0) {
                if ((positions.get(TAIL) & ~FROZEN_BIT) == h) {
                    return EMPTY;
                }
                backOff(spins); // an offer claimed position h and is writing it
            }
        }
    }

    /** Appends {@code port}, which must not be in the ring; false when the ring is frozen. */
    boolean offer(int port) {
        for (int spins = 0;; spins++) {
            long t = positions.get(TAIL);
            if ((t & FROZEN_BIT) != 0) {
                return false;
            }
            int index = (int) (t & mask);
            long d = distance(cells.get(index), t);
            if (d == 0) {
                if (positions.compareAndSet(TAIL, t, t + 1)) {
                    cells.set(index, cell(t + 1, port));
                    return true;
                }
            } else if (d < 0) {
                if (t - (positions.get(HEAD) & ~FROZEN_BIT) >= capacity / 2) {
                    throw new IllegalStateException("port " + port + " offered to a full ring: it is there twice");
                }
                backOff(spins); // the poll of this cell's previous entry is finishing
            }
        }
    }

    /** Ports in the ring; exact only while frozen or quiescent. */
    int size() {
        long h = positions.get(HEAD) & ~FROZEN_BIT;
        long t = positions.get(TAIL) & ~FROZEN_BIT;
        return (int) Math.max(0, Math.min(capacity, t - h));
    }

    /** The oldest port, or -1; a hint (it may be taken at once). */
    int peek() {
        long h = positions.get(HEAD) & ~FROZEN_BIT;
        long c = cells.get((int) (h & mask));
        return distance(c, h + 1) == 0 ? (int) (c & PORT_MASK) : -1;
    }

    /**
     * Sets in {@code bits} (bit {@code i} of word {@code i / 64}) the ports in the ring: a hint, read without freezing
     * (a port may be taken or returned meanwhile); exact while frozen.
     */
    void addPortsTo(long[] bits) {
        long h = positions.get(HEAD) & ~FROZEN_BIT;
        long t = positions.get(TAIL) & ~FROZEN_BIT;
        for (long p = h; p < t && p - h < capacity; p++) {
            long c = cells.get((int) (p & mask));
            if (distance(c, p + 1) == 0) {
                int port = (int) (c & PORT_MASK);
                bits[port >>> 6] |= 1L << port;
            }
        }
    }

    /** Position of the head: it moves with every poll. */
    long headPosition() {
        return positions.get(HEAD) & ~FROZEN_BIT;
    }

    /** Stops every poll and offer from now on and waits for those under way. Only under the pool's lock. */
    void freeze() {
        long h = setFrozen(HEAD);
        long t = setFrozen(TAIL);
        for (long p = h; p < t; p++) {
            await(p, p + 1); // an offer of position p is writing it
        }
        for (long q = t; q < h + capacity; q++) {
            await(q, q); // the poll of position q - capacity is releasing it
        }
        frozenHead = h;
        frozenTail = t;
    }

    /** Lets polls and offers run again. Only by the freezer. */
    void unfreeze() {
        positions.set(TAIL, frozenTail);
        positions.set(HEAD, frozenHead);
    }

    /** Whether the frozen ring holds {@code port}. */
    boolean containsFrozen(int port) {
        return indexFrozen(port) >= 0;
    }

    /** Ports in the frozen ring. */
    int sizeFrozen() {
        return (int) (frozenTail - frozenHead);
    }

    /**
     * Takes {@code port} out of the frozen ring, keeping the others in order; false when it is not there. The entries
     * before it move one position towards the tail and the head moves past the first cell, which is left free as a
     * poll leaves it: the head's position changes, so a poll that read the head before the freeze fails its claim.
     */
    boolean removeFrozen(int port) {
        long p = indexFrozen(port);
        if (p < 0) {
            return false;
        }
        for (long q = p; q > frozenHead; q--) {
            cells.set((int) (q & mask), cell(q + 1, portAt(q - 1)));
        }
        cells.set((int) (frozenHead & mask), cell(frozenHead + capacity, 0));
        frozenHead++;
        return true;
    }

    private int portAt(long position) {
        return (int) (cells.get((int) (position & mask)) & PORT_MASK);
    }

    private long indexFrozen(int port) {
        for (long p = frozenHead; p < frozenTail; p++) {
            if (portAt(p) == port) {
                return p;
            }
        }
        return -1;
    }

    private long setFrozen(int position) {
        long v = positions.get(position);
        while (!positions.compareAndSet(position, v, v | FROZEN_BIT)) {
            v = positions.get(position);
        }
        return v & ~FROZEN_BIT;
    }

    private void await(long position, long sequence) {
        int index = (int) (position & mask);
        for (int spins = 0; distance(cells.get(index), sequence) != 0; spins++) {
            backOff(spins);
        }
    }

    private static void backOff(int spins) {
        if (spins < 64) {
            Thread.onSpinWait();
        } else {
            Thread.yield(); // the other thread may have been descheduled in the middle of its step
        }
    }
}
