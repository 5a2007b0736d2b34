package io.github.portreservation.linux;

import io.github.portreservation.PortRange;
import io.github.portreservation.Protocol;

import java.io.IOException;
import java.nio.channels.NetworkChannel;
import java.util.ArrayList;
import java.util.List;

/**
 * Placeholders made of JDK channels ({@link Placeholders#openJdk}), used only without the native helper
 * ({@link Placeholders} says when). Each binds the JDK's wildcard address ({@code [::]} dual-stack, or
 * {@code 0.0.0.0} in an IPv4-only JVM) without SO_REUSEPORT, then turns SO_REUSEPORT on. A UDP placeholder is then
 * connected to the loopback discard port so that it never receives, which narrows its local address to the loopback
 * address: it no longer holds the port on other addresses.
 */
final class JdkPlaceholders implements Placeholders.Strategy {
    static final JdkPlaceholders INSTANCE = new JdkPlaceholders();

    private JdkPlaceholders() {
    }

    @Override
    public Placeholders.Held hold(Protocol protocol, PortRange range) throws Placeholders.HoldFailure {
        List<NetworkChannel> held = new ArrayList<>(range.count());
        int port = range.start();
        try {
            for (; port <= range.end(); port++) {
                held.add(Placeholders.openJdk(protocol, port));
            }
            return () -> closeAll(held);
        } catch (IOException e) {
            closeAll(held);
            throw new Placeholders.HoldFailure(port, e);
        } catch (RuntimeException | Error e) {
            closeAll(held); // all or nothing on any failure: no port stays held
            throw e;
        }
    }

    @Override
    public Placeholders.Held holdAnyTcp(int[] port) throws Placeholders.HoldFailure {
        try {
            return new One(Placeholders.openJdkAnyTcp(port));
        } catch (IOException e) {
            throw new Placeholders.HoldFailure(0, e);
        }
    }

    /** The placeholder of one port (a class: the start path of a one-port reservation spins no lambda). */
    private static final class One implements Placeholders.Held {
        private final NetworkChannel channel;

        One(NetworkChannel channel) {
            this.channel = channel;
        }

        @Override
        public void close() {
            Placeholders.closeQuietly(channel);
        }
    }

    @Override
    public String describe() {
        return "JDK placeholders";
    }

    private static void closeAll(List<NetworkChannel> held) {
        for (NetworkChannel ch : held) {
            Placeholders.closeQuietly(ch);
        }
    }
}
