package io.github.portreservation.netty;

import io.github.portreservation.PortBinder;
import io.github.portreservation.Protocol;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.EventLoopGroup;

import org.junit.jupiter.params.provider.Arguments;

import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.stream.Stream;

/** The kinds of reserved channel under test, each opened the way a user would with a bootstrap. */
enum Kind {
    TCP_SERVER(Protocol.TCP), TCP_CLIENT(Protocol.TCP), UDP(Protocol.UDP);

    private final Protocol protocol;

    Kind(Protocol protocol) {
        this.protocol = protocol;
    }

    Protocol protocol() {
        return protocol;
    }

    /** Every transport x kind, for {@code @MethodSource("io.github.portreservation.netty.Kind#everyTransport")}. */
    static Stream<Arguments> everyTransport() {
        List<Arguments> all = new ArrayList<>();
        for (Transport t : Transport.values()) {
            for (Kind k : values()) {
                all.add(Arguments.of(t, k));
            }
        }
        return all.stream();
    }

    /**
     * Starts opening a channel of this kind from {@code binder} given to the factory: a server or UDP channel binds
     * {@code local}; a client connects to {@code peer}, from {@code local} (or from any reserved port when its port
     * is 0).
     */
    ChannelFuture open(Transport transport, EventLoopGroup group, PortBinder binder, InetSocketAddress local,
                       NettyTestSupport.JdkEchoServer peer) {
        return open(transport, group, binder, local, peer, new CopyOnWriteArrayList<>(),
                new ConcurrentLinkedQueue<>(), 0);
    }

    /** As {@link #open(Transport, EventLoopGroup, PortBinder, InetSocketAddress, NettyTestSupport.JdkEchoServer)}. */
    ChannelFuture open(Transport transport, EventLoopGroup group, PortBinder binder, InetSocketAddress local,
                       NettyTestSupport.JdkEchoServer peer, List<Channel> children, Queue<String> received,
                       int soLinger) {
        switch (this) {
            case TCP_SERVER:
                return NettyTestSupport.bindServer(group, transport.server(binder), null, local, children);
            case TCP_CLIENT:
                return NettyTestSupport.connectClient(group, transport.client(binder), null, peer.address(),
                        local.getPort() == 0 ? null : local, received, soLinger);
            default:
                return NettyTestSupport.bindDatagram(group, transport.datagram(binder), local);
        }
    }
}
