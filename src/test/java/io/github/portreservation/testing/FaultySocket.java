package io.github.portreservation.testing;

import io.github.portreservation.Protocol;
import io.github.portreservation.ReservableSocket;

import java.io.IOException;
import java.net.BindException;
import java.net.InetSocketAddress;
import java.net.SocketException;

/**
 * Fault injection around a real socket: the next bind fails as if another process held the port
 * ({@code EADDRINUSE}), or with an error that is not the port's fault, before reaching the kernel.
 */
public final class FaultySocket implements ReservableSocket {
    /** What the next bind does. */
    public enum Fault { NONE, PORT_TAKEN, OTHER_ERROR }

    private final ReservableSocket delegate;
    private volatile Fault nextFault;

    /** Wraps {@code delegate}; its next bind fails with {@code nextFault}. */
    public FaultySocket(ReservableSocket delegate, Fault nextFault) {
        this.delegate = delegate;
        this.nextFault = nextFault;
    }

    @Override
    public Protocol protocol() {
        return delegate.protocol();
    }

    @Override
    public void enablePortSharing() throws IOException {
        delegate.enablePortSharing();
    }

    @Override
    public long nativeHandle() {
        return delegate.nativeHandle();
    }

    @Override
    public void bind(InetSocketAddress localAddress) throws IOException {
        Fault fault = nextFault;
        nextFault = Fault.NONE;
        if (fault == Fault.PORT_TAKEN) {
            throw new BindException("Address already in use");
        }
        if (fault == Fault.OTHER_ERROR) {
            throw new SocketException("Network is unreachable (injected)");
        }
        delegate.bind(localAddress);
    }

    @Override
    public InetSocketAddress localAddress() throws IOException {
        return delegate.localAddress();
    }

    @Override
    public boolean socketExists() {
        return delegate.socketExists();
    }

    @Override
    public String toString() {
        return "Faulty" + delegate;
    }
}
