package io.github.portreservation.pool;

import io.github.portreservation.PortBinding;
import io.github.portreservation.PortReservationException;
import io.github.portreservation.PortReservationException.Reason;
import io.github.portreservation.ReservableSocket;
import io.github.portreservation.RuntimeReservation;
import io.github.portreservation.internal.BindErrors;

import java.net.InetSocketAddress;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.UnaryOperator;

/**
 * The sockets that joined a bound {@link PortLease} on its port, beside the socket the lease bound first: another
 * address (127.0.0.1 and ::1), or the same address when every socket on it asked to share it (SO_REUSEPORT, or
 * SO_REUSEADDR for UDP). The pool does not judge: the reservation's binder applies its rules (Linux: the runtime
 * reservation's table of port users; a Windows reservation binds one socket per port), and a join it refuses (IN_USE)
 * changes nothing of the lease, quarantines nothing and counts no failure. The lease's block keeps them
 * ({@link PoolBlock#joinedTo}), so that a lease costs no more when no socket joins it.
 *
 * <p>Each joined socket gets its own {@link PortBinding} ({@link LeaseSocket}), which its owner closes after the
 * socket; the lease stays its first socket's binding. The lease's port goes back to the pool once the lease is closed
 * and every socket, joined or first, is gone. A join and a close of the lease may race: the join counts itself
 * ({@link #binding}, a volatile write) before it reads the lease's state, and the close writes the state before it
 * reads that count, so either the join sees the lease closed and gives up (the socket is left unbound), or the close
 * sees the join under way and lets the lease linger until the joined socket is gone too: a join that found the lease
 * open completes. Lock-free.
 */
final class JoinedSockets {
    private final PortLease lease;
    private final Queue<LeaseSocket> sockets = new ConcurrentLinkedQueue<>();
    /** Joins under way: the port is held while a bind runs. */
    private final AtomicInteger binding = new AtomicInteger();

    JoinedSockets(PortLease lease) {
        this.lease = lease;
    }

    /** The lease they joined. */
    PortLease lease() {
        return lease;
    }

    /**
     * Binds {@code socket} to {@code local} (the lease's port) through {@code reservation}, beside the lease's bound
     * socket(s).
     *
     * @throws PortReservationException IN_USE when the reservation's rules refuse a second socket there (naming the
     *         lease and the rule), CLOSED when the lease was closed first, or the reservation's bind error; the socket
     *         is left unbound
     */
    PortBinding join(RuntimeReservation reservation, ReservableSocket socket, InetSocketAddress local) {
        binding.incrementAndGet();
        try {
            if (!lease.takesJoiners()) {
                throw notOpen(socket);
            }
            sockets.removeIf(LeaseSocket::isGone);
            LeaseSocket joined = new LeaseSocket(lease, bind(reservation, socket, local), socket,
                    "the lease of port " + lease.port());
            sockets.add(joined); // before the count drops: a close meanwhile sees one or the other, and waits for it
            return joined;
        } finally {
            binding.decrementAndGet();
            if (lease.lingeredLongEnough()) { // closed meanwhile, and every socket is gone: the port comes back now
                lease.returns().lingerEnded(lease);
            }
        }
    }

    private PortBinding bind(RuntimeReservation reservation, ReservableSocket socket, InetSocketAddress local) {
        return bindBeside(lease, reservation, socket, local, refusal -> "the lease of port " + lease.port()
                + " cannot carry " + socket + " on " + local.getAddress().getHostAddress() + " beside its socket "
                + lease.socket() + "; its reservation refused it: " + refusal, "from port " + lease.port()
                + " leased from the pool's block " + lease.blockRange());
    }

    /**
     * Binds {@code socket} to {@code local} through {@code reservation}, beside the socket(s) of {@code unit} already
     * on that port. A refusal by the reservation's rules (IN_USE) becomes an IN_USE worded by {@code refused} (given
     * the refusal's message) and counts nothing: it is this process's own rule, not another socket's. Another error
     * counts a bind failure of the pool; {@code from} says where the port comes from in a mapped socket error.
     */
    static PortBinding bindBeside(PortLease unit, RuntimeReservation reservation, ReservableSocket socket,
                                  InetSocketAddress local, UnaryOperator<String> refused, String from) {
        try {
            return reservation.bind(socket, local);
        } catch (PortReservationException e) {
            if (e.reason() != Reason.IN_USE) {
                unit.returns().countBindFailure();
                throw e;
            }
            throw new PortReservationException(Reason.IN_USE, refused.apply(e.getMessage()), e);
        } catch (RuntimeException e) {
            unit.returns().countBindFailure();
            throw BindErrors.map(e, socket, local, from);
        }
    }

    private PortReservationException notOpen(ReservableSocket socket) {
        return new PortReservationException(Reason.CLOSED, "the lease of port " + lease.port() + " is closed, so "
                + socket + " cannot join it; a lease takes more sockets only while it is open: bind " + socket
                + " to another port");
    }

    /** Whether a joined socket holds the port: being bound, still existing, or its binding being closed. */
    boolean holdsPort() {
        if (binding.get() > 0) {
            return true;
        }
        for (LeaseSocket s : sockets) {
            if (s.holdsPort()) {
                return true;
            }
        }
        return false;
    }

    /** Closes the bindings of the joined sockets that are gone (their owners never closed them). */
    void closeGone() {
        for (LeaseSocket s : sockets) {
            if (!s.socketHoldsPort()) {
                s.closeNow();
            }
        }
    }
}
