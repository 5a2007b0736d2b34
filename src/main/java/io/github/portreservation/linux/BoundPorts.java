package io.github.portreservation.linux;

import io.github.portreservation.Protocol;
import io.netty.util.internal.logging.InternalLogger;
import io.netty.util.internal.logging.InternalLoggerFactory;

import java.io.IOException;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.BitSet;

/**
 * The ports that sockets of this network namespace are bound to, from {@code /proc/net/{tcp,tcp6}} or
 * {@code /proc/net/{udp,udp6}} (listening, connected and TIME_WAIT sockets alike, of every user). The block search
 * skips them instead of holding a candidate block port by port until it meets one: with a few ports in use in the
 * ephemeral range, a 4,096-port request otherwise held and released thousands of placeholders per collision
 * (docs/benchmarks.md, B4). A snapshot: a port bound after the read is still found by the hold itself.
 */
final class BoundPorts {
    private static final InternalLogger logger = InternalLoggerFactory.getInstance(BoundPorts.class);
    private static final Path[] TCP = {Paths.get("/proc/net/tcp"), Paths.get("/proc/net/tcp6")};
    private static final Path[] UDP = {Paths.get("/proc/net/udp"), Paths.get("/proc/net/udp6")};

    private BoundPorts() {
    }

    /** Sets in {@code into} the local ports of every {@code protocol} socket; unreadable files are skipped. */
    static void addTo(BitSet into, Protocol protocol) {
        for (Path file : protocol == Protocol.TCP ? TCP : UDP) {
            try {
                parse(ProcFiles.read(file), into);
            } catch (IOException | RuntimeException e) {
                logger.debug("Cannot read {}; not skipping the ports bound there", file, e);
            }
        }
    }

    /** Parses a /proc/net table: after the header, the second column of each line is {@code HEXADDR:HEXPORT}. */
    static void parse(String table, BitSet into) {
        int line = table.indexOf('\n');
        while (line >= 0 && line + 1 < table.length()) {
            int next = table.indexOf('\n', line + 1);
            int end = next < 0 ? table.length() : next;
            int colon = table.indexOf(':', table.indexOf(':', line + 1) + 1); // past "sl:", the address's colon
            if (colon > 0 && colon < end) {
                int portEnd = colon + 1;
                while (portEnd < end && Character.digit(table.charAt(portEnd), 16) >= 0) {
                    portEnd++;
                }
                if (portEnd > colon + 1) {
                    into.set(Integer.parseInt(table.substring(colon + 1, portEnd), 16));
                }
            }
            line = next;
        }
    }
}
