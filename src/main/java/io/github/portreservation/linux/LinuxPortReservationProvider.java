package io.github.portreservation.linux;

import io.github.portreservation.PortBinding;
import io.github.portreservation.PortRange;
import io.github.portreservation.PortReservationException;
import io.github.portreservation.PortReservationException.Reason;
import io.github.portreservation.PortReservationProvider;
import io.github.portreservation.Protocol;
import io.github.portreservation.ReservableSocket;
import io.github.portreservation.ReservationToken;
import io.github.portreservation.RuntimeReservation;
import io.github.portreservation.internal.Log;

import java.io.Closeable;
import java.io.FileInputStream;
import java.io.IOException;
import java.lang.ref.WeakReference;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.security.SecureRandom;
import java.util.Locale;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import java.util.concurrent.atomic.LongAdder;

import static io.github.portreservation.PortReservationException.checkNotNull;

/**
 * Port reservations on Linux, which has no reservation system call.
 *
 * <p><b>Runtime reservations</b> hold each port with a placeholder socket (see {@link Placeholders}): no other
 * process can bind it, automatic port assignment skips it, and the ports come back when the reservation is closed
 * or the process dies. Sockets of this process bind from it with SO_REUSEPORT. Caveat: the kernel lets a socket of
 * the <em>same user</em> that sets SO_REUSEPORT share a port; run untrusted code under another user.
 *
 * <p><b>Persistent reservations</b> are entries of {@code net.ipv4.ip_local_reserved_ports}: the kernel never
 * assigns those ports automatically (connect(), bind to port 0), but an explicit bind by any process still succeeds.
 * The list is one for TCP and UDP, lasts until reboot (unless also written to /etc/sysctl.d) and is per network
 * namespace. Tokens of persistent reservations are derived from the block, so every process computes the same one.
 *
 * <p><b>Choosing a block</b> ({@link #acquire(Protocol, int)}, see {@link BlockSearch}): the window is the ephemeral
 * range ({@code net.ipv4.ip_local_port_range}; 1024-65535 when the block does not fit in it). The administrator's
 * {@code ip_local_reserved_ports} are never taken, as port 0 never takes them. Everything else known about the ports
 * is a hint that orders candidates and never excludes one, so acquire fails IN_USE only when no run of free ports
 * exists:
 * <ul>
 *   <li>first, up to {@value BlockSearch#PREFERRED_CANDIDATES} preferred candidates, each from a new random start,
 *       moved to the first run that avoids the hinted ports: those that searches found taken in the last 10 seconds
 *       ({@link RecentlyTakenPorts}; forgotten when a reservation of this provider releases them) and, after the first
 *       collision, those that sockets listed in {@code /proc/net} are bound to ({@link BoundPorts}). That table is
 *       read only after a collision because reading it costs milliseconds even when it is nearly empty (the kernel
 *       walks its whole TCP hash table: 3.3 ms per file on the project machine, as much as holding 256 ports). A new
 *       random start after a collision, rather than just past the port in use, because bound TCP sockets that neither
 *       listen nor connect (another process's placeholders) are not listed there, and stepping would walk through
 *       such a block;</li>
 *   <li>then, if none was held, a sweep of the window that ignores the hints: it tries every start in order,
 *       downwards from a random one (Linux hands out ephemeral ports upwards, and would chase an upward sweep), goes
 *       on just below each port in use keeping the ports it already holds there, and wraps around once. It binds each
 *       port at most once (a few twice), at most {@code window + count - 1} bind calls, and crosses a block held by
 *       someone else in one bind per {@code count} ports. Only when it found no run does acquire fail, IN_USE, naming
 *       the window, the count and the ports in the way.</li>
 * </ul>
 * One TCP port needs no search: its placeholder binds port 0, and the kernel gives it a free ephemeral port outside
 * {@code ip_local_reserved_ports}, bound on no address (a UDP placeholder sets SO_REUSEPORT first: UDP searches).
 */
public final class LinuxPortReservationProvider implements PortReservationProvider {
    private static final String URANDOM = "/dev/urandom";
    /**
     * The open runtime tokens of every instance in this JVM, so that a token bound through another instance than the
     * one that acquired it is named as such. An entry is removed when its reservation closes; the weak reference
     * keeps no forgotten provider alive.
     */
    private static final ConcurrentMap<ReservationToken, WeakReference<LinuxPortReservationProvider>> OPEN_TOKENS =
            new ConcurrentHashMap<>();

    /** {@link ReservedPortsFile#SYSCTL}: a provider that reserves only single TCP ports never loads that class. */
    private static final Path SYSCTL = Paths.get("/proc/sys/net/ipv4/ip_local_reserved_ports");
    private final Path reservedPortsPath;
    private volatile ReservedPortsFile reservedPorts;
    /** Made by the first block search (one TCP port needs none). */
    private volatile RecentlyTakenPorts recentlyTaken;
    private final LongAdder searchCollisions = new LongAdder();
    private final LongAdder searchSweeps = new LongAdder();
    private final ConcurrentMap<ReservationToken, LinuxRuntimeReservation> runtime = new ConcurrentHashMap<>();
    private final WeakReference<LinuxPortReservationProvider> self = new WeakReference<>(this);
    /** Made on first use: most applications use only runtime reservations. */
    private volatile LinuxPersistentReservations persistent;

    private LinuxPortReservationProvider(Path reservedPortsPath) {
        this.reservedPortsPath = reservedPortsPath;
    }

    private LinuxPersistentReservations persistent() {
        LinuxPersistentReservations p = persistent;
        if (p == null) {
            synchronized (this) {
                p = persistent;
                if (p == null) {
                    p = new LinuxPersistentReservations(reservedPortsFile());
                    persistent = p;
                }
            }
        }
        return p;
    }

    /**
     * The provider over this network namespace's {@code ip_local_reserved_ports}.
     *
     * @throws PortReservationException UNSUPPORTED when not running on Linux
     */
    public static LinuxPortReservationProvider create() {
        return create(SYSCTL);
    }

    /**
     * A provider whose persistent reservations live in {@code reservedPortsFile} (same format as the sysctl; for
     * tests and for tools that edit a copy).
     */
    public static LinuxPortReservationProvider create(Path reservedPortsFile) {
        checkNotNull(reservedPortsFile, "reservedPortsFile");
        String os = System.getProperty("os.name", "").toLowerCase(Locale.ROOT);
        if (!os.contains("linux")) {
            throw new PortReservationException(Reason.UNSUPPORTED, "the Linux provider needs Linux, this is "
                    + System.getProperty("os.name") + "; use PortReservations.provider() to get this platform's one");
        }
        return new LinuxPortReservationProvider(reservedPortsFile);
    }

    /** The persistent-reservation file this provider edits. */
    public ReservedPortsFile reservedPortsFile() {
        ReservedPortsFile file = reservedPorts; // made on first use; a race makes two views of one path, both right
        if (file == null) {
            reservedPorts = file = new ReservedPortsFile(reservedPortsPath);
        }
        return file;
    }

    @Override
    public String name() {
        return "linux";
    }

    @Override
    public RuntimeReservation acquire(Protocol protocol, PortRange range) {
        checkNotNull(protocol, "protocol");
        checkNotNull(range, "range");
        if (range.count() >= DescriptorBudget.MARGIN) { // a constant: smaller blocks never load the class
            DescriptorBudget.ensureHeadroom(range.count(), "holding " + protocol + " ports " + range);
        }
        return register(protocol, range, PlaceholderHolder.holdRange(protocol, range));
    }

    @Override
    public RuntimeReservation acquire(Protocol protocol, int count) {
        Objects.requireNonNull(protocol, "protocol");
        if (count < 1 || count > PortRange.MAX_PORT) {
            throw PortReservationException.invalidArgument("port count " + count, "must be in 1..65535",
                    "ask for at least one port and at most the whole port space");
        }
        if (count >= DescriptorBudget.MARGIN) {
            DescriptorBudget.ensureHeadroom(count, "holding " + count + " " + protocol + " ports");
        }
        RuntimeReservation any = count == 1 && protocol == Protocol.TCP ? acquireAnyTcpPort() : null;
        if (any != null) {
            return any;
        }
        BlockSearch.Found<Placeholders.Held> found = PlaceholderHolder.search(protocol, count,
                EphemeralRange.window(count), readReservedOrEmpty(), recentlyTaken(), searchCollisions, searchSweeps);
        return register(protocol, found.range, Placeholders.all(found.placeholders));
    }

    /**
     * One TCP port that the kernel chooses (see the class comment): no block search, no sysctl read; null when the
     * kernel found none free (the search then names the window and the ports in the way).
     */
    private RuntimeReservation acquireAnyTcpPort() {
        int[] port = new int[1];
        Closeable held;
        try {
            held = Placeholders.holdAnyTcp(port);
        } catch (IOException io) {
            PortReservationException e = SocketErrors.map("reserve a TCP port that the kernel chooses", io, "");
            if (e.reason() == Reason.IN_USE) {
                return null;
            }
            throw e;
        }
        return register(Protocol.TCP, PortRange.single(port[0]), held);
    }

    /** Candidates of {@link #acquire(Protocol, int)} that met a port in use, since this provider was created. */
    long searchCollisions() {
        return searchCollisions.sum();
    }

    /** Searches of {@link #acquire(Protocol, int)} that swept the window, since this provider was created. */
    long searchSweeps() {
        return searchSweeps.sum();
    }

    /** A runtime reservation of this provider released {@code range}: it is no longer a port found taken. */
    void released(Protocol protocol, PortRange range) {
        if (recentlyTaken != null) { // a hint only: a search that makes it meanwhile may keep the range 10 s
            recentlyTaken.forget(protocol, range);
        }
    }

    private RecentlyTakenPorts recentlyTaken() {
        RecentlyTakenPorts recent = recentlyTaken;
        if (recent == null) {
            synchronized (this) {
                recent = recentlyTaken;
                if (recent == null) {
                    recent = new RecentlyTakenPorts(null);
                    recentlyTaken = recent;
                }
            }
        }
        return recent;
    }

    private ReservedPortSet readReservedOrEmpty() {
        try {
            return reservedPortsFile().read();
        } catch (PortReservationException e) {
            Log.of(LinuxPortReservationProvider.class).debug("Cannot read {}; not skipping administered ports",
                    reservedPortsPath, e);
            return ReservedPortSet.empty();
        }
    }

    private LinuxRuntimeReservation register(Protocol protocol, PortRange range, Closeable placeholders) {
        ReservationToken token = newRuntimeToken();
        LinuxRuntimeReservation reservation = new LinuxRuntimeReservation(this, protocol, range, token, placeholders);
        runtime.put(token, reservation);
        return reservation;
    }

    /** A token no open runtime reservation of this JVM has, registered in {@link #OPEN_TOKENS} for this provider. */
    private ReservationToken newRuntimeToken() {
        for (;;) {
            long value = randomBits();
            long tag = value & LinuxPersistentReservations.TAG_MASK; // constants: the class is not loaded
            if (value != 0 && tag != LinuxPersistentReservations.PERSISTENT_TAG) {
                ReservationToken token = ReservationToken.of(value);
                if (OPEN_TOKENS.putIfAbsent(token, self) == null) {
                    return token;
                }
            }
        }
    }

    /**
     * 64 unpredictable bits for a runtime token, read from {@code /dev/urandom} (the source of SecureRandom's default
     * NativePRNG too): creating the first SecureRandom initializes the JCA provider framework, which cost a cold JVM
     * 15-30 ms of a reserved listener's start-up (measured by the bench harness StartupTime). SecureRandom when the
     * device cannot be read.
     */
    private static long randomBits() {
        try (FileInputStream urandom = new FileInputStream(URANDOM)) { // the stream classes a JVM has loaded already
            byte[] bits = urandom.readNBytes(Long.BYTES);
            long value = 0;
            for (byte b : bits) {
                value = value << 8 | (b & 0xff);
            }
            return bits.length == Long.BYTES ? value : FallbackRandom.INSTANCE.nextLong();
        } catch (IOException | SecurityException e) {
            return FallbackRandom.INSTANCE.nextLong();
        }
    }

    /** Created only when /dev/urandom cannot be read. */
    private static final class FallbackRandom {
        static final SecureRandom INSTANCE = new SecureRandom();
    }

    void forget(LinuxRuntimeReservation reservation) {
        if (runtime.remove(reservation.token(), reservation)) {
            OPEN_TOKENS.remove(reservation.token(), self);
        }
    }

    /** UNKNOWN_TOKEN for a token that is neither a runtime token of this provider nor a persistent one. */
    private PortReservationException unknownToken(ReservationToken token) {
        WeakReference<LinuxPortReservationProvider> ref = OPEN_TOKENS.get(token);
        LinuxPortReservationProvider owner = ref == null ? null : ref.get();
        if (ref != null && owner == null) {
            OPEN_TOKENS.remove(token, ref); // its provider was collected without closing the reservation
        }
        if (owner != null && owner != this && owner.runtime.containsKey(token)) {
            return new PortReservationException(Reason.UNKNOWN_TOKEN, token + " names an open runtime reservation "
                    + "of another LinuxPortReservationProvider instance in this process (" + owner + "), not of this "
                    + "one (" + this + "): an instance binds only the runtime reservations it acquired; bind through "
                    + "that provider or its RuntimeReservation, or use the one provider of PortReservations.provider() "
                    + "everywhere instead of several LinuxPortReservationProvider.create()");
        }
        return new PortReservationException(Reason.UNKNOWN_TOKEN, token + " names no open reservation of this "
                + "process: runtime tokens are valid only in the process that acquired them and until close(); "
                + "use the token of an open RuntimeReservation or of lookupPersistent()");
    }

    /**
     * {@inheritDoc}
     *
     * <p>The block becomes one entry of {@code net.ipv4.ip_local_reserved_ports} (see
     * {@link LinuxPersistentReservations#create}): a block that overlaps or touches an entry is refused.
     */
    @Override
    public ReservationToken createPersistent(Protocol protocol, PortRange range) {
        return persistent().create(protocol, range);
    }

    /**
     * {@inheritDoc}
     *
     * <p>Found only when {@code range} is exactly one entry of {@code net.ipv4.ip_local_reserved_ports}.
     */
    @Override
    public Optional<ReservationToken> lookupPersistent(Protocol protocol, PortRange range) {
        return persistent().lookup(protocol, range);
    }

    /**
     * {@inheritDoc}
     *
     * <p>Deletes only an exact entry of {@code net.ipv4.ip_local_reserved_ports}; every other entry is written back
     * as it was.
     */
    @Override
    public void deletePersistent(Protocol protocol, PortRange range) {
        persistent().delete(protocol, range);
    }

    /** The token every process derives for the persistent block {@code range}. */
    public static ReservationToken persistentToken(PortRange range) {
        return LinuxPersistentReservations.token(range);
    }

    /** The block of a persistent token, or null when the token is not a persistent one. */
    static PortRange persistentRange(ReservationToken token) {
        return LinuxPersistentReservations.range(token);
    }

    @Override
    public PortBinding bind(ReservationToken token, ReservableSocket socket, InetSocketAddress requested) {
        if (token == null || socket == null) {
            throw PortReservationException.invalidArgument((token == null ? "token" : "socket") + " null",
                    "must not be null", "pass the token of an open reservation and an open, unbound socket");
        }
        LinuxRuntimeReservation held = runtime.get(token);
        if (held != null) {
            return held.bind(socket, requested);
        }
        PortRange range = persistentRange(token);
        if (range == null) {
            throw unknownToken(token);
        }
        return persistent().bind(token, range, socket, requested);
    }

    /** Ports of the persistent block of {@code token} that {@code protocol} sockets of this process can still bind. */
    int persistentAvailablePorts(Protocol protocol, ReservationToken token) {
        return persistent().availablePorts(protocol, token);
    }

    @Override
    public Optional<RuntimeReservation> runtimeReservation(ReservationToken token) {
        return Optional.ofNullable(runtime.get(checkNotNull(token, "token")));
    }

    @Override
    public String toString() {
        return "LinuxPortReservationProvider[" + runtime.size() + " runtime reservations, persistent list "
                + reservedPortsPath + "]";
    }
}
