package io.github.portreservation.linux;

import io.github.portreservation.PortRange;
import io.github.portreservation.PortReservationException;
import io.github.portreservation.PortReservationException.Reason;
import io.github.portreservation.Protocol;

import java.io.Closeable;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Paths;

/**
 * Which {@link Placeholders.Strategy} holds the ports of each protocol (see {@link Placeholders}): chosen once per
 * protocol, on first use, so that every reservation of the process holds the same way. A class of its own, loaded by
 * the first block of ports: a start that reserves single TCP ports in a dual-stack JVM never loads it.
 */
final class PlaceholderStrategies {
    private static Placeholders.Strategy tcp;
    private static Placeholders.Strategy udp;

    private PlaceholderStrategies() {
    }

    /** The strategy for {@code protocol}. */
    static synchronized Placeholders.Strategy of(Protocol protocol) {
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

    /** One TCP port that the kernel chooses, held by the TCP strategy; the failure is the socket's own. */
    static Closeable holdAnyTcp(int[] port) throws IOException {
        try {
            return of(Protocol.TCP).holdAnyTcp(port);
        } catch (Placeholders.HoldFailure f) {
            throw f.io();
        }
    }

    private static Placeholders.Strategy choose(Protocol protocol) {
        if (LinuxNative.isAvailable()) {
            return NativePlaceholders.INSTANCE;
        }
        String gap = jdkGap(protocol);
        if (gap == null) {
            return JdkPlaceholders.INSTANCE;
        }
        if (Boolean.getBoolean(Placeholders.PARTIAL_HOLD_PROPERTY)) {
            Placeholders.log().warn("{} ports are held by JDK placeholders, which leave {}: "
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
    private static final class Unsupported implements Placeholders.Strategy {
        private final Protocol protocol;
        private final String gap;

        Unsupported(Protocol protocol, String gap) {
            this.protocol = protocol;
            this.gap = gap;
        }

        @Override
        public Placeholders.Held hold(Protocol p, PortRange range) {
            throw refusal(protocol + " ports " + range);
        }

        @Override
        public Placeholders.Held holdAnyTcp(int[] port) {
            throw refusal(protocol + " ports");
        }

        private PortReservationException refusal(String what) {
            return new PortReservationException(Reason.UNSUPPORTED, "cannot hold " + what
                    + " on every address: the native helper is not available ("
                    + LinuxNative.unavailabilityCause().getMessage() + "), and JDK placeholders would leave " + gap
                    + "; run on linux-x86_64 with the helper loadable, or accept the partial hold with -D"
                    + Placeholders.PARTIAL_HOLD_PROPERTY + "=true");
        }

        @Override
        public String describe() {
            return "no placeholders (" + gap + ")";
        }
    }
}
