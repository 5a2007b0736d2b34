package io.github.portreservation.linux;

import io.github.portreservation.PortRange;
import io.github.portreservation.PortReservationException;
import io.github.portreservation.Protocol;
import io.github.portreservation.testing.ExternalProcess;
import io.github.portreservation.testing.ExternalProcess.Result;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledOnOs;
import org.junit.jupiter.api.condition.OS;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * A write that fails part way leaves the previous list, not half of the new one: a copy of the list on a one-page
 * tmpfs (mounted in a private mount namespace, {@code unshare --mount}) takes the first 4,096 bytes of a longer list,
 * then fails with ENOSPC. Needs root; skipped elsewhere.
 */
@EnabledOnOs(OS.LINUX)
class PartialWriteRestoreTest {
    @TempDir
    Path dir;

    @Test
    void aWriteThatFailsPartWayWritesThePreviousListBack() throws Exception {
        assumeTrue(ExternalProcess.isRoot(), "needs root for unshare --mount and mount");
        assumeTrue(ExternalProcess.isInstalled("unshare") && ExternalProcess.isInstalled("mount"),
                "needs unshare and mount (util-linux)");
        Path mnt = Files.createDirectory(dir.resolve("one-page"));
        List<String> cmd = new ArrayList<>(List.of("unshare", "--mount", "sh", "-c",
                "mount -t tmpfs -o size=4k tmpfs \"$0\" && exec \"$@\"", mnt.toString()));
        cmd.addAll(ExternalProcess.javaCommand(Child.class, mnt.resolve("ip_local_reserved_ports").toString()));
        Result r = ExternalProcess.run(120, cmd.toArray(new String[0]));
        assertEquals(0, r.exitCode, r.output);
        Path f = mnt.resolve("ip_local_reserved_ports");
        assertEquals("BEFORE 4086 bytes\n"
                + "CREATE SYSTEM_ERROR: writing " + f + " failed after 4096 of 4098 bytes were taken (No space left "
                + "on device); the previous list was written back; check it with 'cat " + f + "' and repeat the "
                + "call\n"
                + "AFTER the previous list exactly\n", NamespacePersistentReservationTest.steps(r.output));
    }

    /** Runs in the mount namespace: writes a 4,086-byte list to the file, then tries to add a block to it. */
    public static final class Child {
        public static void main(String[] args) throws Exception {
            Path f = Paths.get(args[0]);
            String before = ReservedPortSetTest.singles(20000, 681) + "\n";
            Files.write(f, before.getBytes(StandardCharsets.US_ASCII));
            System.out.println("STEP BEFORE " + before.length() + " bytes");
            try {
                LinuxPortReservationProvider.create(f).createPersistent(Protocol.TCP, PortRange.parse("45000-45009"));
                System.out.println("STEP CREATE ok");
            } catch (PortReservationException e) {
                System.out.println("STEP CREATE " + e.getMessage());
            }
            String after = new String(Files.readAllBytes(f), StandardCharsets.US_ASCII);
            System.out.println("STEP AFTER " + (after.equals(before) ? "the previous list exactly" : after.length()
                    + " bytes: " + after.substring(Math.max(0, after.length() - 40))));
        }
    }
}
