package io.github.portreservation.bench;

import io.github.portreservation.PortReservations;
import org.junit.jupiter.api.Test;

import java.io.File;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * The start-up harness: the 95% interval of the median pair difference (the sign test's ranks), and the children's
 * class path (the library's jar in place of its classes directory, however that is named).
 */
class StartupTimeIntervalTest {

    @Test
    void theChildrenLoadTheLibraryFromItsJarWhenTheClassesDirectoryIsNamedRelatively() throws Exception {
        Path classes = Path.of(PortReservations.class.getProtectionDomain().getCodeSource().getLocation().toURI());
        String relative = Path.of("").toAbsolutePath().relativize(classes).toString();
        String classPath = String.join(File.pathSeparator, relative, "/repo/io/netty/netty-common.jar",
                "/repo/org/junit/junit.jar", "/repo/net/java/dev/jna/jna.jar");
        assertEquals(String.join(File.pathSeparator, "/tmp/library.jar", "/repo/io/netty/netty-common.jar"),
                StartupTime.applicationClassPath(classPath, false, "/tmp/library.jar"));
        assertEquals(String.join(File.pathSeparator, "/tmp/library.jar", "/repo/io/netty/netty-common.jar",
                "/repo/net/java/dev/jna/jna.jar"), StartupTime.applicationClassPath(classPath, true, "/tmp/library.jar"));
    }

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
