package io.github.portreservation.micrometer;

import io.github.portreservation.PortReservationException;
import io.github.portreservation.RuntimeReservation;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tag;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.binder.MeterBinder;

import java.util.Locale;

/**
 * Micrometer gauges of one {@link RuntimeReservation}: {@code portreservation.reservation.ports.free}
 * ({@link RuntimeReservation#availablePorts()}) and {@code portreservation.reservation.ports.bound}
 * ({@link RuntimeReservation#boundPorts()}), tagged {@code reservation} (the name given here), {@code protocol} and
 * {@code range} ({@code "41230-41245"}). A closed reservation reads 0 free; the gauges hold it weakly.
 */
public final class RuntimeReservationMetrics implements MeterBinder {
    private static final String PREFIX = "portreservation.reservation.ports.";

    private final RuntimeReservation reservation;
    private final Tags tags;

    /**
     * Gauges of {@code reservation}, tagged {@code reservation=name}, {@code protocol}, {@code range} and
     * {@code extraTags}.
     *
     * @throws PortReservationException INVALID_ARGUMENT for a null reservation, name or tags
     */
    public RuntimeReservationMetrics(RuntimeReservation reservation, String name, Iterable<Tag> extraTags) {
        this.reservation = PortReservationException.checkNotNull(reservation, "reservation");
        this.tags = Tags.of("reservation", PortReservationException.checkNotNull(name, "name"),
                        "protocol", reservation.protocol().name().toLowerCase(Locale.ROOT),
                        "range", reservation.range().format())
                .and(PortReservationException.checkNotNull(extraTags, "extraTags"));
    }

    /** Gauges of {@code reservation}, tagged {@code reservation=name}, {@code protocol} and {@code range}. */
    public RuntimeReservationMetrics(RuntimeReservation reservation, String name) {
        this(reservation, name, Tags.empty());
    }

    /** Registers the two gauges with {@code registry}. */
    @Override
    public void bindTo(MeterRegistry registry) {
        Gauge.builder(PREFIX + "free", reservation, RuntimeReservation::availablePorts)
                .description("Ports of the reservation that can still be bound").baseUnit("ports").tags(tags)
                .register(registry);
        Gauge.builder(PREFIX + "bound", reservation, RuntimeReservation::boundPorts)
                .description("Ports of the reservation bound by sockets of this process").baseUnit("ports").tags(tags)
                .register(registry);
    }
}
