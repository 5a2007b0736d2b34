package io.github.portreservation.bench;

import io.github.portreservation.pool.PortLease;
import io.github.portreservation.pool.PortShape;
import io.github.portreservation.pool.ReservationPool;
import io.github.portreservation.pool.ShapeLease;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * B6: one lease + return of an RTP/RTCP pair ({@code lease(PortShape.rtpPair())}, {@code ShapeLease.close()}) beside
 * one of a single port ({@code lease()}, {@code PortLease.close()}), at 0 %, 50 % and 99 % occupancy of 65,472 ports,
 * one thread. Two pools of the {@link HeapOnlyProvider} holding all 1,023 blocks of 64 ports (no socket, no cooldown),
 * each filled from empty with its own kind of lease to the occupancy: the single ports' pool as in B2, the pairs' pool
 * with pairs (its blocks cut into pairs as the leases need them).
 *
 * <p>{@link #pairVersusSingle} times 64 cycles of each, side by side in one benchmark ({@link PairedTimes}: the ratio
 * per iteration, the mean over all of them; a batch, so that the two clock reads per side cost little);
 * {@link #single} and {@link #pair} give each side's own time, for the flatness with occupancy.
 */
@State(Scope.Benchmark)
@Fork(2)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 8, time = 1)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
public class ShapeLeaseBenchmark {
    /** Lease + return cycles per side and call of {@link #pairVersusSingle}. */
    static final int BATCH = 64;

    /** Percentage of the ports held by other leases while measuring. */
    @Param({"0", "50", "99"})
    public int occupancy;

    private ReservationPool singles;
    private ReservationPool pairs;
    private final List<PortLease> heldSingles = new ArrayList<>();
    private final List<ShapeLease> heldPairs = new ArrayList<>();

    @Setup(Level.Trial)
    public void setUp() {
        int ports = (int) ((long) LeaseOccupancyBenchmark.PORTS * occupancy / 100);
        singles = LeaseOccupancyBenchmark.newPool();
        for (int i = 0; i < ports; i++) {
            heldSingles.add(singles.lease());
        }
        pairs = LeaseOccupancyBenchmark.newPool();
        for (int i = 0; i < ports / 2; i++) {
            heldPairs.add(pairs.lease(PortShape.rtpPair()));
        }
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        heldSingles.forEach(PortLease::close);
        heldPairs.forEach(ShapeLease::close);
        heldSingles.clear();
        heldPairs.clear();
        singles.close();
        pairs.close();
    }

    /** A single port: lease the next free one, give it back. */
    @Benchmark
    public int single() {
        PortLease lease = singles.lease();
        lease.close();
        return lease.port();
    }

    /** An RTP/RTCP pair: lease the next free one, give it back. */
    @Benchmark
    public int pair() {
        ShapeLease lease = pairs.lease(PortShape.rtpPair());
        lease.close();
        return lease.ports().start();
    }

    /** {@value #BATCH} single-port cycles (the plain side) and {@value #BATCH} pair cycles, timed side by side. */
    @Benchmark
    public void pairVersusSingle(PairedTimes times) throws Exception {
        times.pair(() -> {
            for (int i = 0; i < BATCH; i++) {
                single();
            }
        }, () -> {
            for (int i = 0; i < BATCH; i++) {
                pair();
            }
        });
    }
}
