package io.github.portreservation.linux;

import io.github.portreservation.PortRange;
import io.github.portreservation.PortReservationException;
import io.github.portreservation.PortReservationException.Reason;
import io.github.portreservation.Protocol;
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
    void createLookupDeleteMergeAndSplitKeepingOtherEntries() throws Exception {
        Path f = file("8080,40000-40010\n");
        LinuxPortReservationProvider p = LinuxPortReservationProvider.create(f);
        ReservationToken a = p.createPersistent(Protocol.TCP, PortRange.parse("40020-40029"));
        assertEquals("8080,40000-40010,40020-40029", read(f));
        ReservationToken b = p.createPersistent(Protocol.UDP, PortRange.parse("40011-40019"));
        assertEquals("8080,40000-40029", read(f), "adjacent entries merge, as the kernel prints them");
        assertEquals(Optional.of(a), p.lookupPersistent(Protocol.TCP, PortRange.parse("40020-40029")));
        assertEquals(Optional.of(b), p.lookupPersistent(Protocol.UDP, PortRange.parse("40011-40019")));
        assertEquals(Optional.empty(), p.lookupPersistent(Protocol.TCP, PortRange.parse("40025-40035")));
        p.deletePersistent(Protocol.UDP, PortRange.parse("40011-40019"));
        assertEquals("8080,40000-40010,40020-40029", read(f), "delete splits the merged entry");
        p.deletePersistent(Protocol.TCP, PortRange.parse("40020-40029"));
        assertEquals("8080,40000-40010", read(f));
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
