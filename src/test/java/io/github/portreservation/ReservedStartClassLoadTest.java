package io.github.portreservation;

import io.github.portreservation.bench.StartupTime;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledOnOs;
import org.junit.jupiter.api.condition.OS;

import java.nio.charset.StandardCharsets;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * What a Linux JVM loads on its way from main() to a bound reserved Netty listener (the start-up harness's child, with
 * JNA on the class path), read from its class-load log up to the "bound" line, against a plain Netty listener's:
 * no JNA class and no class of the Windows provider; and none of the things measured to cost a cold start
 * milliseconds (StartupTime, StartupSteps): a lambda or method reference of the library (each spins a class), the
 * regex engine, invokedynamic string concatenation, SecureRandom, the JDK's logger finder (the library logs nothing
 * on this path), URL connections (ServiceLoader's and the class loader's resource reads), and the parts of the
 * provider a runtime reservation of one TCP port does not use (it is the kernel's choice: no block search; a JDK
 * socket holds it: no native helper, no placeholder strategy, no reserved-ports file), the option's class on a
 * start that sets no option, and for a channel whose factory has its reservation, no option-reading config, no
 * pipeline-socket adapter and no public facade (each class costs a cold start about 0.1 ms or more).
 */
@EnabledOnOs(OS.LINUX)
class ReservedStartClassLoadTest {
    private static final Pattern LOADED = Pattern.compile("\\[class,load\\] (\\S+) source: ");
    private static final Pattern COSTLY = Pattern.compile("io\\.github\\.portreservation\\.(?!bench\\.).*\\$\\$Lambda.*"
            + "|java\\.util\\.regex\\..*|java\\.lang\\.invoke\\.StringConcatFactory|java\\.security\\.SecureRandom"
            + "|jdk\\.internal\\.logger\\..*|java\\.lang\\.System\\$LoggerFinder|sun\\.net\\.www\\..*URLConnection"
            + "|io\\.github\\.portreservation\\.linux\\.(LinuxPersistentReservations|DescriptorBudget"
            + "|RecentlyTakenPorts.*|BlockSearch.*|ReservedPortSet|EphemeralRange|LinuxNative|NativePlaceholders.*"
            + "|ReservedPortsFile|JdkPlaceholders.*|Placeholders\\$.*|PlaceholderStrategies.*|PlaceholderHolder)"
            + "|io\\.github\\.portreservation\\.internal\\.BindErrors"
            + "|io\\.github\\.portreservation\\.netty\\.(ReservationChannelOption.*|ReservedChannels|ChannelSocket.*"
            + "|ForwardingChannelConfig|ReservedServerSocketChannelConfig)"
            + "|java\\.nio\\.channels\\.UnsupportedAddressTypeException");
    /** Classes of the library (not the harness) the reserved start loads today; a few more fail the test. */
    private static final int LIBRARY_CLASSES = 27;
    private static Set<String> reserved;
    private static Set<String> reservedByOption;
    private static Set<String> plain;

    @BeforeAll
    static void loadLogs() throws Exception {
        reserved = loadedBeforeBound("reserved");
        plain = loadedBeforeBound("plain");
        reservedByOption = loadedBeforeBound("reserved-option");
    }

    @Test
    void noJnaClassAndOnlyTheWindowsPlatformEntry() {
        assertTrue(System.getProperty("java.class.path").contains("jna"), "JNA is on this class path");
        List<String> jna = new ArrayList<>();
        List<String> windows = new ArrayList<>();
        for (String name : reserved) {
            if (name.startsWith("com.sun.jna.")) {
                jna.add(name);
            } else if (name.startsWith("io.github.portreservation.windows.")) {
                windows.add(name);
            }
        }
        assertEquals(List.of(), jna, "JNA classes loaded on the Linux path");
        assertEquals(List.of(), windows, "Windows classes loaded on the Linux path");
    }

    @Test
    void nothingMeasuredCostlyThatAPlainStartDoesNotLoad() {
        List<String> costly = new ArrayList<>();
        for (String name : reserved) {
            if (COSTLY.matcher(name).matches() && !plain.contains(name)) {
                costly.add(name);
            }
        }
        assertEquals(List.of(), costly, "loaded by the reserved start only");
    }

    /**
     * A listener that names its reservation with the option ({@code nioServer()}, as the README's first example) loads
     * exactly the option's class and the forwarding config beyond the factory-argument start: no binder per token
     * (the source binds through the provider), no lambda.
     */
    @Test
    void theOptionStartLoadsOnlyTheOptionAndTheForwardingConfigMore() {
        List<String> more = new ArrayList<>();
        for (String name : reservedByOption) {
            // the library's classes only: Netty's lambdas are numbered in load order, and its promise listeners
            // load with the timing of the event loop
            if (!reserved.contains(name) && name.startsWith("io.github.portreservation.")
                    && !name.startsWith("io.github.portreservation.bench.")) {
                more.add(name);
            }
        }
        more.sort(null);
        assertEquals(List.of("io.github.portreservation.netty.ForwardingChannelConfig",
                "io.github.portreservation.netty.ReservationChannelOption",
                "io.github.portreservation.netty.ReservedServerSocketChannelConfig"), more);
    }

    @Test
    void noMoreClassesOfTheLibraryThanToday() {
        List<String> library = new ArrayList<>();
        for (String name : reserved) {
            if (name.startsWith("io.github.portreservation.") && !name.startsWith("io.github.portreservation.bench.")) {
                library.add(name);
            }
        }
        assertTrue(library.size() <= LIBRARY_CLASSES, "the reserved start loads " + library.size() + " classes of "
                + "the library, at most " + LIBRARY_CLASSES + " expected (each costs a cold start about 0.2 ms): "
                + library);
    }

    /** The classes a child JVM of {@code kind} loaded before it printed its "bound" line. */
    private static Set<String> loadedBeforeBound(String kind) throws Exception {
        String java = Paths.get(System.getProperty("java.home"), "bin", "java").toString();
        Process p = new ProcessBuilder(java, "-Xlog:class+load=info:stdout", "-cp",
                System.getProperty("java.class.path"), StartupTime.Child.class.getName(), kind)
                .redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(60, TimeUnit.SECONDS), out);
        assertEquals(0, p.exitValue(), out);
        int bound = out.indexOf("\nbound ");
        assertTrue(bound > 0, "the " + kind + " listener was bound: " + out);
        Set<String> loaded = new LinkedHashSet<>();
        Matcher m = LOADED.matcher(out.substring(0, bound));
        while (m.find()) {
            loaded.add(m.group(1).replaceAll("/0x[0-9a-f]+$", ""));
        }
        assertTrue(loaded.size() > 1000, "the class-load log was read: " + loaded.size() + " classes");
        return loaded;
    }
}
