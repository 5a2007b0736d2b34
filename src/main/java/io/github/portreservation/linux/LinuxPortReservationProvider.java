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
import io.netty.util.internal.logging.InternalLogger;
import io.netty.util.internal.logging.InternalLoggerFactory;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.channels.NetworkChannel;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.security.SecureRandom;
import java.util.BitSet;
import java.util.List;
import java.util.EnumMap;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import java.util.concurrent.ThreadLocalRandom;

import static io.netty.util.internal.ObjectUtil.checkNotNull;

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
 * <p><b>Choosing a block</b> ({@link #acquire(Protocol, int)}): a random start inside the ephemeral range
 * ({@code net.ipv4.ip_local_port_range}), moved to the first run of free ports from there: free means not in the
 * administrator's reserved ports and, once a candidate has met a port in use, not bound by a socket listed in
 * {@code /proc/net} (see {@link BoundPorts}). That table is read only after a collision because reading it costs
 * milliseconds even when it is nearly empty (the kernel walks its whole TCP hash table: 3.3 ms per file on the project
 * machine, as much as holding 256 ports), while a collision wastes at most the ports held before it, once. What a
 * search found taken is remembered for a few seconds, so the next searches skip those ports at once
 * ({@link RecentlyTakenPorts}). When a port of the candidate is taken, the next candidate starts at a new random place
 * (stepping past the taken port would walk through a whole block held by someone else). At most
 * {@value #BLOCK_SEARCH_ATTEMPTS} candidates are held, so a request never probes the whole port space.
 */
public final class LinuxPortReservationProvider implements PortReservationProvider {
    /** How many candidate blocks {@link #acquire(Protocol, int)} tries before giving up. */
    public static final int BLOCK_SEARCH_ATTEMPTS = 32;
    private static final InternalLogger logger = InternalLoggerFactory.getInstance(LinuxPortReservationProvider.class);
    private static final Path LOCAL_PORT_RANGE = Paths.get("/proc/sys/net/ipv4/ip_local_port_range");
    /** High 32 bits of tokens that name persistent blocks ("PRSV"); runtime tokens never have them. */
    private static final long PERSISTENT_TAG = 0x50525356L << 32;
    private static final long TAG_MASK = 0xFFFFFFFFL << 32;

    private final ReservedPortsFile reservedPorts;
    private final SecureRandom random = new SecureRandom();
    private final RecentlyTakenPorts recentlyTaken = new RecentlyTakenPorts(System::nanoTime);
    private final ConcurrentMap<ReservationToken, HeldReservation> runtime = new ConcurrentHashMap<>();
    private final Map<Protocol, ConcurrentMap<ReservationToken, PortBlock>> persistentBlocks =
            new EnumMap<>(Protocol.class);

    private LinuxPortReservationProvider(ReservedPortsFile reservedPorts) {
        this.reservedPorts = reservedPorts;
        for (Protocol p : Protocol.values()) {
            persistentBlocks.put(p, new ConcurrentHashMap<>());
        }
    }

    /**
     * The provider over this network namespace's {@code ip_local_reserved_ports}.
     *
     * @throws PortReservationException UNSUPPORTED when not running on Linux
     */
    public static LinuxPortReservationProvider create() {
        return create(ReservedPortsFile.SYSCTL);
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
        return new LinuxPortReservationProvider(new ReservedPortsFile(reservedPortsFile));
    }

    /** The persistent-reservation file this provider edits. */
    public ReservedPortsFile reservedPortsFile() {
        return reservedPorts;
    }

    @Override
    public String name() {
        return "linux";
    }

    @Override
    public RuntimeReservation acquire(Protocol protocol, PortRange range) {
        checkNotNull(protocol, "protocol");
        checkNotNull(range, "range");
        DescriptorBudget.ensureHeadroom(range.count(), "holding " + protocol + " ports " + range);
        try {
            return register(protocol, range, Placeholders.hold(protocol, range));
        } catch (Placeholders.HoldFailure f) {
            throw SocketErrors.map("reserve " + protocol + " port " + f.port + " of block " + range, f.io(),
                    "choose another block, acquire(protocol, count) to let the provider choose one, or find the "
                            + "owner with 'ss -atunp sport = :" + f.port + "'");
        }
    }

    @Override
    public RuntimeReservation acquire(Protocol protocol, int count) {
        checkNotNull(protocol, "protocol");
        if (count < 1 || count > PortRange.MAX_PORT) {
            throw PortReservationException.invalidArgument("port count " + count, "must be in 1..65535",
                    "ask for at least one port and at most the whole port space");
        }
        DescriptorBudget.ensureHeadroom(count, "holding " + count + " " + protocol + " ports");
        int[] window = searchWindow(count);
        int lo = window[0];
        int hi = window[1];
        // Ports not to try: the administrator's reserved ports, the ports recent searches found taken, and, after the
        // first candidate that met a port in use, the ports other sockets are bound to (see the class comment).
        BitSet taken = readReservedOrEmpty().toBitSet();
        recentlyTaken.addTo(taken, protocol);
        boolean scanned = false;
        int span = hi - lo - count + 2; // number of possible starts
        int start = lo + ThreadLocalRandom.current().nextInt(span);
        Placeholders.HoldFailure lastFailure = null;
        for (int attempt = 0; attempt < BLOCK_SEARCH_ATTEMPTS; attempt++) {
            start = firstFreeRun(taken, start, count, lo, hi);
            if (start < 0) {
                break;
            }
            PortRange candidate = PortRange.of(start, count);
            try {
                return register(protocol, candidate, Placeholders.hold(protocol, candidate));
            } catch (Placeholders.HoldFailure f) {
                PortReservationException mapped = SocketErrors.map("reserve " + protocol + " port " + f.port, f.io(), "");
                if (mapped.reason() != Reason.IN_USE) {
                    throw mapped;
                }
                lastFailure = f;
                taken.set(f.port);
                if (!scanned) {
                    BoundPorts.addTo(taken, protocol);
                    scanned = true;
                }
                recentlyTaken.remember(protocol, taken);
                // A fresh random start: stepping past the taken port would walk through a whole block held by
                // someone else (TCP sockets that are bound but neither listen nor connect, such as another process's
                // placeholders, are not listed in /proc/net/tcp).
                start = lo + ThreadLocalRandom.current().nextInt(span);
            }
        }
        throw new PortReservationException(Reason.IN_USE, "no free block of " + count + " consecutive " + protocol
                + " ports found in " + lo + "-" + hi + (lastFailure == null ? "" : " (the last candidate met port "
                + lastFailure.port + " in use)") + " (ports in use, or in net.ipv4.ip_local_reserved_ports); ask for "
                + "fewer ports, or acquire a specific free range",
                lastFailure == null ? null : lastFailure.getCause());
    }

    /**
     * The first start at or after {@code from} (wrapping around to {@code lo} once) of {@code count} consecutive ports
     * of {@code lo..hi} that are not in {@code taken}, or -1 when there is none.
     */
    static int firstFreeRun(BitSet taken, int from, int count, int lo, int hi) {
        int run = 0;
        for (int p = from; p <= hi; p++) {
            run = taken.get(p) ? 0 : run + 1;
            if (run == count) {
                return p - count + 1;
            }
        }
        run = 0;
        for (int p = lo, last = Math.min(hi, from + count - 2); p <= last; p++) {
            run = taken.get(p) ? 0 : run + 1;
            if (run == count) {
                return p - count + 1;
            }
        }
        return -1;
    }

    /** The ephemeral range when the block fits in it, else 1024-65535. */
    private static int[] searchWindow(int count) {
        int lo = 32768;
        int hi = 60999;
        try {
            String[] parts = ProcFiles.read(LOCAL_PORT_RANGE)
                    .trim().split("\\s+");
            lo = Integer.parseInt(parts[0]);
            hi = Integer.parseInt(parts[1]);
        } catch (IOException | RuntimeException e) {
            logger.debug("Cannot read {}, using {}-{}", LOCAL_PORT_RANGE, lo, hi, e);
        }
        if (hi - lo + 1 < count) {
            lo = 1024;
            hi = PortRange.MAX_PORT;
            if (hi - lo + 1 < count) {
                lo = 1;
            }
        }
        return new int[] {lo, hi};
    }

    private ReservedPortSet readReservedOrEmpty() {
        try {
            return reservedPorts.read();
        } catch (PortReservationException e) {
            logger.debug("Cannot read {}; not skipping administered ports", reservedPorts.path(), e);
            return ReservedPortSet.empty();
        }
    }

    private HeldReservation register(Protocol protocol, PortRange range, List<NetworkChannel> placeholders) {
        ReservationToken token = newRuntimeToken();
        HeldReservation reservation = new HeldReservation(this, protocol, range, token, placeholders);
        runtime.put(token, reservation);
        logger.debug("Reserved {} ports {} ({})", protocol, range, token);
        return reservation;
    }

    private ReservationToken newRuntimeToken() {
        for (;;) {
            long value = random.nextLong();
            if (value != 0 && (value & TAG_MASK) != PERSISTENT_TAG) {
                ReservationToken token = ReservationToken.of(value);
                if (!runtime.containsKey(token)) {
                    return token;
                }
            }
        }
    }

    void forget(HeldReservation reservation) {
        runtime.remove(reservation.token(), reservation);
        logger.debug("Released {}", reservation);
    }

    /**
     * {@inheritDoc}
     *
     * <p>The block becomes one entry of {@code net.ipv4.ip_local_reserved_ports}. A block that overlaps an entry, or
     * touches one (ends just below it or starts just above it), is refused: the kernel would print the two as one
     * entry, and the block could no longer be found or deleted on its own.
     *
     * @throws PortReservationException IN_USE naming the entry the block overlaps or touches; see
     *         {@link ReservedPortsFile#update} for the write's failures
     */
    @Override
    public ReservationToken createPersistent(Protocol protocol, PortRange range) {
        checkPersistentArguments(protocol, range);
        reservedPorts.update(current -> {
            List<String> touching = current.entriesTouching(range);
            if (touching.isEmpty()) {
                return current.with(range);
            }
            String entries = (touching.size() == 1 ? "entry " : "entries ") + ReservedPortSet.describe(touching);
            if (current.overlaps(range)) {
                throw new PortReservationException(Reason.IN_USE, "ports " + range + " overlap the "
                        + "net.ipv4.ip_local_reserved_ports " + entries + " (the list is shared by TCP and UDP, "
                        + "as ERROR_SHARING_VIOLATION on Windows); delete that reservation first or choose a block "
                        + "outside it");
            }
            throw new PortReservationException(Reason.IN_USE, "ports " + range + " touch the "
                    + "net.ipv4.ip_local_reserved_ports " + entries + ": the kernel keeps only the set of ports "
                    + "and prints adjacent blocks as one entry (" + current.with(range).entriesOverlapping(range)
                    .get(0) + "), after which neither block could be found or deleted on its own; leave at least one "
                    + "free port between the blocks, or create one block that covers both");
        });
        logger.info("Created persistent reservation of ports {} in {}", range, reservedPorts.path());
        return persistentToken(range);
    }

    /**
     * {@inheritDoc}
     *
     * <p>Found only when {@code range} is exactly one entry of {@code net.ipv4.ip_local_reserved_ports}: a part of an
     * entry, or a block merged with an adjacent entry, is not a reservation of its own. Whoever wrote the entry (this
     * library, an administrator, another program), the token is the same: the list records no owners.
     */
    @Override
    public Optional<ReservationToken> lookupPersistent(Protocol protocol, PortRange range) {
        checkPersistentArguments(protocol, range);
        return reservedPorts.read().isEntry(range) ? Optional.of(persistentToken(range)) : Optional.empty();
    }

    /**
     * {@inheritDoc}
     *
     * <p>Deletes only an exact entry of {@code net.ipv4.ip_local_reserved_ports}; every other entry is written back
     * as it was.
     *
     * @throws PortReservationException NOT_FOUND when {@code range} is not exactly one entry, naming the entries that
     *         overlap it; see {@link ReservedPortsFile#update} for the write's failures
     */
    @Override
    public void deletePersistent(Protocol protocol, PortRange range) {
        checkPersistentArguments(protocol, range);
        reservedPorts.update(current -> {
            if (!current.isEntry(range)) {
                throw notAnEntry("ports " + range, range, current);
            }
            return current.without(range);
        });
        for (ConcurrentMap<ReservationToken, PortBlock> blocks : persistentBlocks.values()) {
            PortBlock block = blocks.remove(persistentToken(range));
            if (block != null) {
                block.close();
            }
        }
        logger.info("Deleted persistent reservation of ports {} from {}", range, reservedPorts.path());
    }

    private static void checkPersistentArguments(Protocol protocol, PortRange range) {
        if (protocol == null || range == null) {
            throw PortReservationException.invalidArgument((protocol == null ? "protocol" : "range") + " null",
                    "must not be null", "pass Protocol.TCP or Protocol.UDP and a block such as "
                            + "PortRange.parse(\"40000-40009\")");
        }
    }

    /** NOT_FOUND for {@code what}, whose block {@code range} is not one entry of {@code current}. */
    private PortReservationException notAnEntry(String what, PortRange range, ReservedPortSet current) {
        List<String> overlapping = current.entriesOverlapping(range);
        if (overlapping.isEmpty()) {
            return new PortReservationException(Reason.NOT_FOUND, what + ": no entry of "
                    + "net.ipv4.ip_local_reserved_ports (" + reservedPorts.path() + ") has any port of " + range
                    + "; create the block first (createPersistent), or check the block with lookupPersistent()");
        }
        return new PortReservationException(Reason.NOT_FOUND, what + ": " + range + " is not an entry of "
                + "net.ipv4.ip_local_reserved_ports (" + reservedPorts.path() + "); the entries overlapping it are "
                + ReservedPortSet.describe(overlapping) + ". A persistent reservation is one whole entry: the list "
                + "records no owners, so a part of an entry, or a block the kernel merged with an adjacent entry, is "
                + "no reservation of its own; use exactly an entry (after checking it is yours), or, if an adjacent "
                + "block was added to yours, delete the merged entry and create the blocks again one free port apart");
    }

    /** The token every process derives for the persistent block {@code range}. */
    public static ReservationToken persistentToken(PortRange range) {
        return ReservationToken.of(PERSISTENT_TAG | ((long) range.start() << 16) | range.count());
    }

    /** The block of a persistent token, or null when the token is not a persistent one. */
    static PortRange persistentRange(ReservationToken token) {
        long v = token.value();
        if ((v & TAG_MASK) != PERSISTENT_TAG) {
            return null;
        }
        int start = (int) ((v >>> 16) & 0xFFFF);
        int count = (int) (v & 0xFFFF);
        try {
            return PortRange.of(start, count);
        } catch (PortReservationException e) {
            return null;
        }
    }

    @Override
    public PortBinding bind(ReservationToken token, ReservableSocket socket, InetSocketAddress requested) {
        checkNotNull(token, "token");
        checkNotNull(socket, "socket");
        HeldReservation held = runtime.get(token);
        if (held != null) {
            return held.bind(socket, requested);
        }
        PortRange range = persistentRange(token);
        if (range == null) {
            throw new PortReservationException(Reason.UNKNOWN_TOKEN, token + " names no open reservation of this "
                    + "process: runtime tokens are valid only in the process that acquired them and until close(); "
                    + "use the token of an open RuntimeReservation or of lookupPersistent()");
        }
        ReservedPortSet current = reservedPorts.read();
        if (!current.isEntry(range)) {
            throw notAnEntry(token + " names persistent block " + range, range, current);
        }
        // The sysctl list is one for TCP and UDP; this process tracks its sockets per protocol.
        Protocol protocol = socket.protocol();
        PortBlock block = persistentBlocks.get(protocol).computeIfAbsent(token, t -> new PortBlock(
                "persistent " + protocol + " reservation " + range, protocol, range, t, false));
        return block.bind(socket, requested);
    }

    @Override
    public Optional<RuntimeReservation> runtimeReservation(ReservationToken token) {
        return Optional.ofNullable(runtime.get(checkNotNull(token, "token")));
    }

    @Override
    public String toString() {
        return "LinuxPortReservationProvider[" + runtime.size() + " runtime reservations, persistent list "
                + reservedPorts.path() + "]";
    }
}
