package io.github.portreservation.windows;

import com.sun.jna.Library;
import com.sun.jna.Native;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.fail;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * The native test double of the Windows reservation functions (src/test/c/winapi_reservation_double.c), compiled
 * once per JVM with gcc into target/native-double/. Tests call {@link #assumeAvailable()} first: they skip where the
 * double cannot exist (not Linux, no gcc) and fail when gcc exists but the double does not compile.
 */
final class NativeDouble {
    private static final Path SOURCE = baseDir().resolve("src/test/c/winapi_reservation_double.c");
    private static final Path OUTPUT = baseDir().resolve("target/native-double");

    private static boolean attempted;
    private static String skipReason;
    private static Path full;
    private static Path withoutPersistent;
    private static Path withoutTables;
    private static Control control;

    private NativeDouble() {
    }

    /** Skips the calling test unless the double is built (building it on first use). */
    static synchronized void assumeAvailable() {
        if (!attempted) {
            attempted = true;
            skipReason = build();
        }
        assumeTrue(skipReason == null, () -> "native test double unavailable: " + skipReason);
    }

    /** The double with every function. */
    static synchronized Path library() {
        assumeAvailable();
        return full;
    }

    /** The double without the six persistent-reservation functions (like Wine's iphlpapi). */
    static synchronized Path libraryWithoutPersistent() {
        assumeAvailable();
        return withoutPersistent;
    }

    /** The double without GetExtendedTcpTable, GetExtendedUdpTable and IsUserAnAdmin. */
    static synchronized Path libraryWithoutTables() {
        assumeAvailable();
        return withoutTables;
    }

    /** The production JNA layer loaded over the double (every library name points at it). */
    static WindowsNatives natives() {
        String path = library().toString();
        return WindowsNatives.load(path, path, path);
    }

    /** The double's test-only controls, reset to defaults. */
    static synchronized Control control() {
        if (control == null) {
            control = Native.load(library().toString(), Control.class);
        }
        control.double_reset();
        return control;
    }

    private static String build() {
        if (!System.getProperty("os.name", "").startsWith("Linux")) {
            return "the double uses Linux sockets as SOCKET handles; this is " + System.getProperty("os.name");
        }
        if (!run(List.of("gcc", "--version"), false)) {
            return "gcc is not installed";
        }
        try {
            Files.createDirectories(OUTPUT);
        } catch (IOException e) {
            fail("cannot create " + OUTPUT, e);
        }
        full = OUTPUT.resolve("libwinapi-double.so");
        withoutPersistent = OUTPUT.resolve("libwinapi-double-nopersistent.so");
        withoutTables = OUTPUT.resolve("libwinapi-double-notables.so");
        compile(full, List.of());
        compile(withoutPersistent, List.of("-DDOUBLE_WITHOUT_PERSISTENT"));
        compile(withoutTables, List.of("-DDOUBLE_WITHOUT_TABLES"));
        return null;
    }

    private static void compile(Path output, List<String> defines) {
        List<String> command = new ArrayList<>(List.of("gcc", "-shared", "-fPIC", "-O2", "-pthread", "-Wall",
                "-Wextra", "-Werror"));
        command.addAll(defines);
        command.addAll(List.of("-o", output.toString(), SOURCE.toString()));
        if (!run(command, true)) {
            fail("gcc failed: " + String.join(" ", command));
        }
    }

    private static boolean run(List<String> command, boolean showOutput) {
        try {
            Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
            String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            if (!process.waitFor(120, TimeUnit.SECONDS)) {
                process.destroyForcibly();
                return false;
            }
            if (process.exitValue() != 0 && showOutput) {
                System.err.println(output);
            }
            return process.exitValue() == 0;
        } catch (IOException e) {
            return false;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    private static Path baseDir() {
        return Paths.get(System.getProperty("basedir", System.getProperty("user.dir"))).toAbsolutePath();
    }

    /** The block {start, count} of the double's live reservation {@code token}, or null. */
    static int[] reservationBlock(Control control, long token) {
        int[] block = new int[2];
        return control.double_reservation_block(token, block) == 0 ? block : null;
    }

    /** The double's test-only functions (see the C file for their semantics). */
    interface Control extends Library {
        void double_reset();

        void double_set_elevated(int value);

        void double_set_dynamic_window(int first, int last);

        int double_add_excluded_range(int protocol, int start, int count);

        void double_fail_next_ioctl(int code, int error);

        int double_ioctl_calls(int code);

        int double_persistent_calls();

        int double_runtime_reservations();

        int double_reservation_block(long token, int[] block);

        int double_reservation_ports_in_use(long token);

        long double_associated_token(SocketHandle socket);

        int double_bind_port(SocketHandle socket, int requested);

        int double_add_socket_row(int protocol, int af, String address, int port, int state, int pid);

        int double_table_calls();

        void double_fail_next_bind(int error);

        void double_hold_acquires(int on);

        int double_held_acquirers(byte[] name);
    }
}
