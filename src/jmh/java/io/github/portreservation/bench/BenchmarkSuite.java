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
 *   <li>B1, B2, B4: the score of a case over the score of its baseline with the same parameters, and the error
 *       propagated from both (relative errors added in quadrature);</li>
 *   <li>B3: the paired ratio of {@link EchoBenchmark}, per measured iteration {@code plainNanos / reservedNanos}, then
 *       their mean and its 99.9 % confidence half-width.</li>
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
        System.out.println("Ratios to the baselines of this run (value ± error; goal; verdict)");
        String bind = "ChannelBindBenchmark.";
        ratio("B1 TCP server, pooled / plain bind(0) throughput", bind + "pooledServer", bind + "plainServer", 0.95,
                true);
        ratio("B1 UDP, pooled / plain bind(0) throughput", bind + "pooledUdp", bind + "plainUdp", 0.95, true);
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
        pairedEchoRatios();
        String acquire = "ReservationAcquireBenchmark.";
        for (RunResult r : results) {
            BenchmarkParams p = r.getParams();
            if (p.getBenchmark().endsWith(acquire + "acquireAndClose")) {
                String params = params(p);
                ratio("B4 " + params.substring(1) + ", acquire+close / plain bind+close (time)",
                        acquire + "acquireAndClose" + params, acquire + "plainBindPerPort" + params, 1.5, false);
                ratio("B4 " + params.substring(1) + ", acquire+close / same system calls (time)",
                        acquire + "acquireAndClose" + params, acquire + "sameSystemCallsPerPort" + params, Double.NaN,
                        false);
            }
        }
    }

    /** B3: the mean of the per-iteration ratios plainNanos / reservedNanos (reserved throughput over plain). */
    private void pairedEchoRatios() {
        for (RunResult r : results) {
            String name = r.getParams().getBenchmark();
            if (!name.contains("EchoBenchmark.")) {
                continue;
            }
            ListStatistics ratios = new ListStatistics();
            for (BenchmarkResult fork : r.getBenchmarkResults()) {
                for (IterationResult it : fork.getIterationResults()) {
                    Result plain = it.getSecondaryResults().get("plainNanos");
                    Result reserved = it.getSecondaryResults().get("reservedNanos");
                    if (plain != null && reserved != null && reserved.getScore() > 0) {
                        ratios.addValue(plain.getScore() / reserved.getScore());
                    }
                }
            }
            if (ratios.getN() > 1) {
                print("B3 " + name.substring(name.lastIndexOf('.') + 1) + ", reserved / plain port throughput ("
                        + ratios.getN() + " paired iterations)", ratios.getMean(), ratios.getMeanErrorAt(CONFIDENCE),
                        0.98, true);
            }
        }
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
            BenchmarkParams p = r.getParams();
            String name = p.getBenchmark();
            String simple = name.substring(name.lastIndexOf('.', name.lastIndexOf('.') - 1) + 1);
            if ((simple + params(p)).equals(key)) {
                return r.getPrimaryResult();
            }
        }
        return null;
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
