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
 * after the test): a block is released after the idle timeout, not before, not while leased, not below the minimum.
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

    /** A block of the provider in {@code slot}, added to the table and gone idle, as the grower does. */
    private PortTable.Block addIdle(PoolParts p, int slot) {
        RuntimeReservation r = provider.acquire(Protocol.TCP, 2);
        PortTable.Block b = new PortTable.Block(slot, r, 0);
        synchronized (p.lock) {
            p.table.add(b, now.get());
            p.reaper.wentIdleLocked(b);
        }
        return b;
    }

    private boolean checkPending(PoolParts p, PortTable.Block b) {
        synchronized (p.lock) {
            boolean claimed = p.table.claimIdleCheck(b);
            if (claimed) {
                p.table.endIdleCheck(b);
            }
            return !claimed;
        }
    }

    @Test
    void anIdleBlockIsReleasedAfterTheTimeoutAndNotBefore() {
        PoolParts p = parts(0);
        PortTable.Block b = addIdle(p, 0);
        assertTrue(checkPending(p, b));
        now.addAndGet(IDLE - 1);
        p.reaper.check(b);
        assertEquals(List.of(PortRange.of(30000, 2)), p.table.ranges());
        assertTrue(checkPending(p, b)); // checked again for the rest of the timeout
        assertEquals(0, p.releases.get());
        now.addAndGet(1);
        p.reaper.check(b);
        assertTrue(b.isRemoved());
        assertFalse(b.reservation().isOpen());
        assertEquals(0, p.table.blockCount());
        assertEquals(1, p.statistics().blocksReleased());
        assertEquals(1, p.releases.get());
        assertEquals(0, provider.openReservations.get());
    }

    @Test
    void aBlockLeasedMeanwhileIsKeptAndItsIdleTimeRestarts() {
        PoolParts p = parts(0);
        PortTable.Block b = addIdle(p, 0);
        PortLease lease;
        synchronized (p.lock) {
            lease = p.table.takeFirst(b);
        }
        now.addAndGet(IDLE);
        p.reaper.check(b);
        assertFalse(b.isRemoved());
        assertFalse(checkPending(p, b)); // no check while leased: the next idle period schedules one
        synchronized (p.lock) {
            p.table.giveBack(lease, false, now.get());
            p.reaper.wentIdleLocked(b);
        }
        now.addAndGet(IDLE - 1);
        p.reaper.check(b);
        assertFalse(b.isRemoved());
        now.addAndGet(1);
        p.reaper.check(b);
        assertTrue(b.isRemoved());
    }

    @Test
    void theMinimumOfBlocksIsKept() {
        PoolParts p = parts(1);
        PortTable.Block first = addIdle(p, 0);
        PortTable.Block second = addIdle(p, 1);
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
        PortTable.Block b = addIdle(parts, 0);
        assertFalse(checkPending(parts, b));
        now.addAndGet(Long.MAX_VALUE / 2);
        parts.reaper.check(b); // a check run by hand keeps it too: the idle timeout never ends
        assertFalse(b.isRemoved());
    }
}
