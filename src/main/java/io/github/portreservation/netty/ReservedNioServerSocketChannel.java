package io.github.portreservation.netty;

import io.github.portreservation.Protocol;
import io.github.portreservation.ReservableSocket;
import io.netty.channel.socket.ServerSocketChannelConfig;
import io.netty.channel.socket.nio.NioServerSocketChannel;

import java.net.InetSocketAddress;
import java.net.SocketAddress;

/**
 * A {@link NioServerSocketChannel} that binds from a reservation in {@link #doBind} and gives its port back in
 * {@link #doClose}, the one method every close path of Netty runs (close, {@code closeForcibly}, event loop shutdown).
 * Accepted children are plain {@code NioSocketChannel}s.
 */
public final class ReservedNioServerSocketChannel extends NioServerSocketChannel {
    private final ChannelBindState reservation;
    private final ServerSocketChannelConfig config;
    private final ChannelSocket socket;

    /**
     * A channel that binds from the token of its {@link ReservationChannelOption#RESERVATION_TOKEN} option or
     * {@link ReservationChannelOption#RESERVATION} attribute (default provider), or like a plain Netty channel
     * without either: for APIs that take a channel class ({@code bootstrap.channel(Reserved...class)}).
     */
    public ReservedNioServerSocketChannel() {
        this(ReservationSource.option());
    }

    ReservedNioServerSocketChannel(ReservationSource source) {
        reservation = new ChannelBindState(this, source);
        config = new ReservedServerSocketChannelConfig(super.config(), reservation);
        socket = new SuperBind(ReservableSocket.of(javaChannel(), 0));
    }

    @Override
    public ServerSocketChannelConfig config() {
        ServerSocketChannelConfig c = config;
        return c != null ? c : super.config(); // only null while the superclass constructor runs
    }

    @Override
    protected void doBind(SocketAddress localAddress) throws Exception {
        if (!reservation.bind(socket, localAddress)) {
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

    /** This channel, bound by the transport's own bind (a class rather than {@code super::doBind}: start-up). */
    private final class SuperBind extends ChannelSocket {
        SuperBind(ReservableSocket jdk) {
            super(ReservedNioServerSocketChannel.this, Protocol.TCP, jdk);
        }

        @Override
        void transportBind(InetSocketAddress localAddress) throws Exception {
            ReservedNioServerSocketChannel.super.doBind(localAddress);
        }
    }
}
