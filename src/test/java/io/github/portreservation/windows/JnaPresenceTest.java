package io.github.portreservation.windows;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

/** The JNA version the Windows provider names is the pom's; with JNA on the class path nothing is missing. */
class JnaPresenceTest {

    @Test
    void namedVersionIsThePomsJnaVersion() {
        assertEquals(System.getProperty("expected.jna.version"), JnaPresence.JNA_VERSION);
        assertEquals("net.java.dev.jna:jna:" + System.getProperty("expected.jna.version"), JnaPresence.JNA);
        assertEquals("net.java.dev.jna:jna-platform:" + System.getProperty("expected.jna.version"),
                JnaPresence.JNA_PLATFORM);
    }

    @Test
    void nothingIsMissingWithJnaOnTheClassPath() {
        assertNull(JnaPresence.missingCause(JnaPresenceTest.class.getClassLoader()));
    }

    @Test
    void aLoaderWithoutJnaGetsBothArtifactsNamed() {
        ClassLoader platformOnly = ClassLoader.getPlatformClassLoader(); // sees no class-path jar
        assertEquals("the Windows provider needs JNA, an optional dependency of netty-port-reservation, and the class "
                + "path lacks com.sun.jna.Native (" + JnaPresence.JNA + ") and com.sun.jna.platform.win32.WinNT ("
                + JnaPresence.JNA_PLATFORM + "); add both " + JnaPresence.JNA + " and " + JnaPresence.JNA_PLATFORM
                + " to the application (Maven: two <dependency> entries; Gradle: implementation(\"" + JnaPresence.JNA
                + "\") and implementation(\"" + JnaPresence.JNA_PLATFORM + "\"))",
                JnaPresence.missingCause(platformOnly));
    }
}
