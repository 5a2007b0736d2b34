package io.github.portreservation;

import io.github.portreservation.PortReservationException.Reason;

import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

import static io.github.portreservation.PortReservationException.checkNotNull;

/**
 * Entry point: the port-reservation provider of the running platform, with an availability facade in the style of
 * Netty's {@code Epoll} ({@link #isAvailable()}, {@link #ensureAvailability()}, {@link #unavailabilityCause()}).
 *
 * <p>Providers come from {@link PortReservationPlatform}s: the built-in Linux and Windows ones, and any other one
 * that {@link java.util.ServiceLoader} finds (looked for only for another name or operating system). The default
 * provider is chosen from {@code os.name}; the system property
 * {@value #PROVIDER_PROPERTY}
 * ({@code linux} or {@code windows}) overrides it, and {@link #provider(String)} picks one explicitly. Each named
 * provider is created once per class loader, so tokens acquired through it stay valid for every caller.
 */
public final class PortReservations {
    /** System property naming the default provider: {@code linux} or {@code windows}. */
    public static final String PROVIDER_PROPERTY = "io.github.portreservation.provider";
    /** Name of the Linux provider. */
    public static final String LINUX = "linux";
    /** Name of the Windows provider. */
    public static final String WINDOWS = "windows";

    private static final Map<String, PortReservationProvider> PROVIDERS = new ConcurrentHashMap<>();
    private static final PortReservationProvider DEFAULT;
    private static final Throwable UNAVAILABILITY_CAUSE;

    static {
        PortReservationProvider provider = null;
        Throwable cause = null;
        try {
            provider = provider(System.getProperty(PROVIDER_PROPERTY, platformName()));
        } catch (Throwable t) {
            cause = t;
        }
        DEFAULT = provider;
        UNAVAILABILITY_CAUSE = cause;
    }

    private PortReservations() {
    }

    /** Whether a provider works on this platform. */
    public static boolean isAvailable() {
        return UNAVAILABILITY_CAUSE == null;
    }

    /**
     * Throws when no provider works here.
     *
     * @throws PortReservationException UNSUPPORTED, with the reason as cause
     */
    public static void ensureAvailability() {
        if (UNAVAILABILITY_CAUSE != null) {
            throw new PortReservationException(Reason.UNSUPPORTED, "port reservations are not available here: "
                    + UNAVAILABILITY_CAUSE.getMessage(), UNAVAILABILITY_CAUSE);
        }
    }

    /** Why no provider works here, or null when one does. */
    public static Throwable unavailabilityCause() {
        return UNAVAILABILITY_CAUSE;
    }

    /**
     * The default provider of this platform.
     *
     * @throws PortReservationException UNSUPPORTED when {@link #isAvailable()} is false
     */
    public static PortReservationProvider provider() {
        ensureAvailability();
        return DEFAULT;
    }

    /**
     * The provider named {@code name} ({@value #LINUX} or {@value #WINDOWS}), created on first use.
     *
     * @throws PortReservationException INVALID_ARGUMENT for another name, UNSUPPORTED when it cannot work here
     */
    public static PortReservationProvider provider(String name) {
        checkNotNull(name, "name");
        String key = name.trim().toLowerCase(Locale.ROOT);
        PortReservationProvider existing = PROVIDERS.get(key);
        if (existing != null) {
            return existing;
        }
        PortReservationPlatform platform = ProviderLookup.named(key);
        if (platform == null) {
            throw PortReservationException.invalidArgument("provider name \"" + name + "\"",
                    "the platforms found on the class path are " + ProviderLookup.names(),
                    "fix the name (or the -D" + PROVIDER_PROPERTY + " system property)");
        }
        PortReservationProvider created = platform.create();
        PortReservationProvider raced = PROVIDERS.putIfAbsent(key, created);
        return raced != null ? raced : created;
    }

    private static String platformName() {
        String os = System.getProperty("os.name", "");
        String name = ProviderLookup.defaultFor(os);
        if (name == null) {
            throw new PortReservationException(Reason.UNSUPPORTED, "no port-reservation provider for " + os
                    + ": supported are Linux (held sockets, ip_local_reserved_ports) and Windows "
                    + "(SIO_ACQUIRE_PORT_RESERVATION, persistent reservations); platforms found: "
                    + ProviderLookup.names());
        }
        return name;
    }
}
