package io.github.portreservation.linux;

import io.github.portreservation.PortBinding;
import io.github.portreservation.ReservableSocket;
import io.github.portreservation.ReservationToken;
import io.github.portreservation.internal.PortUsers;

import java.net.InetSocketAddress;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * A port of a {@link LinuxBlockBinder} used by one socket; {@link #close()} gives it back once its socket is gone too
 * ({@link PortUsers}).
 */
final class LinuxPortBinding implements PortBinding {
    private final LinuxBlockBinder block;
    private final PortUsers.User user;
    private final AtomicBoolean closed = new AtomicBoolean();
    private volatile InetSocketAddress localAddress;

    LinuxPortBinding(LinuxBlockBinder block, PortUsers.User user) {
        this.block = block;
        this.user = user;
    }

    PortUsers.User user() {
        return user;
    }

    ReservableSocket socket() {
        return user.socket();
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
        return user.port();
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
    public boolean holdsPort() {
        return wasBound() ? user.socket().socketExists() : !closed.get();
    }

    @Override
    public void close() {
        if (closed.compareAndSet(false, true)) {
            block.release(this);
        }
    }

    @Override
    public String toString() {
        return "PortBinding[" + user.port() + " of " + block + (closed.get() ? ", closed]" : "]");
    }
}
