package io.github.portreservation.windows;

import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Paths;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A JVM started without {@code --add-opens java.base/sun.nio.ch=ALL-UNNAMED} cannot read socket handles: acquire and
 * bind must fail with UNSUPPORTED naming the exact flag and the manifest alternative. Runs the provider over the
 * native double in a child JVM (Linux with gcc only).
 */
class WindowsAddOpensDoubleTest {

    @Test
    void missingAddOpensFailsWithTheExactFlag() throws IOException, InterruptedException {
        String library = NativeDouble.library().toString();
        String classpath = System.getProperty("surefire.test.class.path", System.getProperty("java.class.path"));
        String java = Paths.get(System.getProperty("java.home"), "bin", "java").toString();
        int start = FreePorts.block(2).start();
        Process child = new ProcessBuilder(List.of(java, "-cp", classpath, NoAddOpensProbe.class.getName(), library,
                Integer.toString(start))).redirectErrorStream(true).start();
        String output = new String(child.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(child.waitFor(60, TimeUnit.SECONDS), output);
        assertEquals(0, child.exitValue(), output);
        List<String> lines = output.lines().filter(l -> l.startsWith("acquire: ") || l.startsWith("bind: ")).toList();
        assertEquals(2, lines.size(), output);
        for (String line : lines) {
            assertTrue(line.contains("UNSUPPORTED: "), line);
            assertTrue(line.contains("--add-opens java.base/sun.nio.ch=ALL-UNNAMED"), line);
            assertTrue(line.contains("'Add-Opens: java.base/sun.nio.ch'"), line);
            assertFalse(line.contains("java.io"), line);
        }
    }
}
