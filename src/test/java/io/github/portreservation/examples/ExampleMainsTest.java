package io.github.portreservation.examples;

import io.github.portreservation.testing.StubProvider;
import io.github.portreservation.PortReservations;
import io.github.portreservation.testing.RequiresProvider;
import io.github.portreservation.PortReservationProvider;
import io.github.portreservation.PortRange;
import io.github.portreservation.Protocol;
import io.github.portreservation.RuntimeReservation;
import io.github.portreservation.testing.ExternalProcess;
import io.github.portreservation.testing.HeldPorts;
import io.github.portreservation.testing.ExternalProcess.Result;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledOnOs;
import org.junit.jupiter.api.condition.OS;

import java.io.BufferedReader;
import java.io.ByteArrayOutputStream;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static io.github.portreservation.examples.ExampleTestSupport.pattern;
import static io.github.portreservation.examples.ExampleTestSupport.tcpRoundTrip;
import static io.github.portreservation.examples.ExampleTestSupport.udpRoundTrip;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The examples' {@code main} methods as a user runs them: each in its own JVM, driven by real clients on 127.0.0.1,
 * then stopped with SIGTERM (its shutdown hook closes the servers and reservations). The ports are held by that
 * process: this JVM cannot bind them while it runs.
 */
@EnabledOnOs(OS.LINUX)
class ExampleMainsTest {
    private static final Pattern TCP_ECHO =
            Pattern.compile("TCP echo on 127\\.0\\.0\\.1:(\\d+), reserved block (\\S+)");
    private static final Pattern UDP_ECHO =
            Pattern.compile("UDP echo on 127\\.0\\.0\\.1:(\\d+), reserved block (\\S+)");
    private static final Pattern PROXY = Pattern.compile("proxy listeners on 127\\.0\\.0\\.1 ports \\[([\\d, ]+)\\]");
    private static final Pattern RTP_SESSION =
            Pattern.compile("RTP relay session \\d+: RTP 127\\.0\\.0\\.1:(\\d+), RTCP 127\\.0\\.0\\.1:(\\d+)");

    /** A child JVM running an example, with its output lines readable as they come. */
    private static final class Child implements AutoCloseable {
        final Process process;
        final BlockingQueue<String> lines = new LinkedBlockingQueue<>();
        final StringBuilder all = new StringBuilder();

        Child(Class<?> main, String... args) throws Exception {
            process = ExternalProcess.start(ExternalProcess.javaCommand(main, args).toArray(new String[0]));
            Thread reader = new Thread(() -> {
                try (BufferedReader r = new BufferedReader(new InputStreamReader(process.getInputStream(),
                        StandardCharsets.UTF_8))) {
                    for (String line; (line = r.readLine()) != null; ) {
                        synchronized (all) {
                            all.append(line).append('\n');
                        }
                        lines.add(line);
                    }
                } catch (java.io.IOException ignored) {
                    // the process ended
                }
            }, "child-output");
            reader.setDaemon(true);
            reader.start();
        }

        Matcher await(Pattern p) throws InterruptedException {
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
            while (System.nanoTime() < deadline) {
                String line = lines.poll(100, TimeUnit.MILLISECONDS);
                if (line != null) {
                    Matcher m = p.matcher(line);
                    if (m.find()) {
                        return m;
                    }
                }
            }
            throw new AssertionError("no line matching " + p + " in: " + output());
        }

        String output() {
            synchronized (all) {
                return all.toString();
            }
        }

        /** SIGTERM, as Ctrl-C or a service manager would stop it; returns the exit code. */
        int stop() throws InterruptedException {
            process.destroy();
            assertTrue(process.waitFor(20, TimeUnit.SECONDS), "the example did not stop: " + output());
            return process.exitValue();
        }

        @Override
        public void close() {
            process.destroyForcibly();
        }
    }

    @Test
    @RequiresProvider
    void tcpAndUdpEchoMainsServeUntilStopped() throws Exception {
        try (Child tcp = new Child(TcpEchoServer.class, "--ports", "4");
             Child udp = new Child(UdpEchoServer.class, "--ports", "4")) {
            Matcher t = tcp.await(TCP_ECHO);
            Matcher u = udp.await(UDP_ECHO);
            int tcpPort = Integer.parseInt(t.group(1));
            int udpPort = Integer.parseInt(u.group(1));
            assertTrue(PortRange.parse(t.group(2)).contains(tcpPort), t.group());
            assertTrue(PortRange.parse(u.group(2)).contains(udpPort), u.group());
            byte[] m = pattern(10_000, 1);
            assertArrayEquals(m, tcpRoundTrip(ExampleSupport.loopback(tcpPort), m));
            assertArrayEquals(pattern(500, 2), udpRoundTrip(ExampleSupport.loopback(udpPort), pattern(500, 2)));
            EchoServersTest.assertHeldAgainstPlainSocket(PortRange.parse(t.group(2)).start());
            assertEquals(143, tcp.stop(), "stopped by SIGTERM through its shutdown hook: " + tcp.output());
            assertEquals(143, udp.stop(), udp.output());
        }
    }

    @Test
    @RequiresProvider
    void proxyMainForwardsThroughEveryListener() throws Exception {
        try (Child proxy = new Child(TcpProxy.class, "--listeners", "3")) {
            Matcher m = proxy.await(PROXY);
            String[] ports = m.group(1).split(", ");
            assertEquals(3, ports.length, m.group());
            for (String port : ports) {
                byte[] message = pattern(30_000, port.hashCode());
                assertArrayEquals(message, tcpRoundTrip(ExampleSupport.loopback(Integer.parseInt(port)), message));
            }
            assertEquals(143, proxy.stop(), proxy.output());
        }
    }

    @Test
    @RequiresProvider
    void rtpRelayMainRelaysOnReservedPairsUntilStopped() throws Exception {
        try (Child relay = new Child(RtpRelay.class, "--sessions", "2")) {
            for (int session = 0; session < 2; session++) {
                Matcher m = relay.await(RTP_SESSION);
                int rtp = Integer.parseInt(m.group(1));
                int rtcp = Integer.parseInt(m.group(2));
                assertEquals(0, rtp % 2, m.group());
                assertEquals(rtp + 1, rtcp, m.group());
                byte[] packet = RtpRelayTest.rtpPacket(0x77, session);
                assertArrayEquals(packet, udpRoundTrip(ExampleSupport.loopback(rtp), packet));
                byte[] report = RtpRelayTest.rtcpReceiverReport(0x77);
                assertArrayEquals(report, udpRoundTrip(ExampleSupport.loopback(rtcp), report));
                HeldPorts.assertUdpHeld(rtp);
                HeldPorts.assertUdpHeld(rtcp);
            }
            assertEquals(143, relay.stop(), "stopped by SIGTERM through its shutdown hook: " + relay.output());
        }
    }

    @Test
    @RequiresProvider
    void clientMainUsesTheSourcePortsItWasGiven() throws Exception {
        PortReservationProvider provider = PortReservations.provider();
        PortRange block;
        try (RuntimeReservation probe = provider.acquire(Protocol.TCP, 4)) {
            block = probe.range(); // a block that was free a moment ago; released for the child to take
        }
        Result r = ExternalProcess.run(60, ExternalProcess.javaCommand(ReservedSourcePortClient.class,
                "--source-ports", block.format(), "--connections", "3").toArray(new String[0]));
        assertEquals(0, r.exitCode, r.output);
        assertTrue(r.output.contains("source ports reserved: " + block), r.output);
        Matcher from = Pattern.compile("connection (\\d) from 127\\.0\\.0\\.1:(\\d+): hello \\1 in").matcher(r.output);
        int n = 0;
        while (from.find()) {
            assertTrue(block.contains(Integer.parseInt(from.group(2))), from.group());
            n++;
        }
        assertEquals(3, n, r.output);
    }

    @Test
    void toolListOnWindowsPointsToNetsh() {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        int code = new ReservationTool(new StubProvider("windows"), new PrintStream(out, true, StandardCharsets.UTF_8),
                System.err).run("list");
        assertEquals(ReservationTool.OK, code);
        String text = out.toString(StandardCharsets.UTF_8);
        assertTrue(text.contains("netsh int ipv4 show excludedportrange protocol=tcp"), text);
        assertTrue(text.contains("Windows has no call that lists persistent reservations"), text);
    }

}
