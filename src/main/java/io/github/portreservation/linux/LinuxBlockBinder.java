package io.github.portreservation.linux;

import io.github.portreservation.PortBinding;
import io.github.portreservation.PortRange;
import io.github.portreservation.PortReservationException;
import io.github.portreservation.PortReservationException.Reason;
import io.github.portreservation.Protocol;
import io.github.portreservation.ReservableSocket;
import io.github.portreservation.ReservationToken;
import io.github.portreservation.internal.BindErrors;
import io.github.portreservation.internal.BindRequest;
import io.github.portreservation.internal.PortUsers;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.nio.channels.UnsupportedAddressTypeException;

/**
 * The ports of one block and the sockets of this process on them ({@link PortUsers}: a FIFO of free ports, several
 * sockets per port on addresses that do not overlap or that all asked to share, a port back only once its bindings
 * are closed and its sockets gone). The bind system call happens outside the table's lock.
 */
final class LinuxBlockBinder {
    private static final InetAddress IPV4_ANY = ipv4Any();
    private final String description;
    /** "the " + description: how bind checks and the port table name this block, built once. */
    private final String checkedName;
    private final Protocol protocol;
    private final PortRange range;
    private final ReservationToken token;
    /** Runtime blocks share each port with its placeholder (SO_REUSEPORT); persistent blocks have none. */
    private final boolean shared;
    private final PortUsers users;

    LinuxBlockBinder(String description, Protocol protocol, PortRange range, ReservationToken token, boolean shared) {
        this.description = description;
        this.protocol = protocol;
        this.range = range;
        this.token = token;
        this.shared = shared;
        this.checkedName = "the " + description;
        this.users = new PortUsers(range, checkedName);
    }

    ReservationToken token() {
        return token;
    }

    int boundPorts() {
        return users.used();
    }

    int availablePorts() {
        return users.available();
    }

    boolean isOpen() {
        return users.isOpen();
    }

    /** Refuses further binds; returns false when already closed. */
    boolean close() {
        return users.close();
    }

    /** Binds {@code socket} to a port of the block; see {@link io.github.portreservation.PortBinder#bind}. */
    PortBinding bind(ReservableSocket socket, InetSocketAddress requested) {
        BindRequest request = BindRequest.check(checkedName, protocol, range, socket, requested);
        // A persistent block has no placeholders: another process may have taken a port; try the next ones.
        int attempts = request.port() == 0 && !shared ? range.count() : 1;
        PortReservationException last = null;
        for (int i = 0; i < attempts; i++) {
            LinuxPortBinding binding = claim(request.port(), socket, request.address());
            try {
                return bindClaimed(socket, binding, request.address());
            } catch (IOException e) {
                last = bindFailure(binding.port(), request.address(), e);
                if (last.reason() != Reason.IN_USE) {
                    throw last;
                }
            }
        }
        throw last;
    }

    private PortReservationException bindFailure(int port, InetAddress address, IOException e) {
        return SocketErrors.map("bind " + protocol + " port " + port + " of the " + description
                + (address == null ? "" : " on " + address.getHostAddress()), e, shared
                ? "only a socket of this same user with SO_REUSEPORT can share a held port; find it with "
                + "'ss -lntup sport = :" + port + "'"
                : "net.ipv4.ip_local_reserved_ports only keeps automatic port assignment away, not explicit "
                + "binds; find the other process with 'ss -lntup sport = :" + port + "'");
    }

    /**
     * Binds {@code socket} to the port {@code binding} claimed, on {@code address} (null: the wildcard); closes the
     * binding when the bind fails.
     *
     * @throws IOException the socket's bind failed (the caller words it, and tries the next port when it is in use)
     */
    private PortBinding bindClaimed(ReservableSocket socket, LinuxPortBinding binding, InetAddress address)
            throws IOException {
        InetSocketAddress local = new InetSocketAddress(address, binding.port());
        try {
            if (shared) {
                socket.enablePortSharing();
            }
            try {
                socket.bind(local);
            } catch (IllegalArgumentException e) {
                // not caught by its own type: a handler's type is loaded when the class is verified, at start-up
                if (!(e instanceof UnsupportedAddressTypeException) || address != null) {
                    throw e;
                }
                // The wildcard is [::] in a dual-stack JVM, which an IPv4-only socket (StandardProtocolFamily.INET)
                // refuses before any system call: its own wildcard is 0.0.0.0.
                local = new InetSocketAddress(IPV4_ANY, binding.port());
                socket.bind(local);
            }
            binding.bound(local); // from here the socket uses the port: a close keeps it held while it is open
            InetSocketAddress actual = socket.localAddress();
            if (actual != null) {
                binding.bound(actual);
            }
            return binding;
        } catch (IOException e) {
            binding.close();
            throw e;
        } catch (RuntimeException e) {
            binding.close();
            throw BindErrors.map(e, socket, local, "from the " + description);
        }
    }

    private LinuxPortBinding claim(int port, ReservableSocket socket, InetAddress address) {
        boolean sharing;
        try {
            sharing = socket.portSharingRequested();
        } catch (IOException e) {
            throw new PortReservationException(Reason.SYSTEM_ERROR, "cannot read the SO_REUSEPORT / SO_REUSEADDR "
                    + "options of " + socket + " (" + e.getMessage() + "); bind a new socket", e);
        }
        return new LinuxPortBinding(this, users.claim(port, socket, address, sharing));
    }

    /** The binding was closed: its port comes back once its socket is gone too. */
    void release(LinuxPortBinding binding) {
        if (binding.wasBound()) {
            users.release(binding.user());
        } else {
            users.forget(binding.user());
        }
    }

    private static InetAddress ipv4Any() {
        try {
            return InetAddress.getByAddress(new byte[4]);
        } catch (UnknownHostException e) {
            throw new ExceptionInInitializerError(e); // never: four bytes are a valid IPv4 address
        }
    }

    @Override
    public String toString() {
        return description + " " + range;
    }
}
