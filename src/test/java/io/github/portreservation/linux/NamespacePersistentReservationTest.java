package io.github.portreservation.linux;

import io.github.portreservation.PortBinding;
import io.github.portreservation.PortRange;
import io.github.portreservation.PortReservationException;
import io.github.portreservation.Protocol;
import io.github.portreservation.ReservableSocket;
import io.github.portreservation.ReservationToken;
import io.github.portreservation.testing.ExternalProcess;
import io.github.portreservation.testing.ExternalProcess.Result;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledOnOs;
import org.junit.jupiter.api.condition.OS;

import java.io.FileInputStream;
import java.io.IOException;
import java.net.BindException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.ServerSocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Paths;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.TreeSet;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * The real {@code net.ipv4.ip_local_reserved_ports}, changed only inside a private network namespace
 * ({@code unshare --net}) by a child JVM: never on the host. Needs root; skipped elsewhere.
 */
@EnabledOnOs(OS.LINUX)
class NamespacePersistentReservationTest {

    @Test
    void persistentReservationKeepsAutomaticAssignmentAwayInsideANamespace() throws Exception {
        assumeTrue(ExternalProcess.isRoot(), "needs root for unshare --net");
        assumeTrue(ExternalProcess.isInstalled("unshare") && ExternalProcess.isInstalled("ip"),
                "needs unshare and ip (util-linux, iproute2)");
        String hostBefore = ProcFiles.readSysctl(ReservedPortsFile.SYSCTL);
        List<String> cmd = new ArrayList<>(List.of("unshare", "--net", "sh", "-c",
                "ip link set lo up && exec \"$@\"", "sh"));
        cmd.addAll(ExternalProcess.javaCommand(NamespaceChild.class));
        Result r = ExternalProcess.run(120, cmd.toArray(new String[0]));
        assertEquals(0, r.exitCode, r.output);
        assertTrue(r.output.contains("CREATED 8080,40000-40009,50000-50001"), r.output);
        assertTrue(r.output.contains("AUTO 40010-40019"), r.output);
        assertTrue(r.output.contains("AUTO-11TH refused"), r.output);
        assertTrue(r.output.contains("EXPLICIT 40000"), r.output);
        assertTrue(r.output.contains("DELETED 8080,50000-50001"), r.output);
        assertEquals(hostBefore, ProcFiles.readSysctl(ReservedPortsFile.SYSCTL), "the host sysctl must not change");
    }

    @Test
    void longListsSurviveCreateAndDeleteByteForByteInsideANamespace() throws Exception {
        assumeTrue(ExternalProcess.isRoot(), "needs root for unshare --net");
        assumeTrue(ExternalProcess.isInstalled("unshare") && ExternalProcess.isInstalled("ip"),
                "needs unshare and ip (util-linux, iproute2)");
        String hostBefore = ProcFiles.readSysctl(ReservedPortsFile.SYSCTL);
        List<String> cmd = new ArrayList<>(List.of("unshare", "--net", "sh", "-c",
                "ip link set lo up && exec \"$@\"", "sh"));
        cmd.addAll(ExternalProcess.javaCommand(LongListChild.class));
        Result r = ExternalProcess.run(120, cmd.toArray(new String[0]));
        assertEquals(0, r.exitCode, r.output);
        assertEquals(String.join("\n",
                "FOREIGN 12024 bytes read back exactly",
                "OLD READER 256 bytes, last entry \"2008\"",
                "CREATE 40000-40009 exact",
                "CREATE 23999 IN_USE: ports 23999 touch the net.ipv4.ip_local_reserved_ports entry 23998: the kernel "
                        + "keeps only the set of ports and prints adjacent blocks as one entry (23998-23999), after "
                        + "which neither block could be found or deleted on its own; leave at least one free port "
                        + "between the blocks, or create one block that covers both",
                "LOOKUP 30003-30005 Optional.empty",
                "DELETE 30003-30005 NOT_FOUND naming 30000-30009",
                "BIND 30003-30005 NOT_FOUND naming 30000-30009",
                "UNCHANGED after refusals true",
                "DELETE 40000-40009 restores the foreign list exactly",
                "DENSEST 254240 bytes read back exactly",
                "DENSEST CREATE 40050-40059 exact",
                "DENSEST DELETE 40050-40059 exact",
                ""), steps(r.output), r.output);
        assertEquals(hostBefore, ProcFiles.readSysctl(ReservedPortsFile.SYSCTL), "the host sysctl must not change");
    }

    /** The lines a child printed with "STEP ", without that prefix, each ended by a newline. */
    static String steps(String output) {
        StringBuilder sb = new StringBuilder();
        for (String line : output.split("\n")) {
            if (line.startsWith("STEP ")) {
                sb.append(line.substring(5)).append('\n');
            }
        }
        return sb.toString();
    }

    /** Runs inside the namespace: reserve, check automatic assignment, bind explicitly, delete. */
    public static final class NamespaceChild {
        public static void main(String[] args) throws Exception {
            InetAddress lo = InetAddress.getLoopbackAddress();
            write("/proc/sys/net/ipv4/ip_local_port_range", "40000 40019");
            write("/proc/sys/net/ipv4/ip_local_reserved_ports", "8080,50000-50001"); // someone else's entries
            LinuxPortReservationProvider p = LinuxPortReservationProvider.create();
            PortRange block = PortRange.parse("40000-40009");
            ReservationToken token = p.createPersistent(Protocol.TCP, block);
            System.out.println("CREATED " + ProcFiles.readSysctl(ReservedPortsFile.SYSCTL).trim());
            List<ServerSocketChannel> auto = new ArrayList<>();
            TreeSet<Integer> ports = new TreeSet<>();
            for (int i = 0; i < 10; i++) {
                ServerSocketChannel s = ServerSocketChannel.open();
                s.bind(new InetSocketAddress(lo, 0));
                auto.add(s);
                ports.add(((InetSocketAddress) s.getLocalAddress()).getPort());
            }
            System.out.println("AUTO " + ports.first() + "-" + ports.last() + " count " + ports.size());
            try (ServerSocketChannel s = ServerSocketChannel.open()) {
                s.bind(new InetSocketAddress(lo, 0));
                System.out.println("AUTO-11TH got " + s.getLocalAddress());
            } catch (BindException e) {
                System.out.println("AUTO-11TH refused: " + e.getMessage());
            }
            try (ServerSocketChannel s = ServerSocketChannel.open()) {
                PortBinding b = p.bind(token, ReservableSocket.of(s, 0), new InetSocketAddress(lo, 40000));
                System.out.println("EXPLICIT " + b.port());
                b.close();
            }
            for (ServerSocketChannel s : auto) {
                s.close();
            }
            System.out.println("LOOKUP " + p.lookupPersistent(Protocol.TCP, block).isPresent());
            p.deletePersistent(Protocol.TCP, block);
            System.out.println("DELETED " + ProcFiles.readSysctl(ReservedPortsFile.SYSCTL).trim());
        }

        private static void write(String path, String value) throws IOException {
            Files.write(Paths.get(path), (value + "\n").getBytes(java.nio.charset.StandardCharsets.US_ASCII));
        }
    }

    /**
     * Runs inside the namespace: a foreign list of several KiB, written independently of the library in writes that
     * each end on an entry, survives create and delete byte for byte; sub-ranges of a foreign entry are not found;
     * the densest list (254,732 bytes) too. Prints one line per step.
     */
    public static final class LongListChild {
        public static void main(String[] args) throws Exception {
            String foreign = ReservedPortSetTest.singles(20000, 2000) + ",30000-30009,50000-50099\n";
            writeInPieces(foreign);
            step("FOREIGN " + foreign.length() + " bytes read back "
                    + (foreign.equals(ProcFiles.readSysctl(ReservedPortsFile.SYSCTL)) ? "exactly" : "DIFFERENT"));
            String cut = oldReader();
            step("OLD READER " + cut.length() + " bytes, last entry \"" + cut.substring(cut.lastIndexOf(',') + 1)
                    + "\"");
            LinuxPortReservationProvider p = LinuxPortReservationProvider.create();
            p.createPersistent(Protocol.TCP, PortRange.parse("40000-40009"));
            String withBlock = foreign.replace(",50000-50099", ",40000-40009,50000-50099");
            step("CREATE 40000-40009 " + verdict(withBlock));
            try {
                p.createPersistent(Protocol.UDP, PortRange.single(23999));
                step("CREATE 23999 accepted");
            } catch (PortReservationException e) {
                step("CREATE 23999 " + e.getMessage());
            }
            PortRange part = PortRange.parse("30003-30005");
            step("LOOKUP 30003-30005 " + p.lookupPersistent(Protocol.TCP, part));
            try {
                p.deletePersistent(Protocol.TCP, part);
                step("DELETE 30003-30005 done");
            } catch (PortReservationException e) {
                step("DELETE 30003-30005 " + e.reason()
                        + (e.getMessage().contains("overlapping it are 30000-30009.") ? " naming 30000-30009" : ""));
            }
            try (ServerSocketChannel s = ServerSocketChannel.open()) {
                p.bind(LinuxPortReservationProvider.persistentToken(part), ReservableSocket.of(s, 0), null);
                step("BIND 30003-30005 bound " + s.getLocalAddress());
            } catch (PortReservationException e) {
                step("BIND 30003-30005 " + e.reason()
                        + (e.getMessage().contains("overlapping it are 30000-30009.") ? " naming 30000-30009" : ""));
            }
            step("UNCHANGED after refusals "
                    + withBlock.equals(ProcFiles.readSysctl(ReservedPortsFile.SYSCTL)));
            p.deletePersistent(Protocol.TCP, PortRange.parse("40000-40009"));
            step("DELETE 40000-40009 " + (verdict(foreign).equals("exact")
                    ? "restores the foreign list exactly" : verdict(foreign)));

            // the densest list there is, without the pairs inside 40000-40100
            StringBuilder below = new StringBuilder();
            StringBuilder above = new StringBuilder();
            for (String pair : ReservedPortSetTest.densestList().split(",")) {
                int first = Integer.parseInt(pair.substring(0, pair.indexOf('-')));
                if (first < 39990) {
                    below.append(below.length() == 0 ? "" : ",").append(pair);
                } else if (first > 40110) {
                    above.append(',').append(pair);
                }
            }
            String densest = below + "" + above + "\n";
            writeInPieces(densest);
            step("DENSEST " + densest.length() + " bytes read back "
                    + (densest.equals(ProcFiles.readSysctl(ReservedPortsFile.SYSCTL)) ? "exactly" : "DIFFERENT"));
            p.createPersistent(Protocol.TCP, PortRange.parse("40050-40059"));
            step("DENSEST CREATE 40050-40059 " + verdict(below + ",40050-40059" + above + "\n"));
            p.deletePersistent(Protocol.TCP, PortRange.parse("40050-40059"));
            step("DENSEST DELETE 40050-40059 " + verdict(densest));
        }

        private static void step(String line) {
            System.out.println("STEP " + line);
        }

        /** "exact" when the sysctl reads {@code expected}, else how it differs. */
        private static String verdict(String expected) throws IOException {
            String now = ProcFiles.readSysctl(ReservedPortsFile.SYSCTL);
            return now.equals(expected) ? "exact" : "DIFFERENT: " + ReservedPortSet.difference(
                    ReservedPortSet.parse(expected), ReservedPortSet.parse(now));
        }

        /**
         * Writes {@code text} as a writer other than this library might: pieces of under 4,000 bytes that each end
         * after a whole entry (the first replaces the list, the next ones add to it).
         */
        private static void writeInPieces(String text) throws IOException {
            try (FileChannel ch = FileChannel.open(ReservedPortsFile.SYSCTL, StandardOpenOption.WRITE)) {
                int from = 0;
                while (from < text.length()) {
                    int to = text.length() - from < 4000 ? text.length() : text.lastIndexOf(',', from + 4000) + 1;
                    ByteBuffer piece = ByteBuffer.wrap(text.substring(from, to).getBytes(StandardCharsets.US_ASCII));
                    while (piece.hasRemaining()) {
                        ch.write(piece);
                    }
                    from = to;
                }
            }
        }

        /** What reading in 256-byte steps returns (the kernel answers a read at a nonzero offset with end-of-file). */
        private static String oldReader() throws IOException {
            try (FileInputStream in = new FileInputStream(ReservedPortsFile.SYSCTL.toFile())) {
                byte[] buf = new byte[1024];
                int length = 0;
                for (int n; (n = in.read(buf, length, Math.min(256, buf.length - length))) > 0;) {
                    length += n;
                }
                return new String(buf, 0, length, StandardCharsets.US_ASCII);
            }
        }
    }
}
