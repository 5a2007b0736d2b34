package io.github.portreservation.pool;

import io.netty.util.concurrent.EventExecutor;
import io.netty.util.concurrent.FastThreadLocalThread;
import io.netty.util.internal.ThreadExecutorMap;

/** Tells whether the current thread must never block: a Netty event loop or another Netty executor thread. */
final class EventLoopThreads {
    private EventLoopThreads() {
    }

    /**
     * True on a thread of a Netty {@link EventExecutor} (event loops, {@code GlobalEventExecutor}...) and on a
     * {@link FastThreadLocalThread} that does not permit blocking calls (Netty's own thread factory makes those).
     */
    static boolean currentThreadMustNotBlock() {
        EventExecutor executor = ThreadExecutorMap.currentExecutor();
        if (executor != null && executor.inEventLoop()) {
            return true;
        }
        Thread thread = Thread.currentThread();
        return thread instanceof FastThreadLocalThread && !((FastThreadLocalThread) thread).permitBlockingCalls();
    }
}
