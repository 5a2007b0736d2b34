package io.github.portreservation.examples;

import io.github.portreservation.Protocol;
import io.github.portreservation.RuntimeReservation;
import io.github.portreservation.pool.ReservationPool;
import io.github.portreservation.testing.ExternalProcess;
import io.github.portreservation.testing.ExternalProcess.Result;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledOnOs;
import org.junit.jupiter.api.condition.OS;

import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * socat as the real peer of the examples: a TCP and a UDP client talk to the echo servers and through the proxy, and
 * socat as a hostile process cannot take the examples' ports, whether in use or free in the block: the same user
 * without SO_REUSEPORT, and user {@code nobody} with SO_REUSEPORT (root and setpriv needed for that one). The
 * provider-level cases are in {@code linux.HostileProcessTest}; these cover the ports the examples bind.
 */
@EnabledOnOs(OS.LINUX)
class SocatClientsTest extends LoopbackExampleTest {
    /** The exit status of {@code timeout} when it had to stop socat: socat got the port and was waiting. */
    private static final int BOUND_AND_WAITING = 124;

    @BeforeEach
    void needSocat() {
        assumeTrue(ExternalProcess.isInstalled("socat"), "socat is not installed");
    }

    private static Result socatClient(String line, String address) throws Exception {
        return ExternalProcess.run(15, "sh", "-c", "printf '%s\\n' \"$1\" | socat -t 2 -T 5 - " + address, "sh",
                line);
    }

    @Test
    void socatTcpAndUdpClientsGetTheirEcho() throws Exception {
        try (RuntimeReservation tcpPorts = provider.acquire(Protocol.TCP, 2);
             RuntimeReservation udpPorts = provider.acquire(Protocol.UDP, 2)) {
            TcpEchoServer tcp = TcpEchoServer.start(group, tcpPorts, ExampleSupport.loopback(0));
            UdpEchoServer udp = UdpEchoServer.start(group, udpPorts, ExampleSupport.loopback(0));
            Result t = socatClient("tcp through socat", "TCP:127.0.0.1:" + tcp.port());
            assertEquals(0, t.exitCode, t.toString());
            assertEquals("tcp through socat\n", t.output);
            Result u = socatClient("udp through socat", "UDP:127.0.0.1:" + udp.port());
            assertEquals(0, u.exitCode, u.toString());
            assertEquals("udp through socat\n", u.output);
            assertEquals(1, tcp.connections());
            assertEquals(1, udp.datagrams());
            tcp.close();
            udp.close();
        }
    }

    @Test
    void socatThroughTheProxyAndNoOtherProcessTakesItsPorts() throws Exception {
        ReservationPool pool = ReservationPool.builder(provider, Protocol.TCP).blockSize(4).build();
        try (RuntimeReservation backendPorts = provider.acquire(Protocol.TCP, 1)) {
            TcpEchoServer backend = TcpEchoServer.start(group, backendPorts, ExampleSupport.loopback(0));
            TcpProxy proxy = TcpProxy.start(group, pool, 2, backend.localAddress());
            for (int port : proxy.ports()) {
                Result r = socatClient("via proxy " + port, "TCP:127.0.0.1:" + port);
                assertEquals("via proxy " + port + "\n", r.output, r.toString());
            }
            List<Integer> targets = new ArrayList<>(proxy.ports());
            targets.add(backend.port());
            int free = pool.blockRanges().get(0).end(); // leased by no listener: held by the pool's reservation
            assertTrue(!proxy.ports().contains(free), "a free port of the block");
            targets.add(free);
            for (int port : targets) {
                assertOthersRefused("TCP-LISTEN:" + port);
            }
            proxy.close();
            backend.close();
        } finally {
            pool.close();
        }
    }

    @Test
    void noOtherProcessTakesTheUdpEchoPortOrTheClientsSourcePorts() throws Exception {
        try (RuntimeReservation udpPorts = provider.acquire(Protocol.UDP, 2);
             RuntimeReservation sourcePorts = provider.acquire(Protocol.TCP, 2)) {
            UdpEchoServer udp = UdpEchoServer.start(group, udpPorts, ExampleSupport.loopback(0));
            assertOthersRefused("UDP-RECV:" + udp.port());
            assertOthersRefused("UDP-RECV:" + (udp.port() == udpPorts.range().start()
                    ? udpPorts.range().end() : udpPorts.range().start()));
            for (int port = sourcePorts.range().start(); port <= sourcePorts.range().end(); port++) {
                assertOthersRefused("TCP-LISTEN:" + port);
                // and as the source port of another process's client
                Result r = ExternalProcess.run(10, "timeout", "2", "socat", "-u", "OPEN:/dev/null",
                        "TCP:127.0.0.1:9,sourceport=" + port);
                assertTrue(r.output.contains("Address already in use"), r.toString());
            }
            udp.close();
        }
    }

    /** socat of this user without SO_REUSEPORT, and as nobody with it (when root), are refused {@code address}. */
    private static void assertOthersRefused(String address) throws Exception {
        Result same = ExternalProcess.run(10, "timeout", "1", "socat", address + ",bind=127.0.0.1", "STDOUT");
        assertRefused(same);
        Result sameReuseAddr = ExternalProcess.run(10, "timeout", "1", "socat", address + ",reuseaddr", "STDOUT");
        assertRefused(sameReuseAddr);
        if (ExternalProcess.isRoot() && ExternalProcess.isInstalled("setpriv")) {
            Result nobody = ExternalProcess.run(10, "timeout", "1", "setpriv", "--reuid=65534", "--regid=65534",
                    "--clear-groups", "socat", address + ",bind=127.0.0.1,reuseport", "STDOUT");
            assertRefused(nobody);
        }
    }

    private static void assertRefused(Result r) {
        assertTrue(r.exitCode != BOUND_AND_WAITING && r.output.contains("Address already in use"), r.toString());
    }
}
