package io.github.portreservation.netty;

import io.github.portreservation.Protocol;
import io.github.portreservation.ReservableSocket;
import io.netty.channel.Channel;

import java.io.IOException;
import java.net.InetSocketAddress;

import static io.github.portreservation.PortReservationException.checkNotNull;

/**
 * A channel of Netty's final classes ({@code NioDatagramChannel}, Epoll) seen as a {@link ReservableSocket}: the
 * binder sets SO_REUSEPORT and reads the handle through the JDK channel's adapter (NIO) or a {@link NativeSocket}
 * (Epoll's descriptor), and binds through the transport's own bind ({@link #transportBind}: the rest of the pipeline,
 * see ReservedBindInterceptor), so that Netty's state (local address, active flag) stays right. The library's own NIO
 * TCP channels need none of this: their {@code doBind} hands the binder their JDK channel.
 */
abstract class ChannelSocket implements ReservableSocket {

    /** Socket-level access the transport offers where no JDK channel does: the file descriptor for Epoll. */
    interface NativeSocket {
        /** Sets SO_REUSEPORT. */
        void enablePortSharing() throws IOException;

        /** The fd or SOCKET. */
        long handle();

        /** SO_REUSEPORT as the application set it (for UDP, SO_REUSEADDR as well); see ReservableSocket. */
        boolean portSharingRequested(Protocol protocol) throws IOException;

        /**
         * The address the socket is bound to, read from the socket itself, or null. Never through
         * {@code Channel.localAddress()}: Netty caches the first answer, so a client bound to the wildcard before its
         * connect would report the wildcard for its whole life instead of the address the connect gave it.
         */
        InetSocketAddress localAddress() throws IOException;
    }

    private final Channel channel;
    private final Protocol protocol;
    /** NIO: the JDK channel's adapter; null for a {@link NativeSocket}. */
    private final ReservableSocket jdk;
    private final NativeSocket nativeSocket;

    /** A NIO channel, reached through the adapter of its JDK channel ({@link ReservableSocket#of}). */
    ChannelSocket(Channel channel, Protocol protocol, ReservableSocket jdk) {
        this.channel = checkNotNull(channel, "channel");
        this.protocol = checkNotNull(protocol, "protocol");
        this.jdk = checkNotNull(jdk, "jdk");
        this.nativeSocket = null;
    }

    /** A channel reached through {@code nativeSocket} (Epoll). */
    ChannelSocket(Channel channel, Protocol protocol, NativeSocket nativeSocket) {
        this.channel = checkNotNull(channel, "channel");
        this.protocol = checkNotNull(protocol, "protocol");
        this.jdk = null;
        this.nativeSocket = checkNotNull(nativeSocket, "nativeSocket");
    }

    /** The transport's real bind: binds (and for a server, listens) on {@code localAddress}. */
    abstract void transportBind(InetSocketAddress localAddress) throws Exception;

    @Override
    public Protocol protocol() {
        return protocol;
    }

    @Override
    public void enablePortSharing() throws IOException {
        if (jdk != null) {
            jdk.enablePortSharing();
        } else {
            nativeSocket.enablePortSharing();
        }
    }

    @Override
    public long nativeHandle() {
        return jdk != null ? jdk.nativeHandle() : nativeSocket.handle();
    }

    @Override
    public boolean portSharingRequested() throws IOException {
        return jdk != null ? jdk.portSharingRequested() : nativeSocket.portSharingRequested(protocol);
    }

    @Override
    public void bind(InetSocketAddress localAddress) throws IOException {
        try {
            transportBind(localAddress);
        } catch (IOException | RuntimeException | Error e) {
            throw e;
        } catch (Exception e) {
            throw new IOException("cannot bind " + channel + " to " + localAddress + ": " + e.getMessage(), e);
        }
    }

    @Override
    public InetSocketAddress localAddress() throws IOException {
        return jdk != null ? jdk.localAddress() : nativeSocket.localAddress();
    }

    /**
     * Whether the kernel socket still exists: the channel is open, or (NIO) its closed JDK socket awaits deregistration
     * (a JDK channel closed while registered with a selector keeps its socket until the selector deregisters it).
     * Epoll closes its descriptor in {@code doClose}, so its socket is gone once the channel is closed.
     */
    @Override
    public boolean socketExists() {
        return channel.isOpen() || jdk != null && jdk.socketExists();
    }

    @Override
    public String toString() {
        return protocol + " " + channel;
    }
}
