package io.github.portreservation.linux;

import io.github.portreservation.PortBinding;
import io.github.portreservation.ReservableSocket;
import io.github.portreservation.ReservationToken;

import java.net.InetSocketAddress;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * A port of a {@link PortBlock} used by one socket; {@link #close()} gives it back once (or, while the socket is still
 * open, leaves it held by the socket until the block sees the socket closed).
 */
final class LinuxPortBinding implements PortBinding {
    private final PortBlock block;
    private final int index;
    private final int port;
    private final ReservableSocket socket;
    private final AtomicBoolean closed = new AtomicBoolean();
    private volatile InetSocketAddress localAddress;

    LinuxPortBinding(PortBlock block, int index, int port, ReservableSocket socket) {
        this.block = block;
        this.index = index;
        this.port = port;
        this.socket = socket;
    }

    int index() {
        return index;
    }

    ReservableSocket socket() {
        return socket;
    }

    void bound(InetSocketAddress address) {
        localAddress = address;
    }

    /** Whether the socket was bound to the port (a bind that failed leaves the port free at once). */
    boolean wasBound() {
        return localAddress != null;
    }

    @Override
    public ReservationToken token() {
        return block.token();
    }

    @Override
    public int port() {
        return port;
    }

    @Override
    public InetSocketAddress localAddress() {
        return localAddress;
    }

    @Override
    public boolean isActive() {
        return !closed.get();
    }

    @Override
    public void close() {
        if (closed.compareAndSet(false, true)) {
            block.release(this);
        }
    }

    @Override
    public String toString() {
        return "PortBinding[" + port + " of " + block + (closed.get() ? ", closed]" : "]");
    }
}
