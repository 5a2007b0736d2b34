package io.github.portreservation.linux;

import io.github.portreservation.PortRange;
import io.github.portreservation.Protocol;
import io.github.portreservation.internal.Log;

import java.io.Closeable;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.StandardSocketOptions;
import java.nio.channels.DatagramChannel;
import java.nio.channels.NetworkChannel;
import java.nio.channels.SocketChannel;
import java.util.List;

/**
 * Holds reserved ports with placeholder sockets: one per port, on the wildcard address, so that nobody but sockets of
 * this user that set SO_REUSEPORT can bind the port on any address, and none of them receives what belongs to the
 * application's socket. Never SO_REUSEADDR: a non-listening SO_REUSEADDR socket can be bound over by any other
 * SO_REUSEADDR socket.
 *
 * <p>Two ways to open them: {@link NativePlaceholders} (the native helper, the default; holds every address for TCP
 * and UDP) and {@link JdkPlaceholders} (JDK sockets: every address for TCP unless the JVM is IPv4-only; UDP only on
 * the loopback address and against wildcard binds). Without the native helper, a protocol the JDK cannot hold fully
 * is refused (UNSUPPORTED) unless {@value #PARTIAL_HOLD_PROPERTY}{@code =true} accepts the partial hold;
 * {@link PlaceholderStrategies} chooses.
 */
final class Placeholders {
    /** System property: {@code true} accepts JDK placeholders where they cannot hold every address. */
    static final String PARTIAL_HOLD_PROPERTY = "io.github.portreservation.linux.partialHold";

    private Placeholders() {
    }

    /** The placeholders' log, made where it is used (warnings only): a start that logs nothing loads no log class. */
    static Log log() {
        return Log.of(Placeholders.class);
    }

    /** One way to open placeholders. */
    interface Strategy {
        /** Holds every port of {@code range}, all or nothing. */
        Held hold(Protocol protocol, PortRange range) throws HoldFailure;

        /**
         * Holds one TCP port that the kernel chooses (a bind to port 0: a free port of the ephemeral range outside
         * {@code ip_local_reserved_ports}), and writes it to {@code port[0]}.
         */
        Held holdAnyTcp(int[] port) throws HoldFailure;

        /** What the placeholders are, for messages. */
        String describe();
    }

    /** The placeholders of one reservation. */
    interface Held extends Closeable {
        /** Closes every placeholder; failures are logged, never thrown. */
        @Override
        void close();
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

    /**
     * Holds every port of {@code range}, all or nothing.
     *
     * @throws io.github.portreservation.PortReservationException UNSUPPORTED when no strategy can hold
     *         {@code protocol} on every address here
     */
    static Held hold(Protocol protocol, PortRange range) throws HoldFailure {
        return PlaceholderStrategies.of(protocol).hold(protocol, range);
    }

    /**
     * Holds one TCP port that the kernel chooses, written to {@code port[0]}; see {@link Strategy#holdAnyTcp}. In a
     * dual-stack JVM a JDK socket holds it, and is what this returns: like the helper's placeholder, it binds
     * {@code [::]} with {@code IPV6_V6ONLY} off (every address of both families). So a start that reserves single TCP
     * ports loads neither the helper (about 2 ms of a cold start: StartupSteps) nor the strategies, and no class of
     * this library beyond this one: each costs a cold start 0.1 to 0.5 ms. An IPv4-only JVM takes the chosen
     * strategy.
     *
     * @throws IOException the socket's failure; nothing is held
     */
    static Closeable holdAnyTcp(int[] port) throws IOException {
        if (Boolean.getBoolean("java.net.preferIPv4Stack")) {
            return PlaceholderStrategies.holdAnyTcp(port);
        }
        return openJdkAnyTcp(port);
    }

    /**
     * A JDK placeholder of a TCP port that the kernel chooses, written to {@code port[0]}.
     *
     * @throws IOException the socket's failure; nothing is held
     */
    static NetworkChannel openJdkAnyTcp(int[] port) throws IOException {
        NetworkChannel ch = openJdk(Protocol.TCP, 0);
        try {
            port[0] = ((InetSocketAddress) ch.getLocalAddress()).getPort();
        } catch (IOException | RuntimeException e) {
            closeQuietly(ch);
            throw e;
        }
        return ch;
    }

    /**
     * A JDK placeholder of {@code port} (0: the kernel's choice): bound to the JDK's wildcard address without
     * SO_REUSEPORT, then SO_REUSEPORT on; a UDP one connected to the loopback discard port (see
     * {@link JdkPlaceholders}).
     */
    static NetworkChannel openJdk(Protocol protocol, int port) throws IOException {
        NetworkChannel ch = protocol == Protocol.TCP ? SocketChannel.open() : DatagramChannel.open();
        try {
            ch.bind(new InetSocketAddress(port));
            ch.setOption(StandardSocketOptions.SO_REUSEPORT, Boolean.TRUE);
            if (ch instanceof DatagramChannel) {
                ((DatagramChannel) ch).connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), 9));
            }
            return ch;
        } catch (IOException | RuntimeException e) {
            closeQuietly(ch);
            throw e;
        }
    }

    /** Closes a placeholder; a failure is logged, never thrown. */
    static void closeQuietly(Closeable ch) {
        try {
            ch.close();
        } catch (IOException e) {
            log().warn("Failed to close placeholder {}", ch, e);
        }
    }

    /** One {@link Held} for several, closed in order. */
    static Held all(List<Held> parts) {
        if (parts.size() == 1) {
            return parts.get(0);
        }
        List<Held> copy = List.copyOf(parts);
        return () -> closeAll(copy);
    }

    /** Closes every one of {@code held}. */
    static void closeAll(List<Held> held) {
        for (Held h : held) {
            h.close();
        }
    }
}
