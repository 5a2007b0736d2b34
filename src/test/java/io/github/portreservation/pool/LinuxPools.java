package io.github.portreservation.pool;

import io.github.portreservation.PortRange;
import io.github.portreservation.PortReservationProvider;
import io.github.portreservation.PortReservations;

import java.io.IOException;
import java.net.BindException;
import java.net.InetSocketAddress;
import java.nio.channels.ServerSocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.concurrent.TimeUnit;
import java.util.Set;
import java.util.function.IntSupplier;
import java.util.stream.Collectors;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/** Helpers for pool tests on the real Linux provider: the provider, descriptor counts, held-port checks. */
final class LinuxPools {
    private LinuxPools() {
    }

    /** The platform's real provider; skips the test where there is none. */
    static PortReservationProvider provider() {
        assumeTrue(PortReservations.isAvailable(), () -> "no port reservation provider: "
                + PortReservations.unavailabilityCause());
        PortReservationProvider provider = PortReservations.provider();
        assumeTrue("linux".equals(provider.name()), "these tests exercise the Linux provider");
        return provider;
    }

    /** Waits up to 10 s until {@code value} returns {@code expected}. */
    static void await(String what, int expected, IntSupplier value) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        int v;
        while ((v = value.getAsInt()) != expected) {
            assertTrue(System.nanoTime() < deadline, what + ": expected " + expected + " but was " + v);
            Thread.sleep(2);
        }
    }

    /** Asserts that a socket without SO_REUSEPORT (as another program would open) cannot bind {@code port}. */
    static void assertHeld(int port) throws IOException {
        try (ServerSocketChannel intruder = ServerSocketChannel.open()) {
            assertThrows(BindException.class, () -> intruder.bind(new InetSocketAddress(port)),
                    "port " + port + " should be held");
        }
    }

    /** Asserts that a UDP socket without SO_REUSEPORT (as another program would open) cannot bind {@code port}. */
    static void assertUdpHeld(int port) throws IOException {
        try (java.nio.channels.DatagramChannel intruder = java.nio.channels.DatagramChannel.open()) {
            assertThrows(BindException.class, () -> intruder.bind(new InetSocketAddress(port)),
                    "UDP port " + port + " should be held");
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
