package io.github.portreservation.internal;

import java.util.Arrays;

/**
 * A FIFO of distinct slots {@code 0..capacity-1} as an intrusive doubly linked list over two int arrays: add to the
 * tail, take the head, remove any slot, and test membership, all O(1) and allocation-free. Not thread-safe: guard it
 * with the owner's lock.
 *
 * <p>Used to hand out ports oldest-returned-first (the longest time before reuse, as coturn does) while still
 * allowing a specific port to be taken out of the middle.
 */
public final class PortFifo {
    private static final int NONE = -1;
    private static final int ABSENT = -2;

    private final int[] next;
    private final int[] prev;
    private int head = NONE;
    private int tail = NONE;
    private int size;

    /** An empty FIFO for slots {@code 0..capacity-1}. */
    public PortFifo(int capacity) {
        if (capacity < 0) {
            throw new IllegalArgumentException("capacity " + capacity + " must be >= 0");
        }
        next = new int[capacity];
        prev = new int[capacity];
        Arrays.fill(prev, ABSENT);
    }

    /** Number of slots the FIFO can hold. */
    public int capacity() {
        return next.length;
    }

    /** Number of slots in the FIFO. */
    public int size() {
        return size;
    }

    /** Whether the FIFO is empty. */
    public boolean isEmpty() {
        return size == 0;
    }

    /** Whether {@code slot} is in the FIFO. */
    public boolean contains(int slot) {
        return prev[slot] != ABSENT;
    }

    /** The oldest slot, or -1 when empty; does not remove it. */
    public int peekFirst() {
        return head;
    }

    /** Appends {@code slot}; returns false (and changes nothing) when it is already in. */
    public boolean addLast(int slot) {
        if (prev[slot] != ABSENT) {
            return false;
        }
        prev[slot] = tail;
        next[slot] = NONE;
        if (tail == NONE) {
            head = slot;
        } else {
            next[tail] = slot;
        }
        tail = slot;
        size++;
        return true;
    }

    /** Removes and returns the oldest slot, or -1 when empty. */
    public int pollFirst() {
        int slot = head;
        if (slot != NONE) {
            remove(slot);
        }
        return slot;
    }

    /** Removes {@code slot}; returns false when it was not in. */
    public boolean remove(int slot) {
        int p = prev[slot];
        if (p == ABSENT) {
            return false;
        }
        int n = next[slot];
        if (p == NONE) {
            head = n;
        } else {
            next[p] = n;
        }
        if (n == NONE) {
            tail = p;
        } else {
            prev[n] = p;
        }
        prev[slot] = ABSENT;
        size--;
        return true;
    }
}
