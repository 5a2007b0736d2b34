package io.github.portreservation.netty;

import io.github.portreservation.ReservationToken;
import io.netty.channel.ChannelOption;

/**
 * The {@link ChannelOption} of this library, in the style of Netty's {@code EpollChannelOption}.
 *
 * <p>{@link #RESERVATION_TOKEN} names the reservation a channel binds from. It is read by the channels of
 * {@link ReservedChannelFactories#nioServer()} and {@link ReservedChannelFactories#nioClient()} (and their
 * provider variants). Netty's final channel classes ({@code NioDatagramChannel} and every Epoll channel) never pass
 * an option they do not know to anyone: for them give the reservation to the factory instead, e.g.
 * {@link ReservedChannelFactories#nioDatagram(ReservationToken)}.
 */
public final class ReservationChannelOption {

    /**
     * The token of the reservation to bind the channel from: {@code bind(0)} takes any free port of the reservation,
     * {@code bind(port)} that port of the reservation. For a client channel the local (source) port of
     * {@code connect} comes from the reservation. Without this option the channel binds as a plain Netty channel.
     */
    public static final ChannelOption<ReservationToken> RESERVATION_TOKEN =
            ChannelOption.valueOf(ReservationChannelOption.class, "RESERVATION_TOKEN");

    private ReservationChannelOption() {
    }
}
