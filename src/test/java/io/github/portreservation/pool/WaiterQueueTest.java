package io.github.portreservation.pool;

import io.github.portreservation.PortReservationException;
import io.github.portreservation.PortReservationException.Reason;
import io.github.portreservation.Protocol;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.concurrent.ExecutionException;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The waiter queue: arrival order, withdrawn requests skipped, counts, failing them all, delivery after decision. */
class WaiterQueueTest {
    private final FakeProvider provider = new FakeProvider(30000);

    @Test
    void portsGoToTheOldestQueuedRequestSkippingWithdrawnOnes() throws Exception {
        ReservationPool pool = ReservationPool.builder(provider, Protocol.TCP).blockSize(2).build();
        PortLease first = pool.lease();
        PortLease second = pool.lease();
        WaiterQueue queue = new WaiterQueue();
        Waiter a = queue.add();
        Waiter b = queue.add();
        Waiter c = queue.add();
        assertEquals(3, queue.size());
        assertTrue(queue.withdraw(b));
        assertFalse(queue.withdraw(b));
        assertEquals(2, queue.size());
        assertSame(a, queue.grantFirst(first));
        assertSame(c, queue.grantFirst(second));
        assertTrue(queue.isEmpty());
        assertFalse(queue.withdraw(a)); // decided
        assertFalse(a.future.isDone()); // completed only on delivery, after the pool's lock
        Handoff.deliver(List.of(a, c));
        assertSame(first, a.future.get());
        assertSame(second, c.future.get());
        assertFalse(b.future.isDone());
        pool.closeForcibly();
    }

    @Test
    void failAllFailsOnlyTheQueuedRequests() {
        WaiterQueue queue = new WaiterQueue();
        Waiter a = queue.add();
        Waiter b = queue.add();
        queue.withdraw(a);
        PortReservationException closed = new PortReservationException(Reason.CLOSED, "closed");
        List<Waiter> failed = queue.failAll(closed, null);
        assertEquals(List.of(b), failed);
        assertEquals(0, queue.size());
        Handoff.deliver(failed);
        ExecutionException e = assertThrows(ExecutionException.class, b.future::get);
        assertSame(closed, e.getCause());
        assertFalse(a.future.isDone());
        Waiter later = queue.add(); // the queue works on after being emptied
        assertEquals(1, queue.size());
        assertTrue(later.isQueued());
    }

    @Test
    void aGrantNobodyTakesAnyMoreGoesBackToThePool() {
        ReservationPool pool = ReservationPool.builder(provider, Protocol.TCP).blockSize(1).build();
        WaiterQueue queue = new WaiterQueue();
        Waiter w = queue.add();
        w.future.cancel(false);
        queue.grantFirst(pool.lease());
        assertEquals(1, pool.statistics().leased());
        w.deliver();
        assertEquals(0, pool.statistics().leased());
        pool.closeForcibly();
    }
}
