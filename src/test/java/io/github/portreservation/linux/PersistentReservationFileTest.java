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

import java.nio.channels.ServerSocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The ip_local_reserved_ports read-modify-write logic, on a regular file of the same format (the real sysctl is
 * tested in {@link NamespacePersistentReservationTest}).
 */
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
        return new String(Files.readAllBytes(f), StandardCharsets.US_ASCII);
    }

    @Test
    void aListOfSeveralKibKeepsEveryOtherEntryByteForByte() throws Exception {
        String below = ReservedPortSetTest.singles(20000, 2000) + ",30000-30009";
        String original = below + ",50000-50099\n";
        Path f = file(original);
        LinuxPortReservationProvider p = LinuxPortReservationProvider.create(f);
        p.createPersistent(Protocol.TCP, PortRange.parse("40000-40009"));
        assertEquals(below + ",40000-40009,50000-50099\n", read(f));
        p.deletePersistent(Protocol.TCP, PortRange.parse("40000-40009"));
        assertEquals(original, read(f));
    }

    @Test
    void theListOfTheIssueKeepsItsEntriesPastByte256() throws Exception {
        // 360 bytes; "21084" straddles byte 256, where the old reader stopped
        StringBuilder sb = new StringBuilder();
        for (int port = 21000; sb.length() < 354; port += 2) {
            sb.append(sb.length() == 0 ? "" : ",").append(port);
        }
        String original = sb + "\n";
        assertEquals(360, original.length());
        assertEquals("21084", original.substring(252, 257));
        Path f = file(original);
        LinuxPortReservationProvider p = LinuxPortReservationProvider.create(f);
        p.createPersistent(Protocol.TCP, PortRange.parse("45000-45009"));
        assertEquals(sb + ",45000-45009\n", read(f));
    }

    @Test
    void subRangesOfAForeignEntryAreNotFound() throws Exception {
        Path f = file("8080,20000-20009\n");
        LinuxPortReservationProvider p = LinuxPortReservationProvider.create(f);
        PortRange part = PortRange.parse("20003-20005");
        assertEquals(Optional.empty(), p.lookupPersistent(Protocol.TCP, part));
        assertEquals(Optional.empty(), p.lookupPersistent(Protocol.TCP, PortRange.parse("20000-20010")));
        PortReservationException delete = assertThrows(PortReservationException.class,
                () -> p.deletePersistent(Protocol.TCP, part));
        assertEquals(Reason.NOT_FOUND, delete.reason());
        assertTrue(delete.getMessage().startsWith("NOT_FOUND: ports 20003-20005: 20003-20005 is not an entry of "
                + "net.ipv4.ip_local_reserved_ports (" + f + "); the entries overlapping it are 20000-20009. A "
                + "persistent reservation is one whole entry"), delete.getMessage());
        try (ServerSocketChannel s = ServerSocketChannel.open()) {
            ReservationToken token = LinuxPortReservationProvider.persistentToken(part);
            PortReservationException bind = assertThrows(PortReservationException.class,
                    () -> p.bind(token, ReservableSocket.of(s, 0), null));
            assertEquals(Reason.NOT_FOUND, bind.reason());
            assertTrue(bind.getMessage().contains("the entries overlapping it are 20000-20009"), bind.getMessage());
            assertFalse(s.socket().isBound());
        }
        assertEquals("8080,20000-20009\n", read(f));
        assertEquals(Optional.of(LinuxPortReservationProvider.persistentToken(PortRange.parse("20000-20009"))),
                p.lookupPersistent(Protocol.UDP, PortRange.parse("20000-20009")), "an exact entry, whoever wrote it");
    }

    @Test
    void aBlockTouchingAnEntryIsRefusedBecauseTheKernelWouldMergeThem() throws Exception {
        Path f = file("40000-40009\n");
        LinuxPortReservationProvider p = LinuxPortReservationProvider.create(f);
        PortReservationException above = assertThrows(PortReservationException.class,
                () -> p.createPersistent(Protocol.TCP, PortRange.parse("40010-40019")));
        assertEquals(Reason.IN_USE, above.reason());
        assertEquals("IN_USE: ports 40010-40019 touch the net.ipv4.ip_local_reserved_ports entry 40000-40009: the "
                + "kernel keeps only the set of ports and prints adjacent blocks as one entry (40000-40019), after "
                + "which neither block could be found or deleted on its own; leave at least one free port between the "
                + "blocks, or create one block that covers both", above.getMessage());
        PortReservationException below = assertThrows(PortReservationException.class,
                () -> p.createPersistent(Protocol.UDP, PortRange.parse("39990-39999")));
        assertEquals(Reason.IN_USE, below.reason());
        assertTrue(below.getMessage().contains("(39990-40009)"), below.getMessage());
        assertEquals("40000-40009\n", read(f));
        p.createPersistent(Protocol.TCP, PortRange.parse("40011-40019"));
        assertEquals("40000-40009,40011-40019\n", read(f));
    }

    @Test
    void anOverlapIsRefusedLikeSharingViolationAndNothingChanges() throws Exception {
        Path f = file("40000-40010\n");
        LinuxPortReservationProvider p = LinuxPortReservationProvider.create(f);
        PortReservationException e = assertThrows(PortReservationException.class,
                () -> p.createPersistent(Protocol.TCP, PortRange.parse("40005-40020")));
        assertEquals(Reason.IN_USE, e.reason());
        assertEquals("IN_USE: ports 40005-40020 overlap the net.ipv4.ip_local_reserved_ports entry 40000-40010 (the "
                + "list is shared by TCP and UDP, as ERROR_SHARING_VIOLATION on Windows); delete that reservation "
                + "first or choose a block outside it", e.getMessage());
        assertEquals("40000-40010\n", read(f));
    }

    @Test
    void aBlockBetweenTwoEntriesNamesBoth() throws Exception {
        Path f = file("40000-40009,40020-40029\n");
        PortReservationException e = assertThrows(PortReservationException.class, () -> LinuxPortReservationProvider
                .create(f).createPersistent(Protocol.TCP, PortRange.parse("40010-40019")));
        assertEquals(Reason.IN_USE, e.reason());
        assertTrue(e.getMessage().startsWith("IN_USE: ports 40010-40019 touch the net.ipv4.ip_local_reserved_ports "
                + "entries 40000-40009,40020-40029: the kernel keeps only the set of ports and prints adjacent blocks "
                + "as one entry (40000-40029)"), e.getMessage());
        assertEquals("40000-40009,40020-40029\n", read(f));
    }

    @Test
    void aBlockMergedWithAnAdjacentEntryIsNoLongerFound() throws Exception {
        Path f = file("8080\n");
        LinuxPortReservationProvider p = LinuxPortReservationProvider.create(f);
        PortRange ours = PortRange.parse("40000-40009");
        ReservationToken token = p.createPersistent(Protocol.TCP, ours);
        assertEquals(Optional.of(token), p.lookupPersistent(Protocol.TCP, ours));
        Files.write(f, "8080,40000-40019\n".getBytes(StandardCharsets.US_ASCII)); // an administrator adds 40010-40019
        assertEquals(Optional.empty(), p.lookupPersistent(Protocol.TCP, ours));
        PortReservationException e = assertThrows(PortReservationException.class,
                () -> p.deletePersistent(Protocol.TCP, ours));
        assertEquals(Reason.NOT_FOUND, e.reason());
        assertTrue(e.getMessage().contains("the entries overlapping it are 40000-40019"), e.getMessage());
        assertTrue(e.getMessage().endsWith("delete the merged entry and create the blocks again one free port apart"),
                e.getMessage());
        assertEquals("8080,40000-40019\n", read(f));
    }

    @Test
    void tokensAreDerivedFromTheBlockSoEveryProcessAgrees() throws Exception {
        Path f = file("");
        ReservationToken created = LinuxPortReservationProvider.create(f)
                .createPersistent(Protocol.TCP, PortRange.of(45000, 10));
        assertEquals(Optional.of(created), LinuxPortReservationProvider.create(f)
                .lookupPersistent(Protocol.TCP, PortRange.of(45000, 10)));
        assertEquals(PortRange.of(45000, 10), LinuxPortReservationProvider.persistentRange(created));
        assertEquals("45000-45009\n", read(f));
    }

    @Test
    void deletingTheLastEntryLeavesAnEmptyList() throws Exception {
        Path f = file("45000-45009\n");
        LinuxPortReservationProvider.create(f).deletePersistent(Protocol.TCP, PortRange.of(45000, 10));
        assertEquals("\n", read(f));
    }

    @Test
    void deletingWhatNoEntryHasIsNotFoundAndNothingChanges() throws Exception {
        Path f = file("40000-40010\n");
        LinuxPortReservationProvider p = LinuxPortReservationProvider.create(f);
        PortReservationException e = assertThrows(PortReservationException.class,
                () -> p.deletePersistent(Protocol.TCP, PortRange.parse("40020-40029")));
        assertEquals(Reason.NOT_FOUND, e.reason());
        assertEquals("NOT_FOUND: ports 40020-40029: no entry of net.ipv4.ip_local_reserved_ports (" + f + ") has any "
                + "port of 40020-40029; create the block first (createPersistent), or check the block with "
                + "lookupPersistent()", e.getMessage());
        assertEquals("40000-40010\n", read(f));
    }

    @Test
    void aForeignEntryWithPortZeroSurvives() throws Exception {
        Path f = file("0,5\n");
        LinuxPortReservationProvider p = LinuxPortReservationProvider.create(f);
        p.createPersistent(Protocol.TCP, PortRange.parse("40000-40009"));
        assertEquals("0,5,40000-40009\n", read(f));
        p.deletePersistent(Protocol.TCP, PortRange.parse("40000-40009"));
        assertEquals("0,5\n", read(f));
    }

    @Test
    void theDensestListIsReadWhole() throws Exception {
        String densest = ReservedPortSetTest.densestList();
        Path f = file(densest + "\n");
        ReservedPortsFile file = LinuxPortReservationProvider.create(f).reservedPortsFile();
        assertEquals(densest, file.read().format());
    }

    @Test
    void aFileLongerThanAnySysctlIsASystemError() throws Exception {
        Path f = file(ReservedPortSetTest.singles(20000, 1000) + ",".repeat(1 << 20));
        PortReservationException e = assertThrows(PortReservationException.class,
                () -> LinuxPortReservationProvider.create(f).lookupPersistent(Protocol.TCP, PortRange.single(8080)));
        assertEquals(Reason.SYSTEM_ERROR, e.reason());
        assertEquals("SYSTEM_ERROR: cannot read " + f + ": " + f + " holds more than 1048576 bytes, which no sysctl "
                + "value does; check the file with 'cat " + f + "' and repeat the call", e.getMessage());
    }

    @Test
    void malformedContentNamesTheFileAndTheEntry() throws Exception {
        Path f = file("8080,abc\n");
        PortReservationException e = assertThrows(PortReservationException.class,
                () -> LinuxPortReservationProvider.create(f).createPersistent(Protocol.TCP, PortRange.single(9090)));
        assertEquals(Reason.INVALID_ARGUMENT, e.reason());
        assertTrue(e.getMessage().startsWith("INVALID_ARGUMENT: entry \"abc\" of " + f + " is invalid: each entry "
                + "must be a port"), e.getMessage());
        assertEquals("8080,abc\n", read(f));
    }

    @Test
    void nullArgumentsAreInvalidArgumentsNamingTheParameter() throws Exception {
        LinuxPortReservationProvider p = LinuxPortReservationProvider.create(file(""));
        PortReservationException protocol = assertThrows(PortReservationException.class,
                () -> p.createPersistent(null, PortRange.single(9090)));
        assertEquals(Reason.INVALID_ARGUMENT, protocol.reason());
        assertTrue(protocol.getMessage().startsWith("INVALID_ARGUMENT: protocol null is invalid"),
                protocol.getMessage());
        PortReservationException range = assertThrows(PortReservationException.class,
                () -> p.lookupPersistent(Protocol.TCP, null));
        assertTrue(range.getMessage().startsWith("INVALID_ARGUMENT: range null is invalid"), range.getMessage());
        PortReservationException delete = assertThrows(PortReservationException.class,
                () -> p.deletePersistent(Protocol.TCP, null));
        assertEquals(Reason.INVALID_ARGUMENT, delete.reason());
    }

    @Test
    void missingFileIsUnsupported() {
        LinuxPortReservationProvider p = LinuxPortReservationProvider.create(dir.resolve("absent"));
        PortReservationException e = assertThrows(PortReservationException.class,
                () -> p.lookupPersistent(Protocol.TCP, PortRange.single(1)));
        assertEquals(Reason.UNSUPPORTED, e.reason());
        assertTrue(e.getMessage().startsWith("UNSUPPORTED: " + dir.resolve("absent") + " does not exist"),
                e.getMessage());
    }
}
