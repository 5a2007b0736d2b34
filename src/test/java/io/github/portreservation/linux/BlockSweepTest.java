package io.github.portreservation.linux;

import io.github.portreservation.PortRange;
import io.github.portreservation.PortReservationException;
import io.github.portreservation.PortReservationException.Reason;
import io.github.portreservation.Protocol;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.net.SocketOption;
import java.net.BindException;
import java.net.SocketException;
import java.nio.channels.NetworkChannel;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.List;
import java.util.Set;
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
    static final class FakePorts implements BlockSearch.Holder<NetworkChannel> {
        final BitSet occupied = new BitSet();
        final int[] tries = new int[PortRange.MAX_PORT + 1];
        int binds;
        /** Placeholders handed out and not released. */
        int live;
        IOException failWith; // when set, port failAt (any port when -1) fails with it
        int failAt = -1;

        @Override
        public List<NetworkChannel> hold(PortRange range) throws Placeholders.HoldFailure {
            List<NetworkChannel> held = new ArrayList<>();
            for (int p = range.start(); p <= range.end(); p++) {
                check(p);
                held.add(new FakeChannel(p));
            }
            occupied.set(range.start(), range.end() + 1);
            live += held.size();
            return held;
        }

        @Override
        public NetworkChannel holdOne(int port) throws Placeholders.HoldFailure {
            check(port);
            occupied.set(port);
            live++;
            return new FakeChannel(port);
        }

        private void check(int p) throws Placeholders.HoldFailure {
            binds++;
            tries[p]++;
            if (failWith != null && (failAt < 0 || failAt == p)) {
                throw new Placeholders.HoldFailure(p, failWith);
            }
            if (occupied.get(p)) {
                throw new Placeholders.HoldFailure(p, new BindException("Address already in use"));
            }
        }

        @Override
        public void release(List<NetworkChannel> held) {
            for (NetworkChannel ch : held) {
                FakeChannel f = (FakeChannel) ch;
                assertTrue(f.open, "released twice: port " + f.port);
                f.open = false;
                occupied.clear(f.port);
                live--;
            }
        }

        int maxTries(int lo, int hi) {
            int max = 0;
            for (int p = lo; p <= hi; p++) {
                max = Math.max(max, tries[p]);
            }
            return max;
        }
    }

    /** A placeholder of {@link FakePorts}: only its port. */
    static final class FakeChannel implements NetworkChannel {
        final int port;
        boolean open = true;

        FakeChannel(int port) {
            this.port = port;
        }

        @Override
        public NetworkChannel bind(SocketAddress local) {
            throw new UnsupportedOperationException();
        }

        @Override
        public <T> NetworkChannel setOption(SocketOption<T> name, T value) {
            throw new UnsupportedOperationException();
        }

        @Override
        public SocketAddress getLocalAddress() {
            return new InetSocketAddress(port);
        }

        @Override
        public <T> T getOption(SocketOption<T> name) {
            throw new UnsupportedOperationException();
        }

        @Override
        public Set<SocketOption<?>> supportedOptions() {
            return Set.of();
        }

        @Override
        public boolean isOpen() {
            return open;
        }

        @Override
        public void close() {
            open = false;
        }
    }

    private static List<Integer> portsOf(List<NetworkChannel> placeholders) {
        List<Integer> ports = new ArrayList<>();
        for (NetworkChannel ch : placeholders) {
            ports.add(((FakeChannel) ch).port);
        }
        return ports;
    }

    private static List<Integer> range(int first, int last) {
        List<Integer> ports = new ArrayList<>();
        for (int p = first; p <= last; p++) {
            ports.add(p);
        }
        return ports;
    }

    /**
     * A "random" source that answers {@code values} in turn (then the last one again), each capped to the bound. The
     * search draws one value per preferred candidate (the candidate's start is {@code lo + value}) and one for the
     * sweep (its first candidate is the block whose top port is {@code hi - value}).
     */
    private static RandomGenerator script(int... values) {
        return new RandomGenerator() {
            private int next;

            @Override
            public long nextLong() {
                throw new UnsupportedOperationException();
            }

            @Override
            public int nextInt(int bound) {
                int v = values[Math.min(next++, values.length - 1)];
                return Math.min(bound - 1, v);
            }
        };
    }

    /** Eight preferred candidates from {@code preferred}, then the sweep from {@code sweep}. */
    private static RandomGenerator script(int preferred, int sweep) {
        int[] v = new int[BlockSearch.PREFERRED_CANDIDATES + 1];
        java.util.Arrays.fill(v, preferred);
        v[BlockSearch.PREFERRED_CANDIDATES] = sweep;
        return script(v);
    }

    private static RandomGenerator lowest() {
        return script(0);
    }

    private BlockSearch<NetworkChannel> search(int count, int lo, int hi, String reserved, RandomGenerator random) {
        return new BlockSearch<>(Protocol.TCP, count, new BlockSearch.Window(lo, hi, "net.ipv4.ip_local_port_range"),
                ReservedPortSet.parse(reserved), recent, into -> {
                    procReads.incrementAndGet();
                    into.or(listed);
                }, random, ports);
    }

    @Test
    void aForeignBlockThatProcNetDoesNotListIsCrossedToTheOneRunAtTheEnd() {
        // Window 32768-45055. Someone whose sockets only bind (not in /proc/net) holds 36864-45055; the one free run
        // of 4,096, 32768-36863, is at the end of the sweep, and hinted as taken (stale), so that no preferred
        // candidate takes it.
        ports.occupied.set(36864, 45056);
        BitSet stale = new BitSet();
        stale.set(32768, 36864);
        recent.remember(Protocol.TCP, stale);
        // Preferred: from 32768, moved past the hint to 36864, 36865, ...: 8 single failing binds. The sweep's first
        // candidate is 40000-44095 (top port 45055 - 960).
        BlockSearch<NetworkChannel> s = search(4096, 32768, 45055, "", script(0, 960));
        BlockSearch.Found<NetworkChannel> found = s.run();
        assertEquals(PortRange.parse("32768-36863"), found.range);
        assertEquals(range(32768, 36863), portsOf(found.placeholders), "one placeholder per port, ascending");
        assertEquals(4096, ports.live);
        // The sweep binds each candidate from its lowest port up: 40000 fails; 35904-36863 hold and 36864 fails
        // (the foreign block crossed); 35904-36863 stay held as the top of 32768-36863, whose 32768-35903 then hold.
        assertEquals(BlockSearch.PREFERRED_CANDIDATES + 1 + 961 + 3136, ports.binds);
        assertEquals(BlockSearch.PREFERRED_CANDIDATES + 2, s.collisions);
        assertTrue(s.swept);
        assertEquals(1, procReads.get(), "/proc/net is read once, after the first collision");
        assertEquals(2, ports.tries[36864], "once by a preferred candidate, once by the sweep");
        ports.tries[36864] = 1;
        assertEquals(1, ports.maxTries(32768, 45055), "the sweep binds no port twice");

        // Released, as LinuxRuntimeReservation.close() does: its ports are no longer hinted, so the next search's first
        // candidate holds them at once.
        ports.release(found.placeholders);
        recent.forget(Protocol.TCP, found.range);
        int before = ports.binds;
        BlockSearch next = search(4096, 32768, 45055, "", lowest());
        assertEquals(PortRange.parse("32768-36863"), next.run().range);
        assertEquals(4096, ports.binds - before);
        assertEquals(0, next.collisions);
        assertFalse(next.swept);
    }

    @Test
    void fromAnyRandomStartTheSearchFindsTheOnlyRunAndTheSweepBindsAtMostWindowPlusCountMinusOnePorts() {
        int lo = 32768;
        int hi = 40959;
        int count = 4096;
        for (long seed = 1; seed <= 20; seed++) {
            FakePorts fresh = new FakePorts();
            fresh.occupied.set(lo, 36864);
            RecentlyTakenPorts noHints = new RecentlyTakenPorts(now::get);
            BlockSearch<NetworkChannel> s = new BlockSearch<>(Protocol.TCP, count, new BlockSearch.Window(lo, hi, "test"),
                    ReservedPortSet.empty(), noHints, into -> { }, new SplittableRandom(seed), fresh);
            BlockSearch.Found<NetworkChannel> found = s.run();
            assertEquals(PortRange.parse("36864-40959"), found.range, "seed " + seed);
            assertEquals(range(36864, 40959), portsOf(found.placeholders), "seed " + seed);
            assertEquals(count, fresh.live, "seed " + seed + ": no placeholder left over");
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
        BlockSearch<NetworkChannel> s = search(32, 40000, 40255, "", lowest());
        assertEquals(PortRange.parse("40224-40255"), s.run().range);
        assertTrue(s.swept);
        // Preferred: 40000, 40001, ... 40007 fail. The sweep's first candidate, the top block, holds.
        assertEquals(BlockSearch.PREFERRED_CANDIDATES, s.collisions);
        assertEquals(BlockSearch.PREFERRED_CANDIDATES + 32, ports.binds);
    }

    @Test
    void theSweepWrapsAroundOnceToTheTopOfTheWindow() {
        ports.occupied.set(40000, 40224);
        BitSet stale = new BitSet();
        stale.set(40224, 40256); // hinted, so that the preferred candidates (which wrap too) do not take it
        recent.remember(Protocol.TCP, stale);
        // The sweep's first candidate is 40100-40131 (top port 40255 - 124).
        BlockSearch<NetworkChannel> s = search(32, 40000, 40255, "", script(0, 124));
        assertEquals(PortRange.parse("40224-40255"), s.run().range);
        assertTrue(s.swept);
        // Preferred: 8 single failing binds. The sweep: 40100, 40068, 40036, 40004 fail (one bind each: a whole block
        // down each time), nothing fits below; after the wrap, the top block 40224-40255 holds.
        assertEquals(BlockSearch.PREFERRED_CANDIDATES + 4 + 32, ports.binds);
        assertEquals(BlockSearch.PREFERRED_CANDIDATES + 4, s.collisions);
        assertEquals(List.of(1, 1, 1, 2, 0), List.of(ports.tries[40100], ports.tries[40068], ports.tries[40036],
                ports.tries[40004], ports.tries[40099]), "40004 was also a preferred candidate's; 40099 never bound");
    }

    @Test
    void noRunAtAllFailsInUseNamingTheWindowTheCountAndWhatWasInTheWay() {
        for (int p : new int[] {40010, 40026, 40042, 40058}) {
            ports.occupied.set(p);
        }
        BlockSearch<NetworkChannel> s = search(16, 40000, 40063, "40020-40021", lowest());
        PortReservationException e = assertThrows(PortReservationException.class, s::run);
        assertEquals(Reason.IN_USE, e.reason());
        assertEquals("IN_USE: no run of 16 consecutive free TCP ports in 40000-40063 (net.ipv4.ip_local_port_range): a "
                + "sweep of every start, down from 40048 and around once, found ports 40010, 40026, 40042, 40058 (4 in "
                + "all) in use and ports 40020-40021 (2 in all) in net.ipv4.ip_local_reserved_ports; close the sockets "
                + "or reservations that hold them (see 'ss -atunp'), ask for fewer ports, widen "
                + "net.ipv4.ip_local_port_range, or acquire a specific free range", e.getMessage());
        assertTrue(e.getCause() instanceof BindException, String.valueOf(e.getCause()));
        // Preferred: 40000-40010, 40022-40026, 40027-40042, 40043-40058 (48 binds). The sweep, from the top block
        // down, each candidate from its lowest port up: 40048-40058, 40042 (40032-40047 would hold it), 40026
        // (40026-40041), 40004-40010 (40004-40019, below the reserved ports): 20 binds.
        assertEquals(68, ports.binds);
        assertEquals(8, s.collisions);
        assertEquals(0, ports.tries[40020] + ports.tries[40021], "reserved ports are never bound");
        BitSet nothingHeld = new BitSet();
        nothingHeld.set(40010);
        nothingHeld.set(40026);
        nothingHeld.set(40042);
        nothingHeld.set(40058);
        assertEquals(nothingHeld, ports.occupied, "nothing stays held");
        assertEquals(0, ports.live);
    }

    @Test
    void reservedPortsAreNeverTakenEvenByTheSweep() {
        BlockSearch fits = search(16, 40000, 40063, "40000-40047", lowest());
        assertEquals(PortRange.parse("40048-40063"), fits.run().range);
        assertEquals(16, ports.binds);

        BlockSearch none = search(16, 40000, 40063, "40000-40048", lowest());
        PortReservationException e = assertThrows(PortReservationException.class, none::run);
        assertEquals("IN_USE: no run of 16 consecutive free TCP ports in 40000-40063 (net.ipv4.ip_local_port_range): a "
                + "sweep of every start, down from 40048 and around once, found ports 40000-40048 (49 in all) in "
                + "net.ipv4.ip_local_reserved_ports; close the sockets or reservations that hold them (see "
                + "'ss -atunp'), ask for fewer ports, widen net.ipv4.ip_local_port_range, or acquire a specific free "
                + "range", e.getMessage());
        assertEquals(16, ports.binds, "no bind for a window without a run outside the reserved ports");
    }

    @Test
    void aSinglePortRequestNamesThePortsInUse() {
        ports.occupied.set(40000, 40064);
        PortReservationException e = assertThrows(PortReservationException.class,
                search(1, 40000, 40063, "", lowest())::run);
        assertEquals("IN_USE: no free TCP port in 40000-40063 (net.ipv4.ip_local_port_range): a sweep of every start, "
                + "down from 40063 and around once, found ports 40000-40063 (64 in all) in use; close the sockets or "
                + "reservations that hold them (see 'ss -atunp'), ask for fewer ports, widen "
                + "net.ipv4.ip_local_port_range, or acquire a specific free range", e.getMessage());
        assertEquals(BlockSearch.PREFERRED_CANDIDATES + 64, ports.binds);
    }

    @Test
    void anErrorOtherThanInUseIsThrownAtOnce() {
        ports.failWith = new SocketException("Too many open files");
        PortReservationException e = assertThrows(PortReservationException.class,
                search(16, 40000, 40063, "", lowest())::run);
        assertEquals(Reason.RESOURCE_LIMIT, e.reason());
        assertSame(ports.failWith, e.getCause());
        assertEquals(1, ports.binds);
        assertEquals(0, procReads.get());
    }

    @Test
    void anErrorOtherThanInUseInTheSweepReleasesWhatItHeldAndIsThrown() {
        BitSet everything = new BitSet();
        everything.set(40000, 40064);
        recent.remember(Protocol.TCP, everything); // no preferred candidate: straight to the sweep
        ports.failWith = new SocketException("Too many open files");
        ports.failAt = 40053;
        PortReservationException e = assertThrows(PortReservationException.class,
                search(16, 40000, 40063, "", lowest())::run);
        assertEquals(Reason.RESOURCE_LIMIT, e.reason());
        assertEquals(6, ports.binds, "40048 up to 40053");
        assertTrue(ports.occupied.isEmpty(), "nothing stays held: " + ports.occupied);
        assertEquals(0, ports.live);
    }

    @Test
    void theFastPathReadsNoProcNetAndHoldsTheFirstCandidate() {
        BlockSearch<NetworkChannel> s = search(256, 32768, 60999, "", script(12345));
        assertEquals(PortRange.of(32768 + 12345, 256), s.run().range);
        assertEquals(256, ports.binds);
        assertEquals(0, procReads.get());
        assertEquals(0, s.collisions);
        assertFalse(s.swept);
    }

    @Test
    void portsInTheWayAreDescribedAsRangesAndCountedPastTheEighth() {
        BitSet p = new BitSet();
        p.set(40010);
        assertEquals("port 40010", BlockSearch.describe(p));
        p.set(40011, 40014);
        assertEquals("ports 40010-40013 (4 in all)", BlockSearch.describe(p));
        for (int i = 0; i < 10; i++) {
            p.set(41000 + 2 * i);
        }
        assertEquals("ports 40010-40013, 41000, 41002, 41004, 41006, 41008, 41010, 41012 and 3 more ranges (14 in all)",
                BlockSearch.describe(p));
    }
}
