package io.github.portreservation.pool;

import java.util.concurrent.TimeUnit;
import io.github.portreservation.PortRange;
import io.github.portreservation.PortReservationException;
import io.github.portreservation.PortReservationException.Reason;
import io.github.portreservation.Protocol;
import io.github.portreservation.ReservableSocket;
import io.github.portreservation.RuntimeReservation;
import io.github.portreservation.internal.BindRequest;

import java.time.Duration;

/**
 * Every error text of one pool: what failed (naming the pool, the port, the block), why, and what to do. Stateless
 * apart from the pool's name; the states it reports come in as a {@link PoolSnapshot} taken under the pool's lock.
 */
final class PoolErrors {
    private final String pool;

    PoolErrors(String pool) {
        this.pool = pool;
    }

    /** The pool's name, as the texts give it. */
    @Override
    public String toString() {
        return pool;
    }

    /** INVALID_ARGUMENT: "VALUE is invalid: RULE; FIX". */
    static PortReservationException invalid(String value, String rule, String fix) {
        return PortReservationException.invalidArgument(value, rule, fix);
    }

    /** {@code value}, or INVALID_ARGUMENT naming {@code what} when it is null. */
    static <T> T requireNonNull(T value, String what, String fix) {
        if (value == null) {
            throw invalid(what + " null", "must not be null", fix);
        }
        return value;
    }

    PortReservationException closed() {
        return new PortReservationException(Reason.CLOSED, pool + " is closed: it grants no new leases; build a new "
                + "pool");
    }

    PortReservationException minimumBlocks(int minBlocks) {
        return new PortReservationException(Reason.EXHAUSTED, "could not acquire the " + minBlocks
                + " minimum blocks of " + pool + "; lower minBlocks(...) or raise maxPorts(...)");
    }

    PortReservationException invalidPort(int port) {
        return invalid("port " + port, "must be in 1..65535",
                "pass a port of one of the pool's blocks, or call lease() for any free port");
    }

    PortReservationException notInPool(int port, String blocks) {
        return new PortReservationException(Reason.OUTSIDE_RESERVATION, "port " + port + " is not in any block of "
                + pool + " (blocks held: " + blocks + "); request port 0 for any free port, or one of the ports of "
                + "these blocks");
    }

    /** IN_USE: {@code port} is leased, by {@code owner} when it is known (bound to a socket), else null. */
    PortReservationException leasedBy(int port, PortLease owner) {
        return new PortReservationException(Reason.IN_USE, "port " + port + " of " + pool + " is leased by "
                + (owner != null ? owner : "a lease not bound to a socket") + "; wait until it is closed or request "
                + "port 0");
    }

    PortReservationException quarantined(int port) {
        return new PortReservationException(Reason.IN_USE, "port " + port + " of " + pool + " is quarantined: a bind "
                + "on it failed because another socket holds it; request port 0");
    }

    PortReservationException coolingDown(int port, long cooldownNanos, long remainingNanos) {
        return new PortReservationException(Reason.IN_USE, "port " + port + " of " + pool + " was returned less than "
                + Duration.ofNanos(cooldownNanos) + " ago and cools down for " + Duration.ofNanos(remainingNanos)
                + " more (its previous socket may still be closing); retry then, or request port 0");
    }

    PortReservationException wrongProtocol(ReservableSocket socket, Protocol protocol) {
        return BindRequest.wrongProtocol(pool, protocol, socket);
    }

    PortReservationException bindAttemptsExhausted(int attempts, PortReservationException last) {
        return new PortReservationException(Reason.IN_USE, attempts + " ports of " + pool + " in a row could not be "
                + "bound because other sockets hold them (last: " + last.getMessage() + "); they are quarantined. "
                + "Find the other process with 'ss -tulpn', or raise maxBindAttempts(...)", last);
    }

    /**
     * No port is ready and the pool cannot grow. RESOURCE_LIMIT when the pool is backing off after a block
     * acquisition that failed for that reason, else EXHAUSTED; the last growth failure is the cause.
     *
     * @param refusedWait the thread that must not block, when the wait policy applied but was refused; else null
     */
    PortReservationException exhausted(PoolSnapshot s, Thread refusedWait, NonBlockingThreads policy) {
        PoolStatistics st = s.statistics();
        StringBuilder sb = new StringBuilder("no free ").append(s.wanted()).append(" in ").append(pool).append(": ")
                .append(st.leased())
                .append(" of ").append(st.capacity()).append(" ports leased in ").append(st.blocks())
                .append(" of at most ").append(s.maxBlocks()).append(" blocks");
        if (st.quarantined() > 0) {
            sb.append(", ").append(st.quarantined()).append(" quarantined");
        }
        if (s.cooling() > 0) {
            sb.append(", ").append(s.cooling()).append(" cooling down");
        }
        if (s.freeInOtherShapes() > 0) {
            sb.append(", ").append(s.freeInOtherShapes()).append(" free in blocks cut into other shapes (a block "
                    + "changes shape only when none of its ports is leased)");
        }
        boolean growthFailed = s.growing() == 0 && s.backingOff() && s.lastGrowthFailure() != null;
        if (s.growing() > 0) {
            sb.append(", a block being acquired");
        } else if (growthFailed) {
            sb.append(", and growing by a block failed less than ")
                    .append(TimeUnit.NANOSECONDS.toMillis(BlockGrower.BACKOFF_NANOS)).append(" ms ago, so the pool "
                    + "tries again in ").append(Math.max(1, TimeUnit.NANOSECONDS.toMillis(s.retryInNanos())))
                    .append(" ms (").append(s.lastGrowthFailure().getMessage()).append(')');
        }
        if (refusedWait != null) {
            sb.append("; waiting refused: thread ").append(refusedWait.getName()).append(" must never block (an "
                    + "event loop thread, says ").append(policy).append("). Use leaseAsync() there, or bind from "
                    + "another thread");
        } else if (growthFailed) {
            sb.append("; remove the cause of the growth failure, close leases sooner, or use "
                    + "waitWhenExhausted(timeout) to wait for the next attempt");
        } else {
            sb.append("; close leases sooner, raise maxBlocks(...)/maxPorts(...), or use waitWhenExhausted(timeout)");
        }
        // When only the backoff after a failed growth keeps the pool from growing, that failure says why.
        Reason reason = growthFailed ? s.lastGrowthFailure().reason() : Reason.EXHAUSTED;
        return new PortReservationException(reason, sb.toString(), s.lastGrowthFailure());
    }

    /**
     * EXHAUSTED for a request on {@code caller}, a thread that must never block, while the pool grows on its scheduler
     * because the {@code provider}'s acquire blocks its caller.
     */
    PortReservationException growingOffThread(PoolSnapshot s, Thread caller, NonBlockingThreads policy,
                                              String provider) {
        PoolStatistics st = s.statistics();
        return new PortReservationException(Reason.EXHAUSTED, "no free " + s.wanted() + " in " + pool + " yet: "
                + st.leased() + " of " + st.capacity() + " ports leased in " + st.blocks() + " blocks, and thread "
                + caller.getName() + " must never block (an event loop thread, says " + policy + "), while the "
                + provider + " provider's acquire blocks its caller: the next block is acquired on the pool's "
                + "scheduler instead. Bind again once it is held (statistics().blocks()), use leaseAsync() on that "
                + "thread, or keep blocks ready with minBlocks(n)", s.lastGrowthFailure());
    }

    /**
     * No port is ready and growing by a block failed with {@code cause}: the failure's reason stays on top
     * (RESOURCE_LIMIT, ACCESS_DENIED...: EXHAUSTED would hide it), with the pool's state; CLOSED passes through.
     */
    PortReservationException growthFailed(PortReservationException cause, PoolSnapshot s) {
        if (cause.reason() == Reason.CLOSED) {
            return cause;
        }
        PoolStatistics st = s.statistics();
        return new PortReservationException(cause.reason(), "no free " + s.wanted() + " in " + pool + " ("
                + st.leased() + " of "
                + st.capacity() + " ports leased in " + st.blocks() + " of at most " + s.maxBlocks() + " blocks) and "
                + "growing it by a block failed: " + cause.getMessage() + "; the pool tries to grow again after "
                + TimeUnit.NANOSECONDS.toMillis(BlockGrower.BACKOFF_NANOS) + " ms", cause);
    }

    PortReservationException timedOut(PoolSnapshot s, long waitNanos) {
        PoolStatistics st = s.statistics();
        return new PortReservationException(Reason.TIMEOUT, "no " + s.wanted() + " of " + pool + " became free within "
                + Duration.ofNanos(waitNanos) + " (" + st.leased() + " of " + st.capacity() + " ports leased in "
                + st.blocks() + " of at most " + s.maxBlocks() + " blocks, " + s.growing() + " being acquired, "
                + st.quarantined() + " quarantined, " + st.waiters() + " waiting); close leases sooner, raise "
                + "maxBlocks(...)/maxPorts(...), or wait longer", s.lastGrowthFailure());
    }

    PortReservationException interrupted(InterruptedException e) {
        return new PortReservationException(Reason.TIMEOUT, "interrupted while waiting for a port of " + pool
                + " (the interrupt status is kept); retry when appropriate", e);
    }

    PortReservationException schedulerRejected(String task, Throwable e) {
        return new PortReservationException(Reason.SYSTEM_ERROR, "the scheduler of " + pool + " rejected " + task
                + " (was it shut down?); pass a running scheduler", e);
    }

    PortReservationException providerFailed(String provider, RuntimeException e) {
        return new PortReservationException(Reason.SYSTEM_ERROR, "provider " + provider + " failed to acquire a block "
                + "for " + pool + ": " + e, e);
    }

    PortReservationException providerReturnedNothing(String provider) {
        return new PortReservationException(Reason.SYSTEM_ERROR, "provider " + provider + " returned no reservation; "
                + "this is a provider bug");
    }

    PortReservationException providerReturnedWrongBlock(String provider, RuntimeReservation r, Protocol protocol,
                                                        String requested) {
        return new PortReservationException(Reason.SYSTEM_ERROR, "provider " + provider + " returned " + r + " for a "
                + "request of " + protocol + " " + requested + "; this is a provider bug");
    }

    PortReservationException overlappingBlock(String provider, PortRange range) {
        return new PortReservationException(Reason.SYSTEM_ERROR, "provider " + provider + " returned block " + range
                + " which overlaps a block the pool already holds; this is a provider bug");
    }

    /** INVALID_ARGUMENT: {@code shape} does not fit the blocks of {@code blockSize} ports the provider chooses. */
    PortReservationException shapeLargerThanBlocks(PortShape shape, int blockSize) {
        int needed = shape.smallestBlockForAnyStart();
        if (shape.count() > blockSize) {
            return invalid("shape of " + shape, "it is larger than the blocks of " + pool + " (" + blockSize
                    + " ports)", "build the pool with blockSize(" + needed + ") or more, or lease a smaller shape");
        }
        return invalid("shape of " + shape, "a block of " + pool + " may start at any port the provider chooses, so "
                + "only a block of at least " + needed + " ports holds it", "build the pool with blockSize(" + needed
                + ") or more, or with fixedRanges(...) that hold it");
    }

    /** INVALID_ARGUMENT: no fixed range holds a unit of {@code shape}. */
    PortReservationException shapeFitsNoFixedRange(PortShape shape) {
        return invalid("shape of " + shape, "no fixed range of " + pool + " holds it", "add a fixed range that "
                + "does, or lease a smaller shape");
    }

    /** INVALID_ARGUMENT: the pool serves {@code max} shapes already. */
    PortReservationException tooManyShapes(PortShape shape, int max) {
        return invalid("shape of " + shape, pool + " serves " + max + " shapes already, and each has blocks of its "
                + "own", "lease fewer shapes from one pool, or build a pool for some of them");
    }

    /** IN_USE: {@code port} lies in block {@code range}, cut into units of {@code shape} that are leased. */
    PortReservationException inBlockOfShape(int port, PortRange range, PortShape shape) {
        return new PortReservationException(Reason.IN_USE, "port " + port + " of " + pool + " is in block " + range
                + ", which serves leases of " + shape + " while any of them is leased or cooling down; request port "
                + "0, or a port of another block");
    }

    /** IN_USE: {@code attempts} blocks of the first protocol were taken for the second one. */
    PortReservationException noBlockForBoth(PoolSettings settings, int attempts, PortReservationException last) {
        return new PortReservationException(Reason.IN_USE, "no block of " + settings.blockSize() + " ports for both "
                + settings.protocol() + " and " + settings.secondProtocol() + " in " + pool + ": the ports of the "
                + attempts + " " + settings.protocol() + " blocks " + settings.provider().name() + " chose were taken "
                + "for " + settings.secondProtocol() + " (last: " + last.getMessage() + "); find the owner with 'ss "
                + "-tulpn', or use fixedRanges(...) free for both", last);
    }
}
