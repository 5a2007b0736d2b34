package io.github.portreservation.linux;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledOnOs;
import org.junit.jupiter.api.condition.OS;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The native helper is copied into the work directory under a name of its own, loaded, and the copy deleted; a fresh
 * JVM per case, since the helper loads once per JVM.
 */
@EnabledOnOs(OS.LINUX)
class NativeHelperCopyTest {

    @Test
    void loadsFromTheWorkDirectoryAndLeavesNothingThere(@TempDir Path workdir) throws Exception {
        assertEquals("available true", child(workdir));
        try (Stream<Path> left = Files.list(workdir)) {
            assertEquals(List.of(), left.toList(), "the copy is deleted after loading");
        }
    }

    @Test
    void aWorkDirectoryThatDoesNotExistIsTheCause(@TempDir Path parent) throws Exception {
        Path missing = parent.resolve("missing");
        String line = child(missing);
        assertTrue(line.startsWith("available false: cannot load META-INF/native/libnetty_port_reservation_linux_"),
                line);
        assertTrue(line.contains("java.nio.file.NoSuchFileException: " + missing + "/libnetty_port_reservation-"),
                line);
        assertTrue(line.contains("point -D" + LinuxNative.WORKDIR_PROPERTY + " to a directory that allows "
                + "executables"), line);
    }

    private static String child(Path workdir) throws Exception {
        String java = Paths.get(System.getProperty("java.home"), "bin", "java").toString();
        Process p = new ProcessBuilder(java, "-D" + LinuxNative.WORKDIR_PROPERTY + "=" + workdir, "-cp",
                System.getProperty("java.class.path"), Probe.class.getName()).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
        assertTrue(p.waitFor(60, TimeUnit.SECONDS), out);
        assertEquals(0, p.exitValue(), out);
        return out;
    }

    /** Prints whether the helper loaded, and the cause when not. */
    public static final class Probe {
        private Probe() {
        }

        public static void main(String[] args) {
            Throwable cause = LinuxNative.unavailabilityCause();
            System.out.println(cause == null ? "available true" : "available false: " + cause.getMessage());
        }
    }
}
