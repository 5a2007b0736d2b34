package io.github.portreservation.micrometer;

import io.github.portreservation.PortBinding;
import io.github.portreservation.PortReservationException;
import io.github.portreservation.PortReservationException.Reason;
import io.github.portreservation.PortReservationProvider;
import io.github.portreservation.PortReservations;
import io.github.portreservation.Protocol;
import io.github.portreservation.ReservableSocket;
import io.github.portreservation.RuntimeReservation;
import io.github.portreservation.pool.PortLease;
import io.github.portreservation.pool.ReservationPool;
import io.github.portreservation.testing.Await;
import io.github.portreservation.testing.FaultySocket;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.channels.ServerSocketChannel;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/** The meters of a real pool and reservation, read back from a SimpleMeterRegistry after each step. */
@Tag("adapters")
class MicrometerMetricsTest {
    private static final InetSocketAddress LOOPBACK_ANY = new InetSocketAddress(InetAddress.getLoopbackAddress(), 0);
    private PortReservationProvider provider;
    private final SimpleMeterRegistry registry = new SimpleMeterRegistry();

    @BeforeEach
    void provider() {
        assumeTrue(PortReservations.isAvailable(), () -> "no provider: " + PortReservations.unavailabilityCause());
        provider = PortReservations.provider();
    }

    @Test
    void poolMetersFollowLeasesExhaustionQuarantineAndBlocks() throws Exception {
        ReservationPool pool = ReservationPool.builder(provider, Protocol.TCP).blockSize(4).maxBlocks(1).build();
        new ReservationPoolMetrics(pool, "http", Tags.of("app", "test")).bindTo(registry);
        assertEquals(pool(0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0), poolMeters());
        List<PortLease> leases = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            leases.add(pool.lease());
        }
        assertEquals(pool(3, 1, 0, 4, 1, 0, 3, 0, 0, 0, 1, 0), poolMeters());
        try (ServerSocketChannel taken = ServerSocketChannel.open()) {
            // The last free port looks taken by another process: quarantined, then nothing is left.
            PortReservationException e = assertThrows(PortReservationException.class, () -> pool.bind(
                    new FaultySocket(ReservableSocket.of(taken, 0), FaultySocket.Fault.PORT_TAKEN), LOOPBACK_ANY));
            assertEquals(Reason.EXHAUSTED, e.reason());
        }
        assertEquals(pool(3, 0, 1, 3, 1, 0, 4, 1, 1, 0, 1, 0), poolMeters());
        assertEquals(Reason.EXHAUSTED, assertThrows(PortReservationException.class, pool::lease).reason());
        assertEquals(pool(3, 0, 1, 3, 1, 0, 4, 2, 1, 0, 1, 0), poolMeters());
        leases.remove(0).close();
        assertEquals(pool(2, 1, 1, 3, 1, 0, 4, 2, 1, 0, 1, 0), poolMeters());
        leases.forEach(PortLease::close);
        pool.close();
        pool.terminationFuture().get();
        assertEquals(pool(0, 0, 0, 0, 0, 0, 4, 2, 1, 0, 1, 1), poolMeters());
    }

    @Test
    void waitersAndTimeoutsAreCounted() throws Exception {
        ReservationPool pool = ReservationPool.builder(provider, Protocol.UDP).blockSize(1).maxBlocks(1)
                .waitWhenExhausted(Duration.ofSeconds(10)).build();
        new ReservationPoolMetrics(pool, "rtp").bindTo(registry);
        PortLease first = pool.lease();
        CompletableFuture<PortLease> waiting = CompletableFuture.supplyAsync(pool::lease);
        Await.assertEventually(1.0, () -> value("portreservation.pool.waiters", "rtp"), "waiters");
        first.close();
        try (PortLease second = waiting.get()) {
            assertEquals(first.port(), second.port());
            assertEquals(0.0, value("portreservation.pool.waiters", "rtp"));
            assertEquals("udp", registry.get("portreservation.pool.waiters").gauge().getId().getTag("protocol"));
        }
        pool.close();

        ReservationPool impatient = ReservationPool.builder(provider, Protocol.TCP).blockSize(1).maxBlocks(1)
                .waitWhenExhausted(Duration.ofMillis(20)).build();
        new ReservationPoolMetrics(impatient, "impatient").bindTo(registry);
        try (PortLease only = impatient.lease()) {
            assertEquals(Reason.TIMEOUT, assertThrows(PortReservationException.class, impatient::lease).reason());
            assertEquals(1.0, registry.get("portreservation.pool.timeouts").tags("pool", "impatient")
                    .functionCounter().count());
            assertEquals(0.0, registry.get("portreservation.pool.exhaustions").tags("pool", "impatient")
                    .functionCounter().count());
        }
        impatient.close();
    }

    @Test
    void reservationGaugesFollowBindsAndClose() throws Exception {
        RuntimeReservation reservation = provider.acquire(Protocol.TCP, 4);
        new RuntimeReservationMetrics(reservation, "admin").bindTo(registry);
        String range = reservation.range().format();
        assertEquals(range, registry.get("portreservation.reservation.ports.free").gauge().getId().getTag("range"));
        assertEquals(List.of(4.0, 0.0), reservationMeters());
        try (ServerSocketChannel a = ServerSocketChannel.open(); ServerSocketChannel b = ServerSocketChannel.open()) {
            PortBinding bound = reservation.bind(ReservableSocket.of(a, 0), LOOPBACK_ANY);
            reservation.bind(ReservableSocket.of(b, 0), LOOPBACK_ANY);
            assertEquals(List.of(2.0, 2.0), reservationMeters());
            a.close();
            bound.close();
            assertEquals(List.of(3.0, 1.0), reservationMeters());
        }
        reservation.close();
        assertEquals(0.0, reservationMeters().get(0));
    }

    private static Map<String, Double> pool(double leased, double free, double quarantined, double capacity,
                                            double blocks, double waiters, double leases, double exhaustions,
                                            double failures, double timeouts, double acquired, double released) {
        Map<String, Double> m = new TreeMap<>();
        m.put("ports.leased", leased);
        m.put("ports.free", free);
        m.put("ports.quarantined", quarantined);
        m.put("ports.capacity", capacity);
        m.put("blocks", blocks);
        m.put("waiters", waiters);
        m.put("leases", leases);
        m.put("exhaustions", exhaustions);
        m.put("failures", failures);
        m.put("timeouts", timeouts);
        m.put("blocks.acquired", acquired);
        m.put("blocks.released", released);
        return m;
    }

    /** Every pool meter of the "http" pool, read through the registry by name and tags. */
    private Map<String, Double> poolMeters() {
        Map<String, Double> m = new TreeMap<>();
        for (String gauge : List.of("ports.leased", "ports.free", "ports.quarantined", "ports.capacity", "blocks",
                "waiters")) {
            m.put(gauge, value("portreservation.pool." + gauge, "http"));
        }
        for (String counter : List.of("leases", "exhaustions", "failures", "timeouts", "blocks.acquired",
                "blocks.released")) {
            m.put(counter, registry.get("portreservation.pool." + counter)
                    .tags("pool", "http", "protocol", "tcp", "app", "test").functionCounter().count());
        }
        return m;
    }

    private double value(String gauge, String pool) {
        return registry.get(gauge).tags("pool", pool).gauge().value();
    }

    private List<Double> reservationMeters() {
        return List.of(registry.get("portreservation.reservation.ports.free").tags("reservation", "admin",
                        "protocol", "tcp").gauge().value(),
                registry.get("portreservation.reservation.ports.bound").tags("reservation", "admin").gauge().value());
    }
}
