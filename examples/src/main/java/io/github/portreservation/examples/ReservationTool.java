package io.github.portreservation.examples;

import io.github.portreservation.PortRange;
import io.github.portreservation.PortReservationException;
import io.github.portreservation.PortReservationProvider;
import io.github.portreservation.PortReservations;
import io.github.portreservation.Protocol;
import io.github.portreservation.ReservationToken;
import io.github.portreservation.windows.ExcludedRange;
import io.github.portreservation.windows.ExcludedRange.IpVersion;
import io.github.portreservation.windows.WindowsPortDoctor;
import io.github.portreservation.windows.WindowsPortReservationProvider;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.List;
import java.nio.file.StandardOpenOption;
import java.util.Locale;
import java.util.Optional;

/**
 * Example: a command-line tool for persistent reservations (they outlive the process), and, on Windows, the port
 * doctor.
 *
 * <pre>
 *   create tcp|udp FIRST-LAST          reserve the block; prints its token
 *   lookup tcp|udp FIRST-LAST          prints the token of exactly that block (exit 1 when there is none)
 *   delete tcp|udp FIRST-LAST          removes the block (exit 1 when there is none)
 *   list                               what the platform can list
 *   doctor PORT [tcp|udp] [--protect]  Windows: why PORT cannot be bound (in use by which process, in which excluded
 *                                      range, or free) and what to do; --protect also makes the one-port persistent
 *                                      reservation of a free port (elevated)
 *   excluded [tcp|udp]                 Windows: the excluded port ranges netsh lists (ipv4 and ipv6; both protocols
 *                                      when none is named)
 * </pre>
 *
 * On Linux a persistent reservation is an entry of {@code net.ipv4.ip_local_reserved_ports} (one list for TCP and
 * UDP, lost at reboot unless also written to /etc/sysctl.d/); {@code list} prints that list. Windows has no call that
 * lists persistent reservations; {@code list} says to use {@code netsh int ipv4 show excludedportrange protocol=tcp},
 * which shows them among the ranges other software excluded, and {@code excluded} prints that list as parsed. The
 * doctor commands need the Windows provider ({@code WindowsPortReservationProvider#doctor()}). Creating and deleting
 * need root / an elevated administrator. Run it with
 * {@code mvn -q test-compile exec:java -Dexec.mainClass=io.github.portreservation.examples.ReservationTool
 * -Dexec.classpathScope=test -Dexec.args="lookup tcp 40000-40009"}.
 *
 * <p>Exit codes: 0 done (for {@code doctor}: the diagnosis was printed, whatever it says), 1 no such reservation,
 * 2 usage error, 3 the reservation operation failed (or the doctor is not available here).
 */
public final class ReservationTool {
    /** Exit code: the command succeeded. */
    public static final int OK = 0;
    /** Exit code: lookup or delete found no reservation of that block. */
    public static final int NOT_FOUND = 1;
    /** Exit code: the command line was wrong. */
    public static final int USAGE = 2;
    /** Exit code: the provider refused (access denied, block in use...). */
    public static final int FAILED = 3;

    /** The Linux list that persistent reservations are written to. */
    static final Path LINUX_RESERVED_PORTS = Paths.get("/proc/sys/net/ipv4/ip_local_reserved_ports");

    private static final String USAGE_TEXT = String.join(System.lineSeparator(),
            "usage: ReservationTool create|lookup|delete tcp|udp FIRST-LAST",
            "       ReservationTool list",
            "       ReservationTool doctor PORT [tcp|udp] [--protect]   (Windows)",
            "       ReservationTool excluded [tcp|udp]                   (Windows)");

    private final PortReservationProvider provider;
    private final PrintStream out;
    private final PrintStream err;

    /** A tool working through {@code provider}, printing results to {@code out} and errors to {@code err}. */
    public ReservationTool(PortReservationProvider provider, PrintStream out, PrintStream err) {
        this.provider = provider;
        this.out = out;
        this.err = err;
    }

    /** Runs one command and returns its exit code; never throws for a bad command line or a refused operation. */
    public int run(String... args) {
        if (args.length == 1 && args[0].equals("list")) {
            return list();
        }
        if (args.length > 0 && args[0].equals("doctor")) {
            return doctor(args);
        }
        if (args.length > 0 && args[0].equals("excluded")) {
            return excluded(args);
        }
        if (args.length != 3) {
            return usage(args.length == 0 ? "no command given" : "wrong number of arguments for " + args[0]);
        }
        Protocol protocol;
        PortRange range;
        try {
            protocol = Protocol.valueOf(args[1].toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            return usage("protocol \"" + args[1] + "\" must be tcp or udp");
        }
        try {
            range = PortRange.parse(args[2]);
        } catch (PortReservationException e) {
            return usage(e.getMessage());
        }
        try {
            switch (args[0]) {
                case "create":
                    ReservationToken created = provider.createPersistent(protocol, range);
                    out.println("created " + name(protocol, range) + " token " + hex(created));
                    if (PortReservations.LINUX.equals(provider.name())) {
                        out.println("(until reboot; to keep it, also add it to a file in /etc/sysctl.d/: "
                                + "net.ipv4.ip_local_reserved_ports = ...)");
                    }
                    return OK;
                case "lookup":
                    Optional<ReservationToken> found = provider.lookupPersistent(protocol, range);
                    if (found.isEmpty()) {
                        out.println("no persistent reservation of " + name(protocol, range));
                        return NOT_FOUND;
                    }
                    out.println(name(protocol, range) + " token " + hex(found.get()));
                    return OK;
                case "delete":
                    provider.deletePersistent(protocol, range);
                    out.println("deleted " + name(protocol, range));
                    return OK;
                default:
                    return usage("unknown command \"" + args[0] + "\"");
            }
        } catch (PortReservationException e) {
            err.println(args[0] + " " + name(protocol, range) + " failed: " + e.getMessage());
            return e.reason() == PortReservationException.Reason.NOT_FOUND ? NOT_FOUND : FAILED;
        }
    }

    private int doctor(String[] args) {
        if (args.length < 2 || args.length > 4) {
            return usage("doctor takes PORT, then optionally tcp|udp and --protect");
        }
        int port;
        try {
            port = Integer.parseInt(args[1]);
        } catch (NumberFormatException e) {
            port = -1;
        }
        if (port < PortRange.MIN_PORT || port > PortRange.MAX_PORT) {
            return usage("port \"" + args[1] + "\" must be a number in " + PortRange.MIN_PORT + ".." + PortRange.MAX_PORT);
        }
        Protocol protocol = Protocol.TCP;
        boolean protect = false;
        for (int i = 2; i < args.length; i++) {
            if (args[i].equals("--protect") && !protect) {
                protect = true;
            } else if (i == 2 && parseProtocol(args[i]) != null) {
                protocol = parseProtocol(args[i]);
            } else {
                return usage("\"" + args[i] + "\" is neither tcp|udp (after the port) nor --protect");
            }
        }
        WindowsPortDoctor doctor = windowsDoctor();
        if (doctor == null) {
            return FAILED;
        }
        try {
            if (protect) {
                ReservationToken token = doctor.protect(protocol, port);
                out.println("protected " + name(protocol, PortRange.single(port)) + " with a persistent reservation, "
                        + "token " + hex(token) + " (it survives reboots; 'delete " + protocol.name().toLowerCase(
                        Locale.ROOT) + " " + port + "-" + port + "' removes it)");
            } else {
                out.println(doctor.diagnose(protocol, port).describe());
            }
            return OK;
        } catch (PortReservationException e) {
            err.println("doctor " + name(protocol, PortRange.single(port)) + " failed: " + e.getMessage());
            return FAILED;
        }
    }

    private int excluded(String[] args) {
        if (args.length > 2) {
            return usage("excluded takes at most tcp|udp");
        }
        List<Protocol> protocols = List.of(Protocol.values());
        if (args.length == 2) {
            Protocol protocol = parseProtocol(args[1]);
            if (protocol == null) {
                return usage("protocol \"" + args[1] + "\" must be tcp or udp");
            }
            protocols = List.of(protocol);
        }
        WindowsPortDoctor doctor = windowsDoctor();
        if (doctor == null) {
            return FAILED;
        }
        int code = OK;
        for (Protocol protocol : protocols) {
            for (IpVersion version : IpVersion.values()) {
                String p = protocol.name().toLowerCase(Locale.ROOT);
                try {
                    List<ExcludedRange> ranges = doctor.excludedRanges(protocol, version);
                    out.println(p + " " + version.netshName() + " (netsh interface " + version.netshName()
                            + " show excludedportrange protocol=" + p + "):");
                    if (ranges.isEmpty()) {
                        out.println("  (none)");
                    }
                    for (ExcludedRange range : ranges) {
                        out.println("  " + range.range() + (range.administered() ? " *" : ""));
                    }
                } catch (PortReservationException e) {
                    err.println(p + " " + version.netshName() + ": " + e.getMessage());
                    code = FAILED;
                }
            }
        }
        out.println("* = administered port exclusion (added with netsh, or a persistent reservation)");
        return code;
    }

    /** The doctor of the Windows provider, or null after saying on {@link #err} that there is none. */
    private WindowsPortDoctor windowsDoctor() {
        if (provider instanceof WindowsPortReservationProvider) {
            return ((WindowsPortReservationProvider) provider).doctor();
        }
        err.println("the port doctor is Windows-only (this provider is '" + provider.name() + "'); on Linux, "
                + "'ss -tanp sport = :PORT' and 'ss -uanp sport = :PORT' show who holds a port");
        return null;
    }

    private static Protocol parseProtocol(String text) {
        switch (text.toLowerCase(Locale.ROOT)) {
            case "tcp":
                return Protocol.TCP;
            case "udp":
                return Protocol.UDP;
            default:
                return null;
        }
    }

    private int list() {
        if (PortReservations.WINDOWS.equals(provider.name())) {
            out.println("Windows has no call that lists persistent reservations. They appear, among the ranges that "
                    + "Hyper-V, WinNAT, Docker or WSL excluded, in:");
            out.println("  netsh int ipv4 show excludedportrange protocol=tcp");
            out.println("  netsh int ipv4 show excludedportrange protocol=udp");
            out.println("'excluded [tcp|udp]' lists them as parsed here, marking administered ones with *; "
                    + "'lookup tcp|udp FIRST-LAST' checks one block.");
            return OK;
        }
        String text;
        try {
            text = readProcFile(LINUX_RESERVED_PORTS).trim();
        } catch (IOException e) {
            err.println("cannot read " + LINUX_RESERVED_PORTS + ": " + e.getMessage());
            return FAILED;
        }
        out.println("net.ipv4.ip_local_reserved_ports (one list for TCP and UDP, this network namespace):");
        if (text.isEmpty()) {
            out.println("  (empty)");
        }
        for (String entry : text.split(",")) {
            if (!entry.isBlank()) {
                out.println("  " + entry.trim());
            }
        }
        return OK;
    }

    /**
     * Reads a sysctl such as {@code ip_local_reserved_ports} with one read() at offset 0: the kernel formats the value
     * afresh for each read and answers a read at a nonzero offset with end-of-file, so reading in steps (as
     * {@code InputStream.readAllBytes} does, 8 KiB at a time) cuts a long list. A read that fills its buffer is
     * repeated with a larger one (the longest list is 254,738 bytes).
     */
    static String readProcFile(Path path) throws IOException {
        try (FileChannel ch = FileChannel.open(path, StandardOpenOption.READ)) {
            for (int size = 1 << 12; ; size <<= 3) {
                ByteBuffer buf = ByteBuffer.allocate(size);
                int n = Math.max(0, ch.read(buf, 0));
                if (n < size) {
                    return new String(buf.array(), 0, n, StandardCharsets.US_ASCII);
                }
                if (size >= 1 << 21) {
                    throw new IOException(path + " holds more than " + size + " bytes, which no sysctl value does");
                }
            }
        }
    }

    private int usage(String problem) {
        err.println(problem);
        err.println(USAGE_TEXT);
        return USAGE;
    }

    private static String name(Protocol protocol, PortRange range) {
        return protocol.name().toLowerCase(Locale.ROOT) + " " + range;
    }

    private static String hex(ReservationToken token) {
        return "0x" + Long.toHexString(token.value());
    }

    /** Runs the command given on the command line with the platform's provider and exits with its code. */
    public static void main(String[] args) {
        ExampleSupport.useJdkLogging();
        PortReservationProvider provider;
        try {
            provider = PortReservations.provider();
        } catch (PortReservationException e) {
            System.err.println(e.getMessage());
            System.exit(FAILED);
            return;
        }
        System.exit(new ReservationTool(provider, System.out, System.err).run(args));
    }
}
