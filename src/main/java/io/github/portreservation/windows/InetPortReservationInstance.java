package io.github.portreservation.windows;

import com.sun.jna.Structure;

/**
 * {@code INET_PORT_RESERVATION_INSTANCE} from {@code mstcpip.h}, the output of {@code SIO_ACQUIRE_PORT_RESERVATION}:
 * the reserved block at offset 0 (StartPort 0, NumberOfPorts 2), 4 bytes of padding, the {@code ULONG64} token at
 * offset 8; 16 bytes on x86 and x64. MSVC alignment is requested explicitly because that is the layout Windows uses,
 * whatever platform the structure is built on.
 */
@Structure.FieldOrder({"Reservation", "Token"})
public final class InetPortReservationInstance extends Structure {
    /** The structure's size in bytes. */
    public static final int SIZE = 16;

    /** The reserved block (StartPort in network order). */
    public InetPortRange Reservation;
    /** The reservation's token. */
    public InetPortReservationToken Token;

    /** A zeroed instance for Windows to fill. */
    public InetPortReservationInstance() {
        super(ALIGN_MSVC);
        Reservation = new InetPortRange();
        Token = new InetPortReservationToken();
    }

    /** Offset of the token field in bytes (8). */
    int tokenOffset() {
        return fieldOffset("Token");
    }
}
