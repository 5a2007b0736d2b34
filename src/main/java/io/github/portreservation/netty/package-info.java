/**
 * Netty integration: channel factories whose channels bind from a {@link io.github.portreservation.PortBinder}
 * (a reservation, a pool, a lease, a token), and the
 * {@link io.github.portreservation.netty.ReservationChannelOption#RESERVATION_TOKEN} option. NIO and Epoll, Netty 4.1
 * and 4.2 from one jar. See docs/netty.md.
 */
package io.github.portreservation.netty;
