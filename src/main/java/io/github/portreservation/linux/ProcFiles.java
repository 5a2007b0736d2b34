package io.github.portreservation.linux;

import java.io.FileInputStream;
import java.io.FileNotFoundException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Reads /proc files. Two kinds behave differently:
 * <ul>
 *   <li>seq files ({@code /proc/net/tcp}, {@code /proc/self/status}) are read to the end with {@link #read}: one
 *       read() may return less than the whole file, the next one continues.</li>
 *   <li>sysctls ({@code /proc/sys/...}) are read with {@link #readSysctl}: the kernel formats the value afresh for
 *       each read() and returns end-of-file for any read at a nonzero offset ({@code proc_do_large_bitmap},
 *       {@code proc_dointvec}), so the whole value must come from ONE read() with a large enough buffer. Reading
 *       {@code ip_local_reserved_ports} in 256-byte steps returned its first 256 bytes and then end-of-file, cutting
 *       the list in the middle of a port number.</li>
 * </ul>
 * {@code Files.readAllBytes} trusts the file size, which procfs reports as 0, and on JDK 17 returned only the first
 * byte of {@code ip_local_port_range} here. A plain {@link FileInputStream} with a small buffer costs about half of
 * {@code Files.newInputStream(..).readAllBytes()}, and every {@code acquire(protocol, count)} reads two of these files.
 */
final class ProcFiles {
    /**
     * The largest text {@link #readSysctl} accepts. {@code ip_local_reserved_ports} prints at most 254,738 bytes
     * (mostly pairs of ports one free port apart, {@code "0-1,3-4,6-7,..."}), which a 256 KiB buffer holds.
     */
    static final int SYSCTL_MAX_BYTES = 1 << 20;
    /** The first buffer of {@link #readSysctl}: the usual lists are a few entries. */
    private static final int SYSCTL_FIRST_BUFFER = 4096;

    private ProcFiles() {
    }

    /**
     * The fields of {@code text}: the runs of characters between blanks (space, tab, newline, vertical tab, form feed,
     * carriage return: regex {@code \s}) and the characters of {@code separators}, none empty. What
     * {@code split("[\s,]+")} gave, without a regular expression: the first one of a JVM loads and compiles the regex
     * engine (docs/benchmarks.md, start-up).
     */
    static List<String> fields(String text, String separators) {
        List<String> fields = new ArrayList<>();
        int start = -1;
        for (int i = 0; i <= text.length(); i++) {
            boolean separator = i == text.length() || isBlank(text.charAt(i))
                    || separators.indexOf(text.charAt(i)) >= 0;
            if (separator && start >= 0) {
                fields.add(text.substring(start, i));
                start = -1;
            } else if (!separator && start < 0) {
                start = i;
            }
        }
        return fields;
    }

    private static boolean isBlank(char c) {
        return c == ' ' || c == '\t' || c == '\n' || c == '\u000B' || c == '\f' || c == '\r';
    }

    /**
     * The whole content of a seq file (or a sysctl shorter than 256 bytes) as ASCII text, read to end-of-file.
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

    /**
     * The whole value of a sysctl (or of a regular file holding a copy of one) as ASCII text, from one read() at
     * offset 0. A read that fills its buffer may have been cut, so it is repeated at offset 0 with a buffer eight
     * times larger, up to {@value #SYSCTL_MAX_BYTES} bytes.
     *
     * @throws NoSuchFileException when the file does not exist
     * @throws IOException also when the text is longer than {@value #SYSCTL_MAX_BYTES} bytes
     */
    static String readSysctl(Path path) throws IOException {
        try (FileChannel ch = FileChannel.open(path, StandardOpenOption.READ)) {
            for (int size = SYSCTL_FIRST_BUFFER; ; size = Math.min(size * 8, SYSCTL_MAX_BYTES + 1)) {
                ByteBuffer buf = ByteBuffer.allocate(size);
                int n = Math.max(0, ch.read(buf, 0));
                if (n < size) {
                    return new String(buf.array(), 0, n, StandardCharsets.US_ASCII);
                }
                if (size > SYSCTL_MAX_BYTES) {
                    throw new IOException(path + " holds more than " + SYSCTL_MAX_BYTES + " bytes, which no sysctl "
                            + "value does");
                }
            }
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
