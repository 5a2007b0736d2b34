package io.github.portreservation.pool;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ServiceLoader;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The discovered policies: every registered implementation is used (a thread is non-blocking when any says so), one
 * that cannot be loaded is left out, and with none no thread is non-blocking.
 */
class DiscoveredNonBlockingThreadsTest {
    /** A policy registered by the test's own services file: threads named "named-...". */
    public static final class NamedThreads implements NonBlockingThreads {
        @Override
        public boolean isNonBlocking(Thread thread) {
            return thread.getName().startsWith("named-");
        }

        @Override
        public String toString() {
            return "NamedThreads";
        }
    }

    private static ClassLoader withServices(Path dir, String... implementations) throws IOException {
        Path services = Files.createDirectories(dir.resolve("META-INF/services"));
        Files.write(services.resolve(NonBlockingThreads.class.getName()), String.join("\n", implementations)
                .getBytes(java.nio.charset.StandardCharsets.UTF_8));
        return new URLClassLoader(new URL[] {dir.toUri().toURL()}, null) {
            @Override
            protected Class<?> loadClass(String name, boolean resolve) throws ClassNotFoundException {
                return DiscoveredNonBlockingThreadsTest.class.getClassLoader().loadClass(name); // one copy of each
            }
        };
    }

    @Test
    void everyLoadablePolicyCountsAndABrokenOneIsLeftOut(@TempDir Path dir) throws IOException {
        ClassLoader loader = withServices(dir, NamedThreads.class.getName(), "no.such.Policy",
                NamedThreads.class.getName() + "Missing");
        DiscoveredNonBlockingThreads found = DiscoveredNonBlockingThreads.load(
                ServiceLoader.load(NonBlockingThreads.class, loader));
        assertEquals(1, found.size());
        assertEquals("NamedThreads", found.toString());
        assertTrue(found.isNonBlocking(new Thread(() -> { }, "named-1")));
        assertFalse(found.isNonBlocking(new Thread(() -> { }, "other")));
    }

    @Test
    void withoutAnyPolicyNoThreadIsNonBlocking(@TempDir Path dir) throws IOException {
        ClassLoader loader = withServices(dir);
        DiscoveredNonBlockingThreads none = DiscoveredNonBlockingThreads.load(
                ServiceLoader.load(NonBlockingThreads.class, loader));
        assertEquals(0, none.size());
        assertEquals("no NonBlockingThreads implementation", none.toString());
        assertFalse(none.isNonBlocking(new Thread(() -> { }, "named-1")));
    }
}
