package io.github.portreservation.pool;

import io.github.portreservation.PortRange;
import io.github.portreservation.PortReservationException;
import io.github.portreservation.PortReservationException.Reason;
import io.github.portreservation.Protocol;
import io.github.portreservation.RuntimeReservation;

import java.util.ArrayList;
import java.util.List;

/**
 * Asks the provider for the reservations of one block: one of the pool's first protocol, and, in a pool of two
 * protocols, one of the second protocol at exactly the same ports, so that each number is held for both. Call
 * without the pool's lock (these are the system calls).
 *
 * <p>Blocks the provider chooses: the first protocol's block is chosen, the second reserved at its range. When that
 * range is taken for the second protocol (IN_USE), the first block is kept while another one is chosen (so that the
 * provider does not offer it again), up to {@value #ATTEMPTS} blocks, and the blocks passed over are released at the
 * end. Fixed ranges: both at the range, or neither.
 */
final class BlockReservations {
    /** Blocks of the first protocol tried at most for one block of two protocols. */
    static final int ATTEMPTS = 8;

    private final PoolSettings settings;
    private final PoolErrors errors;

    BlockReservations(PoolSettings settings, PoolErrors errors) {
        this.settings = settings;
        this.errors = errors;
    }

    /**
     * The reservations of a block at {@code fixed} (null: one the provider chooses), the first protocol's first;
     * on failure nothing stays reserved.
     *
     * @throws PortReservationException the provider's failure (checked: a provider that returns nothing or another
     *         block fails SYSTEM_ERROR), or IN_USE when no block was free for both protocols
     */
    List<RuntimeReservation> acquire(PortRange fixed) {
        RuntimeReservation first = acquireChecked(settings.protocol(), fixed);
        Protocol second = settings.secondProtocol();
        if (second == null) {
            return List.of(first);
        }
        List<RuntimeReservation> passedOver = new ArrayList<>();
        try {
            for (int attempt = 1;; attempt++) {
                try {
                    return List.of(first, acquireChecked(second, first.range()));
                } catch (PortReservationException e) {
                    if (fixed != null || e.reason() != Reason.IN_USE || attempt == ATTEMPTS) {
                        PoolBlock.release(List.of(first));
                        throw fixed != null || e.reason() != Reason.IN_USE ? e
                                : errors.noBlockForBoth(settings, attempt, e);
                    }
                    passedOver.add(first);
                    first = acquireChecked(settings.protocol(), null);
                }
            }
        } finally {
            PoolBlock.release(passedOver);
        }
    }

    /** A reservation of {@code protocol} at {@code range} (null: a block of the pool's size), checked. */
    private RuntimeReservation acquireChecked(Protocol protocol, PortRange range) {
        String provider = settings.provider().name();
        RuntimeReservation r;
        try {
            r = range != null ? settings.provider().acquire(protocol, range)
                    : settings.provider().acquire(protocol, settings.blockSize());
        } catch (PortReservationException e) {
            throw e;
        } catch (RuntimeException e) {
            throw errors.providerFailed(provider, e);
        }
        if (r == null) {
            throw errors.providerReturnedNothing(provider);
        }
        if (r.protocol() != protocol || (range != null ? !range.equals(r.range())
                : r.range().count() != settings.blockSize())) {
            PoolBlock.release(List.of(r));
            throw errors.providerReturnedWrongBlock(provider, r, protocol,
                    range != null ? range.toString() : settings.blockSize() + " ports");
        }
        return r;
    }
}
