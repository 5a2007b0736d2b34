package io.github.portreservation.windows;

import com.sun.jna.Library;
import com.sun.jna.Pointer;
import com.sun.jna.ptr.IntByReference;

/**
 * The two socket-table functions of {@code iphlpapi.dll} that the port doctor uses to find which process holds a port.
 * jna-platform's {@code IPHlpAPI} maps them too, but binds them to the system DLL for good; this interface is loaded by
 * {@link WindowsNatives} from a library name it is given (the tests load a native test double). Each returns
 * {@code NO_ERROR} (0) or a Win32 error code; {@code BOOL}, {@code ULONG} and the table-class enums are Java
 * {@code int}.
 */
public interface IpHelperTableLibrary extends Library {

    /**
     * {@code DWORD GetExtendedTcpTable(PVOID pTcpTable, PDWORD pdwSize, BOOL bOrder, ULONG ulAf,
     * TCP_TABLE_CLASS TableClass, ULONG Reserved)}: the TCP endpoints of family {@code ulAf} ({@code AF_INET} 2,
     * {@code AF_INET6} 23). With {@code TCP_TABLE_OWNER_PID_ALL} (5) it writes a {@code MIB_TCPTABLE_OWNER_PID} or
     * {@code MIB_TCP6TABLE_OWNER_PID}. A NULL or too small buffer gives {@code ERROR_INSUFFICIENT_BUFFER} (122) with
     * the size needed in {@code *pdwSize}; {@code Reserved} must be 0.
     */
    int GetExtendedTcpTable(Pointer pTcpTable, IntByReference pdwSize, int bOrder, int ulAf, int TableClass,
                            int Reserved);

    /**
     * {@code DWORD GetExtendedUdpTable(PVOID pUdpTable, PDWORD pdwSize, BOOL bOrder, ULONG ulAf,
     * UDP_TABLE_CLASS TableClass, ULONG Reserved)}: the UDP endpoints of family {@code ulAf}. With
     * {@code UDP_TABLE_OWNER_PID} (1) it writes a {@code MIB_UDPTABLE_OWNER_PID} or {@code MIB_UDP6TABLE_OWNER_PID};
     * buffer sizing as for {@link #GetExtendedTcpTable}.
     */
    int GetExtendedUdpTable(Pointer pUdpTable, IntByReference pdwSize, int bOrder, int ulAf, int TableClass,
                            int Reserved);
}
