package io.github.portreservation.linux;

import io.github.portreservation.PortRange;
import io.github.portreservation.PortReservationException;
import io.github.portreservation.PortReservationException.Reason;
import io.github.portreservation.Protocol;

import java.net.BindException;
import java.nio.channels.NetworkChannel;
import java.util.BitSet;
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
 *   <li><b>The sweep</b>, when no preferred candidate could be held (or no run avoids the hints): starts at a random
 *       port of the window and tries every start in order, wrapping around once. It ignores every hint except
 *       {@code net.ipv4.ip_local_reserved_ports}, which acquire never takes (like port 0 never does). After a collision
 *       it goes on just past the port in use, so every port of the window is bound at most once, and the
 *       {@code count - 1} ports after the random start at most twice: at most {@code window + count - 1} bind calls
 *       (about 3-6 µs each when the port is in use, docs/linux.md). Only when the sweep found no run does the search
 *       fail, with IN_USE naming the window, the count and the ports in the way.</li>
 * </ol>
 * Hints therefore only order the candidates: while a run of free ports exists, the search holds one. Ports found in
 * use are remembered ({@link RecentlyTakenPorts}), so that the next searches' preferred candidates avoid them.
 */
final class BlockSearch {
    /** Candidates tried in the preferred phase before the sweep. */
    static final int PREFERRED_CANDIDATES = 8;
    /** Port ranges named in an IN_USE message before the rest is only counted. */
    static final int RANGES_NAMED = 8;
    private static final String IN_USE_TEXT = "Address already in use"; // as SocketErrors.map matches it

    /** Holds every port of a range, all or nothing (in production, {@link Placeholders#hold}). */
    @FunctionalInterface
    interface Holder {
        List<NetworkChannel> hold(PortRange range) throws Placeholders.HoldFailure;
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
    static final class Found {
        final PortRange range;
        final List<NetworkChannel> placeholders;

        Found(PortRange range, List<NetworkChannel> placeholders) {
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
    private final Holder holder;
    /** Candidates that met a port in use, both phases. */
    int collisions;
    /** Whether the sweep ran. */
    boolean swept;

    /**
     * @param boundPorts adds the ports that /proc/net lists as bound ({@code into -> BoundPorts.addTo(into, protocol)})
     */
    BlockSearch(Protocol protocol, int count, Window window, ReservedPortSet reserved, RecentlyTakenPorts recentlyTaken,
                Consumer<BitSet> boundPorts, RandomGenerator random, Holder holder) {
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
    Found run() {
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
                return new Found(candidate, holder.hold(candidate));
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

    private Found sweep() {
        swept = true;
        BitSet excluded = reserved.toBitSet();
        BitSet inUse = new BitSet();
        int lastStart = window.hi - count + 1;
        int from = randomStart();
        Placeholders.HoldFailure last = null;
        try {
            // First the starts from..lastStart, then lo..from-1 (the wrap).
            for (int phase = 0; phase < 2; phase++) {
                int end = phase == 0 ? lastStart : from - 1;
                int s = phase == 0 ? from : window.lo;
                while ((s = nextStart(excluded, s, count, end)) >= 0) {
                    PortRange candidate = PortRange.of(s, count);
                    try {
                        return new Found(candidate, holder.hold(candidate));
                    } catch (Placeholders.HoldFailure f) {
                        requireInUse(f);
                        collisions++;
                        inUse.set(f.port);
                        last = f;
                        s = f.port + 1; // every start up to f.port covers f.port
                    }
                }
            }
        } finally {
            if (!inUse.isEmpty()) {
                recentlyTaken.remember(protocol, inUse);
            }
        }
        throw noFreeRun(excluded, inUse, from, last);
    }

    private PortReservationException noFreeRun(BitSet excluded, BitSet inUse, int from,
                                               Placeholders.HoldFailure last) {
        BitSet reservedInWindow = (BitSet) excluded.clone();
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
        return new PortReservationException(Reason.IN_USE, what + " in " + window + ": a sweep of every start from "
                + from + " (wrapping around once) found " + inTheWay + "; close the sockets or reservations that "
                + "hold them (see 'ss -atunp'), ask for fewer ports, widen net.ipv4.ip_local_port_range, or acquire a "
                + "specific free range", last == null ? null : last.getCause());
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
