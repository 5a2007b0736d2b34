package io.github.portreservation;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.channels.DatagramChannel;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;

/**
 * An open, not yet bound socket that a provider can bind from a reservation: the few operations a provider needs,
 * whatever the socket is (a JDK channel, a Netty Epoll channel...).
 *
 * <p>Adapters for JDK channels: {@link #of(ServerSocketChannel, int)}, {@link #of(SocketChannel)},
 * {@link #of(DatagramChannel)}.
 */
public interface ReservableSocket {

    /** TCP for stream sockets, UDP for datagram sockets. */
    Protocol protocol();

    /**
     * Sets {@code SO_REUSEPORT} before bind, so that the socket can share a port that a Linux placeholder holds.
     *
     * @throws IOException when the option cannot be set
     */
    void enablePortSharing() throws IOException;

    /**
     * The operating system's handle of this socket: the file descriptor on Unix, the {@code SOCKET} on Windows.
     *
     * @throws PortReservationException {@link PortReservationException.Reason#UNSUPPORTED} when it cannot be read
     *         (for JDK channels this needs {@code --add-opens java.base/sun.nio.ch=ALL-UNNAMED})
     */
    long nativeHandle();

    /** Binds the socket to {@code localAddress} (a server socket also starts listening). */
    void bind(InetSocketAddress localAddress) throws IOException;

    /**
     * Whether the application asked this socket to share its address and port, before the bind: SO_REUSEPORT, or for
     * UDP SO_REUSEADDR, as set on the socket (by its Netty options, say). A binder lets several sockets of this process
     * use one reserved port on overlapping addresses only when all of them asked (see {@link PortBinder}). Read before
     * {@link #enablePortSharing()}, which a Linux binder calls for its own reasons.
     *
     * @throws IOException when the options cannot be read
     */
    default boolean portSharingRequested() throws IOException {
        return false;
    }

    /** The address the socket is bound to, or null when it is not bound. */
    InetSocketAddress localAddress() throws IOException;

    /**
     * Whether the kernel socket still exists: it is open, or closed but not yet released by the operating system's
     * selector (a JDK channel closed while registered with a selector keeps its socket, still bound, until the
     * selector's next select). A reserved port is free for another socket only once this is false.
     */
    boolean socketExists();

    /** Adapter for a JDK server socket channel; {@code backlog} is passed to its bind (0 = JDK default). */
    static ReservableSocket of(ServerSocketChannel channel, int backlog) {
        return JdkReservableSocket.server(channel, backlog);
    }

    /** Adapter for a JDK socket channel, bound before connect (reserved source port). */
    static ReservableSocket of(SocketChannel channel) {
        return JdkReservableSocket.client(channel);
    }

    /** Adapter for a JDK datagram channel. */
    static ReservableSocket of(DatagramChannel channel) {
        return JdkReservableSocket.datagram(channel);
    }
}
