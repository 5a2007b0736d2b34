package io.github.portreservation.testing;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.time.Duration;
import java.util.HashSet;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.locks.LockSupport;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * The one descriptor snapshot of the tests: this process's open descriptors as {@code "fd -> target"} (a socket's
 * target names its inode). A leak check compares sets, never counts: a descriptor the JVM closes meanwhile (a jar, a
 * socket an earlier test left to a cleaner) is not in the "opened since" set, so it cannot make a check fail or pass.
 */
public final class Descriptors {
    private static final Path FDS = Paths.get("/proc/self/fd");
    /** How long a file (not a socket) opened since a baseline may stay open before a leak check counts it. */
    private static final Duration FILE_SETTLE = Duration.ofMillis(200);

    private Descriptors() {
    }

    /** This process's open descriptors now (not the listing's own). */
    public static Set<String> snapshot() {
        Set<String> open = new HashSet<>();
        try (Stream<Path> fds = Files.list(FDS)) {
            fds.forEach(fd -> {
                try {
                    String target = Files.readSymbolicLink(fd).toString();
                    if (!target.equals(FDS.toString()) && !target.startsWith("/proc/")) {
                        open.add(fd.getFileName() + " -> " + target);
                    }
                } catch (IOException e) {
                    // closed while listing (the listing's own descriptor among them)
                }
            });
        } catch (IOException e) {
            throw new AssertionError("cannot list " + FDS, e);
        }
        return open;
    }

    /** The descriptors open now that were not open in {@code baseline}. */
    public static Set<String> openedSince(Set<String> baseline) {
        Set<String> opened = new TreeSet<>(snapshot());
        opened.removeAll(baseline);
        return opened;
    }

    /** The sockets open now that were not open in {@code baseline}. */
    public static Set<String> socketsOpenedSince(Set<String> baseline) {
        return socketsAmong(openedSince(baseline));
    }

    private static Set<String> socketsAmong(Set<String> fds) {
        Set<String> sockets = new TreeSet<>();
        for (String fd : fds) {
            if (fd.contains("socket:[")) {
                sockets.add(fd);
            }
        }
        return sockets;
    }

    /** The sockets of {@code baseline} that are closed now. */
    public static Set<String> socketsClosedSince(Set<String> baseline) {
        Set<String> closed = new TreeSet<>(baseline);
        closed.removeAll(snapshot());
        closed.removeIf(fd -> !fd.contains("socket:["));
        return closed;
    }

    /**
     * Asserts that every descriptor open now was open in {@code baseline}, naming the sockets that leaked. Sockets are
     * checked at once; files get {@link #FILE_SETTLE} to close, because the JVM reads files of its own for a moment
     * (HotSpot reads the cgroup's {@code memory.limit_in_bytes} when it adds a compiler thread: a snapshot caught it).
     */
    public static void assertNoneOpenedSince(Set<String> baseline, String what) {
        Set<String> opened = openedSince(baseline);
        long deadline = System.nanoTime() + FILE_SETTLE.toNanos();
        while (!opened.isEmpty() && socketsAmong(opened).isEmpty() && System.nanoTime() < deadline) {
            LockSupport.parkNanos(1_000_000);
            opened = openedSince(baseline);
        }
        if (!opened.isEmpty()) {
            fail(what + ": still open " + opened + describe(opened));
        }
    }

    /** Asserts that exactly {@code count} sockets were opened since {@code baseline} and are open now. */
    public static void assertSocketsOpenedSince(Set<String> baseline, int count, String what) {
        assertEquals(count, socketsOpenedSince(baseline).size(), what);
    }

    /** Waits (see {@link Await}) until every descriptor opened since {@code baseline} is closed again. */
    public static void awaitNoneOpenedSince(Set<String> baseline) throws InterruptedException {
        Await.until(() -> "descriptors still open: " + describeOpened(baseline),
                () -> openedSince(baseline).isEmpty());
    }

    private static String describeOpened(Set<String> baseline) {
        Set<String> opened = openedSince(baseline);
        return opened + describe(opened);
    }

    /** What {@code ss} knows about the sockets among {@code fds}, to name a leak. */
    private static String describe(Set<String> fds) {
        StringBuilder sb = new StringBuilder();
        try {
            Process ss = new ProcessBuilder("ss", "-a", "-e", "-n", "-t", "-u", "-x").redirectErrorStream(true)
                    .start();
            String[] lines = new String(ss.getInputStream().readAllBytes(), StandardCharsets.UTF_8).split("\n");
            for (String fd : fds) {
                int open = fd.indexOf("socket:[");
                if (open < 0) {
                    continue;
                }
                String inode = fd.substring(open + 8, fd.length() - 1);
                for (String line : lines) {
                    if (line.contains("ino:" + inode + " ")) {
                        sb.append("\n  ").append(line.trim());
                    }
                }
            }
        } catch (IOException e) {
            sb.append(" (ss failed: ").append(e.getMessage()).append(')');
        }
        return sb.toString();
    }
}
