package io.github.portreservation.bench;

import org.openjdk.jmh.annotations.AuxCounters;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;

/**
 * Times a reserved operation and its plain baseline side by side: each call runs both once, the plain one first on even
 * calls and second on odd ones, and adds their times to these counters (reset at every iteration). Run as two separate
 * benchmarks, the later one was 6-10 % slower than the earlier one whichever went first (the machine drifts over
 * minutes); paired in one benchmark, both see the same drift. {@link BenchmarkSuite} turns the counters of each
 * iteration into a ratio, then averages the ratios of all iterations and forks, with a 99.9 % confidence interval.
 */
@State(Scope.Thread)
@AuxCounters(AuxCounters.Type.EVENTS)
public class PairedTimes {
    /** Nanoseconds spent in the plain baseline during this iteration. */
    public long plainNanos;
    /** Nanoseconds spent in the reserved operation during this iteration. */
    public long reservedNanos;
    /** Pairs run during this iteration. */
    public long pairs;

    /** An operation to time; may throw. */
    @FunctionalInterface
    public interface Operation {
        /** Runs the operation once. */
        void run() throws Exception;
    }

    /** Counters restart at every iteration. */
    @Setup(Level.Iteration)
    public void reset() {
        plainNanos = 0;
        reservedNanos = 0;
        pairs = 0;
    }

    /** Runs {@code plain} and {@code reserved} once each, in alternating order, and adds their times. */
    public void pair(Operation plain, Operation reserved) throws Exception {
        if ((pairs++ & 1) == 0) {
            plainNanos += timed(plain);
            reservedNanos += timed(reserved);
        } else {
            reservedNanos += timed(reserved);
            plainNanos += timed(plain);
        }
    }

    private static long timed(Operation operation) throws Exception {
        long start = System.nanoTime();
        operation.run();
        return System.nanoTime() - start;
    }
}
