package io.github.portreservation.netty;

import io.netty.channel.Channel;
import io.netty.channel.ChannelFactory;

import static io.github.portreservation.PortReservationException.checkNotNull;

/**
 * A channel factory that says what it makes in {@link #toString()}, which Netty prints in bootstrap descriptions.
 * Each factory method subclasses it (an anonymous class) rather than passing a lambda: the first call of a lambda spins
 * a class at run time, which a cold start pays for (docs/benchmarks.md, start-up).
 */
abstract class NamedChannelFactory<T extends Channel> implements ChannelFactory<T> {
    private final String name;

    NamedChannelFactory(String name) {
        this.name = checkNotNull(name, "name");
    }

    @Override
    public final String toString() {
        return name;
    }
}
