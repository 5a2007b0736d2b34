package io.github.portreservation.netty;

import io.github.portreservation.Protocol;
import io.github.portreservation.ReservableSocket;
import io.netty.channel.ChannelException;
import io.netty.channel.ChannelFactory;
import io.netty.channel.socket.DatagramChannel;
import io.netty.channel.socket.ServerSocketChannel;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioDatagramChannel;

import java.io.IOException;
import java.nio.channels.spi.SelectorProvider;

/** The NIO channel factories. */
final class NioChannelFactories {

    private NioChannelFactories() {
    }

    static ChannelFactory<ServerSocketChannel> server(ReservationSource source) {
        return new NamedChannelFactory<ServerSocketChannel>("reserved NioServerSocketChannel from " + source) {
            @Override
            public ServerSocketChannel newChannel() {
                return new ReservedNioServerSocketChannel(source);
            }
        };
    }

    static ChannelFactory<SocketChannel> client(ReservationSource source) {
        return new NamedChannelFactory<SocketChannel>("reserved NioSocketChannel from " + source) {
            @Override
            public SocketChannel newChannel() {
                return new ReservedNioSocketChannel(source);
            }
        };
    }

    /**
     * {@code NioDatagramChannel} is final: the factory opens the JDK channel itself (to reach SO_REUSEPORT and the
     * socket handle) and binds through {@link ReservedBindInterceptor}.
     */
    static ChannelFactory<DatagramChannel> datagram(ReservationSource source) {
        return new NamedChannelFactory<DatagramChannel>("reserved NioDatagramChannel from " + source) {
            @Override
            public DatagramChannel newChannel() {
                return newDatagram(source);
            }
        };
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
        return ReservedBindInterceptor.install(channel, source, Protocol.UDP, ChannelSocket.jdk(ReservableSocket.of(jdk)));
    }

    private static void closeQuietly(java.nio.channels.DatagramChannel jdk, Throwable failure) {
        try {
            jdk.close();
        } catch (IOException e) {
            failure.addSuppressed(e);
        }
    }
}
