package io.github.portreservation.windows;

import io.github.portreservation.PortRange;
import io.github.portreservation.PortReservationException;
import io.github.portreservation.PortReservationException.Reason;
import io.github.portreservation.Protocol;
import io.github.portreservation.ReservationToken;
import io.github.portreservation.windows.ExcludedRange.IpVersion;
import io.github.portreservation.windows.PortDiagnosis.Elevation;
import io.github.portreservation.windows.PortDiagnosis.Source;
import io.github.portreservation.windows.PortDiagnosis.Verdict;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.nio.file.Paths;
import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;

import static io.github.portreservation.windows.FakeNetsh.sample;
import static io.github.portreservation.windows.WindowsConstants.AF_INET;
import static io.github.portreservation.windows.WindowsConstants.AF_INET6;
import static io.github.portreservation.windows.WindowsConstants.SIO_ACQUIRE_PORT_RESERVATION;
import static io.github.portreservation.windows.WindowsConstants.SIO_RELEASE_PORT_RESERVATION;
import static io.github.portreservation.windows.WindowsConstants.WSAEOPNOTSUPP;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@link WindowsPortDoctor} end to end over the native test double (socket tables, IsUserAnAdmin, lookups and the
 * acquire probe are the double's; netsh answers are the public samples, through {@link FakeNetsh}). Linux with gcc
 * only: these check the doctor's logic and marshalling, not what Windows answers.
 */
class WindowsDoctorDoubleTest {
    private static final int TCP = 1;
    private static final int UDP = 2;
    private static final int LISTEN = 2;
    private static final int TIME_WAIT = 11;
    /** A process id no Linux process has (pid_max is at most 2^22). */
    private static final int NO_SUCH_PID = 0x7FFFFFF0;

    private NativeDouble.Control control;
    private FakeNetsh netsh;
    private WindowsPortReservationProvider provider;
    private WindowsPortDoctor doctor;

    @BeforeEach
    void setUp() {
        NativeDouble.assumeAvailable();
        control = NativeDouble.control();
        netsh = new FakeNetsh();
        provider = WindowsPortReservationProvider.create(NativeDouble.natives(), netsh);
        doctor = provider.doctor();
    }

    private void row(int protocol, int af, String address, int port, int state, long pid) {
        assertEquals(1, control.double_add_socket_row(protocol, af, address, port, state, (int) pid));
    }

    /** The English runner sample for ipv4 and the empty Chinese table for ipv6. */
    private void netshTcp(String ipv4Sample) {
        netsh.answer(Protocol.TCP, IpVersion.IPV4, sample(ipv4Sample))
                .answer(Protocol.TCP, IpVersion.IPV6, sample("zh-tcp-empty-clash-verge-rev-1688.txt"));
    }

    private int acquires() {
        return control.double_ioctl_calls(SIO_ACQUIRE_PORT_RESERVATION);
    }

    @Test
    void aSocketOfThisProcessIsFoundInTheTable() {
        long self = ProcessHandle.current().pid();
        row(TCP, AF_INET, "0.0.0.0", 8080, LISTEN, self);
        netshTcp("en-tcp-docker-for-win-3171.txt");
        PortDiagnosis d = doctor.diagnose(Protocol.TCP, 8080);
        assertEquals(Verdict.IN_USE_BY_PROCESS, d.verdict());
        assertEquals(Source.SOCKET_TABLE, d.source());
        assertEquals(OptionalLong.of(self), d.pid());
        assertTrue(d.ownProcess());
        String java = Paths.get(ProcessHandle.current().info().command().orElseThrow()).getFileName().toString();
        assertEquals(Optional.of(java), d.processName());
        assertEquals(Optional.empty(), d.range());
        assertEquals("TCP port 8080: IN_USE_BY_PROCESS, TCP 0.0.0.0:8080 LISTENING, pid " + self + " (this process) "
                + java + " (socket table)", d.summary());
        assertTrue(d.describe().contains("A socket of this JVM uses the port"), d.describe());
        assertEquals(0, acquires(), "no probe when a socket holds the port");
    }

    @Test
    void aListenerOfAnotherProcessRanksBeforeATimeWaitAndTheRangeIsNamedToo() {
        row(TCP, AF_INET, "192.0.2.3", 49900, TIME_WAIT, 0);
        row(TCP, AF_INET6, "::", 49900, LISTEN, NO_SUCH_PID);
        netshTcp("de-tcp-fmeinicke-obsidian-wiki.txt");
        PortDiagnosis d = doctor.diagnose(Protocol.TCP, 49900);
        assertEquals(Verdict.IN_USE_BY_PROCESS, d.verdict());
        assertEquals(OptionalLong.of(NO_SUCH_PID), d.pid());
        assertFalse(d.ownProcess());
        assertEquals(Optional.empty(), d.processName());
        assertEquals(Optional.of(PortRange.between(49851, 49950)), d.range());
        assertFalse(d.administered());
        assertEquals("GetExtendedTcpTable: TCP [0:0:0:0:0:0:0:0]:49900 LISTENING, pid " + NO_SUCH_PID
                + "; TCP 192.0.2.3:49900 TIME_WAIT, pid 0", d.checks().get(0));
        assertTrue(d.describe().contains("'taskkill /PID " + NO_SUCH_PID + "'"), d.describe());
        assertTrue(d.describe().contains("The port is also in the excluded range 49851-49950."), d.describe());
    }

    @Test
    void aWinnatRangeFromNetshIsExcludedAndTheFixIsTheWinnatDance() {
        netshTcp("de-tcp-fmeinicke-obsidian-wiki.txt");
        PortDiagnosis d = doctor.diagnose(Protocol.TCP, 50100);
        assertEquals(Verdict.EXCLUDED, d.verdict());
        assertEquals(Source.NETSH, d.source());
        assertEquals(Optional.of(PortRange.between(50060, 50159)), d.range());
        assertFalse(d.administered());
        assertEquals(List.of("GetExtendedTcpTable: no socket on port 50100",
                "netsh interface ipv4 show excludedportrange protocol=tcp: 15 ranges, 50100 is in 50060-50159",
                "netsh interface ipv6 show excludedportrange protocol=tcp: 0 ranges, none contains 50100",
                "LookupPersistentTcpPortReservation(50060-50159): none of exactly this block"), d.checks());
        String text = d.describe();
        assertTrue(text.contains("'Address already in use: bind'"), text);
        assertTrue(text.contains("'net stop winnat', then 'netsh int ipv4 add excludedportrange protocol=tcp "
                + "startport=50100 numberofports=1', then 'net start winnat'"), text);
        assertEquals(0, acquires(), "netsh answered: no probe");
    }

    @Test
    void anAdministeredRangeIsExcludedAndTheFixDeletesIt() {
        netshTcp("zh-tcp-windows-notes.txt");
        PortDiagnosis d = doctor.diagnose(Protocol.TCP, 50030);
        assertEquals(Verdict.EXCLUDED, d.verdict());
        assertEquals(Optional.of(PortRange.between(50000, 50059)), d.range());
        assertTrue(d.administered());
        assertEquals("TCP port 50030: EXCLUDED, in 50000-50059 * (netsh)", d.summary());
        assertTrue(d.describe().contains("netsh int ipv4 delete excludedportrange protocol=tcp startport=50000 "
                + "numberofports=60"), d.describe());
    }

    @Test
    void aPersistentReservationIsRecognizedByLookingUpTheNetshRow() {
        PortRange block = PortRange.of(40000, 10);
        provider.createPersistent(Protocol.TCP, block);
        // the administered runner sample, its one '*' row moved onto the block the double reserved
        netshTcp("en-tcp-winnat-otel-collector-10839.txt");
        netsh.answer(Protocol.TCP, IpVersion.IPV4, sample("en-tcp-administered-otel-collector-10839.txt")
                .replace("     55679       55679     *", "     40000       40009     *"));
        PortDiagnosis d = doctor.diagnose(Protocol.TCP, 40005);
        assertEquals(Verdict.RESERVED_PERSISTENT, d.verdict());
        assertEquals(Source.PERSISTENT_LOOKUP, d.source());
        assertEquals(Optional.of(block), d.range());
        assertTrue(d.describe().contains("provider.lookupPersistent(TCP, PortRange.parse(\"40000-40009\"))"),
                d.describe());
        assertTrue(d.describe().contains("'ReservationTool delete tcp 40000-40009'"), d.describe());
    }

    @Test
    void withoutNetshTheProbeSeesAnExcludedPortAndLeavesNoReservation() {
        assertEquals(1, control.double_add_excluded_range(TCP, 50000, 60));
        PortDiagnosis d = doctor.diagnose(Protocol.TCP, 50010);
        assertEquals(Verdict.EXCLUDED, d.verdict());
        assertEquals(Source.PROBE, d.source());
        assertEquals(Optional.of(PortRange.single(50010)), d.range());
        assertFalse(d.administered());
        assertTrue(d.checks().contains("probe SIO_ACQUIRE_PORT_RESERVATION of TCP port 50010: WSAEADDRINUSE (an "
                + "excluded range or another reservation holds it)"), d.checks().toString());
        assertTrue(d.checks().get(1).startsWith("netsh interface ipv4 show excludedportrange protocol=tcp failed: "
                + "SYSTEM_ERROR: cannot run"), d.checks().toString());
        assertEquals(1, acquires());
        assertEquals(0, control.double_runtime_reservations());
    }

    @Test
    void withoutNetshAnAcquiredProbeMeansFreeAndIsReleased() {
        PortDiagnosis d = doctor.diagnose(Protocol.UDP, 50010);
        assertEquals(Verdict.FREE, d.verdict());
        assertEquals(Source.PROBE, d.source());
        assertEquals(1, control.double_ioctl_calls(SIO_RELEASE_PORT_RESERVATION));
        assertEquals(0, control.double_runtime_reservations());
        assertTrue(d.describe().contains("provider.acquire(UDP, PortRange.single(50010))"), d.describe());
    }

    @Test
    void netshAloneSaysFreeWhenTheProbeCannotBeMade() {
        netshTcp("en-tcp-docker-for-win-3171.txt");
        control.double_fail_next_ioctl(SIO_ACQUIRE_PORT_RESERVATION, WSAEOPNOTSUPP);
        PortDiagnosis d = doctor.diagnose(Protocol.TCP, 8080);
        assertEquals(Verdict.FREE, d.verdict());
        assertEquals(Source.NETSH, d.source());
        assertTrue(d.checks().get(3).contains("failed: UNSUPPORTED"), d.checks().toString());
    }

    @Test
    void withNothingAnsweringTheVerdictIsUnknownAndSaysWhy() {
        control.double_fail_next_ioctl(SIO_ACQUIRE_PORT_RESERVATION, WSAEOPNOTSUPP);
        PortDiagnosis d = doctor.diagnose(Protocol.TCP, 8080);
        assertEquals(Verdict.UNKNOWN, d.verdict());
        assertEquals(Source.NONE, d.source());
        assertTrue(d.reason().startsWith("netsh could not list the excluded ranges (SYSTEM_ERROR: cannot run "
                + "'netsh interface ipv4 show excludedportrange protocol=tcp'"), d.reason());
        assertTrue(d.reason().contains("WSAEOPNOTSUPP"), d.reason());
    }

    @Test
    void anUnknownNetshOutputIsReportedAndTheProbeDecides() {
        netsh.answer(Protocol.TCP, IpVersion.IPV4, "unexpected text\n")
                .exit(Protocol.TCP, IpVersion.IPV6, 1, "The parameter is incorrect.\n");
        PortDiagnosis d = doctor.diagnose(Protocol.TCP, 8080);
        assertEquals(Verdict.FREE, d.verdict());
        assertEquals(Source.PROBE, d.source());
        assertTrue(d.checks().get(1).contains("is not the table this library knows: it has no '----------    "
                + "--------' rule"), d.checks().toString());
        assertTrue(d.checks().get(2).contains("'netsh interface ipv6 show excludedportrange protocol=tcp' exited with "
                + "1: The parameter is incorrect."), d.checks().toString());
    }

    @Test
    void withoutSocketTablesAPortInNoRangeIsUnknown() {
        String full = NativeDouble.library().toString();
        String without = NativeDouble.libraryWithoutTables().toString();
        WindowsPortDoctor partial = WindowsPortReservationProvider.create(WindowsNatives.load(full, without, without),
                netsh).doctor();
        netshTcp("en-tcp-docker-for-win-3171.txt");
        PortDiagnosis d = partial.diagnose(Protocol.TCP, 8080);
        assertEquals(Verdict.UNKNOWN, d.verdict());
        assertEquals(Elevation.UNKNOWN, d.elevation());
        assertTrue(d.reason().startsWith("no excluded range holds the port, but whether a process uses it is unknown "
                + "(GetExtendedTcpTable failed: UNSUPPORTED: cannot call GetExtendedTcpTable"), d.reason());
        // a port netsh lists is still EXCLUDED
        assertEquals(Verdict.EXCLUDED, partial.diagnose(Protocol.TCP, 1600).verdict());
    }

    @Test
    void udpAsksTheUdpTableAndRunsTheUdpCommands() {
        row(UDP, AF_INET, "0.0.0.0", 56100, 0, NO_SUCH_PID);
        netsh.answer(Protocol.UDP, IpVersion.IPV4, sample("en-udp-otel-collector-contrib-10872.txt"));
        PortDiagnosis d = doctor.diagnose(Protocol.UDP, 56100);
        assertEquals(Verdict.IN_USE_BY_PROCESS, d.verdict());
        assertEquals(Optional.of(PortRange.between(56030, 56129)), d.range());
        assertEquals(List.of(NetshExclusions.command(Protocol.UDP, IpVersion.IPV4),
                NetshExclusions.command(Protocol.UDP, IpVersion.IPV6)), netsh.calls());
    }

    @Test
    void excludedRangesPerContext() {
        netsh.answer(Protocol.UDP, IpVersion.IPV4, sample("en-udp-otel-collector-contrib-10872.txt"));
        assertEquals(List.of(new ExcludedRange(Protocol.UDP, IpVersion.IPV4, PortRange.between(56030, 56129), false),
                new ExcludedRange(Protocol.UDP, IpVersion.IPV4, PortRange.between(56130, 56229), false)),
                doctor.excludedRanges(Protocol.UDP, IpVersion.IPV4));
        PortReservationException e = assertThrows(PortReservationException.class,
                () -> doctor.excludedRanges(Protocol.UDP, IpVersion.IPV6));
        assertEquals(Reason.SYSTEM_ERROR, e.reason());
        assertTrue(e.getMessage().contains("cannot run 'netsh interface ipv6 show excludedportrange protocol=udp': "
                + "Cannot run program"), e.getMessage());
    }

    @Test
    void elevationWordsTheAdvice() {
        netshTcp("en-tcp-docker-for-win-3171.txt");
        PortDiagnosis elevated = doctor.diagnose(Protocol.TCP, 8080);
        assertEquals(Elevation.ELEVATED, elevated.elevation());
        assertTrue(elevated.describe().contains("keep it across processes and reboots, elevated (this process is): "
                + "provider.createPersistent(TCP, PortRange.single(8080)), or 'ReservationTool doctor 8080 tcp "
                + "--protect'"), elevated.describe());
        control.double_set_elevated(0);
        PortDiagnosis not = doctor.diagnose(Protocol.TCP, 8080);
        assertEquals(Elevation.NOT_ELEVATED, not.elevation());
        assertTrue(not.describe().contains("from an elevated prompt (this process is not elevated)"), not.describe());
    }

    @Test
    void protectCreatesTheOnePortPersistentReservationTheProviderKnows() {
        netshTcp("en-tcp-docker-for-win-3171.txt");
        ReservationToken token = doctor.protect(Protocol.TCP, 8080);
        assertEquals(Optional.of(token), provider.lookupPersistent(Protocol.TCP, PortRange.single(8080)));
        assertTrue(provider.runtimeReservation(token).isEmpty());
    }

    @Test
    void protectWithoutElevationFailsAsWindowsRefuses() {
        netshTcp("en-tcp-docker-for-win-3171.txt");
        control.double_set_elevated(0);
        PortReservationException e = assertThrows(PortReservationException.class,
                () -> doctor.protect(Protocol.TCP, 8080));
        assertEquals(Reason.ACCESS_DENIED, e.reason());
        assertEquals("ERROR_ACCESS_DENIED", e.nativeName());
        assertEquals(Optional.empty(), provider.lookupPersistent(Protocol.TCP, PortRange.single(8080)));
    }

    @Test
    void protectRefusesAPortThatIsNotFree() {
        row(TCP, AF_INET, "0.0.0.0", 8080, LISTEN, NO_SUCH_PID);
        netshTcp("en-tcp-docker-for-win-3171.txt");
        PortReservationException e = assertThrows(PortReservationException.class,
                () -> doctor.protect(Protocol.TCP, 8080));
        assertEquals(Reason.IN_USE, e.reason());
        assertTrue(e.getMessage().contains("not protecting TCP port 8080, which is not free"), e.getMessage());
        assertTrue(e.getMessage().contains("TCP port 8080: IN_USE_BY_PROCESS"), e.getMessage());
        assertEquals(0, control.double_persistent_calls(), "nothing was created or looked up");
    }

    @Test
    void badArgumentsNameTheValueAndTheRule() {
        PortReservationException zero = assertThrows(PortReservationException.class,
                () -> doctor.diagnose(Protocol.TCP, 0));
        assertEquals(Reason.INVALID_ARGUMENT, zero.reason());
        assertEquals("INVALID_ARGUMENT: port 0 is invalid: must be in 1..65535; pass the port a bind asked for (port 0 "
                + "names no port)", zero.getMessage());
        PortReservationException big = assertThrows(PortReservationException.class,
                () -> doctor.diagnose(Protocol.UDP, 65536));
        assertTrue(big.getMessage().startsWith("INVALID_ARGUMENT: port 65536 is invalid"), big.getMessage());
        PortReservationException none = assertThrows(PortReservationException.class, () -> doctor.diagnose(null, 80));
        assertEquals("INVALID_ARGUMENT: protocol null is invalid: must not be null; pass a protocol", none.getMessage());
        assertEquals(List.of(), netsh.calls());
    }
}
