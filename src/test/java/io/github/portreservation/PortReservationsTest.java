package io.github.portreservation;

import io.github.portreservation.PortReservationException.Reason;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledOnOs;
import org.junit.jupiter.api.condition.OS;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The availability facade and explicit provider choice. */
class PortReservationsTest {

    @Test
    @EnabledOnOs(OS.LINUX)
    void linuxIsAvailableAndTheDefaultIsShared() {
        assertTrue(PortReservations.isAvailable());
        assertNull(PortReservations.unavailabilityCause());
        PortReservations.ensureAvailability();
        assertEquals("linux", PortReservations.provider().name());
        assertSame(PortReservations.provider(), PortReservations.provider("LINUX"));
    }

    @Test
    @EnabledOnOs(OS.LINUX)
    void windowsOnLinuxIsUnsupportedWithTheReason() {
        PortReservationException e = assertThrows(PortReservationException.class,
                () -> PortReservations.provider("windows"));
        assertEquals(Reason.UNSUPPORTED, e.reason());
        assertTrue(e.getMessage().toLowerCase(java.util.Locale.ROOT).contains("windows"), e.getMessage());
    }

    @Test
    void unknownNameNamesTheValueAndTheChoices() {
        PortReservationException e = assertThrows(PortReservationException.class,
                () -> PortReservations.provider("solaris"));
        assertEquals(Reason.INVALID_ARGUMENT, e.reason());
        assertTrue(e.getMessage().contains("\"solaris\"") && e.getMessage().contains("linux"), e.getMessage());
    }

    @Test
    @EnabledOnOs(OS.LINUX)
    void tokensOfTheDefaultProviderResolveThroughPortBinder() throws Exception {
        try (RuntimeReservation r = PortReservations.provider().acquire(Protocol.UDP, 2);
             java.nio.channels.DatagramChannel ch = java.nio.channels.DatagramChannel.open()) {
            PortBinding b = PortBinder.of(PortReservations.provider(), r.token()).bind(ReservableSocket.of(ch), null);
            assertEquals(r.range().start(), b.port());
            ch.close();
            b.close();
            assertEquals(2, r.availablePorts());
        }
    }
}
