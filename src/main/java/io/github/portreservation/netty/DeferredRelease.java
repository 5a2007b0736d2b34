package io.github.portreservation.netty;

import io.github.portreservation.PortBinding;
import io.github.portreservation.ReservableSocket;
import io.netty.channel.Channel;
import io.netty.channel.EventLoop;
import io.netty.util.concurrent.GlobalEventExecutor;
import io.netty.util.internal.logging.InternalLogger;
import io.netty.util.internal.logging.InternalLoggerFactory;

import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;

/**
 * Closes a {@link PortBinding} once the kernel socket of a closed channel is gone. A closed NIO channel keeps its
 * socket until its event loop's next select deregisters it (or the loop, shutting down, closes its selector); an idle
 * loop blocked in select would not get there by itself (after {@code closeForcibly()} from another thread, say), so
 * each check first wakes the loop with an empty task. The check runs on {@link GlobalEventExecutor}, not on the
 * channel's loop, whose scheduled tasks are dropped when it shuts down: first after {@value #FIRST_DELAY_MICROS} µs,
 * then with a doubling delay up to 100 ms. While the socket exists the port stays counted as used: a late release
 * costs a port for a moment, an early one would hand out a port that a socket still holds.
 */
final class DeferredRelease implements Runnable {
    private static final InternalLogger logger = InternalLoggerFactory.getInstance(DeferredRelease.class);
    private static final long FIRST_DELAY_MICROS = 200;
    private static final long MAX_DELAY_MICROS = 100_000;
    private static final Runnable NOOP = () -> { };
    /** Releases whose socket still existed at the last check. */
    private static final Set<DeferredRelease> PENDING = ConcurrentHashMap.newKeySet();
    private static final long WARN_AFTER_NANOS = TimeUnit.SECONDS.toNanos(10);

    private final Channel channel;
    private final ReservableSocket socket;
    private final PortBinding binding;
    private final long startNanos = System.nanoTime();
    private long delayMicros = FIRST_DELAY_MICROS;
    private boolean warned;

    private DeferredRelease(Channel channel, ReservableSocket socket, PortBinding binding) {
        this.channel = channel;
        this.socket = socket;
        this.binding = binding;
    }

    /** Closes {@code binding} once {@code socket} of the closed {@code channel} no longer exists. */
    static void whenClosed(Channel channel, ReservableSocket socket, PortBinding binding) {
        DeferredRelease release = new DeferredRelease(channel, socket, binding);
        PENDING.add(release);
        release.wakeEventLoop();
        release.schedule();
    }

    /**
     * Completes now every pending release whose socket is already gone; returns how many. Called when a bind finds
     * no free port, so that a port freed by the last select is not refused while its check is still scheduled.
     */
    static int completeReady() {
        int done = 0;
        for (DeferredRelease r : PENDING) {
            if (r.tryComplete()) {
                done++;
            }
        }
        return done;
    }

    private boolean tryComplete() {
        if (socket.isOpen() || !PENDING.remove(this)) {
            return false;
        }
        binding.close();
        return true;
    }

    /** Makes the channel's loop select once more (a task wakes its selector), which closes deregistered sockets. */
    private void wakeEventLoop() {
        if (!channel.isRegistered()) {
            return;
        }
        try {
            EventLoop loop = channel.eventLoop();
            if (!loop.isShuttingDown()) {
                loop.execute(NOOP);
            }
        } catch (IllegalStateException | RejectedExecutionException e) {
            // deregistered or stopped meanwhile: a stopped loop closes its selector, which closes the socket
        }
    }

    @Override
    public void run() {
        if (tryComplete() || !PENDING.contains(this)) {
            return;
        }
        if (!warned && System.nanoTime() - startNanos > WARN_AFTER_NANOS) {
            warned = true;
            logger.warn("The socket of closed channel {} still exists after 10 s (its event loop does not select?); "
                    + "port {} stays in use until it is gone", channel, binding.port());
        }
        delayMicros = Math.min(delayMicros * 2, MAX_DELAY_MICROS);
        wakeEventLoop();
        schedule();
    }

    private void schedule() {
        GlobalEventExecutor.INSTANCE.schedule(this, delayMicros, TimeUnit.MICROSECONDS);
    }

    @Override
    public String toString() {
        return "DeferredRelease[port " + binding.port() + " of " + channel + "]";
    }
}
