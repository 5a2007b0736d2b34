package io.github.portreservation;

import java.net.InetSocketAddress;

/**
 * One socket bound from a reservation: the port it got, until {@link #close()} gives the port back to the
 * reservation. Close it after the socket itself is closed; closing is idempotent and thread-safe.
 */
public interface PortBinding extends AutoCloseable {

    /** The token of the reservation the port came from. */
    ReservationToken token();

    /** The port the socket is bound to. */
    int port();

    /** The local address the socket is bound to. */
    InetSocketAddress localAddress();

    /** Whether this binding is open: not closed yet. */
    boolean isActive();

    /**
     * Whether the port is still used through this binding: its socket exists ({@link ReservableSocket#socketExists()}),
     * whether or not the binding was closed. A port is free again once its binding is closed and this is false; a
     * binding whose socket is gone though it was never closed no longer holds its port either.
     */
    default boolean holdsPort() {
        return isActive();
    }

    /** Gives the port back to its reservation. Idempotent, thread-safe, never throws. */
    @Override
    void close();
}
