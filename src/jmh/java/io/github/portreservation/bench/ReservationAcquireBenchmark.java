package io.github.portreservation.bench;

import io.github.portreservation.PortRange;
import io.github.portreservation.PortReservationProvider;
import io.github.portreservation.PortReservations;
import io.github.portreservation.Protocol;
import io.github.portreservation.RuntimeReservation;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

import java.io.IOException;
import java.net.BindException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.StandardSocketOptions;
import java.nio.channels.DatagramChannel;
import java.nio.channels.NetworkChannel;
import java.nio.channels.SocketChannel;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;

/**
 * B4: acquire and close a Linux runtime reservation of 16, 256 and 4,096 ports (one placeholder socket per port), beside
 * the plain cost of the same number of ports: open a socket, bind it to the port, close it, one port after the other.
 * Per-port cost = score / ports. Two kinds of block:
 * <ul>
 *   <li>{@code CHOSEN}: {@code acquire(protocol, count)}, the provider searches a free block from a random start in
 *       the ephemeral range (a port in use by anyone ends the candidate: its placeholders are closed and the next
 *       candidate starts past it); the baseline binds the ports from a random start in the same range and simply
 *       skips ports in use;</li>
 *   <li>{@code FIXED}: {@code acquire(protocol, range)} of ports 20000 and up (below the ephemeral range, checked free
 *       at setup); the baseline binds the same ports.</li>
 * </ul>
 * A second baseline, {@link #sameSystemCalls()}, makes per port the system calls of a JDK placeholder (bind,
 * SO_REUSEPORT, and for UDP a connect to the loopback discard port) without the library; the native placeholders of
 * the default provider make other calls (docs/benchmarks.md, B4).
 * Each benchmark method runs the reservation and one baseline side by side, timed by {@link PairedTimes}; its score
 * is pairs per second, and the ratio is {@code reservedNanos / plainNanos} (per-port cost over the baseline's).
 */
@State(Scope.Benchmark)
@Fork(1)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
public class ReservationAcquireBenchmark {
    /** Start of the ephemeral range searched by the baseline (the provider reads ip_local_port_range). */
    private static final int LOW = 32768;
    private static final int HIGH = 60999;

    /** Ports per reservation. */
    @Param({"16", "256", "4096"})
    public int ports;

    /** Protocol of the reservation. */
    @Param({"TCP", "UDP"})
    public Protocol protocol;

    /** Who picks the block: the provider's search, or a fixed free range. */
    @Param({"CHOSEN", "FIXED"})
    public Block block;

    /** Block choice. */
    public enum Block { CHOSEN, FIXED }

    /** Where the provider's UDP placeholders connect (nothing is sent). */
    private static final InetSocketAddress DISCARD = new InetSocketAddress(InetAddress.getLoopbackAddress(), 9);

    /** First port of the FIXED block. */
    static final int FIXED_START = 20000;

    private PortReservationProvider provider;
    private PortRange fixed;
    /** Ports the baseline found in use by someone else (skipped, as a new start would be). */
    private long baselineSkipped;

    @Setup
    public void setUp() {
        provider = PortReservations.provider();
        fixed = PortRange.of(FIXED_START, ports);
        provider.acquire(protocol, fixed).close(); // fails loudly (IN_USE) when a port of the fixed block is taken
    }

    /** The reservation (see {@link #acquireAndClose()}) paired with plain bind + close per port. */
    @Benchmark
    public void versusPlainBind(PairedTimes times) throws Exception {
        times.pair(this::plainBindPerPort, this::acquireAndClose);
    }

    /** The reservation paired with the same system calls made without the library (see {@link #sameSystemCalls()}). */
    @Benchmark
    public void versusSameSystemCalls(PairedTimes times) throws Exception {
        times.pair(this::sameSystemCalls, this::acquireAndClose);
    }

    /** The reservation: hold every port of a free block with a placeholder socket, then release them. */
    private void acquireAndClose() {
        try (RuntimeReservation r = block == Block.FIXED ? provider.acquire(protocol, fixed)
                : provider.acquire(protocol, ports)) {
            if (r.range().count() != ports) {
                throw new IllegalStateException(r + " does not have " + ports + " ports");
            }
        }
    }

    /** Baseline: for each port of a block, open a plain socket, bind it to that port, close it. */
    private void plainBindPerPort() throws IOException {
        int start = baselineStart();
        for (int port = start; port < start + ports; port++) {
            try (NetworkChannel ch = protocol == Protocol.TCP ? SocketChannel.open() : DatagramChannel.open()) {
                ch.bind(new InetSocketAddress(port));
            } catch (BindException e) {
                baselineSkipped++;
            }
        }
    }

    /**
     * Floor: per port, the system calls of a placeholder without the library: open, bind, SO_REUSEPORT, for UDP a
     * connect to loopback port 9 (as the provider's placeholders), close.
     */
    private void sameSystemCalls() throws IOException {
        int start = baselineStart();
        for (int port = start; port < start + ports; port++) {
            try (NetworkChannel ch = protocol == Protocol.TCP ? SocketChannel.open() : DatagramChannel.open()) {
                ch.bind(new InetSocketAddress(port));
                ch.setOption(StandardSocketOptions.SO_REUSEPORT, Boolean.TRUE);
                if (ch instanceof DatagramChannel) {
                    ((DatagramChannel) ch).connect(DISCARD);
                }
            } catch (BindException e) {
                baselineSkipped++;
            }
        }
    }

    /** First port of a baseline's block: the fixed block, or a random start in the ephemeral range. */
    private int baselineStart() {
        return block == Block.FIXED ? FIXED_START : LOW + ThreadLocalRandom.current().nextInt(HIGH - LOW - ports + 2);
    }
}
