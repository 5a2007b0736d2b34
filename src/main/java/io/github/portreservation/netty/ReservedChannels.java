package io.github.portreservation.netty;

import io.github.portreservation.PortBinding;
import io.github.portreservation.PortReservationException;
import io.netty.channel.Channel;
import io.netty.util.AttributeKey;

import java.util.Optional;

import static io.github.portreservation.PortReservationException.checkNotNull;

/**
 * What a channel is bound from, for applications that check at start-up that their server really listens on a
 * reserved port (a framework's own channel, or an option set on a stock channel, binds an ordinary port):
 * <pre>{@code
 * Channel server = bootstrap.bind(0).sync().channel();
 * PortBinding binding = ReservedChannels.requireReserved(server);   // throws when the port is not reserved
 * }</pre>
 */
public final class ReservedChannels {
    private static final AttributeKey<PortBinding> BINDING = AttributeKey.valueOf(ReservedChannels.class, "BINDING");
    /**
     * {@link ReservationChannelOption#RESERVATION}, defined here by its name: every reserved bind reads it, and this
     * class is loaded anyway, where the option's holder (and its option class) need not be.
     */
    static final AttributeKey<io.github.portreservation.ReservationToken> RESERVATION =
            AttributeKey.valueOf("io.github.portreservation.netty.ReservationChannelOption#RESERVATION");

    private ReservedChannels() {
    }

    /** The binding {@code channel} holds from a reservation, pool or lease, or empty when it holds none. */
    public static Optional<PortBinding> binding(Channel channel) {
        checkNotNull(channel, "channel");
        return Optional.ofNullable(channel.attr(BINDING).get());
    }

    /**
     * The binding {@code channel} holds.
     *
     * @throws PortReservationException INVALID_ARGUMENT when the channel is not bound from a reservation, naming its
     *         class and local address and the fix
     */
    public static PortBinding requireReserved(Channel channel) {
        return binding(channel).orElseThrow(() -> PortReservationException.invalidArgument("channel " + channel
                        + " (" + channel.getClass().getName() + ", local address " + channel.localAddress() + ")",
                "it is not bound from a reservation: its port is an ordinary one that any process may take",
                "create it with a channel factory of ReservedChannelFactories (a framework's default channel, or "
                        + "a RESERVATION_TOKEN set on a stock channel, reserves nothing)"));
    }

    /** Records that {@code channel} is bound through {@code binding}. */
    static void attach(Channel channel, PortBinding binding) {
        channel.attr(BINDING).set(binding);
    }

    /** Forgets {@code binding} of {@code channel} (it was released). */
    static void detach(Channel channel, PortBinding binding) {
        channel.attr(BINDING).compareAndSet(binding, null);
    }
}
