package io.github.portreservation.linux;

import io.github.portreservation.PortReservationException;
import io.github.portreservation.Protocol;
import io.github.portreservation.testing.ExternalProcess;
import org.junit.jupiter.api.condition.EnabledOnOs;
import org.junit.jupiter.api.condition.OS;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.io.FileInputStream;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * Reservations smaller than {@link DescriptorBudget#MARGIN} ports skip the descriptor pre-check (for speed, see
 * docs/benchmarks.md B4): when the process runs out of descriptors in the middle of one, it still fails with
 * RESOURCE_LIMIT naming the fix, and every placeholder it opened is closed. Runs in a child JVM whose RLIMIT_NOFILE
 * is lowered with prlimit.
 */
@EnabledOnOs(OS.LINUX)
class SmallAcquireDescriptorLimitTest {

    @ParameterizedTest
    @EnumSource(Protocol.class)
    void outOfDescriptorsHalfwayFailsWithResourceLimitAndLeavesNothingOpen(Protocol protocol) throws Exception {
        assumeTrue(ExternalProcess.isInstalled("prlimit"), "prlimit is not installed");
        List<String> cmd = new ArrayList<>(List.of("prlimit", "--nofile=512:512"));
        cmd.addAll(ExternalProcess.javaCommand(Child.class, protocol.name()));
        ExternalProcess.Result r = ExternalProcess.run(60, cmd.toArray(new String[0]));
        assertTrue(r.output.contains("REASON RESOURCE_LIMIT"), r.toString());
        assertTrue(r.output.contains("out of file descriptors") && r.output.contains("ulimit -n"), r.toString());
        assertTrue(r.output.contains("LEAKED 0"), r.toString());
    }

    /** Fills the descriptor table but for 5 descriptors, then reserves 16 ports; prints the reason and the leak. */
    public static final class Child {
        public static void main(String[] args) throws Exception {
            LinuxPortReservationProvider provider = LinuxPortReservationProvider.create();
            Protocol protocol = Protocol.valueOf(args[0]);
            provider.acquire(protocol, 2).close(); // load every class first
            List<FileInputStream> filler = new ArrayList<>();
            try {
                for (;;) {
                    filler.add(new FileInputStream("/dev/null"));
                }
            } catch (IOException full) {
                for (int i = 0; i < 5; i++) {
                    filler.remove(filler.size() - 1).close();
                }
            }
            long before = DescriptorBudget.openDescriptors();
            String reason;
            try {
                provider.acquire(protocol, 16).close();
                reason = "none: the reservation succeeded";
            } catch (PortReservationException e) {
                reason = e.reason() + " " + e.getMessage();
            }
            long leaked = DescriptorBudget.openDescriptors() - before;
            for (FileInputStream in : filler) {
                in.close();
            }
            System.out.println("REASON " + reason);
            System.out.println("LEAKED " + leaked);
        }
    }
}
