package io.github.portreservation.examples;

import io.github.portreservation.Protocol;
import io.github.portreservation.RuntimeReservation;
import io.github.portreservation.pool.ReservationPool;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledOnOs;
import org.junit.jupiter.api.condition.OS;
import org.testcontainers.DockerClientFactory;
import org.testcontainers.containers.GenericContainer;
import org.testcontainers.containers.startupcheck.OneShotStartupCheckStrategy;
import org.testcontainers.junit.jupiter.Testcontainers;
import org.testcontainers.utility.DockerImageName;

import java.time.Duration;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * Containerized real clients (busybox {@code nc} in the locally built image {@code local/busybox:1}, host networking,
 * 127.0.0.1 only) against the examples on reserved ports, and a containerized {@code nc -l} that tries to bind a
 * reserved port and is refused. Skipped without Docker; {@code .ci/run} starts an engine and builds the image.
 *
 * <p>The container's processes run as root (UID 0), the same UID as this JVM in CI, and there is no user namespace:
 * the kernel would let them share a held port <em>with</em> SO_REUSEPORT (the same-user caveat). busybox {@code nc}
 * does not set SO_REUSEPORT, so its bind is refused. busybox {@code nc} has no UDP mode (no {@code -u}) in this build;
 * the UDP example is driven by socat in {@link SocatClientsTest}.
 */
@EnabledOnOs(OS.LINUX)
@Testcontainers(disabledWithoutDocker = true)
class ContainerClientsTest extends LoopbackExampleTest {
    private static final DockerImageName BUSYBOX = DockerImageName.parse("local/busybox:1");

    @BeforeAll
    static void needTheImage() {
        boolean present;
        try {
            DockerClientFactory.instance().client().inspectImageCmd(BUSYBOX.asCanonicalNameString()).exec();
            present = true;
        } catch (RuntimeException e) {
            present = false;
        }
        assumeTrue(present, "image local/busybox:1 is missing: .ci/run builds it from the busybox-static package");
    }

    /** Runs {@code script} in a busybox container on the host network; returns its output once it exited. */
    private static String runInContainer(String script) {
        try (GenericContainer<?> c = new GenericContainer<>(BUSYBOX)
                .withImagePullPolicy(image -> false)
                .withNetworkMode("host")
                .withCommand("sh", "-c", script)
                .withStartupCheckStrategy(new OneShotStartupCheckStrategy().withTimeout(Duration.ofSeconds(30)))) {
            c.start();
            return c.getLogs();
        }
    }

    @Test
    void containerizedNcGetsTheEchoFromTheReservedTcpPort() throws Exception {
        try (RuntimeReservation ports = provider.acquire(Protocol.TCP, 2)) {
            TcpEchoServer echo = TcpEchoServer.start(group, ports, ExampleSupport.loopback(0));
            String out = runInContainer("echo hello-from-a-container | nc -w 5 127.0.0.1 " + echo.port());
            assertEquals("hello-from-a-container\n", out);
            assertEquals(1, echo.connections());
            echo.close();
        }
    }

    @Test
    void containerizedNcThroughTheProxyListeners() throws Exception {
        ReservationPool pool = ReservationPool.builder(provider, Protocol.TCP).blockSize(2).build();
        try (RuntimeReservation backendPorts = provider.acquire(Protocol.TCP, 1)) {
            TcpEchoServer backend = TcpEchoServer.start(group, backendPorts, ExampleSupport.loopback(0));
            TcpProxy proxy = TcpProxy.start(group, pool, 2, backend.localAddress());
            StringBuilder script = new StringBuilder();
            for (int port : proxy.ports()) {
                script.append("echo via-").append(port).append(" | nc -w 5 127.0.0.1 ").append(port).append("; ");
            }
            String out = runInContainer(script.toString());
            assertEquals("via-" + proxy.ports().get(0) + "\nvia-" + proxy.ports().get(1) + "\n", out);
            assertEquals(2, backend.connections());
            proxy.close();
            backend.close();
        } finally {
            pool.close();
        }
    }

    @Test
    void containerizedNcListenOnAReservedPortIsRefused() throws Exception {
        try (RuntimeReservation ports = provider.acquire(Protocol.TCP, 2)) {
            TcpEchoServer echo = TcpEchoServer.start(group, ports, ExampleSupport.loopback(0));
            int free = echo.port() == ports.range().start() ? ports.range().end() : ports.range().start();
            for (int port : new int[] {echo.port(), free}) {
                // timeout stops an nc that did get the port (exit 143): that would be a failure
                String out = runInContainer("id -u; timeout 3 nc -l -p " + port + " 2>&1; echo exit=$?");
                assertTrue(out.startsWith("0\n"), "the container runs as UID 0: " + out);
                assertTrue(out.contains("nc: bind: Address already in use"), "port " + port + ": " + out);
                assertTrue(out.trim().endsWith("exit=1"), out);
            }
            echo.close();
        }
    }
}
