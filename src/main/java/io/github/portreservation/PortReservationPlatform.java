package io.github.portreservation;

/**
 * Service-provider interface: one platform's {@link PortReservationProvider}. {@link PortReservations} makes the
 * built-in {@code linux} and {@code windows} platforms directly, and finds any other one with
 * {@link java.util.ServiceLoader} ({@code META-INF/services/io.github.portreservation.PortReservationPlatform}, where
 * the jar registers the two built-in ones too). A platform class names no provider type in its fields or signatures,
 * so nothing of a provider (nor JNA) is loaded until {@link #create()}.
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
