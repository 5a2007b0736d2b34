package io.github.portreservation.windows;

import io.github.portreservation.PortBinding;
import io.github.portreservation.PortRange;
import io.github.portreservation.PortReservationException;
import io.github.portreservation.PortReservationException.Reason;
import io.github.portreservation.Protocol;
import io.github.portreservation.ReservableSocket;
import io.github.portreservation.ReservationToken;
import io.github.portreservation.RuntimeReservation;
import io.github.portreservation.internal.Log;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.channels.NetworkChannel;
import java.util.function.Consumer;

/**
 * A Windows runtime reservation: {@code SIO_ACQUIRE_PORT_RESERVATION} issued on an owner socket that this object keeps
 * open, because Windows ends the reservation when that socket closes. Binds associate the token with the socket to
 * bind, then bind it; the ports bound through this object are counted so that a full block fails fast with EXHAUSTED
 * and a port already bound by this process fails with IN_USE, before any native call. A binding closed while its
 * socket is still open leaves the port counted as bound by that socket (Windows does not give it to another socket
 * while it is open either) until the socket is seen closed. A bind that Windows refuses carries the diagnosis of the
 * {@link WindowsPortDoctor} in its message. Thread-safe.
 */
final class WindowsRuntimeReservation implements RuntimeReservation {
    private static final Log logger = Log.of(WindowsRuntimeReservation.class);

    private final WindowsNatives natives;
    private final WindowsPortDoctor doctor;
    private final Protocol protocol;
    private final PortRange range;
    private final ReservationToken token;
    private final NetworkChannel owner;
    private final long ownerHandle;
    private final Consumer<WindowsRuntimeReservation> onClose;

    private final Object lock = new Object();
    /** Per port of the block: null (free), a WindowsPortBinding (bound), or a claim object (explicit bind running). */
    private final Object[] slots;
    private int bound;
    /** Bindings closed while their socket was open, still counted in {@link #bound} (see {@link #giveBack}). */
    private int lingering;
    private int claimed;
    private int pendingAny;
    private boolean closed;

    WindowsRuntimeReservation(WindowsNatives natives, WindowsPortDoctor doctor, Protocol protocol, PortRange range,
                              ReservationToken token, NetworkChannel owner, long ownerHandle,
                              Consumer<WindowsRuntimeReservation> onClose) {
        this.natives = natives;
        this.doctor = doctor;
        this.protocol = protocol;
        this.range = range;
        this.token = token;
        this.owner = owner;
        this.ownerHandle = ownerHandle;
        this.onClose = onClose;
        this.slots = new Object[range.count()];
    }

    @Override
    public Protocol protocol() {
        return protocol;
    }

    @Override
    public PortRange range() {
        return range;
    }

    @Override
    public ReservationToken token() {
        return token;
    }

    @Override
    public boolean isOpen() {
        synchronized (lock) {
            return !closed;
        }
    }

    @Override
    public int boundPorts() {
        synchronized (lock) {
            endLingeringLocked();
            return bound;
        }
    }

    @Override
    public int availablePorts() {
        synchronized (lock) {
            endLingeringLocked();
            return closed ? 0 : free();
        }
    }

    /** Ports neither bound nor being bound; at least 0 (an explicit bind may run while port-0 binds fill the rest). */
    private int free() {
        return Math.max(0, slots.length - bound - claimed - pendingAny);
    }

    @Override
    public PortBinding bind(ReservableSocket socket, InetSocketAddress requested) {
        InetSocketAddress checked = AssociatedBind.validate(protocol, range, token, socket, requested);
        int port = checked.getPort();
        Object claim = claim(port);
        boolean committed = false;
        try {
            InetSocketAddress local = AssociatedBind.associateAndBind(natives, doctor, protocol, range, token, socket,
                    checked);
            WindowsPortBinding binding = new WindowsPortBinding(token, local, socket, this::giveBack);
            commit(claim, port, binding);
            committed = true;
            return binding;
        } catch (PortReservationException e) {
            if (!isOpen()) {
                throw new PortReservationException(Reason.CLOSED, "reservation " + this + " was closed while "
                        + socket + " was being bound from it", e);
            }
            throw e;
        } finally {
            if (!committed) {
                unclaim(claim, port);
            }
        }
    }

    private Object claim(int port) {
        synchronized (lock) {
            if (closed) {
                throw new PortReservationException(Reason.CLOSED, "reservation " + this + " is closed; acquire a new one");
            }
            // EXHAUSTED is the answer to port 0 only: an explicit port is IN_USE while a socket holds it (below).
            if (port == 0 && free() == 0 && reclaimClosedSockets() == 0) {
                int early = closedBindings();
                throw new PortReservationException(Reason.EXHAUSTED, "all " + slots.length + " ports of " + this
                        + " are bound by sockets of this process (" + bound + " bound, " + (claimed + pendingAny)
                        + " being bound" + (early == 0 ? "" : "; " + early + " of them by sockets that are still open "
                        + "though their PortBinding was closed: such a port stays held until its socket is closed")
                        + "); close a socket and its PortBinding, or acquire a larger block");
            }
            Object claim = new Object();
            if (port == 0) {
                pendingAny++;
                return claim;
            }
            int slot = port - range.start();
            Object occupant = slots[slot];
            if (occupant instanceof WindowsPortBinding && !((WindowsPortBinding) occupant).socket().socketExists()) {
                reclaim(slot);
                occupant = null;
            }
            if (occupant instanceof WindowsPortBinding && !((WindowsPortBinding) occupant).isActive()) {
                throw new PortReservationException(Reason.IN_USE, "port " + port + " of " + this + " is still used by "
                        + ((WindowsPortBinding) occupant).socket() + ", whose PortBinding was closed before the "
                        + "socket: the port stays held by that socket until it is closed; close that socket first, or "
                        + "request port 0 or another port of the block");
            }
            if (occupant != null) {
                throw new PortReservationException(Reason.IN_USE, "port " + port + " of " + this + " is "
                        + (occupant instanceof WindowsPortBinding ? "bound by " + ((WindowsPortBinding) occupant).socket()
                        : "being bound by another thread") + "; request port 0 or another port of the block");
            }
            slots[slot] = claim;
            claimed++;
            return claim;
        }
    }

    private void commit(Object claim, int port, WindowsPortBinding binding) {
        synchronized (lock) {
            unclaim(claim, port);
            int slot = binding.port() - range.start();
            Object occupant = slots[slot];
            if (occupant instanceof WindowsPortBinding) {
                // Windows handed out the port again, so the socket of the old binding is closed but its binding was not.
                logger.debug("Port {} of {} was bound again; the previous binding had not been closed", binding.port(),
                        this);
                reclaim(slot);
            } else if (occupant != null) {
                claimed--; // another thread's explicit claim of this port: its bind cannot succeed any more
            }
            slots[slot] = binding;
            bound++;
        }
    }

    private void unclaim(Object claim, int port) {
        synchronized (lock) {
            if (port == 0) {
                pendingAny--;
            } else if (slots[port - range.start()] == claim) {
                slots[port - range.start()] = null;
                claimed--;
            }
        }
    }

    /** Frees the slot of {@code binding}, unless its socket is still open: then the socket keeps it (class comment). */
    private void giveBack(WindowsPortBinding binding) {
        synchronized (lock) {
            int slot = binding.port() - range.start();
            if (slots[slot] == binding && !binding.socket().socketExists()) {
                slots[slot] = null;
                bound--;
            } else if (slots[slot] == binding) {
                lingering++;
            }
        }
    }

    /** Frees the slots of closed bindings whose socket is gone now, so that counts settle without a bind. */
    private void endLingeringLocked() {
        for (int slot = 0; lingering > 0 && slot < slots.length; slot++) {
            if (slots[slot] instanceof WindowsPortBinding && !((WindowsPortBinding) slots[slot]).isActive()
                    && !((WindowsPortBinding) slots[slot]).socket().socketExists()) {
                reclaim(slot);
            }
        }
    }

    /** How many slots hold a binding that was closed while its socket is open; only for the exhausted message. */
    private int closedBindings() {
        int n = 0;
        for (Object slot : slots) {
            if (slot instanceof WindowsPortBinding && !((WindowsPortBinding) slot).isActive()) {
                n++;
            }
        }
        return n;
    }

    /**
     * Frees the slots of bindings whose socket is closed, whether the binding was closed (before its socket) or not;
     * returns how many.
     */
    private int reclaimClosedSockets() {
        int reclaimed = 0;
        for (int slot = 0; slot < slots.length; slot++) {
            if (slots[slot] instanceof WindowsPortBinding && !((WindowsPortBinding) slots[slot]).socket().socketExists()) {
                reclaim(slot);
                reclaimed++;
            }
        }
        return reclaimed;
    }

    private void reclaim(int slot) {
        WindowsPortBinding binding = (WindowsPortBinding) slots[slot];
        if (!binding.isActive() && lingering > 0) {
            lingering--;
        }
        binding.deactivate();
        slots[slot] = null;
        bound--;
    }

    /**
     * Issues {@code SIO_RELEASE_PORT_RESERVATION} and closes the owner socket; a failure of either is logged and the
     * other still runs (closing the owner socket ends the reservation anyway).
     */
    @Override
    public void close() {
        synchronized (lock) {
            if (closed) {
                return;
            }
            closed = true;
        }
        try {
            onClose.accept(this);
        } finally {
            releaseAndCloseOwner(natives, owner, ownerHandle, protocol, token.value());
        }
    }

    /** RELEASE then close {@code owner}, logging failures; the close always happens. */
    /** The SOCKET of an owner socket (a JDK SocketChannel or DatagramChannel), as its ReservableSocket reads it. */
    static long handleOf(NetworkChannel owner) {
        if (owner instanceof java.nio.channels.SocketChannel) {
            return ReservableSocket.of((java.nio.channels.SocketChannel) owner).nativeHandle();
        }
        return ReservableSocket.of((java.nio.channels.DatagramChannel) owner).nativeHandle();
    }

    static void releaseAndCloseOwner(WindowsNatives natives, NetworkChannel owner, long ownerHandle, Protocol protocol,
                                     long token) {
        try {
            natives.release(ownerHandle, protocol, token);
        } catch (RuntimeException e) {
            logger.warn("Failed to release {} port reservation 0x{}; closing its socket ends it anyway", protocol,
                    Long.toHexString(token), e);
        } finally {
            try {
                owner.close();
            } catch (IOException e) {
                logger.warn("Failed to close the socket that holds {} port reservation 0x{}", protocol,
                        Long.toHexString(token), e);
            }
        }
    }

    @Override
    public String toString() {
        return "WindowsRuntimeReservation[" + protocol + " " + range + ", " + token + "]";
    }
}
