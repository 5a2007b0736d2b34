package io.github.portreservation.netty;

import io.github.portreservation.Protocol;
import io.github.portreservation.ReservableSocket;
import io.netty.channel.Channel;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.SocketAddress;

import static io.github.portreservation.PortReservationException.checkNotNull;

/**
 * A Netty channel seen as a {@link ReservableSocket}: the binder sets SO_REUSEPORT and reads the handle through a
 * {@link NativeSocket}, and binds through the transport's own bind (a {@link BindAction}), so that Netty's state
 * (local address, backlog, active flag) stays right.
 */
final class ChannelSocket implements ReservableSocket {

    /** Socket-level access the transport offers: the JDK channel for NIO, the file descriptor for Epoll. */
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

        /**
         * Whether the kernel socket exists, whatever the channel says: a JDK channel closed while registered with a
         * selector keeps its socket (bound, maybe listening) until the selector deregisters it. Epoll closes its
         * descriptor in {@code doClose}, so by default the socket is gone once the channel is closed.
         */
        default boolean socketExists() {
            return false;
        }
    }

    /** The transport's real bind. */
    @FunctionalInterface
    interface BindAction {
        /** Binds (and for a server, listens) on {@code localAddress}. */
        void bind(InetSocketAddress localAddress) throws Exception;
    }

    private final Channel channel;
    private final Protocol protocol;
    private final NativeSocket nativeSocket;
    private final BindAction bindAction;

    ChannelSocket(Channel channel, Protocol protocol, NativeSocket nativeSocket, BindAction bindAction) {
        this.channel = checkNotNull(channel, "channel");
        this.protocol = checkNotNull(protocol, "protocol");
        this.nativeSocket = checkNotNull(nativeSocket, "nativeSocket");
        this.bindAction = checkNotNull(bindAction, "bindAction");
    }

    /** Native access through a JDK channel adapter ({@link ReservableSocket#of}). */
    static NativeSocket jdk(ReservableSocket jdkSocket) {
        checkNotNull(jdkSocket, "jdkSocket");
        return new NativeSocket() {
            @Override
            public void enablePortSharing() throws IOException {
                jdkSocket.enablePortSharing();
            }

            @Override
            public long handle() {
                return jdkSocket.nativeHandle();
            }

            @Override
            public boolean portSharingRequested(Protocol protocol) throws IOException {
                return jdkSocket.portSharingRequested();
            }

            @Override
            public InetSocketAddress localAddress() throws IOException {
                return jdkSocket.localAddress();
            }

            @Override
            public boolean socketExists() {
                return jdkSocket.socketExists();
            }
        };
    }

    @Override
    public Protocol protocol() {
        return protocol;
    }

    @Override
    public void enablePortSharing() throws IOException {
        nativeSocket.enablePortSharing();
    }

    @Override
    public long nativeHandle() {
        return nativeSocket.handle();
    }

    @Override
    public boolean portSharingRequested() throws IOException {
        return nativeSocket.portSharingRequested(protocol);
    }

    @Override
    public void bind(InetSocketAddress localAddress) throws IOException {
        try {
            bindAction.bind(localAddress);
        } catch (IOException | RuntimeException | Error e) {
            throw e;
        } catch (Exception e) {
            throw new IOException("cannot bind " + channel + " to " + localAddress + ": " + e.getMessage(), e);
        }
    }

    @Override
    public InetSocketAddress localAddress() throws IOException {
        return nativeSocket.localAddress();
    }

    /** Whether the kernel socket still exists: the channel is open, or its closed JDK socket awaits deregistration. */
    @Override
    public boolean socketExists() {
        return channel.isOpen() || nativeSocket.socketExists();
    }

    @Override
    public String toString() {
        return protocol + " " + channel;
    }
}
