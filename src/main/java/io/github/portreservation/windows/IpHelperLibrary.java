package io.github.portreservation.windows;

import com.sun.jna.Library;
import com.sun.jna.ptr.LongByReference;

/**
 * The six persistent-reservation functions of {@code iphlpapi.dll} (jna-platform maps none of them). Each returns
 * {@code NO_ERROR} (0) or a Win32 error code. {@code StartPort} is in network byte order
 * ({@link InetPortRange#toNetworkOrder}), {@code NumberOfPorts} in host order; both are {@code USHORT}, passed as
 * Java {@code short}.
 */
public interface IpHelperLibrary extends Library {

    /** {@code ULONG CreatePersistentTcpPortReservation(USHORT StartPort, USHORT NumberOfPorts, PULONG64 Token)}. */
    int CreatePersistentTcpPortReservation(short StartPort, short NumberOfPorts, LongByReference Token);

    /** {@code ULONG CreatePersistentUdpPortReservation(USHORT StartPort, USHORT NumberOfPorts, PULONG64 Token)}. */
    int CreatePersistentUdpPortReservation(short StartPort, short NumberOfPorts, LongByReference Token);

    /** {@code ULONG LookupPersistentTcpPortReservation(USHORT StartPort, USHORT NumberOfPorts, PULONG64 Token)}. */
    int LookupPersistentTcpPortReservation(short StartPort, short NumberOfPorts, LongByReference Token);

    /** {@code ULONG LookupPersistentUdpPortReservation(USHORT StartPort, USHORT NumberOfPorts, PULONG64 Token)}. */
    int LookupPersistentUdpPortReservation(short StartPort, short NumberOfPorts, LongByReference Token);

    /** {@code ULONG DeletePersistentTcpPortReservation(USHORT StartPort, USHORT NumberOfPorts)}. */
    int DeletePersistentTcpPortReservation(short StartPort, short NumberOfPorts);

    /** {@code ULONG DeletePersistentUdpPortReservation(USHORT StartPort, USHORT NumberOfPorts)}. */
    int DeletePersistentUdpPortReservation(short StartPort, short NumberOfPorts);
}
