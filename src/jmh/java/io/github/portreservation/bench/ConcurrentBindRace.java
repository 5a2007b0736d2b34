package io.github.portreservation.bench;

import io.github.portreservation.PortBinding;
import io.github.portreservation.PortRange;
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
 * B5, a correctness benchmark: 64 threads each get a port and bind (and listen) a TCP server socket on loopback to it,
 * all at once (released by a barrier), for N rounds (default 1,000); then every socket closes and the next round
 * starts. Counts the binds that failed:
 * <ul>
 *   <li><b>pool</b>: {@code ReservationPool.bind} on the Linux provider, default settings (blocks of 64, no
 *       cooldown);</li>
 *   <li><b>probe-then-bind</b> baseline, as Spring's {@code TestSocketUtils.findAvailableTcpPort()}: pick a random port
 *       in 1024-65535, test it by binding a {@link ServerSocket} on loopback and closing it, retry on failure, return
 *       it; then the thread binds its socket to that port.</li>
 * </ul>
 * The baseline runs twice: binding at once after its probe, and 1 ms after it (see {@link #GAPS_MILLIS}).
 * Then the same two allocators confined to one range of 1,024 ports from 40000 (a firewall-opened range, as media
 * servers and CI runners use): the pool with that fixed range, the probe drawing from it.
 * Usage: {@code ConcurrentBindRace [rounds]}; prints one line per allocator and range.
 */
public final class ConcurrentBindRace {
    static final int THREADS = 64;
    private static final InetAddress LOOPBACK = InetAddress.getLoopbackAddress();
    private static final int PROBE_MIN = 1024;
    private static final int PROBE_MAX = 65535;
    /**
     * Pause between the probe and the bind: none (the tightest use), and 1 ms, a short stand-in for the time a real
     * application takes to pass the probed port through its configuration and open its server.
     */
    private static final int[] GAPS_MILLIS = {0, 1};
    /** The confined range of the second scenario. */
    static final PortRange NARROW = PortRange.of(40000, 1024);

    private ConcurrentBindRace() {
    }

    /** Runs both allocators for {@code args[0]} rounds (default 1,000). */
    public static void main(String[] args) throws Exception {
        int rounds = args.length > 0 ? Integer.parseInt(args[0]) : 1000;
        try (ReservationPool pool = ReservationPool.builder(PortReservations.provider(), Protocol.TCP).build()) {
            report("pool (ReservationPool.bind), any block", run(rounds, socket -> pool.bind(socket,
                    new InetSocketAddress(LOOPBACK, 0))), rounds);
            System.out.println("  pool: " + pool.statistics());
        }
        for (int gapMillis : GAPS_MILLIS) {
            report("probe-then-bind (TestSocketUtils), 1024-65535" + gapLabel(gapMillis), run(rounds,
                    socket -> probeThenBind(socket, PROBE_MIN, PROBE_MAX, gapMillis)), rounds);
        }
        try (ReservationPool pool = ReservationPool.builder(PortReservations.provider(), Protocol.TCP)
                .fixedRanges(NARROW).build()) {
            report("pool (ReservationPool.bind), " + NARROW, run(rounds, socket -> pool.bind(socket,
                    new InetSocketAddress(LOOPBACK, 0))), rounds);
            System.out.println("  pool: " + pool.statistics());
        }
        for (int gapMillis : GAPS_MILLIS) {
            report("probe-then-bind (TestSocketUtils), " + NARROW + gapLabel(gapMillis), run(rounds,
                    socket -> probeThenBind(socket, NARROW.start(), NARROW.end(), gapMillis)), rounds);
        }
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

    private static PortBinding probeThenBind(ReservableSocket socket, int min, int max, int gapMillis)
            throws IOException {
        int port = probeFreePort(min, max);
        if (gapMillis > 0) {
            try {
                Thread.sleep(gapMillis);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IOException("interrupted between probe and bind", e);
            }
        }
        socket.bind(new InetSocketAddress(LOOPBACK, port));
        return null;
    }

    private static String gapLabel(int gapMillis) {
        return gapMillis == 0 ? "" : ", " + gapMillis + " ms gap";
    }

    /** A random port of {@code min..max} that a test bind on loopback accepted, then closed (TestSocketUtils style). */
    static int probeFreePort(int min, int max) {
        for (;;) {
            int port = ThreadLocalRandom.current().nextInt(min, max + 1);
            try (ServerSocket probe = new ServerSocket(port, 1, LOOPBACK)) {
                return port;
            } catch (IOException e) {
                // taken: try another
            }
        }
    }

    private static void report(String name, Result r, int rounds) {
        System.out.printf("B5 %-62s rounds=%d threads=%d binds=%d bindFailures=%d (%.3f%%) time=%.1fs%s%n", name,
                rounds, THREADS, r.binds.get(), r.failures.get(), 100.0 * r.failures.get() / (rounds * THREADS),
                r.nanos / 1e9, r.examples.isEmpty() ? "" : " e.g. " + r.examples);
    }
}
