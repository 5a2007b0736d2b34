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
import io.github.portreservation.internal.PortFifo;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.nio.channels.UnsupportedAddressTypeException;

/**
 * The ports of one block that this process's sockets use: which port each binding has, and a FIFO of free ports
 * (a returned port goes to the back, so it is reused as late as possible). Choosing and returning a port is O(1);
 * the bind system call happens outside the lock.
 *
 * <p>A port goes back to the FIFO only when its socket is gone: a binding closed while its socket is still open
 * leaves the port held by that socket (a runtime block would otherwise let a new socket join the old one's
 * SO_REUSEPORT group and split its connections). Such a port comes back, at the back of the FIFO, once its socket is
 * seen closed: when the block is exhausted, or when that port is requested explicitly.
 */
final class PortBlock {
    private static final InetAddress IPV4_ANY = ipv4Any();
    private final String description;
    private final Protocol protocol;
    private final PortRange range;
    private final ReservationToken token;
    /** Runtime blocks share each port with its placeholder (SO_REUSEPORT); persistent blocks have none. */
    private final boolean shared;
    private final Object lock = new Object();
    private final PortFifo free;
    private final LinuxPortBinding[] bindings;
    private boolean open = true;

    PortBlock(String description, Protocol protocol, PortRange range, ReservationToken token, boolean shared) {
        this.description = description;
        this.protocol = protocol;
        this.range = range;
        this.token = token;
        this.shared = shared;
        this.free = new PortFifo(range.count());
        this.bindings = new LinuxPortBinding[range.count()];
        for (int i = 0; i < range.count(); i++) {
            free.addLast(i);
        }
    }

    ReservationToken token() {
        return token;
    }

    int boundPorts() {
        synchronized (lock) {
            return range.count() - free.size();
        }
    }

    int availablePorts() {
        synchronized (lock) {
            return open ? free.size() : 0;
        }
    }

    boolean isOpen() {
        synchronized (lock) {
            return open;
        }
    }

    /** Refuses further binds; returns false when already closed. */
    boolean close() {
        synchronized (lock) {
            boolean was = open;
            open = false;
            return was;
        }
    }

    /** Binds {@code socket} to a port of the block; see {@link io.github.portreservation.PortBinder#bind}. */
    PortBinding bind(ReservableSocket socket, InetSocketAddress requested) {
        BindRequest request = BindRequest.check("the " + description, protocol, range, socket, requested);
        InetAddress address = request.address();
        int port = request.port();
        // A persistent block has no placeholders: another process may have taken a port; try the next ones.
        int attempts = port == 0 && !shared ? range.count() : 1;
        PortReservationException last = null;
        for (int i = 0; i < attempts; i++) {
            LinuxPortBinding binding = claim(port, socket);
            InetSocketAddress local = new InetSocketAddress(address, binding.port());
            try {
                if (shared) {
                    socket.enablePortSharing();
                }
                try {
                    socket.bind(local);
                } catch (UnsupportedAddressTypeException e) {
                    if (address != null) {
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
                last = SocketErrors.map("bind " + protocol + " port " + binding.port() + " of the " + description
                        + (address == null ? "" : " on " + address.getHostAddress()), e, shared
                        ? "only a socket of this same user with SO_REUSEPORT can share a held port; find it with "
                        + "'ss -lntup sport = :" + binding.port() + "'"
                        : "net.ipv4.ip_local_reserved_ports only keeps automatic port assignment away, not explicit "
                        + "binds; find the other process with 'ss -lntup sport = :" + binding.port() + "'");
                if (last.reason() != Reason.IN_USE) {
                    throw last;
                }
            } catch (RuntimeException e) {
                binding.close();
                throw BindErrors.map(e, socket, local, "from the " + description);
            }
        }
        throw last;
    }

    private LinuxPortBinding claim(int port, ReservableSocket socket) {
        synchronized (lock) {
            if (!open) {
                throw new PortReservationException(Reason.CLOSED, "the " + description
                        + " is closed; acquire a new reservation");
            }
            int index;
            if (port == 0) {
                index = free.pollFirst();
                if (index < 0 && reclaimClosedSocketsLocked()) {
                    index = free.pollFirst();
                }
                if (index < 0) {
                    int early = closedBindingsLocked();
                    throw new PortReservationException(Reason.EXHAUSTED, "all " + range.count() + " ports of the "
                            + description + " (" + range + ") are bound by sockets of this process"
                            + (early == 0 ? "" : " (" + early + " of them by sockets that are still open though their "
                            + "PortBinding was closed: such a port stays held until its socket is closed)")
                            + "; close one of them, acquire a larger reservation, or use a ReservationPool that grows "
                            + "by blocks");
                }
            } else {
                index = port - range.start();
                if (!free.remove(index)) {
                    LinuxPortBinding holder = bindings[index];
                    if (holder != null && !holder.isActive() && holder.socket().socketExists()) {
                        throw new PortReservationException(Reason.IN_USE, "port " + port + " of the " + description
                                + " is still used by " + holder.socket() + ", whose PortBinding was closed before the "
                                + "socket: the port stays held by that socket (a second socket on it would share its "
                                + "connections) until it is closed; close that socket first, or request port 0 for "
                                + "any free port");
                    }
                    if (holder == null || holder.socket().socketExists()) {
                        throw new PortReservationException(Reason.IN_USE, "port " + port + " of the " + description
                                + " is already bound by " + (holder == null ? "a socket" : holder.socket())
                                + " of this process; close that socket first, or request port 0 for any free port");
                    }
                    bindings[index] = null; // its socket closed without giving the port back
                }
            }
            LinuxPortBinding binding = new LinuxPortBinding(this, index, range.start() + index, socket);
            bindings[index] = binding;
            return binding;
        }
    }

    /** How many ports are held by open sockets whose binding was closed; only for the exhausted message. */
    private int closedBindingsLocked() {
        int n = 0;
        for (LinuxPortBinding b : bindings) {
            if (b != null && !b.isActive()) {
                n++;
            }
        }
        return n;
    }

    /**
     * Gives back ports whose sockets were closed, whether their binding was closed (before the socket) or not; only on
     * the exhausted path.
     */
    private boolean reclaimClosedSocketsLocked() {
        boolean any = false;
        for (int i = 0; i < bindings.length; i++) {
            LinuxPortBinding b = bindings[i];
            if (b != null && !b.socket().socketExists()) {
                bindings[i] = null;
                free.addLast(i);
                any = true;
            }
        }
        return any;
    }

    /**
     * Gives the port of {@code binding} back, unless its socket is bound and still open: then the port stays held by
     * that socket (see the class comment) and comes back once the socket is seen closed.
     */
    void release(LinuxPortBinding binding) {
        synchronized (lock) {
            int index = binding.index();
            if (bindings[index] == binding && !(binding.wasBound() && binding.socket().socketExists())) {
                bindings[index] = null;
                free.addLast(index);
            }
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
