package io.github.portreservation.windows;

import com.sun.jna.Structure;

/** {@code INET_PORT_RESERVATION_TOKEN} from {@code mstcpip.h}: one {@code ULONG64 Token}, 8 bytes. */
@Structure.FieldOrder({"Token"})
public final class InetPortReservationToken extends Structure {
    /** The structure's size in bytes. */
    public static final int SIZE = 8;

    /** The opaque token. */
    public long Token;

    /** A zero token; JNA needs this constructor. */
    public InetPortReservationToken() {
        super(ALIGN_MSVC);
    }

    /** The token {@code value}. */
    public InetPortReservationToken(long value) {
        this();
        Token = value;
    }
}
