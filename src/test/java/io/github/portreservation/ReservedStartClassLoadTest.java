package io.github.portreservation.windows;

import io.github.portreservation.bench.StartupTime;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledOnOs;
import org.junit.jupiter.api.condition.OS;

import java.nio.charset.StandardCharsets;
import java.nio.file.Paths;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * With JNA on the class path, a Linux JVM that acquires a reservation and binds a reserved Netty listener (the start-up
 * harness's child) loads no JNA class and, of the Windows provider, only the ServiceLoader entry
 * {@link WindowsPlatform}: the class-load log of that JVM says so.
 */
@EnabledOnOs(OS.LINUX)
class LinuxPathLoadsNoJnaTest {
    private static final Pattern LOADED = Pattern.compile("\\[class,load\\] (\\S+) source: ");

    @Test
    void reservedListenerLoadsNoJnaClassAndOnlyTheWindowsPlatformEntry() throws Exception {
        String classPath = System.getProperty("java.class.path");
        assertTrue(classPath.contains("jna"), "JNA is on this class path: " + classPath);
        String java = Paths.get(System.getProperty("java.home"), "bin", "java").toString();
        Process p = new ProcessBuilder(java, "-Xlog:class+load=info:stdout", "-cp", classPath,
                StartupTime.Child.class.getName(), "reserved").redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(60, TimeUnit.SECONDS), out);
        assertEquals(0, p.exitValue(), out);
        assertTrue(out.lines().anyMatch(l -> l.startsWith("bound ")), "the reserved listener was bound");
        Matcher m = LOADED.matcher(out);
        List<String> jna = new java.util.ArrayList<>();
        List<String> windows = new java.util.ArrayList<>();
        int loaded = 0;
        while (m.find()) {
            loaded++;
            String name = m.group(1);
            if (name.startsWith("com.sun.jna.")) {
                jna.add(name);
            } else if (name.startsWith("io.github.portreservation.windows.")) {
                windows.add(name);
            }
        }
        assertTrue(loaded > 1000, "the class-load log was read: " + loaded + " classes");
        assertEquals(List.of(), jna, "JNA classes loaded on the Linux path");
        assertEquals(List.of(WindowsPlatform.class.getName()), windows, "Windows classes loaded on the Linux path");
    }
}
