package io.github.portreservation.linux;

import io.github.portreservation.PortReservationException;
import io.github.portreservation.PortReservationException.Reason;

import java.io.IOException;
import java.nio.channels.ClosedChannelException;

/**
 * Turns the JDK's socket exceptions into {@link PortReservationException}s. The JDK reports errno only as text
 * ("Address already in use"), so the text is matched and the errno name and number are restored.
 */
final class SocketErrors {
    private SocketErrors() {
    }

    /**
     * The exception for {@code e}, raised while doing {@code action} (e.g. "bind TCP port 40001 on 127.0.0.1").
     * {@code inUseFix} is the advice given when the port is taken.
     */
    static PortReservationException map(String action, IOException e, String inUseFix) {
        String msg = String.valueOf(e.getMessage());
        if (e instanceof ClosedChannelException) {
            return new PortReservationException(Reason.CLOSED, "cannot " + action
                    + ": the socket is already closed; open a new socket", e);
        }
        if (msg.contains("Address already in use")) {
            return new PortReservationException(Reason.IN_USE, "cannot " + action
                    + ": another socket is bound to it; " + inUseFix, 98, "EADDRINUSE", e);
        }
        if (msg.contains("Permission denied")) {
            return new PortReservationException(Reason.ACCESS_DENIED, "cannot " + action
                    + ": ports below net.ipv4.ip_unprivileged_port_start (1024 by default) need root or "
                    + "CAP_NET_BIND_SERVICE; run with that capability or use ports from 1024 up", 13, "EACCES", e);
        }
        if (msg.contains("Cannot assign requested address")) {
            return new PortReservationException(Reason.INVALID_ARGUMENT, "cannot " + action
                    + ": the local address is not an address of this host; bind the wildcard address or a local "
                    + "interface address", 99, "EADDRNOTAVAIL", e);
        }
        if (msg.contains("Too many open files")) {
            return new PortReservationException(Reason.RESOURCE_LIMIT, "cannot " + action
                    + ": the process is out of file descriptors; raise 'ulimit -n' (LimitNOFILE= under systemd) or "
                    + "reserve fewer ports", 24, "EMFILE", e);
        }
        if (msg.contains("Address family not supported") || msg.contains("Protocol family unavailable")) {
            return new PortReservationException(Reason.UNSUPPORTED, "cannot " + action
                    + ": the address family is not available on this host (IPv6 disabled?); use an IPv4 address",
                    97, "EAFNOSUPPORT", e);
        }
        return new PortReservationException(Reason.SYSTEM_ERROR, "cannot " + action + ": " + msg, e);
    }
}
