package io.github.portreservation.internal;

import io.github.portreservation.PortRange;
import io.github.portreservation.PortReservationException;
import io.github.portreservation.PortReservationException.Reason;
import io.github.portreservation.Protocol;
import io.github.portreservation.ReservableSocket;

import java.io.IOException;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.channels.ClosedChannelException;

/**
 * A bind request checked against the binder contract of {@link io.github.portreservation.PortBinder}: the one place
 * where every binder (Linux and Windows reservations, persistent tokens, pool leases) checks a request before it
 * touches a port or makes a system call, in this order and with these reasons:
 * <ol>
 * <li>socket null: INVALID_ARGUMENT;</li>
 * <li>socket of the other protocol: INVALID_ARGUMENT;</li>
 * <li>socket closed: CLOSED; already bound: INVALID_ARGUMENT;</li>
 * <li>requested address unresolved, or IPv6 in an IPv4-only JVM: INVALID_ARGUMENT (null means the wildcard address,
 *     port 0);</li>
 * <li>a port other than 0 outside the binder's ports: OUTSIDE_RESERVATION.</li>
 * </ol>
 * Immutable.
 */
public final class BindRequest {
    /** The JDK reads this property once, at its first socket: then every socket of the JVM is IPv4-only. */
    private static final boolean IPV4_ONLY_JVM = Boolean.parseBoolean(System.getProperty("java.net.preferIPv4Stack"));

    private final ReservableSocket socket;
    private final InetAddress address;
    private final int port;

    private BindRequest(ReservableSocket socket, InetAddress address, int port) {
        this.socket = socket;
        this.address = address;
        this.port = port;
    }

    /** INVALID_ARGUMENT for a {@code socket} of another protocol than the {@code binder}'s, worded once for all. */
    public static PortReservationException wrongProtocol(Object binder, Protocol protocol, ReservableSocket socket) {
        return PortReservationException.invalidArgument(socket.protocol() + " socket " + socket,
                binder + " binds " + protocol + " sockets only", "bind " + protocol + " sockets from it, and use a "
                        + socket.protocol() + " reservation or pool for the other");
    }

    /**
     * Checks a request to bind {@code socket} to {@code requested} from {@code binder} (named in messages by its
     * {@code toString()}, e.g. "the runtime TCP reservation 0x1a2b": a binder whose name costs string building per bind
     * passes an object that builds it only for a message), whose ports are {@code ports} ({@code null}: any port, as a
     * pool's).
     *
     * @throws PortReservationException the reasons of the class comment; nothing is changed
     */
    public static BindRequest check(Object binder, Protocol protocol, PortRange ports, ReservableSocket socket,
                                    InetSocketAddress requested) {
        if (socket == null) {
            throw PortReservationException.invalidArgument("socket null", "must not be null",
                    "pass an open " + protocol + " socket that is not bound yet");
        }
        if (socket.protocol() != protocol) {
            throw wrongProtocol(binder, protocol, socket);
        }
        if (!socket.socketExists()) {
            throw new PortReservationException(Reason.CLOSED, "socket " + socket + " is closed; bind an open socket "
                    + "from " + binder);
        }
        checkUnbound(socket);
        if (requested == null) {
            return new BindRequest(socket, null, 0);
        }
        if (requested.isUnresolved()) {
            throw PortReservationException.invalidArgument("local address " + requested, "it is unresolved",
                    "pass a resolved address such as new InetSocketAddress(\"127.0.0.1\", 0)");
        }
        InetAddress address = requested.getAddress().isAnyLocalAddress() ? null : requested.getAddress();
        checkFamily(address, socket);
        int port = requested.getPort();
        if (port != 0 && ports != null && !ports.contains(port)) {
            throw new PortReservationException(Reason.OUTSIDE_RESERVATION, "port " + port + " is outside " + binder
                    + " (ports " + ports + "); request port 0 for any free port of it, or a port in " + ports);
        }
        return new BindRequest(socket, address, port);
    }

    /** The socket to bind. */
    public ReservableSocket socket() {
        return socket;
    }

    /** The local address to bind, or null for the wildcard address of the socket's family. */
    public InetAddress address() {
        return address;
    }

    /** The port asked for, 0 for any free port. */
    public int port() {
        return port;
    }

    /** The socket address to bind with {@code chosenPort}. */
    public InetSocketAddress local(int chosenPort) {
        return new InetSocketAddress(address, chosenPort);
    }

    @Override
    public String toString() {
        return "BindRequest[" + socket + " -> " + (address == null ? "*" : address.getHostAddress()) + ":" + port + "]";
    }

    /**
     * Refuses a null, closed or already bound socket.
     *
     * @throws PortReservationException INVALID_ARGUMENT (null, already bound: naming the address), CLOSED
     */
    static void checkUnbound(ReservableSocket socket) {
        if (socket == null) {
            throw PortReservationException.invalidArgument("socket null", "must not be null",
                    "pass an open socket that is not bound yet");
        }
        InetSocketAddress bound;
        try {
            bound = socket.localAddress();
        } catch (ClosedChannelException e) {
            throw new PortReservationException(Reason.CLOSED, "socket " + socket + " is closed; open a new socket",
                    e);
        } catch (IOException e) {
            throw new PortReservationException(Reason.SYSTEM_ERROR, "cannot read the local address of socket "
                    + socket + " (" + e.getMessage() + "), so whether it is already bound is unknown; bind a new "
                    + "socket", e);
        }
        if (bound != null) {
            throw BindErrors.alreadyBound(socket, bound, null);
        }
    }

    /**
     * Refuses an IPv6 {@code address} when the JVM runs with {@code -Djava.net.preferIPv4Stack=true} (every socket is
     * IPv4-only then); null is allowed (the wildcard of the socket's own family).
     *
     * @throws PortReservationException INVALID_ARGUMENT naming the address and the fix
     */
    static void checkFamily(InetAddress address, ReservableSocket socket) {
        if (IPV4_ONLY_JVM && address instanceof Inet6Address) {
            throw PortReservationException.invalidArgument("local address " + address.getHostAddress(),
                    "it is an IPv6 address and this JVM runs with -Djava.net.preferIPv4Stack=true, so socket " + socket
                            + " (as every socket of this JVM) is IPv4-only",
                    "bind an IPv4 address such as 127.0.0.1 or 0.0.0.0, or start the JVM without "
                            + "-Djava.net.preferIPv4Stack=true");
        }
    }
}
