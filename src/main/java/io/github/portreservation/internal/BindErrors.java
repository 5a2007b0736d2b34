package io.github.portreservation.internal;

import io.github.portreservation.PortReservationException;
import io.github.portreservation.PortReservationException.Reason;
import io.github.portreservation.ReservableSocket;

import java.io.IOException;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.channels.AlreadyBoundException;
import java.nio.channels.UnresolvedAddressException;
import java.nio.channels.UnsupportedAddressTypeException;

/**
 * The {@link PortReservationException}s of failed binds (the checks before a bind are {@link BindRequest}'s, so that a
 * bind that succeeds does not load this class): those for the runtime exceptions a JDK channel (or another socket adapter) throws from
 * its bind: {@link AlreadyBoundException}, {@link UnsupportedAddressTypeException}, {@link UnresolvedAddressException}
 * and {@link IllegalArgumentException} carry no message, so the exception names the socket, the address, the rule and
 * the fix.
 */
public final class BindErrors {
    private BindErrors() {
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

    static PortReservationException alreadyBound(ReservableSocket socket, InetSocketAddress bound,
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
