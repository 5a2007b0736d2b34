package io.github.portreservation.bench;

import io.github.portreservation.PortBinding;
import io.github.portreservation.PortReservationException;
import io.github.portreservation.PortReservations;
import io.github.portreservation.Protocol;
import io.github.portreservation.ReservableSocket;
import io.github.portreservation.pool.ReservationPool;

import java.io.IOException;
import java.net.BindException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.channels.ServerSocketChannel;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BrokenBarrierException;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicLong;

/**
 * B5, a correctness benchmark: 64 threads each get a port and bind a TCP server socket on loopback to it, all at once
 * (released by a barrier), for N rounds (default 1,000); then every socket closes and the next round starts. Counts
 * the binds that failed:
 * <ul>
 *   <li><b>pool</b>: {@code ReservationPool.bind} on the Linux provider, default settings (blocks of 64, no
 *       cooldown);</li>
 *   <li><b>probe-then-bind</b> baseline, as Spring's {@code TestSocketUtils.findAvailableTcpPort()}: pick a random port
 *       in 1024-65535, test it by binding a {@link ServerSocket} on loopback and closing it, retry on failure, return
 *       it; then the thread binds its socket to that port.</li>
 * </ul>
 * Usage: {@code ConcurrentBindRace [rounds]}; prints one line per allocator.
 */
public final class ConcurrentBindRace {
    static final int THREADS = 64;
    private static final InetAddress LOOPBACK = InetAddress.getLoopbackAddress();
    private static final int PROBE_MIN = 1024;
    private static final int PROBE_MAX = 65535;

    private ConcurrentBindRace() {
    }

    /** Runs both allocators for {@code args[0]} rounds (default 1,000). */
    public static void main(String[] args) throws Exception {
        int rounds = args.length > 0 ? Integer.parseInt(args[0]) : 1000;
        try (ReservationPool pool = ReservationPool.builder(PortReservations.provider(), Protocol.TCP).build()) {
            report("pool (ReservationPool.bind)", run(rounds, socket -> pool.bind(socket, new InetSocketAddress(
                    LOOPBACK, 0))), rounds);
            System.out.println("  pool: " + pool.statistics());
        }
        report("probe-then-bind (TestSocketUtils style)", run(rounds, socket -> {
            int port = probeFreePort();
            socket.bind(new InetSocketAddress(LOOPBACK, port));
            return null;
        }), rounds);
    }

    /** Gets a port for {@code socket} and binds it; returns the binding to close after the socket, or null. */
    interface PortSource {
        PortBinding bind(ReservableSocket socket) throws IOException;
    }

    /** Outcome of one allocator's rounds. */
    static final class Result {
        final AtomicLong binds = new AtomicLong();
        final AtomicLong failures = new AtomicLong();
        final List<String> examples = new ArrayList<>();
        long nanos;
    }

    static Result run(int rounds, PortSource source) throws InterruptedException {
        Result result = new Result();
        CyclicBarrier start = new CyclicBarrier(THREADS);
        CyclicBarrier bound = new CyclicBarrier(THREADS);
        List<Thread> threads = new ArrayList<>();
        long began = System.nanoTime();
        for (int t = 0; t < THREADS; t++) {
            Thread thread = new Thread(() -> {
                try {
                    for (int r = 0; r < rounds; r++) {
                        start.await();
                        ServerSocketChannel channel = ServerSocketChannel.open();
                        PortBinding binding = null;
                        try {
                            binding = source.bind(ReservableSocket.of(channel, 0));
                            result.binds.incrementAndGet();
                        } catch (BindException | PortReservationException e) {
                            result.failures.incrementAndGet();
                            synchronized (result.examples) {
                                if (result.examples.size() < 3) {
                                    result.examples.add(e.toString());
                                }
                            }
                        }
                        bound.await(); // every socket of the round is bound (or failed) before any closes
                        channel.close();
                        if (binding != null) {
                            binding.close();
                        }
                    }
                } catch (IOException | InterruptedException | BrokenBarrierException e) {
                    throw new IllegalStateException(e);
                }
            }, "bind-race-" + t);
            threads.add(thread);
            thread.start();
        }
        for (Thread thread : threads) {
            thread.join();
        }
        result.nanos = System.nanoTime() - began;
        return result;
    }

    /** A random port that a test bind on loopback accepted, then closed (TestSocketUtils-style probe). */
    static int probeFreePort() {
        for (;;) {
            int port = ThreadLocalRandom.current().nextInt(PROBE_MIN, PROBE_MAX + 1);
            try (ServerSocket probe = new ServerSocket(port, 1, LOOPBACK)) {
                return port;
            } catch (IOException e) {
                // taken: try another
            }
        }
    }

    private static void report(String name, Result r, int rounds) {
        System.out.printf("B5 %-42s rounds=%d threads=%d binds=%d bindFailures=%d (%.3f%%) time=%.1fs%s%n", name,
                rounds, THREADS, r.binds.get(), r.failures.get(), 100.0 * r.failures.get() / (rounds * THREADS),
                r.nanos / 1e9, r.examples.isEmpty() ? "" : " e.g. " + r.examples);
    }
}
