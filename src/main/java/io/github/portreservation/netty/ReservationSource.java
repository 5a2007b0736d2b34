package io.github.portreservation.netty;

import io.github.portreservation.PortBinder;
import io.github.portreservation.PortBinding;
import io.github.portreservation.PortReservationException;
import io.github.portreservation.PortReservationProvider;
import io.github.portreservation.PortReservations;
import io.github.portreservation.ReservableSocket;
import io.github.portreservation.ReservationToken;

import java.net.InetSocketAddress;

import static io.github.portreservation.PortReservationException.checkNotNull;

/**
 * Where the channels of one factory get their {@link PortBinder}: fixed by the factory, or named per channel by the
 * {@link ReservationChannelOption#RESERVATION_TOKEN} option and resolved through a provider. Immutable.
 */
final class ReservationSource {
    private final PortBinder fixed;
    /** The provider that resolves option tokens; null: the default provider, looked up at each bind. */
    private final PortReservationProvider provider;
    private final String description;

    private ReservationSource(PortBinder fixed, PortReservationProvider provider, String description) {
        this.fixed = fixed;
        this.provider = provider;
        this.description = description;
    }

    /** Every channel binds from {@code binder}. */
    static ReservationSource fixed(PortBinder binder) {
        checkNotNull(binder, "binder");
        return new ReservationSource(binder, null, "binder " + binder);
    }

    /** Every channel binds from the reservation named by {@code token}, resolved by the default provider. */
    static ReservationSource token(ReservationToken token) {
        checkNotNull(token, "token");
        return new ReservationSource(new DefaultProviderToken(token), null, token.toString());
    }

    /** Each channel binds from the token of its option, resolved by the default provider; no option: plain bind. */
    static ReservationSource option() {
        return new ReservationSource(null, null, "the RESERVATION_TOKEN option or RESERVATION attribute");
    }

    /** Each channel binds from the token of its option, resolved by {@code provider}; no option: plain bind. */
    static ReservationSource option(PortReservationProvider provider) {
        checkNotNull(provider, "provider");
        return new ReservationSource(null, provider, "the RESERVATION_TOKEN option or RESERVATION attribute, provider "
                + provider.name());
    }

    /** Whether channels of this source read the {@link ReservationChannelOption#RESERVATION_TOKEN} option. */
    boolean readsOption() {
        return fixed == null;
    }

    /**
     * Whether a channel whose option holds {@code optionToken} (null when the option was not set) binds through this
     * source; false: it binds as a plain Netty channel.
     *
     * @throws PortReservationException INVALID_ARGUMENT when the factory already fixes the reservation and the option
     *         names one too: two reservations for one channel is a configuration mistake, not a choice to make silently
     */
    boolean applies(ReservationToken optionToken) {
        if (fixed != null) {
            if (optionToken != null) {
                throw PortReservationException.invalidArgument("token " + optionToken + " (RESERVATION_TOKEN option "
                                + "or RESERVATION attribute)",
                        "this channel factory already binds every channel from " + description
                                + ", so a second reservation for the same channel is ambiguous",
                        "remove the option, or use the factory variant without a binder "
                                + "(ReservedChannelFactories.nioServer() / nioClient())");
            }
            return true;
        }
        return optionToken != null;
    }

    /**
     * Binds {@code socket} through the fixed binder, or from {@code optionToken} through the provider (no binder object
     * per bind); only when {@link #applies} said so.
     */
    PortBinding bind(ReservationToken optionToken, ReservableSocket socket, InetSocketAddress requested) {
        return fixed != null ? fixed.bind(socket, requested) : tokenProvider().bind(optionToken, socket, requested);
    }

    /** Who binds the channels of this source, for messages: the fixed binder, or the provider of option tokens. */
    String binderName() {
        return fixed != null ? "binder " + fixed : "provider " + tokenProvider().name();
    }

    /** The provider that resolves option tokens: the given one, else the default provider, looked up each time. */
    private PortReservationProvider tokenProvider() {
        return provider != null ? provider : PortReservations.provider();
    }

    @Override
    public String toString() {
        return description;
    }

    /**
     * Binds from {@code token} through the default provider, looked up at each bind. Classes rather than lambdas here
     * and in the factories: start-up (see NamedChannelFactory).
     */
    private static final class DefaultProviderToken implements PortBinder {
        private final ReservationToken token;

        DefaultProviderToken(ReservationToken token) {
            this.token = token;
        }

        @Override
        public PortBinding bind(ReservableSocket socket, InetSocketAddress requested) {
            return PortReservations.provider().bind(token, socket, requested);
        }
    }
}
