package io.github.portreservation.linux;

import io.github.portreservation.PortRange;
import io.github.portreservation.Protocol;
import io.netty.util.internal.logging.InternalLogger;
import io.netty.util.internal.logging.InternalLoggerFactory;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.StandardSocketOptions;
import java.nio.channels.DatagramChannel;
import java.nio.channels.NetworkChannel;
import java.nio.channels.SocketChannel;
import java.util.ArrayList;
import java.util.List;

/**
 * Holds ports with placeholder sockets, as checked in linux-reservations.md:
 * <ul>
 * <li>each placeholder binds the wildcard address (dual-stack {@code [::]} where the JDK has IPv6, else
 *     {@code 0.0.0.0}) <em>without</em> SO_REUSEPORT, so the bind fails if anyone at all uses the port, including
 *     another process running this library;</li>
 * <li>then it turns SO_REUSEPORT on, so that only sockets of the same user that also set SO_REUSEPORT (ours) can
 *     bind the port; other users are refused by the kernel even with SO_REUSEPORT;</li>
 * <li>TCP placeholders never listen (they are not in the accept group); UDP placeholders connect to the loopback
 *     discard port, so the kernel never delivers an incoming datagram to them.</li>
 * </ul>
 * Never SO_REUSEADDR: a non-listening SO_REUSEADDR socket can be bound over by any other SO_REUSEADDR socket.
 */
final class Placeholders {
    private static final InternalLogger logger = InternalLoggerFactory.getInstance(Placeholders.class);
    /** Where UDP placeholders connect: the discard port on loopback; nothing is ever sent. */
    private static final InetSocketAddress UDP_PEER =
            new InetSocketAddress(InetAddress.getLoopbackAddress(), 9);

    private Placeholders() {
    }

    /** A port of the block could not be held; everything held before it was released. */
    static final class HoldFailure extends Exception {
        private static final long serialVersionUID = 1L;
        final int port;

        HoldFailure(int port, IOException cause) {
            super("port " + port, cause);
            this.port = port;
        }

        IOException io() {
            return (IOException) getCause();
        }
    }

    /** Holds every port of {@code range}, all or nothing. */
    static List<NetworkChannel> hold(Protocol protocol, PortRange range) throws HoldFailure {
        List<NetworkChannel> held = new ArrayList<>(range.count());
        int port = range.start();
        try {
            for (; port <= range.end(); port++) {
                held.add(holdOne(protocol, port));
            }
            return held;
        } catch (IOException e) {
            closeAll(held);
            throw new HoldFailure(port, e);
        }
    }

    private static NetworkChannel holdOne(Protocol protocol, int port) throws IOException {
        NetworkChannel ch = protocol == Protocol.TCP ? SocketChannel.open() : DatagramChannel.open();
        try {
            ch.bind(new InetSocketAddress(port));
            ch.setOption(StandardSocketOptions.SO_REUSEPORT, Boolean.TRUE);
            if (ch instanceof DatagramChannel) {
                ((DatagramChannel) ch).connect(UDP_PEER);
            }
            return ch;
        } catch (IOException | RuntimeException e) {
            closeQuietly(ch);
            throw e;
        }
    }

    /** Closes every placeholder; a failure is logged and the others are still closed. */
    static void closeAll(List<NetworkChannel> held) {
        for (NetworkChannel ch : held) {
            closeQuietly(ch);
        }
    }

    private static void closeQuietly(NetworkChannel ch) {
        try {
            ch.close();
        } catch (IOException e) {
            logger.warn("Failed to close placeholder {}", ch, e);
        }
    }
}
