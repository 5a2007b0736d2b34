package io.github.portreservation.linux;

import io.github.portreservation.PortRange;
import io.github.portreservation.PortReservationException;
import io.github.portreservation.PortReservationException.Reason;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Parsing, printing and the entries of the ip_local_reserved_ports set, as the kernel prints them. */
class ReservedPortSetTest {

    /** {@code count} single ports from {@code first}, every other port: "20000,20002,...". */
    static String singles(int first, int count) {
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < count; i++) {
            sb.append(i == 0 ? "" : ",").append(first + 2 * i);
        }
        return sb.toString();
    }

    /** The densest text the kernel prints: pairs of ports one free port apart, "0-1,3-4,...,65532-65533". */
    static String densestList() {
        StringBuilder sb = new StringBuilder();
        for (int p = 0; p + 1 <= 65535; p += 3) {
            sb.append(p == 0 ? "" : ",").append(p).append('-').append(p + 1);
        }
        return sb.toString();
    }

    @Test
    void longListsRoundTripExactly() {
        String several = singles(20000, 2000) + ",30000-30009,50000-50099";
        assertEquals(12_023, several.length());
        assertEquals(several, ReservedPortSet.parse(several + "\n").format());
        assertEquals(2002, ReservedPortSet.parse(several).entries().size());
        String densest = densestList();
        assertEquals(254_731, densest.length());
        assertEquals(densest, ReservedPortSet.parse(densest).format());
        assertEquals(21_845 * 2, ReservedPortSet.parse(densest).size());
    }

    @Test
    void overlappingAndAdjacentEntriesMergeAsTheKernelPrintsThem() {
        assertEquals("1-5", ReservedPortSet.parse("1-3,2-5").format());
        assertEquals("1-6", ReservedPortSet.parse("1-3\n4-6\n").format());
        assertEquals("7", ReservedPortSet.parse("7,7").format());
        assertEquals("8,40000-40010", ReservedPortSet.parse("40000-40010,8").format());
        assertEquals("", ReservedPortSet.parse("\n").format());
        assertEquals("", ReservedPortSet.empty().format());
    }

    @Test
    void portZeroIsKeptLikeAnyEntry() {
        // the kernel accepts port 0 ("0,5" reads back as "0,5"); a foreign entry with it must survive
        ReservedPortSet set = ReservedPortSet.parse("0,5");
        assertEquals("0,5,40000", set.with(PortRange.single(40000)).format());
        assertEquals(List.of("0"), set.entriesTouching(PortRange.single(1)));
        assertEquals("0-3", ReservedPortSet.parse("0-3").format());
    }

    @Test
    void anEntryIsAWholeMaximalRun() {
        ReservedPortSet set = ReservedPortSet.parse("20000-20009,20020,65530-65535");
        assertTrue(set.isEntry(PortRange.parse("20000-20009")));
        assertTrue(set.isEntry(PortRange.single(20020)));
        assertTrue(set.isEntry(PortRange.parse("65530-65535")));
        assertFalse(set.isEntry(PortRange.parse("20003-20005")), "a part of an entry");
        assertFalse(set.isEntry(PortRange.parse("20000-20008")), "an entry without its last port");
        assertFalse(set.isEntry(PortRange.parse("20001-20009")), "an entry without its first port");
        assertFalse(set.isEntry(PortRange.parse("20000-20010")), "more than an entry");
        assertFalse(set.isEntry(PortRange.parse("65531-65535")));
        assertFalse(set.isEntry(PortRange.single(20021)));
    }

    @Test
    void entriesTouchingAreTheOnesTheKernelWouldMerge() {
        ReservedPortSet set = ReservedPortSet.parse("20000-20009,20011-20019,20030");
        assertEquals(List.of("20000-20009", "20011-20019"), set.entriesTouching(PortRange.single(20010)));
        assertEquals(List.of("20011-20019"), set.entriesTouching(PortRange.parse("20020-20025")));
        assertEquals(List.of("20030"), set.entriesTouching(PortRange.parse("20026-20029")));
        assertEquals(List.of(), set.entriesTouching(PortRange.parse("20021-20028")));
        assertEquals(List.of("20000-20009"), set.entriesTouching(PortRange.parse("19990-19999")));
        assertEquals(List.of("20000-20009", "20011-20019"), set.entriesOverlapping(PortRange.parse("20005-20012")));
        assertEquals(List.of(), set.entriesOverlapping(PortRange.single(20010)));
    }

    @Test
    void withAndWithoutChangeOnlyTheirPorts() {
        ReservedPortSet set = ReservedPortSet.parse("8080,20000-20009");
        assertEquals("8080,20000-20009,40000-40009", set.with(PortRange.parse("40000-40009")).format());
        assertEquals("8080,20000-20002,20006-20009", set.without(PortRange.parse("20003-20005")).format());
        assertEquals("8080,20000-20009", set.format(), "immutable");
    }

    @Test
    void malformedEntriesAreNamed() {
        for (String entry : new String[] {"abc", "5-3", "65536", "-5", "1--2", "5-", "123456", "7a"}) {
            PortReservationException e = assertThrows(PortReservationException.class,
                    () -> ReservedPortSet.parse("8080," + entry + ",9090"), entry);
            assertEquals(Reason.INVALID_ARGUMENT, e.reason(), entry);
            assertEquals("INVALID_ARGUMENT: entry \"" + entry + "\" of ip_local_reserved_ports is invalid: each entry "
                    + "must be a port or a FIRST-LAST range with FIRST <= LAST, within 0..65535; correct that entry "
                    + "of the list (sysctl -w net.ipv4.ip_local_reserved_ports=...)", e.getMessage());
        }
    }

    @Test
    void nullArgumentsAreInvalidArguments() {
        PortReservationException range = assertThrows(PortReservationException.class,
                () -> ReservedPortSet.empty().isEntry(null));
        assertEquals(Reason.INVALID_ARGUMENT, range.reason());
        assertTrue(range.getMessage().startsWith("INVALID_ARGUMENT: port range null is invalid"), range.getMessage());
        PortReservationException text = assertThrows(PortReservationException.class,
                () -> ReservedPortSet.parse(null));
        assertEquals(Reason.INVALID_ARGUMENT, text.reason());
    }

    @Test
    void differenceNamesMissingAndUnexpectedEntries() {
        // what a write cut in the middle of "22728" leaves: 22 and 730 instead of 22728
        assertEquals("missing 22728; unexpected 22,730", ReservedPortSet.difference(
                ReservedPortSet.parse("22726,22728"), ReservedPortSet.parse("22,730,22726")));
        assertEquals("no difference", ReservedPortSet.difference(ReservedPortSet.parse("1-3"),
                ReservedPortSet.parse("1,2,3")));
        assertEquals("1,3,5,7,9,11,13,15 and 2 more entries", ReservedPortSet.describe(
                ReservedPortSet.parse("1,3,5,7,9,11,13,15,17,19").entries()));
    }

    @Test
    void containsAndOverlapsLookAtThePortsOfTheSet() {
        ReservedPortSet set = ReservedPortSet.parse("0,8080,40000-40009,65535");
        assertTrue(set.contains(0));
        assertTrue(set.contains(8080));
        assertTrue(set.contains(40009));
        assertTrue(set.contains(65535));
        assertFalse(set.contains(8081));
        assertFalse(set.contains(-1), "no negative port");
        assertFalse(set.contains(65536), "no port above 65535");
        assertTrue(set.overlaps(PortRange.parse("39990-40000")), "the first port of an entry");
        assertTrue(set.overlaps(PortRange.parse("40009-40020")), "the last port of an entry");
        assertTrue(set.overlaps(PortRange.parse("65530-65535")));
        assertFalse(set.overlaps(PortRange.parse("40010-65534")));
        assertFalse(set.overlaps(PortRange.parse("1-8079")));
    }

    @Test
    void sizeCountsPortsNotEntries() {
        assertEquals(0, ReservedPortSet.empty().size());
        assertEquals(13, ReservedPortSet.parse("1-3,7,20000-20008").size());
        assertEquals(65536, ReservedPortSet.parse("0-65535").size());
        assertEquals(List.of("0-65535"), ReservedPortSet.parse("0-65535").entries());
    }

    @Test
    void setsOfTheSamePortsAreEqualWhateverTheirText() {
        ReservedPortSet a = ReservedPortSet.parse("1-3,4-6 9\n10");
        ReservedPortSet b = ReservedPortSet.parse("9-10,1-6");
        assertEquals(a, b);
        assertEquals(a.hashCode(), b.hashCode());
        assertFalse(a.equals(ReservedPortSet.parse("1-6")));
        assertFalse(a.equals("1-6,9-10"));
        assertEquals("ReservedPortSet[1-6,9-10]", a.toString());
        assertEquals("ReservedPortSet[]", ReservedPortSet.empty().toString());
        assertEquals(ReservedPortSet.empty(), ReservedPortSet.parse(" \n"));
    }

    @Test
    void withoutAPortThatIsNotInTheSetChangesNothingAndWithIsIdempotent() {
        ReservedPortSet set = ReservedPortSet.parse("8080,20000-20009");
        assertEquals(set, set.without(PortRange.parse("30000-30009")));
        assertEquals(set, set.with(PortRange.parse("20002-20005")));
        assertEquals("8080,20000-20010", set.with(PortRange.single(20010)).format(), "adjacent: merged");
        assertEquals("", set.without(PortRange.single(8080)).without(PortRange.parse("20000-20009")).format());
    }

    @Test
    void anEntryOfAnotherSourceIsNamedWithThatSource() {
        PortReservationException e = assertThrows(PortReservationException.class,
                () -> ReservedPortSet.parse("8080,x", "/etc/sysctl.d/90-ports.conf"));
        assertEquals("INVALID_ARGUMENT: entry \"x\" of /etc/sysctl.d/90-ports.conf is invalid: each entry must be a "
                + "port or a FIRST-LAST range with FIRST <= LAST, within 0..65535; correct that entry of the list "
                + "(sysctl -w net.ipv4.ip_local_reserved_ports=...)", e.getMessage());
    }
}
