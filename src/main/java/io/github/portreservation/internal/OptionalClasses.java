package io.github.portreservation.internal;

/**
 * Whether a class of an optional or provided dependency (JNA, Netty, Netty's Epoll transport) is visible, looked up by
 * name without initialization, so that its absence can be reported or worked around before any class that links
 * against it is used (which would fail with a {@link NoClassDefFoundError} instead).
 */
public final class OptionalClasses {
    private OptionalClasses() {
    }

    /** Whether {@code className} can be loaded by the class loader of {@code user}. */
    public static boolean present(String className, Class<?> user) {
        return present(className, user.getClassLoader());
    }

    /** Whether {@code className} can be loaded by {@code loader} (null: the bootstrap class loader). */
    public static boolean present(String className, ClassLoader loader) {
        try {
            Class.forName(className, false, loader);
            return true;
        } catch (ClassNotFoundException | LinkageError e) {
            return false;
        }
    }
}
