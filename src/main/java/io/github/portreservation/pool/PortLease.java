package io.github.portreservation.pool;

import io.github.portreservation.PortBinder;
import io.github.portreservation.PortBinding;
import io.github.portreservation.PortRange;
import io.github.portreservation.PortReservationException;
import io.github.portreservation.PortReservationException.Reason;
import io.github.portreservation.ReservableSocket;
import io.github.portreservation.ReservationToken;
import io.github.portreservation.internal.BindErrors;
import io.netty.util.internal.logging.InternalLogger;
import io.netty.util.internal.logging.InternalLoggerFactory;

import java.net.InetSocketAddress;
import java.util.concurrent.atomic.AtomicIntegerFieldUpdater;

/**
 * One port leased from a {@link ReservationPool}: no other lease of the pool gets it until {@link #close()} gives it
 * back. Bind one socket to it with {@link #bind}; the lease is also the socket's {@link PortBinding}, so closing either
 * gives the port back. Close the socket first: a lease closed while its socket is still open is not reused (the port
 * is quarantined) because the socket still uses it.
 *
 * <p>Thread-safe; {@link #close()} is idempotent and may race with {@link #bind} from another thread.
 */
public final class PortLease implements PortBinding, PortBinder {
    private static final InternalLogger logger = InternalLoggerFactory.getInstance(PortLease.class);

    private static final int UNBOUND = 0;
    private static final int BINDING = 1;
    private static final int BOUND = 2;
    private static final int CLOSE_PENDING = 3;
    private static final int CLOSED = 4;
    private static final AtomicIntegerFieldUpdater<PortLease> STATE =
            AtomicIntegerFieldUpdater.newUpdater(PortLease.class, "state");

    private final ReservationPool pool;
    final PoolBlock block;
    final int index;
    private volatile int state;
    private volatile boolean quarantined;
    private PortBinding binding;
    /** When the pool first saw this lease abandoned (0 = never); guarded by the pool's lock. */
    long abandonedSeenAt;
    /** Closed by the pool because its socket was closed long ago without closing the lease. */
    volatile boolean reclaimed;
    private ReservableSocket socket;

    PortLease(ReservationPool pool, PoolBlock block, int index) {
        this.pool = pool;
        this.block = block;
        this.index = index;
    }

    /** The leased port. */
    @Override
    public int port() {
        return block.range.start() + index;
    }

    /** The token of the pool's block the port belongs to. */
    @Override
    public ReservationToken token() {
        return block.reservation.token();
    }

    /** The pool's block (runtime reservation) the port belongs to. */
    public PortRange blockRange() {
        return block.range;
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
        return state < CLOSE_PENDING && !block.removed;
    }

    /** Whether the port was taken out of use because a bind failed or the lease was closed before its socket. */
    public boolean isQuarantined() {
        return quarantined;
    }

    /** Whether a socket was bound through this lease and has been closed while the lease is still open. */
    boolean isAbandoned() {
        return state == BOUND && !socket.socketExists();
    }

    /**
     * Binds {@code socket} to the leased port through the pool's reservation. One socket per lease.
     *
     * @param requested local address to bind (null = wildcard); its port must be 0 or {@link #port()}
     * @return this lease, which is the socket's binding: close it after the socket to give the port back
     * @throws PortReservationException INVALID_ARGUMENT (null or already bound socket, other port, unresolved or IPv6
     *         address on an IPv4-only socket, wrong protocol), IN_USE when a
     *         socket is already bound to this lease or another socket took the port (the port is then quarantined and
     *         this lease closed: lease another one), CLOSED when the lease or the pool is closed, or the reservation's
     *         bind error; the socket is left unbound
     */
    @Override
    public PortBinding bind(ReservableSocket socket, InetSocketAddress requested) {
        int port = port();
        InetSocketAddress local = localAddressFor(requested, port);
        BindErrors.checkUnbound(socket);
        if (!STATE.compareAndSet(this, UNBOUND, BINDING)) {
            if (state >= CLOSE_PENDING) {
                throw new PortReservationException(Reason.CLOSED, "the lease of port " + port
                        + " is closed; lease another port from the pool");
            }
            throw new PortReservationException(Reason.IN_USE, "the lease of port " + port + " is already bound to "
                    + this.socket + "; one lease binds one socket: lease another port for " + socket);
        }
        if (block.removed) {
            STATE.set(this, CLOSED);
            throw new PortReservationException(Reason.CLOSED, "the pool that leased port " + port
                    + " was closed forcibly and released its block " + block.range + "; build a new pool");
        }
        PortBinding b;
        try {
            b = block.reservation.bind(socket, local);
        } catch (PortReservationException e) {
            bindFailed(socket, e);
            throw e;
        } catch (RuntimeException e) {
            PortReservationException mapped = BindErrors.map(e, socket, local, "from port " + port
                    + " leased from the pool's block " + block.range);
            bindFailed(socket, mapped);
            throw mapped;
        }
        this.binding = b;
        this.socket = socket;
        if (!STATE.compareAndSet(this, BINDING, BOUND)) {
            // close() ran while we were binding: it left the work to us.
            STATE.set(this, CLOSED);
            finishClose(true);
            throw new PortReservationException(Reason.CLOSED, "the lease of port " + port
                    + " was closed while " + socket + " was being bound; close the socket and lease another port");
        }
        return this;
    }

    private InetSocketAddress localAddressFor(InetSocketAddress requested, int port) {
        if (requested == null) {
            return new InetSocketAddress(port);
        }
        if (requested.isUnresolved()) {
            throw PortReservationException.invalidArgument("local address " + requested, "it is unresolved",
                    "pass a resolved address such as new InetSocketAddress(\"127.0.0.1\", 0)");
        }
        if (requested.getPort() != 0 && requested.getPort() != port) {
            throw PortReservationException.invalidArgument("requested port " + requested.getPort(),
                    "this lease holds port " + port, "request port 0 or " + port
                            + ", or lease port " + requested.getPort() + " itself with pool.lease("
                            + requested.getPort() + ")");
        }
        return new InetSocketAddress(requested.getAddress(), port);
    }

    private void bindFailed(ReservableSocket socket, PortReservationException e) {
        boolean notOurFault = e != null && ReservationPool.isPortFault(e) && socket.socketExists();
        if (notOurFault) {
            // Someone else holds this port: never hand it out again while the block is held.
            STATE.set(this, CLOSED);
            quarantined = true;
            pool.returnPort(this, true, true);
            return;
        }
        pool.countFailure();
        if (!STATE.compareAndSet(this, BINDING, UNBOUND)) {
            STATE.set(this, CLOSED);
            pool.returnPort(this, false, false);
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

    private void finishClose(boolean bound) {
        boolean stillUsed = false;
        if (bound) {
            try {
                binding.close();
            } catch (RuntimeException e) {
                logger.warn("Closing the binding of port {} failed", port(), e);
            }
            stillUsed = socket.socketExists();
            if (stillUsed) {
                quarantined = true;
                logger.warn("The lease of port {} was closed while its socket {} is still open: the port is "
                        + "quarantined until its block is released. Close the socket before its lease.", port(), socket);
            }
        }
        pool.returnPort(this, stillUsed, false);
    }

    @Override
    public String toString() {
        int s = state;
        return "PortLease[" + port() + " of " + block.range + (s == BOUND ? ", bound to " + socket
                : s >= CLOSE_PENDING ? ", closed" : "") + (quarantined ? ", quarantined]" : "]");
    }
}
