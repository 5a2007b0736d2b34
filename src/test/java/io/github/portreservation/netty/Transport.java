package io.github.portreservation.netty;

import io.github.portreservation.PortBinder;
import io.netty.channel.ChannelFactory;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.socket.DatagramChannel;
import io.netty.channel.socket.ServerSocketChannel;
import io.netty.channel.socket.SocketChannel;

/**
 * The transports the Netty tests run on, with event loop groups that suit the running Netty version: on 4.2 a
 * {@code MultiThreadIoEventLoopGroup} (created by reflection, so that this code also runs on 4.1), on 4.1 the
 * classic {@code NioEventLoopGroup} / {@code EpollEventLoopGroup}. {@link #newLegacyGroup} gives the classic groups on
 * both versions.
 */
enum Transport {
    NIO("io.netty.channel.nio.NioIoHandler", "io.netty.channel.nio.NioEventLoopGroup"),
    EPOLL("io.netty.channel.epoll.EpollIoHandler", "io.netty.channel.epoll.EpollEventLoopGroup");

    private final String ioHandlerClass;
    private final String legacyGroupClass;

    Transport(String ioHandlerClass, String legacyGroupClass) {
        this.ioHandlerClass = ioHandlerClass;
        this.legacyGroupClass = legacyGroupClass;
    }

    /** Whether the running Netty is 4.2 or later (has IoHandler-based event loops). */
    static boolean isNetty42() {
        try {
            Class.forName("io.netty.channel.MultiThreadIoEventLoopGroup");
            return true;
        } catch (ClassNotFoundException e) {
            return false;
        }
    }

    boolean isAvailable() {
        return this == NIO || ReservedChannelFactories.isEpollAvailable();
    }

    /** The group Netty recommends for this version: IoHandler-based on 4.2, classic on 4.1. */
    EventLoopGroup newGroup(int threads) {
        if (!isNetty42()) {
            return newLegacyGroup(threads);
        }
        try {
            Object factory = Class.forName(ioHandlerClass).getMethod("newFactory").invoke(null);
            Class<?> factoryType = Class.forName("io.netty.channel.IoHandlerFactory");
            return (EventLoopGroup) Class.forName("io.netty.channel.MultiThreadIoEventLoopGroup")
                    .getConstructor(int.class, factoryType).newInstance(threads, factory);
        } catch (ReflectiveOperationException e) {
            throw new AssertionError("cannot create a 4.2 event loop group for " + this, e);
        }
    }

    /** The classic group ({@code NioEventLoopGroup}, {@code EpollEventLoopGroup}), deprecated on 4.2 but supported. */
    EventLoopGroup newLegacyGroup(int threads) {
        try {
            return (EventLoopGroup) Class.forName(legacyGroupClass).getConstructor(int.class).newInstance(threads);
        } catch (ReflectiveOperationException e) {
            throw new AssertionError("cannot create " + legacyGroupClass, e);
        }
    }

    ChannelFactory<ServerSocketChannel> server(PortBinder binder) {
        return this == NIO ? ReservedChannelFactories.nioServer(binder) : ReservedChannelFactories.epollServer(binder);
    }

    ChannelFactory<SocketChannel> client(PortBinder binder) {
        return this == NIO ? ReservedChannelFactories.nioClient(binder) : ReservedChannelFactories.epollClient(binder);
    }

    ChannelFactory<DatagramChannel> datagram(PortBinder binder) {
        return this == NIO ? ReservedChannelFactories.nioDatagram(binder)
                : ReservedChannelFactories.epollDatagram(binder);
    }
}
