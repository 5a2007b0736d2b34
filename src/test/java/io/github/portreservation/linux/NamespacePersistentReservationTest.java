package io.github.portreservation.linux;

import io.github.portreservation.PortBinding;
import io.github.portreservation.PortRange;
import io.github.portreservation.Protocol;
import io.github.portreservation.ReservableSocket;
import io.github.portreservation.ReservationToken;
import io.github.portreservation.testing.ExternalProcess;
import io.github.portreservation.testing.ExternalProcess.Result;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledOnOs;
import org.junit.jupiter.api.condition.OS;

import java.io.IOException;
import java.net.BindException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.channels.ServerSocketChannel;
import java.nio.file.Files;
import java.nio.file.Paths;
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
        String hostBefore = ProcFiles.read(ReservedPortsFile.SYSCTL);
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
        assertEquals(hostBefore, ProcFiles.read(ReservedPortsFile.SYSCTL), "the host sysctl must not change");
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
            System.out.println("CREATED " + ProcFiles.read(ReservedPortsFile.SYSCTL).trim());
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
            System.out.println("DELETED " + ProcFiles.read(ReservedPortsFile.SYSCTL).trim());
        }

        private static void write(String path, String value) throws IOException {
            Files.write(Paths.get(path), (value + "\n").getBytes(java.nio.charset.StandardCharsets.US_ASCII));
        }
    }
}
