package io.github.portreservation.linux;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Reads small /proc files. {@code Files.readAllBytes} trusts the file size, which procfs reports as 0, and on JDK 17
 * returned only the first byte of {@code ip_local_port_range} here; reading the stream to its end is reliable.
 */
final class ProcFiles {
    private ProcFiles() {
    }

    /** The whole content of {@code path} as ASCII text. */
    static String read(Path path) throws IOException {
        try (InputStream in = Files.newInputStream(path)) {
            return new String(in.readAllBytes(), StandardCharsets.US_ASCII);
        }
    }
}
