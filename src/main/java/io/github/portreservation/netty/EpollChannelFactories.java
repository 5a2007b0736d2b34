package io.github.portreservation.netty;

import io.github.portreservation.PortReservationException;
import io.github.portreservation.Protocol;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFactory;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.epoll.EpollDatagramChannel;
import io.netty.channel.epoll.EpollServerSocketChannel;
import io.netty.channel.epoll.EpollSocketChannel;
import io.netty.channel.socket.DatagramChannel;
import io.netty.channel.socket.ServerSocketChannel;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.unix.FileDescriptor;
import io.netty.channel.unix.Socket;
import io.netty.channel.unix.UnixChannel;

import java.io.IOException;
import java.net.InetSocketAddress;

/**
 * The Epoll channel factories. The only class of this library that names Epoll types: it is loaded only after
 * {@link ReservedChannelFactories} found netty-transport-native-epoll on the class path.
 */
final class EpollChannelFactories {

    private EpollChannelFactories() {
    }

    /** Throws UNSUPPORTED with Netty's reason when the native Epoll transport cannot run here. */
    static void ensureAvailable() {
        if (!Epoll.isAvailable()) {
            throw new PortReservationException(PortReservationException.Reason.UNSUPPORTED,
                    "the Epoll transport is not available here (" + Epoll.unavailabilityCause()
                            + "); use the NIO factories, or add netty-transport-native-epoll with the classifier "
                            + "of this platform (e.g. linux-x86_64)", Epoll.unavailabilityCause());
        }
    }

    static ChannelFactory<ServerSocketChannel> server(ReservationSource source) {
        ensureAvailable();
        return new NamedChannelFactory<ServerSocketChannel>("reserved EpollServerSocketChannel from " + source) {
            @Override
            public ServerSocketChannel newChannel() {
                EpollServerSocketChannel channel = new EpollServerSocketChannel();
                return ReservedBindInterceptor.install(channel, source, Protocol.TCP, fdAccess(channel));
            }
        };
    }

    static ChannelFactory<SocketChannel> client(ReservationSource source) {
        ensureAvailable();
        return new NamedChannelFactory<SocketChannel>("reserved EpollSocketChannel from " + source) {
            @Override
            public SocketChannel newChannel() {
                EpollSocketChannel channel = new EpollSocketChannel();
                return ReservedBindInterceptor.install(channel, source, Protocol.TCP, fdAccess(channel));
            }
        };
    }

    static ChannelFactory<DatagramChannel> datagram(ReservationSource source) {
        ensureAvailable();
        return new NamedChannelFactory<DatagramChannel>("reserved EpollDatagramChannel from " + source) {
            @Override
            public DatagramChannel newChannel() {
                EpollDatagramChannel channel = new EpollDatagramChannel();
                return ReservedBindInterceptor.install(channel, source, Protocol.UDP, fdAccess(channel));
            }
        };
    }

    /** Native access through the channel's file descriptor, a {@link Socket} for every Epoll socket channel. */
    private static ChannelSocket.NativeSocket fdAccess(UnixChannel channel) {
        return new ChannelSocket.NativeSocket() {
            @Override
            public void enablePortSharing() throws IOException {
                FileDescriptor fd = channel.fd();
                if (!(fd instanceof Socket)) {
                    throw new IOException("cannot set SO_REUSEPORT on " + channel + ": its descriptor " + fd
                            + " is not a socket");
                }
                ((Socket) fd).setReusePort(true);
            }

            @Override
            public long handle() {
                return channel.fd().intValue();
            }

            @Override
            public boolean portSharingRequested(Protocol protocol) throws IOException {
                FileDescriptor fd = channel.fd();
                if (!(fd instanceof Socket)) {
                    return false;
                }
                Socket socket = (Socket) fd;
                return socket.isReusePort() || protocol == Protocol.UDP && socket.isReuseAddress();
            }

            /**
             * Netty's own record of the socket's address, without a system call: an Epoll channel sets it from
             * getsockname() in doBind and again in doConnect (Netty 4.1 and 4.2), and nothing else binds the
             * descriptor of a channel this factory made; null before the bind.
             */
            @Override
            public InetSocketAddress localAddress() {
                java.net.SocketAddress local = ((Channel) channel).unsafe().localAddress();
                return local instanceof InetSocketAddress && ((InetSocketAddress) local).getPort() != 0
                        ? (InetSocketAddress) local : null;
            }
        };
    }
}
