package io.github.portreservation.linux;

import io.github.portreservation.PortRange;
import io.github.portreservation.internal.Log;

import java.io.IOException;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.List;

/** The window that a block search of {@code LinuxPortReservationProvider.acquire(protocol, count)} looks in. */
final class EphemeralRange {
    private static final Path LOCAL_PORT_RANGE = Paths.get("/proc/sys/net/ipv4/ip_local_port_range");
    private static final String LOCAL_PORT_RANGE_SYSCTL = "net.ipv4.ip_local_port_range";

    private EphemeralRange() {
    }

    /** The ephemeral range when the block fits in it, else 1024-65535 (or 1-65535). */
    static BlockSearch.Window window(int count) {
        int lo = 32768;
        int hi = 60999;
        String source = LOCAL_PORT_RANGE_SYSCTL;
        try {
            List<String> parts = ProcFiles.fields(ProcFiles.read(LOCAL_PORT_RANGE), "");
            lo = Integer.parseInt(parts.get(0));
            hi = Integer.parseInt(parts.get(1));
        } catch (IOException | RuntimeException e) {
            Log.of(EphemeralRange.class).debug("Cannot read {}, using {}-{}", LOCAL_PORT_RANGE, lo, hi, e);
            source = "the default ephemeral range: " + LOCAL_PORT_RANGE + " could not be read";
        }
        if (hi - lo + 1 < count) {
            source = "the ephemeral range " + lo + "-" + hi + " (" + LOCAL_PORT_RANGE_SYSCTL + ") has fewer than "
                    + count + " ports";
            lo = 1024;
            hi = PortRange.MAX_PORT;
            if (hi - lo + 1 < count) {
                lo = 1;
            }
        }
        return new BlockSearch.Window(lo, hi, source);
    }
}
