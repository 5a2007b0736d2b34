package io.github.portreservation.linux;

import io.github.portreservation.PortRange;
import io.github.portreservation.PortReservationException;
import io.github.portreservation.Protocol;
import io.github.portreservation.testing.ExternalProcess;
import io.github.portreservation.testing.ExternalProcess.Result;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledOnOs;
import org.junit.jupiter.api.condition.OS;
import org.junit.jupiter.api.io.TempDir;

import java.io.File;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * Who may write {@code net.ipv4.ip_local_reserved_ports}: the kernel ({@code proc_sys_permission},
 * {@code net_ctl_permissions}) gives the owner bits (rw-) to effective uid 0 of the initial user namespace, with or
 * without capabilities, and to any process with CAP_NET_ADMIN over the network namespace's user namespace; everyone
 * else gets the other bits (r--); a read-only /proc/sys refuses all. Each case is a child JVM inside its own
 * {@code unshare --net}, under {@code setpriv}; the host's list is checked unchanged. Needs root; skipped elsewhere.
 */
@EnabledOnOs(OS.LINUX)
class SysctlWriteRightsTest {
    private static final String SYSCTL = ReservedPortsFile.SYSCTL.toString();

    @TempDir
    static Path dir;
    private static String classPath;
    private static String hostBefore;

    @BeforeAll
    static void copyTheClassPathWhereOtherUsersCanReadIt() throws Exception {
        assumeTrue(ExternalProcess.isRoot(), "needs root for unshare --net and setpriv");
        assumeTrue(ExternalProcess.isInstalled("unshare") && ExternalProcess.isInstalled("setpriv"),
                "needs unshare and setpriv (util-linux)");
        hostBefore = ProcFiles.readSysctl(ReservedPortsFile.SYSCTL);
        // the jars live in root's home (mode 700): copy them for the children that run as uid 65534
        Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwxr-xr-x"));
        List<String> entries = new ArrayList<>();
        int i = 0;
        for (String entry : System.getProperty("java.class.path").split(File.pathSeparator)) {
            Path p = Paths.get(entry);
            if (Files.isRegularFile(p)) {
                Path copy = dir.resolve(i++ + "-" + p.getFileName());
                Files.copy(p, copy, StandardCopyOption.REPLACE_EXISTING);
                Files.setPosixFilePermissions(copy, PosixFilePermissions.fromString("rw-r--r--"));
                entries.add(copy.toString());
            } else {
                entries.add(entry); // target/classes and target/test-classes: readable by all
            }
        }
        classPath = String.join(File.pathSeparator, entries);
    }

    /**
     * Runs {@link Child} on {@code target} in a new network namespace whose list root has set to "8080" (then runs
     * {@code mountSetup}, if any, in a new mount namespace), with the rights {@code setpriv privileges} leaves it.
     *
     * @return the child's steps
     */
    private static String run(String mountSetup, String target, String... privileges) throws Exception {
        List<String> cmd = new ArrayList<>(List.of("unshare", "--net"));
        if (!mountSetup.isEmpty()) {
            cmd.add("--mount");
        }
        String setup = "echo 8080 > " + SYSCTL + (mountSetup.isEmpty() ? "" : " && " + mountSetup);
        cmd.addAll(List.of("sh", "-c", setup + " && exec \"$@\"", "sh"));
        if (privileges.length > 0) {
            cmd.add("setpriv");
            cmd.addAll(List.of(privileges));
            cmd.add("--");
        }
        cmd.addAll(List.of(Paths.get(System.getProperty("java.home"), "bin", "java").toString(),
                "-XX:-UsePerfData", "-cp", classPath, Child.class.getName(), target));
        Result r = ExternalProcess.run(120, cmd.toArray(new String[0]));
        assertEquals(0, r.exitCode, r.output);
        assertEquals(hostBefore, ProcFiles.readSysctl(ReservedPortsFile.SYSCTL), "the host sysctl must not change");
        return NamespacePersistentReservationTest.steps(r.output);
    }

    private static String refusedByTheRule(String credentials) {
        return "CREATE ACCESS_DENIED: cannot write " + SYSCTL + " (Permission denied): the kernel lets a process "
                + "write net.ipv4.ip_local_reserved_ports when its effective uid is 0 in the initial user namespace "
                + "(no capability needed) or when it has CAP_NET_ADMIN in the user namespace that owns this network "
                + "namespace (any uid); group root and CAP_DAC_OVERRIDE do not count; this process has " + credentials
                + "; run it as root, grant it CAP_NET_ADMIN (e.g. AmbientCapabilities=CAP_NET_ADMIN in its systemd "
                + "unit), or have an administrator run 'sysctl -w net.ipv4.ip_local_reserved_ports=...'\n"
                + "LIST 8080\n";
    }

    @Test
    void rootWithoutAnyCapabilityMayWrite() throws Exception {
        assertEquals("CAPS 0000000000000000\nCREATE ok\nLIST 8080,41000-41009\n",
                run("", SYSCTL, "--inh-caps=-all", "--bounding-set=-all"));
    }

    @Test
    void anotherUidWithoutCapNetAdminIsRefused() throws Exception {
        assertEquals("CAPS 0000000000000000\n"
                        + refusedByTheRule("effective uid 65534, effective CAP_NET_ADMIN no"),
                run("", SYSCTL, "--reuid=65534", "--regid=65534", "--clear-groups", "--inh-caps=-all"));
    }

    @Test
    void groupRootDoesNotCount() throws Exception {
        assertEquals("CAPS 0000000000000000\n"
                        + refusedByTheRule("effective uid 65534, effective CAP_NET_ADMIN no"),
                run("", SYSCTL, "--reuid=65534", "--regid=0", "--clear-groups", "--inh-caps=-all"));
    }

    @Test
    void anotherUidWithCapNetAdminMayWrite() throws Exception {
        assertEquals("CAPS 0000000000001000\nCREATE ok\nLIST 8080,41000-41009\n",
                run("", SYSCTL, "--reuid=65534", "--regid=65534", "--clear-groups", "--inh-caps=+net_admin",
                        "--ambient-caps=+net_admin"));
    }

    @Test
    void aReadOnlyProcSysRefusesEvenRootWithEveryCapability() throws Exception {
        String out = run("mount --bind /proc/sys /proc/sys && mount -o remount,bind,ro /proc/sys", SYSCTL);
        assertEquals("CREATE ACCESS_DENIED: cannot write " + SYSCTL + " (Read-only file system): /proc/sys is "
                + "mounted read-only here (as in most containers), which refuses every writer, root or not; set the "
                + "list from outside, on the host or through the container runtime (docker run --sysctl "
                + "net.ipv4.ip_local_reserved_ports=...)\nLIST 8080\n", out.substring(out.indexOf('\n') + 1));
    }

    @Test
    void aCopyTheFilePermissionsRefuseIsAccessDeniedNamingThem() throws Exception {
        Path copy = dir.resolve("read-only-copy");
        Files.write(copy, "8080\n".getBytes(StandardCharsets.US_ASCII));
        Files.setPosixFilePermissions(copy, PosixFilePermissions.fromString("r--r--r--"));
        // without CAP_DAC_OVERRIDE, root obeys the file's permissions
        assertEquals("CAPS 0000000000000000\nCREATE ACCESS_DENIED: cannot write " + copy + " (Permission denied): "
                        + "the file's permissions refuse this process (effective uid 0, effective CAP_NET_ADMIN no); "
                        + "use a file it may write, or run it as the file's owner\nLIST 8080\n",
                run("", copy.toString(), "--inh-caps=-all", "--bounding-set=-all"));
    }

    /** Runs inside the namespace: prints its effective capabilities, creates 41000-41009, prints the list. */
    public static final class Child {
        public static void main(String[] args) throws Exception {
            Path target = Paths.get(args[0]);
            for (String line : Files.readAllLines(Paths.get("/proc/self/status"))) {
                if (line.startsWith("CapEff:")) {
                    System.out.println("STEP CAPS " + line.substring(7).trim());
                }
            }
            LinuxPortReservationProvider p = LinuxPortReservationProvider.create(target);
            try {
                p.createPersistent(Protocol.TCP, PortRange.parse("41000-41009"));
                System.out.println("STEP CREATE ok");
            } catch (PortReservationException e) {
                System.out.println("STEP CREATE " + e.getMessage());
            }
            System.out.println("STEP LIST " + p.reservedPortsFile().read().format());
        }
    }
}
