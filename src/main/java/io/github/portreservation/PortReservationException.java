package io.github.portreservation;

/**
 * The one exception type of this library: a {@link Reason}, the native error (code and symbolic name) when the
 * operating system reported one, and a message that says what failed, why, and what to do.
 *
 * <p>Unchecked, so that value classes and {@code close()} stay convenient; an underlying {@link java.io.IOException}
 * is kept as the cause.
 */
public final class PortReservationException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    /** Why an operation failed. */
    public enum Reason {
        /** An argument broke a documented rule (range bounds, token 0, unsupported address...). */
        INVALID_ARGUMENT,
        /** A requested port lies outside the reservation's block. */
        OUTSIDE_RESERVATION,
        /** The token names no reservation known to this process or provider. */
        UNKNOWN_TOKEN,
        /** The reservation, pool or provider was closed. */
        CLOSED,
        /** Every port of the block is in use by this process's sockets. */
        EXHAUSTED,
        /** A port or block is taken by another socket, process or reservation. */
        IN_USE,
        /** The operating system refused for lack of privileges. */
        ACCESS_DENIED,
        /** A persistent reservation for that block does not exist. */
        NOT_FOUND,
        /** A process limit (open files...) would be exceeded. */
        RESOURCE_LIMIT,
        /** A wait for a free port ran out of time. */
        TIMEOUT,
        /** This platform, provider or socket kind does not support the operation. */
        UNSUPPORTED,
        /** The operating system reported another error; see the native code. */
        SYSTEM_ERROR
    }

    /** Marker for "no native error code". */
    public static final int NO_NATIVE_CODE = Integer.MIN_VALUE;

    private final Reason reason;
    private final int nativeCode;
    private final String nativeName;

    /** An error without a native code. */
    public PortReservationException(Reason reason, String message) {
        this(reason, message, NO_NATIVE_CODE, null, null);
    }

    /** An error without a native code, caused by {@code cause}. */
    public PortReservationException(Reason reason, String message, Throwable cause) {
        this(reason, message, NO_NATIVE_CODE, null, cause);
    }

    /**
     * An error the operating system reported as {@code nativeCode} ({@code nativeName}, e.g. "WSAEADDRINUSE").
     * The code and name are appended to the message.
     */
    public PortReservationException(Reason reason, String message, int nativeCode, String nativeName,
                                    Throwable cause) {
        super(compose(reason, message, nativeCode, nativeName), cause);
        if (reason == null) {
            throw new NullPointerException("reason");
        }
        this.reason = reason;
        this.nativeCode = nativeCode;
        this.nativeName = nativeName;
    }

    /**
     * Returns {@code value}, or throws {@link Reason#INVALID_ARGUMENT} "NAME null is invalid: it must not be null;
     * pass a NAME" when it is null: every public call of this library refuses a null argument this way.
     */
    public static <T> T checkNotNull(T value, String name) {
        if (value == null) {
            throw invalidArgument(name + " null", "it must not be null", "pass a " + name);
        }
        return value;
    }

    /** Shortcut for {@link Reason#INVALID_ARGUMENT}: "VALUE is invalid: RULE; FIX". */
    public static PortReservationException invalidArgument(String value, String rule, String fix) {
        return new PortReservationException(Reason.INVALID_ARGUMENT, value + " is invalid: " + rule + "; " + fix);
    }

    private static String compose(Reason reason, String message, int code, String name) {
        StringBuilder sb = new StringBuilder().append(reason).append(": ").append(message);
        if (code != NO_NATIVE_CODE || name != null) {
            sb.append(" [native error ");
            if (name != null) {
                sb.append(name);
                if (code != NO_NATIVE_CODE) {
                    sb.append(' ');
                }
            }
            if (code != NO_NATIVE_CODE) {
                sb.append('(').append(code).append(')');
            }
            sb.append(']');
        }
        return sb.toString();
    }

    /** Why it failed. */
    public Reason reason() {
        return reason;
    }

    /** The native error code, or {@link #NO_NATIVE_CODE}. */
    public int nativeCode() {
        return nativeCode;
    }

    /** Whether the operating system reported a native error code. */
    public boolean hasNativeCode() {
        return nativeCode != NO_NATIVE_CODE;
    }

    /** The symbolic name of the native error (e.g. "WSAEACCES", "EADDRINUSE"), or null. */
    public String nativeName() {
        return nativeName;
    }
}
