package io.github.portreservation.micrometer;

import io.github.portreservation.PortReservationException;
import io.github.portreservation.pool.PoolStatistics;
import io.github.portreservation.pool.ReservationPool;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tag;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.binder.MeterBinder;

import java.util.Locale;
import java.util.function.ToDoubleFunction;

/**
 * Micrometer meters of a {@link ReservationPool}, read from {@link ReservationPool#statistics()} at each scrape, tagged
 * {@code pool} (the name given here) and {@code protocol} ({@code tcp}, {@code udp}):
 *
 * <table>
 *   <caption>meters</caption>
 *   <tr><th>name</th><th>type</th><th>value</th></tr>
 *   <tr><td>{@code portreservation.pool.ports.leased}</td><td>gauge</td><td>ports leased now</td></tr>
 *   <tr><td>{@code portreservation.pool.ports.free}</td><td>gauge</td><td>ports free to lease (now or after their
 *       cooldown)</td></tr>
 *   <tr><td>{@code portreservation.pool.ports.quarantined}</td><td>gauge</td><td>ports taken out of use</td></tr>
 *   <tr><td>{@code portreservation.pool.ports.capacity}</td><td>gauge</td><td>leased + free</td></tr>
 *   <tr><td>{@code portreservation.pool.blocks}</td><td>gauge</td><td>blocks held</td></tr>
 *   <tr><td>{@code portreservation.pool.waiters}</td><td>gauge</td><td>lease requests waiting</td></tr>
 *   <tr><td>{@code portreservation.pool.leases}</td><td>counter</td><td>leases granted</td></tr>
 *   <tr><td>{@code portreservation.pool.exhaustions}</td><td>counter</td><td>requests refused: no port, no
 *       growth</td></tr>
 *   <tr><td>{@code portreservation.pool.timeouts}</td><td>counter</td><td>requests that waited too long</td></tr>
 *   <tr><td>{@code portreservation.pool.failures}</td><td>counter</td><td>refused binds and failed block
 *       acquisitions</td></tr>
 *   <tr><td>{@code portreservation.pool.blocks.acquired}</td><td>counter</td><td>blocks acquired</td></tr>
 *   <tr><td>{@code portreservation.pool.blocks.released}</td><td>counter</td><td>blocks released</td></tr>
 * </table>
 *
 * <p>The meters hold the pool weakly, as Micrometer's own binders do: a pool that is gone reads NaN. Each meter takes
 * its own snapshot (one short lock of the pool per meter and scrape).
 */
public final class ReservationPoolMetrics implements MeterBinder {
    private static final String PREFIX = "portreservation.pool.";

    private final ReservationPool pool;
    private final Tags tags;

    /**
     * Meters of {@code pool}, tagged {@code pool=name}, {@code protocol} and {@code extraTags}.
     *
     * @throws PortReservationException INVALID_ARGUMENT for a null pool, name or tags
     */
    public ReservationPoolMetrics(ReservationPool pool, String name, Iterable<Tag> extraTags) {
        this.pool = PortReservationException.checkNotNull(pool, "pool");
        this.tags = Tags.of("pool", PortReservationException.checkNotNull(name, "name"),
                        "protocol", pool.protocol().name().toLowerCase(Locale.ROOT))
                .and(PortReservationException.checkNotNull(extraTags, "extraTags"));
    }

    /** Meters of {@code pool}, tagged {@code pool=name} and {@code protocol}. */
    public ReservationPoolMetrics(ReservationPool pool, String name) {
        this(pool, name, Tags.empty());
    }

    /** Registers the meters of the class comment with {@code registry}. */
    @Override
    public void bindTo(MeterRegistry registry) {
        gauge(registry, "ports.leased", "Ports leased now", PoolStatistics::leased);
        gauge(registry, "ports.free", "Ports free to lease, now or after their cooldown", PoolStatistics::free);
        gauge(registry, "ports.quarantined", "Ports taken out of use: another socket held them",
                PoolStatistics::quarantined);
        gauge(registry, "ports.capacity", "Ports of the held blocks that can be leased", PoolStatistics::capacity);
        gauge(registry, "blocks", "Blocks (runtime reservations) held", PoolStatistics::blocks);
        gauge(registry, "waiters", "Lease requests waiting for a port", PoolStatistics::waiters);
        counter(registry, "leases", "Leases granted", PoolStatistics::leasesGranted);
        counter(registry, "exhaustions", "Lease requests refused: no free port and no growth",
                PoolStatistics::exhaustions);
        counter(registry, "timeouts", "Lease requests that waited longer than the timeout", PoolStatistics::timeouts);
        counter(registry, "failures", "Binds refused by the system and blocks that could not be acquired",
                PoolStatistics::failures);
        counter(registry, "blocks.acquired", "Blocks acquired", PoolStatistics::blocksAcquired);
        counter(registry, "blocks.released", "Blocks released", PoolStatistics::blocksReleased);
    }

    private void gauge(MeterRegistry registry, String name, String description, ToDoubleFunction<PoolStatistics> f) {
        Gauge.builder(PREFIX + name, pool, p -> f.applyAsDouble(p.statistics())).description(description)
                .baseUnit(name.startsWith("ports") ? "ports" : null).tags(tags).register(registry);
    }

    private void counter(MeterRegistry registry, String name, String description, ToDoubleFunction<PoolStatistics> f) {
        FunctionCounter.builder(PREFIX + name, pool, p -> f.applyAsDouble(p.statistics())).description(description)
                .tags(tags).register(registry);
    }
}
