package io.github.portreservation.bench;

import org.openjdk.jmh.infra.BenchmarkParams;
import org.openjdk.jmh.results.BenchmarkResult;
import org.openjdk.jmh.results.IterationResult;
import org.openjdk.jmh.results.Result;
import org.openjdk.jmh.results.RunResult;
import org.openjdk.jmh.runner.Runner;
import org.openjdk.jmh.runner.options.CommandLineOptions;
import org.openjdk.jmh.util.ListStatistics;

import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Locale;
import java.util.TreeMap;

/**
 * Runs JMH with the given command line (as {@code org.openjdk.jmh.Main} does), then prints every ratio that
 * {@code docs/benchmarks.md} reports, computed from the results of this same run:
 * <ul>
 *   <li>B1, B3, B4, B6 ({@link PairedTimes} benchmarks): per measured iteration the ratio of the reserved side's time
 *       to the plain side's (or its inverse, for throughput), then the mean over every iteration of every fork, and its
 *       99.9 % confidence half-width;</li>
 *   <li>B2, B6: the score of a case over the score of its baseline with the same parameters, and the error propagated
 *       from both (relative errors added in quadrature).</li>
 * </ul>
 * A ratio is written {@code value ± error}; "met" means the whole interval is on the goal's side, "not shown" that it
 * straddles the goal, "missed" that it is entirely on the wrong side.
 */
public final class BenchmarkSuite {
    private static final double CONFIDENCE = 0.999;

    private final List<RunResult> results;

    private BenchmarkSuite(Collection<RunResult> results) {
        this.results = new ArrayList<>(results);
    }

    /** Runs JMH with {@code args}, then prints the ratios of the benchmarks that ran. */
    public static void main(String[] args) throws Exception {
        CommandLineOptions options = new CommandLineOptions(args);
        if (options.shouldHelp() || options.shouldList() || options.shouldListWithParams()
                || options.shouldListProfilers() || options.shouldListResultFormats()) {
            org.openjdk.jmh.Main.main(args);
            return;
        }
        new BenchmarkSuite(new Runner(options).run()).printRatios();
    }

    private void printRatios() {
        System.out.println();
        System.out.println("Ratios from this run (value ± error; goal; verdict)");
        for (RunResult r : results) {
            String name = simpleName(r.getParams());
            String params = params(r.getParams());
            String at = params.isEmpty() ? "" : " " + params.substring(1);
            switch (name) {
                case "ChannelBindBenchmark.serverChannel":
                    paired(r, "B1" + at + " TCP server channel, pooled / plain bind(0) throughput", true, 0.95, true);
                    break;
                case "ChannelBindBenchmark.reusePortFloor":
                    paired(r, "B1 reference" + at + " TCP server channel, plain with SO_REUSEPORT / plain bind(0) "
                            + "throughput (not the library)", true, Double.NaN, true);
                    break;
                case "ChannelBindBenchmark.datagramChannel":
                    paired(r, "B1" + at + " UDP channel, pooled / plain bind(0) throughput", true, 0.95, true);
                    break;
                case "ChannelBindBenchmark.dualStackServerPair":
                    paired(r, "B1" + at + " dual-stack listener pair, reserved / plain throughput", true, 0.95, true);
                    break;
                case "EchoBenchmark.tcpEcho":
                    paired(r, "B3" + at + " TCP echo, reserved / plain port throughput", true, 0.98, true);
                    break;
                case "EchoBenchmark.udpEcho":
                    paired(r, "B3" + at + " UDP echo, reserved / plain port throughput", true, 0.98, true);
                    break;
                case "ReservationAcquireBenchmark.versusPlainBind":
                    paired(r, "B4" + at + ", acquire+close / plain bind+close time", false, 1.5, false);
                    break;
                case "ReservationAcquireBenchmark.versusSameSystemCalls":
                    paired(r, "B4" + at + ", acquire+close / same system calls time", false, Double.NaN, false);
                    break;
                case "ShapeLeaseBenchmark.pairVersusSingle":
                    paired(r, "B6" + at + ", RTP pair / single port lease+return time", false, 2.0, false);
                    break;
                default:
                    break;
            }
        }
        String lease = "LeaseOccupancyBenchmark.";
        for (String threads : new String[] {"", "2Threads"}) {
            String label = threads.isEmpty() ? "1 thread" : "2 threads";
            ratio("B2 " + label + ", pool at 99 % / pool at 0 % (time)", lease + "pool" + threads + "@occupancy=99",
                    lease + "pool" + threads + "@occupancy=0", 2.0, false);
            for (String occupancy : new String[] {"0", "50", "99"}) {
                ratio("B2 " + label + ", BitSet first-fit / pool (time), " + occupancy + " %",
                        lease + "firstFitBitSet" + threads + "@occupancy=" + occupancy,
                        lease + "pool" + threads + "@occupancy=" + occupancy,
                        "99".equals(occupancy) ? 5.0 : Double.NaN, true);
                ratio("B2 " + label + ", random-scan bitmap / pool (time), " + occupancy + " %",
                        lease + "randomScanBitmap" + threads + "@occupancy=" + occupancy,
                        lease + "pool" + threads + "@occupancy=" + occupancy, Double.NaN, true);
            }
        }
        String shape = "ShapeLeaseBenchmark.";
        ratio("B6 pair at 99 % / pair at 0 % (time)", shape + "pair@occupancy=99", shape + "pair@occupancy=0", 2.0,
                false);
        for (String occupancy : new String[] {"0", "50", "99"}) {
            ratio("B6 pair / single (time, separate runs), " + occupancy + " %", shape + "pair@occupancy=" + occupancy,
                    shape + "single@occupancy=" + occupancy, 2.0, false);
        }
    }

    /**
     * A {@link PairedTimes} benchmark: per measured iteration the ratio {@code plainNanos / reservedNanos}
     * ({@code throughput}: reserved throughput over plain) or its inverse (reserved time over plain), then the mean of
     * all iterations of all forks with its 99.9 % confidence half-width; also the mean time of each side.
     */
    private static void paired(RunResult r, String label, boolean throughput, double goal, boolean higherIsBetter) {
        ListStatistics ratios = new ListStatistics();
        double plain = 0;
        double reserved = 0;
        double pairs = 0;
        for (BenchmarkResult fork : r.getBenchmarkResults()) {
            for (IterationResult it : fork.getIterationResults()) {
                Result p = it.getSecondaryResults().get("plainNanos");
                Result q = it.getSecondaryResults().get("reservedNanos");
                Result n = it.getSecondaryResults().get("pairs");
                if (p == null || q == null || n == null || p.getScore() <= 0 || q.getScore() <= 0) {
                    continue;
                }
                ratios.addValue(throughput ? p.getScore() / q.getScore() : q.getScore() / p.getScore());
                plain += p.getScore();
                reserved += q.getScore();
                pairs += n.getScore();
            }
        }
        if (ratios.getN() > 1 && pairs > 0) {
            print(String.format(Locale.ROOT, "%s (%d iterations; plain %s, reserved %s per op)", label,
                    ratios.getN(), duration(plain / pairs), duration(reserved / pairs)), ratios.getMean(),
                    ratios.getMeanErrorAt(CONFIDENCE), goal, higherIsBetter);
        }
    }

    private static String duration(double nanos) {
        return nanos >= 1e6 ? String.format(Locale.ROOT, "%.2f ms", nanos / 1e6)
                : String.format(Locale.ROOT, "%.1f µs", nanos / 1e3);
    }

    /**
     * Prints {@code case / baseline} when both ran. {@code higherIsBetter}: the goal is a minimum (true) or a maximum
     * (false); NaN: no goal.
     */
    private void ratio(String label, String caseKey, String baselineKey, double goal,
                       boolean higherIsBetter) {
        Result c = find(caseKey);
        Result b = find(baselineKey);
        if (c == null || b == null || b.getScore() == 0) {
            return;
        }
        double value = c.getScore() / b.getScore();
        double error = value * Math.hypot(relative(c), relative(b));
        print(label, value, error, goal, higherIsBetter);
    }

    private static double relative(Result r) {
        double e = r.getScoreError();
        return Double.isNaN(e) ? 0 : e / r.getScore();
    }

    private static void print(String label, double value, double error, double goal, boolean higherIsBetter) {
        String verdict;
        if (Double.isNaN(goal)) {
            verdict = "";
        } else {
            double worst = higherIsBetter ? value - error : value + error;
            double best = higherIsBetter ? value + error : value - error;
            boolean worstOk = higherIsBetter ? worst >= goal : worst <= goal;
            boolean bestOk = higherIsBetter ? best >= goal : best <= goal;
            verdict = String.format(Locale.ROOT, "; goal %s %.2f; %s", higherIsBetter ? ">=" : "<=", goal,
                    worstOk ? "met" : bestOk ? "not shown" : "missed");
        }
        System.out.printf(Locale.ROOT, "%-78s %7.3f ± %.3f%s%n", label, value, error, verdict);
    }

    /** The primary result of {@code Class.method@param=value@...} (parameters in name order), or null. */
    private Result find(String key) {
        for (RunResult r : results) {
            if ((simpleName(r.getParams()) + params(r.getParams())).equals(key)) {
                return r.getPrimaryResult();
            }
        }
        return null;
    }

    /** {@code Class.method} of a benchmark. */
    private static String simpleName(BenchmarkParams p) {
        String name = p.getBenchmark();
        return name.substring(name.lastIndexOf('.', name.lastIndexOf('.') - 1) + 1);
    }

    /** {@code @key=value} for each parameter, in key order; empty without parameters. */
    private static String params(BenchmarkParams p) {
        TreeMap<String, String> sorted = new TreeMap<>();
        for (String k : p.getParamsKeys()) {
            sorted.put(k, p.getParam(k));
        }
        StringBuilder sb = new StringBuilder();
        sorted.forEach((k, v) -> sb.append('@').append(k).append('=').append(v));
        return sb.toString();
    }
}
