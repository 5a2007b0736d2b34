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

    /**
     * The whole content of {@code path} as ASCII text.
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
