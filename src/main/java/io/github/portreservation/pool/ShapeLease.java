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
import java.util.concurrent.atomic.AtomicBoolean;
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
    /** Per port and protocol ({@code (port - first) * protocols + protocol}): null, {@link #BINDING} or a Member. */
    private final AtomicReferenceArray<Object> sockets;
    private final Sockets all = new Sockets();
    private volatile boolean quarantined;

    /** The lease of the unit {@code unit} of a block cut for {@code shape}, held for {@code protocols}. */
    ShapeLease(PortLease unit, PortShape shape, List<Protocol> protocols) {
        this.unit = unit;
        this.shape = shape;
        this.ports = PortRange.of(unit.port(), shape.count());
        this.protocols = protocols;
        this.sockets = new AtomicReferenceArray<>(shape.count() * protocols.size());
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
        int slot = claim(request.port(), protocol, socket);
        int port = ports.start() + slot / protocols.size();
        InetSocketAddress local = request.local(port);
        if (!unit.holdFor(all)) {
            sockets.set(slot, null);
            throw closed();
        }
        PortBinding bound;
        try {
            bound = unit.block().reservation(protocol).bind(socket, local);
        } catch (PortReservationException e) {
            sockets.set(slot, null);
            bindFailed(socket, port, e);
            throw e;
        } catch (RuntimeException e) {
            sockets.set(slot, null);
            unit.returns().countBindFailure();
            throw BindErrors.map(e, socket, local, "from port " + port + " of the lease of ports " + ports);
        }
        Member member = new Member(bound, socket);
        sockets.set(slot, member);
        if (!unit.isActive()) { // closed while binding: the close left this socket to us
            member.close();
            throw new PortReservationException(Reason.CLOSED, "the lease of ports " + ports + " was closed while "
                    + socket + " was being bound; close the socket and lease another shape");
        }
        return member;
    }

    /** Claims the slot of {@code port} (0: the lowest free one) for a socket of {@code protocol}. */
    private int claim(int port, Protocol protocol, ReservableSocket socket) {
        if (!unit.isActive()) {
            throw closed();
        }
        if (quarantined) {
            throw new PortReservationException(Reason.IN_USE, "the lease of ports " + ports + " is quarantined: a "
                    + "bind on one of its ports found another socket there; lease another shape");
        }
        int p = protocols.indexOf(protocol);
        if (port != 0) {
            int slot = (port - ports.start()) * protocols.size() + p;
            if (tryClaim(slot)) {
                return slot;
            }
            throw new PortReservationException(Reason.IN_USE, "port " + port + " of the lease of ports " + ports
                    + " already has the " + protocol + " socket " + holder(slot) + "; one socket per port and "
                    + "protocol: close that socket and its binding first, or bind another port of the lease");
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

    private boolean tryClaim(int slot) {
        Object s = sockets.get(slot);
        if (s == BINDING || s instanceof Member && !((Member) s).isFree()) {
            return false;
        }
        return sockets.compareAndSet(slot, s, BINDING);
    }

    private Object holder(int slot) {
        Object s = sockets.get(slot);
        return s instanceof Member ? ((Member) s).socket : "being bound";
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
     * Gives the ports back to the pool once every socket bound through the lease is gone (closing the bindings of
     * those still open first). Idempotent, thread-safe, never throws.
     */
    @Override
    public void close() {
        unit.close();
    }

    @Override
    public String toString() {
        int bound = 0;
        for (int i = 0; i < sockets.length(); i++) {
            bound += sockets.get(i) instanceof Member && ((Member) sockets.get(i)).holdsPort() ? 1 : 0;
        }
        return "ShapeLease[" + ports + " of " + blockRange() + ", " + protocols + ", " + bound + " socket"
                + (bound == 1 ? "" : "s") + (isActive() ? "" : ", closed") + (quarantined ? ", quarantined]" : "]");
    }

    /** One socket bound through the lease: its reservation's binding; its close may end the lease's wait. */
    private final class Member implements PortBinding {
        private final PortBinding binding;
        private final ReservableSocket socket;
        private final AtomicBoolean closed = new AtomicBoolean();

        Member(PortBinding binding, ReservableSocket socket) {
            this.binding = binding;
            this.socket = socket;
        }

        /** Whether a new socket may take this one's port and protocol: closed, and its socket gone. */
        boolean isFree() {
            return closed.get() && !binding.holdsPort();
        }

        @Override
        public ReservationToken token() {
            return binding.token();
        }

        @Override
        public int port() {
            return binding.port();
        }

        @Override
        public InetSocketAddress localAddress() {
            return binding.localAddress();
        }

        @Override
        public boolean isActive() {
            return !closed.get();
        }

        @Override
        public boolean holdsPort() {
            return binding.holdsPort();
        }

        @Override
        public void close() {
            if (closed.compareAndSet(false, true)) {
                binding.close();
                if (unit.lingeredLongEnough()) {
                    unit.returns().lingerEnded(unit); // the lease was closed and waited for this socket
                }
            }
        }

        @Override
        public String toString() {
            return "PortBinding[" + binding.port() + " of the lease of ports " + ports + (closed.get() ? ", closed]"
                    : "]");
        }
    }

    /** All sockets of the lease, as the binding of its unit: held while any socket exists or is being bound. */
    private final class Sockets implements PortBinding {
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
            for (int i = 0; i < sockets.length(); i++) {
                Object s = sockets.get(i);
                if (s == BINDING || s instanceof Member && ((Member) s).holdsPort()) {
                    return true;
                }
            }
            return false;
        }

        /** Closes the binding of every socket (the lease is being closed). */
        @Override
        public void close() {
            for (int i = 0; i < sockets.length(); i++) {
                Object s = sockets.get(i);
                if (s instanceof Member) {
                    ((Member) s).close();
                }
            }
        }
    }
}
