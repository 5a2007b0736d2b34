package io.github.portreservation;

/**
 * Service-provider interface: one platform's {@link PortReservationProvider}, found by {@link PortReservations} with
 * {@link java.util.ServiceLoader} (the jar registers {@code linux} and {@code windows} in
 * {@code META-INF/services/io.github.portreservation.PortReservationPlatform}). The API never names a platform
 * class, so it needs nothing of them (nor of JNA) until a provider is created.
 */
public interface PortReservationPlatform {

    /** The provider's name, lower case: {@code "linux"}, {@code "windows"}. */
    String name();

    /** Whether this platform's provider is the default one for an operating system named {@code osName}. */
    boolean isDefaultFor(String osName);

    /**
     * Creates the provider.
     *
     * @throws PortReservationException UNSUPPORTED when it cannot work here, with the reason
     */
    PortReservationProvider create();
}
