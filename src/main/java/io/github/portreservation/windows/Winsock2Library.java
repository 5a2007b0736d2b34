package io.github.portreservation.windows;

import com.sun.jna.Library;
import com.sun.jna.Pointer;
import com.sun.jna.ptr.IntByReference;

/**
 * The two {@code ws2_32.dll} functions the runtime reservations need (jna-platform maps neither).
 * Load it through {@link WindowsNatives}, which picks the calling convention.
 */
public interface Winsock2Library extends Library {

    /**
     * {@code int WSAIoctl(SOCKET s, DWORD dwIoControlCode, LPVOID lpvInBuffer, DWORD cbInBuffer,
     * LPVOID lpvOutBuffer, DWORD cbOutBuffer, LPDWORD lpcbBytesReturned, LPWSAOVERLAPPED lpOverlapped,
     * LPWSAOVERLAPPED_COMPLETION_ROUTINE lpCompletionRoutine)}: 0 on success, SOCKET_ERROR (-1) on failure.
     */
    int WSAIoctl(SocketHandle s, int dwIoControlCode, Pointer lpvInBuffer, int cbInBuffer, Pointer lpvOutBuffer,
                 int cbOutBuffer, IntByReference lpcbBytesReturned, Pointer lpOverlapped, Pointer lpCompletionRoutine);

    /**
     * {@code int WSAGetLastError(void)}. Prefer {@link com.sun.jna.Native#getLastError()}, which JNA captures right
     * after the failed call, before the JVM can overwrite the thread's last error.
     */
    int WSAGetLastError();
}
