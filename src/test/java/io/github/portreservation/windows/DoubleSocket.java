package io.github.portreservation.windows;

import com.sun.jna.Native;
import io.github.portreservation.ReservableSocket;
import io.github.portreservation.testing.ForwardingSocket;

import java.io.IOException;
import java.net.BindException;
import java.net.InetSocketAddress;

/**
 * A JDK socket whose bind follows the native double's idea of Windows' bind: the port is the one the double hands
 * out for the socket's handle (from the associated reservation, if any), and the JDK channel is then really bound to
 * it on loopback. Stands for what Windows' bind() does after SIO_ASSOCIATE_PORT_RESERVATION.
 */
final class DoubleSocket extends ForwardingSocket {
    private final NativeDouble.Control control;

    DoubleSocket(ReservableSocket delegate, NativeDouble.Control control) {
        super(delegate);
        this.control = control;
    }

    @Override
    public void bind(InetSocketAddress localAddress) throws IOException {
        int port = control.double_bind_port(new SocketHandle(delegate().nativeHandle()), localAddress.getPort());
        if (port < 0) {
            int error = Native.getLastError();
            String name = WindowsErrors.nameOf(error);
            if (error == WindowsConstants.WSAEADDRINUSE) {
                throw new BindException("Address already in use (double: " + name + ")");
            }
            throw new IOException("bind refused by the double: " + name + " (" + error + ")");
        }
        super.bind(new InetSocketAddress(localAddress.getAddress(), port));
    }

    @Override
    public String toString() {
        return "double " + delegate();
    }
}
