package io.github.portreservation.pool;

import io.github.portreservation.PortRange;
import io.github.portreservation.Protocol;
import io.github.portreservation.RuntimeReservation;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The idle reaper on a manual clock: the tests call its check directly (the scheduled copies would run in an hour,
 * after the test): a block is released after the idle timeout, not before, not while leased, never when it was
 * leased since the note it acts on, and not below the minimum.
 */
class IdleReaperTest {
    private static final long IDLE = TimeUnit.HOURS.toNanos(1);
    private final FakeProvider provider = new FakeProvider(30000);
    private final AtomicLong now = new AtomicLong(1_000_000_000L);
    private PoolParts parts;

    @AfterEach
    void close() {
        parts.close();
    }

    private PoolParts parts(int minBlocks) {
        parts = new PoolParts(ReservationPool.builder(provider, Protocol.TCP).blockSize(2).maxBlocks(3)
                .minBlocks(minBlocks).idleTimeout(Duration.ofNanos(IDLE)).clock(now::get));
        return parts;
    }

    /** A block of the provider in {@code slot}, added to the table and noted idle, as the grower does. */
    private PoolBlock addIdle(PoolParts p, int slot) {
        RuntimeReservation r = provider.acquire(Protocol.TCP, 2);
        PoolBlock b = new PoolBlock(slot, r, 0);
        synchronized (p.lock) {
            p.table.add(b, false);
        }
        p.reaper.wentIdle(b);
        return b;
    }

    private static boolean checkPending(PoolBlock b) {
        if (b.claimIdleCheck()) {
            b.endIdleCheck();
            return false;
        }
        return true;
    }

    @Test
    void anIdleBlockIsReleasedAfterTheTimeoutAndNotBefore() {
        PoolParts p = parts(0);
        PoolBlock b = addIdle(p, 0);
        assertTrue(checkPending(b));
        now.addAndGet(IDLE - 1);
        p.reaper.check(b);
        assertEquals(List.of(PortRange.of(30000, 2)), p.table.ranges());
        assertTrue(checkPending(b)); // checked again for the rest of the timeout
        assertEquals(0, p.releases.get());
        now.addAndGet(1);
        p.reaper.check(b);
        assertTrue(b.isRemoved());
        assertFalse(b.reservation().isOpen());
        assertEquals(0, p.table.gauges().blockCount());
        assertEquals(1, p.statistics().blocksReleased());
        assertEquals(1, p.releases.get());
        assertEquals(0, provider.openReservations.get());
    }

    @Test
    void aBlockLeasedMeanwhileIsKeptAndItsIdleTimeRestartsWithItsReturn() {
        PoolParts p = parts(0);
        PoolBlock b = addIdle(p, 0);
        PortLease lease = p.table.takeReady(0, 0, 0);
        now.addAndGet(IDLE);
        p.reaper.check(b);
        assertFalse(b.isRemoved());
        assertFalse(checkPending(b)); // no check while leased: the return that frees it schedules one
        assertTrue(p.table.giveBack(lease, false, 0));
        assertTrue(p.table.isWithoutLease(b));
        p.reaper.wentIdle(b);
        now.addAndGet(IDLE - 1);
        p.reaper.check(b);
        assertFalse(b.isRemoved());
        now.addAndGet(1);
        p.reaper.check(b);
        assertTrue(b.isRemoved());
    }

    @Test
    void aBlockLeasedAndFreedSinceTheNoteItActsOnIsKept() {
        PoolParts p = parts(0);
        PoolBlock b = addIdle(p, 0);
        now.addAndGet(IDLE / 2);
        assertTrue(p.table.giveBack(p.table.takeReady(0, 0, 0), false, 0)); // its note is still on the way
        now.addAndGet(IDLE / 2);
        p.reaper.check(b);
        assertFalse(b.isRemoved());
        p.reaper.wentIdle(b); // the note arrives
        now.addAndGet(IDLE);
        p.reaper.check(b);
        assertTrue(b.isRemoved());
    }

    @Test
    void anExplicitLeaseCountsAsALeaseToo() {
        PoolParts p = parts(0);
        PoolBlock b = addIdle(p, 0);
        PortLease lease;
        synchronized (p.lock) {
            lease = p.table.takeExplicit(30001, now.get(), 0, p.errors);
        }
        assertTrue(p.table.giveBack(lease, false, 0));
        now.addAndGet(IDLE);
        p.reaper.check(b);
        assertFalse(b.isRemoved());
    }

    @Test
    void theMinimumOfBlocksIsKept() {
        PoolParts p = parts(1);
        PoolBlock first = addIdle(p, 0);
        PoolBlock second = addIdle(p, 1);
        now.addAndGet(IDLE);
        p.reaper.check(second);
        p.reaper.check(first);
        assertTrue(second.isRemoved());
        assertFalse(first.isRemoved());
        assertEquals(List.of(PortRange.of(30000, 2)), p.table.ranges());
        assertEquals(1, p.releases.get());
    }

    @Test
    void keepIdleBlocksSchedulesNoCheck() {
        parts = new PoolParts(ReservationPool.builder(provider, Protocol.TCP).blockSize(2).keepIdleBlocks()
                .clock(now::get));
        PoolBlock b = addIdle(parts, 0);
        assertFalse(checkPending(b));
        assertEquals(null, b.idleMark());
    }
}
