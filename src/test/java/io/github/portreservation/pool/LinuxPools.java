package io.github.portreservation.pool;

import io.github.portreservation.PortRange;
import io.github.portreservation.PortReservationProvider;
import io.github.portreservation.PortReservations;

import java.io.IOException;
import java.net.BindException;
import java.net.InetSocketAddress;
import java.nio.channels.ServerSocketChannel;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

/** Helpers for pool tests on the real Linux provider: the provider, held-port checks. */
final class LinuxPools {
    private LinuxPools() {
    }

    /** The real Linux provider; the test class says {@code @RequiresProvider(PortReservations.LINUX)}. */
    static PortReservationProvider provider() {
        return PortReservations.provider(PortReservations.LINUX);
    }

    /** Asserts that a socket without SO_REUSEPORT (as another program would open) cannot bind {@code port}. */
    static void assertHeld(int port) throws IOException {
        try (ServerSocketChannel intruder = ServerSocketChannel.open()) {
            assertThrows(BindException.class, () -> intruder.bind(new InetSocketAddress(port)),
                    "port " + port + " should be held");
        }
    }

    /** Asserts that every port of {@code range} is held. */
    static void assertHeld(PortRange range) throws IOException {
        for (int p = range.start(); p <= range.end(); p++) {
            assertHeld(p);
        }
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
