package io.github.portreservation;

import io.github.portreservation.linux.LinuxPortReservationProvider;
import io.github.portreservation.windows.WindowsPortReservationProvider;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledOnOs;
import org.junit.jupiter.api.condition.OS;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

/**
 * The platform lookup of {@link PortReservations}: the built-in platforms made by class name, others from ServiceLoader
 * (none on this class path).
 */
class PlatformLookupTest {

    @Test
    void theBuiltInPlatformsAreMadeByName() {
        assertEquals("io.github.portreservation.linux.LinuxPlatform",
                PortReservations.platform("linux").getClass().getName());
        assertEquals("io.github.portreservation.windows.WindowsPlatform",
                PortReservations.platform("windows").getClass().getName());
        assertEquals("linux", PortReservations.platform("linux").name());
        assertEquals("windows", PortReservations.platform("windows").name());
    }

    @Test
    @EnabledOnOs(OS.LINUX)
    void theBuiltInProvidersAreMadeByTheirPlatforms() {
        PortReservationProvider linux = PortReservations.create("linux");
        assertEquals(LinuxPortReservationProvider.class, linux.getClass());
        assertEquals("linux", linux.name());
        PortReservationException windows = assertThrows(PortReservationException.class,
                () -> PortReservations.create("windows"));
        assertEquals(PortReservationException.Reason.UNSUPPORTED, windows.reason());
        assertEquals("UNSUPPORTED: " + WindowsPortReservationProvider.unavailabilityCause(), windows.getMessage(),
                "the Windows provider's own reason, not a wrapper's");
    }

    @Test
    void theDefaultComesFromTheOperatingSystemName() {
        assertEquals("linux", PortReservations.defaultFor("Linux"));
        assertEquals("windows", PortReservations.defaultFor("Windows Server 2022"));
        assertNull(PortReservations.defaultFor("Mac OS X"));
    }

    @Test
    void anUnknownNameHasNoPlatform() {
        assertNull(PortReservations.platform("solaris"));
        assertNull(PortReservations.create("solaris"));
        PortReservationException e = assertThrows(PortReservationException.class,
                () -> PortReservations.provider("solaris"));
        assertEquals(PortReservationException.Reason.INVALID_ARGUMENT, e.reason());
        assertEquals("INVALID_ARGUMENT: provider name \"solaris\" is invalid: the platforms found on the class path "
                + "are [linux, windows]; fix the name (or the -Dio.github.portreservation.provider system property)",
                e.getMessage());
    }

    @Test
    void theNamesListTheBuiltInOnesOnceEachThoughServiceLoaderFindsThemToo() {
        assertEquals(List.of("linux", "windows"), PortReservations.names());
    }
}
