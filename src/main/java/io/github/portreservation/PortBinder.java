package io.github.portreservation;

import java.net.InetSocketAddress;

/**
 * Binds sockets to reserved ports: a {@link RuntimeReservation}, a token resolved by a provider
 * ({@link #of(PortReservationProvider, ReservationToken)}), or a pool. The Netty channel factories take one.
 */
@FunctionalInterface
public interface PortBinder {

    /**
     * Binds {@code socket} to a reserved port.
     *
     * @param requested local address; port 0 = any free reserved port, another port must be one of the reserved
     * @return the binding; close it after the socket is closed to give the port back
     * @throws PortReservationException with the reason of the failure; the socket is left unbound
     */
    PortBinding bind(ReservableSocket socket, InetSocketAddress requested);

    /** A binder that resolves {@code token} through {@code provider} at each bind. */
    static PortBinder of(PortReservationProvider provider, ReservationToken token) {
        if (provider == null || token == null) {
            throw new NullPointerException(provider == null ? "provider" : "token");
        }
        return (socket, requested) -> provider.bind(token, socket, requested);
    }
}
