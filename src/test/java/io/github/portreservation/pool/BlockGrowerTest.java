package io.github.portreservation.pool;

import io.github.portreservation.PortRange;
import io.github.portreservation.PortReservationException;
import io.github.portreservation.PortReservationException.Reason;
import io.github.portreservation.Protocol;
import io.github.portreservation.RuntimeReservation;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.concurrent.atomic.AtomicLong;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The grower: a slot reserved under the lock, the block acquired outside it, then committed or rolled back. */
class BlockGrowerTest {
    private final FakeProvider provider = new FakeProvider(30000);
    private final AtomicLong now = new AtomicLong(1_000_000_000L);
    private PoolParts parts;

    private PoolParts parts(ReservationPoolBuilder builder) {
        parts = new PoolParts(builder.clock(now::get));
        return parts;
    }

    private ReservationPoolBuilder anyBlocks() {
        return ReservationPool.builder(provider, Protocol.TCP).blockSize(4).maxBlocks(2).keepIdleBlocks();
    }

    @AfterEach
    void close() {
        parts.close();
    }

    private int reserve(PoolParts p, boolean ignoreBackoff) {
        synchronized (p.lock) {
            return p.grower.reserveLocked(ignoreBackoff);
        }
    }

    private BlockGrower.Commit commit(PoolParts p, BlockGrower.Acquisition acquired) {
        synchronized (p.lock) {
            return p.grower.commitLocked(acquired, true, null);
        }
    }

    @Test
    void aCommitAddsTheBlockAndLeasesItsFirstPortToTheCaller() {
        PoolParts p = parts(anyBlocks());
        int slot = reserve(p, false);
        assertEquals(0, slot);
        assertEquals(1, p.grower.growing());
        assertEquals(1, reserve(p, false)); // a second growth takes the next slot
        assertEquals(-1, reserve(p, false)); // two blocks at most, both being acquired
        BlockGrower.Acquisition acquired = p.grower.acquire(slot); // outside the lock
        assertEquals(0, p.table.gauges().blockCount());
        BlockGrower.Commit commit = commit(p, acquired);
        assertEquals(30000, commit.lease().port());
        assertNull(commit.failure());
        assertNull(commit.discard());
        assertEquals(-1, commit.nextSlot());
        assertEquals(1, p.grower.growing());
        assertEquals(List.of(PortRange.of(30000, 4)), p.table.ranges());
        PoolStatistics s = p.statistics();
        assertEquals(1, s.blocksAcquired());
        assertEquals(1, s.leased());
        assertEquals(3, s.free());
    }

    @Test
    void aFailedAcquisitionRollsTheSlotBackAndBacksOff() {
        PoolParts p = parts(anyBlocks());
        provider.failAcquires = 1;
        int slot = reserve(p, false);
        BlockGrower.Commit commit = commit(p, p.grower.acquire(slot));
        assertEquals(Reason.IN_USE, commit.failure().reason());
        assertNull(commit.lease());
        assertEquals(0, p.grower.growing());
        assertEquals(0, p.table.gauges().blockCount());
        assertEquals(1, p.statistics().failures());
        assertSame(commit.failure(), p.grower.lastFailure());
        assertTrue(p.grower.backingOff(now.get()));
        assertEquals(-1, reserve(p, false)); // not while backing off
        now.addAndGet(BlockGrower.BACKOFF_NANOS);
        assertFalse(p.grower.backingOff(now.get()));
        assertEquals(0, reserve(p, false)); // the same slot again
        assertEquals(0, p.statistics().blocksAcquired());
    }

    @Test
    void aBlockThatOverlapsAHeldOneIsRolledBackAndItsReservationDiscarded() {
        PoolParts p = parts(anyBlocks());
        commit(p, p.grower.acquire(reserve(p, false))); // 30000-30003
        int slot = reserve(p, false);
        RuntimeReservation overlapping = new FakeProvider(30002).acquire(Protocol.TCP, 4);
        BlockGrower.Commit commit = commit(p, new BlockGrower.Acquisition(slot,
                new PoolBlock(slot, overlapping, 0), null, null));
        assertEquals(Reason.SYSTEM_ERROR, commit.failure().reason());
        assertEquals("SYSTEM_ERROR: provider fake returned block 30002-30005 which overlaps a block the pool already "
                + "holds; this is a provider bug", commit.failure().getMessage());
        assertEquals(List.of(overlapping), commit.discard());
        assertEquals(1, p.table.gauges().blockCount());
        assertEquals(0, p.grower.growing());
        assertEquals(1, p.statistics().failures());
    }

    @Test
    void aBlockAcquiredWhileThePoolClosedIsDiscardedUncounted() {
        PoolParts p = parts(anyBlocks());
        int slot = reserve(p, false);
        BlockGrower.Acquisition acquired = p.grower.acquire(slot);
        synchronized (p.lock) {
            p.table.close();
        }
        BlockGrower.Commit commit = commit(p, acquired);
        assertEquals(Reason.CLOSED, commit.failure().reason());
        assertEquals(List.of(acquired.block().reservation()), commit.discard());
        assertEquals(0, p.table.gauges().blockCount());
        assertEquals(0, p.grower.growing());
        assertEquals(0, p.statistics().failures());
        assertFalse(p.grower.backingOff(now.get()));
        assertEquals(-1, reserve(p, true)); // a closed pool never grows
    }

    @Test
    void growSkipsATakenFixedRangeForTheNextAndTellsThePoolOnce() {
        PortRange a = PortRange.parse("31000-31001");
        PortRange b = PortRange.parse("31100-31102");
        PoolParts p = parts(ReservationPool.builder(provider, Protocol.UDP).fixedRanges(a, b).keepIdleBlocks());
        provider.failAcquires = 1;
        PortLease lease = p.grower.grow(reserve(p, false), true);
        assertEquals(31100, lease.port());
        assertEquals(List.of(b), p.table.ranges());
        assertEquals(1, p.statistics().failures());
        assertFalse(p.grower.backingOff(now.get())); // a range was acquired
        assertEquals(1, p.growthsEnded.get());
        assertEquals(0, p.grower.growing());
        assertEquals(0, reserve(p, false)); // range a may be tried again
    }

    @Test
    void growThrowsWhenNoRangeCanBeAcquiredAndReleasesNothingItHolds() {
        PoolParts p = parts(anyBlocks());
        provider.failAcquires = 1;
        PortReservationException e = assertThrows(PortReservationException.class,
                () -> p.grower.grow(reserve(p, false), true));
        assertEquals(Reason.IN_USE, e.reason());
        assertEquals(1, p.growthsEnded.get());
        assertEquals(0, provider.openReservations.get());
        assertEquals(0, p.grower.growing());
    }

    @Test
    void theMinimumIsAcquiredAllOrNothingByTheCaller() {
        PoolParts p = parts(anyBlocks().maxPorts(4).maxBlocks(2));
        p.grower.acquireMinimumBlocks(1);
        assertEquals(1, p.table.gauges().blockCount());
        PortReservationException e = assertThrows(PortReservationException.class,
                () -> p.grower.acquireMinimumBlocks(2)); // a second block would pass maxPorts
        assertEquals(Reason.EXHAUSTED, e.reason());
        assertEquals("EXHAUSTED: could not acquire the 2 minimum blocks of test pool; lower minBlocks(...) or raise "
                + "maxPorts(...)", e.getMessage());
    }
}
