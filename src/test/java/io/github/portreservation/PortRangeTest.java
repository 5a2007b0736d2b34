package io.github.portreservation;

import io.github.portreservation.PortReservationException.Reason;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** PortRange and ReservationToken: valid values round-trip, each bad input fails with its reason and names itself. */
class PortRangeTest {

    @ParameterizedTest(name = "of({0}, {1}) -> {2}")
    @CsvSource({
            "0, 1, start port 0",
            "-1, 1, start port -1",
            "65536, 1, start port 65536",
            "1000, 0, port count 0",
            "1000, -5, port count -5",
            "65535, 2, range of 2 ports from 65535",
            "60000, 6000, range of 6000 ports from 60000",
    })
    void badRangesAreRefused(int start, int count, String named) {
        PortReservationException e = assertThrows(PortReservationException.class, () -> PortRange.of(start, count));
        assertEquals(Reason.INVALID_ARGUMENT, e.reason());
        assertTrue(e.getMessage().contains(named), e.getMessage());
        assertFalse(e.hasNativeCode());
    }

    @ParameterizedTest(name = "parse(\"{0}\") -> {1}")
    @CsvSource(delimiter = '|', value = {
            "abc|range text \"abc\"",
            "40000-|range text \"40000-\"",
            "40010-40000|range 40010-40000",
            "0-10|start port 0",
            "65530-65540|range of 11 ports from 65530",
            "1.5|range text \"1.5\"",
    })
    void badTextIsRefused(String text, String named) {
        PortReservationException e = assertThrows(PortReservationException.class, () -> PortRange.parse(text));
        assertEquals(Reason.INVALID_ARGUMENT, e.reason());
        assertTrue(e.getMessage().contains(named), e.getMessage());
    }

    @Test
    void textRoundTrips() {
        PortRange r = PortRange.parse(" 40000-40063 ");
        assertEquals(40000, r.start());
        assertEquals(64, r.count());
        assertEquals(40063, r.end());
        assertEquals("40000-40063", r.format());
        assertEquals(r, PortRange.parse(r.format()));
        assertEquals("8080", PortRange.single(8080).format());
        assertEquals(PortRange.single(8080), PortRange.parse("8080"));
        assertEquals(PortRange.of(65535, 1), PortRange.between(65535, 65535));
        assertEquals(PortRange.of(1, 65535).count(), 65535);
    }

    @Test
    void containmentAndOverlap() {
        PortRange r = PortRange.of(100, 10);
        assertTrue(r.contains(100));
        assertTrue(r.contains(109));
        assertFalse(r.contains(110));
        assertTrue(r.contains(PortRange.of(105, 5)));
        assertFalse(r.contains(PortRange.of(105, 6)));
        assertTrue(r.overlaps(PortRange.of(109, 3)));
        assertFalse(r.overlaps(PortRange.of(110, 3)));
        assertNotEquals(r, PortRange.of(100, 11));
    }

    @Test
    void tokenZeroIsRefusedAndValuesCompareByValue() {
        PortReservationException e = assertThrows(PortReservationException.class, () -> ReservationToken.of(0));
        assertEquals(Reason.INVALID_ARGUMENT, e.reason());
        assertTrue(e.getMessage().contains("token 0"), e.getMessage());
        assertEquals(ReservationToken.of(-1L), ReservationToken.of(0xFFFFFFFFFFFFFFFFL));
        assertEquals(ReservationToken.of(7).hashCode(), ReservationToken.of(7).hashCode());
        assertNotEquals(ReservationToken.of(7), ReservationToken.of(8));
    }

    @Test
    void nativeCodeAndNameAppearInTheMessage() {
        PortReservationException e = new PortReservationException(Reason.IN_USE, "port 5 is taken", 10048,
                "WSAEADDRINUSE", null);
        assertTrue(e.getMessage().contains("WSAEADDRINUSE (10048)"), e.getMessage());
        assertEquals(10048, e.nativeCode());
        assertEquals("WSAEADDRINUSE", e.nativeName());
    }
}
