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

import java.io.IOException;
import java.nio.channels.DatagramChannel;
import java.nio.channels.NetworkChannel;
import java.nio.channels.SocketChannel;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.stream.Collectors;

import static io.github.portreservation.windows.WindowsConstants.MIB_TCP_STATE_LISTEN;
import static io.github.portreservation.windows.WindowsConstants.MIB_TCP_STATE_TIME_WAIT;
import static io.github.portreservation.windows.WindowsConstants.WSAEADDRINUSE;

/**
 * Says why a port cannot be bound on Windows: in use by a process ({@code GetExtendedTcpTable} /
 * {@code GetExtendedUdpTable}), inside an excluded range ({@code netsh interface ipv4|ipv6 show excludedportrange},
 * the only known way to list them, or a one-port {@code SIO_ACQUIRE_PORT_RESERVATION} probe when netsh cannot tell),
 * inside a persistent reservation ({@code LookupPersistent*PortReservation} of the block netsh lists), or free; lists
 * the excluded ranges; and creates the persistent reservation that protects a free port.
 *
 * <p>Every call runs processes and native calls and may take a second or more (the probe's IOCTL blocks, per
 * Microsoft's documentation), so the provider runs the doctor only after a bind failed. Get it from
 * {@link WindowsPortReservationProvider#doctor()}. Thread-safe.
 */
public final class WindowsPortDoctor {
    /**
     * System property: {@code false} keeps the diagnosis out of bind failure messages (and the netsh processes and
     * probe it runs). Read at every failure; default {@code true}.
     */
    public static final String DIAGNOSE_PROPERTY = "io.github.portreservation.windows.diagnoseBindFailures";
    /** How long one netsh run may take before it is killed. */
    public static final Duration NETSH_TIMEOUT = Duration.ofSeconds(5);

    private static final int MAX_LISTED_SOCKETS = 5;

    /** Creates a persistent reservation through the provider (so that the provider knows its token). */
    @FunctionalInterface
    interface PersistentCreator {
        ReservationToken create(Protocol protocol, PortRange range);
    }

    private final WindowsNatives natives;
    private final CommandRunner runner;
    private final PersistentCreator creator;

    WindowsPortDoctor(WindowsNatives natives, CommandRunner runner, PersistentCreator creator) {
        this.natives = natives;
        this.runner = runner;
        this.creator = creator;
    }

    /**
     * Why {@code port} can or cannot be bound for {@code protocol} now.
     *
     * @throws PortReservationException INVALID_ARGUMENT for a null protocol or a port outside 1..65535
     */
    public PortDiagnosis diagnose(Protocol protocol, int port) {
        checkArguments(protocol, port);
        PortDiagnosis.Builder report = new PortDiagnosis.Builder(protocol, port).elevation(elevation());
        List<String> socketsProblem = new ArrayList<>(1);
        List<SocketEntry> holders = socketsOn(report, protocol, port, socketsProblem);
        List<String> netshProblems = new ArrayList<>();
        ExcludedRange containing = exclusionOf(report, protocol, port, netshProblems);
        if (holders != null && !holders.isEmpty()) {
            SocketEntry holder = holders.get(0);
            if (containing != null) {
                report.range(containing.range(), containing.administered());
            }
            return report.holder(holder.pid(), processName(holder.pid()), holder.toString(),
                    holder.pid() == ProcessHandle.current().pid()).verdict(Verdict.IN_USE_BY_PROCESS,
                    Source.SOCKET_TABLE);
        }
        if (containing != null) {
            report.range(containing.range(), containing.administered());
            return lookedUp(report, protocol, containing.range()) ? report.verdict(Verdict.RESERVED_PERSISTENT,
                    Source.PERSISTENT_LOOKUP) : report.verdict(Verdict.EXCLUDED, Source.NETSH);
        }
        boolean netshAnswered = netshProblems.size() < IpVersion.values().length;
        return probed(report, protocol, port, netshAnswered ? null : String.join("; ", netshProblems),
                socketsProblem.isEmpty() ? null : socketsProblem.get(0));
    }

    /** The sockets on {@code port} from the socket table, most telling first; null (problem noted) when unreadable. */
    private List<SocketEntry> socketsOn(PortDiagnosis.Builder report, Protocol protocol, int port,
                                        List<String> problem) {
        try {
            List<SocketEntry> holders = natives.sockets(protocol).stream().filter(s -> s.port() == port)
                    .sorted(Comparator.comparingInt(WindowsPortDoctor::rank)).collect(Collectors.toList());
            report.check(tableName(protocol) + ": " + (holders.isEmpty() ? "no socket on port " + port
                    : holders.stream().limit(MAX_LISTED_SOCKETS).map(SocketEntry::toString)
                    .collect(Collectors.joining("; "))));
            return holders;
        } catch (PortReservationException e) {
            problem.add(tableName(protocol) + " failed: " + e.getMessage());
            report.check(problem.get(0));
            return null;
        }
    }

    /** The first excluded range netsh lists with {@code port} (IPv4, then IPv6), or null; netsh failures noted. */
    private ExcludedRange exclusionOf(PortDiagnosis.Builder report, Protocol protocol, int port,
                                      List<String> problems) {
        ExcludedRange containing = null;
        for (IpVersion version : IpVersion.values()) {
            String command = String.join(" ", NetshExclusions.command(protocol, version));
            try {
                List<ExcludedRange> ranges = excludedRanges(protocol, version);
                ExcludedRange hit = ranges.stream().filter(r -> r.range().contains(port)).findFirst().orElse(null);
                report.check(command + ": " + ranges.size() + " ranges, " + (hit == null ? "none contains " + port
                        : port + " is in " + hit.range() + (hit.administered() ? " *" : "")));
                if (containing == null) {
                    containing = hit;
                }
            } catch (PortReservationException e) {
                problems.add(e.getMessage());
                report.check(command + " failed: " + e.getMessage());
            }
        }
        return containing;
    }

    /**
     * The verdict when no socket and no listed exclusion holds the port: the one-port probe decides.
     *
     * @param netshProblem   why netsh could not list the exclusions in any context, or null when it did in one
     * @param socketsProblem why the socket table could not be read, or null
     */
    private PortDiagnosis probed(PortDiagnosis.Builder report, Protocol protocol, int port, String netshProblem,
                                 String socketsProblem) {
        Probe probe = probe(protocol, port);
        report.check(probe.text);
        if (probe.outcome == Probe.Outcome.REFUSED) {
            PortRange single = PortRange.single(port);
            report.range(single, false);
            return lookedUp(report, protocol, single) ? report.verdict(Verdict.RESERVED_PERSISTENT,
                    Source.PERSISTENT_LOOKUP) : report.verdict(Verdict.EXCLUDED, Source.PROBE);
        }
        if (probe.outcome != Probe.Outcome.ACQUIRED && netshProblem != null) {
            return report.unknown("netsh could not list the excluded ranges (" + netshProblem
                    + ") and the probe could not tell (" + probe.text + ")");
        }
        if (socketsProblem != null) {
            return report.unknown("no excluded range holds the port, but whether a process uses it is unknown ("
                    + socketsProblem + ")");
        }
        return report.verdict(Verdict.FREE, probe.outcome == Probe.Outcome.ACQUIRED ? Source.PROBE : Source.NETSH);
    }

    /**
     * The excluded ranges of {@code protocol} in the netsh context {@code ipVersion}, as netsh lists them now.
     *
     * @throws PortReservationException SYSTEM_ERROR when netsh cannot be run, fails, or prints a table this library
     *         does not know (the message quotes it)
     */
    public List<ExcludedRange> excludedRanges(Protocol protocol, IpVersion ipVersion) {
        AssociatedBind.present(protocol, "protocol");
        AssociatedBind.present(ipVersion, "ipVersion");
        List<String> command = NetshExclusions.command(protocol, ipVersion);
        CommandRunner.Result result;
        try {
            result = runner.run(command);
        } catch (IOException e) {
            throw new PortReservationException(Reason.SYSTEM_ERROR, "cannot run '" + String.join(" ", command) + "': "
                    + e.getMessage() + "; netsh is part of Windows, and no documented API lists excluded ranges", e);
        }
        if (result.exitCode() != 0) {
            throw new PortReservationException(Reason.SYSTEM_ERROR, "'" + String.join(" ", command) + "' exited with "
                    + result.exitCode() + ": " + result.output().strip());
        }
        return NetshExclusions.parse(result.output(), protocol, ipVersion);
    }

    /** Whether this process is elevated, from {@code IsUserAnAdmin}; {@link Elevation#UNKNOWN} when it cannot be called. */
    public Elevation elevation() {
        try {
            return natives.isUserAnAdmin() ? Elevation.ELEVATED : Elevation.NOT_ELEVATED;
        } catch (PortReservationException e) {
            return Elevation.UNKNOWN;
        }
    }

    /**
     * Diagnoses {@code port} and, when it is {@link Verdict#FREE}, creates the one-port persistent reservation that keeps
     * it from other software across reboots ({@code CreatePersistent{Tcp,Udp}PortReservation}; Windows itself refuses
     * without elevation). The provider remembers the token.
     *
     * @throws PortReservationException INVALID_ARGUMENT for a bad port, IN_USE (with the diagnosis) when the port is not
     *         free or the doctor cannot tell, and the provider's errors of {@code createPersistent} (ACCESS_DENIED when
     *         not elevated)
     */
    public ReservationToken protect(Protocol protocol, int port) {
        PortDiagnosis diagnosis = diagnose(protocol, port);
        if (diagnosis.verdict() != Verdict.FREE) {
            throw new PortReservationException(Reason.IN_USE, "not protecting " + protocol + " port " + port + ", which "
                    + "is not free; a persistent reservation can only be made while nothing uses the port (for "
                    + "UNKNOWN, try 'ReservationTool create " + protocol.name().toLowerCase(Locale.ROOT) + " "
                    + port + "-" + port + "' yourself). Diagnosis:" + System.lineSeparator() + diagnosis.describe());
        }
        return creator.create(protocol, PortRange.single(port));
    }

    /**
     * The diagnosis to append to a failed bind of {@code port}, or "" when {@link #DIAGNOSE_PROPERTY} is false. Never
     * throws: a failure of the doctor itself is reported in the text.
     */
    String bindFailureDiagnosis(Protocol protocol, int port) {
        if (!enabled()) {
            return "";
        }
        try {
            return "; diagnosis: " + diagnose(protocol, port).describe();
        } catch (RuntimeException e) {
            return "; the port doctor failed too: " + e;
        }
    }

    /**
     * The excluded ranges that overlap {@code range} (netsh, both contexts), to append to a failed acquire of that
     * block, or "" when {@link #DIAGNOSE_PROPERTY} is false. Never throws.
     */
    String acquireFailureDiagnosis(Protocol protocol, PortRange range) {
        if (!enabled()) {
            return "";
        }
        List<String> parts = new ArrayList<>();
        for (IpVersion version : IpVersion.values()) {
            try {
                List<String> overlapping = excludedRanges(protocol, version).stream()
                        .filter(r -> r.range().overlaps(range)).map(ExcludedRange::toString)
                        .collect(Collectors.toList());
                parts.add(version.netshName() + ": " + (overlapping.isEmpty() ? "no excluded range overlaps " + range
                        : "overlapping excluded ranges " + String.join(", ", overlapping)));
            } catch (RuntimeException e) {
                parts.add(version.netshName() + ": " + e.getMessage());
            }
        }
        return "; diagnosis (netsh): " + String.join("; ", parts);
    }

    private static boolean enabled() {
        return !"false".equalsIgnoreCase(System.getProperty(DIAGNOSE_PROPERTY, "true").trim());
    }

    private boolean lookedUp(PortDiagnosis.Builder report, Protocol protocol, PortRange block) {
        String function = WindowsNatives.persistentFunction("Lookup", protocol);
        try {
            boolean found = natives.lookupPersistent(protocol, block) != WindowsConstants.INVALID_PORT_RESERVATION_TOKEN;
            report.check(function + "(" + block + "): " + (found ? "a persistent reservation of exactly this block"
                    : "none of exactly this block"));
            return found;
        } catch (PortReservationException e) {
            report.check(function + "(" + block + ") failed: " + e.getMessage());
            return false;
        }
    }

    /** The outcome of a one-port SIO_ACQUIRE_PORT_RESERVATION. */
    private static final class Probe {
        enum Outcome { ACQUIRED, REFUSED, FAILED }

        final Outcome outcome;
        final String text;

        Probe(Outcome outcome, String text) {
            this.outcome = outcome;
            this.text = text;
        }
    }

    private Probe probe(Protocol protocol, int port) {
        String what = "probe SIO_ACQUIRE_PORT_RESERVATION of " + protocol + " port " + port;
        NetworkChannel owner;
        try {
            owner = protocol == Protocol.TCP ? SocketChannel.open() : DatagramChannel.open();
        } catch (IOException e) {
            return new Probe(Probe.Outcome.FAILED, what + " not made: cannot open a socket: " + e.getMessage());
        }
        long handle = 0;
        try {
            handle = WindowsRuntimeReservation.handleOf(owner);
            AcquiredBlock block = natives.acquire(handle, protocol, port, 1);
            WindowsRuntimeReservation.releaseAndCloseOwner(natives, owner, handle, protocol, block.token());
            return new Probe(Probe.Outcome.ACQUIRED, what + ": acquired and released (no excluded range or reservation "
                    + "holds it)");
        } catch (PortReservationException e) {
            closeQuietly(owner);
            if (e.hasNativeCode() && e.nativeCode() == WSAEADDRINUSE) {
                return new Probe(Probe.Outcome.REFUSED, what + ": WSAEADDRINUSE (an excluded range or another "
                        + "reservation holds it)");
            }
            return new Probe(Probe.Outcome.FAILED, what + " failed: " + e.getMessage());
        }
    }

    private static void closeQuietly(NetworkChannel channel) {
        try {
            channel.close();
        } catch (IOException ignored) {
            // a probe socket only
        }
    }

    private static void checkArguments(Protocol protocol, int port) {
        AssociatedBind.present(protocol, "protocol");
        if (port < PortRange.MIN_PORT || port > PortRange.MAX_PORT) {
            throw PortReservationException.invalidArgument("port " + port, "must be in " + PortRange.MIN_PORT + ".."
                    + PortRange.MAX_PORT, "pass the port a bind asked for (port 0 names no port)");
        }
    }

    /** Listening sockets first, TIME_WAIT connections (no owner) last. */
    private static int rank(SocketEntry entry) {
        if (entry.tcpState() == MIB_TCP_STATE_LISTEN) {
            return 0;
        }
        return entry.tcpState() == MIB_TCP_STATE_TIME_WAIT ? 2 : 1;
    }

    private static String tableName(Protocol protocol) {
        return protocol == Protocol.TCP ? "GetExtendedTcpTable" : "GetExtendedUdpTable";
    }

    /** The executable's file name, when the JDK can read the command of that process. */
    static String processName(long pid) {
        if (pid <= 0) {
            return null;
        }
        return ProcessHandle.of(pid).flatMap(h -> h.info().command()).map(c -> {
            Path name = Paths.get(c).getFileName();
            return name == null ? c : name.toString();
        }).orElse(null);
    }

    @Override
    public String toString() {
        return "WindowsPortDoctor[" + runner + "]";
    }
}
