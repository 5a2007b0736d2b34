package io.github.portreservation.bench;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;

/** The start-up harness's 95% interval of the median pair difference: the sign test's ranks. */
class StartupTimeIntervalTest {

    @Test
    void fortyOnePairsGiveTheFourteenthSmallestAndLargestDifference() {
        // differences 1..41 (reserved i + 1 ms over plain 0): the interval is ranks 14 and 28 of the binomial table
        assertArrayEquals(new long[] {14, 28}, StartupTime.medianInterval(pairs(41)));
    }

    @Test
    void elevenPairsGiveTheSecondSmallestAndLargest() {
        assertArrayEquals(new long[] {2, 10}, StartupTime.medianInterval(pairs(11)));
    }

    @Test
    void fivePairsHaveNoIntervalNarrowerThanTheRange() {
        assertArrayEquals(new long[] {1, 5}, StartupTime.medianInterval(pairs(5)));
    }

    /** Pairs in reverse order, so the interval depends on sorting: difference of pair i is n - i. */
    private static long[][] pairs(int n) {
        long[][] t = new long[2][n];
        for (int i = 0; i < n; i++) {
            t[1][i] = n - i;
        }
        return t;
    }
}
