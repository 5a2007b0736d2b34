package io.github.portreservation.testing;

import java.util.function.IntSupplier;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * Bounded waits for counts that settle a moment after an action: a closed NIO channel gives its port back only
 * once its event loop's next select has closed the kernel socket.
 */
public final class Await {
    /** How long a count may take to settle. */
    public static final long TIMEOUT_MILLIS = 5_000;

    private Await() {
    }

    /** Waits until {@code actual} equals {@code expected} (at most {@link #TIMEOUT_MILLIS}), then asserts it. */
    public static void assertEventually(int expected, IntSupplier actual, String what) throws InterruptedException {
        long deadline = System.nanoTime() + TIMEOUT_MILLIS * 1_000_000L;
        while (actual.getAsInt() != expected && System.nanoTime() < deadline) {
            Thread.sleep(2);
        }
        assertEquals(expected, actual.getAsInt(), what);
    }

    /** Waits until {@code actual} equals {@code expected} (at most {@link #TIMEOUT_MILLIS}), then asserts it. */
    public static <T> void assertEventually(T expected, java.util.function.Supplier<T> actual, String what)
            throws InterruptedException {
        long deadline = System.nanoTime() + TIMEOUT_MILLIS * 1_000_000L;
        while (!java.util.Objects.equals(actual.get(), expected) && System.nanoTime() < deadline) {
            Thread.sleep(2);
        }
        assertEquals(expected, actual.get(), what);
    }

    /**
     * Binds with {@code open}, retrying (up to {@link #TIMEOUT_MILLIS}) while the bind is refused EXHAUSTED: a port
     * whose force-closed NIO socket still awaits its event loop's next select is not handed out yet, and a bind
     * running on that same loop cannot wait for it.
     */
    public static io.netty.channel.ChannelFuture openWhenPortIsBack(
            java.util.function.Supplier<io.netty.channel.ChannelFuture> open) throws InterruptedException {
        return openWhenPortIsBack(open, io.github.portreservation.PortReservationException.Reason.EXHAUSTED);
    }

    /**
     * As {@link #openWhenPortIsBack(java.util.function.Supplier)}, retrying while the bind is refused with
     * {@code notBackYet}: IN_USE for a bind to one port whose previous socket is not gone yet.
     */
    public static io.netty.channel.ChannelFuture openWhenPortIsBack(
            java.util.function.Supplier<io.netty.channel.ChannelFuture> open,
            io.github.portreservation.PortReservationException.Reason notBackYet) throws InterruptedException {
        long deadline = System.nanoTime() + TIMEOUT_MILLIS * 1_000_000L;
        for (;;) {
            io.netty.channel.ChannelFuture f = open.get();
            f.await(TIMEOUT_MILLIS);
            boolean refused = f.cause() instanceof io.github.portreservation.PortReservationException
                    && ((io.github.portreservation.PortReservationException) f.cause()).reason() == notBackYet;
            if (!refused || System.nanoTime() > deadline) {
                return f;
            }
            Thread.sleep(5);
        }
    }
}
