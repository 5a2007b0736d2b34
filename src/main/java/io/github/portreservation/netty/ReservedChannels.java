package io.github.portreservation.netty;

import io.github.portreservation.PortBinding;
import io.github.portreservation.PortReservationException;
import io.netty.channel.Channel;

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
    private ReservedChannels() {
    }

    /** The binding {@code channel} holds from a reservation, pool or lease, or empty when it holds none. */
    public static Optional<PortBinding> binding(Channel channel) {
        checkNotNull(channel, "channel");
        ChannelBindState state = channel instanceof ReservedNioServerSocketChannel
                ? ((ReservedNioServerSocketChannel) channel).bindState()
                : channel instanceof ReservedNioSocketChannel ? ((ReservedNioSocketChannel) channel).bindState() : null;
        return Optional.ofNullable(state != null ? state.binding()
                : channel.hasAttr(ChannelBindState.BINDING) ? channel.attr(ChannelBindState.BINDING).get() : null);
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
}
