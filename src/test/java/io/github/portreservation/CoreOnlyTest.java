package io.github.portreservation;

import io.github.portreservation.pool.PortLease;
import io.github.portreservation.pool.ReservationPool;
import io.github.portreservation.testing.Await;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledOnOs;
import org.junit.jupiter.api.condition.OS;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.channels.ServerSocketChannel;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A Linux JVM with neither Netty nor JNA on its class path (surefire execution "core-only" removes every
 * {@code io.netty} and JNA jar), as an application that uses only the core API and pools with JDK channels has: Netty
 * is a provided and JNA an optional dependency, and the README's "the core API on Linux: nothing" holds. The pool
 * still finds the Netty thread policy through the service loader; without Netty it must see no Netty thread.
 */
@Tag("core-only")
@EnabledOnOs(OS.LINUX)
class CoreOnlyTest {
    private static final InetSocketAddress LOOPBACK_ANY_PORT = new InetSocketAddress(InetAddress.getLoopbackAddress(), 0);

    @Test
    void thisJvmHasNeitherNettyNorJna() {
        assertThrows(ClassNotFoundException.class, () -> Class.forName("io.netty.util.concurrent.FastThreadLocalThread"));
        assertThrows(ClassNotFoundException.class, () -> Class.forName("io.netty.channel.Channel"));
        assertThrows(ClassNotFoundException.class, () -> Class.forName("com.sun.jna.Native"));
    }

    @Test
    void linuxReservationBindsAJdkChannel() throws Exception {
        assertEquals("linux", PortReservations.provider().name());
        try (RuntimeReservation reservation = PortReservations.provider().acquire(Protocol.TCP, 2);
             ServerSocketChannel server = ServerSocketChannel.open()) {
            PortBinding binding = reservation.bind(ReservableSocket.of(server, 0), LOOPBACK_ANY_PORT);
            assertTrue(reservation.range().contains(binding.port()), binding.port() + " in " + reservation.range());
            assertEquals(binding.port(), ((InetSocketAddress) server.getLocalAddress()).getPort());
            server.close();
            binding.close();
        }
    }

    @Test
    void poolGrowsAndBindsJdkChannels() throws Exception {
        ReservationPool pool = ReservationPool.builder(PortReservations.provider(), Protocol.TCP).blockSize(2).build();
        try (ServerSocketChannel first = ServerSocketChannel.open();
             ServerSocketChannel second = ServerSocketChannel.open();
             ServerSocketChannel third = ServerSocketChannel.open()) {
            // The first bind finds the pool empty and grows it on this thread: the path that asks the thread policy.
            PortBinding a = pool.bind(ReservableSocket.of(first, 0), LOOPBACK_ANY_PORT);
            PortBinding b = pool.bind(ReservableSocket.of(second, 0), LOOPBACK_ANY_PORT);
            PortBinding c = pool.bind(ReservableSocket.of(third, 0), LOOPBACK_ANY_PORT);
            assertEquals(2, pool.blockRanges().size(), "two blocks of two ports: " + pool.blockRanges());
            assertEquals(pool.blockRanges().get(0).start(), a.port());
            assertEquals(pool.blockRanges().get(0).start() + 1, b.port());
            assertEquals(pool.blockRanges().get(1).start(), c.port());
            assertEquals(3, pool.statistics().leased());
            for (ServerSocketChannel channel : new ServerSocketChannel[] {first, second, third}) {
                channel.close();
            }
            a.close();
            b.close();
            c.close();
        } finally {
            pool.close();
        }
    }

    @Test
    void aPlainThreadWaitsForAReturnedPort() throws Exception {
        ReservationPool pool = ReservationPool.builder(PortReservations.provider(), Protocol.UDP).blockSize(1)
                .maxBlocks(1).cooldown(Duration.ZERO).waitWhenExhausted(Duration.ofSeconds(30)).build();
        try {
            PortLease held = pool.lease();
            CompletableFuture<PortLease> waiting = CompletableFuture.supplyAsync(pool::lease);
            Await.assertEventually(1, () -> pool.statistics().waiters(), "the second lease waits");
            assertFalse(waiting.isDone(), "the second lease waits: " + waiting);
            held.close();
            try (PortLease next = waiting.get(30, TimeUnit.SECONDS)) {
                assertEquals(held.port(), next.port());
            }
        } finally {
            pool.close();
        }
    }
}
