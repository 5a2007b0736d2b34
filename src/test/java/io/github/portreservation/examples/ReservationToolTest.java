package io.github.portreservation.examples;

import io.github.portreservation.PortReservations;
import io.github.portreservation.testing.RequiresProvider;
import io.github.portreservation.PortRange;
import io.github.portreservation.PortReservationProvider;
import io.github.portreservation.Protocol;
import io.github.portreservation.linux.ReservedPortSet;
import io.github.portreservation.linux.ReservedPortsFile;
import io.github.portreservation.testing.ExternalProcess;
import io.github.portreservation.testing.ExternalProcess.Result;
import io.github.portreservation.windows.ExcludedRange.IpVersion;
import io.github.portreservation.windows.FakeNetsh;
import io.github.portreservation.windows.WindowsDoubleFixture;
import io.github.portreservation.windows.WindowsPortReservationProvider;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledOnOs;
import org.junit.jupiter.api.condition.OS;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * The persistent-reservation tool. Bad command lines and read-only commands run in this JVM; create, lookup, list
 * and delete run as separate processes ({@code java ReservationTool ...}, as a user would) inside a private network
 * namespace ({@code unshare --net}), so the host's {@code ip_local_reserved_ports} never changes. The Windows commands
 * ({@code doctor}, {@code excluded}) run over the Windows provider on the native test double, with netsh answering
 * the public samples of src/test/resources/netsh/ (not real Windows).
 */
@EnabledOnOs(OS.LINUX)
class ReservationToolTest {
    private final ByteArrayOutputStream out = new ByteArrayOutputStream();
    private final ByteArrayOutputStream err = new ByteArrayOutputStream();

    private int run(String... args) {
        return runWith(PortReservations.provider(), args);
    }

    private int runWith(PortReservationProvider provider, String... args) {
        ReservationTool tool = new ReservationTool(provider, new PrintStream(out, true, StandardCharsets.UTF_8),
                new PrintStream(err, true, StandardCharsets.UTF_8));
        return tool.run(args);
    }

    /** netsh answers: the German sample for ipv4 TCP, the empty Chinese table for ipv6 TCP, English UDP for ipv4. */
    private static FakeNetsh netsh() {
        return new FakeNetsh()
                .answer(Protocol.TCP, IpVersion.IPV4, FakeNetsh.sample("de-tcp-fmeinicke-obsidian-wiki.txt"))
                .answer(Protocol.TCP, IpVersion.IPV6, FakeNetsh.sample("zh-tcp-empty-clash-verge-rev-1688.txt"))
                .answer(Protocol.UDP, IpVersion.IPV4, FakeNetsh.sample("en-udp-otel-collector-contrib-10872.txt"));
    }

    @Test
    void doctorReportsAPortInAWinnatRange() {
        WindowsDoubleFixture windows = WindowsDoubleFixture.reset();
        assertEquals(ReservationTool.OK, runWith(windows.provider(netsh()), "doctor", "50100"));
        String printed = out.toString(StandardCharsets.UTF_8);
        assertTrue(printed.startsWith("TCP port 50100: EXCLUDED, in 50060-50159 (netsh)" + System.lineSeparator()),
                printed);
        assertTrue(printed.contains("'net stop winnat', then 'netsh int ipv4 add excludedportrange protocol=tcp "
                + "startport=50100 numberofports=1', then 'net start winnat'"), printed);
    }

    @Test
    void doctorNamesTheProcessOfAUdpPort() {
        WindowsDoubleFixture windows = WindowsDoubleFixture.reset();
        windows.socket(Protocol.UDP, "0.0.0.0", 56200, 0, 0x7FFFFFF0L);
        assertEquals(ReservationTool.OK, runWith(windows.provider(netsh()), "doctor", "56200", "udp"));
        String printed = out.toString(StandardCharsets.UTF_8);
        assertTrue(printed.startsWith("UDP port 56200: IN_USE_BY_PROCESS, UDP 0.0.0.0:56200, pid 2147483632 (socket "
                + "table)"), printed);
        assertTrue(printed.contains("The port is also in the excluded range 56130-56229."), printed);
    }

    @Test
    void doctorProtectMakesThePersistentReservationOfAFreePort() {
        WindowsDoubleFixture windows = WindowsDoubleFixture.reset();
        WindowsPortReservationProvider provider = windows.provider(netsh());
        assertEquals(ReservationTool.OK, runWith(provider, "doctor", "8080", "tcp", "--protect"));
        assertTrue(out.toString(StandardCharsets.UTF_8).startsWith("protected tcp 8080 with a persistent reservation, "
                + "token 0x"), out.toString(StandardCharsets.UTF_8));
        assertTrue(provider.lookupPersistent(Protocol.TCP, PortRange.single(8080)).isPresent());
        assertEquals(0, windows.runtimeReservations(), "the probe left no reservation");
    }

    @Test
    void doctorProtectWithoutElevationFails() {
        WindowsDoubleFixture windows = WindowsDoubleFixture.reset();
        windows.elevated(false);
        WindowsPortReservationProvider provider = windows.provider(netsh());
        assertEquals(ReservationTool.FAILED, runWith(provider, "doctor", "8080", "--protect"));
        String printed = err.toString(StandardCharsets.UTF_8);
        assertTrue(printed.startsWith("doctor tcp 8080 failed: ACCESS_DENIED: CreatePersistentTcpPortReservation"),
                printed);
        assertFalse(provider.lookupPersistent(Protocol.TCP, PortRange.single(8080)).isPresent());
    }

    @Test
    void excludedListsEachContextAndSaysWhichOneFailed() {
        WindowsDoubleFixture windows = WindowsDoubleFixture.reset();
        assertEquals(ReservationTool.FAILED, runWith(windows.provider(netsh()), "excluded", "udp"));
        String nl = System.lineSeparator();
        assertEquals("udp ipv4 (netsh interface ipv4 show excludedportrange protocol=udp):" + nl + "  56030-56129" + nl
                + "  56130-56229" + nl + "* = administered port exclusion (added with netsh, or a persistent "
                + "reservation)" + nl, out.toString(StandardCharsets.UTF_8));
        assertTrue(err.toString(StandardCharsets.UTF_8).startsWith("udp ipv6: SYSTEM_ERROR: cannot run 'netsh "
                + "interface ipv6 show excludedportrange protocol=udp'"), err.toString(StandardCharsets.UTF_8));
    }

    @Test
    void excludedWithoutProtocolListsTcpThenUdp() {
        WindowsDoubleFixture windows = WindowsDoubleFixture.reset();
        FakeNetsh netsh = netsh().answer(Protocol.UDP, IpVersion.IPV6,
                FakeNetsh.sample("zh-tcp-empty-clash-verge-rev-1688.txt"));
        assertEquals(ReservationTool.OK, runWith(windows.provider(netsh), "excluded"));
        String printed = out.toString(StandardCharsets.UTF_8);
        String nl = System.lineSeparator();
        assertTrue(printed.contains("  50000-50059 *" + nl + "  50060-50159" + nl), printed);
        assertTrue(printed.contains("tcp ipv6 (netsh interface ipv6 show excludedportrange protocol=tcp):" + nl
                + "  (none)" + nl + "udp ipv4"), printed);
        assertEquals(4, netsh.calls().size());
    }

    @Test
    void doctorAndExcludedCommandLinesAreChecked() {
        WindowsDoubleFixture windows = WindowsDoubleFixture.reset();
        WindowsPortReservationProvider provider = windows.provider(netsh());
        assertEquals(ReservationTool.USAGE, runWith(provider, "doctor"));
        assertTrue(err.toString(StandardCharsets.UTF_8).contains("doctor takes PORT"));
        assertEquals(ReservationTool.USAGE, runWith(provider, "doctor", "http"));
        assertTrue(err.toString(StandardCharsets.UTF_8).contains("port \"http\" must be a number in 1..65535"));
        assertEquals(ReservationTool.USAGE, runWith(provider, "doctor", "70000"));
        assertTrue(err.toString(StandardCharsets.UTF_8).contains("port \"70000\" must be a number in 1..65535"));
        assertEquals(ReservationTool.USAGE, runWith(provider, "doctor", "80", "sctp"));
        assertTrue(err.toString(StandardCharsets.UTF_8).contains("\"sctp\" is neither tcp|udp (after the port) nor "
                + "--protect"));
        assertEquals(ReservationTool.USAGE, runWith(provider, "doctor", "80", "tcp", "--force"));
        assertTrue(err.toString(StandardCharsets.UTF_8).contains("\"--force\" is neither"));
        assertEquals(ReservationTool.USAGE, runWith(provider, "excluded", "sctp"));
        assertTrue(err.toString(StandardCharsets.UTF_8).contains("protocol \"sctp\" must be tcp or udp"));
        assertEquals("", out.toString(StandardCharsets.UTF_8));
    }

    @Test
    @RequiresProvider
    void doctorIsWindowsOnly() {
        assertEquals(ReservationTool.FAILED, run("doctor", "8080"));
        assertTrue(err.toString(StandardCharsets.UTF_8).startsWith("the port doctor is Windows-only (this provider is "
                + "'linux')"), err.toString(StandardCharsets.UTF_8));
        assertEquals(ReservationTool.FAILED, run("excluded"));
    }

    @Test
    @RequiresProvider
    void badCommandLinesGetUsageAndExitCode2() {
        assertEquals(ReservationTool.USAGE, run());
        assertTrue(err.toString(StandardCharsets.UTF_8).contains("no command given"));
        assertEquals(ReservationTool.USAGE, run("create", "sctp", "40000-40009"));
        assertTrue(err.toString(StandardCharsets.UTF_8).contains("protocol \"sctp\" must be tcp or udp"));
        assertEquals(ReservationTool.USAGE, run("create", "tcp", "40009-40000"));
        assertTrue(err.toString(StandardCharsets.UTF_8).contains("range 40009-40000 is invalid"), err.toString());
        assertEquals(ReservationTool.USAGE, run("reserve", "tcp", "40000"));
        assertTrue(err.toString(StandardCharsets.UTF_8).contains("unknown command \"reserve\""));
        assertEquals(ReservationTool.USAGE, run("lookup", "tcp"));
        assertTrue(err.toString(StandardCharsets.UTF_8).contains("usage: ReservationTool"));
    }

    @Test
    @RequiresProvider
    void lookupOfABlockNobodyReservedExits1() {
        assertEquals(ReservationTool.NOT_FOUND, run("lookup", "udp", "65530-65535"));
        assertTrue(out.toString(StandardCharsets.UTF_8).contains("no persistent reservation of udp 65530-65535"));
    }

    @Test
    @RequiresProvider
    void listPrintsTheHostListReadOnly() throws Exception {
        String sysctl = ReservationTool.readProcFile(ReservationTool.LINUX_RESERVED_PORTS).trim();
        assertEquals(ReservationTool.OK, run("list"));
        String printed = out.toString(StandardCharsets.UTF_8);
        assertTrue(printed.contains("net.ipv4.ip_local_reserved_ports"), printed);
        if (sysctl.isEmpty()) {
            assertTrue(printed.contains("  (empty)"), printed);
        }
        for (String entry : sysctl.isEmpty() ? new String[0] : sysctl.split(",")) {
            assertTrue(printed.contains("  " + entry.trim()), entry + " in " + printed);
        }
    }

    @Test
    void createLookupListDeleteAsSeparateProcessesInsideANamespace() throws Exception {
        assumeTrue(ExternalProcess.isRoot(), "needs root for unshare --net and to write the sysctl");
        assumeTrue(ExternalProcess.isInstalled("unshare") && ExternalProcess.isInstalled("ip"),
                "needs unshare and ip (util-linux, iproute2)");
        String hostBefore = ReservationTool.readProcFile(ReservationTool.LINUX_RESERVED_PORTS);
        String java = String.join(" ", quoted(ExternalProcess.javaCommand(ReservationTool.class)));
        String script = String.join("\n",
                "ip link set lo up",
                "echo 8080 > /proc/sys/net/ipv4/ip_local_reserved_ports",
                "step() { echo \"== $*\"; " + java + " \"$@\"; echo \"== exit $?\"; }",
                "step create tcp 40000-40009",
                "step lookup tcp 40000-40009",
                "step list",
                "step create udp 40005-40006",
                "step delete tcp 40000-40009",
                "step lookup tcp 40000-40009",
                "step delete tcp 40000-40009",
                "step list");
        Result r = ExternalProcess.run(120, "unshare", "--net", "sh", "-c", script);
        assertEquals(0, r.exitCode, r.output);
        String[] steps = r.output.split("== ");
        assertStep(steps, "create tcp 40000-40009", 0, "created tcp 40000-40009 token 0x");
        assertStep(steps, "lookup tcp 40000-40009", 0, "tcp 40000-40009 token 0x");
        assertTrue(r.output.contains("  8080\n  40000-40009\n"), "list shows both entries: " + r.output);
        assertStep(steps, "create udp 40005-40006", 3, "IN_USE");
        assertStep(steps, "delete tcp 40000-40009", 0, "deleted tcp 40000-40009");
        assertEquals(ReservationTool.NOT_FOUND, exitOf(steps, "lookup tcp 40000-40009", 1), r.output);
        assertEquals(ReservationTool.NOT_FOUND, exitOf(steps, "delete tcp 40000-40009", 1), r.output);
        assertTrue(r.output.trim().endsWith("namespace):\n  8080\n== exit 0"), "only the other entry is left: "
                + r.output);
        assertEquals(hostBefore, ReservationTool.readProcFile(ReservationTool.LINUX_RESERVED_PORTS),
                "the host list must not change");
    }

    @Test
    void listPrintsALongListWholeAndSubRangesOfAnEntryAreNotFoundInsideANamespace() throws Exception {
        assumeTrue(ExternalProcess.isRoot(), "needs root for unshare --net and to write the sysctl");
        assumeTrue(ExternalProcess.isInstalled("unshare"), "needs unshare (util-linux)");
        String hostBefore = ReservationTool.readProcFile(ReservationTool.LINUX_RESERVED_PORTS);
        String writer = String.join(" ", quoted(ExternalProcess.javaCommand(LongListWriter.class)));
        String java = String.join(" ", quoted(ExternalProcess.javaCommand(ReservationTool.class)));
        String script = String.join("\n",
                writer,
                "step() { echo \"== $*\"; " + java + " \"$@\"; echo \"== exit $?\"; }",
                "step list",
                "step lookup tcp 30003-30005",
                "step delete tcp 30003-30005",
                "step lookup tcp 30000-30009");
        Result r = ExternalProcess.run(120, "unshare", "--net", "sh", "-c", script);
        assertEquals(0, r.exitCode, r.output);
        String[] steps = r.output.split("== ");
        StringBuilder listed = new StringBuilder("list\nnet.ipv4.ip_local_reserved_ports (one list for TCP and UDP, "
                + "this network namespace):\n");
        for (int i = 0; i < 2000; i++) {
            listed.append("  ").append(20000 + 2 * i).append('\n');
        }
        listed.append("  30000-30009\n");
        assertEquals(listed.toString(), outputOf(steps, "list", 0), "all 2,000 entries of the 12 KB list");
        assertEquals(ReservationTool.NOT_FOUND, exitOf(steps, "lookup tcp 30003-30005", 0), r.output);
        assertEquals(ReservationTool.NOT_FOUND, exitOf(steps, "delete tcp 30003-30005", 0), r.output);
        assertTrue(outputOf(steps, "delete tcp 30003-30005", 0).contains("the entries overlapping it are "
                + "30000-30009."), r.output);
        assertStep(steps, "lookup tcp 30000-30009", 0, "tcp 30000-30009 token 0x");
        assertEquals(hostBefore, ReservationTool.readProcFile(ReservationTool.LINUX_RESERVED_PORTS),
                "the host list must not change");
    }

    /** Sets the namespace's list to 2,000 single ports and 30000-30009 (12 KB of text), through the library. */
    public static final class LongListWriter {
        public static void main(String[] args) {
            StringBuilder sb = new StringBuilder();
            for (int i = 0; i < 2000; i++) {
                sb.append(20000 + 2 * i).append(',');
            }
            ReservedPortSet list = ReservedPortSet.parse(sb + "30000-30009");
            new ReservedPortsFile(ReservedPortsFile.SYSCTL).update(current -> list);
        }
    }

    /** Asserts the first step named {@code command} exited with {@code code} and printed {@code text}. */
    private static void assertStep(String[] steps, String command, int code, String text) {
        assertEquals(code, exitOf(steps, command, 0), String.join("== ", steps));
        String output = outputOf(steps, command, 0);
        assertTrue(output.contains(text), command + " printed: " + output);
    }

    /** The exit code of the {@code occurrence}-th (0-based) step named {@code command}. */
    private static int exitOf(String[] steps, String command, int occurrence) {
        int seen = 0;
        for (int i = 0; i + 1 < steps.length; i++) {
            if (steps[i].startsWith(command + "\n") && seen++ == occurrence) {
                String exit = steps[i + 1].trim();
                assertTrue(exit.startsWith("exit "), exit);
                return Integer.parseInt(exit.substring(5).split("\\s")[0]);
            }
        }
        throw new AssertionError("no step " + command + " #" + occurrence);
    }

    private static String outputOf(String[] steps, String command, int occurrence) {
        int seen = 0;
        for (String s : steps) {
            if (s.startsWith(command + "\n") && seen++ == occurrence) {
                return s;
            }
        }
        throw new AssertionError("no step " + command);
    }

    private static List<String> quoted(List<String> words) {
        List<String> q = new ArrayList<>();
        for (String w : words) {
            q.add("'" + w.replace("'", "'\\''") + "'");
        }
        return q;
    }
}
