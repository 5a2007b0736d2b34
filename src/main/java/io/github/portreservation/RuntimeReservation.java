package io.github.portreservation;

import java.net.InetSocketAddress;

/**
 * A block of ports reserved for this process until {@link #close()}: no other process can bind them, and this
 * process binds its sockets from it with {@link #bind}. Thread-safe.
 *
 * <p>On Windows this is an {@code SIO_ACQUIRE_PORT_RESERVATION} held by a socket the reservation owns; on Linux each
 * port is held by a placeholder socket. Either way the reservation dies with the process.
 */
public interface RuntimeReservation extends PortBinder, AutoCloseable {

    /** The protocol the ports are reserved for. */
    Protocol protocol();

    /** The reserved block. */
    PortRange range();

    /** The token that names this reservation (for {@link PortReservationProvider#bind} and Netty options). */
    ReservationToken token();

    /** Whether the reservation still holds its ports. */
    boolean isOpen();

    /** Number of ports currently bound by this process's sockets through {@link #bind}. */
    int boundPorts();

    /** Number of ports of the block that {@link #bind} can still hand out. */
    int availablePorts();

    /**
     * Binds {@code socket} to a port of this reservation.
     *
     * @param requested local address; port 0 takes any free port of the block, another port must be inside the
     *                  block and not used by this process's sockets
     * @return the binding; close it after the socket is closed to give the port back
     * @throws PortReservationException OUTSIDE_RESERVATION, IN_USE, EXHAUSTED, CLOSED, INVALID_ARGUMENT (wrong
     *         protocol or address), or the operating system's bind error; the socket is left unbound
     */
    @Override
    PortBinding bind(ReservableSocket socket, InetSocketAddress requested);

    /** Releases every port of the block. Idempotent; sockets already bound keep their ports until they close. */
    @Override
    void close();
}
