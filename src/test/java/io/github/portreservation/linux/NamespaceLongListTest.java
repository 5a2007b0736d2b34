package io.github.portreservation.linux;

import io.github.portreservation.PortRange;
import io.github.portreservation.PortReservationException;
import io.github.portreservation.Protocol;
import io.github.portreservation.testing.ExternalProcess;
import io.github.portreservation.testing.ExternalProcess.Result;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledOnOs;
import org.junit.jupiter.api.condition.OS;

import java.io.FileInputStream;
import java.io.FileOutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * The real {@code net.ipv4.ip_local_reserved_ports} with lists of several KiB, inside {@code unshare --net} (never on
 * the host): what the kernel does with long reads and writes, that create and delete keep every other entry byte for
 * byte, and who may write it (uid 0 without any capability may; {@code nobody} may not). Needs root.
 */
@EnabledOnOs(OS.LINUX)
class NamespaceLongListTest {
    /** 2,000 single ports 3 apart: 11,999 bytes, three times what one kernel write parses. */
    static String foreignList() {
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < 2000; i++) {
            sb.append(i == 0 ? "" : ",").append(20000 + 3 * i);
        }
        return sb.toString();
    }

    private static Result inNamespace(List<String> prefix, String mode) throws Exception {
        return inNamespace(prefix, mode, System.getProperty("java.class.path"));
    }

    private static Result inNamespace(List<String> prefix, String mode, String classPath) throws Exception {
        assumeTrue(ExternalProcess.isRoot(), "needs root for unshare --net");
        assumeTrue(ExternalProcess.isInstalled("unshare") && ExternalProcess.isInstalled("setpriv"),
                "needs unshare and setpriv (util-linux)");
        String hostBefore = ProcFiles.readSysctl(ReservedPortsFile.SYSCTL);
        List<String> cmd = new ArrayList<>(List.of("unshare", "--net"));
        cmd.addAll(prefix);
        cmd.add(Paths.get(System.getProperty("java.home"), "bin", "java").toString());
        cmd.addAll(List.of("-cp", classPath, Child.class.getName(), mode));
        Result r = ExternalProcess.run(120, cmd.toArray(new String[0]));
        assertEquals(hostBefore, ProcFiles.readSysctl(ReservedPortsFile.SYSCTL), "the host sysctl must not change");
        return r;
    }

    @Test
    void theKernelAnswersOneReadWholeAndTakesOnePageAWrite() throws Exception {
        Result r = inNamespace(List.of(), "kernel");
        assertEquals(0, r.exitCode, r.output);
        assertTrue(r.output.contains("ONE-WRITE took 4092 of 12000 bytes"), r.output);
        assertTrue(r.output.contains("SMALL-READS 256 then 0"), r.output);
        assertTrue(r.output.contains("PROVIDER-READ 11999 bytes, equal true"), r.output);
    }

    @Test
    void createAndDeleteKeepEveryOtherEntryByteForByte() throws Exception {
        Result r = inNamespace(List.of(), "edit");
        assertEquals(0, r.exitCode, r.output);
        assertTrue(r.output.contains("AFTER-CREATE foreign+40000-40009 true"), r.output);
        assertTrue(r.output.contains("LOOKUP-PART-OF-FOREIGN false"), r.output);
        assertTrue(r.output.contains("DELETE-PART-OF-FOREIGN NOT_FOUND unchanged true"), r.output);
        assertTrue(r.output.contains("AFTER-DELETE foreign true"), r.output);
    }

    @org.junit.jupiter.api.io.TempDir
    java.nio.file.Path tempDir;

    @Test
    void rootWithoutCapabilitiesMayWriteAndNobodyMayNot() throws Exception {
        Result noCaps = inNamespace(List.of("setpriv", "--inh-caps=-all", "--ambient-caps=-all", "--bounding-set=-all"),
                "write");
        assertEquals(0, noCaps.exitCode, noCaps.output);
        assertTrue(noCaps.output.contains("CAPABILITIES 0000000000000000"), noCaps.output);
        assertTrue(noCaps.output.contains("WRITE created"), noCaps.output);

        Result nobody = inNamespace(List.of("setpriv", "--reuid=65534", "--regid=65534", "--clear-groups"), "write",
                classPathReadableByAll(tempDir));
        assertEquals(0, nobody.exitCode, nobody.output);
        assertTrue(nobody.output.contains("WRITE ACCESS_DENIED"), nobody.output);
        assertTrue(nobody.output.contains("writable by its owner, root (uid 0, even without capabilities)"),
                nobody.output);
    }

    /** A copy of this JVM's class path that {@code nobody} can read (~/.m2 and target/ may not be readable to it). */
    private static String classPathReadableByAll(java.nio.file.Path dir) throws Exception {
        StringBuilder cp = new StringBuilder();
        int i = 0;
        for (String entry : System.getProperty("java.class.path").split(java.io.File.pathSeparator)) {
            java.nio.file.Path from = Paths.get(entry);
            if (!java.nio.file.Files.exists(from)) {
                continue;
            }
            java.nio.file.Path to = dir.resolve((i++) + "-" + from.getFileName());
            try (var files = java.nio.file.Files.walk(from)) {
                for (java.nio.file.Path f : (Iterable<java.nio.file.Path>) files::iterator) {
                    java.nio.file.Path target = to.resolve(from.relativize(f).toString());
                    if (java.nio.file.Files.isDirectory(f)) {
                        java.nio.file.Files.createDirectories(target);
                    } else {
                        java.nio.file.Files.createDirectories(target.getParent());
                        java.nio.file.Files.copy(f, target);
                    }
                }
            }
            cp.append(cp.length() == 0 ? "" : java.io.File.pathSeparator).append(to);
        }
        Result chmod = ExternalProcess.run(30, "chmod", "-R", "a+rX", dir.toString());
        assertEquals(0, chmod.exitCode, chmod.output);
        return cp.toString();
    }

    /** Runs inside the namespace. */
    public static final class Child {
        public static void main(String[] args) throws Exception {
            String sysctl = ReservedPortsFile.SYSCTL.toString();
            switch (args[0]) {
                case "kernel": {
                    byte[] twelveK = (foreignList() + "\n").getBytes(StandardCharsets.US_ASCII);
                    try (FileOutputStream out = new FileOutputStream(sysctl)) {
                        int took = out.getChannel().write(java.nio.ByteBuffer.wrap(twelveK));
                        System.out.println("ONE-WRITE took " + took + " of " + twelveK.length + " bytes");
                    }
                    try (FileInputStream in = new FileInputStream(sysctl)) {
                        byte[] buf = new byte[256];
                        int first = in.read(buf);
                        int second = Math.max(0, in.read(new byte[65536]));
                        System.out.println("SMALL-READS " + first + " then " + second);
                    }
                    ReservedPortsFile file = new ReservedPortsFile(ReservedPortsFile.SYSCTL);
                    file.update(current -> ReservedPortSet.parse(foreignList()));
                    String read = ProcFiles.readSysctl(ReservedPortsFile.SYSCTL).trim();
                    System.out.println("PROVIDER-READ " + read.length() + " bytes, equal " + read.equals(foreignList()));
                    break;
                }
                case "edit": {
                    write(sysctl, foreignList());
                    LinuxPortReservationProvider p = LinuxPortReservationProvider.create();
                    p.createPersistent(Protocol.TCP, PortRange.parse("40000-40009"));
                    System.out.println("AFTER-CREATE foreign+40000-40009 "
                            + current().equals(foreignList() + ",40000-40009"));
                    System.out.println("LOOKUP-PART-OF-FOREIGN " + p.lookupPersistent(Protocol.TCP,
                            PortRange.parse("20000-20002")).isPresent());
                    write(sysctl, foreignList() + ",40000-40009,50000-50009");
                    try {
                        p.deletePersistent(Protocol.TCP, PortRange.parse("50003-50005"));
                        System.out.println("DELETE-PART-OF-FOREIGN deleted");
                    } catch (PortReservationException e) {
                        System.out.println("DELETE-PART-OF-FOREIGN " + e.reason() + " unchanged "
                                + current().equals(foreignList() + ",40000-40009,50000-50009"));
                    }
                    write(sysctl, foreignList() + ",40000-40009");
                    p.deletePersistent(Protocol.TCP, PortRange.parse("40000-40009"));
                    System.out.println("AFTER-DELETE foreign " + current().equals(foreignList()));
                    break;
                }
                case "write": {
                    for (String line : java.nio.file.Files.readAllLines(Paths.get("/proc/self/status"))) {
                        if (line.startsWith("CapEff:")) {
                            System.out.println("CAPABILITIES " + line.substring(7).trim());
                        }
                    }
                    try {
                        LinuxPortReservationProvider.create().createPersistent(Protocol.TCP, PortRange.single(41000));
                        System.out.println("WRITE created");
                    } catch (PortReservationException e) {
                        System.out.println("WRITE " + e.reason() + ": " + e.getMessage());
                    }
                    break;
                }
                default:
                    throw new IllegalArgumentException(args[0]);
            }
        }

        private static String current() throws Exception {
            return ProcFiles.readSysctl(ReservedPortsFile.SYSCTL).trim();
        }

        /** Writes {@code list} with the library's writer (the only one here that handles long lists). */
        private static void write(String sysctl, String list) {
            new ReservedPortsFile(Paths.get(sysctl)).update(current -> ReservedPortSet.parse(list));
        }
    }
}
