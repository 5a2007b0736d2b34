package io.github.portreservation.windows;

import com.sun.jna.Native;
import com.sun.jna.platform.win32.IPHlpAPI;
import io.github.portreservation.PortRange;
import io.github.portreservation.PortReservationException;
import io.github.portreservation.PortReservationException.Reason;
import io.github.portreservation.Protocol;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.DisabledOnOs;
import org.junit.jupiter.api.condition.OS;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Pure Java checks of the Windows layer: header constants, structure layouts, byte order, error mapping. */
class WindowsLayoutTest {
    private static final int IOC_IN = 0x80000000;
    private static final int IOC_VENDOR = 0x18000000;

    private static int wsaiow(int x, int y) {
        return IOC_IN | x | y;
    }

    @Test
    void ioctlCodesAreTheMstcpipValues() {
        assertEquals(wsaiow(IOC_VENDOR, 100), WindowsConstants.SIO_ACQUIRE_PORT_RESERVATION);
        assertEquals(wsaiow(IOC_VENDOR, 101), WindowsConstants.SIO_RELEASE_PORT_RESERVATION);
        assertEquals(wsaiow(IOC_VENDOR, 102), WindowsConstants.SIO_ASSOCIATE_PORT_RESERVATION);
        // the unsigned values windows-sys publishes
        assertEquals(2550136932L, Integer.toUnsignedLong(WindowsConstants.SIO_ACQUIRE_PORT_RESERVATION));
        assertEquals(2550136933L, Integer.toUnsignedLong(WindowsConstants.SIO_RELEASE_PORT_RESERVATION));
        assertEquals(2550136934L, Integer.toUnsignedLong(WindowsConstants.SIO_ASSOCIATE_PORT_RESERVATION));
        assertEquals(0L, WindowsConstants.INVALID_PORT_RESERVATION_TOKEN);
        assertEquals(-1, WindowsConstants.SOCKET_ERROR);
    }

    @Test
    void errorCodesAreTheHeaderValues() {
        assertEquals(10004, WindowsConstants.WSAEINTR);
        assertEquals(10013, WindowsConstants.WSAEACCES);
        assertEquals(10014, WindowsConstants.WSAEFAULT);
        assertEquals(10022, WindowsConstants.WSAEINVAL);
        assertEquals(10036, WindowsConstants.WSAEINPROGRESS);
        assertEquals(10038, WindowsConstants.WSAENOTSOCK);
        assertEquals(10045, WindowsConstants.WSAEOPNOTSUPP);
        assertEquals(10048, WindowsConstants.WSAEADDRINUSE);
        assertEquals(10050, WindowsConstants.WSAENETDOWN);
        assertEquals(10055, WindowsConstants.WSAENOBUFS);
        assertEquals(995, WindowsConstants.WSA_OPERATION_ABORTED);
        assertEquals(997, WindowsConstants.WSA_IO_PENDING);
        assertEquals(5, WindowsConstants.ERROR_ACCESS_DENIED);
        assertEquals(32, WindowsConstants.ERROR_SHARING_VIOLATION);
        assertEquals(87, WindowsConstants.ERROR_INVALID_PARAMETER);
        assertEquals(1168, WindowsConstants.ERROR_NOT_FOUND);
    }

    @Test
    void socketTableConstantsMatchJnaPlatformsIndependentMapping() {
        assertEquals(122, WindowsConstants.ERROR_INSUFFICIENT_BUFFER);
        assertEquals(50, WindowsConstants.ERROR_NOT_SUPPORTED);
        assertEquals(IPHlpAPI.AF_INET, WindowsConstants.AF_INET);
        assertEquals(23, WindowsConstants.AF_INET6);
        assertEquals(IPHlpAPI.TCP_TABLE_CLASS.TCP_TABLE_OWNER_PID_ALL, WindowsConstants.TCP_TABLE_OWNER_PID_ALL);
        assertEquals(IPHlpAPI.UDP_TABLE_CLASS.UDP_TABLE_OWNER_PID, WindowsConstants.UDP_TABLE_OWNER_PID);
        assertEquals(IPHlpAPI.MIB_TCP_STATE.MIB_TCP_STATE_LISTEN, WindowsConstants.MIB_TCP_STATE_LISTEN);
        assertEquals(IPHlpAPI.MIB_TCP_STATE.MIB_TCP_STATE_TIME_WAIT, WindowsConstants.MIB_TCP_STATE_TIME_WAIT);
        // the row sizes of tcpmib.h / udpmib.h (jna-platform's structures cannot be built off Windows: they load
        // iphlpapi); the double's C structures assert the same sizes at compile time
        assertEquals(24, SocketTables.TCP4_ROW);
        assertEquals(56, SocketTables.TCP6_ROW);
        assertEquals(12, SocketTables.UDP4_ROW);
        assertEquals(28, SocketTables.UDP6_ROW);
    }

    @Test
    void structureSizesAndOffsets() {
        InetPortRange range = new InetPortRange();
        assertEquals(4, range.size());
        assertEquals(InetPortRange.SIZE, range.size());
        assertEquals(8, new InetPortReservationToken().size());
        InetPortReservationInstance instance = new InetPortReservationInstance();
        assertEquals(16, instance.size());
        assertEquals(InetPortReservationInstance.SIZE, instance.size());
        assertEquals(8, instance.tokenOffset());
    }

    @Test
    void socketHandleIsPointerSized() {
        assertEquals(Native.POINTER_SIZE, Native.getNativeSize(SocketHandle.class));
        Object asPassed = new SocketHandle(1234).toNative();
        assertEquals(Native.POINTER_SIZE == 8 ? Long.class : Integer.class, asPassed.getClass());
        // a sign-extended 32-bit handle fits on 32-bit and 64-bit platforms alike
        assertEquals(-1L, ((Number) new SocketHandle(-1).toNative()).longValue());
    }

    @Test
    void startPortIsWrittenInNetworkOrderAndCountInHostOrder() {
        InetPortRange range = new InetPortRange(40000, 513);
        range.write();
        byte[] bytes = range.getPointer().getByteArray(0, 4);
        assertEquals(40000, ByteBuffer.wrap(bytes, 0, 2).order(ByteOrder.BIG_ENDIAN).getShort() & 0xFFFF);
        assertEquals(513, ByteBuffer.wrap(bytes, 2, 2).order(ByteOrder.nativeOrder()).getShort() & 0xFFFF);
        assertEquals(40000, range.start());
        assertEquals(513, range.count());
    }

    @Test
    void instanceReadsBlockAndFullTokenFromNativeMemory() {
        InetPortReservationInstance instance = new InetPortReservationInstance();
        ByteBuffer raw = ByteBuffer.allocate(16).order(ByteOrder.nativeOrder());
        raw.order(ByteOrder.BIG_ENDIAN).putShort(0, (short) 65535);
        raw.order(ByteOrder.nativeOrder()).putShort(2, (short) 65535);
        raw.putLong(8, 0x8000000123456789L);
        instance.getPointer().write(0, raw.array(), 0, 16);
        instance.read();
        assertEquals(65535, instance.Reservation.start());
        assertEquals(65535, instance.Reservation.count());
        assertEquals(0x8000000123456789L, instance.Token.Token);
    }

    @Test
    void byteOrderHelpersRoundTripEveryPort() {
        for (int port = 0; port <= 65535; port++) {
            assertEquals(port, InetPortRange.fromNetworkOrder(InetPortRange.toNetworkOrder(port)));
        }
        short network = InetPortRange.toNetworkOrder(0x1234);
        byte[] asStored = ByteBuffer.allocate(2).order(ByteOrder.nativeOrder()).putShort(network).array();
        assertEquals(0x12, asStored[0]);
        assertEquals(0x34, asStored[1]);
    }

    @Test
    void everyDocumentedErrorHasItsSymbolicName() {
        int[] codes = {10004, 10013, 10014, 10022, 10036, 10038, 10045, 10048, 10050, 10055, 995, 997, 5, 32, 87,
            1168};
        String[] names = {"WSAEINTR", "WSAEACCES", "WSAEFAULT", "WSAEINVAL", "WSAEINPROGRESS", "WSAENOTSOCK",
            "WSAEOPNOTSUPP", "WSAEADDRINUSE", "WSAENETDOWN", "WSAENOBUFS", "WSA_OPERATION_ABORTED", "WSA_IO_PENDING",
            "ERROR_ACCESS_DENIED", "ERROR_SHARING_VIOLATION", "ERROR_INVALID_PARAMETER", "ERROR_NOT_FOUND"};
        for (int i = 0; i < codes.length; i++) {
            assertEquals(names[i], WindowsErrors.nameOf(codes[i]));
        }
        assertNull(WindowsErrors.nameOf(12345));
    }

    @Test
    void persistentErrorsMapToReasons() {
        PortRange range = PortRange.of(40000, 16);
        assertMapped(WindowsErrors.persistentFailed(5, "CreatePersistentTcpPortReservation", Protocol.TCP, range),
                Reason.ACCESS_DENIED, "ERROR_ACCESS_DENIED", "elevated");
        assertMapped(WindowsErrors.persistentFailed(87, "CreatePersistentTcpPortReservation", Protocol.TCP, range),
                Reason.INVALID_ARGUMENT, "ERROR_INVALID_PARAMETER", "65535");
        assertMapped(WindowsErrors.persistentFailed(32, "CreatePersistentUdpPortReservation", Protocol.UDP, range),
                Reason.IN_USE, "ERROR_SHARING_VIOLATION", "protocol=udp");
        assertMapped(WindowsErrors.persistentFailed(1168, "DeletePersistentTcpPortReservation", Protocol.TCP, range),
                Reason.NOT_FOUND, "ERROR_NOT_FOUND", "same start and count");
        PortReservationException unknown = WindowsErrors.persistentFailed(1234, "X", Protocol.TCP, range);
        assertEquals(Reason.SYSTEM_ERROR, unknown.reason());
        assertEquals(1234, unknown.nativeCode());
        assertTrue(unknown.getMessage().contains("net helpmsg 1234"), unknown.getMessage());
    }

    @Test
    void ioctlErrorsMapToReasons() {
        assertMapped(WindowsErrors.acquireFailed(10048, Protocol.TCP, 40000, 16), Reason.IN_USE, "WSAEADDRINUSE",
                "netsh interface ipv4 show excludedportrange protocol=tcp");
        assertMapped(WindowsErrors.acquireFailed(10022, Protocol.TCP, 40000, 16), Reason.INVALID_ARGUMENT,
                "WSAEINVAL", "40000-40015");
        assertMapped(WindowsErrors.acquireFailed(10045, Protocol.UDP, 0, 4), Reason.UNSUPPORTED, "WSAEOPNOTSUPP",
                "any block of 4 UDP ports");
        assertMapped(WindowsErrors.associateFailed(10013, Protocol.TCP, 7, 99), Reason.ACCESS_DENIED, "WSAEACCES",
                "administrator");
        assertMapped(WindowsErrors.associateFailed(10022, Protocol.TCP, 7, 99), Reason.UNKNOWN_TOKEN, "WSAEINVAL",
                "token 0x7");
        assertMapped(WindowsErrors.releaseFailed(10022, Protocol.TCP, 7, 99), Reason.UNKNOWN_TOKEN, "WSAEINVAL",
                "already released");
        assertMapped(WindowsErrors.releaseFailed(995, Protocol.TCP, 7, 99), Reason.CLOSED, "WSA_OPERATION_ABORTED",
                "closed");
        assertMapped(WindowsErrors.releaseFailed(10004, Protocol.TCP, 7, 99), Reason.CLOSED, "WSAEINTR", "closed");
        assertMapped(WindowsErrors.associateFailed(10055, Protocol.TCP, 7, 99), Reason.RESOURCE_LIMIT, "WSAENOBUFS",
                "buffer");
        assertMapped(WindowsErrors.associateFailed(10038, Protocol.TCP, 7, 99), Reason.SYSTEM_ERROR, "WSAENOTSOCK",
                "not a socket");
        assertMapped(WindowsErrors.associateFailed(10014, Protocol.TCP, 7, 99), Reason.SYSTEM_ERROR, "WSAEFAULT",
                "report");
        assertMapped(WindowsErrors.associateFailed(10050, Protocol.TCP, 7, 99), Reason.SYSTEM_ERROR, "WSAENETDOWN",
                "network subsystem");
        assertMapped(WindowsErrors.associateFailed(10036, Protocol.TCP, 7, 99), Reason.SYSTEM_ERROR,
                "WSAEINPROGRESS", "retry");
        assertMapped(WindowsErrors.associateFailed(997, Protocol.TCP, 7, 99), Reason.SYSTEM_ERROR, "WSA_IO_PENDING",
                "overlapped");
    }

    static void assertMapped(PortReservationException e, Reason reason, String name, String fragment) {
        assertEquals(reason, e.reason(), e.getMessage());
        assertEquals(name, e.nativeName());
        assertTrue(e.hasNativeCode());
        assertTrue(e.getMessage().contains(name + " (" + e.nativeCode() + ")"), e.getMessage());
        assertTrue(e.getMessage().contains(fragment), () -> "'" + fragment + "' missing in: " + e.getMessage());
    }

    @Test
    void minimumBuildIs17763() {
        assertEquals(17763, WindowsBuild.MINIMUM_BUILD);
        assertNull(WindowsBuild.unsupportedCause(17763));
        assertNull(WindowsBuild.unsupportedCause(26100));
        String cause = WindowsBuild.unsupportedCause(17134);
        assertNotNull(cause);
        assertTrue(cause.contains("17134") && cause.contains("17763"), cause);
    }

    @Test
    @DisabledOnOs(value = OS.WINDOWS, disabledReason = "checks that create() is refused off Windows; on Windows it succeeds")
    void createIsUnsupportedOutsideWindows() {
        String cause = WindowsPortReservationProvider.unavailabilityCause();
        assertNotNull(cause);
        assertTrue(cause.contains("need Windows"), cause);
        PortReservationException e = assertThrows(PortReservationException.class,
                WindowsPortReservationProvider::create);
        assertEquals(Reason.UNSUPPORTED, e.reason());
        assertTrue(e.getMessage().contains(cause), e.getMessage());
    }
}
