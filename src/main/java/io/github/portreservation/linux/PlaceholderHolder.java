package io.github.portreservation.linux;

import io.github.portreservation.PortRange;
import io.github.portreservation.PortReservationException;
import io.github.portreservation.Protocol;
import io.github.portreservation.internal.Log;

import java.util.BitSet;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.Consumer;

/**
 * Holds a search's candidates with placeholders of {@code protocol}, and adds the ports /proc/net lists as bound:
 * one named class for both roles rather than two anonymous ones (each class costs a cold start). Its static methods
 * run the provider's block holds, so that the provider's own class names none of the block search's types: a start
 * that reserves single TCP ports loads neither these nor the search.
 */
final class PlaceholderHolder implements BlockSearch.Holder<Placeholders.Held>, Consumer<BitSet> {
    private final Protocol protocol;

    PlaceholderHolder(Protocol protocol) {
        this.protocol = protocol;
    }

    /**
     * Holds every port of {@code range}, all or nothing.
     *
     * @throws PortReservationException the failure of the first port that could not be held, mapped
     */
    static Placeholders.Held holdRange(Protocol protocol, PortRange range) {
        try {
            return Placeholders.hold(protocol, range);
        } catch (Placeholders.HoldFailure f) {
            throw SocketErrors.mapHold(protocol, f.port, "reserve " + protocol + " port " + f.port + " of block "
                    + range, f.io(), "choose another block, acquire(protocol, count) to let the provider choose one, "
                    + "or find the owner with 'ss -atunp sport = :" + f.port + "'");
        }
    }

    /**
     * Searches {@code window} for a free block of {@code count} ports and holds it ({@link BlockSearch}), adding the
     * candidates that met a port in use to {@code collisions} and a sweep of the window to {@code sweeps}.
     */
    static BlockSearch.Found<Placeholders.Held> search(Protocol protocol, int count, BlockSearch.Window window,
                                                       ReservedPortSet reserved, RecentlyTakenPorts recentlyTaken,
                                                       LongAdder collisions, LongAdder sweeps) {
        PlaceholderHolder holder = new PlaceholderHolder(protocol);
        BlockSearch<Placeholders.Held> search = new BlockSearch<>(protocol, count, window, reserved, recentlyTaken,
                holder, ThreadLocalRandom.current(), holder);
        try {
            return search.run();
        } finally {
            if (search.collisions > 0) {
                collisions.add(search.collisions);
            }
            if (search.swept) {
                sweeps.increment();
                Log.of(LinuxPortReservationProvider.class).debug("{} block of {}: {} candidates met a port in use, "
                        + "swept the window", protocol, count, search.collisions);
            }
        }
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
