package io.github.portreservation.pool;

import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicLongArray;

/**
 * The free ports of one block in return order (index = port - start; the oldest returned comes out first): a bounded
 * multi-producer multi-consumer ring after Dmitry Vyukov's, polled and offered without a lock, which the pool's lock
 * can also freeze to look inside and take one port out of the middle.
 *
 * <h2>Concurrency argument</h2>
 * <ul>
 *   <li>Each cell has a sequence number. A cell holds the entry of position {@code p} when its sequence is
 *       {@code p + 1}; it is free for the entry of position {@code p} when its sequence is {@code p}. A poller claims
 *       position {@code p} by moving {@code head} from {@code p} to {@code p + 1} with a CAS, so exactly one poller
 *       gets each entry; an offerer claims position {@code p} by moving {@code tail} the same way, so no two entries
 *       share a cell. The value is written before the sequence (a volatile store) and read after it.</li>
 *   <li>A port is offered only by the lease that held it, once, and polled once: so each index is at most once in the
 *       ring, the ring never holds more than {@code ports} entries, and it is never full. An offer that finds its cell
 *       not yet released waits for the poll of the cell's previous entry to end (a few instructions, unless that
 *       thread was descheduled); a poll that finds the head claimed but not yet written waits for that offer.</li>
 *   <li>{@link #poll} checks the head's cooldown before it claims it, and claims it only if the head did not move:
 *       the port it returns is the oldest in the ring at the instant of its CAS.</li>
 *   <li>{@link #freeze} (called only under the pool's lock) sets a flag in {@code head} and in {@code tail}, which
 *       makes every later poll and offer fail ({@link #FROZEN}, false: the caller goes to the pool's lock), then waits
 *       until every poll and offer that claimed a position before finished with its cell. The ring is then the
 *       freezer's alone until {@link #unfreeze}; a retired block stays frozen.</li>
 * </ul>
 */
final class PortQueue {
    /** {@link #poll}: the ring is empty. */
    static final int EMPTY = -1;
    /** {@link #poll}: the oldest port is still in its cooldown. */
    static final int NOT_READY = -2;
    /** {@link #poll}: the ring is frozen by the pool's lock. */
    static final int FROZEN = -3;
    private static final long FROZEN_BIT = 1L << 62;

    private final int capacity;
    private final int mask;
    private final AtomicLongArray sequence;
    private final int[] ports;
    private final AtomicLong head = new AtomicLong();
    private final AtomicLong tail = new AtomicLong();
    /** Positions while frozen; read and written by the freezer only. */
    private long frozenHead;
    private long frozenTail;

    /** A ring holding ports {@code 0..ports-1} in order. */
    PortQueue(int ports) {
        int c = 1;
        while (c < ports) {
            c <<= 1;
        }
        this.capacity = c;
        this.mask = c - 1;
        this.sequence = new AtomicLongArray(c);
        this.ports = new int[c];
        for (int i = 0; i < c; i++) {
            sequence.set(i, i < ports ? i + 1 : i);
            this.ports[i] = i;
        }
        tail.set(ports);
    }

    /**
     * Takes the oldest port, if it is past {@code cooldownNanos} at {@code now} ({@code returnedAt} by port index).
     *
     * @return the port index, {@link #EMPTY}, {@link #NOT_READY} or {@link #FROZEN}
     */
    int poll(long now, long cooldownNanos, long[] returnedAt) {
        for (int spins = 0;; spins++) {
            long h = head.get();
            if ((h & FROZEN_BIT) != 0) {
                return FROZEN;
            }
            int cell = (int) (h & mask);
            long s = sequence.get(cell);
            if (s == h + 1) {
                int port = ports[cell];
                if (cooldownNanos > 0 && now - returnedAt[port] < cooldownNanos) {
                    return NOT_READY;
                }
                if (head.compareAndSet(h, h + 1)) {
                    sequence.lazySet(cell, h + capacity);
                    return port;
                }
            } else if (s <= h) {
                if ((tail.get() & ~FROZEN_BIT) == h) {
                    return EMPTY;
                }
                backOff(spins); // an offer claimed position h and is writing it
            }
        }
    }

    /** Appends {@code port}, which must not be in the ring; false when the ring is frozen. */
    boolean offer(int port) {
        for (int spins = 0;; spins++) {
            long t = tail.get();
            if ((t & FROZEN_BIT) != 0) {
                return false;
            }
            int cell = (int) (t & mask);
            long s = sequence.get(cell);
            if (s == t) {
                if (tail.compareAndSet(t, t + 1)) {
                    ports[cell] = port;
                    sequence.set(cell, t + 1);
                    return true;
                }
            } else if (s < t) {
                if (t - (head.get() & ~FROZEN_BIT) >= capacity) {
                    throw new IllegalStateException("port " + port + " offered to a full ring: it is there twice");
                }
                backOff(spins); // the poll of this cell's previous entry is finishing
            }
        }
    }

    /** Ports in the ring; exact only while frozen or quiescent. */
    int size() {
        long h = head.get() & ~FROZEN_BIT;
        long t = tail.get() & ~FROZEN_BIT;
        return (int) Math.max(0, Math.min(capacity, t - h));
    }

    /** The oldest port, or -1; a hint (it may be taken at once). */
    int peek() {
        long h = head.get() & ~FROZEN_BIT;
        int cell = (int) (h & mask);
        return sequence.get(cell) == h + 1 ? ports[cell] : -1;
    }

    /** Position of the head: it moves with every poll. */
    long headPosition() {
        return head.get() & ~FROZEN_BIT;
    }

    /** Stops every poll and offer from now on and waits for those under way. Only under the pool's lock. */
    void freeze() {
        long h = setFrozen(head);
        long t = setFrozen(tail);
        for (long p = h; p < t; p++) {
            await((int) (p & mask), p + 1); // an offer of position p is writing it
        }
        for (long q = t; q < h + capacity; q++) {
            await((int) (q & mask), q); // the poll of position q - capacity is releasing it
        }
        frozenHead = h;
        frozenTail = t;
    }

    /** Lets polls and offers run again. Only by the freezer. */
    void unfreeze() {
        tail.set(frozenTail);
        head.set(frozenHead);
    }

    /** Whether the frozen ring holds {@code port}. */
    boolean containsFrozen(int port) {
        return indexFrozen(port) >= 0;
    }

    /** Ports in the frozen ring. */
    int sizeFrozen() {
        return (int) (frozenTail - frozenHead);
    }

    /** Takes {@code port} out of the frozen ring, keeping the others in order; false when it is not there. */
    boolean removeFrozen(int port) {
        long p = indexFrozen(port);
        if (p < 0) {
            return false;
        }
        for (long q = p; q < frozenTail - 1; q++) {
            ports[(int) (q & mask)] = ports[(int) ((q + 1) & mask)];
        }
        frozenTail--;
        sequence.set((int) (frozenTail & mask), frozenTail); // free again for the next offer
        return true;
    }

    private long indexFrozen(int port) {
        for (long p = frozenHead; p < frozenTail; p++) {
            if (ports[(int) (p & mask)] == port) {
                return p;
            }
        }
        return -1;
    }

    private static long setFrozen(AtomicLong position) {
        long v = position.get();
        while (!position.compareAndSet(v, v | FROZEN_BIT)) {
            v = position.get();
        }
        return v & ~FROZEN_BIT;
    }

    private void await(int cell, long expected) {
        for (int spins = 0; sequence.get(cell) != expected; spins++) {
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
