package io.github.portreservation;

/**
 * The opaque 64-bit value that identifies a reservation, as Windows' {@code INET_PORT_RESERVATION_TOKEN}.
 * Zero ({@code INVALID_PORT_RESERVATION_TOKEN}) is never a valid token. Value-equal.
 */
public final class ReservationToken {
    private final long value;

    private ReservationToken(long value) {
        this.value = value;
    }

    /**
     * Wraps a raw token value.
     *
     * @throws PortReservationException {@link PortReservationException.Reason#INVALID_ARGUMENT} for 0
     */
    public static ReservationToken of(long value) {
        if (value == 0) {
            throw PortReservationException.invalidArgument("token 0",
                    "0 is INVALID_PORT_RESERVATION_TOKEN and never names a reservation",
                    "use the token returned by acquire() or by a persistent lookup");
        }
        return new ReservationToken(value);
    }

    /** The raw 64-bit value (unsigned on Windows). */
    public long value() {
        return value;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof ReservationToken && ((ReservationToken) o).value == value;
    }

    @Override
    public int hashCode() {
        return Long.hashCode(value);
    }

    @Override
    public String toString() {
        return "ReservationToken[0x" + Long.toHexString(value) + "]";
    }
}
