package io.github.portreservation.bench;

import io.github.portreservation.PortBinder;
import io.github.portreservation.netty.ReservedChannelFactories;
import io.netty.channel.ChannelFactory;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.ReflectiveChannelFactory;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.epoll.EpollChannelOption;
import io.netty.channel.epoll.EpollDatagramChannel;
import io.netty.channel.epoll.EpollEventLoopGroup;
import io.netty.channel.epoll.EpollServerSocketChannel;
import io.netty.channel.epoll.EpollSocketChannel;
import io.netty.channel.nio.NioEventLoopGroup;
import io.netty.channel.socket.DatagramChannel;
import io.netty.channel.socket.ServerSocketChannel;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioChannelOption;
import io.netty.channel.socket.nio.NioDatagramChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.channel.socket.nio.NioSocketChannel;

/**
 * The transports the channel benchmarks run on (a JMH {@code @Param} names one): plain and reserved channels of each.
 */
@SuppressWarnings("deprecation") // NioEventLoopGroup / EpollEventLoopGroup: the groups present in Netty 4.1 and 4.2
enum BenchTransport {
    NIO, EPOLL;

    /** The transport a benchmark parameter names; fails the trial where Epoll cannot load. */
    static BenchTransport of(String name) {
        BenchTransport t = valueOf(name);
        if (t == EPOLL && !Epoll.isAvailable()) {
            throw new IllegalStateException("Epoll is unavailable: " + Epoll.unavailabilityCause());
        }
        return t;
    }

    EventLoopGroup group(int threads) {
        return this == NIO ? new NioEventLoopGroup(threads) : new EpollEventLoopGroup(threads);
    }

    ChannelFactory<ServerSocketChannel> plainServer() {
        return this == NIO ? new ReflectiveChannelFactory<>(NioServerSocketChannel.class)
                : new ReflectiveChannelFactory<>(EpollServerSocketChannel.class);
    }

    ChannelFactory<SocketChannel> plainClient() {
        return this == NIO ? new ReflectiveChannelFactory<>(NioSocketChannel.class)
                : new ReflectiveChannelFactory<>(EpollSocketChannel.class);
    }

    ChannelFactory<DatagramChannel> plainDatagram() {
        return this == NIO ? new ReflectiveChannelFactory<>(NioDatagramChannel.class)
                : new ReflectiveChannelFactory<>(EpollDatagramChannel.class);
    }

    ChannelFactory<ServerSocketChannel> reservedServer(PortBinder binder) {
        return this == NIO ? ReservedChannelFactories.nioServer(binder) : ReservedChannelFactories.epollServer(binder);
    }

    ChannelFactory<DatagramChannel> reservedDatagram(PortBinder binder) {
        return this == NIO ? ReservedChannelFactories.nioDatagram(binder)
                : ReservedChannelFactories.epollDatagram(binder);
    }

    /** SO_REUSEPORT as this transport's channel option. */
    ChannelOption<Boolean> reusePort() {
        return this == NIO ? NioChannelOption.of(java.net.StandardSocketOptions.SO_REUSEPORT)
                : EpollChannelOption.SO_REUSEPORT;
    }
}
