package io.github.portreservation.grpc;

import io.netty.channel.EventLoopGroup;
import io.netty.channel.epoll.EpollEventLoopGroup;

/**
 * Epoll event loop groups (the classic class: Netty 4.1 and 4.2). The only class of this package that names an Epoll
 * type: it loads only after Epoll was found available.
 */
final class EpollGroups {
    private EpollGroups() {
    }

    @SuppressWarnings("deprecation")
    static EventLoopGroup create(int threads) {
        return new EpollEventLoopGroup(threads);
    }
}
