package io.github.portreservation.netty;

import io.github.portreservation.Protocol;
import io.github.portreservation.ReservableSocket;
import io.netty.channel.Channel;
import io.netty.channel.ChannelException;
import io.netty.channel.ChannelFactory;
import io.netty.channel.socket.DatagramChannel;
import io.netty.channel.socket.ServerSocketChannel;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioDatagramChannel;

import java.io.IOException;
import java.nio.channels.spi.SelectorProvider;

/**
 * The NIO channel factories, one class for the three kinds: a cold start loads no class per kind (nor a lambda's),
 * and {@link #toString()} says what the factory makes, which Netty prints in bootstrap descriptions.
 */
final class NioChannelFactories<T extends Channel> implements ChannelFactory<T> {
    private static final int SERVER = 0;
    private static final int CLIENT = 1;
    private static final int DATAGRAM = 2;

    private final int kind;
    private final ReservationSource source;

    private NioChannelFactories(int kind, ReservationSource source) {
        this.kind = kind;
        this.source = source;
    }

    static ChannelFactory<ServerSocketChannel> server(ReservationSource source) {
        return new NioChannelFactories<>(SERVER, source);
    }

    static ChannelFactory<SocketChannel> client(ReservationSource source) {
        return new NioChannelFactories<>(CLIENT, source);
    }

    /**
     * {@code NioDatagramChannel} is final: the factory opens the JDK channel itself (to reach SO_REUSEPORT and the
     * socket handle) and binds through {@link ReservedBindInterceptor}.
     */
    static ChannelFactory<DatagramChannel> datagram(ReservationSource source) {
        return new NioChannelFactories<>(DATAGRAM, source);
    }

    @Override
    @SuppressWarnings("unchecked") // the kind is the type parameter the static factory method gave
    public T newChannel() {
        switch (kind) {
            case SERVER:
                return (T) new ReservedNioServerSocketChannel(source);
            case CLIENT:
                return (T) new ReservedNioSocketChannel(source);
            default:
                return (T) newDatagram(source);
        }
    }

    @Override
    public String toString() {
        return "reserved " + (kind == SERVER ? "NioServerSocketChannel" : kind == CLIENT ? "NioSocketChannel"
                : "NioDatagramChannel") + " from " + source;
    }

    private static DatagramChannel newDatagram(ReservationSource source) {
        java.nio.channels.DatagramChannel jdk;
        try {
            jdk = SelectorProvider.provider().openDatagramChannel();
        } catch (IOException e) {
            throw new ChannelException("Failed to open a socket.", e);
        }
        NioDatagramChannel channel;
        try {
            channel = new NioDatagramChannel(jdk);
        } catch (RuntimeException | Error e) {
            closeQuietly(jdk, e);
            throw e;
        }
        return ReservedBindInterceptor.install(channel, source, Protocol.UDP, ReservableSocket.of(jdk));
    }

    private static void closeQuietly(java.nio.channels.DatagramChannel jdk, Throwable failure) {
        try {
            jdk.close();
        } catch (IOException e) {
            failure.addSuppressed(e);
        }
    }
}
