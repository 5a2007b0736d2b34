package io.github.portreservation.linux;

import io.github.portreservation.PortRange;
import io.github.portreservation.PortReservationException;
import io.github.portreservation.PortReservationException.Reason;
import io.github.portreservation.Protocol;

import java.net.BindException;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.Iterator;
import java.util.List;
import java.util.Objects;
import java.util.function.Consumer;
import java.util.random.RandomGenerator;

/**
 * One search of {@code acquire(protocol, count)} for a block of {@code count} consecutive free ports in a window
 * (the ephemeral range). Two phases:
 * <ol>
 *   <li><b>Preferred candidates</b>, at most {@value #PREFERRED_CANDIDATES}: each from a new random start, moved to
 *       the first run of ports that are not hinted as taken. Hints are the administrator's reserved ports, the ports
 *       that searches found taken in the last seconds ({@link RecentlyTakenPorts}) and, after this search's first
 *       collision, the ports that {@code /proc/net} lists as bound ({@link BoundPorts}). This is the fast path: on a
 *       quiet machine the first candidate is held, and /proc/net (milliseconds per read) is never read.</li>
 *   <li><b>The sweep</b>, when no preferred candidate could be held (or no run avoids the hints): it tries every
 *       start of the window in order, downwards from a random one, wrapping around once. It ignores every hint but
 *       {@code net.ipv4.ip_local_reserved_ports}, which acquire never takes (as port 0 never does). It binds each
 *       candidate from its lowest port up. When a port is in use, no block that contains it can be had: the next
 *       candidate is the block just below it, and the ports of the failed candidate below it, already held, stay held
 *       as that candidate's top. So every port of the window is bound at most once (the {@code count - 1} top ports of
 *       the first candidate at most twice, once more after the wrap): at most {@code window + count - 1} bind calls,
 *       never more than {@code count} placeholders at a time. A run of {@code L} ports in use (a foreign reservation,
 *       which /proc/net does not list) costs about {@code L / count} failing binds, not {@code L}. A failing bind
 *       costs about 15 µs on the project machine (socket, bind, close and two exceptions): sweeping a full 8,192-port
 *       window for one port took 120 ms (NamespaceBlockAvailabilityTest), the default 28,232-port range would take
 *       about 0.4 s. Downwards, because Linux hands out ephemeral ports upwards: an upward sweep is chased by the
 *       connections it pushes past its held ports (four threads churning loopback connections in a 256-port range:
 *       181 of 15,000 acquire(TCP, 32) failed with an upward sweep, none with a downward one). Only when the sweep
 *       found no run does the search fail, with IN_USE naming the window, the count and the ports in the way.</li>
 * </ol>
 * Hints therefore only order the candidates: while a run of free ports exists, the search holds one. Ports found in
 * use are remembered ({@link RecentlyTakenPorts}), so that the next searches' preferred candidates avoid them.
 */
final class BlockSearch<P> {
    /** Candidates tried in the preferred phase before the sweep. */
    static final int PREFERRED_CANDIDATES = 8;
    /** Port ranges named in an IN_USE message before the rest is only counted. */
    static final int RANGES_NAMED = 8;
    private static final String IN_USE_TEXT = "Address already in use"; // as SocketErrors.map matches it

    /** Holds ports with placeholders of type {@code P} (in production, {@link Placeholders.Held}). */
    interface Holder<P> {
        /** Holds every port of {@code range}, all or nothing. */
        List<P> hold(PortRange range) throws Placeholders.HoldFailure;

        /** Holds {@code port}. */
        P holdOne(int port) throws Placeholders.HoldFailure;

        /** Releases placeholders that {@link #hold} or {@link #holdOne} returned. */
        void release(List<P> held);
    }

    /** The ports searched, and where that range comes from (named in IN_USE). */
    static final class Window {
        final int lo;
        final int hi;
        final String source;

        Window(int lo, int hi, String source) {
            this.lo = lo;
            this.hi = hi;
            this.source = source;
        }

        @Override
        public String toString() {
            return lo + "-" + hi + " (" + source + ")";
        }
    }

    /** The block held, with its placeholders. */
    static final class Found<P> {
        final PortRange range;
        final List<P> placeholders;

        Found(PortRange range, List<P> placeholders) {
            this.range = range;
            this.placeholders = placeholders;
        }
    }

    private final Protocol protocol;
    private final int count;
    private final Window window;
    private final ReservedPortSet reserved;
    private final RecentlyTakenPorts recentlyTaken;
    private final Consumer<BitSet> boundPorts;
    private final RandomGenerator random;
    private final Holder<P> holder;
    /** Candidates that met a port in use, both phases. */
    int collisions;
    /** Whether the sweep ran. */
    boolean swept;

    /**
     * @param boundPorts adds the ports that /proc/net lists as bound ({@code into -> BoundPorts.addTo(into, protocol)})
     */
    BlockSearch(Protocol protocol, int count, Window window, ReservedPortSet reserved, RecentlyTakenPorts recentlyTaken,
                Consumer<BitSet> boundPorts, RandomGenerator random, Holder<P> holder) {
        this.protocol = Objects.requireNonNull(protocol, "protocol");
        this.window = Objects.requireNonNull(window, "window");
        if (count < 1 || count > window.hi - window.lo + 1) {
            throw new IllegalArgumentException("count " + count + " does not fit in " + window);
        }
        this.count = count;
        this.reserved = Objects.requireNonNull(reserved, "reserved");
        this.recentlyTaken = Objects.requireNonNull(recentlyTaken, "recentlyTaken");
        this.boundPorts = Objects.requireNonNull(boundPorts, "boundPorts");
        this.random = Objects.requireNonNull(random, "random");
        this.holder = Objects.requireNonNull(holder, "holder");
    }

    /**
     * Holds a free block.
     *
     * @throws PortReservationException IN_USE when the sweep found no free run; the mapped error of any other bind
     *                                  failure (EMFILE: RESOURCE_LIMIT, ...) at once. Nothing stays held.
     */
    Found<P> run() {
        BitSet hint = reserved.toBitSet();
        recentlyTaken.addTo(hint, protocol);
        boolean scanned = false;
        for (int attempt = 0; attempt < PREFERRED_CANDIDATES; attempt++) {
            int start = firstFreeRun(hint, randomStart(), count, window.lo, window.hi);
            if (start < 0) {
                break; // the hints cover every run: only the sweep can tell
            }
            PortRange candidate = PortRange.of(start, count);
            try {
                return new Found<>(candidate, holder.hold(candidate));
            } catch (Placeholders.HoldFailure f) {
                requireInUse(f);
                collisions++;
                hint.set(f.port);
                recentlyTaken.remember(protocol, f.port);
                if (!scanned) {
                    scanned = true;
                    BitSet bound = new BitSet();
                    boundPorts.accept(bound);
                    recentlyTaken.remember(protocol, bound);
                    hint.or(bound);
                }
            }
        }
        return sweep();
    }

    /*
     * The sweep runs downwards: Linux hands out ephemeral ports upwards (connect() and bind(0) walk the range up from
     * an offset, and skip ports whose bind bucket exists, such as those held here), so connections made during an
     * upward sweep land just above the block held so far, which is where that sweep goes next. Swept downwards, the
     * two meet once. The code below works on indexes i = lo + hi - port, where "downwards" reads as "upwards".
     */
    private Found<P> sweep() {
        swept = true;
        Sweep sweep = new Sweep(mirrored(reserved.toBitSet()));
        int from = randomStart();
        try {
            Found<P> found = sweep.starts(from, window.hi - count + 1);
            if (found == null) {
                found = sweep.starts(window.lo, from - 1); // the wrap
            }
            if (found != null) {
                return found;
            }
        } finally {
            sweep.releaseEverything();
        }
        throw noFreeRun(sweep.inUse, window.lo + window.hi - (from + count - 1), sweep.last);
    }

    /** The state of one sweep, on indexes (see the comment above {@link #sweep()}). */
    private final class Sweep {
        final BitSet excluded;
        /** Ports, not indexes. */
        final BitSet inUse = new BitSet();
        Placeholders.HoldFailure last;
        /** Indexes heldLo, heldLo + 1, ... of the current candidate (after a collision, those past it). */
        final ArrayDeque<P> held = new ArrayDeque<>();
        int heldLo;
        /** The indexes being bound, from the candidate's last one back. */
        final List<P> fresh = new ArrayList<>();

        Sweep(BitSet excluded) {
            this.excluded = excluded;
        }

        /** Tries the starts of {@code s..end} in order: the block of the first one held whole, or null. */
        Found<P> starts(int s, int end) {
            releaseAll(held);
            while ((s = nextStart(excluded, s, count, end)) >= 0) {
                dropBefore(s);
                int failed = holdUpTo(s);
                if (failed < 0) {
                    return found(s);
                }
                s = failed + 1; // every start up to the failed index covers it
            }
            return null;
        }

        /** Releases the held indexes before the candidate {@code s} (a reserved port was skipped). */
        private void dropBefore(int s) {
            while (!held.isEmpty() && heldLo < s) {
                holder.release(List.of(held.pollFirst()));
                heldLo++;
            }
            if (held.isEmpty()) {
                heldLo = s;
            }
        }

        /**
         * Holds the candidate's indexes not held yet, from its last one back. Returns -1 when the candidate is held
         * whole, else the index in use; the indexes past it stay held (the next candidate's first ones).
         */
        private int holdUpTo(int s) {
            int top = heldLo + held.size() - 1; // s..top are held
            int i = s + count - 1;
            try {
                for (; i > top; i--) {
                    fresh.add(holder.holdOne(window.lo + window.hi - i));
                }
            } catch (Placeholders.HoldFailure f) {
                requireInUse(f);
                collisions++;
                inUse.set(f.port);
                last = f;
                releaseAll(held);
                moveReversed(fresh, held);
                heldLo = i + 1;
                return i;
            }
            moveReversed(fresh, held);
            return -1;
        }

        /** The held candidate {@code s} as a block of ports in ascending order; nothing stays in the sweep. */
        private Found<P> found(int s) {
            List<P> ascendingPorts = new ArrayList<>(count);
            for (Iterator<P> it = held.descendingIterator(); it.hasNext();) {
                ascendingPorts.add(it.next());
            }
            held.clear();
            return new Found<>(PortRange.of(window.lo + window.hi - (s + count - 1), count), ascendingPorts);
        }

        /** Releases what is still held (nothing after a success) and remembers the ports found in use. */
        void releaseEverything() {
            releaseAll(held);
            if (!fresh.isEmpty()) {
                holder.release(fresh);
            }
            if (!inUse.isEmpty()) {
                recentlyTaken.remember(protocol, inUse);
            }
        }
    }

    /** The indexes lo + hi - port of the ports of {@code ports} that are in the window. */
    private BitSet mirrored(BitSet ports) {
        BitSet indexes = new BitSet();
        for (int p = ports.nextSetBit(window.lo); p >= 0 && p <= window.hi; p = ports.nextSetBit(p + 1)) {
            indexes.set(window.lo + window.hi - p);
        }
        return indexes;
    }

    /** Appends {@code reversed} (bound from the last index back) to {@code held} in order, and empties it. */
    private static <P> void moveReversed(List<P> reversed, ArrayDeque<P> held) {
        for (int i = reversed.size() - 1; i >= 0; i--) {
            held.addLast(reversed.get(i));
        }
        reversed.clear();
    }

    private void releaseAll(ArrayDeque<P> held) {
        if (!held.isEmpty()) {
            holder.release(new ArrayList<>(held));
            held.clear();
        }
    }

    private PortReservationException noFreeRun(BitSet inUse, int firstStart, Placeholders.HoldFailure last) {
        BitSet reservedInWindow = reserved.toBitSet();
        reservedInWindow.clear(0, window.lo);
        reservedInWindow.clear(window.hi + 1, Math.max(window.hi + 1, reservedInWindow.length()));
        StringBuilder inTheWay = new StringBuilder();
        if (!inUse.isEmpty()) {
            inTheWay.append(describe(inUse)).append(" in use");
        }
        if (!reservedInWindow.isEmpty()) {
            inTheWay.append(inTheWay.length() == 0 ? "" : " and ").append(describe(reservedInWindow))
                    .append(" in net.ipv4.ip_local_reserved_ports");
        }
        String what = count == 1 ? "no free " + protocol + " port"
                : "no run of " + count + " consecutive free " + protocol + " ports";
        return new PortReservationException(Reason.IN_USE, what + " in " + window + ": a sweep of every start, down "
                + "from " + firstStart + " and around once, found " + inTheWay + "; close the sockets or "
                + "reservations that hold them (see 'ss -atunp'), ask for fewer ports, widen "
                + "net.ipv4.ip_local_port_range, or acquire a specific free range",
                last == null ? null : last.getCause());
    }

    /** Throws the mapped error unless {@code f} is a port in use (EADDRINUSE); nothing is held after a failure. */
    private void requireInUse(Placeholders.HoldFailure f) {
        if (f.io() instanceof BindException && String.valueOf(f.io().getMessage()).contains(IN_USE_TEXT)) {
            return; // the common case, without building an exception
        }
        PortReservationException mapped = SocketErrors.map("reserve " + protocol + " port " + f.port, f.io(), "");
        if (mapped.reason() != Reason.IN_USE) {
            throw mapped;
        }
    }

    private int randomStart() {
        return window.lo + random.nextInt(window.hi - count + 2 - window.lo);
    }

    /**
     * The first start at or after {@code from} (wrapping around to {@code lo} once) of {@code count} consecutive ports
     * of {@code lo..hi} that are not in {@code taken}, or -1 when there is none.
     */
    static int firstFreeRun(BitSet taken, int from, int count, int lo, int hi) {
        int lastStart = hi - count + 1;
        int s = nextStart(taken, from, count, lastStart);
        return s >= 0 ? s : nextStart(taken, lo, count, Math.min(from - 1, lastStart));
    }

    /**
     * The first start in {@code from..lastStart} of {@code count} consecutive ports not in {@code taken}, or -1. Costs
     * O(taken ports in the way), not O(ports).
     */
    static int nextStart(BitSet taken, int from, int count, int lastStart) {
        int s = from;
        while (s <= lastStart) {
            int t = taken.nextSetBit(s);
            if (t < 0 || t >= s + count) {
                return s;
            }
            s = t + 1;
        }
        return -1;
    }

    /** "port 40010", "ports 40000-40063 (64 in all)", "ports 40010, 40026, ... and 3 more ranges (20 in all)". */
    static String describe(BitSet ports) {
        int total = ports.cardinality();
        StringBuilder sb = new StringBuilder(total == 1 ? "port " : "ports ");
        int ranges = 0;
        for (int a = ports.nextSetBit(0); a >= 0; ) {
            int b = ports.nextClearBit(a) - 1;
            if (ranges < RANGES_NAMED) {
                sb.append(ranges == 0 ? "" : ", ").append(a);
                if (b > a) {
                    sb.append('-').append(b);
                }
            }
            ranges++;
            a = ports.nextSetBit(b + 1);
        }
        if (ranges > RANGES_NAMED) {
            sb.append(" and ").append(ranges - RANGES_NAMED).append(" more range").append(
                    ranges - RANGES_NAMED == 1 ? "" : "s");
        }
        if (total > 1) {
            sb.append(" (").append(total).append(" in all)");
        }
        return sb.toString();
    }
}
