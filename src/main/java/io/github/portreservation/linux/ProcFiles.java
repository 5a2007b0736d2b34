package io.github.portreservation.linux;

import java.io.FileInputStream;
import java.io.FileNotFoundException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Arrays;

/**
 * Reads small /proc files. {@code Files.readAllBytes} trusts the file size, which procfs reports as 0, and on JDK 17
 * returned only the first byte of {@code ip_local_port_range} here; reading to the end is reliable. A plain
 * {@link FileInputStream} with a small buffer costs about half of {@code Files.newInputStream(..).readAllBytes()},
 * and every {@code acquire(protocol, count)} reads two of these files.
 */
final class ProcFiles {
    private ProcFiles() {
    }

    /** Largest text of ip_local_reserved_ports: 32,768 single ports of up to 5 digits, each with a comma. */
    static final int SYSCTL_READ_BYTES = 256 * 1024;

    /**
     * The value of the procfs sysctl {@code path}, read with ONE read(): the kernel's handler for port lists
     * ({@code proc_do_large_bitmap}) prints the whole value into the caller's buffer and answers any read at a nonzero
     * offset with end-of-file, so a second read of a long list returns nothing and the value would be cut.
     *
     * @throws IOException when the value fills the buffer (it could be cut), or the read fails
     */
    static String readSysctl(Path path) throws IOException {
        try (InputStream in = open(path)) {
            byte[] buf = new byte[SYSCTL_READ_BYTES];
            int length = Math.max(0, in.read(buf, 0, buf.length)); // FileInputStream: one read(2) of buf.length
            if (length == buf.length) {
                throw new IOException(path + " holds more than " + buf.length + " bytes: it cannot be read whole");
            }
            return new String(buf, 0, length, StandardCharsets.US_ASCII);
        }
    }

    /**
     * The whole content of {@code path} as ASCII text, read until end-of-file (for seq_file tables such as
     * /proc/net/tcp, which support reading in pieces; use {@link #readSysctl} for sysctl values).
     *
     * @throws NoSuchFileException when the file does not exist (as {@code Files} reports it)
     */
    static String read(Path path) throws IOException {
        try (InputStream in = open(path)) {
            byte[] buf = new byte[256];
            int length = 0;
            for (int n; (n = in.read(buf, length, buf.length - length)) > 0;) {
                length += n;
                if (length == buf.length) {
                    buf = Arrays.copyOf(buf, buf.length * 2);
                }
            }
            return new String(buf, 0, length, StandardCharsets.US_ASCII);
        }
    }

    private static InputStream open(Path path) throws IOException {
        try {
            return new FileInputStream(path.toFile());
        } catch (FileNotFoundException e) {
            if (String.valueOf(e.getMessage()).contains("No such file")) {
                NoSuchFileException missing = new NoSuchFileException(path.toString());
                missing.initCause(e);
                throw missing;
            }
            throw e;
        }
    }
}
