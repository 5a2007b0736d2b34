package io.github.portreservation.grpc;

import io.netty.channel.EventLoopGroup;
import io.netty.channel.nio.NioEventLoopGroup;

/** NIO event loop groups that run on Netty 4.1 and 4.2 alike (the classic group class, deprecated in 4.2). */
final class NioGroups {
    private NioGroups() {
    }

    @SuppressWarnings("deprecation")
    static EventLoopGroup create(int threads) {
        return new NioEventLoopGroup(threads);
    }
}
