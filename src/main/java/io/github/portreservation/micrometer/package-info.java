/**
 * Micrometer integration: {@link io.github.portreservation.micrometer.ReservationPoolMetrics} (pool gauges and
 * counters) and {@link io.github.portreservation.micrometer.RuntimeReservationMetrics} (free and bound ports of a
 * reservation), as {@code MeterBinder}s. Needs {@code io.micrometer:micrometer-core} (an optional dependency of this
 * library). See docs/integrations.md.
 */
package io.github.portreservation.micrometer;
