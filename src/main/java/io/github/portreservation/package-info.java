/**
 * The API: ranges ({@link io.github.portreservation.PortRange}), protocols, tokens, runtime and persistent
 * reservations, the binder contract ({@link io.github.portreservation.PortBinder}), the one exception type with its
 * reasons, and the entry point {@link io.github.portreservation.PortReservations}. It needs only the JDK: platform
 * providers are found with {@link java.util.ServiceLoader} ({@link io.github.portreservation.PortReservationPlatform}).
 */
package io.github.portreservation;
