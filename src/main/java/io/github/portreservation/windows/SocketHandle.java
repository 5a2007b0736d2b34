package io.github.portreservation.windows;

import com.sun.jna.IntegerType;
import com.sun.jna.Native;

/**
 * Winsock's {@code SOCKET} ({@code UINT_PTR}): an unsigned integer as wide as a pointer, 4 bytes on 32-bit and
 * 8 bytes on 64-bit Windows. JNA passes an {@link IntegerType} of {@link Native#POINTER_SIZE} in an integer register
 * of exactly that width, which neither {@code int} (too narrow on x64) nor {@code long} (too wide on x86) would do.
 */
public final class SocketHandle extends IntegerType {
    private static final long serialVersionUID = 1L;

    /** Zero handle; JNA needs this constructor. */
    public SocketHandle() {
        super(Native.POINTER_SIZE, true);
    }

    /**
     * The handle {@code value}, as {@link io.github.portreservation.ReservableSocket#nativeHandle()} returns it
     * (a 32-bit handle sign-extended to 64 bits).
     */
    public SocketHandle(long value) {
        super(Native.POINTER_SIZE, value, true);
    }
}
