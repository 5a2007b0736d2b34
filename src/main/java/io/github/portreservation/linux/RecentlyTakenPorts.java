package io.github.portreservation.linux;

import io.github.portreservation.Protocol;

import java.util.BitSet;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReferenceArray;
import java.util.function.LongSupplier;

/**
 * The ports that the last block search of each protocol found taken (ports it collided with, the bound ports of
 * {@code /proc/net} it read after the first collision), kept for {@value #TTL_SECONDS} seconds so that the next searches
 * skip them from their first candidate. Without it, every search paid again for the same few ports in use: with a
 * handful of long-lived connections in the ephemeral range, a large block often covers one of them, and each such
 * search paid for the ports held before it plus a read of /proc/net (docs/benchmarks.md, B4). The snapshot is only a
 * hint: a port freed since is skipped for a few seconds, a port taken since is still found by the hold itself.
 */
final class RecentlyTakenPorts {
    /** How long a snapshot is used. */
    static final long TTL_SECONDS = 10;
    private static final long TTL_NANOS = TimeUnit.SECONDS.toNanos(TTL_SECONDS);

    private final LongSupplier nanoClock;
    private final AtomicReferenceArray<Snapshot> byProtocol = new AtomicReferenceArray<>(Protocol.values().length);

    RecentlyTakenPorts(LongSupplier nanoClock) {
        this.nanoClock = nanoClock;
    }

    /** Adds to {@code into} the ports of {@code protocol}'s last snapshot, if it is younger than the TTL. */
    void addTo(BitSet into, Protocol protocol) {
        Snapshot s = byProtocol.get(protocol.ordinal());
        if (s != null && nanoClock.getAsLong() - s.takenAtNanos < TTL_NANOS) {
            into.or(s.ports);
        }
    }

    /** Replaces {@code protocol}'s snapshot by a copy of {@code taken}. */
    void remember(Protocol protocol, BitSet taken) {
        byProtocol.set(protocol.ordinal(), new Snapshot((BitSet) taken.clone(), nanoClock.getAsLong()));
    }

    private static final class Snapshot {
        final BitSet ports;
        final long takenAtNanos;

        Snapshot(BitSet ports, long takenAtNanos) {
            this.ports = ports;
            this.takenAtNanos = takenAtNanos;
        }
    }
}
