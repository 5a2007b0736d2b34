package io.github.portreservation;

import io.github.portreservation.PortReservationException.Reason;

import java.lang.reflect.InvocationTargetException;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.ServiceLoader;

/**
 * The platforms of {@link PortReservations}: the two built in ({@code linux}, {@code windows}) made from their class
 * names (the API names no platform class), and any other one that {@link ServiceLoader} finds on the class path,
 * looked for only when a name or an operating system is not a built-in one. ServiceLoader reads {@code META-INF/services} through the class loader's resource URLs (the
 * {@code jar:} URL handler and its connection classes), which cost a cold start about 3 ms (StartupSteps); a Linux or
 * Windows application never pays it.
 */
final class ProviderLookup {
    private ProviderLookup() {
    }

    /** The platform named {@code key} (lower case), or null. */
    static PortReservationPlatform named(String key) {
        if (key.equals(PortReservations.LINUX)) {
            return builtIn("io.github.portreservation.linux.LinuxPlatform");
        }
        if (key.equals(PortReservations.WINDOWS)) {
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
            return Class.forName(className, true, ProviderLookup.class.getClassLoader())
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
        if (os.contains("linux")) {
            return PortReservations.LINUX;
        }
        if (os.contains("windows")) {
            return PortReservations.WINDOWS;
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
        List<String> names = new ArrayList<>(List.of(PortReservations.LINUX, PortReservations.WINDOWS));
        for (PortReservationPlatform p : Discovered.PLATFORMS) {
            String name = p.name().toLowerCase(Locale.ROOT);
            if (!names.contains(name)) {
                names.add(name);
            }
        }
        return names;
    }

    /** The platforms registered in {@code META-INF/services}, read on first use. */
    private static final class Discovered {
        static final List<PortReservationPlatform> PLATFORMS = load();

        private static List<PortReservationPlatform> load() {
            List<PortReservationPlatform> found = new ArrayList<>();
            for (PortReservationPlatform p : ServiceLoader.load(PortReservationPlatform.class,
                    ProviderLookup.class.getClassLoader())) {
                found.add(p);
            }
            return List.copyOf(found);
        }
    }
}
