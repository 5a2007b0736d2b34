package io.github.portreservation.linux;

import io.github.portreservation.PortBinding;
import io.github.portreservation.PortRange;
import io.github.portreservation.PortReservationException;
import io.github.portreservation.PortReservationException.Reason;
import io.github.portreservation.Protocol;
import io.github.portreservation.ReservableSocket;
import io.github.portreservation.ReservationToken;
import io.github.portreservation.internal.Log;

import java.net.InetSocketAddress;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;

/**
 * The persistent reservations of a {@link LinuxPortReservationProvider}: entries of
 * {@code net.ipv4.ip_local_reserved_ports} ({@link ReservedPortsFile}), one list for TCP and UDP that records no
 * owners, and the sockets of this process bound from them (one {@link LinuxBlockBinder} per block and protocol).
 * Tokens are derived from the block, so every process computes the same one. Thread-safe.
 */
final class LinuxPersistentReservations {
    private static final Log logger = Log.of(LinuxPersistentReservations.class);
    /**
     * High 32 bits of tokens that name persistent blocks ("PRSV"); runtime tokens never have them. Constants, so the
     * provider's check of a new runtime token does not load this class.
     */
    static final long PERSISTENT_TAG = 0x50525356L << 32;
    /** The bits of {@link #PERSISTENT_TAG}. */
    static final long TAG_MASK = 0xFFFFFFFFL << 32;

    private final ReservedPortsFile reservedPorts;
    private final Map<Protocol, ConcurrentMap<ReservationToken, LinuxBlockBinder>> blocks =
            new EnumMap<>(Protocol.class);

    LinuxPersistentReservations(ReservedPortsFile reservedPorts) {
        this.reservedPorts = reservedPorts;
        for (Protocol p : Protocol.values()) {
            blocks.put(p, new ConcurrentHashMap<>());
        }
    }

    /**
     * Creates the persistent reservation of {@code range}. The block becomes one entry of {@code net.ipv4.ip_local_reserved_ports}. A block that overlaps an entry, or
     * touches one (ends just below it or starts just above it), is refused: the kernel would print the two as one
     * entry, and the block could no longer be found or deleted on its own.
     *
     * @throws PortReservationException IN_USE naming the entry the block overlaps or touches; see
     *         {@link ReservedPortsFile#update} for the write's failures
     */
    ReservationToken create(Protocol protocol, PortRange range) {
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
        return token(range);
    }

    /**
     * The token of the persistent reservation {@code range}. Found only when {@code range} is exactly one entry of {@code net.ipv4.ip_local_reserved_ports}: a part of an
     * entry, or a block merged with an adjacent entry, is not a reservation of its own. Whoever wrote the entry (this
     * library, an administrator, another program), the token is the same: the list records no owners.
     */
    Optional<ReservationToken> lookup(Protocol protocol, PortRange range) {
        checkPersistentArguments(protocol, range);
        return reservedPorts.read().isEntry(range) ? Optional.of(token(range)) : Optional.empty();
    }

    /**
     * Deletes the persistent reservation {@code range}. Deletes only an exact entry of {@code net.ipv4.ip_local_reserved_ports}; every other entry is written back
     * as it was.
     *
     * @throws PortReservationException NOT_FOUND when {@code range} is not exactly one entry, naming the entries that
     *         overlap it; see {@link ReservedPortsFile#update} for the write's failures
     */
    void delete(Protocol protocol, PortRange range) {
        checkPersistentArguments(protocol, range);
        reservedPorts.update(current -> {
            if (!current.isEntry(range)) {
                throw notAnEntry("ports " + range, range, current);
            }
            return current.without(range);
        });
        for (ConcurrentMap<ReservationToken, LinuxBlockBinder> blocks : blocks.values()) {
            LinuxBlockBinder block = blocks.remove(token(range));
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
    static ReservationToken token(PortRange range) {
        return ReservationToken.of(PERSISTENT_TAG | ((long) range.start() << 16) | range.count());
    }

    /** The block of a persistent token, or null when the token is not a persistent one. */
    static PortRange range(ReservationToken token) {
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

    /**
     * Binds {@code socket} from the persistent block {@code range} of {@code token}.
     *
     * @throws PortReservationException NOT_FOUND when the block is no longer an entry of the list; the binder's
     *         failures
     */
    PortBinding bind(ReservationToken token, PortRange range, ReservableSocket socket, InetSocketAddress requested) {
        ReservedPortSet current = reservedPorts.read();
        if (!current.isEntry(range)) {
            throw notAnEntry(token + " names persistent block " + range, range, current);
        }
        // The sysctl list is one for TCP and UDP; this process tracks its sockets per protocol.
        Protocol protocol = socket.protocol();
        LinuxBlockBinder block = blocks.get(protocol).computeIfAbsent(token, t -> new LinuxBlockBinder(
                "persistent " + protocol + " reservation " + range, protocol, range, t, false));
        return block.bind(socket, requested);
    }

    /** Ports of the persistent block of {@code token} that {@code protocol} sockets of this process can still bind. */
    int availablePorts(Protocol protocol, ReservationToken token) {
        LinuxBlockBinder block = blocks.get(protocol).get(token);
        if (block != null) {
            return block.availablePorts();
        }
        PortRange range = range(token);
        return range == null ? 0 : range.count();
    }
}
