package io.github.portreservation;

import io.github.portreservation.PortReservationException.Reason;

import java.lang.reflect.InvocationTargetException;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.ServiceLoader;
import java.util.concurrent.ConcurrentHashMap;

import static io.github.portreservation.PortReservationException.checkNotNull;

/**
 * Entry point: the port-reservation provider of the running platform, with an availability facade in the style of
 * Netty's {@code Epoll} ({@link #isAvailable()}, {@link #ensureAvailability()}, {@link #unavailabilityCause()}).
 *
 * <p>Providers come from the built-in Linux and Windows platforms, and from any {@link PortReservationPlatform} that
 * {@link ServiceLoader} finds (looked for only for another name or operating system). The default
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
        PortReservationProvider created = create(key);
        if (created == null) {
            throw PortReservationException.invalidArgument("provider name \"" + name + "\"",
                    "the platforms found on the class path are " + names(),
                    "fix the name (or the -D" + PROVIDER_PROPERTY + " system property)");
        }
        PortReservationProvider raced = PROVIDERS.putIfAbsent(key, created);
        return raced != null ? raced : created;
    }

    /**
     * A new provider of the platform named {@code key} (lower case), or null when no platform has that name. The
     * two built in are made from their platform's class name (the API names no platform class, and Windows names JNA
     * only in its provider), without {@link ServiceLoader}: its {@code META-INF/services} reads go through the class
     * loader's resource URLs (the {@code jar:} URL handler and its connection classes, about 3 ms of a cold start:
     * StartupSteps), so a Linux or Windows application never pays them. Any other name is looked for with
     * ServiceLoader.
     *
     * @throws PortReservationException UNSUPPORTED when the platform cannot work here, with the reason
     */
    static PortReservationProvider create(String key) {
        PortReservationPlatform platform = platform(key);
        return platform == null ? null : platform.create();
    }

    /** The platform named {@code key} (lower case), or null. */
    static PortReservationPlatform platform(String key) {
        if (key.equals(LINUX)) {
            return builtIn("io.github.portreservation.linux.LinuxPlatform");
        }
        if (key.equals(WINDOWS)) {
            return builtIn("io.github.portreservation.windows.WindowsPlatform"); // names no JNA type
        }
        for (PortReservationPlatform p : Discovered.PLATFORMS) {
            if (p.name().equals(key)) {
                return p;
            }
        }
        return null;
    }

    /** A built-in platform of this jar, by its class name. */
    private static PortReservationPlatform builtIn(String className) {
        try {
            return Class.forName(className, true, PortReservations.class.getClassLoader())
                    .asSubclass(PortReservationPlatform.class).getDeclaredConstructor().newInstance();
        } catch (ClassNotFoundException | NoSuchMethodException | InstantiationException | IllegalAccessException
                 | InvocationTargetException | ClassCastException | LinkageError e) {
            throw new PortReservationException(Reason.UNSUPPORTED, "the built-in platform " + className
                    + " cannot be loaded (" + e + "); use the library's jar whole, as published (a shaded or "
                    + "minimized jar must keep io.github.portreservation.linux and .windows)", e);
        }
    }

    /** The name of the default platform for {@code osName}, or null when none claims it. */
    static String defaultFor(String osName) {
        String os = osName.toLowerCase(Locale.ROOT);
        if (os.contains(LINUX)) {
            return LINUX;
        }
        if (os.contains(WINDOWS)) {
            return WINDOWS;
        }
        for (PortReservationPlatform p : Discovered.PLATFORMS) {
            if (p.isDefaultFor(osName)) {
                return p.name();
            }
        }
        return null;
    }

    /** The names of every platform, built in first, for messages. */
    static List<String> names() {
        List<String> names = new ArrayList<>(List.of(LINUX, WINDOWS));
        for (PortReservationPlatform p : Discovered.PLATFORMS) {
            String name = p.name().toLowerCase(Locale.ROOT);
            if (!names.contains(name)) {
                names.add(name);
            }
        }
        return names;
    }

    private static String platformName() {
        String os = System.getProperty("os.name", "");
        String name = defaultFor(os);
        if (name == null) {
            throw new PortReservationException(Reason.UNSUPPORTED, "no port-reservation provider for " + os
                    + ": supported are Linux (held sockets, ip_local_reserved_ports) and Windows "
                    + "(SIO_ACQUIRE_PORT_RESERVATION, persistent reservations); platforms found: "
                    + names());
        }
        return name;
    }

    /** The platforms registered in {@code META-INF/services}, read on first use. */
    private static final class Discovered {
        static final List<PortReservationPlatform> PLATFORMS = load();

        private static List<PortReservationPlatform> load() {
            List<PortReservationPlatform> found = new ArrayList<>();
            for (PortReservationPlatform p : ServiceLoader.load(PortReservationPlatform.class,
                    PortReservations.class.getClassLoader())) {
                found.add(p);
            }
            return List.copyOf(found);
        }
    }
}
