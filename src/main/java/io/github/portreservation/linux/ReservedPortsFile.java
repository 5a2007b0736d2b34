package io.github.portreservation.linux;

import io.github.portreservation.PortReservationException;
import io.github.portreservation.PortReservationException.Reason;

import java.io.FileOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.AccessDeniedException;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.function.UnaryOperator;

/**
 * Reads and read-modify-writes {@code /proc/sys/net/ipv4/ip_local_reserved_ports} (or any file of the same format,
 * for tests), keeping every entry but the one changed byte for byte.
 *
 * <p>How the kernel's handler ({@code proc_do_large_bitmap}) treats the file, as checked on this project's machines:
 * a read prints the whole list into the caller's buffer and a read at a nonzero offset is end-of-file, so the list is
 * read with one large read; a write parses at most 4,095 bytes (one page less one) up to the last complete entry and
 * returns the bytes it took, a first write replaces the list, and each following write on the same descriptor adds
 * its entries. A list longer than that is therefore written in pieces that end after a comma, and for the few
 * microseconds between the first piece and the last the kernel holds only part of the list. The list is read back
 * after writing and must be exactly what was written.
 *
 * <p>Writes inside this JVM are serialized; the kernel offers no lock between processes, so two administrators editing
 * the list at the same instant can still lose an update.
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

    /** Most bytes the kernel parses in one write: a page less one. */
    static final int WRITE_PIECE_BYTES = 4095;

    /** The current set. */
    public ReservedPortSet read() {
        try {
            return ReservedPortSet.parse(ProcFiles.readSysctl(path));
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
                write(next.format());
            } catch (IOException e) {
                throw failure("write", e);
            }
            ReservedPortSet written = read();
            if (!written.equals(next)) {
                throw new PortReservationException(Reason.SYSTEM_ERROR, "wrote \"" + next.format() + "\" to " + path
                        + " but it now holds \"" + written.format() + "\" (another writer at the same instant?); "
                        + "check the list with 'sysctl net.ipv4.ip_local_reserved_ports' and retry");
            }
            return next;
        }
    }

    /**
     * Writes {@code list} in pieces of at most {@value #WRITE_PIECE_BYTES} bytes, each but the last ending after a
     * comma, on one descriptor; an empty list is written as a newline, which clears it.
     */
    private void write(String list) throws IOException {
        byte[] text = (list + "\n").getBytes(StandardCharsets.US_ASCII);
        try (FileOutputStream out = new FileOutputStream(path.toFile()); FileChannel ch = out.getChannel()) {
            int offset = 0;
            while (offset < text.length) {
                int end = pieceEnd(text, offset);
                ByteBuffer piece = ByteBuffer.wrap(text, offset, end - offset);
                int written = ch.write(piece);
                if (written <= 0) {
                    throw new IOException(path + " took no byte of \"" + new String(text, offset, end - offset,
                            StandardCharsets.US_ASCII) + "\"");
                }
                offset += written;
            }
        }
    }

    /** The end of the piece that starts at {@code offset}: the text's end, or just after the last comma that fits. */
    static int pieceEnd(byte[] text, int offset) {
        if (text.length - offset <= WRITE_PIECE_BYTES) {
            return text.length;
        }
        for (int i = offset + WRITE_PIECE_BYTES - 1; i > offset; i--) {
            if (text[i] == ',') {
                return i + 1;
            }
        }
        return offset + WRITE_PIECE_BYTES; // no comma: cannot happen for a list of ports
    }

    private PortReservationException failure(String verb, IOException e) {
        String msg = String.valueOf(e.getMessage());
        if (e instanceof AccessDeniedException || msg.contains("Permission denied")
                || msg.contains("Operation not permitted") || msg.contains("Read-only file system")) {
            return new PortReservationException(Reason.ACCESS_DENIED, "cannot " + verb + " " + path
                    + ": net.ipv4.ip_local_reserved_ports is writable by its owner, root (uid 0, even without "
                    + "capabilities), and by a process with CAP_NET_ADMIN over the network namespace's user namespace, "
                    + "and only where /proc/sys is mounted read-write (a container often mounts it read-only); run as "
                    + "root or with CAP_NET_ADMIN, or have an administrator run "
                    + "'sysctl -w net.ipv4.ip_local_reserved_ports=...'", e);
        }
        return new PortReservationException(Reason.SYSTEM_ERROR, "cannot " + verb + " " + path + ": " + msg, e);
    }
}
