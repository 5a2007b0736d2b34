package io.github.portreservation.netty.testsuite;

import io.github.portreservation.PortReservations;
import io.github.portreservation.netty.ReservedChannelFactories;
import io.netty.testsuite.transport.TestsuitePermutation;
import io.netty.testsuite.transport.socket.SocketEchoTest;
import io.netty.util.Version;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

import java.io.File;
import java.io.IOException;
import java.lang.reflect.Modifier;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.jar.JarEntry;
import java.util.jar.JarFile;

import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * Netty's own transport testsuite over the library's factories: the socket and datagram classes of
 * {@code io.netty:netty-testsuite} and the Epoll test jar's datagram classes ({@link NettySuiteClasses}) run once per
 * {@link Permutation}, stock NIO and stock Epoll beside the reserved ones, each permutation in a JVM of its own
 * ({@link NamespaceSuiteRun}, through the JUnit Platform launcher) inside a network namespace of its own. Tagged
 * {@code netty}, so it runs in both Netty executions: on 4.2 with netty-testsuite {@value #TESTSUITE_42}, on 4.1 with
 * the testsuite of the 4.1 jars (the child inherits the execution's class path).
 *
 * <p>The rule: every test that passes on a transport's stock permutation passes on its reserved permutations, except
 * {@link #EXCLUSIONS} (which must still fail there, so that the list stays exact). What does not pass on stock here is
 * pinned too ({@link #STOCK_NOT_PASSING}): a stock result that changes means the run no longer proves what it did.
 * The reserved channels' ports must all be in the reservation, and every channel Netty's tests closed must have given
 * its port back. The report (counts per permutation, the tests that did not pass everywhere, every failure) goes to
 * {@code target/netty-testsuite/netty-<line>/table.txt} and to the output, each permutation's results and log beside
 * it.
 *
 * <p>Needs root (a network namespace with a tun device) and skips without it.
 */
@Tag("netty")
class NettyTestsuiteTest {
    static final String TESTSUITE_42 = "4.2.17.Final";

    /** A child that runs longer than this is killed; a permutation takes well under a minute. */
    private static final long CHILD_TIMEOUT_MINUTES = 5;

    /**
     * The namespace: loopback up and multicast-capable (multicast tests take the first multicast interface with an
     * address of the family: it must be loopback), and Netty's BAD_HOST network (connection-attempt tests,
     * {@code io.netty.testsuite.badHost}) routed to a tun device that nobody reads, so those SYNs are dropped there.
     * Nothing leaves the namespace: it has no other device.
     */
    private static final String NAMESPACE_SETUP = "set -e; ip link set lo up; ip link set lo multicast on; "
            + "ip tuntap add tun0 mode tun; ip link set tun0 up; ip route add 198.51.100.0/24 dev tun0";
    private static final String BAD_HOST = "198.51.100.254";

    private static final Set<Permutation> NIO_RESERVED = EnumSet.of(Permutation.NIO_OPTION, Permutation.NIO_POOL);

    /**
     * Reserved failures of tests that pass on stock, each with its reason; docs/netty.md lists them. Each must still
     * fail there: one that passes is a problem until it is removed here.
     */
    static final List<Exclusion> EXCLUSIONS = List.of(
            new Exclusion("DatagramConnectedWriteExceptionTest.testWriteThrowsPortUnreachableException", NIO_RESERVED,
                    "4.2", "the test closes a datagram 'server' bound from the same reservation and expects the "
                    + "client's next writes to fail with PortUnreachableException. The closed port is still held by "
                    + "the reservation, whose placeholder socket takes the datagrams, so the kernel sends no ICMP port "
                    + "unreachable: what a reservation means (a plain JDK socket shows the same). Stock Epoll fails "
                    + "it too, so only NIO is compared; 4.1's testsuite has no such class"));

    /**
     * What does not pass on stock Netty in this namespace, exactly: test key -> status, per stock permutation and
     * Netty line (null = all). Anything else not passing on stock fails this test.
     */
    private static final List<StockOutcome> STOCK_NOT_PASSING = List.of(
            new StockOutcome("DatagramMulticastIPv6Test.testMulticast", "ABORTED", null, null,
                    "no IPv6 multicast route on the namespace's loopback (with ff00::/8 routed to lo, stock fails)"),
            new StockOutcome("ServerSocketSuspendTest.testSuspendAndResumeAccept", "SKIPPED", null, null,
                    "disabled in Netty (@Disabled)"),
            new StockOutcome("SocketShutdownOutputBySelfTest.testWriteAfterShutdownOutputNoWritabilityChange",
                    "SKIPPED", null, null, "disabled in Netty (@Disabled)"),
            new StockOutcome("DatagramConnectedWriteExceptionTest.testWriteThrowsPortUnreachableException",
                    SuiteResults.FAILED, Permutation.STOCK_EPOLL, "4.2",
                    "stock Epoll reports no PortUnreachableException on write"),
            new StockOutcome("DatagramConnectedWriteExceptionTest.-", "ABSENT", null, "4.1",
                    "the class is new in 4.2's testsuite"));

    @Test
    void reservedPermutationsPassWhatStockPasses() throws Exception {
        assumeTrue(System.getProperty("os.name").startsWith("Linux"), "Linux only");
        assumeTrue(PortReservations.isAvailable(), () -> "no provider: " + PortReservations.unavailabilityCause());
        assumeTrue(ReservedChannelFactories.isEpollAvailable(), "Netty's Epoll transport is not available");
        String probe = namespaceProbe();
        assumeTrue(probe.isEmpty(), () -> "cannot create the test's network namespace (needs root): " + probe);

        String transport = Version.identify().get("netty-transport").artifactVersion();
        String line = transport.startsWith("4.1.") ? "4.1" : "4.2";
        Path dir = Path.of(System.getProperty("basedir", "."), "target", "netty-testsuite", "netty-" + line);
        Files.createDirectories(dir);

        List<String> problems = new ArrayList<>(unclassifiedClasses());
        long start = System.nanoTime();
        Map<Permutation, Process> children = new EnumMap<>(Permutation.class);
        for (Permutation p : Permutation.values()) {
            children.put(p, startChild(p, dir));
        }
        SuiteResults results = new SuiteResults(line, EXCLUSIONS, STOCK_NOT_PASSING);
        for (Permutation p : Permutation.values()) {
            String failure = awaitChild(children.get(p), p, dir);
            if (failure == null) {
                results.add(p, NamespaceSuiteRun.read(resultsFile(dir, p)));
            } else {
                problems.add(failure);
            }
        }
        long seconds = TimeUnit.NANOSECONDS.toSeconds(System.nanoTime() - start);

        problems.addAll(results.problems());
        String testsuite = Objects.requireNonNullElse(
                TestsuitePermutation.class.getPackage().getImplementationVersion(), "?");
        String report = "Netty's transport testsuite " + testsuite + " on netty-transport " + transport + ": "
                + results.testCount() + " tests x " + results.permutationCount() + " permutations in " + seconds
                + " s (one JVM per permutation, in parallel)\n" + results.summary() + "\n" + results.table(false)
                + (problems.isEmpty() ? "" : "\nProblems:\n  " + String.join("\n  ", problems) + "\n");
        Files.writeString(dir.resolve("table.txt"), report + "\nAll tests:\n" + results.table(true),
                StandardCharsets.UTF_8);
        System.out.println(report);
        assertTrue(problems.isEmpty(), () -> problems.size() + " problem(s) with Netty's testsuite on " + line
                + " (table: " + dir.resolve("table.txt") + "):\n  " + String.join("\n  ", problems));
    }

    /**
     * The concrete test classes of the testsuite's socket package that neither {@link NettySuiteClasses#CLASSES} nor
     * {@link NettySuiteClasses#NOT_RUN} names: a new Netty version's new class must be chosen or left out knowingly.
     */
    private static List<String> unclassifiedClasses() throws IOException {
        String pkg = SocketEchoTest.class.getPackageName().replace('.', '/') + "/";
        Path jar = Path.of(SocketEchoTest.class.getProtectionDomain().getCodeSource().getLocation().getPath());
        List<String> unclassified = new ArrayList<>();
        try (JarFile file = new JarFile(jar.toFile())) {
            for (JarEntry entry : (Iterable<JarEntry>) file.stream()::iterator) {
                String name = entry.getName();
                if (!name.startsWith(pkg) || !name.endsWith("Test.class") || name.contains("$")
                        || name.indexOf('/', pkg.length()) >= 0) {
                    continue;
                }
                String simple = name.substring(pkg.length(), name.length() - ".class".length());
                if (!NettySuiteClasses.CLASSES.contains(simple) && !NettySuiteClasses.NOT_RUN.containsKey(simple)
                        && !isAbstract(name)) {
                    unclassified.add("testsuite class " + simple + " (" + jar.getFileName() + ") is neither run nor "
                            + "left out: add it to NettySuiteClasses.CLASSES or NOT_RUN (with the reason)");
                }
            }
        }
        return unclassified;
    }

    private static boolean isAbstract(String entry) {
        String name = entry.substring(0, entry.length() - ".class".length()).replace('/', '.');
        try {
            return Modifier.isAbstract(Class.forName(name, false, NettyTestsuiteTest.class.getClassLoader())
                    .getModifiers());
        } catch (ClassNotFoundException | LinkageError e) {
            return false;
        }
    }

    /** Empty when the namespace can be set up here, else why not. */
    private static String namespaceProbe() throws InterruptedException {
        try {
            Process p = new ProcessBuilder("unshare", "--net", "--", "sh", "-c", NAMESPACE_SETUP)
                    .redirectErrorStream(true).start();
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
            return p.waitFor() == 0 ? "" : "exit " + p.exitValue() + ": " + out;
        } catch (IOException e) {
            return e.toString();
        }
    }

    private static Process startChild(Permutation permutation, Path dir) throws IOException {
        List<String> command = new ArrayList<>(List.of("unshare", "--net", "--", "sh", "-c",
                NAMESPACE_SETUP + "; exec \"$@\"", "sh"));
        command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        // C1 only: these short JVMs spend most of their CPU in C2 otherwise (measured: 9 s instead of 26 s of CPU per
        // permutation, half the wall time on 2 cores).
        command.add("-XX:TieredStopAtLevel=1");
        command.add("-Xmx512m");
        command.add("-Dio.netty.testsuite.badHost=" + BAD_HOST);
        command.add("-cp");
        command.add(System.getProperty("java.class.path"));
        command.add(NamespaceSuiteRun.class.getName());
        command.add(resultsFile(dir, permutation).toString());
        command.add(permutation.name());
        Files.deleteIfExists(resultsFile(dir, permutation));
        File log = log(dir, permutation).toFile();
        return new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log).start();
    }

    /** Null when the child ended well and wrote its results, else the problem. */
    private static String awaitChild(Process child, Permutation p, Path dir) throws InterruptedException {
        if (!child.waitFor(CHILD_TIMEOUT_MINUTES, TimeUnit.MINUTES)) {
            child.destroyForcibly().waitFor();
            return p.label() + ": did not finish in " + CHILD_TIMEOUT_MINUTES + " min (log " + log(dir, p) + ")";
        }
        if (child.exitValue() != 0 || !Files.exists(resultsFile(dir, p))) {
            return p.label() + ": child exited " + child.exitValue() + " (log " + log(dir, p) + ")";
        }
        return null;
    }

    private static Path resultsFile(Path dir, Permutation p) {
        return dir.resolve(p.name() + ".tsv");
    }

    private static Path log(Path dir, Permutation p) {
        return dir.resolve(p.name() + ".log");
    }

    /** A reserved failure of a test that passes on stock: on these permutations, one Netty line or both (null). */
    record Exclusion(String key, Set<Permutation> permutations, String line, String reason) {
        boolean appliesTo(String testKey, Permutation p, String runLine) {
            return key.equals(testKey) && permutations.contains(p) && (line == null || line.equals(runLine));
        }
    }

    /** A stock outcome other than SUCCESSFUL: for one stock permutation or both, one Netty line or both. */
    record StockOutcome(String key, String status, Permutation only, String line, String reason) {
        boolean appliesTo(String testKey, Permutation p, String runLine) {
            return key.equals(testKey) && (only == null || only == p) && (line == null || line.equals(runLine));
        }
    }
}
