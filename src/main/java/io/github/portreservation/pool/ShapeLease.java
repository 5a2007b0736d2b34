package io.github.portreservation.pool;

import io.github.portreservation.PortBinder;
import io.github.portreservation.PortBinding;
import io.github.portreservation.PortRange;
import io.github.portreservation.PortReservationException;
import io.github.portreservation.PortReservationException.Reason;
import io.github.portreservation.Protocol;
import io.github.portreservation.ReservableSocket;
import io.github.portreservation.ReservationToken;
import io.github.portreservation.internal.BindErrors;
import io.github.portreservation.internal.BindRequest;

import java.lang.System.Logger.Level;
import java.net.InetSocketAddress;
import java.util.List;
import java.util.concurrent.atomic.AtomicReferenceArray;

/**
 * The ports of one {@link PortShape} leased from a {@link ReservationPool} as one unit: {@link #ports()}, each held
 * for every protocol of the pool ({@link #protocols()}). Taken whole or not at all, and given back whole.
 *
 * <ul>
 *   <li><b>Bind</b>: the lease is a {@link PortBinder} that binds one socket per port and protocol at a time, so a
 *       channel factory takes it: {@code ReservedChannelFactories.nioDatagram(pair)} binds the RTP channel and the
 *       RTCP channel of an RTP pair, {@code nioServer(lease)} and {@code nioDatagram(lease)} a TCP server and a UDP
 *       channel on the same number. Port 0 takes the lowest port of the lease without a socket of the socket's
 *       protocol; a port of the lease takes that port. Each bind returns that socket's own {@link PortBinding}; once
 *       it is closed and its socket is gone, the port takes a new socket of that protocol.</li>
 *   <li><b>Return</b>: {@link #close()} gives every port back at once, when the last socket bound through the lease
 *       is gone; until then the lease keeps all its ports (closing the lease first is safe). Closing only the
 *       sockets keeps the ports leased.</li>
 *   <li><b>Never split</b>: the shape cools down as one, and a bind refused because another socket holds one of its
 *       ports quarantines the whole shape and closes the lease: lease another shape then.</li>
 * </ul>
 *
 * <p>Thread-safe; {@link #close()} is idempotent and may race with {@link #bind}.
 */
public final class ShapeLease implements PortBinder, AutoCloseable {
    private static final System.Logger LOG = System.getLogger(ShapeLease.class.getName());
    /** A slot claimed by a bind under way. */
    private static final Object BINDING = new Object();

    private final PortLease unit;
    private final PortShape shape;
    private final PortRange ports;
    private final List<Protocol> protocols;
    /** The sockets, made by the first bind (many leases are given back without one). */
    private volatile Sockets sockets;
    private volatile boolean quarantined;

    /** The lease of the unit {@code unit} of a block cut into {@code shape}, held for {@code protocols}. */
    ShapeLease(PortLease unit, PortShape shape, List<Protocol> protocols) {
        this.unit = unit;
        this.shape = shape;
        this.ports = PortRange.of(unit.port(), shape.count());
        this.protocols = protocols;
    }

    /** The shape leased. */
    public PortShape shape() {
        return shape;
    }

    /** The leased ports, first to last. */
    public PortRange ports() {
        return ports;
    }

    /** The protocols each port is held for: the pool's. */
    public List<Protocol> protocols() {
        return protocols;
    }

    /** The pool's block (runtime reservation) the ports belong to. */
    public PortRange blockRange() {
        return unit.blockRange();
    }

    /** Whether the ports are still leased: the lease is not closed and the pool was not closed forcibly. */
    public boolean isActive() {
        return unit.isActive();
    }

    /** Whether the shape was taken out of use because a bind on one of its ports found another socket there. */
    public boolean isQuarantined() {
        return quarantined;
    }

    /**
     * Binds {@code socket} to a port of the lease, through the pool's reservation of the socket's protocol.
     *
     * @param requested local address (null = wildcard); its port must be 0 (the lowest port of the lease without a
     *                  socket of this protocol) or a port of the lease
     * @return the binding of this socket: close it after the socket, and the port takes a new socket
     * @throws PortReservationException INVALID_ARGUMENT (a protocol the pool does not hold, unresolved address),
     *         OUTSIDE_RESERVATION (a port outside the lease), IN_USE (that port already has a socket of this protocol,
     *         or another socket holds it: the shape is then quarantined and the lease closed), EXHAUSTED (every port
     *         has a socket of this protocol), CLOSED (the lease or the pool is closed), or the reservation's bind
     *         error; the socket is left unbound
     */
    @Override
    public PortBinding bind(ReservableSocket socket, InetSocketAddress requested) {
        Protocol protocol = socket != null && protocols.contains(socket.protocol()) ? socket.protocol()
                : protocols.get(0);
        BindRequest request = BindRequest.check("the lease of ports " + ports, protocol, ports, socket, requested);
        Sockets all = sockets();
        int slot = all.claim(request.port(), protocol, socket);
        int port = ports.start() + slot / protocols.size();
        InetSocketAddress local = request.local(port);
        if (!unit.holdFor(all)) {
            all.slots.set(slot, null);
            throw closed();
        }
        PortBinding bound;
        try {
            bound = unit.block().reservation(protocol).bind(socket, local);
        } catch (PortReservationException e) {
            all.slots.set(slot, null);
            bindFailed(socket, port, e);
            throw e;
        } catch (RuntimeException e) {
            all.slots.set(slot, null);
            unit.returns().countBindFailure();
            throw BindErrors.map(e, socket, local, "from port " + port + " of the lease of ports " + ports);
        }
        LeaseSocket member = new LeaseSocket(unit, bound, socket, "the lease of ports " + ports);
        all.slots.set(slot, member);
        if (!unit.isActive()) { // closed while binding: the close left this socket to us
            member.close();
            throw new PortReservationException(Reason.CLOSED, "the lease of ports " + ports + " was closed while "
                    + socket + " was being bound; close the socket and lease another shape");
        }
        return member;
    }

    /** The sockets of the lease, made on first use. */
    private Sockets sockets() {
        Sockets s = sockets;
        if (s == null) {
            synchronized (this) {
                s = sockets;
                if (s == null) {
                    s = new Sockets(shape.count() * protocols.size());
                    sockets = s;
                }
            }
        }
        return s;
    }

    private void bindFailed(ReservableSocket socket, int port, PortReservationException e) {
        unit.returns().countBindFailure();
        if (PortLease.isPortFault(e) && socket.socketExists()) {
            // Someone else holds this port: never hand the shape out again while its block is held.
            quarantined = true;
            unit.quarantineOnReturn();
            LOG.log(Level.WARNING, () -> "Ports " + ports + " of block " + blockRange() + " are quarantined until "
                    + "the block is released: another socket holds port " + port);
            close();
        }
    }

    private PortReservationException closed() {
        return new PortReservationException(Reason.CLOSED, "the lease of ports " + ports + " is closed"
                + (unit.block().isRemoved() ? " (its pool was closed forcibly)" : "") + "; lease another shape");
    }

    /**
     * Gives the ports back to the pool, all at once, when the last socket bound through the lease is gone: now, or
     * when that socket's binding is closed (a channel's close does it), or when the pool sees it gone. Idempotent,
     * thread-safe, never throws.
     */
    @Override
    public void close() {
        unit.close();
    }

    @Override
    public String toString() {
        Sockets all = sockets;
        int bound = all == null ? 0 : all.holding();
        return "ShapeLease[" + ports + " of " + blockRange() + ", " + protocols + ", " + bound + " socket"
                + (bound == 1 ? "" : "s") + (isActive() ? "" : ", closed") + (quarantined ? ", quarantined]" : "]");
    }

    /**
     * All sockets of the lease, one slot per port and protocol ({@code (port - first) * protocols + protocol}: null,
     * {@link #BINDING} or a {@link LeaseSocket}), as the binding of its unit: it holds the ports while any socket exists or is
     * being bound.
     */
    private final class Sockets implements PortBinding {
        final AtomicReferenceArray<Object> slots;

        Sockets(int count) {
            slots = new AtomicReferenceArray<>(count);
        }

        /** Claims the slot of {@code port} (0: the lowest free one) for a socket of {@code protocol}. */
        int claim(int port, Protocol protocol, ReservableSocket socket) {
            if (!unit.isActive()) {
                throw closed();
            }
            if (quarantined) {
                throw new PortReservationException(Reason.IN_USE, "the lease of ports " + ports + " is quarantined: "
                        + "a bind on one of its ports found another socket there; lease another shape");
            }
            int p = protocols.indexOf(protocol);
            if (port != 0) {
                int slot = (port - ports.start()) * protocols.size() + p;
                if (tryClaim(slot)) {
                    return slot;
                }
                Object holder = slots.get(slot);
                throw new PortReservationException(Reason.IN_USE, "port " + port + " of the lease of ports " + ports
                        + " already has the " + protocol + " socket " + (holder instanceof LeaseSocket
                        ? ((LeaseSocket) holder).socket() : "being bound") + "; one socket per port and protocol: close that "
                        + "socket and its binding first, or bind another port of the lease");
            }
            for (int i = 0; i < shape.count(); i++) {
                if (tryClaim(i * protocols.size() + p)) {
                    return i * protocols.size() + p;
                }
            }
            throw new PortReservationException(Reason.EXHAUSTED, "every port of the lease of ports " + ports
                    + " already has a " + protocol + " socket, so " + socket + " gets none; close one of them and its "
                    + "binding first, or lease another shape");
        }

        /** Claims {@code slot} for a bind: free, or its last socket's binding closed and the socket gone. */
        private boolean tryClaim(int slot) {
            Object s = slots.get(slot);
            if (s == BINDING || s instanceof LeaseSocket && !((LeaseSocket) s).isFree()) {
                return false;
            }
            return slots.compareAndSet(slot, s, BINDING);
        }

        /** Sockets that still hold their port. */
        int holding() {
            int n = 0;
            for (int i = 0; i < slots.length(); i++) {
                Object s = slots.get(i);
                n += s instanceof LeaseSocket && ((LeaseSocket) s).holdsPort() ? 1 : 0;
            }
            return n;
        }

        @Override
        public ReservationToken token() {
            return unit.token();
        }

        @Override
        public int port() {
            return ports.start();
        }

        @Override
        public InetSocketAddress localAddress() {
            return null;
        }

        @Override
        public boolean isActive() {
            return unit.isActive();
        }

        @Override
        public boolean holdsPort() {
            for (int i = 0; i < slots.length(); i++) {
                Object s = slots.get(i);
                if (s == BINDING || s instanceof LeaseSocket && ((LeaseSocket) s).holdsPort()) {
                    return true;
                }
            }
            return false;
        }

        /**
         * Closes the bindings of the sockets that are gone, when the lease is closed and when it comes back; those of
         * sockets still open stay open, and their close gives the ports back.
         */
        @Override
        public void close() {
            for (int i = 0; i < slots.length(); i++) {
                Object s = slots.get(i);
                if (s instanceof LeaseSocket && !((LeaseSocket) s).socketHoldsPort()) {
                    ((LeaseSocket) s).closeNow();
                }
            }
        }
    }
}
