package io.github.portreservation.linux;

import io.github.portreservation.PortReservationException;
import io.github.portreservation.PortReservationException.Reason;

import java.io.IOException;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.function.UnaryOperator;

/**
 * Reads and read-modify-writes {@code /proc/sys/net/ipv4/ip_local_reserved_ports} (or a regular file holding a copy,
 * for tests and tools).
 *
 * <p>Reading is this class's (the block search reads the list at every {@code acquire}); writing and the texts of
 * failures live in {@link ReservedPortsWriter} and {@link ReservedPortsErrors}, loaded only when used.
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
            throw ReservedPortsErrors.failure(path, "read", e);
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
        return ReservedPortsWriter.update(this, change);
    }
}
