package io.github.portreservation.pool;

import io.github.portreservation.PortBinding;
import io.github.portreservation.PortReservationException;
import io.github.portreservation.PortReservationException.Reason;
import io.github.portreservation.ReservableSocket;

import java.net.InetSocketAddress;
import java.util.function.IntFunction;

/**
 * {@link ReservationPool#bind} of an explicit port: a free port of the pool is leased and bound; a port that a lease of
 * this pool has bound to a socket takes the new socket beside it ({@link PortLease#join}) when the reservation allows
 * (several sockets of this process on one port: see {@link JoinedSockets}). Otherwise the request fails as the
 * explicit lease did (IN_USE: "port ... is leased by ..."), the join's refusal attached as a suppressed exception.
 */
final class ExplicitPortBinds {
    private final LeaseDispatcher dispatcher;
    private final IntFunction<PortLease> leaseExplicit;

    /** {@code leaseExplicit}: {@link ReservationPool#lease(int)}. */
    ExplicitPortBinds(LeaseDispatcher dispatcher, IntFunction<PortLease> leaseExplicit) {
        this.dispatcher = dispatcher;
        this.leaseExplicit = leaseExplicit;
    }

    /**
     * Binds {@code socket} to {@code requested} (port other than 0): a new lease of that port, or a join of the lease
     * bound there.
     *
     * @return the new lease (the socket's binding), or the joined socket's own binding
     * @throws PortReservationException the errors of {@link ReservationPool#lease(int)} (a refused join keeps its
     *         IN_USE), the request's INVALID_ARGUMENT or CLOSED, or the bind error
     */
    PortBinding bind(ReservableSocket socket, InetSocketAddress requested) {
        int port = requested.getPort();
        PortLease lease;
        try {
            lease = leaseExplicit.apply(port);
        } catch (PortReservationException taken) {
            PortLease bound = taken.reason() == Reason.IN_USE ? dispatcher.boundLease(port) : null;
            if (bound == null) {
                throw taken;
            }
            return join(bound, socket, requested, taken);
        }
        return bindOrReturn(lease, socket, requested);
    }

    private static PortBinding join(PortLease bound, ReservableSocket socket, InetSocketAddress requested,
                                    PortReservationException taken) {
        try {
            return bound.join(socket, requested);
        } catch (PortReservationException refused) {
            boolean byTheLease = refused.reason() == Reason.IN_USE
                    || refused.reason() == Reason.CLOSED && !bound.takesJoiners();
            if (!byTheLease) {
                throw refused; // the socket's or the bind's own error
            }
            taken.addSuppressed(refused);
            throw taken;
        }
    }

    /** Binds {@code socket} from {@code lease}; a failed bind closes the lease. */
    static PortBinding bindOrReturn(PortLease lease, ReservableSocket socket, InetSocketAddress requested) {
        try {
            return lease.bind(socket, requested);
        } catch (RuntimeException e) {
            lease.close();
            throw e;
        }
    }
}
