package io.github.portreservation.pool;

import io.github.portreservation.Protocol;
import io.github.portreservation.internal.PortFifo;
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

import java.time.Duration;
import java.util.ArrayDeque;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.ReentrantLock;

/**
 * Cost of one lease + return of the pool's data structure (no socket: the test-only in-memory provider), at several
 * occupancies of a 4,096-port pool (64 blocks of 64), side by side with two baselines run in the same JVM: the bare
 * structure (a PortFifo under a ReentrantLock) and a ConcurrentLinkedQueue of boxed ports.
 *
 * <p>Run: {@code mvn -q test-compile dependency:build-classpath -Dmdep.outputFile=target/cp.txt} then
 * {@code java -cp target/test-classes:target/classes:$(cat target/cp.txt) org.openjdk.jmh.Main ReservationPoolBenchmark
 * -prof gc}.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
public class ReservationPoolBenchmark {
    private static final int BLOCK = 64;
    private static final int BLOCKS = 64;
    private static final int PORTS = BLOCK * BLOCKS;

    /** Percentage of the pool's ports held by other leases while measuring. */
    @Param({"0", "50", "99"})
    public int occupancy;

    private ReservationPool pool;
    private final ReentrantLock lock = new ReentrantLock();
    private PortFifo fifo;
    private ConcurrentLinkedQueue<Integer> queue;

    @Setup(Level.Trial)
    public void setUp() {
        pool = ReservationPool.builder(new FakeProvider(1024), Protocol.TCP).blockSize(BLOCK).maxBlocks(BLOCKS)
                .minBlocks(BLOCKS).keepIdleBlocks().cooldown(Duration.ZERO).build();
        int held = PORTS * occupancy / 100;
        ArrayDeque<PortLease> all = new ArrayDeque<>();
        for (int i = 0; i < PORTS; i++) {
            all.add(pool.lease());
        }
        // Return a random-looking spread, keeping `held` leased all over the blocks.
        int i = 0;
        for (PortLease lease : all) {
            if ((i++ * 37) % 100 >= occupancy) {
                lease.close();
            }
        }
        fifo = new PortFifo(PORTS);
        queue = new ConcurrentLinkedQueue<>();
        for (int p = 0; p < PORTS - held; p++) {
            fifo.addLast(p);
            queue.add(p);
        }
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        pool.closeForcibly();
    }

    /** The pool: lease the next free port of the oldest block, give it back. */
    @Benchmark
    public int poolLeaseAndClose() {
        PortLease lease = pool.lease();
        lease.close();
        return lease.port();
    }

    /** Baseline: the bare FIFO under a lock (no lease object, no accounting). */
    @Benchmark
    public int fifoUnderLock() {
        lock.lock();
        try {
            int port = fifo.pollFirst();
            fifo.addLast(port);
            return port;
        } finally {
            lock.unlock();
        }
    }

    /** Baseline: a lock-free queue of boxed ports. */
    @Benchmark
    public int concurrentQueue() {
        Integer port = queue.poll();
        queue.offer(port);
        return port;
    }
}
