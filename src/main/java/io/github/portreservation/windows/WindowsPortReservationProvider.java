package io.github.portreservation.windows;

import io.github.portreservation.PortBinding;
import io.github.portreservation.PortRange;
import io.github.portreservation.PortReservationException;
import io.github.portreservation.PortReservationException.Reason;
import io.github.portreservation.PortReservationProvider;
import io.github.portreservation.Protocol;
import io.github.portreservation.ReservableSocket;
import io.github.portreservation.ReservationToken;
import io.github.portreservation.RuntimeReservation;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.channels.DatagramChannel;
import java.nio.channels.NetworkChannel;
import java.nio.channels.SocketChannel;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;

import static io.github.portreservation.windows.AssociatedBind.present;

/**
 * Windows port reservations through JNA: runtime reservations with {@code SIO_ACQUIRE/ASSOCIATE/RELEASE_PORT_RESERVATION}
 * (WSAIoctl) and persistent ones with {@code Create/Lookup/DeletePersistent{Tcp,Udp}PortReservation} (iphlpapi).
 *
 * <p>Requires Windows build {@value WindowsBuild#MINIMUM_BUILD} or later, and, to read the socket handle of JDK
 * channels, {@code --add-opens java.base/sun.nio.ch=ALL-UNNAMED} ({@code =io.github.portreservation} when this library
 * is on the module path; or {@code Add-Opens: java.base/sun.nio.ch} in the manifest of the application jar started
 * with {@code java -jar}), and JNA ({@code net.java.dev.jna:jna} and {@code jna-platform}, optional dependencies).
 * Persistent reservations need an elevated administrator. The provider remembers the tokens it acquired, created or
 * looked up, with their protocol and block, so that {@link #bind} checks a request before any native call.
 * Thread-safe.
 */
public final class WindowsPortReservationProvider implements PortReservationProvider {
    private final WindowsNatives natives;
    private final WindowsPortDoctor doctor;
    private final ConcurrentMap<ReservationToken, Known> tokens = new ConcurrentHashMap<>();

    private WindowsPortReservationProvider(WindowsNatives natives, CommandRunner runner) {
        this.natives = natives;
        this.doctor = new WindowsPortDoctor(natives, runner, this::createPersistent);
    }

    /**
     * The provider over the system's {@code ws2_32} and {@code iphlpapi}.
     *
     * @throws PortReservationException UNSUPPORTED with {@link #unavailabilityCause()} when not usable here
     */
    public static WindowsPortReservationProvider create() {
        String cause = unavailabilityCause();
        if (cause != null) {
            throw new PortReservationException(Reason.UNSUPPORTED, cause);
        }
        return new WindowsPortReservationProvider(WindowsNatives.load(),
                CommandRunner.system(WindowsPortDoctor.NETSH_TIMEOUT));
    }

    /**
     * The provider over already loaded functions (libraries of other names, or a test double); no operating system or
     * build check is made.
     */
    public static WindowsPortReservationProvider create(WindowsNatives natives) {
        return create(natives, CommandRunner.system(WindowsPortDoctor.NETSH_TIMEOUT));
    }

    /**
     * As {@link #create(WindowsNatives)}, with the {@link #doctor()} running netsh through {@code runner} (tests pass
     * canned outputs).
     */
    public static WindowsPortReservationProvider create(WindowsNatives natives, CommandRunner runner) {
        return new WindowsPortReservationProvider(present(natives, "natives"), present(runner, "runner"));
    }

    /**
     * The port doctor over this provider's functions: diagnoses ports, lists excluded ranges, protects a free port
     * with a persistent reservation this provider then knows. Bind failures of this provider carry its diagnosis.
     */
    public WindowsPortDoctor doctor() {
        return doctor;
    }

    /**
     * Null when {@link #create()} can work on this machine, else why not: JNA missing from the class path (the
     * message names the two artifacts to add), not Windows, a build older than {@value WindowsBuild#MINIMUM_BUILD},
     * or the DLL functions cannot be loaded. Computed once.
     */
    public static String unavailabilityCause() {
        return Availability.CAUSE;
    }

    @Override
    public String name() {
        return "windows";
    }

    /** True: SIO_ACQUIRE_PORT_RESERVATION blocks even on a non-blocking socket (Microsoft's page of the IOCTL). */
    @Override
    public boolean acquireMayBlock() {
        return true;
    }

    @Override
    public RuntimeReservation acquire(Protocol protocol, PortRange range) {
        present(range, "range");
        return acquireBlock(present(protocol, "protocol"), range.start(), range.count());
    }

    @Override
    public RuntimeReservation acquire(Protocol protocol, int count) {
        present(protocol, "protocol");
        if (count < 1 || count > PortRange.MAX_PORT) {
            throw PortReservationException.invalidArgument("port count " + count, "must be in 1.." + PortRange.MAX_PORT,
                    "ask for at least one port and at most " + PortRange.MAX_PORT);
        }
        return acquireBlock(protocol, 0, count);
    }

    private RuntimeReservation acquireBlock(Protocol protocol, int start, int count) {
        NetworkChannel owner = openOwner(protocol);
        long handle = 0;
        long acquiredToken = WindowsConstants.INVALID_PORT_RESERVATION_TOKEN;
        boolean done = false;
        try {
            handle = WindowsRuntimeReservation.handleOf(owner);
            AcquiredBlock block = natives.acquire(handle, protocol, start, count,
                    () -> doctor.acquireFailureDiagnosis(protocol, PortRange.of(start, count)));
            acquiredToken = block.token();
            WindowsRuntimeReservation reservation = new WindowsRuntimeReservation(natives, doctor, protocol,
                    checkAcquired(block, protocol, start, count), ReservationToken.of(block.token()), owner, handle,
                    r -> tokens.remove(r.token(), new Known(r.protocol(), r.range(), r)));
            if (tokens.putIfAbsent(reservation.token(), new Known(protocol, reservation.range(), reservation)) != null) {
                acquiredToken = WindowsConstants.INVALID_PORT_RESERVATION_TOKEN; // releasing it would end the other one
                throw new PortReservationException(Reason.SYSTEM_ERROR, "Windows returned " + reservation.token()
                        + " for a new reservation, but this provider already knows that token; please report this");
            }
            done = true;
            return reservation;
        } finally {
            if (!done) {
                if (acquiredToken != WindowsConstants.INVALID_PORT_RESERVATION_TOKEN) {
                    WindowsRuntimeReservation.releaseAndCloseOwner(natives, owner, handle, protocol, acquiredToken);
                } else {
                    closeQuietly(owner);
                }
            }
        }
    }

    private static PortRange checkAcquired(AcquiredBlock block, Protocol protocol, int start, int count) {
        boolean valid = block.token() != WindowsConstants.INVALID_PORT_RESERVATION_TOKEN && block.count() == count
                && block.start() >= PortRange.MIN_PORT && block.start() + count - 1 <= PortRange.MAX_PORT
                && (start == 0 || block.start() == start);
        if (!valid) {
            throw new PortReservationException(Reason.SYSTEM_ERROR, "SIO_ACQUIRE_PORT_RESERVATION for " + count + " "
                    + protocol + " ports" + (start == 0 ? "" : " from " + start) + " returned start " + block.start()
                    + ", count " + block.count() + ", token 0x" + Long.toHexString(block.token())
                    + ", which is not the block asked for; the reservation was released. Please report this");
        }
        return PortRange.of(block.start(), block.count());
    }

    private static NetworkChannel openOwner(Protocol protocol) {
        try {
            return protocol == Protocol.TCP ? SocketChannel.open() : DatagramChannel.open();
        } catch (IOException e) {
            throw new PortReservationException(Reason.RESOURCE_LIMIT, "cannot open the " + protocol + " socket that "
                    + "holds a runtime reservation: " + e.getMessage() + "; close unused sockets", e);
        }
    }

    private static void closeQuietly(NetworkChannel channel) {
        try {
            channel.close();
        } catch (IOException ignored) {
            // nothing was reserved on it
        }
    }

    @Override
    public ReservationToken createPersistent(Protocol protocol, PortRange range) {
        present(protocol, "protocol");
        present(range, "range");
        long value = natives.createPersistent(protocol, range);
        if (value == WindowsConstants.INVALID_PORT_RESERVATION_TOKEN) {
            throw new PortReservationException(Reason.SYSTEM_ERROR, WindowsNatives.persistentFunction("Create", protocol)
                    + " for " + range + " succeeded but returned token 0; the reservation exists, "
                    + "delete it with deletePersistent(" + protocol + ", " + range + ") and report this");
        }
        return remember(protocol, range, value);
    }

    @Override
    public Optional<ReservationToken> lookupPersistent(Protocol protocol, PortRange range) {
        present(protocol, "protocol");
        present(range, "range");
        long value = natives.lookupPersistent(protocol, range);
        if (value == WindowsConstants.INVALID_PORT_RESERVATION_TOKEN) {
            forgetPersistent(protocol, range);
            return Optional.empty();
        }
        return Optional.of(remember(protocol, range, value));
    }

    @Override
    public void deletePersistent(Protocol protocol, PortRange range) {
        present(protocol, "protocol");
        present(range, "range");
        natives.deletePersistent(protocol, range);
        forgetPersistent(protocol, range);
    }

    private ReservationToken remember(Protocol protocol, PortRange range, long value) {
        forgetPersistent(protocol, range); // a persistent token may change at reboot: keep only the newest
        ReservationToken token = ReservationToken.of(value);
        tokens.put(token, new Known(protocol, range, null));
        return token;
    }

    private void forgetPersistent(Protocol protocol, PortRange range) {
        tokens.values().removeIf(k -> k.runtime == null && k.protocol == protocol && k.range.equals(range));
    }

    @Override
    public PortBinding bind(ReservationToken token, ReservableSocket socket, InetSocketAddress requested) {
        Known known = tokens.get(present(token, "token"));
        if (known == null) {
            throw new PortReservationException(Reason.UNKNOWN_TOKEN, token + " was not acquired, created or looked up "
                    + "through this provider (or its reservation was closed or deleted); for a persistent reservation "
                    + "call lookupPersistent(protocol, range) first");
        }
        if (known.runtime != null) {
            return known.runtime.bind(socket, requested);
        }
        InetSocketAddress checked = AssociatedBind.validate(known.protocol, known.range, token, socket, requested);
        InetSocketAddress local = AssociatedBind.associateAndBind(natives, doctor, known.protocol, known.range, token,
                socket, checked);
        return new WindowsPortBinding(token, local, socket, binding -> { });
    }

    @Override
    public Optional<RuntimeReservation> runtimeReservation(ReservationToken token) {
        Known known = tokens.get(present(token, "token"));
        return known == null ? Optional.empty() : Optional.ofNullable(known.runtime);
    }

    @Override
    public String toString() {
        return "WindowsPortReservationProvider[" + tokens.size() + " known tokens]";
    }

    /** What the provider knows about a token: a runtime reservation of this process, or a persistent block. */
    private record Known(Protocol protocol, PortRange range, WindowsRuntimeReservation runtime) {
    }

    private static final class Availability {
        static final String CAUSE = compute();

        private static String compute() {
            String os = System.getProperty("os.name", "");
            // JNA first: without it nothing below may run (WindowsBuild and WindowsNatives link against JNA).
            String noJna = JnaPresence.missingCause(WindowsPortReservationProvider.class.getClassLoader());
            if (noJna != null) {
                return os.startsWith("Windows") ? noJna : noJna + " (and Windows: this JVM runs on " + os + ")";
            }
            if (!os.startsWith("Windows")) {
                return "Windows port reservations need Windows; this JVM runs on " + os;
            }
            int build;
            try {
                build = WindowsBuild.current();
            } catch (LinkageError | RuntimeException e) {
                return "cannot read the Windows build number with RtlGetVersion: " + e;
            }
            String tooOld = WindowsBuild.unsupportedCause(build);
            if (tooOld != null) {
                return tooOld;
            }
            try {
                WindowsNatives.load();
            } catch (PortReservationException e) {
                return e.getMessage();
            }
            return null;
        }
    }
}
