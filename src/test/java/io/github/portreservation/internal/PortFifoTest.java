package io.github.portreservation.internal;

import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** PortFifo: FIFO order, removal from the middle, membership, refused duplicates, and a seeded model check. */
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

    @Test
    void aSeededMixOfEveryOperationMatchesAnInsertionOrderedSet() {
        Random random = new Random(20_240_612L);
        PortFifo fifo = new PortFifo(32);
        LinkedHashSet<Integer> model = new LinkedHashSet<>();
        for (int step = 0; step < 50_000; step++) {
            int slot = random.nextInt(32);
            int op = random.nextInt(3);
            if (op == 0) {
                assertEquals(model.add(slot), fifo.addLast(slot), "addLast(" + slot + ") at step " + step);
            } else if (op == 1) {
                assertEquals(model.remove(slot), fifo.remove(slot), "remove(" + slot + ") at step " + step);
            } else {
                Integer first = model.isEmpty() ? -1 : model.iterator().next();
                model.remove(first);
                assertEquals(first, fifo.pollFirst(), "pollFirst() at step " + step);
            }
            assertEquals(model.size(), fifo.size(), "size at step " + step);
            assertEquals(model.isEmpty() ? -1 : model.iterator().next(), fifo.peekFirst(), "peekFirst at step " + step);
            assertEquals(model.contains(slot), fifo.contains(slot), "contains(" + slot + ") at step " + step);
        }
        assertEquals(new ArrayList<>(model), drain(fifo), "the order at the end");
    }

    @Test
    void aFullFifoDrainsInOrderAndRefillsInTheNewOrder() {
        PortFifo fifo = new PortFifo(3);
        for (int slot = 0; slot < 3; slot++) {
            assertTrue(fifo.addLast(slot));
        }
        assertEquals(List.of(0, 1, 2), drain(fifo));
        for (int slot : new int[] {2, 0, 1}) {
            assertTrue(fifo.addLast(slot));
        }
        assertEquals(3, fifo.size());
        assertEquals(List.of(2, 0, 1), drain(fifo));
        assertTrue(fifo.isEmpty());
        assertEquals(-1, fifo.peekFirst());
    }
}
