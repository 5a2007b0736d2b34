package io.github.portreservation.testing;

import io.github.portreservation.Protocol;
import io.github.portreservation.ReservableSocket;

import java.io.IOException;
import java.net.InetSocketAddress;

/**
 * The one forwarding socket decorator of the tests: every call goes to the wrapped socket, and a test overrides the
 * one call it changes (a bind that races, fails or follows the Windows double).
 */
public class ForwardingSocket implements ReservableSocket {
    private final ReservableSocket delegate;

    /** Forwards every call to {@code delegate}. */
    public ForwardingSocket(ReservableSocket delegate) {
        this.delegate = delegate;
    }

    /** The wrapped socket. */
    protected final ReservableSocket delegate() {
        return delegate;
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
        delegate.bind(localAddress);
    }

    @Override
    public boolean portSharingRequested() throws IOException {
        return delegate.portSharingRequested();
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
        return "forwarding " + delegate;
    }
}
