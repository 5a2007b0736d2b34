package io.github.portreservation;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.ServiceLoader;

/** The platforms this class loader offers, found once with {@link ServiceLoader}; see {@link PortReservations}. */
final class ProviderLookup {
    private static final List<PortReservationPlatform> PLATFORMS = load();

    private ProviderLookup() {
    }

    private static List<PortReservationPlatform> load() {
        List<PortReservationPlatform> found = new ArrayList<>();
        for (PortReservationPlatform p : ServiceLoader.load(PortReservationPlatform.class,
                ProviderLookup.class.getClassLoader())) {
            found.add(p);
        }
        return List.copyOf(found);
    }

    /** The platform named {@code key} (lower case), or null. */
    static PortReservationPlatform named(String key) {
        for (PortReservationPlatform p : PLATFORMS) {
            if (p.name().equals(key)) {
                return p;
            }
        }
        return null;
    }

    /** The name of the default platform for {@code osName}, or null when none claims it. */
    static String defaultFor(String osName) {
        for (PortReservationPlatform p : PLATFORMS) {
            if (p.isDefaultFor(osName)) {
                return p.name();
            }
        }
        return null;
    }

    /** The names found, for messages. */
    static List<String> names() {
        List<String> names = new ArrayList<>();
        for (PortReservationPlatform p : PLATFORMS) {
            names.add(p.name().toLowerCase(Locale.ROOT));
        }
        return names;
    }
}
