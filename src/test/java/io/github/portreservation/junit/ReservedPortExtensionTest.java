package io.github.portreservation.junit;

import io.github.portreservation.PortRange;
import io.github.portreservation.PortReservationException;
import io.github.portreservation.PortReservationProvider;
import io.github.portreservation.PortReservations;
import io.github.portreservation.Protocol;
import io.github.portreservation.ReservableSocket;
import io.github.portreservation.RuntimeReservation;
import io.github.portreservation.pool.PortLease;
import io.github.portreservation.testing.Descriptors;
import io.github.portreservation.testing.ExternalProcess;
import io.github.portreservation.testing.HeldPorts;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.RepeatedTest;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ParameterResolutionException;
import org.junit.platform.testkit.engine.EngineTestKit;
import org.junit.platform.testkit.engine.Events;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.ByteBuffer;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Queue;
import java.util.Set;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;
import static org.junit.platform.engine.discovery.DiscoverySelectors.selectClass;

/**
 * {@link ReservedPort} as a test author uses it: sample test classes run through the JUnit platform (EngineTestKit,
 * the launcher in this JVM); while they run, their ports are held against other programs and other processes
 * running this library; after the run, every placeholder socket is closed and the same ranges can be reserved again.
 */
@Tag("adapters")
class ReservedPortExtensionTest {
    private static final InetAddress LOOPBACK = InetAddress.getLoopbackAddress();
    /** Ranges and ports the sample tests saw, read back after their run. */
    static final Queue<PortRange> SEEN = new ConcurrentLinkedQueue<>();

    @BeforeAll
    static void linuxOnlyAndWarmedUp() {
        assumeTrue(PortReservations.isAvailable(), () -> "no provider: " + PortReservations.unavailabilityCause());
        assumeTrue("linux".equals(PortReservations.provider().name()), "the samples check Linux placeholders");
        // The first run of a JVM opens sockets for good (a JDK-internal socket pair): not a leak of the first test.
        run(ServesThroughHeldPorts.class).assertStatistics(s -> s.succeeded(2));
    }

    @BeforeEach
    void forget() {
        SEEN.clear();
    }

    @Test
    void aTestGetsAHeldReservationAndLeaseThatAreFreeAfterIt() throws Exception {
        Set<String> baseline = Descriptors.snapshot();
        run(ServesThroughHeldPorts.class).assertStatistics(s -> s.started(2).succeeded(2));
        assertEquals(2, SEEN.size(), SEEN.toString());
        PortRange block = SEEN.stream().filter(r -> r.count() == 4).findFirst().orElseThrow();
        assertEquals(1, SEEN.stream().filter(r -> r.count() == 1).count(), SEEN.toString());
        assertFreeAfterTheRun(baseline);
        assertEquals(4, block.count());
    }

    @Test
    void aBeforeAllParameterIsHeldForTheWholeClass() throws Exception {
        Set<String> baseline = Descriptors.snapshot();
        run(ClassScopedReservation.class).assertStatistics(s -> s.started(3).succeeded(3));
        assertEquals(1, new HashSet<>(SEEN).size(), "one class-wide block for the three tests: " + SEEN);
        assertEquals(3, SEEN.size());
        assertFreeAfterTheRun(baseline);
    }

    @Test
    void parallelTestsGetDisjointPorts() throws Exception {
        Set<String> baseline = Descriptors.snapshot();
        Events tests = EngineTestKit.engine("junit-jupiter").selectors(selectClass(ParallelLeases.class))
                .configurationParameters(Map.of(
                        "junit.jupiter.execution.parallel.enabled", "true",
                        "junit.jupiter.execution.parallel.mode.default", "concurrent",
                        "junit.jupiter.execution.parallel.config.strategy", "fixed",
                        "junit.jupiter.execution.parallel.config.fixed.parallelism", "4"))
                .execute().testEvents();
        tests.assertStatistics(s -> s.started(8).succeeded(8));
        assertTrue(ParallelLeases.MOST_AT_ONCE.get() >= 2, "tests held their ports at once: at most "
                + ParallelLeases.MOST_AT_ONCE.get());
        List<PortRange> seen = new ArrayList<>(SEEN);
        assertEquals(16, seen.size(), "a lease and a block per test: " + seen);
        for (int i = 0; i < seen.size(); i++) {
            for (int j = i + 1; j < seen.size(); j++) {
                assertFalse(seen.get(i).overlaps(seen.get(j)), seen.get(i) + " and " + seen.get(j) + " overlap");
            }
        }
        assertFreeAfterTheRun(baseline);
    }

    @Test
    void anotherProcessRunningTheLibraryCannotReserveTheHeldPorts() throws Exception {
        run(AnotherFork.class).assertStatistics(s -> s.started(1).succeeded(1));
    }

    @Test
    void aParameterOfAnotherTypeFailsTheTestNamingTheTypes() {
        Events tests = run(WrongType.class);
        tests.assertStatistics(s -> s.started(1).failed(1));
        Throwable failure = tests.failed().stream().findFirst().orElseThrow().getRequiredPayload(
                org.junit.platform.engine.TestExecutionResult.class).getThrowable().orElseThrow();
        assertInstanceOf(ParameterResolutionException.class, failure);
        assertEquals("@ReservedPort parameter arg0 (#0) of void " + WrongType.class.getName()
                + ".port(int) has type int: it must be a RuntimeReservation (a block held for the test) or a "
                + "PortLease (one port); declare one of them and bind the server through it", failure.getMessage());
    }

    @Test
    void aBadCountFailsWithInvalidArgument() {
        Events tests = run(BadCounts.class);
        tests.assertStatistics(s -> s.started(2).failed(2));
        tests.failed().stream().map(e -> e.getRequiredPayload(org.junit.platform.engine.TestExecutionResult.class)
                .getThrowable().orElseThrow()).forEach(failure -> {
                    assertInstanceOf(ParameterResolutionException.class, failure);
                    PortReservationException cause = assertInstanceOf(PortReservationException.class,
                            failure.getCause());
                    assertEquals(PortReservationException.Reason.INVALID_ARGUMENT, cause.reason());
                });
    }

    private static Events run(Class<?> sample) {
        return EngineTestKit.engine("junit-jupiter").selectors(selectClass(sample)).execute().testEvents();
    }

    /** After the run: no placeholder socket left, and every range the samples saw can be reserved again. */
    private static void assertFreeAfterTheRun(Set<String> baseline) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
        while (!Descriptors.socketsOpenedSince(baseline).isEmpty() && System.nanoTime() < deadline) {
            Thread.sleep(5);
        }
        assertEquals(Set.of(), Descriptors.socketsOpenedSince(baseline), "sockets left by the run");
        PortReservationProvider provider = PortReservations.provider();
        for (PortRange range : new HashSet<>(SEEN)) {
            try (RuntimeReservation again = provider.acquire(Protocol.TCP, range)) {
                assertEquals(range, again.range());
            } catch (PortReservationException e) {
                // Not a leak: a client of another sample connected from an ephemeral port of a range released
                // before, and closed first (TIME_WAIT on its side); the kernel, not the library, keeps that port.
                assertEquals(PortReservationException.Reason.IN_USE, e.reason(), e.getMessage());
                assertTrue(e.getMessage().contains("is in TIME_WAIT"), e.getMessage());
            }
        }
    }

    /** A server on {@code binder}'s port 0 answers one byte; returns the port it got. */
    private static int echoOnce(io.github.portreservation.PortBinder binder) throws IOException {
        try (ServerSocketChannel server = ServerSocketChannel.open()) {
            int port = binder.bind(ReservableSocket.of(server, 8), new InetSocketAddress(LOOPBACK, 0)).port();
            Socket client = new Socket(LOOPBACK, port);
            try (SocketChannel accepted = server.accept()) {
                try (client) { // the client closes first: TIME_WAIT stays on its side, not on the reserved port
                    OutputStream out = client.getOutputStream();
                    out.write(42);
                    ByteBuffer b = ByteBuffer.allocate(1);
                    accepted.read(b);
                    accepted.write(b.flip());
                    InputStream in = client.getInputStream();
                    assertEquals(42, in.read());
                }
            }
            return port;
        }
    }

    // ---- sample test classes, run only through EngineTestKit (surefire skips nested classes) ----

    static class ServesThroughHeldPorts {
        @Test
        void reservation(@ReservedPort(count = 4) RuntimeReservation ports) throws IOException {
            SEEN.add(ports.range());
            HeldPorts.assertHeld(ports.range());
            int port = echoOnce(ports);
            assertTrue(ports.range().contains(port), port + " in " + ports.range());
        }

        @Test
        void lease(@ReservedPort PortLease lease) throws IOException {
            SEEN.add(PortRange.single(lease.port()));
            HeldPorts.assertHeld(lease.port());
            assertEquals(lease.port(), echoOnce(lease));
        }
    }

    static class ClassScopedReservation {
        static RuntimeReservation shared;

        @BeforeAll
        static void reserve(@ReservedPort(count = 2) RuntimeReservation ports) {
            shared = ports;
        }

        @RepeatedTest(3)
        void stillHeld() throws IOException {
            assertTrue(shared.isOpen());
            HeldPorts.assertHeld(shared.range());
            SEEN.add(shared.range());
        }
    }

    static class ParallelLeases {
        /** Tests holding their ports now, and the most that held them at once. */
        static final AtomicInteger HOLDING = new AtomicInteger();
        static final AtomicInteger MOST_AT_ONCE = new AtomicInteger();

        @RepeatedTest(8)
        void holds(@ReservedPort PortLease lease, @ReservedPort(count = 3) RuntimeReservation block)
                throws Exception {
            SEEN.add(PortRange.single(lease.port()));
            SEEN.add(block.range());
            int now = HOLDING.incrementAndGet();
            MOST_AT_ONCE.accumulateAndGet(now, Math::max);
            try {
                // Wait up to 2 s for four tests to hold at once. JUnit's fork-join pool may run some repetitions one
                // after another on one thread (a thread joining its forked children runs them), so this is no barrier.
                long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(2);
                while (MOST_AT_ONCE.get() < 4 && System.nanoTime() < deadline) {
                    Thread.sleep(5);
                }
                assertEquals(lease.port(), echoOnce(lease));
                HeldPorts.assertHeld(block.range());
            } finally {
                HOLDING.decrementAndGet();
            }
        }
    }

    static class AnotherFork {
        @Test
        void cannotReserve(@ReservedPort(count = 4) RuntimeReservation ports) throws Exception {
            ExternalProcess.Result r = ExternalProcess.run(60, ExternalProcess.javaCommand(ForkChild.class,
                    ports.range().format()).toArray(new String[0]));
            assertEquals("reserve " + ports.range().format() + ": IN_USE", r.output.strip(), r.toString());
        }
    }

    static class WrongType {
        @Test
        void port(@ReservedPort int port) {
        }
    }

    static class BadCounts {
        @Test
        void none(@ReservedPort(count = 0) RuntimeReservation ports) {
        }

        @Test
        void leaseOfTwo(@ReservedPort(count = 2) PortLease lease) {
        }
    }

    /** Another process running this library (as another test fork would): tries to reserve the range. */
    static final class ForkChild {
        public static void main(String[] args) {
            PortRange range = PortRange.parse(args[0]);
            try (RuntimeReservation r = PortReservations.provider().acquire(Protocol.TCP, range)) {
                System.out.println("reserve " + range.format() + ": reserved " + r.range());
            } catch (PortReservationException e) {
                System.out.println("reserve " + range.format() + ": " + e.reason());
            }
        }
    }
}
