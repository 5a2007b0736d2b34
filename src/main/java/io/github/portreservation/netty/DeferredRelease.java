package io.github.portreservation.netty;

import io.github.portreservation.PortBinding;
import io.github.portreservation.ReservableSocket;
import io.netty.channel.Channel;
import io.netty.channel.EventLoop;
import io.netty.util.concurrent.Future;
import io.netty.util.concurrent.FutureListener;
import io.netty.util.concurrent.GlobalEventExecutor;
import io.github.portreservation.internal.Log;

import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;

/**
 * Closes a {@link PortBinding} once the kernel socket of a closed channel is gone. A closed NIO channel keeps its
 * socket until its event loop's next select deregisters it (or the loop, shutting down, closes its selector).
 *
 * <p>The check runs on the channel's own event loop, as a task scheduled without delay: the loop runs it after its
 * next select, which is the one that closes the socket, so the port normally comes back within one loop iteration
 * and no other thread is involved. While the socket still exists, the check is scheduled again with a doubling delay
 * (from {@value #FIRST_RETRY_MICROS} µs up to 100 ms). A loop drops its scheduled tasks when it shuts down: a check
 * it cancels, or one it refuses, moves to {@link GlobalEventExecutor}, which first wakes the loop with an empty task
 * (a loop blocked in select would not get there by itself). While the socket exists the port stays counted as used: a
 * late release costs a port for a moment, an early one would hand out a port that a socket still holds.
 */
final class DeferredRelease implements Runnable, FutureListener<Object> {
    private static final Log logger = Log.of(DeferredRelease.class);
    private static final long FIRST_RETRY_MICROS = 200;
    private static final long MAX_DELAY_MICROS = 100_000;
    private static final Runnable NOOP = () -> { };
    /** Releases whose socket still existed at the last check. */
    private static final Set<DeferredRelease> PENDING = ConcurrentHashMap.newKeySet();
    private static final long WARN_AFTER_NANOS = TimeUnit.SECONDS.toNanos(10);

    private final Channel channel;
    private final ReservableSocket socket;
    private final PortBinding binding;
    private final long startNanos = System.nanoTime();
    /** The channel's loop while checks run there; null once they run on {@link GlobalEventExecutor}. */
    private volatile EventLoop loop;
    private long delayMicros;
    private boolean warned;

    private DeferredRelease(Channel channel, ReservableSocket socket, PortBinding binding, EventLoop loop) {
        this.channel = channel;
        this.socket = socket;
        this.binding = binding;
        this.loop = loop;
    }

    /** Closes {@code binding} once {@code socket} of the closed {@code channel} no longer exists. */
    static void whenClosed(Channel channel, ReservableSocket socket, PortBinding binding) {
        DeferredRelease release = new DeferredRelease(channel, socket, binding, registeredLoop(channel));
        PENDING.add(release);
        release.schedule();
    }

    private static EventLoop registeredLoop(Channel channel) {
        if (!channel.isRegistered()) {
            return null;
        }
        try {
            return channel.eventLoop();
        } catch (IllegalStateException e) {
            return null; // deregistered meanwhile
        }
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
        if (socket.socketExists() || !PENDING.remove(this)) {
            return false;
        }
        binding.close();
        return true;
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
        delayMicros = delayMicros == 0 ? FIRST_RETRY_MICROS : Math.min(delayMicros * 2, MAX_DELAY_MICROS);
        schedule();
    }

    private void schedule() {
        EventLoop onLoop = loop;
        if (onLoop != null && !onLoop.isShuttingDown()) {
            try {
                onLoop.schedule(this, delayMicros, TimeUnit.MICROSECONDS).addListener(this);
                return;
            } catch (RejectedExecutionException e) {
                // stopped meanwhile: check from the global executor
            }
        }
        scheduleGlobally();
    }

    /** The loop cancelled the scheduled check (it is shutting down): go on from the global executor. */
    @Override
    public void operationComplete(Future<Object> future) {
        if (future.isCancelled()) {
            scheduleGlobally();
        }
    }

    private void scheduleGlobally() {
        EventLoop onLoop = loop;
        loop = null;
        if (onLoop != null || channel.isRegistered()) {
            wakeEventLoop();
        }
        if (delayMicros == 0) {
            delayMicros = FIRST_RETRY_MICROS;
        }
        GlobalEventExecutor.INSTANCE.schedule(this, delayMicros, TimeUnit.MICROSECONDS);
    }

    /** Makes the channel's loop select once more (a task wakes its selector), which closes deregistered sockets. */
    private void wakeEventLoop() {
        try {
            EventLoop channelLoop = channel.eventLoop();
            if (!channelLoop.isShuttingDown()) {
                channelLoop.execute(NOOP);
            }
        } catch (IllegalStateException | RejectedExecutionException e) {
            // never registered, or stopped meanwhile: a stopped loop closes its selector, which closes the socket
        }
    }

    @Override
    public String toString() {
        return "DeferredRelease[port " + binding.port() + " of " + channel + "]";
    }
}
