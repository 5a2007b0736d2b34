package io.github.portreservation.pool;

import io.github.portreservation.PortBinding;
import io.github.portreservation.ReservableSocket;
import io.github.portreservation.ReservationToken;

import java.net.InetSocketAddress;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * One socket bound through a lease beside the lease's own binding: a socket of a {@link ShapeLease}, or a socket that
 * joined a {@link PortLease} on its port ({@link JoinedSockets}). It is that socket's {@link PortBinding}: the
 * reservation's binding, whose close may end the wait of its lease ({@code unit}) when the lease was closed first. It
 * holds its port while its socket exists and while its binding is being closed, so that the lease never gives its
 * ports back before every binding is closed.
 */
final class LeaseSocket implements PortBinding {
    private final PortLease unit;
    private final PortBinding binding;
    private final ReservableSocket socket;
    /** Names the lease in {@link #toString()}: "the lease of ports 30002-30003". */
    private final String lease;
    private final AtomicBoolean closed = new AtomicBoolean();
    private volatile boolean done;

    LeaseSocket(PortLease unit, PortBinding binding, ReservableSocket socket, String lease) {
        this.unit = unit;
        this.binding = binding;
        this.socket = socket;
        this.lease = lease;
    }

    /** The socket. */
    ReservableSocket socket() {
        return socket;
    }

    /** Whether a new socket may take this one's place: closed, and its socket gone. */
    boolean isFree() {
        return closed.get() && !binding.holdsPort();
    }

    /** Whether this socket is done with its port: its binding closed (the close finished) and its socket gone. */
    boolean isGone() {
        return done && !binding.holdsPort();
    }

    /** Whether the socket still exists (closed binding or not). */
    boolean socketHoldsPort() {
        return binding.holdsPort();
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
        return binding.holdsPort() || closed.get() && !done;
    }

    @Override
    public void close() {
        if (closeNow() && unit.lingeredLongEnough()) {
            unit.returns().lingerEnded(unit); // the lease was closed and waited for this socket
        }
    }

    /**
     * Closes the binding; when another thread is closing it, waits until it is closed (a few instructions: the
     * reservation's bookkeeping). Returns whether this call closed it.
     */
    boolean closeNow() {
        if (closed.compareAndSet(false, true)) {
            try {
                binding.close();
            } finally {
                done = true;
            }
            return true;
        }
        while (!done) {
            Thread.onSpinWait();
        }
        return false;
    }

    @Override
    public String toString() {
        return "PortBinding[" + binding.port() + " of " + lease + (closed.get() ? ", closed]" : "]");
    }
}
