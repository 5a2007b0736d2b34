package io.github.portreservation.windows;

import io.github.portreservation.internal.OptionalClasses;

/**
 * Whether JNA, an optional dependency that only this provider uses, is on the class path. Names no JNA type: the
 * classes are looked up by name, without initialization, so that a missing JNA is reported with what to add instead
 * of a {@link NoClassDefFoundError} from the first class that links against it.
 */
final class JnaPresence {
    /** The JNA version this library is built and tested with (the pom's {@code jna.version}; a test compares them). */
    static final String JNA_VERSION = "5.18.1";
    /** The Maven coordinates of JNA's core. */
    static final String JNA = "net.java.dev.jna:jna:" + JNA_VERSION;
    /** The Maven coordinates of JNA's platform mappings (this provider uses its {@code WinNT.OSVERSIONINFOEX}). */
    static final String JNA_PLATFORM = "net.java.dev.jna:jna-platform:" + JNA_VERSION;

    private JnaPresence() {
    }

    /** Null when both JNA jars are visible to {@code loader}, else what is missing and how to add it. */
    static String missingCause(ClassLoader loader) {
        String missing = null;
        if (!OptionalClasses.present("com.sun.jna.Native", loader)) {
            missing = "com.sun.jna.Native (" + JNA + ")";
        }
        if (!OptionalClasses.present("com.sun.jna.platform.win32.WinNT", loader)) {
            missing = (missing == null ? "" : missing + " and ") + "com.sun.jna.platform.win32.WinNT (" + JNA_PLATFORM
                    + ")";
        }
        if (missing == null) {
            return null;
        }
        return "the Windows provider needs JNA, an optional dependency of netty-port-reservation, and the class path "
                + "lacks " + missing + "; add both " + JNA + " and " + JNA_PLATFORM + " to the application "
                + "(Maven: two <dependency> entries; Gradle: implementation(\"" + JNA + "\") and implementation(\""
                + JNA_PLATFORM + "\"))";
    }
}
