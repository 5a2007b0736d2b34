package io.github.portreservation.linux;

import io.github.portreservation.PortBinding;
import io.github.portreservation.Protocol;
import io.github.portreservation.ReservableSocket;
import io.github.portreservation.RuntimeReservation;
import io.github.portreservation.testing.Await;
import io.github.portreservation.testing.ExternalProcess;
import io.github.portreservation.testing.ExternalProcess.Result;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledOnOs;
import org.junit.jupiter.api.condition.OS;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.DatagramChannel;
import java.util.concurrent.atomic.AtomicInteger;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * Held ports against real other processes (socat): refused to the same user without SO_REUSEPORT and to another
 * user even with it; the same user with SO_REUSEPORT can share (the documented kernel caveat).
 */
@EnabledOnOs(OS.LINUX)
class HostileProcessTest {
    /** socat's exit status when {@code timeout} stopped it: it had bound the port and was waiting. */
    private static final int BOUND_AND_WAITING = 124;
    private final LinuxPortReservationProvider provider = LinuxPortReservationProvider.create();

    private static Result socat(boolean asNobody, String address) throws Exception {
        if (asNobody) {
            return ExternalProcess.run(10, "timeout", "1", "setpriv", "--reuid=65534", "--regid=65534",
                    "--clear-groups", "socat", address, "STDOUT");
        }
        return ExternalProcess.run(10, "timeout", "1", "socat", address, "STDOUT");
    }

    private static void assertRefused(Result r) {
        assertEquals(1, r.exitCode, r.toString());
        assertTrue(r.output.contains("Address already in use"), r.output);
    }

    @Test
    void sameUserWithoutReusePortIsRefusedTcpAndUdp() throws Exception {
        assumeTrue(ExternalProcess.isInstalled("socat"), "socat is not installed");
        try (RuntimeReservation tcp = provider.acquire(Protocol.TCP, 2);
             RuntimeReservation udp = provider.acquire(Protocol.UDP, 2)) {
            int t = tcp.range().start();
            int u = udp.range().start();
            assertRefused(socat(false, "TCP-LISTEN:" + t + ",bind=127.0.0.1"));
            assertRefused(socat(false, "TCP-LISTEN:" + t));
            assertRefused(socat(false, "TCP-LISTEN:" + t + ",reuseaddr"));
            assertRefused(socat(false, "UDP-RECV:" + u + ",bind=127.0.0.1"));
            assertRefused(socat(false, "UDP-RECV:" + u + ",reuseaddr"));
        }
    }

    @Test
    void anotherUserIsRefusedEvenWithReusePort() throws Exception {
        assumeTrue(ExternalProcess.isInstalled("socat"), "socat is not installed");
        assumeTrue(ExternalProcess.isRoot() && ExternalProcess.isInstalled("setpriv"),
                "needs root and setpriv to run socat as nobody");
        try (RuntimeReservation tcp = provider.acquire(Protocol.TCP, 1);
             RuntimeReservation udp = provider.acquire(Protocol.UDP, 1)) {
            assertRefused(socat(true, "TCP-LISTEN:" + tcp.range().start() + ",bind=127.0.0.1,reuseport"));
            assertRefused(socat(true, "UDP-RECV:" + udp.range().start() + ",bind=127.0.0.1,reuseport"));
        }
    }

    @Test
    void sameUserWithReusePortCanShareTheDocumentedCaveat() throws Exception {
        assumeTrue(ExternalProcess.isInstalled("socat"), "socat is not installed");
        try (RuntimeReservation tcp = provider.acquire(Protocol.TCP, 1)) {
            Result r = socat(false, "TCP-LISTEN:" + tcp.range().start() + ",bind=127.0.0.1,reuseport");
            assertEquals(BOUND_AND_WAITING, r.exitCode, "kernel rule changed? " + r);
        }
    }

    @Test
    void everyDatagramReachesTheRealSocketNoneThePlaceholder() throws Exception {
        InetAddress loopback = InetAddress.getLoopbackAddress();
        try (RuntimeReservation udp = provider.acquire(Protocol.UDP, 4);
             DatagramChannel real = DatagramChannel.open();
             DatagramChannel sender = DatagramChannel.open()) {
            PortBinding b = udp.bind(ReservableSocket.of(real), new InetSocketAddress(loopback, 0));
            InetSocketAddress target = new InetSocketAddress(loopback, b.port());
            real.configureBlocking(false);
            AtomicInteger received = new AtomicInteger();
            for (int batch = 0; batch < 20; batch++) {
                for (int i = 0; i < 50; i++) {
                    sender.send(ByteBuffer.wrap(new byte[] {(byte) i}), target);
                }
                int expected = (batch + 1) * 50;
                Await.until(() -> expected + " datagrams on the real socket, got " + received,
                        () -> receiveAll(real, received) >= expected);
            }
            assertEquals(1000, received.get());
        }
    }

    /** Counts the datagrams waiting on {@code channel} (non-blocking) into {@code received}; returns the total. */
    private static int receiveAll(DatagramChannel channel, AtomicInteger received) {
        ByteBuffer in = ByteBuffer.allocate(16);
        try {
            while (channel.receive(in) != null) {
                received.incrementAndGet();
                in.clear();
            }
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
        return received.get();
    }
}
