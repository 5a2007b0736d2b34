package io.github.portreservation.pool;

import io.github.portreservation.PortRange;
import io.github.portreservation.PortReservationProvider;
import io.github.portreservation.PortReservations;


import static org.junit.jupiter.api.Assertions.assertEquals;

/** Helpers for pool tests on the real Linux provider (held-port checks: {@code testing.HeldPorts}). */
final class LinuxPools {
    private LinuxPools() {
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
}
