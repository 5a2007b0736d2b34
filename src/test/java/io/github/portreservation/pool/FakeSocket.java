package io.github.portreservation.pool;

import io.github.portreservation.Protocol;
import io.github.portreservation.ReservableSocket;

import java.net.InetSocketAddress;

/** A socket that only records the port it was "bound" to; for tests with {@link FakeProvider}. */
final class FakeSocket implements ReservableSocket {
    private final Protocol protocol;
    volatile int bound;
    volatile boolean open = true;

    FakeSocket(Protocol protocol) {
        this.protocol = protocol;
    }

    @Override
    public Protocol protocol() {
        return protocol;
    }

    @Override
    public void enablePortSharing() {
    }

    @Override
    public long nativeHandle() {
        return -1;
    }

    @Override
    public void bind(InetSocketAddress localAddress) {
        bound = localAddress.getPort();
    }

    @Override
    public InetSocketAddress localAddress() {
        return bound == 0 ? null : new InetSocketAddress(bound);
    }

    @Override
    public boolean socketExists() {
        return open;
    }

    @Override
    public String toString() {
        return "FakeSocket[" + bound + "]";
    }
}
