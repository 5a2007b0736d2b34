package io.github.portreservation;

import java.net.InetSocketAddress;

/**
 * Binds sockets to reserved ports: a {@link RuntimeReservation}, a token resolved by a provider
 * ({@link #of(PortReservationProvider, ReservationToken)}), a pool or one of its leases. The Netty channel factories
 * take one.
 *
 * <p><b>The binder contract</b>, the same for every binder of this library (one checker, {@code
 * internal.BindRequest}, and one contract test suite run against each binder). Before touching a port or making a
 * system call, {@link #bind} refuses, in this order:
 * <ol>
 * <li>a null socket: INVALID_ARGUMENT;</li>
 * <li>a socket of the other protocol: INVALID_ARGUMENT;</li>
 * <li>a closed socket: CLOSED; an already bound one: INVALID_ARGUMENT;</li>
 * <li>an unresolved address, or an IPv6 address in an IPv4-only JVM: INVALID_ARGUMENT;</li>
 * <li>a port other than 0 outside the binder's ports: OUTSIDE_RESERVATION.</li>
 * </ol>
 * Then: a {@code null} address means the wildcard address with port 0; the wildcard address (or any other local
 * address) with port 0 takes a free port of the binder, the one returned longest ago; a port of the binder takes that
 * port, or fails IN_USE while another socket of this process uses it (also when every port is in use); port 0 fails
 * EXHAUSTED when every port is in use; CLOSED when the binder is closed. Any failure leaves the socket unbound and the
 * binder unchanged. A port is in use until its binding is closed <em>and</em> its socket is gone
 * ({@link ReservableSocket#socketExists()}).
 */
@FunctionalInterface
public interface PortBinder {

    /**
     * Binds {@code socket} to a reserved port, following the binder contract of the class comment.
     *
     * @param requested local address, or null for the wildcard address; port 0 = any free reserved port, another port
     *                  must be one of the reserved
     * @return the binding; close it when the socket is closed to give the port back
     * @throws PortReservationException with the reason of the failure; the socket is left unbound
     */
    PortBinding bind(ReservableSocket socket, InetSocketAddress requested);

    /** A binder that resolves {@code token} through {@code provider} at each bind. */
    static PortBinder of(PortReservationProvider provider, ReservationToken token) {
        PortReservationException.checkNotNull(provider, "provider");
        PortReservationException.checkNotNull(token, "token");
        return new PortBinder() { // a class, not a lambda: start-up (docs/benchmarks.md)
            @Override
            public PortBinding bind(ReservableSocket socket, InetSocketAddress requested) {
                return provider.bind(token, socket, requested);
            }
        };
    }
}
