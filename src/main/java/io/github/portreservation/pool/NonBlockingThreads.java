package io.github.portreservation.pool;

/**
 * Says which threads must never block, such as event loop threads. When no port is free and the pool cannot grow,
 * {@link ReservationPool#lease()} and {@link ReservationPool#bind} wait (with {@code waitWhenExhausted(timeout)}) only
 * on a thread that no policy calls non-blocking; on such a thread they fail at once with EXHAUSTED instead.
 *
 * <p>This is a service interface: the pool finds every implementation registered under
 * {@code META-INF/services/io.github.portreservation.pool.NonBlockingThreads} once, with {@link java.util.ServiceLoader}
 * and the class loader of this interface, and calls a thread non-blocking when any of them does (none found: no thread
 * is). This library registers one for Netty's event loop threads. {@link ReservationPoolBuilder#nonBlockingThreads}
 * replaces the discovered ones for one pool.
 *
 * <p>Implementations must be thread-safe, fast (the pool asks on each request that finds no free port) and must not
 * call the pool.
 */
@FunctionalInterface
public interface NonBlockingThreads {
    /** Whether {@code thread} must never block. */
    boolean isNonBlocking(Thread thread);
}
