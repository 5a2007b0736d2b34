package io.github.portreservation.testing;

import io.github.portreservation.ReservableSocket;

import java.io.IOException;
import java.net.BindException;
import java.net.InetSocketAddress;
import java.net.SocketException;

/**
 * Fault injection around a real socket: the next bind fails as if another process held the port
 * ({@code EADDRINUSE}), or with an error that is not the port's fault, before reaching the kernel.
 */
public final class FaultySocket extends ForwardingSocket {
    /** What the next bind does. */
    public enum Fault { NONE, PORT_TAKEN, OTHER_ERROR }

    private volatile Fault nextFault;

    /** Wraps {@code delegate}; its next bind fails with {@code nextFault}. */
    public FaultySocket(ReservableSocket delegate, Fault nextFault) {
        super(delegate);
        this.nextFault = nextFault;
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
        super.bind(localAddress);
    }

    @Override
    public String toString() {
        return "Faulty" + delegate();
    }
}
