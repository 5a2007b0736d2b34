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
 *   <li><b>Bind</b>: the lease is a {@link PortBinder}, so a channel factory takes it:
 *       {@code ReservedChannelFactories.nioDatagram(pair)} binds the RTP channel and the RTCP channel of an RTP pair,
 *       {@code nioServer(lease)} and {@code nioDatagram(lease)} a TCP server and a UDP channel on the same number. Port
 *       0 takes the lowest port of the lease without a socket of the socket's protocol; a port of the lease takes that
 *       port, and when it has a socket of that protocol already, the new one joins it there (127.0.0.1 beside ::1, an
 *       SO_REUSEPORT group, multicast receivers) where the block's reservation allows a second socket, as for a
 *       {@link PortLease}: a join it refuses fails IN_USE and changes nothing. Each bind returns that socket's own
 *       {@link PortBinding}; once every socket of a port is gone and its binding closed, port 0 takes that port
 *       again.</li>
 *   <li><b>Return</b>: {@link #close()} gives every port back at once, when the last socket bound through the lease
 *       (of any port, first or joined) is gone; until then the lease keeps all its ports (closing the lease first is
 *       safe). Closing only the sockets keeps the ports leased.</li>
 *   <li><b>Never split</b>: the shape cools down as one, and a bind refused because another socket holds one of its
 *       ports quarantines the whole shape and closes the lease: lease another shape then.</li>
 * </ul>
 *
 * <p>Thread-safe; {@link #close()} is idempotent and may race with {@link #bind}.
 */
public final class ShapeLease implements PortBinder, AutoCloseable {
    private static final System.Logger LOG = System.getLogger(ShapeLease.class.getName());

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
     *                  socket of this protocol) or a port of the lease (one that has a socket of this protocol already
     *                  takes this one beside it where the reservation allows: see the class comment)
     * @return the binding of this socket: close it after the socket; once every socket of a port is gone and its
     *         binding closed, port 0 may take that port again
     * @throws PortReservationException INVALID_ARGUMENT (a protocol the pool does not hold, unresolved address),
     *         OUTSIDE_RESERVATION (a port outside the lease), IN_USE (the reservation refused a second socket on that
     *         port, or its first socket is being bound: nothing changes; or another socket holds the port: the shape
     *         is then quarantined and the lease closed), EXHAUSTED (every port has a socket of this protocol), CLOSED
     *         (the lease or the pool is closed, also while the socket was being bound), or the reservation's bind
     *         error; the socket is left unbound
     */
    @Override
    public PortBinding bind(ReservableSocket socket, InetSocketAddress requested) {
        Protocol protocol = socket != null && protocols.contains(socket.protocol()) ? socket.protocol()
                : protocols.get(0);
        BindRequest request = BindRequest.check(name(), protocol, ports, socket, requested);
        Sockets all = sockets();
        int p = protocols.indexOf(protocol);
        int port = request.port();
        Object claim;
        if (port == 0) {
            port = all.claimFree(p, socket);
            claim = PortSockets.FIRST;
        } else {
            claim = all.claimAt(port, p, socket);
        }
        PortSockets slot = all.at(port, p);
        InetSocketAddress local = request.local(port);
        PortBinding bound = null;
        try {
            if (!unit.holdFor(all)) { // read after the claim: a close meanwhile waits for it
                throw closed();
            }
            bound = claim == PortSockets.FIRST ? bindFirst(protocol, socket, local)
                    : join(protocol, socket, local, (LeaseSocket) claim);
        } finally {
            if (bound == null) {
                slot.unclaim();
                endIfLingeredLongEnough(); // a close meanwhile waited for this bind: it was the last thing held
            }
        }
        LeaseSocket member = new LeaseSocket(unit, bound, socket, name());
        slot.bound(member);
        if (!unit.isActive()) { // closed while binding: the close left this socket to us
            member.close();
            throw new PortReservationException(Reason.CLOSED, name() + " was closed while " + socket + " was being "
                    + "bound to port " + port + "; close the socket and lease another shape");
        }
        return member;
    }

    /** Binds the first socket of its protocol on {@code local}'s port; another socket there quarantines the shape. */
    private PortBinding bindFirst(Protocol protocol, ReservableSocket socket, InetSocketAddress local) {
        try {
            return unit.block().reservation(protocol).bind(socket, local);
        } catch (PortReservationException e) {
            bindFailed(socket, local.getPort(), e);
            throw e;
        } catch (RuntimeException e) {
            unit.returns().countBindFailure();
            throw BindErrors.map(e, socket, local, "from port " + local.getPort() + " of " + name());
        }
    }

    /**
     * Binds {@code socket} on {@code local}'s port beside {@code beside} and the port's other sockets of its protocol
     * (127.0.0.1 beside ::1, an SO_REUSEPORT group, multicast receivers), through the block's reservation, whose rules
     * decide as for a {@link PortLease}'s joined sockets ({@link JoinedSockets}): a refusal is IN_USE naming the lease,
     * the port, that socket and the reservation's reason, and changes nothing (no quarantine, no failure counted).
     */
    private PortBinding join(Protocol protocol, ReservableSocket socket, InetSocketAddress local, LeaseSocket beside) {
        int port = local.getPort();
        return JoinedSockets.bindBeside(unit, unit.block().reservation(protocol), socket, local, refusal -> "port "
                + port + " of " + name() + " cannot carry " + socket + " on " + local.getAddress().getHostAddress()
                + " beside its " + protocol + " socket " + beside.socket() + "; its reservation refused it: " + refusal
                + "; bind it to another port of the lease, or where its reservation allows a second socket (Linux: "
                + "an address that overlaps none on the port, or one whose sockets all asked to share it)",
                "from port " + port + " of " + name());
    }

    /** Gives the ports back when the lease was closed while a bind held them and nothing else holds them now. */
    private void endIfLingeredLongEnough() {
        if (unit.lingeredLongEnough()) {
            unit.returns().lingerEnded(unit);
        }
    }

    /** Names the lease in messages: "the lease of ports 30002-30003". */
    private String name() {
        return "the lease of ports " + ports;
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

    /** Counts a failed first bind on {@code port}; another socket there quarantines the shape and closes the lease. */
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

    /** The error of a bind on the closed lease. */
    private PortReservationException closed() {
        return new PortReservationException(Reason.CLOSED, name() + " is closed"
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

    /** The ports, the block, the protocols, how many sockets hold a port (first and joined), closed, quarantined. */
    @Override
    public String toString() {
        Sockets all = sockets;
        int bound = all == null ? 0 : all.holding();
        return "ShapeLease[" + ports + " of " + blockRange() + ", " + protocols + ", " + bound + " socket"
                + (bound == 1 ? "" : "s") + (isActive() ? "" : ", closed") + (quarantined ? ", quarantined]" : "]");
    }

    /**
     * All sockets of the lease, one slot per port and protocol ({@code (port - first) * protocols + protocol}, made at
     * its first bind), as the binding of its unit: it holds the ports while any socket exists or is being bound.
     */
    private final class Sockets implements PortBinding {
        final AtomicReferenceArray<PortSockets> slots;

        Sockets(int count) {
            slots = new AtomicReferenceArray<>(count);
        }

        /** The slot of {@code port} for the protocol at {@code p} in {@link #protocols}, made on first use. */
        PortSockets at(int port, int p) {
            int i = (port - ports.start()) * protocols.size() + p;
            PortSockets s = slots.get(i);
            if (s == null && !slots.compareAndSet(i, null, s = new PortSockets())) {
                s = slots.get(i);
            }
            return s;
        }

        /** Claims the lowest port without a socket of the protocol at {@code p} for a first socket; returns it. */
        int claimFree(int p, ReservableSocket socket) {
            checkOpen();
            for (int port = ports.start(); port <= ports.end(); port++) {
                if (at(port, p).claim(false) == PortSockets.FIRST) {
                    return port;
                }
            }
            throw new PortReservationException(Reason.EXHAUSTED, "every port of " + name() + " already has a "
                    + protocols.get(p) + " socket, so " + socket + " gets none; close one of them and its binding "
                    + "first, bind it to a port of the lease beside a socket there, or lease another shape");
        }

        /**
         * Claims {@code port} for the protocol at {@code p}: {@link PortSockets#FIRST}, or the socket there to join.
         */
        Object claimAt(int port, int p, ReservableSocket socket) {
            checkOpen();
            Object claim = at(port, p).claim(true);
            if (claim == null) {
                throw new PortReservationException(Reason.IN_USE, "port " + port + " of " + name() + " is being bound "
                        + "to its first " + protocols.get(p) + " socket; bind " + socket + " once that bind is done, "
                        + "or to another port of the lease");
            }
            return claim;
        }

        private void checkOpen() {
            if (!unit.isActive()) {
                throw closed();
            }
            if (quarantined) {
                throw new PortReservationException(Reason.IN_USE, name() + " is quarantined: a bind on one of its "
                        + "ports found another socket there; lease another shape");
            }
        }

        /** Sockets that still hold their port. */
        int holding() {
            int n = 0;
            for (int i = 0; i < slots.length(); i++) {
                PortSockets s = slots.get(i);
                n += s == null ? 0 : s.holding();
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
                PortSockets s = slots.get(i);
                if (s != null && s.holdsPort()) {
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
                PortSockets s = slots.get(i);
                if (s != null) {
                    s.closeGone();
                }
            }
        }
    }
}
