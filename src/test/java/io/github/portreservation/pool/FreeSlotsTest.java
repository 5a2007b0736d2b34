package io.github.portreservation.pool;

import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicIntegerArray;
import java.util.concurrent.atomic.AtomicReference;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The marks of the slots with a free port: lowest first across words, and never lost to a concurrent unmark. */
class FreeSlotsTest {
    private static List<Integer> marked(FreeSlots slots) {
        List<Integer> out = new ArrayList<>();
        for (int s = slots.next(0); s >= 0; s = slots.next(s + 1)) {
            out.add(s);
        }
        return out;
    }

    @Test
    void theLowestMarkedSlotIsFoundAcrossWordsAndSummaryWords() {
        FreeSlots slots = new FreeSlots(5000); // 79 words, 2 summary words
        assertEquals(-1, slots.next(0));
        for (int s : new int[] {4999, 63, 64, 4096, 0}) {
            slots.mark(s);
        }
        slots.mark(64); // again: no change
        assertEquals(List.of(0, 63, 64, 4096, 4999), marked(slots));
        assertEquals(4096, slots.next(65));
        assertFalse(slots.unmark(64, () -> false));
        assertFalse(slots.unmark(63, () -> false));
        assertFalse(slots.unmark(0, () -> false));
        assertEquals(List.of(4096, 4999), marked(slots));
        assertTrue(slots.unmark(4096, () -> true)); // a port came meanwhile: marked back
        assertEquals(List.of(4096, 4999), marked(slots));
        assertEquals(-1, slots.next(5000));
    }

    /**
     * Two threads mark and unmark slots of one word while a third reads: a slot whose flag is set when both have
     * finished is marked, whatever the interleaving (the flag stands for "the block has a free port").
     */
    @Test
    void aConcurrentUnmarkNeverLosesAMark() throws Exception {
        int slotCount = 128;
        FreeSlots slots = new FreeSlots(slotCount);
        AtomicIntegerArray hasPort = new AtomicIntegerArray(slotCount);
        AtomicReference<Throwable> failure = new AtomicReference<>();
        AtomicBoolean stop = new AtomicBoolean();
        List<Thread> threads = new ArrayList<>();
        for (int t = 0; t < 2; t++) {
            int offset = t;
            threads.add(new Thread(() -> {
                try {
                    for (int i = 0; i < 500_000; i++) {
                        int slot = (i * 7 + offset * 64) % slotCount;
                        if ((i & 1) == 0) {
                            hasPort.set(slot, 1); // an offer, then its mark
                            slots.mark(slot);
                        } else if (hasPort.compareAndSet(slot, 1, 0)) { // a poll that emptied the block
                            slots.unmark(slot, () -> hasPort.get(slot) == 1);
                        }
                    }
                } catch (Throwable e) {
                    failure.compareAndSet(null, e);
                }
            }));
        }
        threads.add(new Thread(() -> {
            while (!stop.get()) {
                slots.next(0);
            }
        }));
        threads.forEach(Thread::start);
        threads.get(0).join(TimeUnit.SECONDS.toMillis(60));
        threads.get(1).join(TimeUnit.SECONDS.toMillis(60));
        stop.set(true);
        threads.get(2).join();
        if (failure.get() != null) {
            throw new AssertionError(failure.get());
        }
        List<Integer> marked = marked(slots);
        for (int s = 0; s < slotCount; s++) {
            if (hasPort.get(s) == 1) {
                assertTrue(marked.contains(s), "slot " + s + " has a port but no mark: " + marked);
            }
        }
    }
}
