package io.github.portreservation.netty;

import io.github.portreservation.ReservableSocket;
import io.netty.channel.socket.ServerSocketChannelConfig;
import io.netty.channel.socket.nio.NioServerSocketChannel;

import java.net.SocketAddress;

/**
 * A {@link NioServerSocketChannel} that binds from a reservation in {@link #doBind} and gives its port back in
 * {@link #doClose}, the one method every close path of Netty runs (close, {@code closeForcibly}, event loop shutdown).
 * Accepted children are plain {@code NioSocketChannel}s.
 */
public final class ReservedNioServerSocketChannel extends NioServerSocketChannel {
    private final ChannelBindState reservation;
    /** The library's config, which reads the option; null when the factory fixes the reservation: Netty's own. */
    private final ServerSocketChannelConfig optionConfig;

    /**
     * A channel that binds from the token of its {@link ReservationChannelOption#RESERVATION_TOKEN} option or
     * {@link ReservationChannelOption#RESERVATION} attribute (default provider), or like a plain Netty channel
     * without either: for APIs that take a channel class ({@code bootstrap.channel(Reserved...class)}).
     */
    public ReservedNioServerSocketChannel() {
        this(ReservationSource.option());
    }

    ReservedNioServerSocketChannel(ReservationSource source) {
        reservation = new ChannelBindState(this, source, false);
        optionConfig = source.readsOption() ? new ReservedServerSocketChannelConfig(super.config(), reservation)
                : null;
    }

    @Override
    public ServerSocketChannelConfig config() {
        ServerSocketChannelConfig c = optionConfig;
        return c != null ? c : super.config(); // also null while the superclass constructor runs
    }

    /** What this channel is bound from. */
    ChannelBindState bindState() {
        return reservation;
    }

    /**
     * Binds from the reservation, or as Netty does. The JDK channel is bound directly, as Netty's own {@code doBind}
     * binds it (with the config's backlog): nothing of Netty's state depends on who called the JDK's bind.
     */
    @Override
    protected void doBind(SocketAddress localAddress) throws Exception {
        if (!reservation.bind(ReservableSocket.of(javaChannel(), config().getBacklog()), localAddress)) {
            super.doBind(localAddress);
        }
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
