package io.github.portreservation.examples;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Real clients for the demo: blocking JDK sockets (not Netty) that send a fixed-size message to an echo server, wait
 * for the whole echo and check it, as many times as they can until a deadline. Each request's round trip is kept for
 * the percentiles. Thread-safe counters can be read while the load runs (for the progress line).
 */
final class EchoLoad {
    /** A UDP request whose echo did not arrive within this time counts as lost. */
    static final int UDP_TIMEOUT_MILLIS = 500;

    private final String protocol;
    private final InetSocketAddress server;
    private final int clients;
    private final int messageSize;
    private final AtomicLong requests = new AtomicLong();
    private final AtomicLong bytes = new AtomicLong();
    private final AtomicLong errors = new AtomicLong();
    private final List<long[]> latencies = new ArrayList<>();
    private final List<Thread> threads = new ArrayList<>();
    private final List<Throwable> failures = new ArrayList<>();

    private EchoLoad(String protocol, InetSocketAddress server, int clients, int messageSize) {
        this.protocol = protocol;
        this.server = server;
        this.clients = clients;
        this.messageSize = messageSize;
    }

    /** Starts {@code clients} TCP clients (one connection each) against {@code server} until {@code deadlineNanos}. */
    static EchoLoad startTcp(InetSocketAddress server, int clients, int messageSize, long deadlineNanos) {
        EchoLoad load = new EchoLoad("TCP", server, clients, messageSize);
        load.start(deadlineNanos, true);
        return load;
    }

    /** Starts {@code clients} UDP clients (one socket each) against {@code server} until {@code deadlineNanos}. */
    static EchoLoad startUdp(InetSocketAddress server, int clients, int messageSize, long deadlineNanos) {
        EchoLoad load = new EchoLoad("UDP", server, clients, messageSize);
        load.start(deadlineNanos, false);
        return load;
    }

    private void start(long deadlineNanos, boolean tcp) {
        for (int i = 0; i < clients; i++) {
            int id = i;
            Thread t = new Thread(() -> {
                LatencyLog log = new LatencyLog();
                try {
                    if (tcp) {
                        runTcp(id, deadlineNanos, log);
                    } else {
                        runUdp(id, deadlineNanos, log);
                    }
                } catch (IOException | RuntimeException e) {
                    synchronized (failures) {
                        failures.add(e);
                    }
                } finally {
                    synchronized (latencies) {
                        latencies.add(log.toArray());
                    }
                }
            }, protocol.toLowerCase(java.util.Locale.ROOT) + "-client-" + i);
            t.setDaemon(true);
            threads.add(t);
            t.start();
        }
    }

    private byte[] message(int client) {
        byte[] m = new byte[messageSize];
        for (int i = 0; i < m.length; i++) {
            m[i] = (byte) ('a' + (client + i) % 26);
        }
        return m;
    }

    private void runTcp(int client, long deadlineNanos, LatencyLog log) throws IOException {
        byte[] out = message(client);
        byte[] in = new byte[messageSize];
        try (Socket s = new Socket()) {
            s.setTcpNoDelay(true);
            s.setSoTimeout(5_000);
            s.connect(server, 5_000);
            OutputStream os = s.getOutputStream();
            InputStream is = s.getInputStream();
            while (System.nanoTime() < deadlineNanos) {
                long start = System.nanoTime();
                os.write(out);
                int read = 0;
                while (read < in.length) {
                    int n = is.read(in, read, in.length - read);
                    if (n < 0) {
                        throw new IOException("the echo server closed the connection");
                    }
                    read += n;
                }
                log.add(System.nanoTime() - start);
                count(Arrays.equals(out, in));
            }
        }
    }

    private void runUdp(int client, long deadlineNanos, LatencyLog log) throws IOException {
        byte[] out = message(client);
        DatagramPacket reply = new DatagramPacket(new byte[messageSize + 1], messageSize + 1);
        try (DatagramSocket s = new DatagramSocket(new InetSocketAddress(ExampleSupport.LOOPBACK, 0))) {
            s.connect(server);
            s.setSoTimeout(UDP_TIMEOUT_MILLIS);
            while (System.nanoTime() < deadlineNanos) {
                long start = System.nanoTime();
                s.send(new DatagramPacket(out, out.length));
                try {
                    reply.setLength(messageSize + 1);
                    s.receive(reply);
                } catch (SocketTimeoutException lost) {
                    errors.incrementAndGet();
                    continue;
                }
                log.add(System.nanoTime() - start);
                count(reply.getLength() == out.length
                        && Arrays.equals(out, Arrays.copyOf(reply.getData(), reply.getLength())));
            }
        }
    }

    private void count(boolean echoedExactly) {
        if (echoedExactly) {
            requests.incrementAndGet();
            bytes.addAndGet(2L * messageSize);
        } else {
            errors.incrementAndGet();
        }
    }

    /** Waits for every client to finish. */
    void join() throws InterruptedException {
        for (Thread t : threads) {
            t.join();
        }
    }

    /** "TCP" or "UDP". */
    String protocol() {
        return protocol;
    }

    /** The server the clients talk to. */
    InetSocketAddress server() {
        return server;
    }

    /** Number of client sockets. */
    int clients() {
        return clients;
    }

    /** Requests answered with an exact echo so far. */
    long requests() {
        return requests.get();
    }

    /** Bytes sent and received in answered requests so far. */
    long bytes() {
        return bytes.get();
    }

    /** Wrong echoes and (UDP) lost datagrams so far. */
    long errors() {
        return errors.get();
    }

    /** Exceptions that stopped a client (empty when every client ran to the deadline). */
    List<Throwable> failures() {
        synchronized (failures) {
            return new ArrayList<>(failures);
        }
    }

    /** The {@code percentile} (0..100) of the round-trip times in nanoseconds, after {@link #join()}; -1 when none. */
    long percentileNanos(double percentile) {
        long[] all;
        synchronized (latencies) {
            all = latencies.stream().flatMapToLong(Arrays::stream).sorted().toArray();
        }
        if (all.length == 0) {
            return -1;
        }
        int index = (int) Math.ceil(percentile / 100.0 * all.length) - 1;
        return all[Math.max(0, Math.min(all.length - 1, index))];
    }

    /** A growable array of round-trip times, owned by one client thread. */
    private static final class LatencyLog {
        private long[] values = new long[4096];
        private int size;

        void add(long nanos) {
            if (size == values.length) {
                values = Arrays.copyOf(values, size * 2);
            }
            values[size++] = nanos;
        }

        long[] toArray() {
            return Arrays.copyOf(values, size);
        }
    }
}
