package io.github.portreservation.linux;

import io.github.portreservation.PortReservationException;
import io.github.portreservation.PortReservationException.Reason;
import io.github.portreservation.Protocol;

import java.io.IOException;
import java.nio.channels.ClosedChannelException;

/**
 * Turns the JDK's socket exceptions into {@link PortReservationException}s. The JDK reports errno only as text
 * ("Address already in use"), so the text is matched and the errno name and number are restored. Each message says
 * what failed (the action, with its port), why (what the error means here) and what to do.
 */
final class SocketErrors {
    private SocketErrors() {
    }

    /** How long Linux keeps a closed TCP connection in TIME_WAIT (TCP_TIMEWAIT_LEN, not configurable). */
    static final int TIME_WAIT_SECONDS = 60;

    /** An errno the JDK reports as {@code text}: its reason, number, name, and what it means here with the fix. */
    private record KnownError(String text, Reason reason, int errno, String name, String explanation) {
    }

    /** In matching order: "Too many open files in system" before "Too many open files". */
    private static final KnownError[] KNOWN = {
        new KnownError("Permission denied", Reason.ACCESS_DENIED, 13, "EACCES",
                "ports below net.ipv4.ip_unprivileged_port_start (1024 by default) need root or "
                + "CAP_NET_BIND_SERVICE; run with that capability or use ports from 1024 up"),
        new KnownError("Operation not permitted", Reason.ACCESS_DENIED, 1, "EPERM",
                "a security policy refused the socket call (seccomp, SELinux or AppArmor, or a cgroup BPF "
                + "program of a container runtime); allow socket, bind and setsockopt for this process"),
        new KnownError("Cannot assign requested address", Reason.INVALID_ARGUMENT, 99, "EADDRNOTAVAIL",
                "the local address is not an address of this host; bind the wildcard address or a local "
                + "interface address"),
        new KnownError("Too many open files in system", Reason.RESOURCE_LIMIT, 23, "ENFILE",
                "the system-wide limit of open files (fs.file-max) is reached; close files or sockets, raise "
                + "fs.file-max, or reserve fewer ports"),
        new KnownError("Too many open files", Reason.RESOURCE_LIMIT, 24, "EMFILE",
                "the process is out of file descriptors; raise 'ulimit -n' (LimitNOFILE= under systemd) or "
                + "reserve fewer ports"),
        new KnownError("No buffer space available", Reason.RESOURCE_LIMIT, 105, "ENOBUFS",
                "the kernel has no socket buffer memory left (net.core.*mem, net.ipv4.tcp_mem / udp_mem); "
                + "close sockets, reserve fewer ports, or raise those limits"),
        new KnownError("Cannot allocate memory", Reason.RESOURCE_LIMIT, 12, "ENOMEM",
                "the kernel is out of memory for sockets (or the cgroup's memory limit is reached); close "
                + "sockets, reserve fewer ports, or raise the memory limit"),
        new KnownError("Network is unreachable", Reason.SYSTEM_ERROR, 101, "ENETUNREACH",
                "the network is unreachable: no interface with a route to the address is up (in a new network "
                + "namespace even the loopback interface 'lo' starts down, and UDP reservations need it: their "
                + "placeholders connect to 127.0.0.1); bring it up with 'ip link set lo up', and check "
                + "'ip addr' and 'ip route'"),
        new KnownError("Network is down", Reason.SYSTEM_ERROR, 100, "ENETDOWN",
                "the network interface of the address is down (in a new network namespace even the loopback "
                + "interface 'lo' starts down); bring it up, e.g. 'ip link set lo up', and check 'ip link'"),
        new KnownError("No route to host", Reason.SYSTEM_ERROR, 113, "EHOSTUNREACH",
                "there is no route to the host (an interface is down, or a firewall rejects the traffic); "
                + "check 'ip route' and the firewall rules"),
        new KnownError("Invalid argument", Reason.INVALID_ARGUMENT, 22, "EINVAL",
                "the kernel refused the call's arguments: the socket is already bound, or the address does not "
                + "fit the socket; bind a new, unbound socket to an address of its family"),
        new KnownError("Protocol not available", Reason.UNSUPPORTED, 92, "ENOPROTOOPT",
                "the kernel does not offer a socket option the reservation needs (SO_REUSEPORT needs Linux 3.9 "
                + "or later); run on a newer kernel"),
        new KnownError("Address family not supported", Reason.UNSUPPORTED, 97, "EAFNOSUPPORT",
                "the address family is not available: IPv6 is disabled on this host, or the socket is "
                + "IPv4-only; use an IPv4 address such as 127.0.0.1 or 0.0.0.0, or enable IPv6"),
        new KnownError("Protocol family unavailable", Reason.UNSUPPORTED, 97, "EAFNOSUPPORT",
                "the address family is not available: IPv6 is disabled on this host, or the socket is "
                + "IPv4-only; use an IPv4 address such as 127.0.0.1 or 0.0.0.0, or enable IPv6")
    };

    /**
     * The exception for {@code e}, raised while doing {@code action} (e.g. "bind TCP port 40001 on 127.0.0.1").
     * {@code inUseFix} is the advice given when the port is taken (may be empty).
     */
    static PortReservationException map(String action, IOException e, String inUseFix) {
        String msg = String.valueOf(e.getMessage());
        String cannot = "cannot " + action + ": ";
        if (e instanceof ClosedChannelException) {
            return new PortReservationException(Reason.CLOSED, cannot + "the socket is already closed; open a new "
                    + "socket", e);
        }
        if (msg.contains("Address already in use")) {
            return new PortReservationException(Reason.IN_USE, cannot + "another socket is bound to it"
                    + (inUseFix.isEmpty() ? "" : "; " + inUseFix), 98, "EADDRINUSE", e);
        }
        for (KnownError known : KNOWN) {
            if (msg.contains(known.text())) {
                return new PortReservationException(known.reason(), cannot + known.explanation(), known.errno(),
                        known.name(), e);
            }
        }
        return new PortReservationException(Reason.SYSTEM_ERROR, cannot + msg + " (" + e.getClass().getName()
                + ", an error this library does not know); check the socket and the system log, and report the "
                + "message if it persists", e);
    }

    /**
     * As {@link #map}, for a placeholder that could not hold {@code port} while acquiring a block: when the port is in
     * use for TCP, {@code /proc/net/tcp{,6}} is read (on this failure path only) to say whether connections in
     * TIME_WAIT hold it, which no socket of any process would show as bound.
     */
    static PortReservationException mapHold(Protocol protocol, int port, String action, IOException e,
                                            String inUseFix) {
        if (protocol == Protocol.TCP && String.valueOf(e.getMessage()).contains("Address already in use")) {
            int timeWait = BoundPorts.timeWaitSockets(port);
            if (timeWait > 0) {
                return timeWait(action, port, timeWait, e);
            }
        }
        return map(action, e, inUseFix);
    }

    /** IN_USE because {@code count} TCP connections on {@code port} are in TIME_WAIT. */
    static PortReservationException timeWait(String action, int port, int count, IOException e) {
        return new PortReservationException(Reason.IN_USE, "cannot " + action + ": " + count + " closed TCP "
                + (count == 1 ? "connection" : "connections") + " on port " + port + " " + (count == 1 ? "is" : "are")
                + " in TIME_WAIT (the kernel keeps a connection that this host closed first for " + TIME_WAIT_SECONDS
                + " s, e.g. of a reservation of this block that was closed a moment ago), and a placeholder cannot "
                + "share the port with it; retry after " + TIME_WAIT_SECONDS + " s, or acquire another block "
                + "(acquire(protocol, count) lets the provider choose one)", 98, "EADDRINUSE", e);
    }
}
