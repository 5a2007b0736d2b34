package io.github.portreservation.linux;

import io.github.portreservation.PortRange;
import io.github.portreservation.Protocol;

import java.util.BitSet;
import java.util.List;
import java.util.function.Consumer;

/**
 * Holds a search's candidates with placeholders of {@code protocol}, and adds the ports /proc/net lists as bound:
 * one named class for both roles rather than two anonymous ones (each class costs a cold start).
 */
final class PlaceholderHolder implements BlockSearch.Holder<Placeholders.Held>, Consumer<BitSet> {
    private final Protocol protocol;

    PlaceholderHolder(Protocol protocol) {
        this.protocol = protocol;
    }

    @Override
    public List<Placeholders.Held> hold(PortRange range) throws Placeholders.HoldFailure {
        return List.of(Placeholders.hold(protocol, range));
    }

    @Override
    public Placeholders.Held holdOne(int port) throws Placeholders.HoldFailure {
        return Placeholders.hold(protocol, PortRange.single(port));
    }

    @Override
    public void release(List<Placeholders.Held> held) {
        Placeholders.closeAll(held);
    }

    @Override
    public void accept(BitSet into) {
        BoundPorts.addTo(into, protocol);
    }
}
