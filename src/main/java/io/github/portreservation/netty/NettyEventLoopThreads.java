package io.github.portreservation.netty;

import io.github.portreservation.pool.NonBlockingThreads;
import io.netty.util.concurrent.FastThreadLocalThread;

/**
 * The threads of Netty that must never block, for the pool ({@link NonBlockingThreads}, registered with the service
 * loader): every {@link FastThreadLocalThread} that does not permit blocking calls. Netty's
 * {@code DefaultThreadFactory} makes those for its event loop groups (NIO, Epoll, {@code DefaultEventLoopGroup}, the
 * {@code GlobalEventExecutor}), in Netty 4.1 and 4.2.
 *
 * <p>Only public Netty API is used. An event loop running on a plain {@link Thread} (a group built with a custom
 * {@code ThreadFactory} or {@code Executor} that makes other threads) is not recognised; give such a pool an explicit
 * policy with {@code ReservationPoolBuilder.nonBlockingThreads(...)}.
 */
public final class NettyEventLoopThreads implements NonBlockingThreads {
    /** Called by the service loader. */
    public NettyEventLoopThreads() {
    }

    /** Whether {@code thread} is a Netty thread that does not permit blocking calls. */
    @Override
    public boolean isNonBlocking(Thread thread) {
        return thread instanceof FastThreadLocalThread && !((FastThreadLocalThread) thread).permitBlockingCalls();
    }

    @Override
    public String toString() {
        return "NettyEventLoopThreads";
    }
}
