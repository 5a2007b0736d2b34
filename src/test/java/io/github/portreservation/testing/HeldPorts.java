package io.github.portreservation.testing;

import io.github.portreservation.PortRange;

import java.io.IOException;
import java.net.BindException;
import java.net.InetSocketAddress;
import java.nio.channels.DatagramChannel;
import java.nio.channels.ServerSocketChannel;

import static org.junit.jupiter.api.Assertions.assertThrows;

/** Whether ports are held, seen as another program sees them: a socket without SO_REUSEPORT cannot bind them. */
public final class HeldPorts {
    private HeldPorts() {
    }

    /** Asserts that a socket without SO_REUSEPORT (as another program would open) cannot bind {@code port}. */
    public static void assertHeld(int port) throws IOException {
        try (ServerSocketChannel intruder = ServerSocketChannel.open()) {
            assertThrows(BindException.class, () -> intruder.bind(new InetSocketAddress(port)),
                    "port " + port + " should be held");
        }
    }

    /** Asserts that a UDP socket without SO_REUSEPORT (as another program would open) cannot bind {@code port}. */
    public static void assertUdpHeld(int port) throws IOException {
        try (DatagramChannel intruder = DatagramChannel.open()) {
            assertThrows(BindException.class, () -> intruder.bind(new InetSocketAddress(port)),
                    "UDP port " + port + " should be held");
        }
    }

    /** Asserts that every port of {@code range} is held. */
    public static void assertHeld(PortRange range) throws IOException {
        for (int p = range.start(); p <= range.end(); p++) {
            assertHeld(p);
        }
    }
}
