package io.github.portreservation.netty.testsuite;

import org.junit.platform.engine.TestExecutionResult;
import org.junit.platform.engine.UniqueId;
import org.junit.platform.engine.discovery.DiscoverySelectors;
import org.junit.platform.engine.support.descriptor.MethodSource;
import org.junit.platform.launcher.Launcher;
import org.junit.platform.launcher.TestExecutionListener;
import org.junit.platform.launcher.TestIdentifier;
import org.junit.platform.launcher.core.LauncherDiscoveryRequestBuilder;
import org.junit.platform.launcher.core.LauncherFactory;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The child JVM's main: runs the classes of {@link NettySuiteClasses} over one permutation through the JUnit
 * Platform launcher and writes one line per test to a results file. {@link NettyTestsuiteTest} starts one such JVM
 * per permutation, each inside a network namespace of its own, and judges the results; run by hand it needs such a
 * namespace too (multicast picks an interface, the connection-attempt tests connect to 198.51.100.254). One JVM per
 * permutation, because Netty's test classes keep static state across runs of the class (TrafficShapingHandlerTest
 * shuts its static executor down in {@code @AfterAll}: a second run in the same JVM times out).
 *
 * <p>Arguments: the results file, the {@link Permutation} name, then optionally the simple names of the classes to
 * run (default: {@link NettySuiteClasses#classesFor(Permutation)}).
 *
 * <p>Results file, tab-separated: {@code permutation class test status millis detail}, where status is a JUnit
 * status (SUCCESSFUL, FAILED, ABORTED), SKIPPED (disabled) or ABSENT (the testsuite version lacks the class), and
 * detail is the first lines of the failure. One line {@code permutation _run _ INFO millis facts} per permutation
 * gives its duration, how many channels the library's factories made, whether their ports were in the reservation,
 * whether a closed one still held its port, and the JVM's CPU time. A line {@code permutation class _class CLASS millis} gives each class's time (set-up included).
 */
public final class NamespaceSuiteRun {
    /** Stack frames of a failure kept in the results. */
    private static final int TRACE_FRAMES = 5;
    /** The detail of a test that failed, then passed when run again alone. */
    static final String RETRIED = "passed on retry";

    private NamespaceSuiteRun() {
    }

    public static void main(String[] args) throws Exception {
        if (args.length < 2) {
            System.err.println("usage: NamespaceSuiteRun <results file> <permutation> [class ...]");
            System.exit(2);
        }
        Path results = Path.of(args[0]);
        Permutation permutation = Permutation.valueOf(args[1]);
        List<String> classes = args.length > 2 ? Arrays.asList(args).subList(2, args.length)
                : NettySuiteClasses.classesFor(permutation);
        try {
            Files.write(results, run(LauncherFactory.create(), permutation, classes), StandardCharsets.UTF_8);
        } finally {
            SuiteFixture.shutdownGroups();
        }
        // Netty's tests leave non-daemon threads (e.g. executors of their own) behind: do not wait for them.
        System.exit(0);
    }

    private static List<String> run(Launcher launcher, Permutation permutation, List<String> classes)
            throws InterruptedException, IllegalAccessException {
        List<String> lines = new ArrayList<>();
        LauncherDiscoveryRequestBuilder request = LauncherDiscoveryRequestBuilder.request()
                // A test that hangs must not take the whole run with it; Netty's own timeouts are 30 s at most.
                .configurationParameter("junit.jupiter.execution.timeout.default", "60 s")
                .configurationParameter("junit.jupiter.execution.parallel.enabled", "false");
        int selected = 0;
        for (String name : classes) {
            try {
                request.selectors(DiscoverySelectors.selectClass(NettySuiteClasses.testClass(name)));
                selected++;
            } catch (ClassNotFoundException | NoClassDefFoundError absent) {
                lines.add(line(permutation, name, "-", "ABSENT", 0, String.valueOf(absent)));
            }
        }
        Recorder recorder = new Recorder(permutation, lines);
        long start = System.nanoTime();
        String facts;
        try (SuiteFixture fixture = SuiteFixture.start(permutation)) {
            if (selected > 0) {
                launcher.execute(request.build(), recorder);
                retryFailures(launcher, permutation, recorder);
            }
            facts = "reserved channels " + fixture.reservedChannelCount() + "; ports in reservation: "
                    + fixture.portCheck() + "; " + fixture.closedChannelsHoldingPorts();
        }
        long millis = (System.nanoTime() - start) / 1_000_000;
        facts += "; cpu " + ProcessHandle.current().info().totalCpuDuration().map(Duration::toMillis).orElse(-1L)
                + " ms";
        lines.add(line(permutation, "_run", "_", "INFO", millis, facts));
        System.out.println("[netty-testsuite] " + permutation + ": " + millis + " ms, " + facts);
        return lines;
    }

    /**
     * Runs each failed test once more, alone: Netty's tests have timeouts of a few seconds (3 s for the fast-open
     * connects), which a loaded 2-core machine misses on stock and reserved channels alike. A test that passes then
     * is recorded as passed with {@value #RETRIED} and its first failure in the detail, so the report shows it; one
     * that fails again keeps its first failure.
     */
    private static void retryFailures(Launcher launcher, Permutation permutation, Recorder first) {
        if (first.failedTests.isEmpty()) {
            return;
        }
        LauncherDiscoveryRequestBuilder retry = LauncherDiscoveryRequestBuilder.request()
                .configurationParameter("junit.jupiter.execution.timeout.default", "60 s");
        first.failedTests.keySet().forEach(id -> retry.selectors(DiscoverySelectors.selectUniqueId(id)));
        Recorder second = new Recorder(permutation, new ArrayList<>());
        launcher.execute(retry.build(), second);
        first.failedTests.forEach((id, index) -> {
            if (second.passedTests.contains(id)) {
                String[] row = first.lines.get(index).split("\t", 6);
                first.lines.set(index, line(permutation, row[1], row[2], TestExecutionResult.Status.SUCCESSFUL.name(),
                        Long.parseLong(row[4]), RETRIED + "; first run: " + row[5]));
            }
        });
    }

    static String line(Permutation permutation, String testClass, String test, String status, long millis,
                       String detail) {
        return String.join("\t", permutation.name(), testClass, test, status, Long.toString(millis),
                detail.replace('\t', ' ').replace("\r", "").replace("\n", " | "));
    }

    /** Records one line per test (and per failed class, e.g. a failing {@code @BeforeAll}). */
    private static final class Recorder implements TestExecutionListener {
        private final Permutation permutation;
        private final List<String> lines;
        private final Map<String, Long> started = new ConcurrentHashMap<>();
        /** Unique id of each failed test -> index of its line. */
        final Map<String, Integer> failedTests = new LinkedHashMap<>();
        final Set<String> passedTests = new HashSet<>();

        Recorder(Permutation permutation, List<String> lines) {
            this.permutation = permutation;
            this.lines = lines;
        }

        @Override
        public void executionStarted(TestIdentifier id) {
            started.put(id.getUniqueId(), System.nanoTime());
        }

        @Override
        public void executionSkipped(TestIdentifier id, String reason) {
            String[] key = key(id);
            if (key != null) {
                lines.add(line(permutation, key[0], key[1], "SKIPPED", 0, reason));
            }
        }

        @Override
        public void executionFinished(TestIdentifier id, TestExecutionResult result) {
            String[] key = key(id);
            if (key == null) {
                return;
            }
            boolean test = id.isTest();
            Long t0 = started.remove(id.getUniqueId());
            long millis = t0 == null ? 0 : (System.nanoTime() - t0) / 1_000_000;
            if (!test && key[1].equals("_class")) {
                lines.add(line(permutation, key[0], "_class", "CLASS", millis, ""));
            }
            if (!test && result.getStatus() == TestExecutionResult.Status.SUCCESSFUL) {
                return; // a container that ran: its tests have their own lines
            }
            if (test && result.getStatus() == TestExecutionResult.Status.SUCCESSFUL) {
                passedTests.add(id.getUniqueId());
            } else if (test && result.getStatus() == TestExecutionResult.Status.FAILED) {
                failedTests.put(id.getUniqueId(), lines.size());
            }
            String detail = result.getThrowable().map(NamespaceSuiteRun::firstLines).orElse("");
            lines.add(line(permutation, key[0], test ? key[1] : "_class", result.getStatus().name(), millis, detail));
        }

        /**
         * Class simple name and test name: the method, with "[n]" for the n-th invocation of a parameterized test;
         * null for the engine.
         */
        private static String[] key(TestIdentifier id) {
            List<UniqueId.Segment> segments = UniqueId.parse(id.getUniqueId()).getSegments();
            String testClass = null;
            String method = null;
            String invocation = "";
            for (UniqueId.Segment s : segments) {
                switch (s.getType()) {
                    case "class":
                        testClass = s.getValue().substring(s.getValue().lastIndexOf('$') + 1);
                        break;
                    case "method":
                    case "test-template":
                        method = s.getValue().substring(0, s.getValue().indexOf('('));
                        break;
                    case "test-template-invocation":
                        invocation = "[" + s.getValue().substring(1) + "]";
                        break;
                    default:
                        break;
                }
            }
            if (testClass == null) {
                return null;
            }
            if (method == null) {
                method = id.getSource().filter(MethodSource.class::isInstance).map(MethodSource.class::cast)
                        .map(MethodSource::getMethodName).orElse("_class");
            }
            return new String[] {testClass, method + invocation};
        }
    }

    /**
     * The throwable's message and its first frames outside JUnit, reflection and the JDK's collections (where
     * assertion helpers and test invocation live), and the first line of its cause.
     */
    static String firstLines(Throwable t) {
        StringWriter text = new StringWriter();
        t.printStackTrace(new PrintWriter(text));
        String[] all = text.toString().split("\n");
        StringBuilder sb = new StringBuilder(all[0].trim());
        int frames = 0;
        for (int i = 1; i < all.length && frames < TRACE_FRAMES; i++) {
            String l = all[i].trim();
            if (l.startsWith("at ") && !l.startsWith("at org.junit.") && !l.startsWith("at java.base/")
                    && !l.startsWith("at jdk.internal.")) {
                sb.append('\n').append(l);
                frames++;
            }
        }
        for (String l : all) {
            if (l.startsWith("Caused by:")) {
                sb.append('\n').append(l.trim());
                break;
            }
        }
        return sb.toString();
    }

    /** For the parent: reads a results file written by {@link #main}. */
    static List<String[]> read(Path results) throws IOException {
        List<String[]> rows = new ArrayList<>();
        for (String l : Files.readAllLines(results, StandardCharsets.UTF_8)) {
            if (!l.isEmpty()) {
                rows.add(l.split("\t", 6));
            }
        }
        return rows;
    }
}
