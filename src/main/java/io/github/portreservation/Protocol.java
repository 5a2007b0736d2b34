package io.github.portreservation;

/** Transport protocol a reservation is made for: ports of TCP and UDP are separate spaces. */
public enum Protocol {
    /** Stream sockets (servers, and clients whose source port is reserved). */
    TCP,
    /** Datagram sockets. */
    UDP
}
