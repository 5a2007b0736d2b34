package io.github.portreservation.linux;

import io.github.portreservation.PortReservationException;
import io.github.portreservation.PortReservationException.Reason;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.function.UnaryOperator;

/** The writes of a {@link ReservedPortsFile}: see its class comment for how the kernel takes them. */
final class ReservedPortsWriter {
    private static final Object WRITE_LOCK = new Object();

    private ReservedPortsWriter() {
    }

    /** {@link ReservedPortsFile#update}: read, change, write whole, read back; serialized in this JVM. */
    static ReservedPortSet update(ReservedPortsFile file, UnaryOperator<ReservedPortSet> change) {
        Path path = file.path();
        synchronized (WRITE_LOCK) {
            ReservedPortSet before = file.read();
            ReservedPortSet next = change.apply(before);
            if (next == null) {
                throw PortReservationException.invalidArgument("the changed set null", "change must return a set",
                        "return the current set to leave it as it is");
            }
            write(path, next, before);
            ReservedPortSet after = file.read();
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
    private static void write(Path path, ReservedPortSet next, ReservedPortSet before) {
        FileChannel ch;
        try {
            ch = FileChannel.open(path, StandardOpenOption.WRITE, StandardOpenOption.TRUNCATE_EXISTING);
        } catch (IOException e) {
            throw ReservedPortsErrors.failure(path, "write", e); // nothing was written
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

    /** {@code text}, cut to 200 characters for messages. */
    static String shorten(String text) {
        return text.length() <= 200 ? text : text.substring(0, 200) + "... (" + text.length() + " bytes)";
    }

}
