package io.github.portreservation.linux;

import io.github.portreservation.PortRange;
import io.github.portreservation.PortReservationException;
import io.github.portreservation.PortReservationException.Reason;
import io.github.portreservation.Protocol;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.net.BindException;
import java.net.SocketException;
import java.nio.channels.NetworkChannel;
import java.util.BitSet;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.random.RandomGenerator;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@link BlockSearch} on a synthetic port space: the holder binds nothing, it fails on the ports of its "occupied"
 * set (as EADDRINUSE) and counts every bind it would have made. Nothing here touches the network.
 */
class BlockSweepTest {
    private final AtomicLong now = new AtomicLong(1_000);
    private final RecentlyTakenPorts recent = new RecentlyTakenPorts(now::get);
    private final FakePorts ports = new FakePorts();
    /** Ports that the fake /proc/net lists; reads counted. */
    private final BitSet listed = new BitSet();
    private final AtomicInteger procReads = new AtomicInteger();

    /** The holder: fails on occupied ports, holds the others (they become occupied until released). */
    static final class FakePorts implements BlockSearch.Holder {
        final BitSet occupied = new BitSet();
        final int[] tries = new int[PortRange.MAX_PORT + 1];
        int binds;
        IOException failWith; // when set, the first port fails with it instead

        @Override
        public List<NetworkChannel> hold(PortRange range) throws Placeholders.HoldFailure {
            for (int p = range.start(); p <= range.end(); p++) {
                binds++;
                tries[p]++;
                if (failWith != null) {
                    throw new Placeholders.HoldFailure(p, failWith);
                }
                if (occupied.get(p)) {
                    throw new Placeholders.HoldFailure(p, new BindException("Address already in use"));
                }
            }
            occupied.set(range.start(), range.end() + 1);
            return List.of();
        }

        void release(PortRange range) {
            occupied.clear(range.start(), range.end() + 1);
        }

        int maxTries(int lo, int hi) {
            int max = 0;
            for (int p = lo; p <= hi; p++) {
                max = Math.max(max, tries[p]);
            }
            return max;
        }
    }

    /** A "random" source that always answers {@code fraction} of the bound (0: the lowest start, 1: the highest). */
    private static RandomGenerator always(double fraction) {
        return new RandomGenerator() {
            @Override
            public long nextLong() {
                throw new UnsupportedOperationException();
            }

            @Override
            public int nextInt(int bound) {
                return (int) Math.min(bound - 1, Math.floor(fraction * bound));
            }
        };
    }

    private BlockSearch search(int count, int lo, int hi, String reserved, RandomGenerator random) {
        return new BlockSearch(Protocol.TCP, count, new BlockSearch.Window(lo, hi, "net.ipv4.ip_local_port_range"),
                ReservedPortSet.parse(reserved), recent, into -> {
                    procReads.incrementAndGet();
                    into.or(listed);
                }, random, ports);
    }

    @Test
    void aForeignBlockThatProcNetDoesNotListIsSweptPastToTheOneRunAtTheEnd() {
        // 4,096 ports held by someone whose sockets only bind (not in /proc/net), the other 4,096 free.
        ports.occupied.set(32768, 36864);
        BlockSearch s = search(4096, 32768, 40959, "", always(0));
        BlockSearch.Found found = s.run();
        assertEquals(PortRange.parse("36864-40959"), found.range);
        // Preferred: 8 candidates from 32768, each just past the ports met before, each failing on its first port.
        // Sweep from 32768: 4,096 failing binds, one per foreign port, then the 4,096 of the block.
        assertEquals(BlockSearch.PREFERRED_CANDIDATES + 4096 + 4096, ports.binds);
        assertEquals(BlockSearch.PREFERRED_CANDIDATES + 4096, s.collisions);
        assertTrue(s.swept);
        assertEquals(1, procReads.get(), "/proc/net is read once, after the first collision");
        assertEquals(2, ports.maxTries(32768, 32768 + BlockSearch.PREFERRED_CANDIDATES - 1));
        assertEquals(1, ports.maxTries(32768 + BlockSearch.PREFERRED_CANDIDATES, 40959));

        // The foreign ports met by the sweep are remembered: the next search's first candidate avoids them.
        ports.release(found.range);
        recent.forget(Protocol.TCP, found.range); // as HeldReservation.close() does
        int before = ports.binds;
        BlockSearch next = search(4096, 32768, 40959, "", always(0));
        assertEquals(PortRange.parse("36864-40959"), next.run().range);
        assertEquals(4096, ports.binds - before);
        assertEquals(0, next.collisions);
        assertFalse(next.swept);
    }

    @Test
    void fromAnyRandomStartTheSweepFindsTheOnlyRunAndBindsAtMostWindowPlusCountMinusOnePorts() {
        int lo = 32768;
        int hi = 40959;
        int count = 4096;
        for (long seed = 1; seed <= 20; seed++) {
            FakePorts fresh = new FakePorts();
            fresh.occupied.set(lo, 36864);
            RecentlyTakenPorts noHints = new RecentlyTakenPorts(now::get);
            BlockSearch s = new BlockSearch(Protocol.TCP, count, new BlockSearch.Window(lo, hi, "test"),
                    ReservedPortSet.empty(), noHints, into -> { }, new SplittableRandom(seed), fresh);
            assertEquals(PortRange.parse("36864-40959"), s.run().range, "seed " + seed);
            int window = hi - lo + 1;
            assertTrue(fresh.binds <= BlockSearch.PREFERRED_CANDIDATES * count + window + count - 1,
                    "seed " + seed + ": " + fresh.binds + " binds");
        }
    }

    @Test
    void aHintNeverExcludesARun() {
        // The only free run is hinted as taken (remembered, and listed in a stale /proc/net read): still found.
        ports.occupied.set(40000, 40224);
        BitSet stale = new BitSet();
        stale.set(40224, 40256);
        recent.remember(Protocol.TCP, stale);
        listed.or(stale);
        BlockSearch s = search(32, 40000, 40255, "", always(0));
        assertEquals(PortRange.parse("40224-40255"), s.run().range);
        assertTrue(s.swept);
        assertEquals(BlockSearch.PREFERRED_CANDIDATES + 224, s.collisions);
    }

    @Test
    void theSweepWrapsAroundOnceToARunBeforeItsStart() {
        ports.occupied.set(40032, 40256);
        BitSet stale = new BitSet();
        stale.set(40000, 40032); // hinted, so that the preferred candidates (which wrap too) do not take it
        recent.remember(Protocol.TCP, stale);
        BlockSearch s = search(32, 40000, 40255, "", always(1)); // every start at 40224, the last one
        assertEquals(PortRange.parse("40000-40031"), s.run().range);
        assertTrue(s.swept);
        // Preferred: 8 single failing binds; the sweep: 40224 fails, then 40000-40031 after the wrap.
        assertEquals(BlockSearch.PREFERRED_CANDIDATES + 1 + 32, ports.binds);
    }

    @Test
    void noRunAtAllFailsInUseNamingTheWindowTheCountAndWhatWasInTheWay() {
        for (int p : new int[] {40010, 40026, 40042, 40058}) {
            ports.occupied.set(p);
        }
        BlockSearch s = search(16, 40000, 40063, "40020-40021", always(0));
        PortReservationException e = assertThrows(PortReservationException.class, s::run);
        assertEquals(Reason.IN_USE, e.reason());
        assertEquals("IN_USE: no run of 16 consecutive free TCP ports in 40000-40063 (net.ipv4.ip_local_port_range): a "
                + "sweep of every start from 40000 (wrapping around once) found ports 40010, 40026, 40042, 40058 (4 in "
                + "all) in use and ports 40020-40021 (2 in all) in net.ipv4.ip_local_reserved_ports; close the sockets "
                + "or reservations that hold them (see 'ss -atunp'), ask for fewer ports, widen "
                + "net.ipv4.ip_local_port_range, or acquire a specific free range", e.getMessage());
        assertTrue(e.getCause() instanceof BindException, String.valueOf(e.getCause()));
        // Preferred: 40000-40010, 40022-40026, 40027-40042, 40043-40058 (48 binds); the sweep the same again.
        assertEquals(96, ports.binds);
        assertEquals(8, s.collisions);
        assertEquals(0, ports.tries[40020] + ports.tries[40021], "reserved ports are never bound");
        BitSet nothingHeld = new BitSet();
        nothingHeld.set(40010);
        nothingHeld.set(40026);
        nothingHeld.set(40042);
        nothingHeld.set(40058);
        assertEquals(nothingHeld, ports.occupied, "nothing stays held");
    }

    @Test
    void reservedPortsAreNeverTakenEvenByTheSweep() {
        BlockSearch fits = search(16, 40000, 40063, "40000-40047", always(0));
        assertEquals(PortRange.parse("40048-40063"), fits.run().range);
        assertEquals(16, ports.binds);

        BlockSearch none = search(16, 40000, 40063, "40000-40048", always(0));
        PortReservationException e = assertThrows(PortReservationException.class, none::run);
        assertEquals("IN_USE: no run of 16 consecutive free TCP ports in 40000-40063 (net.ipv4.ip_local_port_range): a "
                + "sweep of every start from 40000 (wrapping around once) found ports 40000-40048 (49 in all) in "
                + "net.ipv4.ip_local_reserved_ports; close the sockets or reservations that hold them (see "
                + "'ss -atunp'), ask for fewer ports, widen net.ipv4.ip_local_port_range, or acquire a specific free "
                + "range", e.getMessage());
        assertEquals(16, ports.binds, "no bind for a window without a run outside the reserved ports");
    }

    @Test
    void aSinglePortRequestNamesThePortsInUse() {
        ports.occupied.set(40000, 40064);
        PortReservationException e = assertThrows(PortReservationException.class,
                search(1, 40000, 40063, "", always(0))::run);
        assertEquals("IN_USE: no free TCP port in 40000-40063 (net.ipv4.ip_local_port_range): a sweep of every start "
                + "from 40000 (wrapping around once) found ports 40000-40063 (64 in all) in use; close the sockets or "
                + "reservations that hold them (see 'ss -atunp'), ask for fewer ports, widen "
                + "net.ipv4.ip_local_port_range, or acquire a specific free range", e.getMessage());
        assertEquals(BlockSearch.PREFERRED_CANDIDATES + 64, ports.binds);
    }

    @Test
    void anErrorOtherThanInUseIsThrownAtOnce() {
        ports.failWith = new SocketException("Too many open files");
        PortReservationException e = assertThrows(PortReservationException.class,
                search(16, 40000, 40063, "", always(0))::run);
        assertEquals(Reason.RESOURCE_LIMIT, e.reason());
        assertSame(ports.failWith, e.getCause());
        assertEquals(1, ports.binds);
        assertEquals(0, procReads.get());
    }

    @Test
    void theFastPathReadsNoProcNetAndHoldsTheFirstCandidate() {
        BlockSearch s = search(256, 32768, 60999, "", always(0.5));
        int lastStart = 60999 - 256 + 1;
        int start = 32768 + (int) Math.floor(0.5 * (lastStart - 32768 + 1));
        assertEquals(PortRange.of(start, 256), s.run().range);
        assertEquals(256, ports.binds);
        assertEquals(0, procReads.get());
        assertEquals(0, s.collisions);
        assertFalse(s.swept);
    }

    @Test
    void portsInTheWayAreDescribedAsRangesAndCountedPastTheEighth() {
        BitSet p = new BitSet();
        assertEquals("port 40010", describe(p, 40010));
        p.set(40011, 40014);
        assertEquals("ports 40010-40013 (4 in all)", BlockSearch.describe(p));
        for (int i = 0; i < 10; i++) {
            p.set(41000 + 2 * i);
        }
        assertEquals("ports 40010-40013, 41000, 41002, 41004, 41006, 41008, 41010, 41012 and 3 more ranges (14 in all)",
                BlockSearch.describe(p));
    }

    private static String describe(BitSet p, int port) {
        p.set(port);
        return BlockSearch.describe(p);
    }
}
