package io.github.portreservation.testing;

import io.github.portreservation.PortReservationException;
import io.netty.channel.ChannelFuture;

import java.time.Duration;
import java.util.Objects;
import java.util.function.BooleanSupplier;
import java.util.function.IntSupplier;
import java.util.function.Supplier;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * The one bounded wait of the tests, for state that settles a moment after an action: a closed NIO channel gives its
 * port back only once its event loop's next select has closed the kernel socket, a waiter registers on another
 * thread, a connection reaches TIME_WAIT. Every wait polls every {@value #POLL_MILLIS} ms for at most
 * {@link #TIMEOUT}, then asserts; none sleeps for a fixed time.
 */
public final class Await {
    /** How long state may take to settle. */
    public static final Duration TIMEOUT = Duration.ofSeconds(10);
    private static final long POLL_MILLIS = 2;

    private Await() {
    }

    /** Waits until {@code condition} holds (at most {@link #TIMEOUT}); fails naming {@code what} otherwise. */
    public static void until(String what, BooleanSupplier condition) throws InterruptedException {
        until(() -> what, condition);
    }

    /** As {@link #until(String, BooleanSupplier)}; {@code what} is asked only on failure (it may show state). */
    public static void until(Supplier<String> what, BooleanSupplier condition) throws InterruptedException {
        long deadline = System.nanoTime() + TIMEOUT.toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() - deadline > 0) {
                fail("not within " + TIMEOUT.toMillis() + " ms: " + what.get());
            }
            Thread.sleep(POLL_MILLIS);
        }
    }

    /** Waits until {@code actual} equals {@code expected} (at most {@link #TIMEOUT}), then asserts it. */
    public static void assertEventually(int expected, IntSupplier actual, String what) throws InterruptedException {
        assertEquals(expected, (int) settled(expected, actual::getAsInt), what);
    }

    /** Waits until {@code actual} equals {@code expected} (at most {@link #TIMEOUT}), then asserts it. */
    public static <T> void assertEventually(T expected, Supplier<T> actual, String what) throws InterruptedException {
        assertEquals(expected, settled(expected, actual), what);
    }

    /** The value of {@code actual} once it equals {@code expected}, or its last value at the timeout. */
    private static <T> T settled(T expected, Supplier<T> actual) throws InterruptedException {
        long deadline = System.nanoTime() + TIMEOUT.toNanos();
        T last = actual.get();
        while (!Objects.equals(last, expected) && System.nanoTime() - deadline < 0) {
            Thread.sleep(POLL_MILLIS);
            last = actual.get();
        }
        return last;
    }

    /**
     * Binds with {@code open}, retrying (up to {@link #TIMEOUT}) while the bind is refused EXHAUSTED: a port whose
     * force-closed NIO socket still awaits its event loop's next select is not handed out yet, and a bind running on
     * that same loop cannot wait for it.
     */
    public static ChannelFuture openWhenPortIsBack(Supplier<ChannelFuture> open) throws InterruptedException {
        return openWhenPortIsBack(open, PortReservationException.Reason.EXHAUSTED);
    }

    /**
     * As {@link #openWhenPortIsBack(Supplier)}, retrying while the bind is refused with {@code notBackYet}: IN_USE for
     * a bind to one port whose previous socket is not gone yet.
     */
    public static ChannelFuture openWhenPortIsBack(Supplier<ChannelFuture> open,
                                                   PortReservationException.Reason notBackYet)
            throws InterruptedException {
        long deadline = System.nanoTime() + TIMEOUT.toNanos();
        for (;;) {
            ChannelFuture f = open.get();
            f.await(TIMEOUT.toMillis());
            boolean refused = f.cause() instanceof PortReservationException
                    && ((PortReservationException) f.cause()).reason() == notBackYet;
            if (!refused || System.nanoTime() - deadline > 0) {
                return f;
            }
            Thread.sleep(POLL_MILLIS);
        }
    }
}
