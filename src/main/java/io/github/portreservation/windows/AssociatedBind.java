package io.github.portreservation.windows;

import io.github.portreservation.PortRange;
import io.github.portreservation.PortReservationException;
import io.github.portreservation.PortReservationException.Reason;
import io.github.portreservation.Protocol;
import io.github.portreservation.ReservableSocket;
import io.github.portreservation.ReservationToken;
import io.github.portreservation.internal.BindErrors;
import io.github.portreservation.internal.BindRequest;

import java.io.IOException;
import java.net.BindException;
import java.net.InetSocketAddress;
import java.nio.channels.ClosedChannelException;

/**
 * The Windows way to bind a socket from a reservation: check the request, {@code SIO_ASSOCIATE_PORT_RESERVATION}
 * with the token, bind, and read back the port Windows gave.
 */
final class AssociatedBind {
    private AssociatedBind() {
    }

    /** {@code value}, or INVALID_ARGUMENT naming {@code name} when it is null. */
    static <T> T present(T value, String name) {
        if (value == null) {
            throw PortReservationException.invalidArgument(name + " null", "must not be null", "pass a " + name);
        }
        return value;
    }

    /**
     * Checks everything that can be checked before any native call ({@link BindRequest}); returns the address to
     * bind (the wildcard address for a null request).
     *
     * @throws PortReservationException INVALID_ARGUMENT (null, wrong protocol, unresolved or already bound socket),
     *         OUTSIDE_RESERVATION, CLOSED (socket closed)
     */
    static InetSocketAddress validate(Protocol protocol, PortRange range, ReservationToken token,
                                      ReservableSocket socket, InetSocketAddress requested) {
        BindRequest request = BindRequest.check("the " + protocol + " reservation " + token, protocol, range, socket,
                requested);
        return request.local(request.port());
    }

    /**
     * Associates {@code token} with {@code socket}, binds it to {@code requested} and returns the address it got,
     * checked to be inside {@code range}. Only when the association or the bind fails does {@code doctor} run, and its
     * diagnosis of the requested port ends the message.
     *
     * @throws PortReservationException the mapped native error of the association, UNSUPPORTED when the socket handle
     *         is not readable (names the --add-opens flag), IN_USE / EXHAUSTED / CLOSED / SYSTEM_ERROR from the bind,
     *         INVALID_ARGUMENT for the JDK's runtime exceptions (already bound, address family) with the fix
     */
    static InetSocketAddress associateAndBind(WindowsNatives natives, WindowsPortDoctor doctor, Protocol protocol,
                                              PortRange range, ReservationToken token, ReservableSocket socket,
                                              InetSocketAddress requested) {
        long handle = socket.nativeHandle();
        natives.associate(handle, protocol, token.value(), () -> elevationNote(doctor));
        try {
            socket.bind(requested);
        } catch (IOException e) {
            throw bindFailed(e, doctor, protocol, range, token, socket, requested);
        } catch (RuntimeException e) {
            throw BindErrors.map(e, socket, requested, "from block " + range + " of " + token);
        }
        InetSocketAddress local;
        try {
            local = socket.localAddress();
        } catch (IOException e) {
            throw new PortReservationException(Reason.SYSTEM_ERROR, "socket " + socket + " was bound from " + token
                    + " but its local address cannot be read: " + e.getMessage() + "; close the socket", e);
        }
        if (local == null || !range.contains(local.getPort())) {
            throw new PortReservationException(Reason.SYSTEM_ERROR, "Windows bound socket " + socket + " to " + local
                    + ", outside the block " + range + " of " + token + " it was associated with; the socket is bound "
                    + "and must be closed. Please report this with your Windows build");
        }
        return local;
    }

    /** "; IsUserAnAdmin says this process is (not) elevated", or "" when it cannot tell. */
    private static String elevationNote(WindowsPortDoctor doctor) {
        switch (doctor.elevation()) {
            case ELEVATED:
                return "; IsUserAnAdmin says this process is elevated";
            case NOT_ELEVATED:
                return "; IsUserAnAdmin says this process is not elevated";
            default:
                return "";
        }
    }

    private static PortReservationException bindFailed(IOException e, WindowsPortDoctor doctor, Protocol protocol,
                                                       PortRange range, ReservationToken token,
                                                       ReservableSocket socket, InetSocketAddress requested) {
        String what = "binding " + socket + " to " + requested + " from block " + range + " of " + token + " failed: "
                + e.getMessage();
        if (e instanceof ClosedChannelException) {
            return new PortReservationException(Reason.CLOSED, what + "; the socket was closed, open a new one", e);
        }
        int port = requested.getPort();
        if (e instanceof BindException && port == 0) {
            return new PortReservationException(Reason.EXHAUSTED, what + "; no port of the block is free (other "
                    + "sockets of this process use them all); close sockets bound from it, or use a larger block", e);
        }
        String diagnosis = port == 0 ? "" : doctor.bindFailureDiagnosis(protocol, port);
        if (e instanceof BindException) {
            return new PortReservationException(Reason.IN_USE, what + "; Windows refused port " + port + " of the "
                    + "block; request port 0 or another port of the block" + diagnosis, e);
        }
        return new PortReservationException(Reason.SYSTEM_ERROR, what + diagnosis, e);
    }
}
