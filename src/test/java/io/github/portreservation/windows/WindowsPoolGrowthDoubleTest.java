package io.github.portreservation.windows;

import io.github.portreservation.PortReservationException;
import io.github.portreservation.PortReservationException.Reason;
import io.github.portreservation.Protocol;
import io.github.portreservation.pool.PortLease;
import io.github.portreservation.pool.ReservationPool;
import io.github.portreservation.testing.Await;
import io.netty.channel.EventLoopGroup;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A pool over the Windows provider on the native test double (not real Windows), whose acquire IOCTL blocks while the
 * double holds it, as Windows' SIO_ACQUIRE_PORT_RESERVATION may: a lease on a Netty event loop never runs the acquire
 * on the loop (the pool's scheduler does), and fails at once naming why; a thread that may block grows on itself.
 */
@Tag("netty")
class WindowsPoolGrowthDoubleTest {
    /** The pool scheduler's thread name as the kernel keeps it (15 characters). */
    private static final String SCHEDULER_NATIVE_NAME = "port-reservation-pool".substring(0, 15);

    private NativeDouble.Control control;
    private WindowsPortReservationProvider provider;
    private EventLoopGroup group;

    @BeforeEach
    @SuppressWarnings("deprecation") // NioEventLoopGroup: the one group class of both Netty 4.1 and 4.2
    void setUp() {
        NativeDouble.assumeAvailable();
        control = NativeDouble.control();
        control.double_reset();
        provider = WindowsPortReservationProvider.create(NativeDouble.natives());
        group = new io.netty.channel.nio.NioEventLoopGroup(1);
    }

    @AfterEach
    void tearDown() {
        if (control != null) {
            control.double_hold_acquires(0);
        }
        if (group != null) {
            group.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
        }
    }

    private String heldAcquirer() {
        byte[] name = new byte[16];
        int held = control.double_held_acquirers(name);
        int end = 0;
        while (end < name.length && name[end] != 0) {
            end++;
        }
        return held + " " + new String(name, 0, end, StandardCharsets.US_ASCII);
    }

    private PortLease leaseOnTheLoop(ReservationPool pool) throws Exception {
        try {
            return group.next().submit((Callable<PortLease>) pool::lease).get(5, TimeUnit.SECONDS);
        } catch (ExecutionException e) {
            throw (Exception) e.getCause();
        }
    }

    @Test
    void anEventLoopLeaseNeverRunsTheBlockingAcquireAndFailsAtOnceNamingWhy() throws Exception {
        assertTrue(provider.acquireMayBlock());
        try (ReservationPool pool = ReservationPool.builder(provider, Protocol.TCP).blockSize(4).maxBlocks(2).build()) {
            control.double_hold_acquires(1);
            PortReservationException e = assertThrows(PortReservationException.class, () -> leaseOnTheLoop(pool));
            assertEquals(Reason.EXHAUSTED, e.reason(), e.getMessage());
            String loop = group.next().submit(() -> Thread.currentThread().getName()).get(5, TimeUnit.SECONDS);
            assertTrue(e.getMessage().contains("thread " + loop + " must never block"), e.getMessage());
            assertTrue(e.getMessage().contains("the windows provider's acquire blocks its caller"), e.getMessage());
            Await.assertEventually(1, () -> control.double_held_acquirers(new byte[16]), "acquires held in the double");
            assertEquals("1 " + SCHEDULER_NATIVE_NAME, heldAcquirer(), "the acquire runs on the pool's scheduler");
            assertEquals(0, pool.statistics().blocks());

            // while that acquire is still blocked, the loop answers and a second lease starts no second acquire
            PortReservationException again = assertThrows(PortReservationException.class,
                    () -> leaseOnTheLoop(pool));
            assertEquals(Reason.EXHAUSTED, again.reason());
            assertEquals("1 " + SCHEDULER_NATIVE_NAME, heldAcquirer());

            control.double_hold_acquires(0);
            Await.assertEventually(1, () -> pool.statistics().blocks(), "blocks held by the pool");
            try (PortLease lease = leaseOnTheLoop(pool)) {
                assertTrue(pool.blockRanges().get(0).contains(lease.port()), lease.port() + " in "
                        + pool.blockRanges());
            }
            assertEquals(1, control.double_runtime_reservations());
        }
        assertEquals(0, control.double_runtime_reservations(), "the pool's block is released on close");
    }

    @Test
    void aThreadThatMayBlockGrowsOnItsOwnThread() throws Exception {
        try (ReservationPool pool = ReservationPool.builder(provider, Protocol.UDP).blockSize(4).maxBlocks(1).build()) {
            control.double_hold_acquires(1);
            CompletableFuture<PortLease> leased = new CompletableFuture<>();
            Thread caller = new Thread(() -> {
                try {
                    leased.complete(pool.lease());
                } catch (RuntimeException e) {
                    leased.completeExceptionally(e);
                }
            }, "may-block-call");
            caller.start();
            Await.assertEventually(1, () -> control.double_held_acquirers(new byte[16]), "acquires held in the double");
            assertEquals("1 may-block-call", heldAcquirer(), "the acquire runs on the caller's thread");
            assertThrows(TimeoutException.class, () -> leased.get(100, TimeUnit.MILLISECONDS));
            control.double_hold_acquires(0);
            try (PortLease lease = leased.get(5, TimeUnit.SECONDS)) {
                assertTrue(pool.blockRanges().get(0).contains(lease.port()));
            }
            caller.join(5000);
            assertFalse(caller.isAlive());
        }
    }

    @Test
    void anAsyncLeaseOnTheLoopWaitsForTheScheduledAcquire() throws Exception {
        try (ReservationPool pool = ReservationPool.builder(provider, Protocol.TCP).blockSize(4).maxBlocks(1).build()) {
            control.double_hold_acquires(1);
            CompletableFuture<PortLease> leased = group.next().submit((Callable<CompletableFuture<PortLease>>) pool::leaseAsync).get(5, TimeUnit.SECONDS);
            Await.assertEventually(1, () -> control.double_held_acquirers(new byte[16]), "acquires held in the double");
            assertEquals("1 " + SCHEDULER_NATIVE_NAME, heldAcquirer());
            assertFalse(leased.isDone());
            control.double_hold_acquires(0);
            try (PortLease lease = assertInstanceOf(PortLease.class, leased.get(5, TimeUnit.SECONDS))) {
                assertTrue(pool.blockRanges().get(0).contains(lease.port()));
            }
        }
    }
}
