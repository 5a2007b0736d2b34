package io.github.portreservation.netty;

import io.github.portreservation.pool.NonBlockingThreads;
import io.netty.channel.DefaultEventLoopGroup;
import io.netty.channel.EventLoopGroup;
import io.netty.util.concurrent.EventExecutor;
import io.netty.util.concurrent.FastThreadLocalThread;
import io.netty.util.concurrent.GlobalEventExecutor;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.ServiceLoader;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Which threads {@link NettyEventLoopThreads} calls non-blocking, with public Netty API only (FastThreadLocalThread and
 * its permitBlockingCalls()), on Netty 4.2 and 4.1 (tag "netty"), and that the service loader finds it.
 */
@Tag("netty")
class NettyEventLoopThreadsTest {
    private final NettyEventLoopThreads threads = new NettyEventLoopThreads();

    @Test
    void theServiceLoaderFindsItForThePool() {
        List<String> found = ServiceLoader.load(NonBlockingThreads.class, NonBlockingThreads.class.getClassLoader())
                .stream().map(p -> p.type().getName()).collect(Collectors.toList());
        assertEquals(List.of(NettyEventLoopThreads.class.getName()), found);
    }

    @Test
    void eventLoopThreadsOfNettysGroupsAreNonBlocking() throws Exception {
        EventLoopGroup nio = Transport.NIO.newGroup(1);
        EventLoopGroup local = new DefaultEventLoopGroup(1);
        try {
            assertTrue(onThreadOf(nio.next()), "NIO event loop");
            assertTrue(onThreadOf(local.next()), "DefaultEventLoopGroup");
            assertTrue(onThreadOf(GlobalEventExecutor.INSTANCE), "GlobalEventExecutor");
        } finally {
            nio.shutdownGracefully(0, 0, TimeUnit.SECONDS).sync();
            local.shutdownGracefully(0, 0, TimeUnit.SECONDS).sync();
        }
    }

    @Test
    void fastThreadLocalThreadsAreNonBlockingUnlessTheyPermitBlockingCalls() {
        assertTrue(threads.isNonBlocking(new FastThreadLocalThread(() -> { })));
        Thread permitting = new FastThreadLocalThread(() -> { }) {
            @Override
            public boolean permitBlockingCalls() {
                return true;
            }
        };
        assertFalse(threads.isNonBlocking(permitting));
        assertFalse(threads.isNonBlocking(new Thread(() -> { })));
        assertFalse(threads.isNonBlocking(Thread.currentThread()));
    }

    /**
     * What public API cannot see: an event loop on a plain thread from a custom thread factory (Netty's internal
     * ThreadExecutorMap knew it; this project does not use internal API). Such pools need an explicit policy.
     */
    @Test
    void anEventLoopOnAPlainThreadIsNotRecognised() throws Exception {
        ThreadFactory plain = task -> new Thread(task, "plain-loop");
        EventLoopGroup group = new DefaultEventLoopGroup(1, plain);
        try {
            assertFalse(onThreadOf(group.next()));
        } finally {
            group.shutdownGracefully(0, 0, TimeUnit.SECONDS).sync();
        }
    }

    private boolean onThreadOf(EventExecutor executor) throws Exception {
        return executor.submit(() -> {
            assertTrue(executor.inEventLoop());
            return threads.isNonBlocking(Thread.currentThread());
        }).get(5, TimeUnit.SECONDS);
    }
}
