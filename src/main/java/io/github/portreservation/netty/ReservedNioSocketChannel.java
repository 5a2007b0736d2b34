package io.github.portreservation.netty;

import io.github.portreservation.ReservableSocket;
import io.netty.channel.socket.SocketChannelConfig;
import io.netty.channel.socket.nio.NioSocketChannel;

import java.net.SocketAddress;

/**
 * A client {@link NioSocketChannel} whose local (source) port comes from a reservation: {@link #doConnect} binds an
 * unbound channel from the reservation first (Netty's own local bind in {@code doConnect} is private, so overriding
 * {@link #doBind} alone would miss it); {@link #doClose} gives the port back on every close path.
 */
public final class ReservedNioSocketChannel extends NioSocketChannel {
    private final ChannelBindState reservation;
    /** The library's config, which reads the option; null when the factory fixes the reservation: Netty's own. */
    private final SocketChannelConfig optionConfig;

    /**
     * A channel that binds from the token of its {@link ReservationChannelOption#RESERVATION_TOKEN} option or
     * {@link ReservationChannelOption#RESERVATION} attribute (default provider), or like a plain Netty channel
     * without either: for APIs that take a channel class ({@code bootstrap.channel(Reserved...class)}).
     */
    public ReservedNioSocketChannel() {
        this(ReservationSource.option());
    }

    ReservedNioSocketChannel(ReservationSource source) {
        reservation = new ChannelBindState(this, source, false);
        optionConfig = source.readsOption() ? new ReservedSocketChannelConfig(super.config(), reservation) : null;
    }

    @Override
    public SocketChannelConfig config() {
        SocketChannelConfig c = optionConfig;
        return c != null ? c : super.config(); // also null while the superclass constructor runs
    }

    /** What this channel is bound from. */
    ChannelBindState bindState() {
        return reservation;
    }

    /** Binds from the reservation (the JDK channel directly, as Netty's own {@code doBind} does), or as Netty does. */
    @Override
    protected void doBind(SocketAddress localAddress) throws Exception {
        if (!reservation.bind(ReservableSocket.of(javaChannel()), localAddress)) {
            super.doBind(localAddress);
        }
    }

    @Override
    protected boolean doConnect(SocketAddress remoteAddress, SocketAddress localAddress) throws Exception {
        SocketAddress local = localAddress;
        if (reservation.applies() && reservation.binding() == null
                && reservation.bind(ReservableSocket.of(javaChannel()),
                        local != null ? local : ChannelBindState.wildcardFor(remoteAddress))) {
            local = null; // bound from the reservation: connect only
        }
        return super.doConnect(remoteAddress, local);
    }

    @Override
    protected void doClose() throws Exception {
        try {
            super.doClose();
        } finally {
            reservation.release();
        }
    }
}
