package io.github.portreservation.linux;

import io.github.portreservation.testing.Descriptors;
import io.github.portreservation.PortRange;
import io.github.portreservation.PortReservationException;
import io.github.portreservation.PortReservationException.Reason;
import io.github.portreservation.Protocol;
import io.github.portreservation.RuntimeReservation;
import io.github.portreservation.testing.ExternalProcess;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledOnOs;
import org.junit.jupiter.api.condition.OS;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.net.BindException;
import java.net.InetSocketAddress;
import java.nio.channels.DatagramChannel;
import java.nio.channels.ServerSocketChannel;
import java.nio.charset.StandardCharsets;
import java.util.Set;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** All-or-nothing acquire, descriptors back to baseline, and ports freed when the holder is killed. */
@EnabledOnOs(OS.LINUX)
class AcquireLifecycleTest {
    private final LinuxPortReservationProvider provider = LinuxPortReservationProvider.create();

    private static void assertBindable(Protocol protocol, PortRange range) throws Exception {
        for (int p = range.start(); p <= range.end(); p++) {
            if (protocol == Protocol.TCP) {
                try (ServerSocketChannel ch = ServerSocketChannel.open()) {
                    ch.bind(new InetSocketAddress(p));
                }
            } else {
                try (DatagramChannel ch = DatagramChannel.open()) {
                    ch.bind(new InetSocketAddress(p));
                }
            }
        }
    }

    @Test
    void acquireIsAllOrNothingAndNamesTheTakenPort() throws Exception {
        // find a free block by reserving it, then release it and take one port of it with a plain socket
        PortRange range;
        try (RuntimeReservation probe = provider.acquire(Protocol.TCP, 16)) {
            range = probe.range();
        }
        int taken = range.start() + 5;
        try (ServerSocketChannel squatter = ServerSocketChannel.open()) {
            squatter.bind(new InetSocketAddress(taken));
            // warm-up: the first failure loads classes (and may open jars)
            assertThrows(PortReservationException.class, () -> provider.acquire(Protocol.TCP, range));
            Set<String> baseline = Descriptors.snapshot();
            PortReservationException e = assertThrows(PortReservationException.class,
                    () -> provider.acquire(Protocol.TCP, range));
            assertEquals(Reason.IN_USE, e.reason());
            assertEquals("EADDRINUSE", e.nativeName());
            assertTrue(e.getMessage().contains("port " + taken), e.getMessage());
            Descriptors.assertNoneOpenedSince(baseline, "placeholders leaked");
        }
        assertBindable(Protocol.TCP, range);
    }

    @Test
    void descriptorsReturnToBaselineAfterRelease() throws Exception {
        provider.acquire(Protocol.UDP, 1).close(); // warm-up
        Set<String> baseline = Descriptors.snapshot();
        PortRange tcpRange;
        PortRange udpRange;
        try (RuntimeReservation tcp = provider.acquire(Protocol.TCP, 200);
             RuntimeReservation udp = provider.acquire(Protocol.UDP, 100)) {
            Descriptors.assertSocketsOpenedSince(baseline, 300, "one placeholder per reserved port");
            tcpRange = tcp.range();
            udpRange = udp.range();
        }
        Descriptors.assertNoneOpenedSince(baseline, "placeholders after release");
        assertBindable(Protocol.TCP, tcpRange);
        assertBindable(Protocol.UDP, udpRange);
    }

    @Test
    void tooManyPortsForTheDescriptorLimitFailsUpFront() throws Exception {
        long soft = DescriptorBudget.softLimit();
        org.junit.jupiter.api.Assumptions.assumeTrue(soft > 0 && soft < 60000, "RLIMIT_NOFILE " + soft);
        Set<String> baseline = Descriptors.snapshot();
        PortReservationException e = assertThrows(PortReservationException.class,
                () -> provider.acquire(Protocol.UDP, (int) Math.min(65535, soft)));
        assertEquals(Reason.RESOURCE_LIMIT, e.reason());
        assertTrue(e.getMessage().contains("ulimit -n"), e.getMessage());
        Descriptors.assertNoneOpenedSince(baseline, "placeholders after a refused acquire");
    }

    @Test
    void portsOfAKilledProcessAreFreeAtOnce() throws Exception {
        Process child = ExternalProcess.start(ExternalProcess.javaCommand(HoldingChild.class, "16")
                .toArray(new String[0]));
        try {
            BufferedReader out = new BufferedReader(new InputStreamReader(child.getInputStream(),
                    StandardCharsets.UTF_8));
            String line = out.readLine();
            while (line != null && !line.startsWith("HELD ") && !line.startsWith("FAILED")) {
                line = out.readLine(); // skip logging noise on stderr
            }
            assertTrue(line != null && line.startsWith("HELD "), "child said: " + line);
            PortRange range = PortRange.parse(line.substring(5));
            try (ServerSocketChannel intruder = ServerSocketChannel.open()) {
                assertThrows(BindException.class, () -> intruder.bind(new InetSocketAddress(range.start())));
            }
            child.destroyForcibly(); // SIGKILL
            assertTrue(child.waitFor(10, TimeUnit.SECONDS));
            assertEquals(137, child.exitValue());
            assertBindable(Protocol.TCP, range);
        } finally {
            child.destroyForcibly();
        }
    }

    /** Child JVM: holds a TCP block, prints it, waits to be killed. */
    public static final class HoldingChild {
        public static void main(String[] args) throws Exception {
            RuntimeReservation r = LinuxPortReservationProvider.create()
                    .acquire(Protocol.TCP, Integer.parseInt(args[0]));
            System.out.println("HELD " + r.range().format());
            System.out.flush();
            Thread.sleep(60_000);
        }
    }
}
