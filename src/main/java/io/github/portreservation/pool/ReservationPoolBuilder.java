package io.github.portreservation.pool;

import io.github.portreservation.PortRange;
import io.github.portreservation.PortReservationException;
import io.github.portreservation.PortReservationProvider;
import io.github.portreservation.Protocol;

import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;

/**
 * Configures a {@link ReservationPool}. Defaults: any blocks of 64 ports, at most 16 blocks, no minimum, no port
 * limit, no cooldown, idle blocks released after 60 seconds, fail at once when exhausted, 8 bind attempts, the shared
 * daemon scheduler, the {@link NonBlockingThreads} found by the service loader. Every setter validates its argument
 * at once (INVALID_ARGUMENT naming the value and the fix); {@link #build()} checks the settings together and never
 * changes the builder, so one builder can build several pools.
 */
public final class ReservationPoolBuilder {
    private static final int DEFAULT_BLOCK_SIZE = 64;
    private static final int DEFAULT_MAX_BLOCKS = 16;
    private static final int UNSET = -1;

    private final PortReservationProvider provider;
    private final Protocol protocol;
    private final Protocol secondProtocol;
    private int blockSize = DEFAULT_BLOCK_SIZE;
    private boolean blockSizeSet;
    private List<PortRange> fixedRanges;
    private int maxBlocks = UNSET;
    private int maxPorts = PortRange.MAX_PORT;
    private int minBlocks;
    private long cooldownNanos;
    private long idleNanos = TimeUnit.SECONDS.toNanos(60);
    private long waitNanos = PoolSettings.FAIL_AT_ONCE;
    private int maxBindAttempts = 8;
    private ScheduledExecutorService scheduler;
    private LongSupplier clock = System::nanoTime;
    private NonBlockingThreads nonBlocking;

    ReservationPoolBuilder(PortReservationProvider provider, Protocol protocol) {
        this(provider, protocol, null);
    }

    /** A builder of a pool whose blocks are reserved for {@code protocol} and, when not null, {@code second}. */
    ReservationPoolBuilder(PortReservationProvider provider, Protocol protocol, Protocol second) {
        this.provider = PoolErrors.requireNonNull(provider, "provider", "pass PortReservations.provider()");
        this.protocol = PoolErrors.requireNonNull(protocol, "protocol", "pass Protocol.TCP or Protocol.UDP");
        if (second == protocol) {
            throw PortReservationException.invalidArgument("second protocol " + second, "the pool's first protocol "
                    + "is " + protocol + " already", "pass the other protocol, or build the pool with builder("
                    + "provider, Protocol." + protocol + ") for " + protocol + " alone");
        }
        this.secondProtocol = second;
    }

    /** Grow by blocks of {@code ports} consecutive ports that the provider chooses (1..65535; default 64). */
    public ReservationPoolBuilder blockSize(int ports) {
        if (ports < 1 || ports > PortRange.MAX_PORT) {
            throw PortReservationException.invalidArgument("block size " + ports, "must be in 1..65535",
                    "pass the number of consecutive ports each block holds, e.g. 64");
        }
        this.blockSize = ports;
        this.blockSizeSet = true;
        return this;
    }

    /** Grow by any blocks the provider chooses (the default). */
    public ReservationPoolBuilder anyBlocks() {
        this.fixedRanges = null;
        return this;
    }

    /**
     * Grow by these ranges only, in this order (the first ones are preferred for leases). Each range is one block; they
     * must not overlap.
     */
    public ReservationPoolBuilder fixedRanges(List<PortRange> ranges) {
        PoolErrors.requireNonNull(ranges, "list of fixed ranges", "pass ranges such as PortRange.parse(\"40000-40063\"), "
                + "or call anyBlocks()");
        if (ranges.isEmpty()) {
            throw PortReservationException.invalidArgument("empty list of fixed ranges", "needs at least one range",
                    "pass ranges such as PortRange.parse(\"40000-40063\"), or call anyBlocks()");
        }
        PortRange[] copy = new PortRange[ranges.size()];
        for (int i = 0; i < copy.length; i++) {
            copy[i] = ranges.get(i); // not toArray(): some lists refuse nulls only there
            if (copy[i] == null) {
                throw PortReservationException.invalidArgument("fixed range at index " + i + " (of " + copy.length
                        + ") null", "every fixed range must be a PortRange",
                        "remove the null or pass a range such as PortRange.parse(\"40000-40063\")");
            }
            for (int j = 0; j < i; j++) {
                if (copy[i].overlaps(copy[j])) {
                    throw PortReservationException.invalidArgument("fixed range " + copy[i], "overlaps " + copy[j],
                            "pass disjoint ranges");
                }
            }
        }
        this.fixedRanges = List.of(copy);
        return this;
    }

    /** Same as {@link #fixedRanges(List)}. */
    public ReservationPoolBuilder fixedRanges(PortRange... ranges) {
        PoolErrors.requireNonNull(ranges, "list of fixed ranges", "pass ranges such as PortRange.parse(\"40000-40063\"), "
                + "or call anyBlocks()");
        return fixedRanges(Arrays.asList(ranges));
    }

    /** Hold at most {@code blocks} blocks (default 16 for any blocks, the number of ranges for fixed ranges). */
    public ReservationPoolBuilder maxBlocks(int blocks) {
        if (blocks < 1 || blocks > PortRange.MAX_PORT) {
            throw PortReservationException.invalidArgument("maximum of " + blocks + " blocks", "must be in 1..65535",
                    "pass how many blocks the pool may hold at most");
        }
        this.maxBlocks = blocks;
        return this;
    }

    /** Hold at most {@code ports} ports in all (a growth that would pass it is not done). */
    public ReservationPoolBuilder maxPorts(int ports) {
        if (ports < 1 || ports > PortRange.MAX_PORT) {
            throw PortReservationException.invalidArgument("maximum of " + ports + " ports", "must be in 1..65535",
                    "pass how many ports the pool may hold at most");
        }
        this.maxPorts = ports;
        return this;
    }

    /** Acquire {@code blocks} blocks when the pool is built and never release them while it is open (default 0). */
    public ReservationPoolBuilder minBlocks(int blocks) {
        if (blocks < 0) {
            throw PortReservationException.invalidArgument("minimum of " + blocks + " blocks", "must be >= 0",
                    "pass 0 to acquire blocks only when needed");
        }
        this.minBlocks = blocks;
        return this;
    }

    /**
     * A returned port is leased again (also by an explicit request) only after {@code cooldown}; it goes to the back of
     * its block's queue anyway. Default: none. (Channels give their port back only once their kernel socket is gone,
     * so no cooldown is needed for correctness; a cooldown keeps a port away from stale peers and TIME_WAIT longer.)
     */
    public ReservationPoolBuilder cooldown(Duration cooldown) {
        this.cooldownNanos = nanos(cooldown, "cooldown", false);
        return this;
    }

    /** Release a block that had no lease for {@code idle} (default 60 s; zero releases it as soon as it is idle). */
    public ReservationPoolBuilder idleTimeout(Duration idle) {
        this.idleNanos = nanos(idle, "idle timeout", false);
        return this;
    }

    /** Never release idle blocks before the pool is closed. */
    public ReservationPoolBuilder keepIdleBlocks() {
        this.idleNanos = PoolSettings.NEVER;
        return this;
    }

    /** When no port is free and the pool cannot grow, fail at once with EXHAUSTED (the default). */
    public ReservationPoolBuilder failWhenExhausted() {
        this.waitNanos = PoolSettings.FAIL_AT_ONCE;
        return this;
    }

    /**
     * When no port is free and the pool cannot grow, wait up to {@code timeout} for a returned port, then fail with
     * TIMEOUT. {@link ReservationPool#leaseAsync()} waits without blocking; the blocking calls never wait on a thread
     * that must not block (see {@link #nonBlockingThreads}).
     */
    public ReservationPoolBuilder waitWhenExhausted(Duration timeout) {
        this.waitNanos = nanos(timeout, "wait timeout", true);
        return this;
    }

    /** How many ports in a row {@link ReservationPool#bind} quarantines before it gives up (default 8). */
    public ReservationPoolBuilder maxBindAttempts(int attempts) {
        if (attempts < 1) {
            throw PortReservationException.invalidArgument(attempts + " bind attempts", "must be at least 1",
                    "pass how many ports a bind may try when other sockets hold them, e.g. 8");
        }
        this.maxBindAttempts = attempts;
        return this;
    }

    /**
     * The scheduler for wait timeouts, idle checks, cooldown wake-ups and growth for asynchronous requests (default: one
     * daemon thread shared by all pools). It must run blocking system calls (acquiring and releasing blocks).
     */
    public ReservationPoolBuilder scheduler(ScheduledExecutorService scheduler) {
        this.scheduler = PoolErrors.requireNonNull(scheduler, "scheduler",
                "pass a running ScheduledExecutorService, or leave the default");
        return this;
    }

    /**
     * Which threads must never wait for a port (default: the {@link NonBlockingThreads} implementations registered
     * with the service loader, such as this library's one for Netty event loops). {@code threads} replaces them for
     * this pool.
     */
    public ReservationPoolBuilder nonBlockingThreads(NonBlockingThreads threads) {
        this.nonBlocking = PoolErrors.requireNonNull(threads, "NonBlockingThreads",
                "pass a policy such as thread -> false, or leave the discovered default");
        return this;
    }

    /** Test hook: the nanosecond clock used for cooldowns and idle times. */
    ReservationPoolBuilder clock(LongSupplier clock) {
        this.clock = PoolErrors.requireNonNull(clock, "clock", "pass System::nanoTime");
        return this;
    }

    /**
     * Builds the pool and acquires its minimum blocks. The builder is left as it was.
     *
     * @throws PortReservationException INVALID_ARGUMENT for settings that contradict each other, or the provider's
     *         error when a minimum block cannot be acquired (nothing stays reserved then)
     */
    public ReservationPool build() {
        return ReservationPool.start(settings());
    }

    /** The settings this builder describes now, checked together; the builder is left as it was. */
    PoolSettings settings() {
        if (fixedRanges != null && blockSizeSet) {
            throw PortReservationException.invalidArgument("block size " + blockSize + " with fixed ranges",
                    "each fixed range is one block of its own size", "drop blockSize(...) or call anyBlocks()");
        }
        int blocks = maxBlocks != UNSET ? maxBlocks : fixedRanges != null ? fixedRanges.size() : DEFAULT_MAX_BLOCKS;
        return new PoolSettings(provider, protocol, fixedRanges != null ? 0 : blockSize,
                fixedRanges != null ? fixedRanges : List.of(), blocks, maxPorts, minBlocks, cooldownNanos, idleNanos,
                waitNanos, maxBindAttempts, scheduler != null ? scheduler : PoolScheduler.shared(), clock,
                nonBlocking != null ? nonBlocking : DiscoveredNonBlockingThreads.instance(), secondProtocol);
    }

    private static long nanos(Duration d, String what, boolean positive) {
        PoolErrors.requireNonNull(d, what, "pass a duration such as Duration.ofSeconds(5)");
        if (d.isNegative() || positive && d.isZero()) {
            throw PortReservationException.invalidArgument(what + " " + d, positive ? "must be positive"
                    : "must not be negative", "pass a duration such as Duration.ofSeconds(5)");
        }
        try {
            return d.toNanos();
        } catch (ArithmeticException e) {
            return PoolSettings.NEVER;
        }
    }
}
