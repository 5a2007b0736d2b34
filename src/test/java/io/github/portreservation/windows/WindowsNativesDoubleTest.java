package io.github.portreservation.windows;

import com.sun.jna.Memory;
import com.sun.jna.Native;
import com.sun.jna.Pointer;
import com.sun.jna.ptr.IntByReference;
import com.sun.jna.ptr.LongByReference;
import io.github.portreservation.PortRange;
import io.github.portreservation.PortReservationException;
import io.github.portreservation.PortReservationException.Reason;
import io.github.portreservation.Protocol;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.channels.DatagramChannel;
import java.nio.channels.SocketChannel;

import static io.github.portreservation.windows.WindowsConstants.SIO_ACQUIRE_PORT_RESERVATION;
import static io.github.portreservation.windows.WindowsLayoutTest.assertMapped;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The production JNA layer ({@link WindowsNatives}, the structures, {@link SocketHandle}) against the native test
 * double: real marshalling through C code with the Windows signatures. Linux with gcc only; nothing here says how
 * Windows itself behaves.
 */
class WindowsNativesDoubleTest {
    private NativeDouble.Control control;
    private WindowsNatives natives;
    private SocketChannel tcp;
    private DatagramChannel udp;

    @BeforeEach
    void setUp() throws IOException {
        NativeDouble.assumeAvailable();
        control = NativeDouble.control();
        natives = NativeDouble.natives();
        tcp = SocketChannel.open();
        udp = DatagramChannel.open();
    }

    @AfterEach
    void tearDown() throws IOException {
        if (tcp != null) {
            tcp.close();
            udp.close();
        }
    }

    private long handle(java.nio.channels.Channel channel) {
        if (channel instanceof java.nio.channels.SocketChannel) {
            return io.github.portreservation.ReservableSocket.of((java.nio.channels.SocketChannel) channel).nativeHandle();
        }
        if (channel instanceof java.nio.channels.ServerSocketChannel) {
            return io.github.portreservation.ReservableSocket.of((java.nio.channels.ServerSocketChannel) channel, 0)
                    .nativeHandle();
        }
        return io.github.portreservation.ReservableSocket.of((java.nio.channels.DatagramChannel) channel).nativeHandle();
    }

    @Test
    void acquireMarshalsBlockInNetworkOrderAndReadsBackFullToken() {
        AcquiredBlock block = natives.acquire(handle(tcp), Protocol.TCP, 40000, 16);
        assertEquals(40000, block.start());
        assertEquals(16, block.count());
        // the double read StartPort with ntohs: a missing htons would have reserved 16540 (0x409C)
        assertArrayEquals(new int[] {40000, 16}, NativeDouble.reservationBlock(control, block.token()));
        // bits 63 and 32 are always set by the double: the 64-bit token survived both directions
        assertTrue(block.token() < 0, Long.toHexString(block.token()));
        assertNotEquals(0, block.token() & 0x1_0000_0000L);
        assertEquals(1, control.double_runtime_reservations());
    }

    @Test
    void acquireOfAnyBlockTakesTheDoublesWindow() {
        control.double_set_dynamic_window(45000, 45100);
        AcquiredBlock first = natives.acquire(handle(udp), Protocol.UDP, 0, 10);
        AcquiredBlock second = natives.acquire(handle(udp), Protocol.UDP, 0, 10);
        assertEquals(45000, first.start());
        assertEquals(45010, second.start());
        assertEquals(10, second.count());
    }

    @Test
    void rawAcquireReportsSixteenBytesAndRefusesSmallBuffers() {
        InetPortRange range = new InetPortRange(41000, 4);
        range.write();
        InetPortReservationInstance instance = new InetPortReservationInstance();
        IntByReference returned = new IntByReference(-1);
        assertEquals(0, natives.winsock().WSAIoctl(new SocketHandle(handle(tcp)), SIO_ACQUIRE_PORT_RESERVATION,
                range.getPointer(), InetPortRange.SIZE, instance.getPointer(), 16, returned, Pointer.NULL,
                Pointer.NULL));
        assertEquals(16, returned.getValue());

        Memory small = new Memory(8);
        returned.setValue(-1);
        InetPortRange other = new InetPortRange(42000, 4);
        other.write();
        assertEquals(-1, natives.winsock().WSAIoctl(new SocketHandle(handle(tcp)), SIO_ACQUIRE_PORT_RESERVATION,
                other.getPointer(), InetPortRange.SIZE, small, 8, returned, Pointer.NULL, Pointer.NULL));
        assertEquals(0, returned.getValue(), "documented: *lpcbBytesReturned is 0 when the output buffer is small");
        assertEquals(WindowsConstants.WSAEINVAL, Native.getLastError());
        assertEquals(WindowsConstants.WSAEINVAL, natives.winsock().WSAGetLastError());
    }

    @Test
    void handleIsPassedPointerWideNotTruncated() {
        long fd = handle(tcp);
        // the same fd number with bit 32 set: a 32-bit marshalling would hand the double a valid socket
        PortReservationException e = assertThrows(PortReservationException.class,
                () -> natives.acquire(fd | 0x1_0000_0000L, Protocol.TCP, 40000, 4));
        assertMapped(e, Reason.SYSTEM_ERROR, "WSAENOTSOCK", "not a socket");
        assertEquals(0, control.double_runtime_reservations());
        assertEquals(40000, natives.acquire(fd, Protocol.TCP, 40000, 4).start());
    }

    @Test
    void overlappingOrExcludedBlocksAreInUseWithTheNetshHint() {
        natives.acquire(handle(tcp), Protocol.TCP, 40000, 16);
        assertMapped(assertThrows(PortReservationException.class,
                        () -> natives.acquire(handle(tcp), Protocol.TCP, 40015, 2)),
                Reason.IN_USE, "WSAEADDRINUSE", "netsh interface ipv4 show excludedportrange protocol=tcp");
        // the UDP port space is separate
        assertEquals(40000, natives.acquire(handle(udp), Protocol.UDP, 40000, 16).start());

        control.double_add_excluded_range(1, 50000, 100);
        assertMapped(assertThrows(PortReservationException.class,
                () -> natives.acquire(handle(tcp), Protocol.TCP, 50050, 10)), Reason.IN_USE, "WSAEADDRINUSE",
                "excludes");
    }

    @Test
    void associateAndReleaseCarryTheTokenIntact() {
        AcquiredBlock block = natives.acquire(handle(tcp), Protocol.TCP, 40000, 4);
        try (SocketChannel client = SocketChannel.open()) {
            natives.associate(handle(client), Protocol.TCP, block.token());
            assertEquals(block.token(), control.double_associated_token(new SocketHandle(handle(client))));
        } catch (IOException e) {
            throw new AssertionError(e);
        }
        natives.release(handle(tcp), Protocol.TCP, block.token());
        assertEquals(0, control.double_runtime_reservations());
        assertMapped(assertThrows(PortReservationException.class,
                () -> natives.release(handle(tcp), Protocol.TCP, block.token())), Reason.UNKNOWN_TOKEN, "WSAEINVAL",
                "already released");
    }

    @Test
    void associateOfAnUnknownOrOtherProtocolTokenIsUnknownToken() {
        AcquiredBlock block = natives.acquire(handle(tcp), Protocol.TCP, 40000, 4);
        assertMapped(assertThrows(PortReservationException.class,
                () -> natives.associate(handle(udp), Protocol.UDP, block.token())), Reason.UNKNOWN_TOKEN,
                "WSAEINVAL", "must be for UDP");
        assertMapped(assertThrows(PortReservationException.class,
                () -> natives.associate(handle(tcp), Protocol.TCP, block.token() ^ 1)), Reason.UNKNOWN_TOKEN,
                "WSAEINVAL", "token 0x");
    }

    @Test
    void reservationEndsWhenTheAcquiringSocketCloses() throws IOException {
        AcquiredBlock block = natives.acquire(handle(tcp), Protocol.TCP, 40000, 4);
        tcp.close();
        assertEquals(0, control.double_runtime_reservations());
        assertNull(NativeDouble.reservationBlock(control, block.token()));
    }

    @Test
    void everyInjectedWinsockErrorCrossesJnaWithItsCodeAndName() {
        int[] codes = {10004, 10013, 10014, 10022, 10036, 10038, 10045, 10048, 10050, 10055, 995, 997};
        Reason[] reasons = {Reason.CLOSED, Reason.ACCESS_DENIED, Reason.SYSTEM_ERROR, Reason.INVALID_ARGUMENT,
            Reason.SYSTEM_ERROR, Reason.SYSTEM_ERROR, Reason.UNSUPPORTED, Reason.IN_USE, Reason.SYSTEM_ERROR,
            Reason.RESOURCE_LIMIT, Reason.CLOSED, Reason.SYSTEM_ERROR};
        for (int i = 0; i < codes.length; i++) {
            control.double_fail_next_ioctl(SIO_ACQUIRE_PORT_RESERVATION, codes[i]);
            PortReservationException e = assertThrows(PortReservationException.class,
                    () -> natives.acquire(handle(tcp), Protocol.TCP, 40000, 4));
            assertEquals(codes[i], e.nativeCode(), e.getMessage());
            assertEquals(WindowsErrors.nameOf(codes[i]), e.nativeName());
            assertEquals(reasons[i], e.reason(), e.getMessage());
            assertEquals(codes[i], natives.winsock().WSAGetLastError());
        }
        assertEquals(0, control.double_runtime_reservations());
    }

    @Test
    void persistentCreateLookupDeleteForBothProtocols() {
        for (Protocol protocol : Protocol.values()) {
            PortRange range = PortRange.of(47000, 8);
            long token = natives.createPersistent(protocol, range);
            assertNotEquals(0, token);
            assertArrayEquals(new int[] {47000, 8}, NativeDouble.reservationBlock(control, token),
                    "StartPort must be in network order");
            assertEquals(token, natives.lookupPersistent(protocol, range));
            assertEquals(0, natives.lookupPersistent(protocol, PortRange.of(47000, 7)), "lookup needs the exact block");
            natives.deletePersistent(protocol, range);
            assertEquals(0, natives.lookupPersistent(protocol, range));
            assertMapped(assertThrows(PortReservationException.class, () -> natives.deletePersistent(protocol, range)),
                    Reason.NOT_FOUND, "ERROR_NOT_FOUND", "same start and count");
        }
    }

    @Test
    void persistentErrorsFromTheDouble() {
        PortRange range = PortRange.of(47000, 8);
        natives.createPersistent(Protocol.UDP, range);
        assertMapped(assertThrows(PortReservationException.class,
                        () -> natives.createPersistent(Protocol.UDP, PortRange.of(47007, 2))),
                Reason.IN_USE, "ERROR_SHARING_VIOLATION", "protocol=udp");
        control.double_set_elevated(0);
        assertMapped(assertThrows(PortReservationException.class,
                        () -> natives.createPersistent(Protocol.TCP, range)),
                Reason.ACCESS_DENIED, "ERROR_ACCESS_DENIED", "Run as administrator");
        assertMapped(assertThrows(PortReservationException.class, () -> natives.deletePersistent(Protocol.UDP, range)),
                Reason.ACCESS_DENIED, "ERROR_ACCESS_DENIED", "elevated");
        // the raw function validates what PortRange already prevents
        LongByReference token = new LongByReference();
        control.double_set_elevated(1);
        assertEquals(WindowsConstants.ERROR_INVALID_PARAMETER, natives.ipHelper().CreatePersistentTcpPortReservation(
                InetPortRange.toNetworkOrder(65535), (short) 2, token));
        assertEquals(WindowsConstants.ERROR_INVALID_PARAMETER, natives.ipHelper().CreatePersistentTcpPortReservation(
                (short) 0, (short) 2, token));
    }

    @Test
    void missingFunctionsMakeLoadUnsupported() {
        String path = NativeDouble.libraryWithoutPersistent().toString();
        PortReservationException e = assertThrows(PortReservationException.class,
                () -> WindowsNatives.load(path, path));
        assertEquals(Reason.UNSUPPORTED, e.reason());
        assertTrue(e.getMessage().contains("CreatePersistentTcpPortReservation"), e.getMessage());

        PortReservationException missing = assertThrows(PortReservationException.class,
                () -> WindowsNatives.load("/nonexistent/libws2_32.so", path));
        assertEquals(Reason.UNSUPPORTED, missing.reason());
        assertTrue(missing.getMessage().contains("/nonexistent/libws2_32.so"), missing.getMessage());
    }
}
