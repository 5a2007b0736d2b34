package io.github.portreservation.windows;

import io.github.portreservation.PortBinding;
import io.github.portreservation.ReservableSocket;
import io.github.portreservation.ReservationToken;
import io.github.portreservation.internal.Log;

import java.net.InetSocketAddress;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Consumer;

/** A socket bound from a Windows reservation; closing it gives the port back to the reservation's accounting. */
final class WindowsPortBinding implements PortBinding {
    private static final Log logger = Log.of(WindowsPortBinding.class);

    private final ReservationToken token;
    private final InetSocketAddress localAddress;
    private final ReservableSocket socket;
    private final Consumer<WindowsPortBinding> onClose;
    private final AtomicBoolean active = new AtomicBoolean(true);

    WindowsPortBinding(ReservationToken token, InetSocketAddress localAddress, ReservableSocket socket,
                       Consumer<WindowsPortBinding> onClose) {
        this.token = token;
        this.localAddress = localAddress;
        this.socket = socket;
        this.onClose = onClose;
    }

    @Override
    public ReservationToken token() {
        return token;
    }

    @Override
    public int port() {
        return localAddress.getPort();
    }

    @Override
    public InetSocketAddress localAddress() {
        return localAddress;
    }

    @Override
    public boolean isActive() {
        return active.get();
    }

    @Override
    public boolean holdsPort() {
        return socket.socketExists();
    }

    /** The socket that holds the port. */
    ReservableSocket socket() {
        return socket;
    }

    /** Marks the binding inactive without running the close action (its slot was already reclaimed). */
    void deactivate() {
        active.set(false);
    }

    @Override
    public void close() {
        if (active.compareAndSet(true, false)) {
            try {
                onClose.accept(this);
            } catch (RuntimeException e) {
                logger.warn("Failed to give port {} of {} back", port(), token, e);
            }
        }
    }

    @Override
    public String toString() {
        return "WindowsPortBinding[" + localAddress + ", " + token + (isActive() ? "" : ", closed") + "]";
    }
}
