package io.github.portreservation.linux;

import io.github.portreservation.Protocol;
import io.github.portreservation.internal.Log;

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
    private static final Log logger = Log.of(BoundPorts.class);
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

    /** The TCP state number of TIME_WAIT in /proc/net/tcp (include/net/tcp_states.h). */
    static final int TCP_TIME_WAIT = 6;

    /**
     * How many TCP sockets (IPv4 and IPv6) in TIME_WAIT have local port {@code port}: 0 when none or when the tables
     * cannot be read. Reads both files (milliseconds): for error messages only, never on a success path.
     */
    static int timeWaitSockets(int port) {
        int count = 0;
        for (Path file : TCP) {
            try {
                count += countInState(ProcFiles.read(file), port, TCP_TIME_WAIT);
            } catch (IOException | RuntimeException e) {
                logger.debug("Cannot read {}; not counting its TIME_WAIT sockets", file, e);
            }
        }
        return count;
    }

    /**
     * Counts the lines of a /proc/net/tcp table whose local port is {@code port} and whose state column ({@code st},
     * the fourth, in hex) is {@code state}.
     */
    static int countInState(String table, int port, int state) {
        int count = 0;
        String[] lines = table.split("\n");
        for (int i = 1; i < lines.length; i++) { // line 0 is the header
            String[] fields = lines[i].trim().split("\\s+");
            if (fields.length < 4) {
                continue;
            }
            int colon = fields[1].lastIndexOf(':');
            try {
                if (colon > 0 && Integer.parseInt(fields[1].substring(colon + 1), 16) == port
                        && Integer.parseInt(fields[3], 16) == state) {
                    count++;
                }
            } catch (NumberFormatException e) {
                // not a socket line
            }
        }
        return count;
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
