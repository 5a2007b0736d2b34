package io.github.portreservation;

import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

/** The platform lookup: the built-in platforms by class name, others from ServiceLoader (none on this class path). */
class ProviderLookupTest {

    @Test
    void theBuiltInPlatformsAreMadeByName() {
        assertEquals("io.github.portreservation.linux.LinuxPlatform",
                ProviderLookup.named("linux").getClass().getName());
        assertEquals("io.github.portreservation.windows.WindowsPlatform",
                ProviderLookup.named("windows").getClass().getName());
        assertEquals("linux", ProviderLookup.named("linux").name());
        assertEquals("windows", ProviderLookup.named("windows").name());
    }

    @Test
    void theDefaultComesFromTheOperatingSystemName() {
        assertEquals("linux", ProviderLookup.defaultFor("Linux"));
        assertEquals("windows", ProviderLookup.defaultFor("Windows Server 2022"));
        assertNull(ProviderLookup.defaultFor("Mac OS X"));
    }

    @Test
    void anUnknownNameHasNoPlatform() {
        assertNull(ProviderLookup.named("solaris"));
    }

    @Test
    void theNamesListTheBuiltInOnesOnceEachThoughServiceLoaderFindsThemToo() {
        assertEquals(List.of("linux", "windows"), ProviderLookup.names());
    }
}
