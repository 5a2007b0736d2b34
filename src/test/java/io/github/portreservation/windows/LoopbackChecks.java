package io.github.portreservation.windows;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.DatagramChannel;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** Traffic checks on loopback shared by the double-backed and the real-Windows tests. */
final class LoopbackChecks {
    private LoopbackChecks() {
    }

    /** Sends one datagram to {@code address} and asserts that the blocking {@code receiver} gets it. */
    static void assertDatagramArrives(DatagramChannel receiver, InetSocketAddress address) throws IOException {
        try (DatagramChannel sender = DatagramChannel.open()) {
            sender.send(ByteBuffer.wrap(new byte[] {42}), address);
        }
        ByteBuffer received = ByteBuffer.allocate(4);
        receiver.receive(received);
        assertEquals(1, received.position());
        assertEquals(42, received.get(0));
    }
}
