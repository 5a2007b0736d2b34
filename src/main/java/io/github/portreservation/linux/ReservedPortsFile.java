package io.github.portreservation.linux;

import io.github.portreservation.PortReservationException;
import io.github.portreservation.PortReservationException.Reason;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.AccessDeniedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.nio.file.StandardOpenOption;
import java.util.function.UnaryOperator;

/**
 * Reads and read-modify-writes {@code /proc/sys/net/ipv4/ip_local_reserved_ports} (or any file of the same format,
 * for tests). Writes inside this JVM are serialized; the kernel offers no lock between processes, so two
 * administrators editing the list at the same instant can still lose an update.
 */
public final class ReservedPortsFile {
    /** The sysctl of the current network namespace. */
    public static final Path SYSCTL = Paths.get("/proc/sys/net/ipv4/ip_local_reserved_ports");

    private final Path path;
    private final Object writeLock = new Object();

    /** A view of {@code path}. */
    public ReservedPortsFile(Path path) {
        this.path = path;
    }

    /** The file this reads and writes. */
    public Path path() {
        return path;
    }

    /** The current set. */
    public ReservedPortSet read() {
        try {
            return ReservedPortSet.parse(ProcFiles.read(path));
        } catch (NoSuchFileException e) {
            throw new PortReservationException(Reason.UNSUPPORTED, path + " does not exist: this kernel or network "
                    + "namespace has no ip_local_reserved_ports; persistent reservations need Linux 2.6.35 or later "
                    + "with /proc mounted", e);
        } catch (IOException e) {
            throw failure("read", e);
        }
    }

    /**
     * Replaces the set with {@code change.apply(current)}, under this JVM's lock. {@code change} may throw to refuse.
     *
     * @return the set written
     */
    public ReservedPortSet update(UnaryOperator<ReservedPortSet> change) {
        synchronized (writeLock) {
            ReservedPortSet next = change.apply(read());
            try {
                // The kernel parses one write; an empty list is written as a newline to clear it.
                String text = next.format() + "\n";
                Files.write(path, text.getBytes(StandardCharsets.US_ASCII), StandardOpenOption.WRITE,
                        StandardOpenOption.TRUNCATE_EXISTING);
            } catch (IOException e) {
                throw failure("write", e);
            }
            return next;
        }
    }

    private PortReservationException failure(String verb, IOException e) {
        String msg = String.valueOf(e.getMessage());
        if (e instanceof AccessDeniedException || msg.contains("Permission denied")
                || msg.contains("Operation not permitted") || msg.contains("Read-only file system")) {
            return new PortReservationException(Reason.ACCESS_DENIED, "cannot " + verb + " " + path
                    + ": changing net.ipv4.ip_local_reserved_ports needs root (CAP_NET_ADMIN in the network namespace's "
                    + "user namespace) and a writable /proc/sys; run as root, or have an administrator run "
                    + "'sysctl -w net.ipv4.ip_local_reserved_ports=...'", e);
        }
        return new PortReservationException(Reason.SYSTEM_ERROR, "cannot " + verb + " " + path + ": " + msg, e);
    }
}
