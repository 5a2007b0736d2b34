package io.github.portreservation.pool;

import io.github.portreservation.PortRange;
import io.github.portreservation.PortReservationProvider;
import io.github.portreservation.Protocol;

import java.util.List;
import java.util.Objects;
import java.util.concurrent.ScheduledExecutorService;
import java.util.function.LongSupplier;

/**
 * The settings of one {@link ReservationPool}, immutable and valid: {@link ReservationPoolBuilder#build()} makes one
 * without changing the builder, and the pool keeps it. Each setting alone is checked by the builder's setter; the
 * canonical constructor checks the rules across settings.
 *
 * @param blockSize       ports per provider-chosen block, or 0 with fixed ranges
 * @param fixedRanges     the fixed ranges in order of preference, or empty for provider-chosen blocks
 * @param maxBlocks       blocks held at most
 * @param maxPorts        ports held at most, quarantined ones included
 * @param minBlocks       blocks acquired at build time and kept while the pool is open
 * @param cooldownNanos   how long a returned port rests before it is leased again (0 = none)
 * @param idleNanos       how long a block without lease is kept ({@link #NEVER} = until close)
 * @param waitNanos       how long a request waits for a port when the pool cannot grow ({@link #FAIL_AT_ONCE})
 * @param maxBindAttempts ports quarantined in a row before a bind gives up
 * @param scheduler       runs timeouts, idle checks, wake-ups and growth for asynchronous requests
 * @param clock           nanosecond clock (a test hook)
 * @param nonBlocking     which threads must never wait
 * @param secondProtocol  the protocol every block is also reserved for, at the same ports, or null
 */
record PoolSettings(PortReservationProvider provider, Protocol protocol, int blockSize, List<PortRange> fixedRanges,
                    int maxBlocks, int maxPorts, int minBlocks, long cooldownNanos, long idleNanos, long waitNanos,
                    int maxBindAttempts, ScheduledExecutorService scheduler, LongSupplier clock,
                    NonBlockingThreads nonBlocking, Protocol secondProtocol) {
    /** A duration that never ends. */
    static final long NEVER = Long.MAX_VALUE;
    /** {@link #waitNanos()} of the fail policy: no wait. */
    static final long FAIL_AT_ONCE = -1;

    /**
     * Checks the rules across settings.
     *
     * @throws io.github.portreservation.PortReservationException INVALID_ARGUMENT naming the settings that contradict
     *         each other
     */
    PoolSettings {
        Objects.requireNonNull(provider, "provider");
        Objects.requireNonNull(protocol, "protocol");
        Objects.requireNonNull(scheduler, "scheduler");
        Objects.requireNonNull(clock, "clock");
        Objects.requireNonNull(nonBlocking, "nonBlocking");
        fixedRanges = List.copyOf(fixedRanges);
        if (secondProtocol == protocol) {
            throw new IllegalArgumentException("the second protocol " + secondProtocol + " is the first one");
        }
        if (fixedRanges.isEmpty() == (blockSize == 0)) {
            throw new IllegalArgumentException("blockSize " + blockSize + " must be 0 exactly with fixed ranges");
        }
        int slots = fixedRanges.isEmpty() ? PortRange.MAX_PORT : fixedRanges.size();
        if (maxBlocks > slots) {
            throw PoolErrors.invalid("maximum of " + maxBlocks + " blocks", "there are only " + slots
                    + " fixed ranges", "pass maxBlocks(" + slots + ") or add ranges");
        }
        if (minBlocks > maxBlocks) {
            throw PoolErrors.invalid("minimum of " + minBlocks + " blocks", "exceeds the maximum of " + maxBlocks,
                    "lower minBlocks(...) or raise maxBlocks(...)");
        }
        int smallest = fixedRanges.stream().mapToInt(PortRange::count).min().orElse(blockSize);
        if (smallest > maxPorts) {
            throw PoolErrors.invalid("maximum of " + maxPorts + " ports", "is smaller than the smallest block ("
                    + smallest + " ports), so the pool could never grow", "raise maxPorts(...) or use smaller blocks");
        }
    }

    /** The protocols each block is reserved for: the first, and the second one if any. */
    List<Protocol> protocols() {
        return secondProtocol == null ? List.of(protocol) : List.of(protocol, secondProtocol);
    }

    /** Whether every block is reserved for {@code p}. */
    boolean holds(Protocol p) {
        return p == protocol || p == secondProtocol;
    }

    /**
     * Checks that {@code shape} fits the blocks this pool grows by: every block the provider may choose (it may start
     * at any port), or at least one fixed range.
     *
     * @throws io.github.portreservation.PortReservationException INVALID_ARGUMENT naming the shape, the rule and the
     *         fix, worded by {@code errors}
     */
    void checkFits(PortShape shape, PoolErrors errors) {
        if (hasFixedRanges()) {
            if (fixedRanges.stream().noneMatch(r -> shape.unitsIn(r) > 0)) {
                throw errors.shapeFitsNoFixedRange(shape);
            }
        } else if (shape.smallestBlockForAnyStart() > blockSize) {
            throw errors.shapeLargerThanBlocks(shape, blockSize);
        }
    }

    /** Whether the pool grows by its fixed ranges (else by blocks the provider chooses). */
    boolean hasFixedRanges() {
        return !fixedRanges.isEmpty();
    }

    /** Slots of the port table: one per fixed range, else one per block the pool may hold. */
    int slots() {
        return hasFixedRanges() ? fixedRanges.size() : maxBlocks;
    }

    /** Ports of the block that goes into {@code slot}. */
    int sizeOfSlot(int slot) {
        return hasFixedRanges() ? fixedRanges.get(slot).count() : blockSize;
    }

    /** Whether requests wait for a returned port when the pool cannot grow (else they fail at once). */
    boolean waitsWhenExhausted() {
        return waitNanos != FAIL_AT_ONCE;
    }

    /** Whether a returned port rests before it is leased again. */
    boolean hasCooldown() {
        return cooldownNanos > 0;
    }

    /** Whether blocks without lease are released after {@link #idleNanos()}. */
    boolean releasesIdleBlocks() {
        return idleNanos != NEVER;
    }

    /** "TCP, blocks of 64 from linux", "UDP, fixed ranges [40000-40063] from linux", "TCP and UDP, blocks of 64...". */
    String describe() {
        String protocols = secondProtocol == null ? protocol.toString() : protocol + " and " + secondProtocol;
        return protocols + ", " + (hasFixedRanges() ? "fixed ranges " + fixedRanges : "blocks of " + blockSize)
                + " from " + provider.name();
    }
}
