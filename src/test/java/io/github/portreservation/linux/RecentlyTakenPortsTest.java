package io.github.portreservation.linux;

import io.github.portreservation.Protocol;
import org.junit.jupiter.api.Test;

import java.util.BitSet;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class RecentlyTakenPortsTest {
    private final AtomicLong now = new AtomicLong(1_000);
    private final RecentlyTakenPorts recent = new RecentlyTakenPorts(now::get);

    @Test
    void aSnapshotIsAddedPerProtocolUntilItExpires() {
        BitSet taken = new BitSet();
        taken.set(40000);
        taken.set(50123);
        recent.remember(Protocol.TCP, taken);
        taken.set(40001); // the snapshot is a copy: later changes of the caller's set are not in it

        BitSet tcp = new BitSet();
        tcp.set(1);
        recent.addTo(tcp, Protocol.TCP);
        assertEquals("{1, 40000, 50123}", tcp.toString());

        BitSet udp = new BitSet();
        recent.addTo(udp, Protocol.UDP);
        assertTrue(udp.isEmpty(), "TCP ports are not skipped for UDP: " + udp);

        now.addAndGet(TimeUnit.SECONDS.toNanos(RecentlyTakenPorts.TTL_SECONDS) - 1);
        BitSet stillFresh = new BitSet();
        recent.addTo(stillFresh, Protocol.TCP);
        assertEquals(2, stillFresh.cardinality());

        now.incrementAndGet();
        BitSet expired = new BitSet();
        recent.addTo(expired, Protocol.TCP);
        assertTrue(expired.isEmpty(), "expired snapshot still used: " + expired);
    }

    @Test
    void aNewSnapshotReplacesTheOldOne() {
        BitSet first = new BitSet();
        first.set(33000);
        recent.remember(Protocol.UDP, first);
        BitSet second = new BitSet();
        second.set(34000);
        recent.remember(Protocol.UDP, second);
        BitSet into = new BitSet();
        recent.addTo(into, Protocol.UDP);
        assertEquals("{34000}", into.toString());
    }
}
