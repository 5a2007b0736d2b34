package io.github.portreservation.pool;

import io.github.portreservation.internal.BindErrors;
import io.github.portreservation.internal.BindRequest;
import io.github.portreservation.PortBinder;
import io.github.portreservation.PortBinding;
import io.github.portreservation.PortRange;
import io.github.portreservation.PortReservationException;
import io.github.portreservation.PortReservationException.Reason;
import io.github.portreservation.ReservableSocket;
import io.github.portreservation.ReservationToken;
import io.github.portreservation.RuntimeReservation;

import java.lang.System.Logger.Level;
import java.net.InetSocketAddress;
import java.util.concurrent.atomic.AtomicIntegerFieldUpdater;

/**
 * One port leased from a {@link ReservationPool}: no other lease of the pool gets it until {@link #close()} gives it
 * back. Bind a socket to it with {@link #bind}; the lease is also that socket's {@link PortBinding}, so closing either
 * gives the port back. Close the socket first: a lease closed while its socket still exists keeps the port, still
 * leased, until the pool sees the socket gone. In a pool of two protocols the port is held for both, and the lease
 * binds a socket of either.
 *
 * <p>Several sockets of this process: while the lease is open, more sockets may bind to its port through it (or
 * through {@link ReservationPool#bind} with the port), where the reservation allows a second socket (on Linux: an
 * address that does not overlap the others, 127.0.0.1 beside ::1; or the same address when every socket there asked
 * to share it, SO_REUSEPORT or, for UDP, SO_REUSEADDR). Each such socket gets its own {@link PortBinding}, which its
 * owner closes after it; the port goes back to the pool once the lease is closed and every socket of it is gone.
 *
 * <p>Thread-safe; {@link #close()} is idempotent and may race with {@link #bind} from another thread.
 */
public final class PortLease implements PortBinding, PortBinder {
    private static final System.Logger LOG = System.getLogger(PortLease.class.getName());

    private static final int UNBOUND = 0;
    private static final int BINDING = 1;
    private static final int BOUND = 2;
    private static final int CLOSE_PENDING = 3;
    /** Closed while its socket still existed: the port stays leased until the socket is gone. */
    private static final int LINGERING = 4;
    private static final int CLOSED = 5;
    private static final AtomicIntegerFieldUpdater<PortLease> STATE =
            AtomicIntegerFieldUpdater.newUpdater(PortLease.class, "state");

    private final PortReturns returns;
    private final PoolBlock block;
    private final int index;
    private volatile int state;
    private volatile boolean quarantined;
    private PortBinding binding;
    /** When the pool first saw this lease abandoned (0 = never); guarded by the pool's lock. */
    private long abandonedSeenAt;
    /** Closed by the pool because its socket was closed long ago without closing the lease. */
    private volatile boolean reclaimed;
    private ReservableSocket socket;

    PortLease(PortReturns returns, PoolBlock block, int index) {
        this.returns = returns;
        this.block = block;
        this.index = index;
    }

    /** The pool's block the port belongs to. */
    PoolBlock block() {
        return block;
    }

    /** The port's index in its block. */
    int index() {
        return index;
    }

    /** The leased port. */
    @Override
    public int port() {
        return block.portOf(index);
    }

    /**
     * The token of the reservation the port belongs to: of the bound socket's protocol, else of the pool's first
     * protocol.
     */
    @Override
    public ReservationToken token() {
        PortBinding b = binding;
        return state == BOUND && b != null ? b.token() : block.reservation().token();
    }

    /** Where the lease gives its port back. */
    PortReturns returns() {
        return returns;
    }

    /** The pool's block (runtime reservation) the port belongs to. */
    public PortRange blockRange() {
        return block.range();
    }

    /** The address the socket was bound to by {@link #bind}, or null while no socket is bound. */
    @Override
    public InetSocketAddress localAddress() {
        PortBinding b = binding;
        return state == BOUND && b != null ? b.localAddress() : null;
    }

    /** Whether the port is still leased: not closed, and the pool was not closed forcibly. */
    @Override
    public boolean isActive() {
        return state < CLOSE_PENDING && !block.isRemoved();
    }

    /** Whether the port was taken out of use because a bind failed or the lease was closed before its socket. */
    public boolean isQuarantined() {
        return quarantined;
    }

    /** Whether a socket was bound through this lease and it, and every socket that joined it, has been closed. */
    boolean isAbandoned() {
        return state == BOUND && !socketsHoldPort();
    }

    /** Whether the lease was closed while its sockets existed, and they are gone now: its port is free. */
    boolean lingeredLongEnough() {
        return state == LINGERING && !socketsHoldPort();
    }

    /** Whether a socket of the lease still holds the port: its own (or its shape's), or one that joined it. */
    private boolean socketsHoldPort() {
        return holdsPort(block.joinedTo(this));
    }

    /** {@link #socketsHoldPort()} with {@code joined}, the sockets that joined the lease (or null), read already. */
    private boolean holdsPort(JoinedSockets joined) {
        return binding.holdsPort() || joined != null && joined.holdsPort();
    }

    /** Whether other sockets may join the lease's socket: it is bound to a socket of its own and not closed. */
    boolean takesJoiners() {
        return state == BOUND && socket != null;
    }

    /** The socket the lease bound first, or null. */
    ReservableSocket socket() {
        return socket;
    }

    /** Whether the lease waits, closed, for its socket to be gone. */
    boolean isLingering() {
        return state == LINGERING;
    }

    /** Gives the port of a lease that lingered back (its socket is gone); once. */
    void endLingering() {
        if (STATE.compareAndSet(this, LINGERING, CLOSED)) {
            JoinedSockets joined = block.joinedTo(this);
            closeBinding(joined); // a shape's, or the joined ones: the bindings of the sockets gone since
            block.forget(joined);
            returns.giveBack(this, quarantined, false);
        }
    }

    /**
     * Makes {@code sockets} (all sockets of a {@link ShapeLease} of this unit) the lease's binding, so that the unit
     * comes back only once the lease is closed and they are gone, and an exhausted pool can take it back when they
     * have all been gone for a while. Returns false when the lease is closed.
     */
    boolean holdFor(PortBinding sockets) {
        if (state == UNBOUND) {
            binding = sockets; // always the same object for one unit: published by the state write below
            if (STATE.compareAndSet(this, UNBOUND, BOUND)) {
                returns.bound(this);
                return true;
            }
        }
        return state == BOUND;
    }

    /** The unit goes into quarantine when it comes back (a bind on one of its ports found another socket there). */
    void quarantineOnReturn() {
        quarantined = true;
    }

    /**
     * Whether this lease has been seen abandoned ({@link #isAbandoned()}) for at least {@code graceNanos}: the first
     * sighting is noted at {@code now}. Called under the pool's lock.
     */
    boolean abandonedFor(long now, long graceNanos) {
        if (!isAbandoned()) {
            return false;
        }
        if (abandonedSeenAt == 0) {
            abandonedSeenAt = now | 1;
            return false;
        }
        return now - abandonedSeenAt >= graceNanos;
    }

    /** Closes the lease of a socket closed long ago; the port's cooldown runs from when that was first seen. */
    void reclaim() {
        reclaimed = true;
        close();
    }

    /** When the port counts as returned, if it is given back at {@code now}. Called under the pool's lock. */
    long returnTime(long now) {
        return reclaimed ? abandonedSeenAt : now;
    }

    /**
     * Binds {@code socket} to the leased port through the pool's reservation. The first socket's binding is the lease
     * itself; a socket bound while the lease already has one joins it (see the class comment) and gets a binding of
     * its own.
     *
     * @param requested local address to bind (null = wildcard); its port must be 0 or {@link #port()}
     * @return this lease for the first socket, which is its binding: close it after the socket to give the port back;
     *         for a socket that joined, its own binding: close it after that socket
     * @throws PortReservationException INVALID_ARGUMENT (other port, unresolved address, wrong protocol), IN_USE when
     *         another socket took the port (the port is then quarantined and this lease closed: lease another one), or
     *         when the reservation refuses a second socket there (nothing changes), CLOSED when the lease or the pool
     *         is closed, or the reservation's bind error; the socket is left unbound
     */
    @Override
    public PortBinding bind(ReservableSocket socket, InetSocketAddress requested) {
        return bind(socket, requested, false);
    }

    /**
     * Binds {@code socket} beside the socket this lease is bound to, for {@link ReservationPool#bind} of its port;
     * never as the lease's first socket.
     *
     * @throws PortReservationException the errors of {@link #bind}; IN_USE also when the lease has no socket of its own
     */
    PortBinding join(ReservableSocket socket, InetSocketAddress requested) {
        return bind(socket, requested, true);
    }

    private PortBinding bind(ReservableSocket socket, InetSocketAddress requested, boolean joinOnly) {
        int port = port();
        RuntimeReservation reservation = checkedReservation(socket, requested);
        InetSocketAddress local = localAddressFor(requested, port);
        if (joinOnly || !STATE.compareAndSet(this, UNBOUND, BINDING)) {
            if (takesJoiners()) {
                return block.joinedToOrNew(this).join(reservation, socket, local);
            }
            throw notBindable(socket);
        }
        if (block.isRemoved()) {
            STATE.set(this, CLOSED);
            throw new PortReservationException(Reason.CLOSED, "the pool that leased port " + port
                    + " was closed forcibly and released its block " + block.range() + "; build a new pool");
        }
        PortBinding b;
        try {
            b = reservation.bind(socket, local);
        } catch (PortReservationException e) {
            bindFailed(socket, e);
            throw e;
        } catch (RuntimeException e) {
            bindFailed(socket, null);
            throw BindErrors.map(e, socket, local, "from port " + port + " leased from the pool's block "
                    + block.range());
        }
        this.binding = b;
        this.socket = socket;
        returns.bound(this); // before BOUND: a close that wins the race below finds it and clears it
        if (!STATE.compareAndSet(this, BINDING, BOUND)) {
            // close() ran while we were binding: it left the work to us.
            STATE.set(this, CLOSED);
            finishClose(true);
            throw new PortReservationException(Reason.CLOSED, "the lease of port " + port
                    + " was closed while " + socket + " was being bound; close the socket and lease another port");
        }
        return this;
    }

    /** Why {@code socket} can neither be the lease's first socket nor join it. */
    private PortReservationException notBindable(ReservableSocket socket) {
        if (state >= CLOSE_PENDING) {
            return new PortReservationException(Reason.CLOSED, "the lease of port " + port()
                    + " is closed; lease another port from the pool");
        }
        return new PortReservationException(Reason.IN_USE, "the lease of port " + port() + (state == BINDING
                ? " is being bound to another socket; bind " + socket + " once that bind is done"
                : " is not bound to a socket of its own, so " + socket + " cannot join one") + ", or lease another "
                + "port for it");
    }

    /** The reservation of the socket's protocol, after the binder contract's checks of the request. */
    private RuntimeReservation checkedReservation(ReservableSocket socket, InetSocketAddress requested) {
        RuntimeReservation reservation = block.reservation(socket != null ? socket.protocol() : null);
        BindRequest.check(new Name(), reservation.protocol(), PortRange.single(port()), socket, requested);
        return reservation;
    }

    /** The address to bind: {@code requested}'s (checked already: resolved, port 0 or this one) with the port. */
    private static InetSocketAddress localAddressFor(InetSocketAddress requested, int port) {
        return requested == null ? new InetSocketAddress(port) : new InetSocketAddress(requested.getAddress(), port);
    }

    /** Whether a bind failure means another socket holds the port (not a fault of the caller's socket or address). */
    static boolean isPortFault(PortReservationException e) {
        return e.reason() == Reason.IN_USE || e.reason() == Reason.ACCESS_DENIED;
    }

    private void bindFailed(ReservableSocket socket, PortReservationException e) {
        boolean notOurFault = e != null && isPortFault(e) && socket.socketExists();
        if (notOurFault) {
            // Someone else holds this port: never hand it out again while the block is held.
            STATE.set(this, CLOSED);
            quarantined = true;
            returns.giveBack(this, true, true);
            return;
        }
        returns.countBindFailure();
        if (!STATE.compareAndSet(this, BINDING, UNBOUND)) {
            STATE.set(this, CLOSED);
            returns.giveBack(this, false, false);
        }
    }

    /** Gives the port back to the pool (closing the socket's binding first). Idempotent, thread-safe, never throws. */
    @Override
    public void close() {
        for (;;) {
            int s = state;
            if (s >= CLOSE_PENDING) {
                return;
            }
            if (s == BINDING) {
                if (STATE.compareAndSet(this, BINDING, CLOSE_PENDING)) {
                    return; // the binding thread finishes the close
                }
            } else if (STATE.compareAndSet(this, s, CLOSED)) {
                finishClose(s == BOUND);
                return;
            }
        }
    }

    /**
     * Closes the socket's binding; the port goes back to the pool now, or, when the socket still exists (a JDK socket
     * closed while registered with a selector lives until the next select), once the pool sees it gone: until then
     * the lease lingers, still holding its port, so that the socket of the port's next lease does not meet the old one
     * there. The same for the sockets that joined the lease (read once, after the state write that closed the lease:
     * see {@link JoinedSockets}).
     */
    private void finishClose(boolean bound) {
        if (bound) {
            JoinedSockets joined = block.joinedTo(this);
            closeBinding(joined);
            if (holdsPort(joined)) {
                state = LINGERING;
                returns.linger(this);
                return;
            }
            block.forget(joined);
        }
        returns.giveBack(this, quarantined, false);
    }

    /** Closes the lease's binding, and those of the {@code joined} sockets that are gone (their owners close theirs). */
    private void closeBinding(JoinedSockets joined) {
        try {
            binding.close();
            if (joined != null) {
                joined.closeGone();
            }
        } catch (RuntimeException e) {
            LOG.log(Level.WARNING, () -> "Closing the binding of port " + port() + " failed", e);
        }
    }

    @Override
    public String toString() {
        int s = state;
        return "PortLease[" + port() + " of " + block.range() + (s == BOUND ? ", bound to " + socket
                : s >= CLOSE_PENDING ? ", closed" : "") + (quarantined ? ", quarantined]" : "]");
    }

    /** How a bind's checks name this lease in their messages, built only for a message (not at every bind). */
    private final class Name {
        @Override
        public String toString() {
            return "port " + port() + " leased from the pool's block " + block.range();
        }
    }
}
