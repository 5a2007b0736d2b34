package io.github.portreservation.internal;

import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** PortFifo: FIFO order, removal from the middle, membership, and refused duplicates. */
class PortFifoTest {
    private static List<Integer> drain(PortFifo fifo) {
        List<Integer> out = new ArrayList<>();
        for (int slot = fifo.pollFirst(); slot != -1; slot = fifo.pollFirst()) {
            out.add(slot);
        }
        return out;
    }

    @Test
    void slotsComeOutInTheOrderTheyWentIn() {
        PortFifo fifo = new PortFifo(5);
        assertEquals(5, fifo.capacity());
        assertTrue(fifo.isEmpty());
        assertEquals(-1, fifo.peekFirst());
        assertEquals(-1, fifo.pollFirst());
        for (int slot : new int[] {3, 0, 4, 1}) {
            assertTrue(fifo.addLast(slot));
        }
        assertEquals(4, fifo.size());
        assertEquals(3, fifo.peekFirst());
        assertEquals(List.of(3, 0, 4, 1), drain(fifo));
        assertTrue(fifo.isEmpty());
    }

    @Test
    void aSlotRemovedFromTheMiddleLeavesTheOthersInOrderAndGoesToTheBackWhenAddedAgain() {
        PortFifo fifo = new PortFifo(4);
        for (int slot = 0; slot < 4; slot++) {
            fifo.addLast(slot);
        }
        assertTrue(fifo.remove(2));
        assertFalse(fifo.contains(2));
        assertFalse(fifo.remove(2));
        assertTrue(fifo.remove(0)); // the head
        assertTrue(fifo.remove(3)); // the tail
        assertEquals(1, fifo.peekFirst());
        assertTrue(fifo.addLast(3));
        assertTrue(fifo.addLast(0));
        assertTrue(fifo.addLast(2));
        assertEquals(4, fifo.size());
        assertEquals(List.of(1, 3, 0, 2), drain(fifo));
    }

    @Test
    void aSlotIsInTheFifoAtMostOnce() {
        PortFifo fifo = new PortFifo(2);
        assertTrue(fifo.addLast(1));
        assertFalse(fifo.addLast(1));
        assertEquals(1, fifo.size());
        assertTrue(fifo.contains(1));
        assertFalse(fifo.contains(0));
        assertEquals(List.of(1), drain(fifo));
        assertFalse(fifo.contains(1));
    }

    @Test
    void aNegativeCapacityIsRefused() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> new PortFifo(-1));
        assertEquals("capacity -1 must be >= 0", e.getMessage());
        assertEquals(0, new PortFifo(0).capacity());
    }
}
