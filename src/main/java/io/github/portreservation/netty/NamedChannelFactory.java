package io.github.portreservation.netty;

import io.netty.channel.Channel;
import io.netty.channel.ChannelFactory;

import java.util.function.Supplier;

import static io.github.portreservation.PortReservationException.checkNotNull;

/** A channel factory that says what it makes in {@link #toString()}, which Netty prints in bootstrap descriptions. */
final class NamedChannelFactory<T extends Channel> implements ChannelFactory<T> {
    private final String name;
    private final Supplier<T> maker;

    NamedChannelFactory(String name, Supplier<T> maker) {
        this.name = checkNotNull(name, "name");
        this.maker = checkNotNull(maker, "maker");
    }

    @Override
    public T newChannel() {
        return maker.get();
    }

    @Override
    public String toString() {
        return name;
    }
}
