package io.github.portreservation.linux;

import io.github.portreservation.PortReservationException;
import io.github.portreservation.PortReservationException.Reason;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.AccessDeniedException;
import java.nio.file.FileSystemException;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.nio.file.StandardOpenOption;
import java.util.function.UnaryOperator;

/**
 * Reads and read-modify-writes {@code /proc/sys/net/ipv4/ip_local_reserved_ports} (or a regular file holding a copy,
 * for tests and tools).
 *
 * <p><b>Reading</b> takes one read() at offset 0 ({@link ProcFiles#readSysctl}): the kernel returns end-of-file for
 * any later read. <b>Writing</b> hands the kernel the whole text in one write() and, when the kernel took only part
 * of it, the whole rest in the next one. The kernel parses at most 4,095 bytes (a page less one) per write(), stops
 * after the last complete entry and returns how much it took; a write at a nonzero position adds its entries to the
 * list, one at position 0 replaces it. Any other split (such as {@code Files.write}'s 8 KiB chunks) cuts a port number
 * in two: {@code "22728,22"} then {@code "730"} reserve 22 and 730 instead of 22728. The list is then read back and
 * must be exactly the set written.
 *
 * <p>A list longer than 4,095 bytes of text is therefore replaced in several steps: between them, for the time of a
 * system call, the entries after the first 4 KiB are briefly missing. Writes by all instances in this JVM are
 * serialized; the kernel offers no lock between processes, so a change another process makes between this read and
 * write is overwritten (one it makes between the write and the read-back is reported).
 */
public final class ReservedPortsFile {
    /** The sysctl of the current network namespace. */
    public static final Path SYSCTL = Paths.get("/proc/sys/net/ipv4/ip_local_reserved_ports");
    private static final Object WRITE_LOCK = new Object();
    private static final int CAP_NET_ADMIN = 12;

    private final Path path;

    /** A view of {@code path}. */
    public ReservedPortsFile(Path path) {
        if (path == null) {
            throw PortReservationException.invalidArgument("reserved-ports file null", "must be a path",
                    "pass ReservedPortsFile.SYSCTL or the path of a file holding a copy of the list");
        }
        this.path = path;
    }

    /** The file this reads and writes. */
    public Path path() {
        return path;
    }

    /**
     * The current set.
     *
     * @throws PortReservationException UNSUPPORTED when the file does not exist, ACCESS_DENIED when it cannot be
     *         read, INVALID_ARGUMENT naming a malformed entry, SYSTEM_ERROR for other read errors
     */
    public ReservedPortSet read() {
        String text;
        try {
            text = ProcFiles.readSysctl(path);
        } catch (NoSuchFileException e) {
            throw new PortReservationException(Reason.UNSUPPORTED, path + " does not exist: this kernel or network "
                    + "namespace has no ip_local_reserved_ports; persistent reservations need Linux 2.6.35 or later "
                    + "with /proc mounted", e);
        } catch (IOException e) {
            throw failure("read", e);
        }
        return ReservedPortSet.parse(text, path.toString());
    }

    /**
     * Replaces the set with {@code change.apply(current)}, serialized with every other update in this JVM, and reads
     * it back. {@code change} may throw to refuse; nothing is written then.
     *
     * @return the set written
     * @throws PortReservationException ACCESS_DENIED when the kernel refuses the write (naming the rule), SYSTEM_ERROR
     *         when the write fails or the list read back is not the set written (naming the difference)
     */
    public ReservedPortSet update(UnaryOperator<ReservedPortSet> change) {
        if (change == null) {
            throw PortReservationException.invalidArgument("change null", "must be a function of the current set",
                    "pass a function such as current -> current.with(range)");
        }
        synchronized (WRITE_LOCK) {
            ReservedPortSet before = read();
            ReservedPortSet next = change.apply(before);
            if (next == null) {
                throw PortReservationException.invalidArgument("the changed set null", "change must return a set",
                        "return the current set to leave it as it is");
            }
            write(next, before);
            ReservedPortSet after = read();
            if (!after.equals(next)) {
                throw new PortReservationException(Reason.SYSTEM_ERROR, "wrote \"" + shorten(next.format()) + "\" to "
                        + path + " but it now reads \"" + shorten(after.format()) + "\" ("
                        + ReservedPortSet.difference(next, after) + "): another process changed the list at the "
                        + "same moment, or the kernel did not take the whole text; check it with 'sysctl "
                        + "net.ipv4.ip_local_reserved_ports' and repeat the call");
            }
            return next;
        }
    }

    /**
     * Writes {@code next}; when a write() failed after the file was opened (for a regular file, opening truncated
     * it; for the sysctl, an earlier write() may have replaced part of the list), writes {@code before} back so that
     * no half-written list is left.
     */
    private void write(ReservedPortSet next, ReservedPortSet before) {
        FileChannel ch;
        try {
            ch = FileChannel.open(path, StandardOpenOption.WRITE, StandardOpenOption.TRUNCATE_EXISTING);
        } catch (IOException e) {
            throw failure("write", e); // nothing was written
        }
        ByteBuffer text = encode(next);
        try (FileChannel open = ch) {
            writeAll(open, text);
        } catch (IOException e) {
            String restored;
            try (FileChannel again = FileChannel.open(path, StandardOpenOption.WRITE,
                    StandardOpenOption.TRUNCATE_EXISTING)) {
                writeAll(again, encode(before));
                restored = "the previous list was written back";
            } catch (IOException restoreFailure) {
                e.addSuppressed(restoreFailure);
                restored = "writing the previous list back failed too (" + restoreFailure.getMessage() + "), so the "
                        + "list may be incomplete: it was \"" + shorten(before.format()) + "\"";
            }
            throw new PortReservationException(Reason.SYSTEM_ERROR, "writing " + path + " failed after "
                    + text.position() + " of " + text.limit() + " bytes were taken (" + e.getMessage() + "); "
                    + restored + "; check it with 'cat " + path + "' and repeat the call", e);
        }
    }

    /** The text of {@code set} and a newline; an empty list is a lone newline, which clears it. */
    private static ByteBuffer encode(ReservedPortSet set) {
        return ByteBuffer.wrap((set.format() + "\n").getBytes(StandardCharsets.US_ASCII));
    }

    /** Writes {@code text}, each write() given all that the kernel has not taken yet. */
    private static void writeAll(FileChannel ch, ByteBuffer text) throws IOException {
        while (text.hasRemaining()) {
            if (ch.write(text) <= 0) {
                throw new IOException("the kernel took none of the last " + text.remaining() + " bytes");
            }
        }
    }

    /** The exception for an I/O error of {@code verb} ("read", "write"), naming the kernel's rule for the sysctl. */
    private PortReservationException failure(String verb, IOException e) {
        String msg = e instanceof AccessDeniedException ? "Permission denied"
                : e instanceof FileSystemException && ((FileSystemException) e).getReason() != null
                ? ((FileSystemException) e).getReason() : String.valueOf(e.getMessage());
        String failed = "cannot " + verb + " " + path + " (" + msg + "): ";
        boolean sysctl = path.toAbsolutePath().normalize().startsWith("/proc/sys");
        if (msg.contains("Read-only file system")) {
            return new PortReservationException(Reason.ACCESS_DENIED, failed + (sysctl
                    ? "/proc/sys is mounted read-only here (as in most containers), which refuses every writer, root "
                    + "or not; set the list from outside, on the host or through the container runtime (docker run "
                    + "--sysctl net.ipv4.ip_local_reserved_ports=...)"
                    : "the file system is mounted read-only; use a file on a writable file system"), e);
        }
        if (msg.contains("Permission denied") || msg.contains("Operation not permitted")) {
            if (!sysctl || verb.equals("read")) {
                return new PortReservationException(Reason.ACCESS_DENIED, failed + "the file's permissions refuse "
                        + "this process (" + credentials() + "); use a file it may " + verb + ", or run it as the "
                        + "file's owner", e);
            }
            return new PortReservationException(Reason.ACCESS_DENIED, failed + "the kernel lets a process write "
                    + "net.ipv4.ip_local_reserved_ports when its effective uid is 0 in the initial user namespace (no "
                    + "capability needed) or when it has CAP_NET_ADMIN in the user namespace that owns this network "
                    + "namespace (any uid); group root and CAP_DAC_OVERRIDE do not count; this process has "
                    + credentials() + "; run it as root, grant it CAP_NET_ADMIN (e.g. AmbientCapabilities="
                    + "CAP_NET_ADMIN in its systemd unit), or have an administrator run 'sysctl -w "
                    + "net.ipv4.ip_local_reserved_ports=...'", e);
        }
        return new PortReservationException(Reason.SYSTEM_ERROR, "cannot " + verb + " " + path + ": " + msg
                + "; check the file with 'cat " + path + "' and repeat the call", e);
    }

    private static String shorten(String text) {
        return text.length() <= 200 ? text : text.substring(0, 200) + "... (" + text.length() + " bytes)";
    }

    /** This process's effective uid and effective CAP_NET_ADMIN, from {@code /proc/self/status}, for messages. */
    private static String credentials() {
        String euid = "unknown";
        String netAdmin = "unknown";
        try {
            for (String line : ProcFiles.read(Paths.get("/proc/self/status")).split("\n")) {
                String[] f = line.trim().split("\\s+");
                if (f[0].equals("Uid:") && f.length > 2) {
                    euid = f[2];
                } else if (f[0].equals("CapEff:") && f.length > 1) {
                    netAdmin = (Long.parseUnsignedLong(f[1], 16) & (1L << CAP_NET_ADMIN)) != 0 ? "yes" : "no";
                }
            }
        } catch (IOException | RuntimeException e) {
            return "credentials unknown (" + e.getMessage() + ")";
        }
        return "effective uid " + euid + ", effective CAP_NET_ADMIN " + netAdmin;
    }
}
