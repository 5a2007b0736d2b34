package io.github.portreservation.linux;

import io.github.portreservation.PortRange;
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

    /**
     * Was "a new snapshot replaces the old one": every collision stored the whole set again with a new time, so ports
     * seen once were renewed by every later collision and never expired while searches kept colliding (issue
     * [holding] 5). Now each port lives from the time it was observed.
     */
    @Test
    void aNewObservationNeitherReplacesNorRenewsTheOldOnes() {
        BitSet first = new BitSet();
        first.set(33000);
        recent.remember(Protocol.UDP, first);
        now.addAndGet(TimeUnit.SECONDS.toNanos(5));
        recent.remember(Protocol.UDP, 34000);
        assertEquals("{33000, 34000}", hinted(Protocol.UDP));

        now.addAndGet(TimeUnit.SECONDS.toNanos(RecentlyTakenPorts.TTL_SECONDS - 5));
        assertEquals("{34000}", hinted(Protocol.UDP), "33000 expired 10 s after it was seen, 34000 did not renew it");

        now.addAndGet(TimeUnit.SECONDS.toNanos(5));
        assertEquals("{}", hinted(Protocol.UDP));
    }

    @Test
    void portsSeenWithinOneGenerationExpireTogether() {
        recent.remember(Protocol.TCP, 40000);
        now.addAndGet(TimeUnit.SECONDS.toNanos(RecentlyTakenPorts.GENERATION_SECONDS) - 1);
        recent.remember(Protocol.TCP, 40001); // same generation as 40000
        now.incrementAndGet();
        recent.remember(Protocol.TCP, 40002); // a new one
        now.addAndGet(TimeUnit.SECONDS.toNanos(RecentlyTakenPorts.TTL_SECONDS - RecentlyTakenPorts.GENERATION_SECONDS));
        assertEquals("{40002}", hinted(Protocol.TCP), "40001 lived up to one generation less than the TTL");
    }

    @Test
    void aReleasedRangeIsForgottenInEveryGenerationAndOnlyForItsProtocol() {
        BitSet seen = new BitSet();
        seen.set(40000, 40010);
        recent.remember(Protocol.TCP, seen);
        recent.remember(Protocol.UDP, seen);
        now.addAndGet(TimeUnit.SECONDS.toNanos(3));
        recent.remember(Protocol.TCP, 40005);
        recent.remember(Protocol.TCP, 40020);
        recent.forget(Protocol.TCP, PortRange.parse("40003-40007"));
        assertEquals("{40000, 40001, 40002, 40008, 40009, 40020}", hinted(Protocol.TCP));
        assertEquals("{40000, 40001, 40002, 40003, 40004, 40005, 40006, 40007, 40008, 40009}", hinted(Protocol.UDP),
                "UDP keeps its ports");
    }

    private String hinted(Protocol protocol) {
        return bitsOf(protocol).toString();
    }

    private BitSet bitsOf(Protocol protocol) {
        BitSet into = new BitSet();
        recent.addTo(into, protocol);
        return into;
    }
}
