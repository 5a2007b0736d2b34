package io.github.portreservation.linux;

import io.github.portreservation.PortReservationException;
import io.github.portreservation.PortReservationException.Reason;

import java.io.File;
import java.io.FileInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.URISyntaxException;
import java.net.URL;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.nio.file.StandardOpenOption;
import java.security.CodeSource;
import java.util.Locale;
import java.util.zip.ZipEntry;
import java.util.zip.ZipFile;

/**
 * Availability of this library's Linux native helper, in the style of Netty's {@code Epoll}: {@link #isAvailable()},
 * {@link #ensureAvailability()}, {@link #unavailabilityCause()}.
 *
 * <p>The helper is a small JNI library shipped in the jar ({@code META-INF/native/}, built for linux-x86_64). It opens
 * the placeholder sockets that hold reserved ports on every address: IPv6 too when the JVM runs with
 * {@code -Djava.net.preferIPv4Stack=true}, and UDP placeholders that never receive a datagram (see docs/linux.md).
 * It is loaded once, on first use, from a copy written to {@value #WORKDIR_PROPERTY} (default {@code java.io.tmpdir},
 * which must allow executable mappings) and deleted right after loading. {@value #DISABLE_PROPERTY}{@code =false}
 * turns it off; the provider then holds ports with JDK sockets, which cannot hold everything (docs/linux.md).
 */
public final class LinuxNative {
    /** System property: the directory the native library is copied to before loading (default java.io.tmpdir). */
    public static final String WORKDIR_PROPERTY = "io.github.portreservation.native.workdir";
    /** System property: {@code false} disables the native helper. */
    public static final String DISABLE_PROPERTY = "io.github.portreservation.native";
    /** Why the helper cannot be used, or null: it is loaded once, when this class is first used. */
    private static final Throwable CAUSE = load();

    private LinuxNative() {
    }

    /** Whether the native helper is loaded and usable. */
    public static boolean isAvailable() {
        return CAUSE == null;
    }

    /**
     * Throws when the native helper cannot be used here.
     *
     * @throws PortReservationException UNSUPPORTED, with the reason as cause
     */
    public static void ensureAvailability() {
        if (CAUSE != null) {
            throw new PortReservationException(Reason.UNSUPPORTED, "the Linux native helper of netty-port-reservation "
                    + "is not available: " + CAUSE.getMessage(), CAUSE);
        }
    }

    /** Why the native helper cannot be used, or null when it can. */
    public static Throwable unavailabilityCause() {
        return CAUSE;
    }

    /** The resource name of the library for {@code os.arch}, e.g. linux-x86_64. */
    static String resourceName(String osArch) {
        String arch = osArch.toLowerCase(Locale.ROOT);
        if (arch.equals("amd64") || arch.equals("x86_64")) {
            arch = "x86_64";
        } else if (arch.equals("arm64")) {
            arch = "aarch64";
        }
        return "META-INF/native/libnetty_port_reservation_linux_" + arch + ".so";
    }


    private static Throwable load() {
        if ("false".equalsIgnoreCase(System.getProperty(DISABLE_PROPERTY))) {
            return new IllegalStateException("disabled by -D" + DISABLE_PROPERTY + "=false");
        }
        if (!System.getProperty("os.name", "").toLowerCase(Locale.ROOT).contains("linux")) {
            return new IllegalStateException("it is for Linux, this is " + System.getProperty("os.name"));
        }
        String resource = resourceName(System.getProperty("os.arch", ""));
        try {
            byte[] helper = readResource(resource);
            if (helper == null) {
                return new IllegalStateException("the jar has no " + resource + " (it is built for linux-x86_64; "
                        + "this JVM's os.arch is " + System.getProperty("os.arch") + ")");
            }
            Path dir = Paths.get(System.getProperty(WORKDIR_PROPERTY, System.getProperty("java.io.tmpdir")));
            // A name of our own rather than Files.createTempFile, whose random name creates a SecureRandom (the JCA
            // provider framework: 15-30 ms of a cold start). CREATE_NEW creates the file only if the name is free
            // (O_EXCL: no existing file or symbolic link is used), as createTempFile does; once it is open, the
            // file is ours to delete.
            Path copy = dir.resolve("libnetty_port_reservation-" + ProcessHandle.current().pid() + "-"
                    + Long.toHexString(System.nanoTime()) + ".so");
            OutputStream out = Files.newOutputStream(copy, StandardOpenOption.CREATE_NEW);
            try {
                try (out) {
                    out.write(helper);
                }
                System.load(copy.toAbsolutePath().toString());
            } finally {
                Files.deleteIfExists(copy);
            }
            NativePlaceholders.ipv6Supported0(); // links the entry points now rather than at the first hold
            return null;
        } catch (IOException | LinkageError | SecurityException e) {
            return new IllegalStateException("cannot load " + resource + ": " + e + " (if " + WORKDIR_PROPERTY
                    + " / java.io.tmpdir is mounted noexec, point -D" + WORKDIR_PROPERTY
                    + " to a directory that allows executables)", e);
        }
    }

    /**
     * The helper's bytes, read from this library's jar (or classes directory) directly when the class was loaded
     * from a local file: the class loader's resource lookup opens it through a {@code jar:} URL, whose handler
     * and connection classes a cold start does not load otherwise (about 1 ms, StartupSteps). Any other origin
     * (a jar nested in another one, a custom loader) goes through the class loader; null when absent.
     */
    private static byte[] readResource(String resource) throws IOException {
        File origin = localOrigin();
        if (origin != null && origin.isFile()) {
            try (ZipFile jar = new ZipFile(origin)) {
                ZipEntry entry = jar.getEntry(resource);
                if (entry == null) {
                    return null;
                }
                try (InputStream in = jar.getInputStream(entry)) {
                    return in.readAllBytes();
                }
            }
        }
        if (origin != null && origin.isDirectory()) {
            File file = new File(origin, resource);
            if (!file.isFile()) {
                return null;
            }
            try (InputStream in = new FileInputStream(file)) {
                return in.readAllBytes();
            }
        }
        try (InputStream in = LinuxNative.class.getClassLoader().getResourceAsStream(resource)) {
            return in == null ? null : in.readAllBytes();
        }
    }

    /** The local jar or directory this class was loaded from, or null. */
    private static File localOrigin() {
        try {
            CodeSource source = LinuxNative.class.getProtectionDomain().getCodeSource();
            URL location = source == null ? null : source.getLocation();
            return location != null && "file".equals(location.getProtocol()) ? new File(location.toURI()) : null;
        } catch (URISyntaxException | IllegalArgumentException | SecurityException e) {
            return null;
        }
    }
}
