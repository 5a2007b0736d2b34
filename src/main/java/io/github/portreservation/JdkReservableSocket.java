package io.github.portreservation;


import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.StandardSocketOptions;
import java.nio.channels.DatagramChannel;
import java.nio.channels.NetworkChannel;
import java.nio.channels.SelectableChannel;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;

import static io.github.portreservation.PortReservationException.checkNotNull;

/** {@link ReservableSocket} over a JDK NIO channel; made by {@link ReservableSocket#of}. */
final class JdkReservableSocket implements ReservableSocket {
    private final NetworkChannel channel;
    private final Protocol protocol;
    private final int backlog;

    private JdkReservableSocket(NetworkChannel channel, Protocol protocol, int backlog) {
        this.channel = channel;
        this.protocol = protocol;
        this.backlog = backlog;
    }

    /** Adapter for a server socket channel. */
    static JdkReservableSocket server(ServerSocketChannel channel, int backlog) {
        return new JdkReservableSocket(checkNotNull(channel, "channel"), Protocol.TCP,
                checkBacklog(backlog));
    }

    private static int checkBacklog(int backlog) {
        if (backlog < 0) {
            throw PortReservationException.invalidArgument("backlog " + backlog, "must be 0 (the JDK's default) or "
                    + "positive", "pass the listen backlog, or 0");
        }
        return backlog;
    }

    /** Adapter for a client socket channel. */
    static JdkReservableSocket client(SocketChannel channel) {
        return new JdkReservableSocket(checkNotNull(channel, "channel"), Protocol.TCP, 0);
    }

    /** Adapter for a datagram channel. */
    static JdkReservableSocket datagram(DatagramChannel channel) {
        return new JdkReservableSocket(checkNotNull(channel, "channel"), Protocol.UDP, 0);
    }

    /** The wrapped channel. */
    NetworkChannel channel() {
        return channel;
    }

    @Override
    public Protocol protocol() {
        return protocol;
    }

    @Override
    public void enablePortSharing() throws IOException {
        channel.setOption(StandardSocketOptions.SO_REUSEPORT, Boolean.TRUE);
    }

    @Override
    public boolean portSharingRequested() throws IOException {
        return channel.getOption(StandardSocketOptions.SO_REUSEPORT)
                || protocol == Protocol.UDP && channel.getOption(StandardSocketOptions.SO_REUSEADDR);
    }

    @Override
    public long nativeHandle() {
        return SocketHandles.handleOf(channel);
    }

    @Override
    public void bind(InetSocketAddress localAddress) throws IOException {
        if (channel instanceof ServerSocketChannel) {
            ((ServerSocketChannel) channel).bind(localAddress, backlog);
        } else {
            channel.bind(localAddress);
        }
    }

    @Override
    public InetSocketAddress localAddress() throws IOException {
        return (InetSocketAddress) channel.getLocalAddress();
    }

    /**
     * Whether the kernel socket still exists. A JDK channel closed while registered with a selector keeps its socket
     * (still bound, a server still listening) until the selector deregisters its key at its next select; only then
     * is the port free for another socket.
     */
    @Override
    public boolean socketExists() {
        return channel.isOpen()
                || channel instanceof SelectableChannel && ((SelectableChannel) channel).isRegistered();
    }

    @Override
    public String toString() {
        return protocol + " " + channel;
    }
}
