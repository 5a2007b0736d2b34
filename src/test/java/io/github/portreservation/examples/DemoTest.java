package io.github.portreservation.examples;

import io.github.portreservation.testing.RequiresProvider;
import io.github.portreservation.testing.ExternalProcess;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/** The main job, run in this JVM for one second with each kind of intruder. */
@RequiresProvider
class DemoTest {
    private static final Pattern ROW = Pattern.compile(
            "(?m)^(TCP|UDP)\\s+(\\d+)\\s+(\\d+)\\s+([\\d,]+)\\s+([\\d,]+)\\s+([\\d.]+)\\s+([\\d.]+)\\s+(\\d+)$");

    /** The progress line after the one second every run here lasts, with the requests of the TCP and UDP loads. */
    private static final Pattern PROGRESS = Pattern.compile("(?m)^ +1\\.0/1 s  TCP [\\d,]+ req  UDP [\\d,]+ req$");

    private static String runDemo(String... args) throws Exception {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        int code = Demo.run(Demo.Options.parse(args), new PrintStream(bytes, true, StandardCharsets.UTF_8), false);
        String out = bytes.toString(StandardCharsets.UTF_8);
        assertEquals(0, code, out);
        return out;
    }

    private static void assertTable(String out) {
        Matcher m = ROW.matcher(out);
        int rows = 0;
        while (m.find()) {
            rows++;
            assertTrue(Long.parseLong(m.group(4).replace(",", "")) > 0, "requests in " + m.group());
            assertTrue(Long.parseLong(m.group(5).replace(",", "")) > 0, "bytes in " + m.group());
            assertTrue(Double.parseDouble(m.group(6)) <= Double.parseDouble(m.group(7)), "p50 <= p99 in " + m.group());
        }
        assertEquals(2, rows, out);
        assertTrue(PROGRESS.matcher(out).find(), "a progress line at the end of the one second: " + out);
        assertTrue(out.contains("demo OK"), out);
        assertTrue(out.contains("2 reserved blocks released"), out);
    }

    @Test
    void demoWithAChildJvmAsTheOtherProcess() throws Exception {
        String out = runDemo("--seconds", "1", "--intruder", "jvm");
        assertTrue(out.contains("using a child JVM"), out);
        assertEquals(4, count(out, "child JVM (same user, no SO_REUSEPORT) binding "), out);
        assertEquals(4, count(out, ": refused (Address already in use)"), out);
        assertFalse(out.contains("NOT REFUSED"), out);
        assertTable(out);
    }

    @Test
    void demoWithSocatAsTheOtherProcess() throws Exception {
        assumeTrue(ExternalProcess.isInstalled("socat"), "socat is not installed");
        String out = runDemo("--seconds", "1", "--intruder", "socat");
        assertTrue(out.contains("using socat"), out);
        int expected = ExternalProcess.isRoot() && ExternalProcess.isInstalled("setpriv") ? 8 : 4;
        assertEquals(expected, count(out, ": refused"), out);
        assertFalse(out.contains("NOT REFUSED"), out);
        assertTable(out);
    }

    @Test
    void badArgumentsAreNamed() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> Demo.Options.parse(new String[] {"--seconds", "0"}));
        assertTrue(e.getMessage().contains("--seconds 0 must be in 1..600"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> Demo.Options.parse(new String[] {"--fast"}));
        assertTrue(e.getMessage().contains("unknown argument \"--fast\""), e.getMessage());
        e = assertThrows(IllegalArgumentException.class,
                () -> Demo.Options.parse(new String[] {"--intruder", "nmap"}));
        assertTrue(e.getMessage().contains("must be auto, socat or jvm"), e.getMessage());
    }

    private static int count(String text, String part) {
        int n = 0;
        for (int i = text.indexOf(part); i >= 0; i = text.indexOf(part, i + 1)) {
            n++;
        }
        return n;
    }
}
