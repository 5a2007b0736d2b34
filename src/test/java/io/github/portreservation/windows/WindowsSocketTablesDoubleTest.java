package io.github.portreservation.windows;

import com.sun.jna.Memory;
import io.github.portreservation.PortReservationException;
import io.github.portreservation.PortReservationException.Reason;
import io.github.portreservation.Protocol;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.net.InetAddress;
import java.util.List;

import static io.github.portreservation.windows.WindowsConstants.AF_INET;
import static io.github.portreservation.windows.WindowsConstants.AF_INET6;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code GetExtendedTcpTable} / {@code GetExtendedUdpTable} / {@code IsUserAnAdmin} through the production JNA layer
 * against the native test double, whose fake rows the tests set (Linux with gcc only; nothing here says how Windows
 * fills its tables). The double writes the documented layouts, ports in network byte order with garbage in the upper
 * 16 bits of dwLocalPort, and answers ERROR_INSUFFICIENT_BUFFER with the size needed.
 */
class WindowsSocketTablesDoubleTest {
    private static final int TCP = 1;
    private static final int UDP = 2;
    private static final int LISTEN = 2;
    private static final int ESTABLISHED = 5;

    private NativeDouble.Control control;
    private WindowsNatives natives;

    @BeforeEach
    void setUp() {
        NativeDouble.assumeAvailable();
        control = NativeDouble.control();
        natives = NativeDouble.natives();
    }

    private void row(int protocol, int af, String address, int port, int state, int pid) {
        assertEquals(1, control.double_add_socket_row(protocol, af, address, port, state, pid));
    }

    @Test
    void rowsOfBothFamiliesAreReadWithAddressPortPidAndState() throws Exception {
        row(TCP, AF_INET6, "::1", 8443, ESTABLISHED, 0xFFFFFFF0);
        row(TCP, AF_INET, "127.0.0.1", 8080, LISTEN, 1234);
        row(UDP, AF_INET, "0.0.0.0", 53, 0, 7);
        row(UDP, AF_INET6, "fe80::1", 5353, 0, 8);
        // IPv4 first: the provider asks AF_INET, then AF_INET6
        assertEquals(List.of(
                new SocketEntry(Protocol.TCP, InetAddress.getByName("127.0.0.1"), 8080, 1234, LISTEN),
                new SocketEntry(Protocol.TCP, InetAddress.getByName("::1"), 8443, 4294967280L, ESTABLISHED)),
                natives.sockets(Protocol.TCP));
        assertEquals(List.of(
                new SocketEntry(Protocol.UDP, InetAddress.getByName("0.0.0.0"), 53, 7, 0),
                new SocketEntry(Protocol.UDP, InetAddress.getByName("fe80::1"), 5353, 8, 0)),
                natives.sockets(Protocol.UDP));
        assertEquals("TCP 127.0.0.1:8080 LISTENING, pid 1234", natives.sockets(Protocol.TCP).get(0).toString());
        assertEquals("UDP [fe80:0:0:0:0:0:0:1]:5353, pid 8", natives.sockets(Protocol.UDP).get(1).toString());
    }

    @Test
    void theBufferIsSizedFromTheFirstCallOfEachFamily() {
        for (int i = 0; i < 40; i++) {
            row(TCP, AF_INET, "10.0.0." + (i + 1), 20000 + i, ESTABLISHED, 100 + i);
        }
        List<SocketEntry> rows = natives.sockets(Protocol.TCP);
        assertEquals(40, rows.size());
        assertEquals(20039, rows.get(39).port());
        assertEquals(139, rows.get(39).pid());
        // per family: one call with no buffer (ERROR_INSUFFICIENT_BUFFER and the size), one that reads
        assertEquals(4, control.double_table_calls());
    }

    @Test
    void emptyTables() {
        assertEquals(List.of(), natives.sockets(Protocol.TCP));
        assertEquals(List.of(), natives.sockets(Protocol.UDP));
    }

    @Test
    void aRowCountThatDoesNotFitTheBufferIsRefused() {
        Memory buffer = new Memory(4 + SocketTables.TCP4_ROW);
        buffer.clear();
        buffer.setInt(0, 2);
        PortReservationException e = assertThrows(PortReservationException.class,
                () -> SocketTables.read(Protocol.TCP, AF_INET, buffer, buffer.size()));
        assertEquals(Reason.SYSTEM_ERROR, e.reason());
        assertTrue(e.getMessage().contains("says 2 rows of 24 bytes, which do not fit its 28 bytes"), e.getMessage());
    }

    @Test
    void isUserAnAdminFollowsTheDouble() {
        assertTrue(natives.isUserAnAdmin());
        control.double_set_elevated(0);
        assertFalse(natives.isUserAnAdmin());
    }

    @Test
    void librariesWithoutTheFunctionsFailOnlyThoseCalls() {
        String full = NativeDouble.library().toString();
        String without = NativeDouble.libraryWithoutTables().toString();
        WindowsNatives partial = WindowsNatives.load(full, without, without);
        PortReservationException tables = assertThrows(PortReservationException.class,
                () -> partial.sockets(Protocol.TCP));
        assertEquals(Reason.UNSUPPORTED, tables.reason());
        assertTrue(tables.getMessage().contains("cannot call GetExtendedTcpTable from '" + without + "'"),
                tables.getMessage());
        PortReservationException admin = assertThrows(PortReservationException.class, partial::isUserAnAdmin);
        assertEquals(Reason.UNSUPPORTED, admin.reason());
        assertTrue(admin.getMessage().contains("cannot call IsUserAnAdmin from '" + without + "'"),
                admin.getMessage());
        // the reservation functions of that library still work
        assertEquals(WindowsConstants.INVALID_PORT_RESERVATION_TOKEN,
                partial.lookupPersistent(Protocol.TCP, io.github.portreservation.PortRange.of(40000, 4)));
    }
}
