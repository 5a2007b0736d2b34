package io.github.portreservation.netty;

import io.github.portreservation.PortReservationException;
import io.github.portreservation.ReservationToken;
import io.netty.channel.ChannelOption;
import io.netty.util.AttributeKey;

/**
 * The option and the attribute of this library, in the style of Netty's {@code EpollChannelOption}. Both name the
 * reservation a channel of {@link ReservedChannelFactories} binds from ({@code bind(0)}: any free port of it;
 * {@code bind(port)}: that port; a client's {@code connect}: its local port):
 * <ul>
 *   <li>{@link #RESERVATION_TOKEN}, the option: read by the reserved NIO TCP channels made without a reservation
 *       ({@code nioServer()}, {@code nioClient()}, {@link ReservedNioServerSocketChannel},
 *       {@link ReservedNioSocketChannel}), whose config is the library's;</li>
 *   <li>{@link #RESERVATION}, the attribute ({@code bootstrap.attr(RESERVATION, token)}): read by every reserved
 *       channel, NIO and Epoll, TCP and UDP. Netty's datagram and Epoll channel classes are final and their configs
 *       know no option of ours; an attribute reaches every channel.</li>
 * </ul>
 * The option on any other channel fails loudly: its validation throws a {@link PortReservationException} saying so
 * (Netty 4.1.138 / 4.2.18 and later then fail the bind and close the channel; earlier versions log it), instead of an
 * ordinary, unreserved port behind Netty's "Unknown channel option" warning. Whether a channel really bound from a
 * reservation can be checked at start-up with {@link ReservedChannels#requireReserved}.
 */
public final class ReservationChannelOption<T> extends ChannelOption<T> {

    /** The token of the reservation to bind from, as a channel option; see the class comment for who reads it. */
    public static final ChannelOption<ReservationToken> RESERVATION_TOKEN =
            new ReservationChannelOption<>("RESERVATION_TOKEN");

    /** The token of the reservation to bind from, as a channel attribute, read by every reserved channel. */
    public static final AttributeKey<ReservationToken> RESERVATION = ChannelBindState.RESERVATION;

    /**
     * The option's constant, as Netty's {@code EpollChannelOption} holds its own (one class for the holder and the
     * constant: a start that sets the option loads one class, not two).
     */
    @SuppressWarnings("deprecation")
    private ReservationChannelOption(String name) {
        super(name);
    }

    /**
     * Always throws: the library's configs take {@link #RESERVATION_TOKEN} without calling this; any other config
     * validates it first, which is how the option set on the wrong channel is seen.
     */
    @Override
    public void validate(T value) {
        throw new PortReservationException(PortReservationException.Reason.INVALID_ARGUMENT,
                "option RESERVATION_TOKEN=" + value + " was set on a channel that does not read it: it is read "
                        + "by the reserved NIO TCP channels of ReservedChannelFactories that have no reservation "
                        + "of their own (nioServer(), nioClient(), ReservedNioServerSocketChannel, "
                        + "ReservedNioSocketChannel); a factory given a reservation, binder or token already binds "
                        + "from it (remove the option); on their UDP and Epoll channels set the attribute instead "
                        + "(bootstrap.attr(ReservationChannelOption.RESERVATION, token)), and a channel of Netty's "
                        + "own classes binds no reserved port at all: give the bootstrap a channel factory of "
                        + "ReservedChannelFactories");
    }
}
