package io.github.portreservation.linux;

import io.github.portreservation.PortRange;
import io.github.portreservation.Protocol;

import java.util.ArrayDeque;
import java.util.BitSet;
import java.util.Iterator;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;

/**
 * The ports that block searches of each protocol found taken in the last {@value #TTL_SECONDS} seconds (ports a
 * candidate collided with, the bound ports of {@code /proc/net} read after a search's first collision), so that the
 * next searches' preferred candidates avoid them from the start. Without it, every search paid again for the same few
 * ports in use: with a handful of long-lived connections in the ephemeral range, a large block often covers one of
 * them, and each such search paid for the ports held before it plus a read of /proc/net (docs/benchmarks.md, B4).
 *
 * <p>Only a hint, which orders candidates and never excludes one ({@link BlockSearch}): a port freed since is merely
 * tried later, a port taken since is still found by the hold itself. Each port lives {@value #TTL_SECONDS} seconds
 * from the time it was <em>observed</em> taken: observing other ports does not renew it (the ports are kept in
 * generations of {@value #GENERATION_SECONDS} second; a port observed in a generation that is already open lives up to
 * that much less). The ports of a reservation of this process are forgotten when it closes ({@link #forget}): they
 * are free again, and this process's own placeholders (bound but not listed in /proc/net) are what its own searches
 * collide with most.
 */
final class RecentlyTakenPorts {
    /** How long an observed port is remembered. */
    static final long TTL_SECONDS = 10;
    /** Width of a generation: ports observed within it share its start time. */
    static final long GENERATION_SECONDS = 1;
    private static final long TTL_NANOS = TimeUnit.SECONDS.toNanos(TTL_SECONDS);
    private static final long GENERATION_NANOS = TimeUnit.SECONDS.toNanos(GENERATION_SECONDS);

    /** The clock in nanoseconds; null: {@link System#nanoTime()} (no clock class on the way to a first bind). */
    private final LongSupplier nanoClock;
    /** Per protocol, made when a port of it is first found taken (fields, not an array: no class load before). */
    private Generations tcp;
    private Generations udp;

    /** Ports observed by {@code nanoClock}, or by {@link System#nanoTime()} when it is null. */
    RecentlyTakenPorts(LongSupplier nanoClock) {
        this.nanoClock = nanoClock;
    }

    /** Adds to {@code into} the ports of {@code protocol} observed taken less than the TTL ago. */
    void addTo(BitSet into, Protocol protocol) {
        Generations g = generations(protocol, false);
        if (g != null) {
            g.addTo(into, now());
        }
    }

    /** Remembers that {@code port} was found taken now. */
    void remember(Protocol protocol, int port) {
        generations(protocol, true).add(now(), port, null);
    }

    /** Remembers that every port of {@code ports} was found taken now (the caller's set is not kept). */
    void remember(Protocol protocol, BitSet ports) {
        if (!ports.isEmpty()) {
            generations(protocol, true).add(now(), -1, ports);
        }
    }

    /** Forgets the ports of {@code range}: a reservation of this process released them. */
    void forget(Protocol protocol, PortRange range) {
        Generations g = generations(protocol, false);
        if (g != null) {
            g.clear(range.start(), range.end());
        }
    }

    private long now() {
        return nanoClock == null ? System.nanoTime() : nanoClock.getAsLong();
    }

    private synchronized Generations generations(Protocol protocol, boolean create) {
        Generations g = protocol == Protocol.TCP ? tcp : udp;
        if (g == null && create) {
            g = new Generations();
            if (protocol == Protocol.TCP) {
                tcp = g;
            } else {
                udp = g;
            }
        }
        return g;
    }

    /** Generations of one protocol, oldest first; every method holds the monitor. */
    private static final class Generations {
        private final ArrayDeque<Generation> generations = new ArrayDeque<>();

        synchronized void addTo(BitSet into, long now) {
            if (generations.isEmpty()) {
                return;
            }
            dropExpired(now);
            for (Generation g : generations) {
                into.or(g.ports);
            }
        }

        /** Adds {@code port} (when not negative) and {@code ports} (when not null) to the current generation. */
        synchronized void add(long now, int port, BitSet ports) {
            dropExpired(now);
            Generation newest = generations.peekLast();
            if (newest == null || now - newest.startNanos >= GENERATION_NANOS) {
                newest = new Generation(now);
                generations.addLast(newest);
            }
            if (port >= 0) {
                newest.ports.set(port);
            }
            if (ports != null) {
                newest.ports.or(ports);
            }
        }

        synchronized void clear(int first, int last) {
            for (Iterator<Generation> it = generations.iterator(); it.hasNext();) {
                BitSet ports = it.next().ports;
                int p = ports.nextSetBit(first);
                if (p >= 0 && p <= last) {
                    ports.clear(first, last + 1);
                    if (ports.isEmpty()) {
                        it.remove();
                    }
                }
            }
        }

        private void dropExpired(long now) {
            while (!generations.isEmpty() && now - generations.peekFirst().startNanos >= TTL_NANOS) {
                generations.removeFirst();
            }
        }
    }

    private static final class Generation {
        final BitSet ports = new BitSet();
        final long startNanos;

        Generation(long startNanos) {
            this.startNanos = startNanos;
        }
    }
}
