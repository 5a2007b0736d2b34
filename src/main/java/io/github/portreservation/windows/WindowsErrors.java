package io.github.portreservation.windows;

import io.github.portreservation.PortRange;
import io.github.portreservation.PortReservationException;
import io.github.portreservation.PortReservationException.Reason;
import io.github.portreservation.Protocol;

import java.util.Locale;
import java.util.function.Supplier;

import static io.github.portreservation.windows.WindowsConstants.ERROR_ACCESS_DENIED;
import static io.github.portreservation.windows.WindowsConstants.ERROR_INVALID_PARAMETER;
import static io.github.portreservation.windows.WindowsConstants.ERROR_NOT_FOUND;
import static io.github.portreservation.windows.WindowsConstants.ERROR_SHARING_VIOLATION;
import static io.github.portreservation.windows.WindowsConstants.WSAEACCES;
import static io.github.portreservation.windows.WindowsConstants.WSAEADDRINUSE;
import static io.github.portreservation.windows.WindowsConstants.WSAEFAULT;
import static io.github.portreservation.windows.WindowsConstants.WSAEINPROGRESS;
import static io.github.portreservation.windows.WindowsConstants.WSAEINTR;
import static io.github.portreservation.windows.WindowsConstants.WSAEINVAL;
import static io.github.portreservation.windows.WindowsConstants.WSAENETDOWN;
import static io.github.portreservation.windows.WindowsConstants.WSAENOBUFS;
import static io.github.portreservation.windows.WindowsConstants.WSAENOTSOCK;
import static io.github.portreservation.windows.WindowsConstants.WSAEOPNOTSUPP;
import static io.github.portreservation.windows.WindowsConstants.WSA_IO_PENDING;
import static io.github.portreservation.windows.WindowsConstants.WSA_OPERATION_ABORTED;

/**
 * Turns the Winsock and Win32 error codes of the reservation calls into {@link PortReservationException}s that carry
 * the code, its symbolic name, a {@link Reason} and a message saying what to do.
 */
final class WindowsErrors {
    private static final String ELEVATION_FIX = "run the JVM as an elevated administrator (an elevated prompt: "
            + "'Run as administrator', or an application manifest with requestedExecutionLevel=requireAdministrator)";

    private WindowsErrors() {
    }

    /** The symbolic name of a Winsock or Win32 error code, or null when this library does not know it. */
    static String nameOf(int code) {
        switch (code) {
            case WSAEINTR: return "WSAEINTR";
            case WSAEACCES: return "WSAEACCES";
            case WSAEFAULT: return "WSAEFAULT";
            case WSAEINVAL: return "WSAEINVAL";
            case WSAEINPROGRESS: return "WSAEINPROGRESS";
            case WSAENOTSOCK: return "WSAENOTSOCK";
            case WSAEOPNOTSUPP: return "WSAEOPNOTSUPP";
            case WSAEADDRINUSE: return "WSAEADDRINUSE";
            case WSAENETDOWN: return "WSAENETDOWN";
            case WSAENOBUFS: return "WSAENOBUFS";
            case WSA_OPERATION_ABORTED: return "WSA_OPERATION_ABORTED";
            case WSA_IO_PENDING: return "WSA_IO_PENDING";
            case ERROR_ACCESS_DENIED: return "ERROR_ACCESS_DENIED";
            case ERROR_SHARING_VIOLATION: return "ERROR_SHARING_VIOLATION";
            case ERROR_INVALID_PARAMETER: return "ERROR_INVALID_PARAMETER";
            case ERROR_NOT_FOUND: return "ERROR_NOT_FOUND";
            default: return null;
        }
    }

    /** The command that lists the port ranges Windows excludes (including persistent reservations) for a protocol. */
    static String excludedRangeCommand(Protocol protocol) {
        return "netsh interface ipv4 show excludedportrange protocol=" + protocol.name().toLowerCase(Locale.ROOT);
    }

    /**
     * The failure of {@code SIO_ACQUIRE_PORT_RESERVATION} for {@code count} ports from {@code start} (0 = any block).
     */
    static PortReservationException acquireFailed(int code, Protocol protocol, int start, int count) {
        return acquireFailed(code, protocol, start, count, () -> "");
    }

    /**
     * As {@link #acquireFailed(int, Protocol, int, int)}; for WSAEADDRINUSE and WSAEACCES on a specific block, the text
     * of {@code diagnosis} (called only then) ends the message.
     */
    static PortReservationException acquireFailed(int code, Protocol protocol, int start, int count,
                                                  Supplier<String> diagnosis) {
        String block = start == 0 ? "any block of " + count + " " + protocol + " ports"
                : protocol + " block " + PortRange.of(start, count);
        String what = "SIO_ACQUIRE_PORT_RESERVATION for " + block + " failed: ";
        switch (code) {
            case WSAEADDRINUSE:
                return fail(Reason.IN_USE, what + (start == 0
                        ? "Windows found no free block of that size; ask for fewer ports, or list the excluded ranges "
                                + "with '" + excludedRangeCommand(protocol) + "'"
                        : "the block overlaps a port range Windows excludes (Hyper-V, WinNAT, WSL or Docker reserve "
                                + "such ranges) or another reservation; list them with '"
                                + excludedRangeCommand(protocol) + "' and choose a block outside them, "
                                + "or acquire by count and let Windows choose" + diagnosis.get()), code);
            case WSAEACCES:
                return fail(Reason.ACCESS_DENIED, what + "Windows refused access to the block; it may be administratively "
                        + "excluded (see '" + excludedRangeCommand(protocol) + "'), or " + ELEVATION_FIX
                        + (start == 0 ? "" : diagnosis.get()), code);
            case WSAEINVAL:
                return fail(Reason.INVALID_ARGUMENT, what + "Windows refused the request (a block passing port 65535, "
                        + "zero ports, or a buffer size it does not accept); pass a block inside 1..65535", code);
            default:
                return common(code, what);
        }
    }

    /** The failure of {@code SIO_ASSOCIATE_PORT_RESERVATION} of {@code token} on socket {@code handle}. */
    static PortReservationException associateFailed(int code, Protocol protocol, long token, long handle) {
        return associateFailed(code, protocol, token, handle, () -> "");
    }

    /**
     * As {@link #associateFailed(int, Protocol, long, long)}; for WSAEACCES the text of {@code elevation} (called only
     * then) ends the message.
     */
    static PortReservationException associateFailed(int code, Protocol protocol, long token, long handle,
                                                    Supplier<String> elevation) {
        String what = "SIO_ASSOCIATE_PORT_RESERVATION of " + tokenText(token) + " on " + protocol + " socket "
                + handle + " failed: ";
        switch (code) {
            case WSAEACCES:
                return fail(Reason.ACCESS_DENIED, what + "using a persistent reservation needs administrator rights; "
                        + ELEVATION_FIX + elevation.get(), code);
            case WSAEINVAL:
                return fail(Reason.UNKNOWN_TOKEN, what + "Windows does not accept this token for this socket: a runtime "
                        + "reservation ends when the socket that acquired it closes, a persistent token changes at "
                        + "reboot (look it up again), the token must be for " + protocol + ", and the socket must not "
                        + "be bound yet", code);
            default:
                return common(code, what);
        }
    }

    /** The failure of {@code SIO_RELEASE_PORT_RESERVATION} of {@code token} on socket {@code handle}. */
    static PortReservationException releaseFailed(int code, Protocol protocol, long token, long handle) {
        String what = "SIO_RELEASE_PORT_RESERVATION of " + tokenText(token) + " on " + protocol + " socket " + handle
                + " failed: ";
        if (code == WSAEINVAL) {
            return fail(Reason.UNKNOWN_TOKEN, what + "Windows knows no runtime reservation of this process with this "
                    + "token (already released, or its socket closed)", code);
        }
        return common(code, what);
    }

    /** The failure of an IP Helper persistent-reservation {@code function} for {@code range}. */
    static PortReservationException persistentFailed(int code, String function, Protocol protocol, PortRange range) {
        String what = function + " for " + protocol + " block " + range + " failed: ";
        switch (code) {
            case ERROR_ACCESS_DENIED:
                return fail(Reason.ACCESS_DENIED, what + "persistent reservations need a member of the Administrators "
                        + "group with an elevated token; " + ELEVATION_FIX, code);
            case ERROR_INVALID_PARAMETER:
                return fail(Reason.INVALID_ARGUMENT, what + "Windows refused the start or count (zero, or a block "
                        + "passing port 65535); pass a block inside 1..65535", code);
            case ERROR_SHARING_VIOLATION:
                return fail(Reason.IN_USE, what + "a port of the block is in use, or the block overlaps another "
                        + "persistent reservation; list them with '" + excludedRangeCommand(protocol)
                        + "' (persistent ones are marked with *) and choose another block", code);
            case ERROR_NOT_FOUND:
                return fail(Reason.NOT_FOUND, what + "there is no persistent " + protocol + " reservation of exactly "
                        + "this block; lookup and delete need the same start and count as the create (see '"
                        + excludedRangeCommand(protocol) + "')", code);
            default:
                return fail(Reason.SYSTEM_ERROR, what + "Windows reported an unexpected error; look the code up "
                        + "with 'net helpmsg " + code + "'", code);
        }
    }

    private static PortReservationException common(int code, String what) {
        switch (code) {
            case WSAEOPNOTSUPP:
                return fail(Reason.UNSUPPORTED, what + "this Windows TCP/IP stack, or a layered service provider "
                        + "installed on it, does not support port reservations (Wine does not either), or the socket is "
                        + "not a TCP or UDP socket", code);
            case WSAENOTSOCK:
                return fail(Reason.SYSTEM_ERROR, what + "the handle is not a socket: the channel was not opened by the "
                        + "JDK's default SelectorProvider, or it was closed concurrently", code);
            case WSAEFAULT:
                return fail(Reason.SYSTEM_ERROR, what + "Windows refused a buffer pointer; this is a bug in this "
                        + "library, please report it with this message", code);
            case WSAENETDOWN:
                return fail(Reason.SYSTEM_ERROR, what + "the network subsystem failed; retry once it is back", code);
            case WSAEINTR:
            case WSA_OPERATION_ABORTED:
                return fail(Reason.CLOSED, what + "the socket was closed or the call cancelled while it ran", code);
            case WSAEINPROGRESS:
                return fail(Reason.SYSTEM_ERROR, what + "another blocking Winsock call is in progress on this thread; "
                        + "retry", code);
            case WSA_IO_PENDING:
                return fail(Reason.SYSTEM_ERROR, what + "Windows treated the call as overlapped although this library "
                        + "passes no OVERLAPPED structure; please report it with this message", code);
            case WSAENOBUFS:
                return fail(Reason.RESOURCE_LIMIT, what + "Windows has no buffer space left; close unused sockets and "
                        + "reservations", code);
            case WSAEADDRINUSE:
                return fail(Reason.IN_USE, what + "a port of the block is in use", code);
            case WSAEACCES:
                return fail(Reason.ACCESS_DENIED, what + "access denied; " + ELEVATION_FIX, code);
            default:
                return fail(Reason.SYSTEM_ERROR, what + "Windows reported an unexpected error; look the code up with "
                        + "'net helpmsg " + code + "'", code);
        }
    }

    private static PortReservationException fail(Reason reason, String message, int code) {
        return new PortReservationException(reason, message, code, nameOf(code), null);
    }

    static String tokenText(long token) {
        return "token 0x" + Long.toHexString(token);
    }
}
