package io.github.portreservation.pool;

import io.github.portreservation.PortReservationException;
import io.github.portreservation.PortReservationException.Reason;
import io.github.portreservation.Protocol;
import io.netty.channel.DefaultEventLoopGroup;
import io.netty.channel.EventLoopGroup;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The pool on Netty's threads, with the policy it discovers ({@code NettyEventLoopThreads}, registered with the
 * service loader): the blocking calls never wait there. Runs against Netty 4.2 and 4.1 (tag "netty").
 */
@Tag("netty")
class NettyThreadsPoolTest {
    private final FakeProvider provider = new FakeProvider(30000);

    private ReservationPoolBuilder builder() {
        return ReservationPool.builder(provider, Protocol.TCP).blockSize(4).maxBlocks(2).keepIdleBlocks()
                .cooldown(Duration.ZERO);
    }

    @Test
    void aBlockingLeaseNeverWaitsOnAnEventLoopThread() throws Exception {
        ReservationPool pool = builder().maxBlocks(1).waitWhenExhausted(Duration.ofSeconds(30)).build();
        for (int i = 0; i < 4; i++) {
            pool.lease();
        }
        EventLoopGroup group = new DefaultEventLoopGroup(1);
        try {
            AtomicReference<Throwable> failure = new AtomicReference<>();
            CompletableFuture<PortLease> async = new CompletableFuture<>();
            long start = System.nanoTime();
            group.submit(() -> {
                try {
                    pool.lease();
                } catch (Throwable t) {
                    failure.set(t);
                }
                pool.leaseAsync().whenComplete((l, t) -> {
                    if (t != null) {
                        async.completeExceptionally(t);
                    } else {
                        async.complete(l);
                    }
                });
            }).get(5, TimeUnit.SECONDS);
            assertTrue(System.nanoTime() - start < TimeUnit.SECONDS.toNanos(5));
            PortReservationException e = (PortReservationException) failure.get();
            assertEquals(Reason.EXHAUSTED, e.reason());
            assertTrue(e.getMessage().contains("event loop"), e.getMessage());
            assertFalse(async.isDone());
            assertEquals(1, pool.statistics().waiters());
        } finally {
            group.shutdownGracefully(0, 0, TimeUnit.SECONDS).sync();
            pool.closeForcibly();
        }
    }

    @Test
    void nettyThreadsThatMustNotBlockAreRefusedAWaitToo() throws Exception {
        ReservationPool pool = builder().maxBlocks(1).waitWhenExhausted(Duration.ofSeconds(30)).build();
        for (int i = 0; i < 4; i++) {
            pool.lease();
        }
        AtomicReference<Throwable> failure = new AtomicReference<>();
        Thread t = new io.netty.util.concurrent.FastThreadLocalThread(() -> {
            try {
                pool.lease();
            } catch (Throwable e) {
                failure.set(e);
            }
        });
        t.start();
        t.join(5_000);
        assertFalse(t.isAlive());
        PortReservationException e = (PortReservationException) failure.get();
        assertEquals(Reason.EXHAUSTED, e.reason());
        assertTrue(e.getMessage().contains("must never block"), e.getMessage());
        pool.closeForcibly();
    }
}
