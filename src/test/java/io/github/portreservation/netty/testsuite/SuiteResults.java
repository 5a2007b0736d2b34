package io.github.portreservation.netty.testsuite;

import java.util.ArrayList;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The rows of every permutation of one Netty line ({@link NamespaceSuiteRun}'s results files), what the rule of
 * {@link NettyTestsuiteTest} makes of them, and the report: counts per permutation, a table of the tests that did not
 * pass everywhere, each failure's first lines.
 */
final class SuiteResults {
    static final String PASSED = "SUCCESSFUL";
    static final String FAILED = "FAILED";
    /** Not run on this permutation by design: an Epoll-only class on NIO. */
    static final String NOT_APPLICABLE = "N/A";

    private final String line;
    private final List<NettyTestsuiteTest.Exclusion> exclusions;
    private final List<NettyTestsuiteTest.StockOutcome> stockNotPassing;
    /** permutation -> test key ("Class.test") -> row. */
    private final Map<Permutation, Map<String, String[]>> tests = new EnumMap<>(Permutation.class);
    private final Map<Permutation, String[]> runs = new EnumMap<>(Permutation.class);
    private final Map<Permutation, Map<String, Long>> classMillis = new EnumMap<>(Permutation.class);

    SuiteResults(String line, List<NettyTestsuiteTest.Exclusion> exclusions,
                 List<NettyTestsuiteTest.StockOutcome> stockNotPassing) {
        this.line = line;
        this.exclusions = exclusions;
        this.stockNotPassing = stockNotPassing;
    }

    void add(Permutation p, List<String[]> rows) {
        Map<String, String[]> byKey = new LinkedHashMap<>();
        Map<String, Long> times = new TreeMap<>();
        for (String[] row : rows) {
            switch (row[3]) {
                case "INFO":
                    runs.put(p, row);
                    break;
                case "CLASS":
                    times.put(row[1], Long.parseLong(row[4]));
                    break;
                default:
                    byKey.put(row[1] + "." + row[2], row);
            }
        }
        tests.put(p, byKey);
        classMillis.put(p, times);
    }

    int permutationCount() {
        return tests.size();
    }

    int testCount() {
        return keys().size();
    }

    private Set<String> keys() {
        Set<String> all = new LinkedHashSet<>();
        tests.values().forEach(m -> all.addAll(m.keySet()));
        return all;
    }

    String status(Permutation p, String key) {
        String[] row = tests.getOrDefault(p, Map.of()).get(key);
        if (row != null) {
            return row[3];
        }
        String testClass = key.substring(0, key.indexOf('.'));
        return !p.isEpoll() && NettySuiteClasses.EPOLL_CLASSES.contains(testClass) ? NOT_APPLICABLE : "MISSING";
    }

    private NettyTestsuiteTest.Exclusion exclusion(Permutation p, String key) {
        return exclusions.stream().filter(e -> e.appliesTo(key, p, line)).findFirst().orElse(null);
    }

    private String expectedOnStock(Permutation stock, String key) {
        return stockNotPassing.stream().filter(e -> e.appliesTo(key, stock, line))
                .map(NettyTestsuiteTest.StockOutcome::status).findFirst().orElse(PASSED);
    }

    /** Everything that breaks the rule; empty when the run proves what it should. */
    List<String> problems() {
        List<String> problems = new ArrayList<>();
        for (Permutation p : tests.keySet()) {
            for (String key : keys()) {
                if (status(p, key).equals("MISSING")) {
                    problems.add(p.label() + ": " + key + " did not run (it ran on another permutation)");
                }
            }
            problems.addAll(runProblems(p));
        }
        for (Permutation stock : new Permutation[] {Permutation.STOCK_NIO, Permutation.STOCK_EPOLL}) {
            if (tests.containsKey(stock)) {
                for (String key : keys()) {
                    String status = status(stock, key);
                    String expected = expectedOnStock(stock, key);
                    if (!status.equals(expected) && !status.equals(NOT_APPLICABLE)) {
                        problems.add(stock.label() + ": " + key + " is " + status + ", expected " + expected
                                + " (stock Netty here: STOCK_NOT_PASSING)" + detail(stock, key));
                    }
                }
            }
        }
        for (Permutation p : tests.keySet()) {
            if (!p.isStock() && tests.containsKey(p.stock())) {
                for (String key : keys()) {
                    problems.addAll(reservedProblems(p, key));
                }
            }
        }
        for (NettyTestsuiteTest.Exclusion e : exclusions) {
            for (Permutation p : e.permutations()) {
                if (e.line() == null || e.line().equals(line)) {
                    if (tests.containsKey(p) && !keys().contains(e.key())) {
                        problems.add(p.label() + ": the exclusion of " + e.key() + " names no test that ran");
                    }
                }
            }
        }
        return problems;
    }

    /** The rule for a reserved permutation: what passes on its stock one passes here, exclusions still fail. */
    private List<String> reservedProblems(Permutation p, String key) {
        String stock = status(p.stock(), key);
        String status = status(p, key);
        NettyTestsuiteTest.Exclusion excluded = exclusion(p, key);
        if (excluded != null) {
            return stock.equals(PASSED) && status.equals(FAILED) ? List.of()
                    : List.of(p.label() + ": " + key + " is " + status + " (stock " + stock + "): its exclusion no "
                            + "longer holds, remove it (NettyTestsuiteTest.EXCLUSIONS, docs/netty.md)");
        }
        if (stock.equals(PASSED) && !status.equals(PASSED)) {
            return List.of(p.label() + ": " + key + " is " + status + ", passes on " + p.stock().label()
                    + detail(p, key));
        }
        return List.of();
    }

    /** The run's own facts: the library's factories made channels, their ports were reserved and came back. */
    private List<String> runProblems(Permutation p) {
        String[] run = runs.get(p);
        if (run == null) {
            return List.of(p.label() + ": no summary line (the run did not end)");
        }
        if (p.isStock()) {
            return List.of();
        }
        List<String> problems = new ArrayList<>();
        if (number(run[5], "reserved channels (\\d+)") <= 0) {
            problems.add(p.label() + ": the library's factories made no channel: " + run[5]);
        }
        if (number(run[5], "(\\d+) outside") > 0) {
            problems.add(p.label() + ": channels bound outside the reservation: " + run[5]);
        }
        if (number(run[5], "closed holding a port: (\\d+)") != 0) {
            problems.add(p.label() + ": closed channels did not give their port back: " + run[5]);
        }
        return problems;
    }

    /** The first number {@code regex} finds in {@code text}, -1 when none (not checked: "n/a"). */
    private static long number(String text, String regex) {
        Matcher m = Pattern.compile(regex).matcher(text);
        return m.find() ? Long.parseLong(m.group(1)) : -1;
    }

    private String detail(Permutation p, String key) {
        String[] row = tests.get(p).get(key);
        return row == null || row[5].isEmpty() ? "" : "\n      " + row[5].replace(" | ", "\n      ");
    }

    /**
     * Counts per permutation: tests run (passed + failed + aborted), passed, excluded (failing as its exclusion says),
     * failed as on stock (a known stock failure), failed (against the rule), aborted, skipped; wall and CPU time.
     */
    String summary() {
        StringBuilder sb = new StringBuilder(String.format("%-15s %4s %6s %7s %8s %8s %6s %7s %7s %5s %5s  %s%n",
                "permutation", "run", "passed", "retried", "excluded", "as stock", "failed", "aborted", "skipped",
                "wall", "cpu", "facts"));
        for (Permutation p : tests.keySet()) {
            Map<String, Integer> counts = new TreeMap<>();
            keys().forEach(key -> counts.merge(countedAs(p, key), 1, Integer::sum));
            int run = counts.getOrDefault(PASSED, 0) + counts.getOrDefault("excluded", 0)
                    + counts.getOrDefault("as stock", 0) + counts.getOrDefault(FAILED, 0)
                    + counts.getOrDefault("ABORTED", 0);
            String[] facts = runs.get(p);
            long retried = keys().stream().filter(key -> retried(p, key)).count();
            sb.append(String.format("%-15s %4d %6d %7d %8d %8d %6d %7d %7d %4ds %4ds  %s%n", p.label(), run,
                    counts.getOrDefault(PASSED, 0), retried, counts.getOrDefault("excluded", 0),
                    counts.getOrDefault("as stock", 0), counts.getOrDefault(FAILED, 0),
                    counts.getOrDefault("ABORTED", 0),
                    counts.getOrDefault("SKIPPED", 0) + counts.getOrDefault("ABSENT", 0),
                    facts == null ? -1 : Long.parseLong(facts[4]) / 1000,
                    facts == null ? -1 : number(facts[5], "cpu (\\d+) ms") / 1000,
                    facts == null ? "" : facts[5].replaceAll("; cpu \\d+ ms", "")));
        }
        Map<String, Long> slowest = new TreeMap<>();
        classMillis.values().forEach(m -> m.forEach((c, ms) -> slowest.merge(c, ms, Long::sum)));
        sb.append("slowest classes (all permutations): ");
        slowest.entrySet().stream().sorted((a, b) -> Long.compare(b.getValue(), a.getValue())).limit(6)
                .forEach(e -> sb.append(e.getKey()).append(' ').append(e.getValue() / 1000).append(" s, "));
        sb.setLength(sb.length() - 2);
        return sb.append('\n').toString();
    }

    /** Whether the test passed only when run a second time (see {@link NamespaceSuiteRun#RETRIED}). */
    private boolean retried(Permutation p, String key) {
        String[] row = tests.getOrDefault(p, Map.of()).get(key);
        return row != null && row[3].equals(PASSED) && row[5].startsWith(NamespaceSuiteRun.RETRIED);
    }

    /** How the summary counts a test's status: FAILED splits into excluded, as stock, and FAILED (a problem). */
    private String countedAs(Permutation p, String key) {
        String status = status(p, key);
        if (!status.equals(FAILED)) {
            return status;
        }
        if (exclusion(p, key) != null) {
            return "excluded";
        }
        boolean stockFails = p.isStock() ? expectedOnStock(p, key).equals(FAILED)
                : !status(p.stock(), key).equals(PASSED);
        return stockFails ? "as stock" : FAILED;
    }

    /**
     * One row per test, one column per permutation. {@code all == false}: only the tests that did not pass
     * everywhere, the invocations of a parameterized test that share their results folded into one row, then each
     * failure's first lines.
     */
    String table(boolean all) {
        Map<List<String>, Integer> rows = new LinkedHashMap<>(); // [name, cell...] -> invocations folded
        for (String key : keys()) {
            List<String> row = new ArrayList<>();
            row.add(all ? key : key.replaceAll("\\[\\d+]$", "[*]"));
            boolean allPassed = true;
            for (Permutation p : tests.keySet()) {
                String status = status(p, key);
                allPassed &= status.equals(PASSED) && !retried(p, key) || status.equals(NOT_APPLICABLE);
                row.add(cell(status) + (retried(p, key) ? "*" : ""));
            }
            if (all || !allPassed) {
                rows.merge(row, 1, Integer::sum);
            }
        }
        int width = rows.keySet().stream().mapToInt(row -> row.get(0).length() + 5).max().orElse(10);
        StringBuilder sb = new StringBuilder();
        if (!all) {
            sb.append("Tests that did not pass everywhere (ok, FAIL, abort = assumption not met, skip = @Disabled, "
                    + "absent = not in this testsuite version, - = Epoll only, ok* = passed on retry; xN = N invocations alike):\n");
        }
        sb.append(String.format("%-" + width + "s", "test"));
        tests.keySet().forEach(p -> sb.append(String.format(" | %-14s", p.label())));
        sb.append('\n');
        rows.forEach((row, count) -> {
            sb.append(String.format("%-" + width + "s", row.get(0) + (count > 1 ? " x" + count : "")));
            row.subList(1, row.size()).forEach(c -> sb.append(String.format(" | %-14s", c)));
            sb.append('\n');
        });
        if (!all) {
            sb.append("Failures:\n");
            for (String key : keys()) {
                for (Permutation p : tests.keySet()) {
                    if (status(p, key).equals(FAILED) || retried(p, key)) {
                        sb.append("  [").append(p.label()).append("] ").append(key).append(detail(p, key))
                                .append('\n');
                    }
                }
            }
        }
        return sb.toString();
    }

    private static String cell(String status) {
        switch (status) {
            case PASSED:
                return "ok";
            case FAILED:
                return "FAIL";
            case "ABORTED":
                return "abort";
            case "SKIPPED":
                return "skip";
            case "ABSENT":
                return "absent";
            case NOT_APPLICABLE:
                return "-";
            default:
                return status;
        }
    }
}
