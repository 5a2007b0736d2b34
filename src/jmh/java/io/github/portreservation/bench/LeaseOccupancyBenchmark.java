package io.github.portreservation.bench;

import io.github.portreservation.Protocol;
import io.github.portreservation.bench.NaiveAllocators.Allocator;
import io.github.portreservation.pool.PortLease;
import io.github.portreservation.pool.ReservationPool;
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
import org.openjdk.jmh.annotations.Threads;
import org.openjdk.jmh.annotations.Warmup;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * B2: one lease + return of a port at 0 %, 50 % and 99 % occupancy of 65,472 ports, on 1 and 2 threads: the
 * {@link ReservationPool} (its public {@code lease()} / {@code PortLease.close()}, over {@link HeapOnlyProvider} so
 * that no socket is held: 1,023 blocks of 64 ports) beside a synchronized first-fit BitSet and a Kubernetes-style
 * random-scan bitmap of the same ports.
 *
 * <p>Each allocator reaches its occupancy through its own lease call from empty (the long-lived leases taken first),
 * so each holds the ports it would really hold: the first-fit BitSet the lowest ones, the random scan a random
 * spread, the pool its oldest blocks. The pool runs without cooldown, like the baselines. Two forks of eight
 * iterations: with two threads the synchronized BitSet's score varies by a factor of two between iterations.
 */
@State(Scope.Benchmark)
@Fork(2)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 8, time = 1)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
public class LeaseOccupancyBenchmark {
    static final int BLOCK = 64;
    static final int BLOCKS = 1023;
    /** 65,472 ports: the port space above {@link HeapOnlyProvider#FIRST_PORT}. */
    static final int PORTS = BLOCK * BLOCKS;

    /** Percentage of the ports held by other leases while measuring. */
    @Param({"0", "50", "99"})
    public int occupancy;

    private ReservationPool pool;
    private final List<PortLease> held = new ArrayList<>();
    private Allocator firstFit;
    private Allocator randomScan;

    @Setup(Level.Trial)
    public void setUp() {
        int count = (int) ((long) PORTS * occupancy / 100);
        pool = newPool();
        for (int i = 0; i < count; i++) {
            held.add(pool.lease());
        }
        firstFit = fill(new NaiveAllocators.FirstFitBitSet(HeapOnlyProvider.FIRST_PORT, PORTS), count);
        randomScan = fill(new NaiveAllocators.RandomScanBitmap(HeapOnlyProvider.FIRST_PORT, PORTS), count);
    }

    /** A pool holding all 65,472 ports of the heap-only provider from the start, no cooldown. */
    static ReservationPool newPool() {
        return ReservationPool.builder(new HeapOnlyProvider(), Protocol.TCP).blockSize(BLOCK).maxBlocks(BLOCKS)
                .minBlocks(BLOCKS).keepIdleBlocks().cooldown(Duration.ZERO).build();
    }

    private static Allocator fill(Allocator a, int count) {
        for (int i = 0; i < count; i++) {
            if (a.lease() < 0) {
                throw new IllegalStateException("could not fill " + a + " to " + count);
            }
        }
        return a;
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        for (PortLease lease : held) {
            lease.close();
        }
        held.clear();
        pool.close();
    }

    /** The pool: lease the next free port, give it back. */
    @Benchmark
    public int pool() {
        PortLease lease = pool.lease();
        lease.close();
        return lease.port();
    }

    /** Baseline: synchronized BitSet, first fit with nextClearBit. */
    @Benchmark
    public int firstFitBitSet() {
        return cycle(firstFit);
    }

    /** Baseline: Kubernetes-style random scan. */
    @Benchmark
    public int randomScanBitmap() {
        return cycle(randomScan);
    }

    /** The pool, two threads at once. */
    @Benchmark
    @Threads(2)
    public int pool2Threads() {
        return pool();
    }

    /** Baseline: first-fit BitSet, two threads at once. */
    @Benchmark
    @Threads(2)
    public int firstFitBitSet2Threads() {
        return cycle(firstFit);
    }

    /** Baseline: random scan, two threads at once. */
    @Benchmark
    @Threads(2)
    public int randomScanBitmap2Threads() {
        return cycle(randomScan);
    }

    private static int cycle(Allocator a) {
        int port = a.lease();
        a.release(port);
        return port;
    }
}
