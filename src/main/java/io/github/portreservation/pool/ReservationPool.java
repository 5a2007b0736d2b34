package io.github.portreservation.pool;

import io.github.portreservation.PortBinder;
import io.github.portreservation.PortBinding;
import io.github.portreservation.PortRange;
import io.github.portreservation.PortReservationException;
import io.github.portreservation.PortReservationProvider;
import io.github.portreservation.Protocol;
import io.github.portreservation.ReservableSocket;

import java.lang.System.Logger.Level;
import java.net.InetSocketAddress;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * A pool of reserved ports that leases one port per socket, or the ports of a {@link PortShape} as one unit, and
 * grows and shrinks by blocks (runtime reservations; in a pool of two protocols, a pair of them at the same ports).
 *
 * <ul>
 *   <li><b>Lease</b>: {@link #lease()} (blocking, per the exhaustion policy), {@link #leaseAsync()} (never blocks the
 *       caller), {@link #lease(int)} (a specific port), or {@link #bind(ReservableSocket, InetSocketAddress)} which
 *       leases and binds in one step ({@link PortBinder}, so the channel factories of
 *       {@code io.github.portreservation.netty.ReservedChannelFactories} accept a pool).</li>
 *   <li><b>Shapes</b>: {@link #lease(PortShape)} and {@link #leaseAsync(PortShape)} lease N consecutive ports,
 *       optionally aligned (an RTP/RTCP pair), all or none, as a {@link ShapeLease} that binds a socket per port and
 *       protocol and gives every port back at once. Each block is cut into units of one shape at a time.</li>
 *   <li><b>Return</b>: {@link PortLease#close()} puts the port at the back of its block's queue (longest time before
 *       reuse), usable again after the optional cooldown.</li>
 *   <li><b>Grow</b>: when no port is free, the pool acquires a new block from the provider (a block of
 *       {@code blockSize} ports, or the next fixed range), up to the maximum; the system calls run outside the lock.</li>
 *   <li><b>Shrink</b>: a block without lease for longer than the idle timeout is released (down to the minimum).
 *       Leases are packed into the oldest blocks so that the newest ones go idle when the load drops.</li>
 *   <li><b>Never twice</b>: a port belongs to at most one live lease; a port whose bind fails because another socket
 *       took it is quarantined (not leased again while its block is held) and the next port is tried.</li>
 *   <li><b>Never blocking an event loop</b>: the blocking calls wait only on threads that no {@link NonBlockingThreads}
 *       policy calls non-blocking.</li>
 *   <li><b>Close</b>: {@link #close()} refuses new leases and releases each block when its last lease comes back;
 *       {@link #closeForcibly()} releases every block at once.</li>
 * </ul>
 *
 * <p>This class is the facade: it runs each request through the pool's one decision ({@link LeaseDispatcher}) and
 * carries out its outcome outside the lock. Lease and return are O(1) in the occupancy and allocate only the lease.
 * Thread-safe.
 */
public final class ReservationPool implements PortBinder, AutoCloseable {
    private static final System.Logger LOG = System.getLogger(ReservationPool.class.getName());

    private final PoolSettings settings;
    private final PoolErrors errors;
    private final LeaseDispatcher dispatcher;
    private final ExplicitPortBinds explicitBinds;

    private ReservationPool(PoolSettings settings) {
        this.settings = settings;
        this.errors = new PoolErrors("ReservationPool[" + settings.describe() + "]");
        this.dispatcher = new LeaseDispatcher(settings, errors);
        this.explicitBinds = new ExplicitPortBinds(dispatcher, this::lease);
    }

    /** A builder of a pool of {@code protocol} ports reserved through {@code provider}. */
    public static ReservationPoolBuilder builder(PortReservationProvider provider, Protocol protocol) {
        return new ReservationPoolBuilder(provider, protocol);
    }

    /**
     * A builder of a pool whose every port is reserved for both protocols, at the same number: each block is a
     * reservation of {@code first} (a block the provider chooses, or a fixed range) and one of {@code second} at the
     * same ports, acquired and released together. A {@link ShapeLease} of it binds a socket of each protocol to each of
     * its ports: a TCP server and a UDP channel on one number ({@code lease(PortShape.single())}).
     *
     * @throws PortReservationException INVALID_ARGUMENT when a protocol is null or both are the same
     */
    public static ReservationPoolBuilder builder(PortReservationProvider provider, Protocol first, Protocol second) {
        PoolErrors.requireNonNull(second, "second protocol", "pass Protocol.TCP or Protocol.UDP, or use "
                + "builder(provider, protocol) for one protocol");
        return new ReservationPoolBuilder(provider, first, second);
    }

    /** A pool with {@code settings} holding its minimum blocks; on failure nothing stays reserved. */
    static ReservationPool start(PoolSettings settings) {
        ReservationPool pool = new ReservationPool(settings);
        try {
            pool.dispatcher.grower().acquireMinimumBlocks(settings.minBlocks());
        } catch (RuntimeException e) {
            pool.closeForcibly();
            throw e;
        }
        return pool;
    }

    /** The protocol of the pool's ports (the first one, in a pool of two protocols). */
    public Protocol protocol() {
        return settings.protocol();
    }

    /** The protocols each port of the pool is reserved for: one, or two (the same number held for both). */
    public List<Protocol> protocols() {
        return settings.protocols();
    }

    /** Whether {@link #close()} or {@link #closeForcibly()} was called. */
    public boolean isClosed() {
        return dispatcher.isClosed();
    }

    /** Completes when the pool is closed and every block is released. */
    public CompletableFuture<Void> terminationFuture() {
        return dispatcher.termination().copy();
    }

    /** A consistent snapshot of the pool's gauges and counters, taken under its lock. */
    public PoolStatistics statistics() {
        return dispatcher.statistics();
    }

    /** The ranges of the blocks the pool holds now, oldest slot first. */
    public List<PortRange> blockRanges() {
        return dispatcher.blockRanges();
    }

    /**
     * Leases the next free port (the oldest returned of the oldest block), growing the pool by a block when all are
     * full. When the pool cannot grow: fails at once with EXHAUSTED, or, with {@code waitWhenExhausted(timeout)},
     * waits up to the timeout. It never waits on a thread that must not block ({@link NonBlockingThreads}, such as a
     * Netty event loop): there it fails at once (EXHAUSTED) instead; use {@link #leaseAsync()} there.
     *
     * @throws PortReservationException EXHAUSTED, TIMEOUT (also when interrupted, with the interrupt status kept),
     *         CLOSED, or, when growing by a block failed (now, or less than the growth backoff ago), that failure's
     *         reason (RESOURCE_LIMIT, ACCESS_DENIED, IN_USE, SYSTEM_ERROR...) with the pool's state
     */
    public PortLease lease() {
        PortLease ready = dispatcher.leaseReady(0);
        return ready != null ? ready : leaseBlocking(0);
    }

    /**
     * Leases the ports of {@code shape} as one unit (see {@link ShapeLease}), with the rules of {@link #lease()}:
     * the oldest returned unit of the oldest block cut into that shape; else a block without lease, quarantine or
     * cooling port cut anew into it; else a run of the shape carved out of the free ports of a block of single ports;
     * else growth by a block cut into it; else fail or wait per policy. All the shape's ports or none: a failure
     * leaves the pool as it was.
     *
     * @throws PortReservationException INVALID_ARGUMENT when the shape fits no block the pool grows by (larger than
     *         its blocks, or an alignment that a block starting anywhere may not hold, or no fixed range that holds
     *         it), naming the rule and the fix; else the errors of {@link #lease()}, naming the shape
     */
    public ShapeLease lease(PortShape shape) {
        PoolErrors.requireNonNull(shape, "shape", "pass a shape such as PortShape.rtpPair()");
        int index = dispatcher.shapeIndex(shape);
        PortLease unit = dispatcher.leaseReady(index);
        return new ShapeLease(unit != null ? unit : leaseBlocking(index), shape, settings.protocols());
    }

    /** A lease of a unit of the table's shape {@code shape} when none was ready at once. */
    private PortLease leaseBlocking(int shape) {
        LeaseAttempt attempt = new LeaseAttempt(LeaseMode.ofBlockingCall(settings.nonBlocking()), shape);
        for (;;) {
            switch (dispatcher.decide(attempt)) {
                case READY:
                    return attempt.lease();
                case GROW:
                    PortLease grown = growForCaller(attempt);
                    if (grown != null) {
                        return grown;
                    }
                    break;
                case RECLAIM:
                    reclaim(attempt.abandoned());
                    break;
                case WAIT:
                    return await(attempt.waiter());
                default:
                    throw attempt.failure();
            }
        }
    }

    /** Acquires the reserved block on this thread; null when it failed and the request waits instead. */
    private PortLease growForCaller(LeaseAttempt attempt) {
        try {
            return dispatcher.grower().grow(attempt.slot(), true);
        } catch (PortReservationException e) {
            if (attempt.mode() == LeaseMode.NEVER_WAIT || !settings.waitsWhenExhausted()) {
                throw dispatcher.growthFailed(e, attempt.shape());
            }
            attempt.growthFailed();
            return null;
        }
    }

    /**
     * Leases the next free port without blocking the caller: the future completes at once when a port is free, after
     * the pool grew by a block (acquired on the pool's scheduler thread), or when a lease is returned; it fails with
     * EXHAUSTED (fail policy), TIMEOUT (wait policy) or CLOSED. Callbacks run on the thread that completes the future
     * (the returning, growing or timer thread); use the {@code *Async} methods of the future to move elsewhere.
     * Cancelling the future withdraws the request; a port granted concurrently goes back to the pool.
     */
    public CompletableFuture<PortLease> leaseAsync() {
        return leaseAsync(0);
    }

    /**
     * Leases the ports of {@code shape} as one unit without blocking the caller, with the rules of
     * {@link #leaseAsync()} and {@link #lease(PortShape)}.
     *
     * @throws PortReservationException INVALID_ARGUMENT at once when the shape fits no block of the pool (see
     *         {@link #lease(PortShape)}); the other failures fail the future
     */
    public CompletableFuture<ShapeLease> leaseAsync(PortShape shape) {
        PoolErrors.requireNonNull(shape, "shape", "pass a shape such as PortShape.rtpPair()");
        CompletableFuture<PortLease> unit = leaseAsync(dispatcher.shapeIndex(shape));
        CompletableFuture<ShapeLease> lease = new CompletableFuture<>();
        unit.whenComplete((u, error) -> {
            if (error != null) {
                lease.completeExceptionally(error);
            } else if (!lease.complete(new ShapeLease(u, shape, settings.protocols()))) {
                u.close(); // cancelled meanwhile: nobody takes it
            }
        });
        lease.whenComplete((l, error) -> unit.cancel(false)); // withdraws the request when cancelled first
        return lease;
    }

    private CompletableFuture<PortLease> leaseAsync(int shape) {
        PortLease ready = dispatcher.leaseReady(shape);
        if (ready != null) {
            return CompletableFuture.completedFuture(ready);
        }
        LeaseAttempt attempt = new LeaseAttempt(LeaseMode.ASYNC, shape);
        for (;;) {
            switch (dispatcher.decide(attempt)) {
                case READY:
                    return CompletableFuture.completedFuture(attempt.lease());
                case RECLAIM:
                    reclaim(attempt.abandoned());
                    break;
                case WAIT:
                    return attempt.waiter().future;
                case FAIL:
                    return CompletableFuture.failedFuture(attempt.failure());
                default:
                    throw new IllegalStateException("an asynchronous request never grows on its caller's thread");
            }
        }
    }

    /**
     * Leases exactly {@code port}, when it is a free port of one of the pool's blocks, past its cooldown. Never
     * waits.
     *
     * @throws PortReservationException INVALID_ARGUMENT for a port outside 1..65535, OUTSIDE_RESERVATION when no block
     *         of the pool holds it, IN_USE when it is leased, quarantined or cooling down, CLOSED
     */
    public PortLease lease(int port) {
        if (port < PortRange.MIN_PORT || port > PortRange.MAX_PORT) {
            throw errors.invalidPort(port);
        }
        return dispatcher.leaseExplicit(port);
    }

    /**
     * Leases a port and binds {@code socket} to it: port 0 takes the next free port (as {@link #lease()}, with the
     * same blocking rules; when the bind fails because another socket took that port, the port is quarantined and the
     * next one is tried), another port must be a free port of the pool (as {@link #lease(int)}), or a port that an open
     * lease of the pool has bound to a socket: the socket then joins that lease (see {@link PortLease}) when the
     * reservation allows a second socket there, else the request fails as {@link #lease(int)} does (IN_USE).
     *
     * @return the lease, which is the socket's binding: close it after the socket to give the port back; for a socket
     *         that joined a lease, its own binding (close it after the socket; the port comes back after the last)
     * @throws PortReservationException INVALID_ARGUMENT (null or wrong protocol socket, unresolved address), the
     *         errors of {@link #lease()} or {@link #lease(int)}, IN_USE after {@code maxBindAttempts} quarantined ports
     *         in a row, or the bind error; the socket is left unbound and no lease is kept
     */
    @Override
    public PortBinding bind(ReservableSocket socket, InetSocketAddress requested) {
        PoolErrors.requireNonNull(socket, "socket", "pass the socket to bind");
        if (!settings.holds(socket.protocol())) {
            throw errors.wrongProtocol(socket, settings.protocol());
        }
        if (requested != null && requested.getPort() != 0) {
            return explicitBinds.bind(socket, requested);
        }
        PortReservationException last = null;
        for (int attempt = 0; attempt < settings.maxBindAttempts(); attempt++) {
            PortLease lease;
            try {
                lease = lease();
            } catch (PortReservationException e) {
                throw withSuppressed(e, last);
            }
            try {
                return ExplicitPortBinds.bindOrReturn(lease, socket, requested);
            } catch (PortReservationException e) {
                if (!lease.isQuarantined()) {
                    throw withSuppressed(e, last); // last: the port quarantined before this attempt
                }
                last = e;
            }
        }
        throw errors.bindAttemptsExhausted(settings.maxBindAttempts(), last);
    }

    private static PortReservationException withSuppressed(PortReservationException e, Exception earlier) {
        if (earlier != null) {
            e.addSuppressed(earlier);
        }
        return e;
    }

    /** Waits for a queued request's decision, up to the wait timeout; withdraws it on timeout or interrupt. */
    private PortLease await(Waiter w) {
        try {
            return settings.waitsWhenExhausted() ? w.future.get(settings.waitNanos(), TimeUnit.NANOSECONDS)
                    : w.future.get();
        } catch (TimeoutException e) {
            PortReservationException timeout = dispatcher.timedOut(w);
            if (timeout != null) {
                w.future.completeExceptionally(timeout);
                throw timeout;
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            PortReservationException interrupted = errors.interrupted(e);
            if (w.future.completeExceptionally(interrupted)) {
                throw interrupted;
            }
        } catch (ExecutionException e) {
            throw (PortReservationException) e.getCause();
        }
        // Decided concurrently (served, or failed): the deciding thread completes the future right after its lock.
        try {
            return w.future.join();
        } catch (CompletionException e) {
            throw (PortReservationException) e.getCause();
        }
    }

    /**
     * Closes leases whose socket was closed but the lease never was (e.g. a Netty channel closed through
     * {@code Unsafe.closeForcibly()}, which completes no close future), seen so for at least one second.
     */
    private void reclaim(List<PortLease> abandoned) {
        LOG.log(Level.WARNING, () -> this + " takes back " + abandoned.size() + " leased ports whose sockets were "
                + "closed without closing their lease; close each lease after its socket to give ports back at once");
        for (PortLease lease : abandoned) {
            lease.reclaim();
        }
    }

    /**
     * Refuses new leases (waiting requests fail with CLOSED), releases the blocks without lease now and each other
     * block when its last lease comes back. Idempotent.
     */
    @Override
    public void close() {
        dispatcher.shutdown(false);
    }

    /**
     * Refuses new leases and releases every block at once. Leases still open become inactive; their sockets keep
     * their ports until they close, but the ports are no longer reserved. Idempotent.
     */
    public void closeForcibly() {
        dispatcher.shutdown(true);
    }

    @Override
    public String toString() {
        return errors.toString();
    }
}
