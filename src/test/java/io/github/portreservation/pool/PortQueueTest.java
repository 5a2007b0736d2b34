package io.github.portreservation.pool;

import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicIntegerArray;
import java.util.concurrent.atomic.AtomicReference;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The lock-free queue of a block's free ports: FIFO order, cooldown at the head, freezing, and no port held twice. */
class PortQueueTest {
    private static final long[] NO_TIMES = new long[64];

    private static List<Integer> drain(PortQueue q) {
        List<Integer> out = new ArrayList<>();
        for (int p = q.poll(0, 0, NO_TIMES); p >= 0; p = q.poll(0, 0, NO_TIMES)) {
            out.add(p);
        }
        return out;
    }

    @Test
    void portsComeOutInReturnOrderAcrossManyLaps() {
        PortQueue q = new PortQueue(5); // a ring of 8 cells
        assertEquals(5, q.size());
        assertEquals(0, q.peek());
        List<Integer> expected = new ArrayList<>(List.of(0, 1, 2, 3, 4));
        for (int lap = 0; lap < 1_000; lap++) {
            int port = q.poll(0, 0, NO_TIMES);
            assertEquals(expected.remove(0), port);
            assertTrue(q.offer(port));
            expected.add(port);
            if (lap % 7 == 0) { // take two, give them back in the other order
                int a = q.poll(0, 0, NO_TIMES);
                int b = q.poll(0, 0, NO_TIMES);
                expected.remove(0);
                expected.remove(0);
                q.offer(b);
                q.offer(a);
                expected.add(b);
                expected.add(a);
            }
        }
        assertEquals(expected, drain(q));
        assertEquals(PortQueue.EMPTY, q.poll(0, 0, NO_TIMES));
        assertEquals(0, q.size());
        assertEquals(-1, q.peek());
    }

    @Test
    void theHeadIsTakenOnlyPastItsCooldown() {
        PortQueue q = new PortQueue(2);
        long[] returnedAt = {100, 50};
        assertEquals(PortQueue.NOT_READY, q.poll(109, 10, returnedAt)); // port 0, returned at 100, is the head
        assertEquals(2, q.size());
        assertEquals(0, q.poll(110, 10, returnedAt));
        assertEquals(1, q.poll(110, 10, returnedAt));
    }

    @Test
    void aFrozenQueueRefusesPollsAndOffersAndGivesUpAPortFromTheMiddle() {
        PortQueue q = new PortQueue(4);
        q.freeze();
        assertEquals(PortQueue.FROZEN, q.poll(0, 0, NO_TIMES));
        assertFalse(q.offer(3));
        assertEquals(4, q.sizeFrozen());
        assertTrue(q.containsFrozen(2));
        assertTrue(q.removeFrozen(2));
        assertFalse(q.containsFrozen(2));
        assertFalse(q.removeFrozen(2));
        assertEquals(3, q.sizeFrozen());
        q.unfreeze();
        assertTrue(q.offer(2)); // to the back
        assertEquals(List.of(0, 1, 3, 2), drain(q));
    }

    /** A bug that offers ports twice fills the ring (twice as many cells as ports): the next offer throws, not spins. */
    @Test
    void aRingOfferedMorePortsThanItHasCellsForThrows() {
        PortQueue q = new PortQueue(4); // 8 cells
        for (int port = 0; port < 4; port++) {
            assertTrue(q.offer(port)); // each a second time: not detected until the ring is full
        }
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> q.offer(0));
        assertEquals("port 0 offered to a full ring: it is there twice", e.getMessage());
    }

    /**
     * Four threads take and give back ports while a fifth freezes the queue, takes a port out of the middle and later
     * gives it back: no port is ever held by two threads, and every port is in the queue once at the end.
     */
    @Test
    void concurrentPollsOffersAndFreezesNeverHandAPortOutTwice() throws Exception {
        pollOfferAndTakeOutOfTheMiddle(64, 200_000);
    }

    /**
     * The same on a ring of two ports, where the port taken out of the frozen ring is often its head: a poll that
     * read the head before the freeze must not claim it after the unfreeze (the head's entry changed under it).
     */
    @Test
    void aPollThatReadTheHeadBeforeAFreezeNeverClaimsItAfterTheHeadWasTakenOut() throws Exception {
        pollOfferAndTakeOutOfTheMiddle(2, 300_000);
    }

    private static void pollOfferAndTakeOutOfTheMiddle(int ports, int cycles) throws Exception {
        PortQueue q = new PortQueue(ports);
        AtomicIntegerArray held = new AtomicIntegerArray(ports);
        AtomicReference<Throwable> failure = new AtomicReference<>();
        AtomicBoolean stop = new AtomicBoolean();
        List<Thread> threads = new ArrayList<>();
        for (int t = 0; t < 4; t++) {
            threads.add(new Thread(() -> run(failure, () -> {
                for (int i = 0; i < cycles; i++) {
                    int port = q.poll(0, 0, NO_TIMES);
                    if (port < 0) {
                        continue; // empty or frozen
                    }
                    assertTrue(held.compareAndSet(port, 0, 1), "port " + port + " handed out twice");
                    held.set(port, 0);
                    while (!q.offer(port)) {
                        Thread.onSpinWait(); // frozen: the freezer unfreezes soon
                    }
                }
            })));
        }
        threads.add(new Thread(() -> run(failure, () -> {
            ThreadLocalRandom random = ThreadLocalRandom.current();
            while (!stop.get()) {
                int port = random.nextInt(ports);
                q.freeze();
                boolean taken = q.removeFrozen(port);
                q.unfreeze();
                if (taken) {
                    assertTrue(held.compareAndSet(port, 0, 1), "port " + port + " handed out twice");
                    Thread.yield();
                    held.set(port, 0);
                    while (!q.offer(port)) {
                        Thread.onSpinWait();
                    }
                }
            }
        })));
        threads.forEach(Thread::start);
        for (int t = 0; t < 4; t++) {
            threads.get(t).join(TimeUnit.SECONDS.toMillis(60));
        }
        stop.set(true);
        threads.get(4).join(TimeUnit.SECONDS.toMillis(60));
        if (failure.get() != null) {
            throw new AssertionError(failure.get());
        }
        List<Integer> left = drain(q);
        Set<Integer> distinct = new HashSet<>(left);
        assertEquals(ports, left.size(), left.toString());
        assertEquals(ports, distinct.size(), left.toString());
    }

    private static void run(AtomicReference<Throwable> failure, Runnable body) {
        try {
            body.run();
        } catch (Throwable e) {
            failure.compareAndSet(null, e);
        }
    }
}
