package io.github.portreservation.linux;

import io.github.portreservation.PortRange;
import io.github.portreservation.PortReservationException;
import io.github.portreservation.PortReservationException.Reason;
import io.github.portreservation.Protocol;
import io.github.portreservation.internal.Log;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Paths;
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
 * is refused (UNSUPPORTED) unless {@value #PARTIAL_HOLD_PROPERTY}{@code =true} accepts the partial hold.
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
    interface Held {
        /** Closes every placeholder; failures are logged, never thrown. */
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
     * @throws PortReservationException UNSUPPORTED when no strategy can hold {@code protocol} on every address here
     */
    static Held hold(Protocol protocol, PortRange range) throws HoldFailure {
        return strategy(protocol).hold(protocol, range);
    }

    /**
     * Holds one TCP port that the kernel chooses, written to {@code port[0]}; see {@link Strategy#holdAnyTcp}. In a
     * dual-stack JVM a JDK socket holds it: like the helper's placeholder, it binds {@code [::]} with
     * {@code IPV6_V6ONLY} off (every address of both families), so a start that reserves single TCP ports never loads
     * the helper (about 2 ms of a cold start: StartupSteps). An IPv4-only JVM takes the chosen strategy.
     */
    static Held holdAnyTcp(int[] port) throws HoldFailure {
        if (!Boolean.getBoolean("java.net.preferIPv4Stack")) {
            return JdkPlaceholders.INSTANCE.holdAnyTcp(port);
        }
        return strategy(Protocol.TCP).holdAnyTcp(port);
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

    /** Chosen once per protocol, on first use, so that every reservation of the process holds the same way. */
    private static Strategy tcp;
    private static Strategy udp;

    /** The strategy for {@code protocol}; see the class comment. */
    static synchronized Strategy strategy(Protocol protocol) {
        if (protocol == Protocol.TCP) {
            if (tcp == null) {
                tcp = choose(Protocol.TCP);
            }
            return tcp;
        }
        if (udp == null) {
            udp = choose(Protocol.UDP);
        }
        return udp;
    }

    private static Strategy choose(Protocol protocol) {
        if (LinuxNative.isAvailable()) {
            return NativePlaceholders.INSTANCE;
        }
        String gap = jdkGap(protocol);
        if (gap == null) {
            return JdkPlaceholders.INSTANCE;
        }
        if (Boolean.getBoolean(PARTIAL_HOLD_PROPERTY)) {
            log().warn("{} ports are held by JDK placeholders, which leave {}: "
                    + "other processes can bind those (the native helper is not available: {})", protocol, gap,
                    LinuxNative.unavailabilityCause().getMessage());
            return JdkPlaceholders.INSTANCE;
        }
        return new Unsupported(protocol, gap);
    }

    /** What JDK placeholders of {@code protocol} cannot hold here, or null when they hold every address. */
    private static String jdkGap(Protocol protocol) {
        if (protocol == Protocol.UDP) {
            return "every address but the loopback address unheld (a UDP placeholder must be connected, which "
                    + "narrows it to one local address, or it receives the application's datagrams)";
        }
        boolean kernelIpv6 = Files.exists(Paths.get("/proc/net/if_inet6"));
        if (kernelIpv6 && Boolean.getBoolean("java.net.preferIPv4Stack")) {
            return "every IPv6 address unheld (-Djava.net.preferIPv4Stack=true: the JDK opens IPv4 sockets only)";
        }
        return null;
    }

    /** Refuses: no way to hold {@code protocol} on every address here. */
    private static final class Unsupported implements Strategy {
        private final Protocol protocol;
        private final String gap;

        Unsupported(Protocol protocol, String gap) {
            this.protocol = protocol;
            this.gap = gap;
        }

        @Override
        public Held hold(Protocol p, PortRange range) {
            throw refusal(protocol + " ports " + range);
        }

        @Override
        public Held holdAnyTcp(int[] port) {
            throw refusal(protocol + " ports");
        }

        private PortReservationException refusal(String what) {
            return new PortReservationException(Reason.UNSUPPORTED, "cannot hold " + what
                    + " on every address: the native helper is not available ("
                    + LinuxNative.unavailabilityCause().getMessage() + "), and JDK placeholders would leave " + gap
                    + "; run on linux-x86_64 with the helper loadable, or accept the partial hold with -D"
                    + PARTIAL_HOLD_PROPERTY + "=true");
        }

        @Override
        public String describe() {
            return "no placeholders (" + gap + ")";
        }
    }
}
