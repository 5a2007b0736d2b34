package io.github.portreservation.windows;

import io.github.portreservation.PortRange;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.channels.DatagramChannel;
import java.nio.channels.ServerSocketChannel;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;

/**
 * Finds blocks of loopback ports that are free for both TCP and UDP on this Linux host, so that the sockets the
 * double hands ports to can really bind them.
 */
final class FreePorts {
    private FreePorts() {
    }

    /** A block of {@code count} ports between 20000 and 32000, all free right now for TCP and UDP on 127.0.0.1. */
    static PortRange block(int count) {
        for (int attempt = 0; attempt < 200; attempt++) {
            int start = 20000 + ThreadLocalRandom.current().nextInt(12000 - count);
            if (allFree(start, count)) {
                return PortRange.of(start, count);
            }
        }
        throw new IllegalStateException("no free block of " + count + " loopback ports found");
    }

    private static boolean allFree(int start, int count) {
        List<AutoCloseable> held = new ArrayList<>();
        try {
            InetAddress loopback = InetAddress.getLoopbackAddress();
            for (int port = start; port < start + count; port++) {
                ServerSocketChannel tcp = ServerSocketChannel.open();
                held.add(tcp);
                tcp.bind(new InetSocketAddress(loopback, port));
                DatagramChannel udp = DatagramChannel.open();
                held.add(udp);
                udp.bind(new InetSocketAddress(loopback, port));
            }
            return true;
        } catch (IOException e) {
            return false;
        } finally {
            for (AutoCloseable c : held) {
                try {
                    c.close();
                } catch (Exception ignored) {
                    // probing only
                }
            }
        }
    }
}
