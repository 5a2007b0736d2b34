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

    /** Whether the port is still counted as used by this binding. */
    boolean isActive();

    /** Gives the port back to its reservation. Idempotent, thread-safe, never throws. */
    @Override
    void close();
}
