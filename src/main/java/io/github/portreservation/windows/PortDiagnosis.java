package io.github.portreservation.windows;

import io.github.portreservation.PortRange;
import io.github.portreservation.Protocol;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalLong;

/**
 * What {@link WindowsPortDoctor} found out about one port: a {@link Verdict}, what it rests on ({@link Source}, the
 * checks made), and {@link #describe()}, a text with the fix commands. Immutable.
 */
public final class PortDiagnosis {

    /** Why a bind of the port fails, or does not. */
    public enum Verdict {
        /** No socket uses the port and no excluded range or reservation holds it. */
        FREE,
        /** A socket of some process (see {@link #pid()}) uses the port. */
        IN_USE_BY_PROCESS,
        /** The port lies in a range Windows excludes from ordinary binds (see {@link #range()}). */
        EXCLUDED,
        /** The port lies in a persistent reservation (its exact block was found by a lookup). */
        RESERVED_PERSISTENT,
        /** The doctor could not tell; {@link #reason()} says why. */
        UNKNOWN
    }

    /** Where the verdict comes from. */
    public enum Source {
        /** {@code GetExtendedTcpTable} / {@code GetExtendedUdpTable}. */
        SOCKET_TABLE,
        /** {@code netsh interface ipv4|ipv6 show excludedportrange}. */
        NETSH,
        /** {@code LookupPersistent{Tcp,Udp}PortReservation} of the block netsh or the probe pointed at. */
        PERSISTENT_LOOKUP,
        /** A one-port {@code SIO_ACQUIRE_PORT_RESERVATION}, released at once. */
        PROBE,
        /** Nothing conclusive. */
        NONE
    }

    /** Whether this process may create persistent reservations, as {@code IsUserAnAdmin} tells. */
    public enum Elevation {
        /** IsUserAnAdmin returned TRUE. */
        ELEVATED,
        /** IsUserAnAdmin returned FALSE. */
        NOT_ELEVATED,
        /** IsUserAnAdmin could not be called. */
        UNKNOWN
    }

    private final Protocol protocol;
    private final int port;
    private final Verdict verdict;
    private final Source source;
    private final long pid;
    private final String processName;
    private final String socket;
    private final boolean ownProcess;
    private final PortRange range;
    private final boolean administered;
    private final Elevation elevation;
    private final List<String> checks;
    private final String reason;

    private PortDiagnosis(Builder b) {
        this.protocol = b.protocol;
        this.port = b.port;
        this.verdict = b.verdict;
        this.source = b.source;
        this.pid = b.pid;
        this.processName = b.processName;
        this.socket = b.socket;
        this.ownProcess = b.ownProcess;
        this.range = b.range;
        this.administered = b.administered;
        this.elevation = b.elevation;
        this.checks = List.copyOf(b.checks);
        this.reason = b.reason;
    }

    /** The protocol asked about. */
    public Protocol protocol() {
        return protocol;
    }

    /** The port asked about. */
    public int port() {
        return port;
    }

    /** The verdict. */
    public Verdict verdict() {
        return verdict;
    }

    /** What the verdict rests on. */
    public Source source() {
        return source;
    }

    /** The process that holds the port ({@link Verdict#IN_USE_BY_PROCESS}), else empty. */
    public OptionalLong pid() {
        return pid < 0 ? OptionalLong.empty() : OptionalLong.of(pid);
    }

    /** The executable name of {@link #pid()}, when the JDK can read it ({@link ProcessHandle.Info#command()}). */
    public Optional<String> processName() {
        return Optional.ofNullable(processName);
    }

    /** Whether the holder is this JVM. */
    public boolean ownProcess() {
        return ownProcess;
    }

    /**
     * The excluded range or persistent reservation the port lies in: the netsh row, or the port alone when only the
     * probe saw it. Also set for {@link Verdict#IN_USE_BY_PROCESS} when the port is in a listed range too.
     */
    public Optional<PortRange> range() {
        return Optional.ofNullable(range);
    }

    /** Whether {@link #range()} is a netsh row marked {@code *} (an administered port exclusion). */
    public boolean administered() {
        return administered;
    }

    /** Whether this process is elevated. */
    public Elevation elevation() {
        return elevation;
    }

    /** Every check made, in order, with its result: one line each. */
    public List<String> checks() {
        return checks;
    }

    /** Why the verdict is {@link Verdict#UNKNOWN}, else "". */
    public String reason() {
        return reason;
    }

    /** The one-line verdict, e.g. {@code "TCP port 50010: EXCLUDED, in 50000-50099 (netsh)"}. */
    public String summary() {
        StringBuilder sb = new StringBuilder().append(protocol).append(" port ").append(port).append(": ")
                .append(verdict);
        switch (verdict) {
            case IN_USE_BY_PROCESS:
                sb.append(", ").append(socket).append(ownProcess ? " (this process)" : "")
                        .append(processName == null ? "" : " " + processName);
                break;
            case EXCLUDED:
            case RESERVED_PERSISTENT:
                sb.append(", in ").append(range).append(administered ? " *" : "");
                break;
            case UNKNOWN:
                sb.append(", ").append(reason);
                break;
            default:
                break;
        }
        return sb.append(" (").append(source.name().toLowerCase(Locale.ROOT).replace('_', ' ')).append(")").toString();
    }

    /**
     * A text for people: the verdict, what Windows does with such a port, the checks made, and what to do, with the
     * commands (netsh, the library's calls, this project's ReservationTool).
     */
    public String describe() {
        List<String> out = new ArrayList<>();
        out.add(summary());
        explain(out);
        out.add("Checked:");
        for (String check : checks) {
            out.add("  - " + check);
        }
        out.add("What to do:");
        for (String fix : fixes()) {
            out.add("  - " + fix);
        }
        return String.join(System.lineSeparator(), out);
    }

    private void explain(List<String> out) {
        switch (verdict) {
            case FREE:
                out.add("Nothing holds the port now; another program can still take it before you bind it.");
                break;
            case IN_USE_BY_PROCESS:
                out.add(ownProcess ? "A socket of this JVM uses the port: close it (and its PortBinding) first."
                        : "Another process uses the port" + (pid == 0 ? " (pid 0: a TCP connection in TIME_WAIT, which "
                        + "no process owns any more)" : "") + ".");
                if (range != null) {
                    out.add("The port is also in the excluded range " + range + (administered ? " *" : "") + ".");
                }
                break;
            case EXCLUDED:
                out.add("Windows refuses ordinary binds in excluded ranges; the OS error is WSAEACCES (10013), which the "
                        + "JDK reports as 'Address already in use: bind' (reported by others, not observed by this "
                        + "project).");
                out.add(administered ? "The range is an administered exclusion (netsh's *): someone added it with "
                        + "'netsh int ipv4 add excludedportrange' (persistent reservations are reported to show the same "
                        + "way; the lookup below did not find one of exactly this block)."
                        : source == Source.PROBE ? "Only the probe saw it (SIO_ACQUIRE_PORT_RESERVATION returned "
                        + "WSAEADDRINUSE): an excluded range, or a reservation of another process."
                        : "The range is not administered: a system component (WinNAT, Hyper-V, WSL, Docker) excluded it; "
                        + "such ranges are reported to move at reboot or when those services restart.");
                break;
            case RESERVED_PERSISTENT:
                out.add("The block " + range + " is a persistent reservation (LookupPersistent"
                        + (protocol == Protocol.TCP ? "Tcp" : "Udp") + "PortReservation found it). Sockets associated "
                        + "with its token bind there; whether plain binds of other processes are refused is an open "
                        + "question (see docs/windows.md).");
                break;
            default:
                break;
        }
    }

    private List<String> fixes() {
        String p = protocol.name().toLowerCase(Locale.ROOT);
        String elevatedPrompt = elevation == Elevation.ELEVATED ? "elevated (this process is)"
                : elevation == Elevation.NOT_ELEVATED ? "from an elevated prompt (this process is not elevated)"
                : "from an elevated prompt";
        List<String> fixes = new ArrayList<>();
        switch (verdict) {
            case FREE:
                freeFixes(fixes, p, elevatedPrompt);
                break;
            case IN_USE_BY_PROCESS:
                inUseFixes(fixes, p);
                break;
            case EXCLUDED:
                excludedFixes(fixes, p, elevatedPrompt);
                break;
            case RESERVED_PERSISTENT:
                persistentFixes(fixes, p, elevatedPrompt);
                break;
            default:
                fixes.add("look by hand: 'netsh interface ipv4 show excludedportrange protocol=" + p + "' and 'netstat "
                        + "-ano -p " + p + " | findstr :" + port + "'");
                break;
        }
        return fixes;
    }

    private String netshAdd(String p) {
        return "netsh int ipv4 add excludedportrange protocol=" + p + " startport=" + port + " numberofports=1";
    }

    private void freeFixes(List<String> fixes, String p, String elevatedPrompt) {
        fixes.add("keep it for this process, no rights needed: provider.acquire(" + protocol
                + ", PortRange.single(" + port + ")) and bind through that reservation (SIO_ACQUIRE_PORT_RESERVATION "
                + "blocks the calling thread, also for a non-blocking socket, per Microsoft's page)");
        fixes.add("keep it across processes and reboots, " + elevatedPrompt + ": provider.createPersistent("
                + protocol + ", PortRange.single(" + port + ")), or 'ReservationTool doctor " + port + " " + p
                + " --protect', or 'ReservationTool create " + p + " " + port + "-" + port + "'");
        fixes.add("or by hand, elevated, while the port is free: " + netshAdd(p));
    }

    private void inUseFixes(List<String> fixes, String p) {
        if (!ownProcess && pid > 0) {
            fixes.add("stop that process ('tasklist /FI \"PID eq " + pid + "\"' shows it, 'taskkill /PID " + pid
                    + "' stops it), or use another port");
        } else if (!ownProcess) {
            fixes.add("wait for the TIME_WAIT to end, or use another port");
        } else {
            fixes.add("close the other socket of this process, or use another port");
        }
        fixes.add("see the sockets of the port with 'netstat -ano -p " + p + " | findstr :" + port + "'");
    }

    private void excludedFixes(List<String> fixes, String p, String elevatedPrompt) {
        fixes.add("use a port outside " + range + "; list the ranges with 'netsh interface ipv4 show "
                + "excludedportrange protocol=" + p + "' (and ipv6), or 'ReservationTool excluded " + p + "'");
        if (administered && range != null) {
            fixes.add("if the exclusion is not wanted, remove it, " + elevatedPrompt + ": netsh int ipv4 delete "
                    + "excludedportrange protocol=" + p + " startport=" + range.start() + " numberofports="
                    + range.count());
        } else {
            fixes.add("to get this very port, " + elevatedPrompt + ": 'net stop winnat', then '" + netshAdd(p)
                    + "', then 'net start winnat' (stopping winnat interrupts Docker and WSL networking until it "
                    + "starts again; it may exclude other ranges when it starts)");
        }
        fixes.add("or let Windows choose a block nobody excluded: provider.acquire(" + protocol + ", count)");
    }

    private void persistentFixes(List<String> fixes, String p, String elevatedPrompt) {
        fixes.add("bind through it: provider.lookupPersistent(" + protocol + ", PortRange.parse(\"" + range
                + "\")) gives the token, then provider.bind(token, socket, address) (associating a persistent "
                + "token needs elevation: run it " + elevatedPrompt + ")");
        fixes.add("or delete it, elevated: provider.deletePersistent(" + protocol + ", PortRange.parse(\"" + range
                + "\")), or 'ReservationTool delete " + p + " " + range.start() + "-" + range.end() + "'");
    }

    @Override
    public String toString() {
        return summary();
    }

    /** Collects a diagnosis; package-private, used by {@link WindowsPortDoctor}. */
    static final class Builder {
        private final Protocol protocol;
        private final int port;
        private final List<String> checks = new ArrayList<>();
        private Verdict verdict = Verdict.UNKNOWN;
        private Source source = Source.NONE;
        private long pid = -1;
        private String processName;
        private String socket;
        private boolean ownProcess;
        private PortRange range;
        private boolean administered;
        private Elevation elevation = Elevation.UNKNOWN;
        private String reason = "";

        Builder(Protocol protocol, int port) {
            this.protocol = Objects.requireNonNull(protocol, "protocol");
            this.port = port;
        }

        Builder check(String line) {
            checks.add(line);
            return this;
        }

        Builder elevation(Elevation value) {
            elevation = value;
            return this;
        }

        Builder range(PortRange value, boolean isAdministered) {
            range = value;
            administered = isAdministered;
            return this;
        }

        Builder holder(long holderPid, String name, String socketText, boolean own) {
            pid = holderPid;
            processName = name;
            socket = socketText;
            ownProcess = own;
            return this;
        }

        PortDiagnosis verdict(Verdict value, Source from) {
            verdict = value;
            source = from;
            return new PortDiagnosis(this);
        }

        PortDiagnosis unknown(String why) {
            reason = why;
            return verdict(Verdict.UNKNOWN, Source.NONE);
        }
    }
}
