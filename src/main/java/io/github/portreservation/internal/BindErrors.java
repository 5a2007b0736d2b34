package io.github.portreservation.internal;

import io.github.portreservation.PortReservationException;
import io.github.portreservation.PortReservationException.Reason;
import io.github.portreservation.ReservableSocket;

import java.io.IOException;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.channels.AlreadyBoundException;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.UnresolvedAddressException;
import java.nio.channels.UnsupportedAddressTypeException;

/**
 * What the binders of every provider (and the pool's leases) check before a bind, and the
 * {@link PortReservationException} for the runtime exceptions a JDK channel (or another socket adapter) throws from
 * its bind: {@link AlreadyBoundException}, {@link UnsupportedAddressTypeException}, {@link UnresolvedAddressException}
 * and {@link IllegalArgumentException} carry no message, so the exception names the socket, the address, the rule and
 * the fix.
 */
public final class BindErrors {
    /** The JDK reads this property once, at its first socket: then every socket of the JVM is IPv4-only. */
    private static final boolean IPV4_ONLY_JVM = Boolean.parseBoolean(System.getProperty("java.net.preferIPv4Stack"));

    private BindErrors() {
    }

    /**
     * Refuses a null, closed or already bound socket.
     *
     * @throws PortReservationException INVALID_ARGUMENT (null, already bound: naming the address), CLOSED
     */
    public static void checkUnbound(ReservableSocket socket) {
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
            throw alreadyBound(socket, bound, null);
        }
    }

    /**
     * Refuses an IPv6 {@code address} when the JVM runs with {@code -Djava.net.preferIPv4Stack=true} (every socket is
     * IPv4-only then); null is allowed (the wildcard of the socket's own family).
     *
     * @throws PortReservationException INVALID_ARGUMENT naming the address and the fix
     */
    public static void checkFamily(InetAddress address, ReservableSocket socket) {
        if (IPV4_ONLY_JVM && address instanceof Inet6Address) {
            throw PortReservationException.invalidArgument("local address " + address.getHostAddress(),
                    "it is an IPv6 address and this JVM runs with -Djava.net.preferIPv4Stack=true, so socket " + socket
                            + " (as every socket of this JVM) is IPv4-only",
                    "bind an IPv4 address such as 127.0.0.1 or 0.0.0.0, or start the JVM without "
                            + "-Djava.net.preferIPv4Stack=true");
        }
    }

    /**
     * The exception for {@code e}, thrown by {@code socket} while binding it to {@code local} (null: the wildcard);
     * {@code context} says from where (e.g. "from the runtime TCP reservation 0x1a2b"). A
     * {@link PortReservationException} is returned as it is.
     */
    public static PortReservationException map(RuntimeException e, ReservableSocket socket, InetSocketAddress local,
                                               String context) {
        if (e instanceof PortReservationException) {
            return (PortReservationException) e;
        }
        String address = local == null ? "the wildcard address" : "local address " + format(local);
        if (e instanceof AlreadyBoundException) {
            InetSocketAddress bound = null;
            try {
                bound = socket.localAddress();
            } catch (IOException | RuntimeException ignored) {
                // named without its address
            }
            return alreadyBound(socket, bound, e);
        }
        if (e instanceof UnsupportedAddressTypeException) {
            return wrongFamily(e, socket, local, address);
        }
        if (e instanceof UnresolvedAddressException) {
            return new PortReservationException(Reason.INVALID_ARGUMENT, address + " is invalid for socket " + socket
                    + ": it is unresolved; pass a resolved address such as new InetSocketAddress(\"127.0.0.1\", 0)", e);
        }
        if (e instanceof IllegalArgumentException) {
            return new PortReservationException(Reason.INVALID_ARGUMENT, address + " is refused by socket " + socket
                    + " " + context + " (" + e.getMessage() + "): a socket binds an InetSocketAddress of this host "
                    + "with a port in 0..65535; pass such an address", e);
        }
        if (e instanceof UnsupportedOperationException) {
            return new PortReservationException(Reason.UNSUPPORTED, "socket " + socket + " does not support an "
                    + "operation of the bind " + context + " (" + e.getMessage() + "): on Linux a reserved port is "
                    + "shared with SO_REUSEPORT; use a JDK NIO channel or a Netty NIO or Epoll channel", e);
        }
        return new PortReservationException(Reason.SYSTEM_ERROR, "binding socket " + socket + " to " + address + " "
                + context + " failed with " + e + ", which this library does not know; check the socket "
                + "implementation, and report it if the socket is a JDK or Netty one", e);
    }

    private static PortReservationException wrongFamily(RuntimeException e, ReservableSocket socket,
                                                        InetSocketAddress local, String address) {
        if (local != null && local.getAddress() instanceof Inet6Address) {
            return new PortReservationException(Reason.INVALID_ARGUMENT, address + " is invalid for socket "
                    + socket + ": it is an IPv6 address and the socket is IPv4-only (opened with "
                    + "StandardProtocolFamily.INET, or the JVM runs with -Djava.net.preferIPv4Stack=true); bind an "
                    + "IPv4 address such as 127.0.0.1 or 0.0.0.0, or open the socket without "
                    + "StandardProtocolFamily.INET in a JVM without preferIPv4Stack", e);
        }
        return new PortReservationException(Reason.INVALID_ARGUMENT, address + " is invalid for socket "
                + socket + ": its address family is not the socket's; bind an address of the socket's family "
                + "(IPv4 for a StandardProtocolFamily.INET socket)", e);
    }

    private static PortReservationException alreadyBound(ReservableSocket socket, InetSocketAddress bound,
                                                         Throwable cause) {
        return new PortReservationException(Reason.INVALID_ARGUMENT, "socket " + socket + " is already bound"
                + (bound == null ? "" : " to " + format(bound)) + ": a socket binds once, and a reserved port can only "
                + "be given at that bind; bind a new, unbound socket", cause);
    }

    private static String format(InetSocketAddress a) {
        InetAddress address = a.getAddress();
        if (address == null) {
            return a.getHostString() + ":" + a.getPort();
        }
        String host = address.getHostAddress();
        return (address instanceof Inet6Address ? "[" + host + "]" : host) + ":" + a.getPort();
    }
}
