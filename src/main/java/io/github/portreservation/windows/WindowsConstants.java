package io.github.portreservation.windows;

/**
 * Values from the Windows SDK headers ({@code mstcpip.h}, {@code winsock2.h}, {@code winerror.h}, {@code iprtrmib.h},
 * {@code tcpmib.h}) that the port-reservation calls and the port doctor use. Each is checked against the header value
 * by a unit test.
 */
public final class WindowsConstants {
    /** {@code _WSAIOW(IOC_VENDOR, 100)}: reserve a block for the calling socket's lifetime. */
    public static final int SIO_ACQUIRE_PORT_RESERVATION = 0x98000064;
    /** {@code _WSAIOW(IOC_VENDOR, 101)}: release a runtime reservation. */
    public static final int SIO_RELEASE_PORT_RESERVATION = 0x98000065;
    /** {@code _WSAIOW(IOC_VENDOR, 102)}: make the next bind of the socket take its port from a reservation. */
    public static final int SIO_ASSOCIATE_PORT_RESERVATION = 0x98000066;
    /** The token value that never names a reservation. */
    public static final long INVALID_PORT_RESERVATION_TOKEN = 0L;
    /** Return value of a failed Winsock call. */
    public static final int SOCKET_ERROR = -1;
    /** Return value of a successful IP Helper call. */
    public static final int NO_ERROR = 0;

    /** {@code WSAEINTR}: a blocking call was interrupted. */
    public static final int WSAEINTR = 10004;
    /** {@code WSAEACCES}: permission denied. */
    public static final int WSAEACCES = 10013;
    /** {@code WSAEFAULT}: a pointer argument is not valid user memory. */
    public static final int WSAEFAULT = 10014;
    /** {@code WSAEINVAL}: an argument, the control code or the socket state is not acceptable. */
    public static final int WSAEINVAL = 10022;
    /** {@code WSAEINPROGRESS}: a blocking operation is in progress. */
    public static final int WSAEINPROGRESS = 10036;
    /** {@code WSAENOTSOCK}: the handle is not a socket. */
    public static final int WSAENOTSOCK = 10038;
    /** {@code WSAEOPNOTSUPP}: the operation is not supported for this socket or provider. */
    public static final int WSAEOPNOTSUPP = 10045;
    /** {@code WSAEADDRINUSE}: the address or port block is in use. */
    public static final int WSAEADDRINUSE = 10048;
    /** {@code WSAENETDOWN}: the network subsystem failed. */
    public static final int WSAENETDOWN = 10050;
    /** {@code WSAENOBUFS}: no buffer space available. */
    public static final int WSAENOBUFS = 10055;
    /** {@code WSA_OPERATION_ABORTED} (= ERROR_OPERATION_ABORTED): the socket was closed or the call cancelled. */
    public static final int WSA_OPERATION_ABORTED = 995;
    /** {@code WSA_IO_PENDING} (= ERROR_IO_PENDING): an overlapped operation is still running. */
    public static final int WSA_IO_PENDING = 997;

    /** {@code ERROR_ACCESS_DENIED}: the caller is not an elevated administrator. */
    public static final int ERROR_ACCESS_DENIED = 5;
    /** {@code ERROR_SHARING_VIOLATION}: a port of the block is in use or already persistently reserved. */
    public static final int ERROR_SHARING_VIOLATION = 32;
    /** {@code ERROR_INVALID_PARAMETER}: zero start or count, or the block passes port 65535. */
    public static final int ERROR_INVALID_PARAMETER = 87;
    /** {@code ERROR_NOT_FOUND}: no persistent reservation of exactly that block. */
    public static final int ERROR_NOT_FOUND = 1168;
    /** {@code ERROR_NOT_SUPPORTED}: the function is not supported on this system. */
    public static final int ERROR_NOT_SUPPORTED = 50;
    /** {@code ERROR_INSUFFICIENT_BUFFER}: the table does not fit; the size needed was written back. */
    public static final int ERROR_INSUFFICIENT_BUFFER = 122;

    /** {@code AF_INET} on Windows. */
    public static final int AF_INET = 2;
    /** {@code AF_INET6} on Windows (23, unlike Linux's 10). */
    public static final int AF_INET6 = 23;
    /** {@code TCP_TABLE_OWNER_PID_ALL}: every TCP endpoint, with its owning process id. */
    public static final int TCP_TABLE_OWNER_PID_ALL = 5;
    /** {@code UDP_TABLE_OWNER_PID}: every UDP endpoint, with its owning process id. */
    public static final int UDP_TABLE_OWNER_PID = 1;
    /** {@code MIB_TCP_STATE_LISTEN}. */
    public static final int MIB_TCP_STATE_LISTEN = 2;
    /** {@code MIB_TCP_STATE_TIME_WAIT}. */
    public static final int MIB_TCP_STATE_TIME_WAIT = 11;

    private WindowsConstants() {
    }
}
