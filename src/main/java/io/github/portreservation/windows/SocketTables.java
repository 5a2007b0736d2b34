package io.github.portreservation.windows;

import com.sun.jna.Pointer;
import io.github.portreservation.PortReservationException;
import io.github.portreservation.PortReservationException.Reason;
import io.github.portreservation.Protocol;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.ArrayList;
import java.util.List;

import static io.github.portreservation.windows.WindowsConstants.AF_INET;

/**
 * Reads the tables {@code GetExtendedTcpTable} / {@code GetExtendedUdpTable} write: a {@code DWORD dwNumEntries}, then
 * the rows ({@code tcpmib.h}, {@code udpmib.h}; every member is a DWORD or a byte array, so the rows are packed at
 * 4-byte alignment on every architecture). Addresses are in network byte order; {@code dwLocalPort} holds the port in
 * network byte order in its low 16 bits, and Microsoft documents that the upper 16 bits may contain uninitialized data.
 */
final class SocketTables {
    /** {@code sizeof(MIB_TCPROW_OWNER_PID)}: dwState, dwLocalAddr, dwLocalPort, dwRemoteAddr, dwRemotePort, dwOwningPid. */
    static final int TCP4_ROW = 24;
    /** {@code sizeof(MIB_TCP6ROW_OWNER_PID)}: ucLocalAddr[16], dwLocalScopeId, dwLocalPort, ucRemoteAddr[16],
     * dwRemoteScopeId, dwRemotePort, dwState, dwOwningPid. */
    static final int TCP6_ROW = 56;
    /** {@code sizeof(MIB_UDPROW_OWNER_PID)}: dwLocalAddr, dwLocalPort, dwOwningPid. */
    static final int UDP4_ROW = 12;
    /** {@code sizeof(MIB_UDP6ROW_OWNER_PID)}: ucLocalAddr[16], dwLocalScopeId, dwLocalPort, dwOwningPid. */
    static final int UDP6_ROW = 28;
    /** Offset of the first row, after {@code dwNumEntries}. */
    static final int FIRST_ROW = 4;

    private SocketTables() {
    }

    /** The row size of the table of {@code protocol} and address family {@code af}. */
    static int rowSize(Protocol protocol, int af) {
        if (protocol == Protocol.TCP) {
            return af == AF_INET ? TCP4_ROW : TCP6_ROW;
        }
        return af == AF_INET ? UDP4_ROW : UDP6_ROW;
    }

    /**
     * The rows of the table in {@code buffer} ({@code size} bytes valid).
     *
     * @throws PortReservationException SYSTEM_ERROR when dwNumEntries does not fit the buffer
     */
    static List<SocketEntry> read(Protocol protocol, int af, Pointer buffer, long size) {
        int rowSize = rowSize(protocol, af);
        long entries = size < FIRST_ROW ? -1 : Integer.toUnsignedLong(buffer.getInt(0));
        if (entries < 0 || FIRST_ROW + entries * rowSize > size) {
            throw new PortReservationException(Reason.SYSTEM_ERROR, "the " + protocol + " socket table (address family "
                    + af + ") says " + entries + " rows of " + rowSize + " bytes, which do not fit its " + size
                    + " bytes; please report this with your Windows build");
        }
        List<SocketEntry> rows = new ArrayList<>((int) entries);
        for (int i = 0; i < entries; i++) {
            rows.add(row(protocol, af, buffer, FIRST_ROW + (long) i * rowSize));
        }
        return rows;
    }

    private static SocketEntry row(Protocol protocol, int af, Pointer buffer, long at) {
        boolean v4 = af == AF_INET;
        long address;
        long port;
        long pid;
        int state = 0;
        if (protocol == Protocol.TCP && v4) {
            state = buffer.getInt(at);
            address = at + 4;
            port = at + 8;
            pid = at + 20;
        } else if (protocol == Protocol.TCP) {
            address = at;
            port = at + 20;
            state = buffer.getInt(at + 48);
            pid = at + 52;
        } else if (v4) {
            address = at;
            port = at + 4;
            pid = at + 8;
        } else {
            address = at;
            port = at + 20;
            pid = at + 24;
        }
        return new SocketEntry(protocol, address(buffer.getByteArray(address, v4 ? 4 : 16)), portOf(buffer, port),
                Integer.toUnsignedLong(buffer.getInt(pid)), state);
    }

    /**
     * The port of a {@code dwLocalPort} at {@code at}: the DWORD's low 16 bits, in network byte order. Windows is
     * little-endian on every architecture it runs on, so those are the DWORD's first two bytes, high byte first.
     */
    static int portOf(Pointer buffer, long at) {
        return (Byte.toUnsignedInt(buffer.getByte(at)) << 8) | Byte.toUnsignedInt(buffer.getByte(at + 1));
    }

    private static InetAddress address(byte[] bytes) {
        try {
            return InetAddress.getByAddress(bytes);
        } catch (UnknownHostException e) {
            throw new AssertionError("4 or 16 bytes are always an address", e);
        }
    }
}
