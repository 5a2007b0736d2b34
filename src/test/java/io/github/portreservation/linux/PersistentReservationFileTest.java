package io.github.portreservation.linux;

import io.github.portreservation.PortRange;
import io.github.portreservation.PortReservationException;
import io.github.portreservation.PortReservationException.Reason;
import io.github.portreservation.Protocol;
import io.github.portreservation.ReservableSocket;
import io.github.portreservation.ReservationToken;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledOnOs;
import org.junit.jupiter.api.condition.OS;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.Optional;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The ip_local_reserved_ports read-modify-write logic, on a file of the same format. */
@EnabledOnOs(OS.LINUX)
class PersistentReservationFileTest {
    @TempDir
    Path dir;

    private Path file(String content) throws Exception {
        Path f = dir.resolve("ip_local_reserved_ports");
        Files.write(f, content.getBytes(StandardCharsets.US_ASCII));
        return f;
    }

    private static String read(Path f) throws Exception {
        return new String(Files.readAllBytes(f), StandardCharsets.US_ASCII).trim();
    }

    @Test
    void createLookupDeleteKeepOtherEntriesExactly() throws Exception {
        Path f = file("8080,40000-40010\n");
        LinuxPortReservationProvider p = LinuxPortReservationProvider.create(f);
        ReservationToken a = p.createPersistent(Protocol.TCP, PortRange.parse("40020-40029"));
        assertEquals("8080,40000-40010,40020-40029", read(f));
        assertEquals(Optional.of(a), p.lookupPersistent(Protocol.TCP, PortRange.parse("40020-40029")));
        assertEquals(Optional.of(a), p.lookupPersistent(Protocol.UDP, PortRange.parse("40020-40029")),
                "the list is one for TCP and UDP");
        p.deletePersistent(Protocol.TCP, PortRange.parse("40020-40029"));
        assertEquals("8080,40000-40010", read(f));
    }

    @Test
    void aBlockNextToAnEntryIsRefusedBecauseTheKernelWouldMergeThem() throws Exception {
        Path f = file("8080,40000-40010\n");
        LinuxPortReservationProvider p = LinuxPortReservationProvider.create(f);
        for (String adjacent : new String[] {"40011-40019", "39990-39999", "8081"}) {
            PortReservationException e = assertThrows(PortReservationException.class,
                    () -> p.createPersistent(Protocol.TCP, PortRange.parse(adjacent)));
            assertEquals(Reason.IN_USE, e.reason(), e.getMessage());
            assertTrue(e.getMessage().contains("ports " + adjacent + " overlap or adjoin"), e.getMessage());
            assertTrue(e.getMessage().contains("leave at least one port between blocks"), e.getMessage());
        }
        assertEquals("8080,40000-40010", read(f));
        p.createPersistent(Protocol.TCP, PortRange.parse("40012-40019"));
        assertEquals("8080,40000-40010,40012-40019", read(f), "one port between: two entries");
    }

    @Test
    void partsOfAForeignEntryAreNotFound() throws Exception {
        Path f = file("20000-20009\n");
        LinuxPortReservationProvider p = LinuxPortReservationProvider.create(f);
        assertEquals(Optional.empty(), p.lookupPersistent(Protocol.TCP, PortRange.parse("20003-20005")));
        assertEquals(Optional.empty(), p.lookupPersistent(Protocol.TCP, PortRange.parse("20000-20010")));
        PortReservationException e = assertThrows(PortReservationException.class,
                () -> p.deletePersistent(Protocol.TCP, PortRange.parse("20003-20005")));
        assertEquals(Reason.NOT_FOUND, e.reason());
        assertTrue(e.getMessage().contains("ports 20003-20005 are not an entry"), e.getMessage());
        assertTrue(e.getMessage().contains("entries there: [20000-20009]"), e.getMessage());
        assertEquals("20000-20009", read(f), "the foreign entry is not split");
        PortReservationException bind = assertThrows(PortReservationException.class, () -> p.bind(
                LinuxPortReservationProvider.persistentToken(PortRange.parse("20003-20005")),
                ReservableSocket.of(java.nio.channels.DatagramChannel.open()), null));
        assertEquals(Reason.NOT_FOUND, bind.reason(), bind.getMessage());
        assertEquals(Optional.of(LinuxPortReservationProvider.persistentToken(PortRange.parse("20000-20009"))),
                p.lookupPersistent(Protocol.TCP, PortRange.parse("20000-20009")));
    }

    @Test
    void listsLongerThanOneKernelWriteAreWrittenInPiecesEndingAfterAComma() {
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < 3000; i++) {
            sb.append(i == 0 ? "" : ",").append(20000 + 3 * i);
        }
        byte[] text = sb.toString().getBytes(StandardCharsets.US_ASCII);
        int offset = 0;
        int pieces = 0;
        while (offset < text.length) {
            int end = ReservedPortsFile.pieceEnd(text, offset);
            assertTrue(end - offset <= ReservedPortsFile.WRITE_PIECE_BYTES, "piece of " + (end - offset));
            assertTrue(end == text.length || text[end - 1] == ',', "a piece ends after a comma");
            offset = end;
            pieces++;
        }
        assertEquals(5, pieces, text.length + " bytes"); // 17,999 bytes, at most 4,095 per piece
    }

    @Test
    void tokensAreDerivedFromTheBlockSoEveryProcessAgrees() throws Exception {
        Path f = file("");
        ReservationToken created = LinuxPortReservationProvider.create(f)
                .createPersistent(Protocol.TCP, PortRange.of(45000, 10));
        assertEquals(Optional.of(created), LinuxPortReservationProvider.create(f)
                .lookupPersistent(Protocol.TCP, PortRange.of(45000, 10)));
        assertEquals(PortRange.of(45000, 10), LinuxPortReservationProvider.persistentRange(created));
    }

    @Test
    void overlapIsRefusedLikeSharingViolationAndNothingChanges() throws Exception {
        Path f = file("40000-40010");
        LinuxPortReservationProvider p = LinuxPortReservationProvider.create(f);
        PortReservationException e = assertThrows(PortReservationException.class,
                () -> p.createPersistent(Protocol.TCP, PortRange.parse("40005-40020")));
        assertEquals(Reason.IN_USE, e.reason());
        assertTrue(e.getMessage().contains("40000-40010"), e.getMessage());
        assertEquals("40000-40010", read(f));
    }

    @Test
    void deletingWhatIsNotReservedIsNotFoundAndNothingChanges() throws Exception {
        Path f = file("40000-40010");
        LinuxPortReservationProvider p = LinuxPortReservationProvider.create(f);
        PortReservationException e = assertThrows(PortReservationException.class,
                () -> p.deletePersistent(Protocol.TCP, PortRange.parse("40005-40015")));
        assertEquals(Reason.NOT_FOUND, e.reason());
        assertEquals("40000-40010", read(f));
    }

    @Test
    void malformedContentNamesTheEntry() throws Exception {
        Path f = file("8080,abc");
        PortReservationException e = assertThrows(PortReservationException.class,
                () -> LinuxPortReservationProvider.create(f).lookupPersistent(Protocol.TCP, PortRange.single(8080)));
        assertEquals(Reason.INVALID_ARGUMENT, e.reason());
        assertTrue(e.getMessage().contains("\"abc\""), e.getMessage());
    }

    @Test
    void writeRefusedByTheKernelIsAccessDenied() {
        // a read-only sysctl whose value reads as a port list ("40"): the kernel refuses the write even to root,
        // with the same EACCES a non-root writer of ip_local_reserved_ports gets
        Path readOnly = Paths.get("/proc/sys/kernel/cap_last_cap");
        org.junit.jupiter.api.Assumptions.assumeTrue(Files.exists(readOnly), "no " + readOnly);
        LinuxPortReservationProvider p = LinuxPortReservationProvider.create(readOnly);
        PortReservationException e = assertThrows(PortReservationException.class,
                () -> p.reservedPortsFile().update(current -> current));
        assertEquals(Reason.ACCESS_DENIED, e.reason());
        assertTrue(e.getMessage().contains("root"), e.getMessage());
    }

    @Test
    void missingFileIsUnsupported() {
        LinuxPortReservationProvider p = LinuxPortReservationProvider.create(dir.resolve("absent"));
        PortReservationException e = assertThrows(PortReservationException.class,
                () -> p.lookupPersistent(Protocol.TCP, PortRange.single(1)));
        assertEquals(Reason.UNSUPPORTED, e.reason());
    }
}
