package io.github.portreservation.netty;

import io.github.portreservation.internal.OptionalClasses;
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
 *
 * <p>Netty is a provided dependency: a pool used without Netty still finds this class through the service loader, and
 * then no thread is a Netty thread ({@link FastThreadLocalThread} is never linked).
 */
public final class NettyEventLoopThreads implements NonBlockingThreads {
    private static final String NETTY_THREAD = "io.netty.util.concurrent.FastThreadLocalThread";
    private static final boolean NETTY_PRESENT = OptionalClasses.present(NETTY_THREAD, NettyEventLoopThreads.class);

    /** Called by the service loader. */
    public NettyEventLoopThreads() {
    }

    /** Whether {@code thread} is a Netty thread that does not permit blocking calls; false for all without Netty. */
    @Override
    public boolean isNonBlocking(Thread thread) {
        return NETTY_PRESENT && thread instanceof FastThreadLocalThread
                && !((FastThreadLocalThread) thread).permitBlockingCalls();
    }

    @Override
    public String toString() {
        return NETTY_PRESENT ? "NettyEventLoopThreads" : "NettyEventLoopThreads (no " + NETTY_THREAD + ": none)";
    }
}
