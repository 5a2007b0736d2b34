package io.github.portreservation.netty;

import io.github.portreservation.Protocol;
import io.github.portreservation.ReservableSocket;
import io.netty.channel.socket.SocketChannelConfig;
import io.netty.channel.socket.nio.NioSocketChannel;

import java.net.InetSocketAddress;
import java.net.SocketAddress;

/**
 * A client {@link NioSocketChannel} whose local (source) port comes from a reservation: {@link #doConnect} binds an
 * unbound channel from the reservation first (Netty's own local bind in {@code doConnect} is private, so overriding
 * {@link #doBind} alone would miss it); {@link #doClose} gives the port back on every close path.
 */
public final class ReservedNioSocketChannel extends NioSocketChannel {
    private final ChannelBindState reservation;
    private final SocketChannelConfig config;
    private final ChannelSocket socket;

    /**
     * A channel that binds from the token of its {@link ReservationChannelOption#RESERVATION_TOKEN} option or
     * {@link ReservationChannelOption#RESERVATION} attribute (default provider), or like a plain Netty channel
     * without either: for APIs that take a channel class ({@code bootstrap.channel(Reserved...class)}).
     */
    public ReservedNioSocketChannel() {
        this(ReservationSource.option());
    }

    ReservedNioSocketChannel(ReservationSource source) {
        reservation = new ChannelBindState(this, source);
        config = new ReservedSocketChannelConfig(super.config(), reservation);
        socket = new SuperBind(ReservableSocket.of(javaChannel()));
    }

    @Override
    public SocketChannelConfig config() {
        SocketChannelConfig c = config;
        return c != null ? c : super.config(); // only null while the superclass constructor runs
    }

    @Override
    protected void doBind(SocketAddress localAddress) throws Exception {
        if (!reservation.bind(socket, localAddress)) {
            super.doBind(localAddress);
        }
    }

    @Override
    protected boolean doConnect(SocketAddress remoteAddress, SocketAddress localAddress) throws Exception {
        SocketAddress local = localAddress;
        if (reservation.applies() && reservation.binding() == null
                && reservation.bind(socket, local != null ? local : ChannelBindState.wildcardFor(remoteAddress))) {
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

    /** This channel, bound by the transport's own bind (a class rather than {@code super::doBind}: start-up). */
    private final class SuperBind extends ChannelSocket {
        SuperBind(ReservableSocket jdk) {
            super(ReservedNioSocketChannel.this, Protocol.TCP, jdk);
        }

        @Override
        void transportBind(InetSocketAddress localAddress) throws Exception {
            ReservedNioSocketChannel.super.doBind(localAddress);
        }
    }
}
