package io.github.portreservation.linux;

import io.github.portreservation.PortReservationException;
import io.github.portreservation.PortReservationException.Reason;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.List;
import java.util.stream.Stream;

/**
 * Checks, before holding N ports, that the process can open N more file descriptors (RLIMIT_NOFILE, read from
 * {@code /proc/self/limits}), so a large reservation fails with a clear message instead of halfway.
 */
final class DescriptorBudget {
    /** Descriptors left free for the application after a reservation. */
    static final int MARGIN = 64;
    private static final Path LIMITS = Paths.get("/proc/self/limits");
    private static final Path FDS = Paths.get("/proc/self/fd");

    private DescriptorBudget() {
    }

    /**
     * Throws RESOURCE_LIMIT when {@code needed} more descriptors would leave fewer than {@link #MARGIN} free.
     * Requests of fewer than {@link #MARGIN} ports are not checked: reading the limit and counting the open
     * descriptors costs as much as holding a dozen ports (docs/benchmarks.md, B4), and a small request that runs out
     * of descriptors fails within a few sockets anyway, with RESOURCE_LIMIT (EMFILE), everything released.
     */
    static void ensureHeadroom(int needed, String what) {
        if (needed < MARGIN) {
            return;
        }
        long soft = softLimit();
        if (soft < 0) {
            return; // unlimited or unknown
        }
        long open = openDescriptors();
        if (open < 0) {
            return;
        }
        if (open + needed + MARGIN > soft) {
            throw new PortReservationException(Reason.RESOURCE_LIMIT, what + " needs " + needed
                    + " file descriptors (one per held port) but the process has " + open + " open of a soft limit of "
                    + soft + " (RLIMIT_NOFILE), and " + MARGIN + " are kept free; raise the limit with 'ulimit -n' "
                    + "(LimitNOFILE= under systemd) or reserve fewer ports");
        }
    }

    /** The soft RLIMIT_NOFILE, or -1 when unlimited or unreadable. */
    static long softLimit() {
        try {
            List<String> lines = Files.readAllLines(LIMITS);
            for (String line : lines) {
                if (line.startsWith("Max open files")) {
                    String soft = ProcFiles.fields(line.substring("Max open files".length()), "").get(0);
                    return "unlimited".equals(soft) ? -1 : Long.parseLong(soft);
                }
            }
        } catch (IOException | RuntimeException e) {
            return -1;
        }
        return -1;
    }

    /** Number of open descriptors of this process, or -1 when unreadable. */
    static long openDescriptors() {
        try (Stream<Path> s = Files.list(FDS)) {
            return s.count();
        } catch (IOException | RuntimeException e) {
            return -1;
        }
    }
}
