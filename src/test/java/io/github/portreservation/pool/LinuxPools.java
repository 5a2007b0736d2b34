package io.github.portreservation.pool;

import io.github.portreservation.PortRange;
import io.github.portreservation.PortReservationException;
import io.github.portreservation.PortReservationException.Reason;
import io.github.portreservation.PortReservationProvider;
import io.github.portreservation.PortReservations;
import org.junit.jupiter.api.function.Executable;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.nio.channels.DatagramChannel;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

/** Helpers for pool tests on the real Linux provider (held-port checks: {@code testing.HeldPorts}). */
final class LinuxPools {
    /** The IPv6 loopback address, ::1. */
    static final InetAddress V6 = ipv6Loopback();

    private LinuxPools() {
    }

    private static InetAddress ipv6Loopback() {
        try {
            return InetAddress.getByName("::1");
        } catch (UnknownHostException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    /** Whether a UDP socket binds ::1 here (an IPv6 loopback is configured): tests on it assume so. */
    static boolean ipv6LoopbackWorks() {
        try (DatagramChannel probe = DatagramChannel.open()) {
            probe.bind(new InetSocketAddress(V6, 0));
            return true;
        } catch (IOException | UnsupportedOperationException e) {
            return false;
        }
    }

    /** The real Linux provider; the test class says {@code @RequiresProvider(PortReservations.LINUX)}. */
    static PortReservationProvider provider() {
        return PortReservations.provider(PortReservations.LINUX);
    }

    /** Asserts that {@code port} is in one of {@code ranges}. */
    static void assertInside(int port, Iterable<PortRange> ranges) {
        for (PortRange r : ranges) {
            if (r.contains(port)) {
                return;
            }
        }
        assertEquals("a port of " + ranges, "port " + port);
    }

    /** Asserts that {@code call} fails with {@code reason}; returns the exception. */
    static PortReservationException expect(Reason reason, Executable call) {
        PortReservationException e = assertThrows(PortReservationException.class, call);
        assertEquals(reason, e.reason(), e.getMessage());
        return e;
    }

    /** Asserts the leased and free ports of {@code pool}, with no bind failure and nothing quarantined. */
    static void assertCounts(ReservationPool pool, int leased, int free, String what) {
        PoolStatistics s = pool.statistics();
        assertEquals(leased + " leased, " + free + " free, 0 failures, 0 quarantined", s.leased() + " leased, "
                + s.free() + " free, " + s.failures() + " failures, " + s.quarantined() + " quarantined", what);
    }
}
