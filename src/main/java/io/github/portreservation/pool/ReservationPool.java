package io.github.portreservation.pool;

import io.github.portreservation.PortBinder;
import io.github.portreservation.PortBinding;
import io.github.portreservation.PortRange;
import io.github.portreservation.PortReservationException;
import io.github.portreservation.PortReservationException.Reason;
import io.github.portreservation.PortReservationProvider;
import io.github.portreservation.Protocol;
import io.github.portreservation.ReservableSocket;
import io.github.portreservation.RuntimeReservation;
import io.github.portreservation.netty.ReservedChannelFactories;
import io.netty.channel.ChannelFactory;
import io.netty.channel.socket.DatagramChannel;
import io.netty.channel.socket.ServerSocketChannel;
import io.netty.channel.socket.SocketChannel;
import io.netty.util.internal.logging.InternalLogger;
import io.netty.util.internal.logging.InternalLoggerFactory;

import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.LongSupplier;

import static io.netty.util.internal.ObjectUtil.checkNotNull;

/**
 * A pool of reserved ports that leases one port per socket and grows and shrinks by blocks (runtime reservations).
 *
 * <ul>
 *   <li><b>Lease</b>: {@link #lease()} (blocking, per the exhaustion policy), {@link #leaseAsync()} (never blocks the
 *       caller), {@link #lease(int)} (a specific port), or {@link #bind(ReservableSocket, InetSocketAddress)} which
 *       leases and binds in one step ({@link PortBinder}, so the Netty channel factories accept a pool).</li>
 *   <li><b>Return</b>: {@link PortLease#close()} puts the port at the back of its block's queue (longest time before
 *       reuse), usable again after the optional cooldown.</li>
 *   <li><b>Grow</b>: when no port is free, the pool acquires a new block from the provider (a block of
 *       {@code blockSize} ports, or the next fixed range), up to the maximum; the system calls run outside the lock.</li>
 *   <li><b>Shrink</b>: a block without lease for longer than the idle timeout is released (down to the minimum).
 *       Leases are packed into the oldest blocks so that the newest ones go idle when the load drops.</li>
 *   <li><b>Never twice</b>: a port belongs to at most one live lease; a port whose bind fails because another socket
 *       took it is quarantined (not leased again while its block is held) and the next port is tried.</li>
 *   <li><b>Close</b>: {@link #close()} refuses new leases and releases each block when its last lease comes back;
 *       {@link #closeForcibly()} releases every block at once.</li>
 * </ul>
 *
 * <p>Lease and return are O(1) in the occupancy (a scan of one bit per block to find the oldest block with a free
 * port) and allocate only the lease. Thread-safe.
 */
public final class ReservationPool implements PortBinder, AutoCloseable {
    private static final InternalLogger logger = InternalLoggerFactory.getInstance(ReservationPool.class);

    static final long NEVER = Long.MAX_VALUE;
    /** After a block could not be acquired, growth is not tried again for this long (protects the provider). */
    private static final long GROWTH_BACKOFF_NANOS = TimeUnit.MILLISECONDS.toNanos(500);
    /** How long a lease must be seen with its socket closed before an exhausted pool takes its port back. */
    static final long ABANDONED_GRACE_NANOS = TimeUnit.SECONDS.toNanos(1);

    // Configuration.
    private final PortReservationProvider provider;
    private final Protocol protocol;
    private final int blockSize;
    private final PortRange[] fixedRanges;
    private final int maxBlocks;
    private final int maxPorts;
    private final int minBlocks;
    private final long cooldownNanos;
    private final long idleNanos;
    private final long waitNanos;
    private final int maxBindAttempts;
    private final ScheduledExecutorService scheduler;
    private final LongSupplier clock;

    // State, guarded by lock.
    private final Object lock = new Object();
    private final PortTable table;
    private final boolean[] slotPending;
    private final ArrayDeque<Waiter> waiters = new ArrayDeque<>();
    private int liveWaiters;
    private int growing;
    private int pendingPorts;
    private long failures;
    private long exhaustions;
    private long timeouts;
    private long acquired;
    private long released;
    private boolean closed;
    private boolean serveTimerPending;
    private long serveTimerAt;
    private long growthRetryAt;
    private PortReservationException lastGrowthFailure;
    private final CompletableFuture<Void> termination = new CompletableFuture<>();

    ReservationPool(ReservationPoolBuilder b) {
        this.provider = b.provider;
        this.protocol = b.protocol;
        this.blockSize = b.blockSize;
        this.fixedRanges = b.fixedRanges;
        this.maxBlocks = b.maxBlocks;
        this.maxPorts = b.maxPorts;
        this.minBlocks = b.minBlocks;
        this.cooldownNanos = b.cooldownNanos;
        this.idleNanos = b.idleNanos;
        this.waitNanos = b.waitNanos;
        this.maxBindAttempts = b.maxBindAttempts;
        this.scheduler = b.scheduler != null ? b.scheduler : SharedScheduler.INSTANCE;
        this.clock = b.clock;
        int slots = fixedRanges != null ? fixedRanges.length : maxBlocks;
        this.table = new PortTable(this, slots);
        this.slotPending = new boolean[slots];
    }

    /** A builder of a pool of {@code protocol} ports reserved through {@code provider}. */
    public static ReservationPoolBuilder builder(PortReservationProvider provider, Protocol protocol) {
        return new ReservationPoolBuilder(provider, protocol);
    }

    /** Acquires the minimum blocks at build time; on failure releases what was acquired and throws. */
    void acquireMinimumBlocks() {
        try {
            for (int i = 0; i < minBlocks; i++) {
                int slot;
                synchronized (lock) {
                    slot = reserveGrowthSlotLocked(null, true);
                }
                if (slot < 0) {
                    throw new PortReservationException(Reason.EXHAUSTED, "could not acquire the " + minBlocks
                            + " minimum blocks of " + this + "; lower minBlocks(...) or raise maxPorts(...)");
                }
                grow(slot, false, true);
            }
        } catch (RuntimeException e) {
            closeForcibly();
            throw e;
        }
    }

    /** The protocol of the pool's ports. */
    public Protocol protocol() {
        return protocol;
    }

    /** Whether {@link #close()} or {@link #closeForcibly()} was called. */
    public boolean isClosed() {
        synchronized (lock) {
            return closed;
        }
    }

    /** Completes when the pool is closed and every block is released. */
    public CompletableFuture<Void> terminationFuture() {
        return termination.copy();
    }

    /** A consistent snapshot of the pool's gauges and counters. */
    public PoolStatistics statistics() {
        synchronized (lock) {
            return new PoolStatistics(table.capacity(), table.leased(), table.free(), table.quarantined(),
                    table.blockCount(), liveWaiters, table.granted(), failures, exhaustions, timeouts, acquired,
                    released);
        }
    }

    /** The ranges of the blocks the pool holds now, oldest slot first. */
    public List<PortRange> blockRanges() {
        synchronized (lock) {
            List<PortRange> ranges = new ArrayList<>(table.blockCount());
            for (PoolBlock b : table.blocks()) {
                ranges.add(b.range);
            }
            return ranges;
        }
    }

    // ------------------------------------------------------------------------------------------------------------
    // Leasing

    /**
     * Leases the next free port (the oldest returned of the oldest block), growing the pool by a block when all are
     * full. When the pool cannot grow: fails at once with EXHAUSTED, or, with {@code waitWhenExhausted(timeout)},
     * waits up to the timeout. It never blocks a Netty event loop thread: there it fails at once (EXHAUSTED) instead of
     * waiting; use {@link #leaseAsync()} there.
     *
     * @throws PortReservationException EXHAUSTED when no port is free and the pool may not grow (at its maximum),
     *         TIMEOUT (also when interrupted, with the interrupt status kept), CLOSED, or, when no port is free and
     *         growing by a block failed (now, or less than the growth backoff ago), the reason of that failure
     *         (RESOURCE_LIMIT, ACCESS_DENIED, IN_USE, UNSUPPORTED, SYSTEM_ERROR...) with the pool's state in the
     *         message and the provider's exception as the cause
     */
    public PortLease lease() {
        Boolean mustNotBlockOrNull = null; // looked up only when no port is ready (a FastThreadLocal lookup)
        boolean growthFailed = false;
        boolean reclaimed = false;
        for (;;) {
            Waiter waiter = null;
            int growSlot = -1;
            boolean mustNotBlock = false;
            ArrayList<Waiter> handoff = null;
            ArrayList<PortLease> abandoned = null;
            try {
                synchronized (lock) {
                    ensureOpenLocked();
                    if (liveWaiters > 0) {
                        handoff = serveLocked(null, true);
                    }
                    long now = clock.getAsLong();
                    PortLease lease = takeReadyLocked(now);
                    if (lease != null) {
                        return lease;
                    }
                    if (mustNotBlockOrNull == null) {
                        mustNotBlockOrNull = EventLoopThreads.currentThreadMustNotBlock();
                    }
                    mustNotBlock = mustNotBlockOrNull;
                    if (!growthFailed && (mustNotBlock || growing == 0)) {
                        growSlot = reserveGrowthSlotLocked(null, false);
                    }
                    if (growSlot < 0 && !reclaimed && growing == 0) {
                        abandoned = abandonedLeasesLocked();
                        reclaimed = true;
                    }
                    if (growSlot < 0 && abandoned == null) {
                        if (mustNotBlock || growing == 0 && waitNanos < 0) {
                            exhaustions++;
                            throw exhaustedLocked(now, mustNotBlock && waitNanos >= 0);
                        }
                        waiter = enqueueLocked(false, now);
                    }
                }
            } finally {
                deliver(handoff);
            }
            if (abandoned != null) {
                reclaim(abandoned);
                continue;
            }
            if (waiter == null) {
                try {
                    PortLease lease = grow(growSlot, true, false);
                    if (lease != null) {
                        return lease;
                    }
                } catch (PortReservationException e) {
                    if (mustNotBlock || waitNanos < 0) {
                        throw exhaustedAfterGrowthFailure(e);
                    }
                    growthFailed = true; // wait for a returned port instead
                }
                continue;
            }
            return await(waiter);
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
        for (boolean reclaimed = false;; reclaimed = true) {
            ArrayList<Waiter> handoff = null;
            ArrayList<PortLease> abandoned;
            try {
                synchronized (lock) {
                    if (closed) {
                        return CompletableFuture.failedFuture(closedException());
                    }
                    if (liveWaiters > 0) {
                        handoff = serveLocked(null, true);
                    }
                    long now = clock.getAsLong();
                    PortLease lease = takeReadyLocked(now);
                    if (lease != null) {
                        return CompletableFuture.completedFuture(lease);
                    }
                    int growSlot = growing == 0 ? reserveGrowthSlotLocked(null, false) : -1;
                    abandoned = growSlot < 0 && growing == 0 && !reclaimed ? abandonedLeasesLocked() : null;
                    if (abandoned == null) {
                        if (growSlot < 0 && growing == 0 && waitNanos < 0) {
                            exhaustions++;
                            return CompletableFuture.failedFuture(exhaustedLocked(now, false));
                        }
                        Waiter waiter = enqueueLocked(true, now);
                        if (growSlot >= 0) {
                            launchGrowthLocked(growSlot);
                        }
                        return waiter.future;
                    }
                }
            } finally {
                deliver(handoff);
            }
            reclaim(abandoned);
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
            throw PortReservationException.invalidArgument("port " + port, "must be in 1..65535",
                    "pass a port of one of the pool's blocks, or call lease() for any free port");
        }
        synchronized (lock) {
            ensureOpenLocked();
            PoolBlock b = table.blockOf(port);
            if (b == null) {
                throw new PortReservationException(Reason.OUTSIDE_RESERVATION, "port " + port
                        + " is not in any block of " + this + " (blocks held: " + table
                        + "); request port 0 for any free port, or one of the ports of these blocks");
            }
            int index = port - b.range.start();
            if (b.owners[index] != null) {
                throw new PortReservationException(Reason.IN_USE, "port " + port + " of " + this
                        + " is leased by " + b.owners[index] + "; wait until it is closed or request port 0");
            }
            if (!b.free.contains(index)) {
                throw new PortReservationException(Reason.IN_USE, "port " + port + " of " + this
                        + " is quarantined: a bind on it failed because another socket holds it; request port 0");
            }
            long coolFor = cooldownNanos - (clock.getAsLong() - b.returnedAt[index]);
            if (cooldownNanos > 0 && coolFor > 0) {
                throw new PortReservationException(Reason.IN_USE, "port " + port + " of " + this
                        + " was returned less than " + Duration.ofNanos(cooldownNanos) + " ago and cools down for "
                        + Duration.ofNanos(coolFor) + " more (its previous socket may still be closing); retry then, "
                        + "or request port 0");
            }
            return table.take(b, index);
        }
    }

    /**
     * Leases a port and binds {@code socket} to it: port 0 takes the next free port (as {@link #lease()}; when the
     * bind fails because another socket took that port, the port is quarantined and the next one is tried), another
     * port must be a free port of the pool (as {@link #lease(int)}).
     *
     * @return the lease, which is the socket's binding: close it after the socket to give the port back
     * @throws PortReservationException INVALID_ARGUMENT (wrong protocol, unresolved address), the errors of
     *         {@link #lease()} or {@link #lease(int)}, IN_USE after {@code maxBindAttempts} quarantined ports in a row,
     *         or the bind error; the socket is left unbound and no lease is kept
     */
    @Override
    public PortBinding bind(ReservableSocket socket, InetSocketAddress requested) {
        checkNotNull(socket, "socket");
        if (socket.protocol() != protocol) {
            throw PortReservationException.invalidArgument(socket.protocol() + " socket " + socket,
                    this + " leases " + protocol + " ports only",
                    "bind it from a pool built for " + socket.protocol());
        }
        if (requested != null && requested.getPort() != 0) {
            return bindOrReturn(lease(requested.getPort()), socket, requested);
        }
        PortReservationException last = null;
        for (int attempt = 0; attempt < maxBindAttempts; attempt++) {
            PortLease lease;
            try {
                lease = lease();
            } catch (PortReservationException e) {
                if (last != null) {
                    e.addSuppressed(last);
                }
                throw e;
            }
            try {
                return bindOrReturn(lease, socket, requested);
            } catch (PortReservationException e) {
                if (!lease.isQuarantined()) {
                    if (last != null) {
                        e.addSuppressed(last); // the port quarantined before this attempt
                    }
                    throw e;
                }
                last = e;
            }
        }
        throw new PortReservationException(Reason.IN_USE, maxBindAttempts + " ports of " + this
                + " in a row could not be bound because other sockets hold them (last: " + last.getMessage()
                + "); they are quarantined. Find the other process with 'ss -tulpn', or raise maxBindAttempts(...)",
                last);
    }

    private static PortBinding bindOrReturn(PortLease lease, ReservableSocket socket, InetSocketAddress requested) {
        try {
            return lease.bind(socket, requested);
        } catch (RuntimeException e) {
            lease.close();
            throw e;
        }
    }

    /** Whether a bind failure means another socket holds the port (not a fault of the caller's socket or address). */
    static boolean isPortFault(PortReservationException e) {
        return e.reason() == Reason.IN_USE || e.reason() == Reason.ACCESS_DENIED;
    }

    /**
     * Leases whose socket was closed but the lease never was (e.g. a Netty channel closed through
     * {@code Unsafe.closeForcibly()}, which completes no close future), seen so for at least
     * {@link #ABANDONED_GRACE_NANOS} (a lease is normally closed right after its socket, and the kernel may hold the
     * port a moment longer); null when none. O(capacity): only called when the pool is exhausted and cannot grow.
     */
    private ArrayList<PortLease> abandonedLeasesLocked() {
        return table.abandoned(clock.getAsLong(), ABANDONED_GRACE_NANOS);
    }

    private void reclaim(List<PortLease> abandoned) {
        logger.warn("{} takes back {} leased ports whose sockets were closed without closing their lease; close each "
                + "lease after its socket to give ports back at once", this, abandoned.size());
        for (PortLease lease : abandoned) {
            lease.reclaimed = true;
            lease.close();
        }
    }

    // ------------------------------------------------------------------------------------------------------------
    // Netty

    /**
     * Netty NIO TCP server channels that bind from this pool: each channel leases a port when it binds (port 0 = the
     * next free port, another port = that port of the pool) and gives it back when it closes. For Epoll, pass the
     * pool to {@link ReservedChannelFactories#epollServer(PortBinder)}. Binds run on the event loop, so they never
     * wait for a port: use {@link #leaseAsync()} and bind a channel from the {@link PortLease} to wait.
     *
     * @throws PortReservationException INVALID_ARGUMENT when this is not a TCP pool
     */
    public ChannelFactory<ServerSocketChannel> serverChannelFactory() {
        requireProtocol(Protocol.TCP, "serverChannelFactory()");
        return ReservedChannelFactories.nioServer(this);
    }

    /**
     * Netty NIO TCP client channels whose local (source) port is leased from this pool when they connect or bind, and
     * given back when they close. See {@link #serverChannelFactory()}.
     *
     * @throws PortReservationException INVALID_ARGUMENT when this is not a TCP pool
     */
    public ChannelFactory<SocketChannel> clientChannelFactory() {
        requireProtocol(Protocol.TCP, "clientChannelFactory()");
        return ReservedChannelFactories.nioClient(this);
    }

    /**
     * Netty NIO UDP channels that lease their port from this pool when they bind and give it back when they close.
     * See {@link #serverChannelFactory()}.
     *
     * @throws PortReservationException INVALID_ARGUMENT when this is not a UDP pool
     */
    public ChannelFactory<DatagramChannel> datagramChannelFactory() {
        requireProtocol(Protocol.UDP, "datagramChannelFactory()");
        return ReservedChannelFactories.nioDatagram(this);
    }

    private void requireProtocol(Protocol expected, String method) {
        if (protocol != expected) {
            throw PortReservationException.invalidArgument(method + " of " + this, "needs a " + expected
                    + " pool", "build the pool with ReservationPool.builder(provider, Protocol." + expected + ")");
        }
    }

    // ------------------------------------------------------------------------------------------------------------
    // Closing

    /**
     * Refuses new leases (waiting requests fail with CLOSED), releases the blocks without lease now and each other
     * block when its last lease comes back. Idempotent.
     */
    @Override
    public void close() {
        shutdown(false);
    }

    /**
     * Refuses new leases and releases every block at once. Leases still open become inactive; their sockets keep
     * their ports until they close, but the ports are no longer reserved. Idempotent.
     */
    public void closeForcibly() {
        shutdown(true);
    }

    private void shutdown(boolean force) {
        ArrayList<Waiter> failed = null;
        List<RuntimeReservation> toRelease = new ArrayList<>();
        boolean terminated;
        synchronized (lock) {
            if (!closed) {
                closed = true;
                failed = failAllWaitersLocked(closedException(), null);
            }
            for (PoolBlock b : table.blocks()) {
                if (force || b.leased == 0) {
                    removeBlockLocked(b);
                    toRelease.add(b.reservation);
                }
            }
            terminated = isTerminatedLocked();
        }
        deliver(failed);
        releaseAll(toRelease);
        if (terminated) {
            termination.complete(null);
        }
    }

    private boolean isTerminatedLocked() {
        return closed && table.blockCount() == 0 && growing == 0;
    }

    // ------------------------------------------------------------------------------------------------------------
    // Core, under the lock

    private void ensureOpenLocked() {
        if (closed) {
            throw closedException();
        }
    }

    private PortReservationException closedException() {
        return new PortReservationException(Reason.CLOSED, this + " is closed: it grants no new leases; build a new "
                + "pool");
    }

    /** The oldest returned, cooled-down port of the oldest block that has one; null when none or closed. */
    private PortLease takeReadyLocked(long now) {
        return closed ? null : table.takeReady(now, cooldownNanos);
    }

    /**
     * Gives a leased port back: to the back of its block's queue, or into quarantine. Releases the block when the pool
     * is closing and this was its last lease; hands ports to waiters. Called once per lease.
     */
    void returnPort(PortLease lease, boolean quarantine, boolean bindFailure) {
        PoolBlock b = lease.block;
        ArrayList<Waiter> handoff = null;
        RuntimeReservation toRelease = null;
        boolean terminated = false;
        try {
            synchronized (lock) {
                if (bindFailure) {
                    failures++;
                }
                if (!table.holds(lease)) {
                    return; // the pool was closed forcibly: the block is gone
                }
                long now = clock.getAsLong();
                // A reclaimed lease's socket closed at least ABANDONED_GRACE ago: its cooldown runs from then.
                table.giveBack(lease, quarantine, lease.reclaimed ? lease.abandonedSeenAt : now);
                if (b.leased == 0) {
                    if (closed || b.free.isEmpty()) {
                        // Closing, or every port of the block is quarantined: it is of no use any more.
                        removeBlockLocked(b);
                        toRelease = b.reservation;
                        terminated = isTerminatedLocked();
                    } else {
                        b.idleSince = now;
                        scheduleIdleCheckLocked(b);
                    }
                }
                if (liveWaiters > 0) {
                    handoff = serveLocked(null, true);
                }
            }
        } finally {
            deliver(handoff);
        }
        if (bindFailure) {
            logger.warn("Port {} of {} is quarantined until its block {} is released: another socket holds it",
                    lease.port(), this, b.range);
        }
        if (toRelease != null) {
            release(toRelease);
            if (terminated) {
                termination.complete(null);
            }
        }
    }

    /** Counts a bind failure that did not quarantine the port. */
    void countFailure() {
        synchronized (lock) {
            failures++;
        }
    }

    private Waiter enqueueLocked(boolean async, long now) {
        Waiter w = new Waiter();
        waiters.addLast(w);
        liveWaiters++;
        w.future.whenComplete((lease, error) -> {
            if (error != null) {
                withdraw(w);
            }
        });
        if (async && waitNanos >= 0) {
            w.timeout = schedule(() -> timeOut(w), waitNanos);
            if (w.timeout == null) {
                w.queued = false;
                liveWaiters--;
                w.failure = new PortReservationException(Reason.SYSTEM_ERROR, "the scheduler of " + this
                        + " rejected the wait's timeout (was it shut down?); pass a running scheduler");
                CompletableFuture.runAsync(w::deliver);
            }
        }
        scheduleServeTimerLocked(now);
        return w;
    }

    private void withdraw(Waiter w) {
        synchronized (lock) {
            if (w.queued) {
                w.queued = false;
                liveWaiters--;
                if (liveWaiters == 0) {
                    waiters.clear();
                }
            }
        }
    }

    private void timeOut(Waiter w) {
        if (withdrawTimedOut(w)) {
            w.future.completeExceptionally(timeoutException());
        }
    }

    /** Takes a waiter whose time ran out out of the queue; false when it was served or failed in the meantime. */
    private boolean withdrawTimedOut(Waiter w) {
        synchronized (lock) {
            if (!w.queued) {
                return false;
            }
            w.queued = false;
            liveWaiters--;
            timeouts++;
            if (liveWaiters == 0) {
                waiters.clear();
            }
            return true;
        }
    }

    private PortReservationException timeoutException() {
        PoolStatistics s = statistics();
        PortReservationException cause;
        int growingNow;
        synchronized (lock) {
            cause = lastGrowthFailure;
            growingNow = growing;
        }
        return new PortReservationException(Reason.TIMEOUT, "no port of " + this + " became free within "
                + Duration.ofNanos(waitNanos) + " (" + s.leased() + " of " + s.capacity() + " ports leased in "
                + s.blocks() + " of at most " + maxBlocks + " blocks, " + growingNow + " being acquired, "
                + s.quarantined() + " quarantined, " + s.waiters() + " waiting)"
                + "; close leases sooner, raise maxBlocks(...)/maxPorts(...), or wait longer", cause);
    }

    private PortLease await(Waiter w) {
        try {
            return waitNanos >= 0 ? w.future.get(waitNanos, TimeUnit.NANOSECONDS) : w.future.get();
        } catch (TimeoutException e) {
            if (withdrawTimedOut(w)) {
                PortReservationException timeout = timeoutException();
                w.future.completeExceptionally(timeout);
                throw timeout;
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            PortReservationException interrupted = new PortReservationException(Reason.TIMEOUT, "interrupted while "
                    + "waiting for a port of " + this + " (the interrupt status is kept); retry when appropriate", e);
            if (w.future.completeExceptionally(interrupted)) {
                throw interrupted;
            }
        } catch (ExecutionException e) {
            throw (PortReservationException) e.getCause();
        }
        // Decided concurrently (served, or failed): the deciding thread completes the future right after its lock.
        try {
            return w.future.join();
        } catch (java.util.concurrent.CompletionException e) {
            throw (PortReservationException) e.getCause();
        }
    }

    /**
     * Hands ready ports to waiters in arrival order. With waiters left: starts a growth on the scheduler (when
     * {@code mayGrow}), fails them under the fail policy when nothing more can come, or arms the cooldown timer.
     */
    private ArrayList<Waiter> serveLocked(ArrayList<Waiter> out, boolean mayGrow) {
        long now = clock.getAsLong();
        while (liveWaiters > 0) {
            Waiter w = waiters.peekFirst();
            if (!w.queued) {
                waiters.pollFirst();
                continue;
            }
            PortLease lease = takeReadyLocked(now);
            if (lease == null) {
                break;
            }
            waiters.pollFirst();
            w.queued = false;
            liveWaiters--;
            w.lease = lease;
            out = add(out, w);
        }
        if (liveWaiters == 0) {
            waiters.clear();
            return out;
        }
        if (growing > 0) {
            return out; // the growth under way serves them when it ends
        }
        int slot = mayGrow ? reserveGrowthSlotLocked(null, false) : -1;
        if (slot >= 0) {
            launchGrowthLocked(slot);
        } else if (waitNanos < 0) {
            exhaustions += liveWaiters;
            out = failAllWaitersLocked(exhaustedLocked(now, false), out);
        } else {
            scheduleServeTimerLocked(now);
        }
        return out;
    }

    private ArrayList<Waiter> failAllWaitersLocked(PortReservationException failure, ArrayList<Waiter> out) {
        for (Waiter w : waiters) {
            if (w.queued) {
                w.queued = false;
                w.failure = failure;
                out = add(out, w);
            }
        }
        waiters.clear();
        liveWaiters = 0;
        return out;
    }

    private static ArrayList<Waiter> add(ArrayList<Waiter> list, Waiter w) {
        ArrayList<Waiter> out = list != null ? list : new ArrayList<>(4);
        out.add(w);
        return out;
    }

    private static void deliver(ArrayList<Waiter> handoff) {
        if (handoff != null) {
            for (Waiter w : handoff) {
                w.deliver();
            }
        }
    }

    /**
     * Wakes the waiters when the first cooling port becomes ready, or when growth may be tried again after a failed
     * block acquisition.
     */
    private void scheduleServeTimerLocked(long now) {
        if (liveWaiters == 0) {
            return;
        }
        long earliest = cooldownNanos > 0 ? table.earliestReady(cooldownNanos) : NEVER;
        if (lastGrowthFailure != null && !closed && table.blockCount() + growing < maxBlocks) {
            earliest = Math.min(earliest, growthRetryAt);
        }
        if (earliest == NEVER || serveTimerPending && serveTimerAt <= earliest) {
            return;
        }
        serveTimerPending = true;
        serveTimerAt = earliest;
        schedule(this::serveTimer, Math.max(0, earliest - now));
    }

    private void serveTimer() {
        ArrayList<Waiter> handoff;
        synchronized (lock) {
            serveTimerPending = false;
            handoff = serveLocked(null, true);
        }
        deliver(handoff);
    }

    /**
     * EXHAUSTED with the pool's state, or, when only the backoff after a failed growth keeps the pool from growing,
     * that failure's reason; {@code waitRefused}: the wait policy applied but this thread must not block.
     */
    private PortReservationException exhaustedLocked(long now, boolean waitRefused) {
        int cooling = cooldownNanos > 0 ? table.free() : 0;
        boolean growthFailed = growing == 0 && now < growthRetryAt && lastGrowthFailure != null;
        StringBuilder sb = new StringBuilder("no free port in ").append(this).append(": ").append(table.leased())
                .append(" of ").append(table.capacity()).append(" ports leased in ").append(table.blockCount())
                .append(" of at most ").append(maxBlocks).append(" blocks");
        if (table.quarantined() > 0) {
            sb.append(", ").append(table.quarantined()).append(" quarantined");
        }
        if (cooling > 0) {
            sb.append(", ").append(cooling).append(" cooling down");
        }
        if (growing > 0) {
            sb.append(", a block being acquired");
        } else if (growthFailed) {
            sb.append(", and growing by a block failed less than ")
                    .append(TimeUnit.NANOSECONDS.toMillis(GROWTH_BACKOFF_NANOS)).append(" ms ago, so the pool tries "
                    + "again in ").append(Math.max(1, TimeUnit.NANOSECONDS.toMillis(growthRetryAt - now)))
                    .append(" ms (").append(lastGrowthFailure.getMessage()).append(')');
        }
        if (waitRefused) {
            sb.append("; waiting refused: ").append(Thread.currentThread().getName()).append(" is a Netty event loop "
                    + "thread, which must never block. Use leaseAsync() there, or bind from another thread");
        } else if (growthFailed) {
            sb.append("; remove the cause of the growth failure, close leases sooner, or use "
                    + "waitWhenExhausted(timeout) to wait for the next attempt");
        } else {
            sb.append("; close leases sooner, raise maxBlocks(...)/maxPorts(...), or use waitWhenExhausted(timeout)");
        }
        return new PortReservationException(growthFailed ? lastGrowthFailure.reason() : Reason.EXHAUSTED,
                sb.toString(), lastGrowthFailure);
    }

    /**
     * The failure of a lease that needed a new block which could not be acquired: the growth failure's reason at the
     * top (RESOURCE_LIMIT, ACCESS_DENIED...: EXHAUSTED would hide it), the pool's state and that failure's message.
     */
    private PortReservationException exhaustedAfterGrowthFailure(PortReservationException cause) {
        if (cause.reason() == Reason.CLOSED) {
            return cause; // the pool was closed while growing
        }
        String state;
        synchronized (lock) {
            exhaustions++;
            state = table.leased() + " of " + table.capacity() + " ports leased in " + table.blockCount()
                    + " of at most " + maxBlocks + " blocks" + (table.quarantined() > 0 ? ", " + table.quarantined()
                    + " quarantined" : "");
        }
        return new PortReservationException(cause.reason(), "no free port in " + this + " (" + state + ") and "
                + "growing it by a block failed: " + cause.getMessage() + "; remove that cause (the pool tries to grow "
                + "again after " + TimeUnit.NANOSECONDS.toMillis(GROWTH_BACKOFF_NANOS) + " ms), or close leases "
                + "sooner", cause);
    }

    // ------------------------------------------------------------------------------------------------------------
    // Growing and shrinking

    private int sizeOfSlot(int slot) {
        return fixedRanges != null ? fixedRanges[slot].count() : blockSize;
    }

    /**
     * Reserves the slot of the next block to acquire, or returns -1 when the pool cannot grow (closed, at its maximum,
     * or backing off after a failed acquisition unless {@code ignoreBackoff}). {@code tried} skips fixed ranges that
     * already failed in this round.
     */
    private int reserveGrowthSlotLocked(boolean[] tried, boolean ignoreBackoff) {
        if (closed || table.blockCount() + growing >= maxBlocks) {
            return -1;
        }
        if (!ignoreBackoff && lastGrowthFailure != null && clock.getAsLong() - growthRetryAt < 0) {
            return -1;
        }
        for (int slot = 0; slot < table.slots(); slot++) {
            if (table.block(slot) != null || slotPending[slot] || tried != null && tried[slot]) {
                continue;
            }
            int size = sizeOfSlot(slot);
            if ((long) table.heldPorts() + pendingPorts + size > maxPorts) {
                if (fixedRanges == null) {
                    return -1;
                }
                continue;
            }
            slotPending[slot] = true;
            growing++;
            pendingPorts += size;
            return slot;
        }
        return -1;
    }

    private void endGrowthLocked(int slot) {
        slotPending[slot] = false;
        growing--;
        pendingPorts -= sizeOfSlot(slot);
    }

    private void launchGrowthLocked(int slot) {
        try {
            scheduler.execute(() -> {
                try {
                    grow(slot, false, false);
                } catch (RuntimeException e) {
                    logger.debug("Growing {} failed", this, e);
                }
            });
        } catch (RejectedExecutionException e) {
            endGrowthLocked(slot);
            lastGrowthFailure = new PortReservationException(Reason.SYSTEM_ERROR, "the scheduler of " + this
                    + " rejected the growth task (was it shut down?); pass a running scheduler", e);
            growthRetryAt = clock.getAsLong() + GROWTH_BACKOFF_NANOS;
        }
    }

    /**
     * Acquires the block of {@code slot} (outside the lock) and adds it; fixed ranges that are taken are skipped for
     * the next ones. Then serves the waiters. Returns a lease of the new block for the caller when {@code forCaller}.
     *
     * @throws PortReservationException the acquisition error when no block could be acquired (or CLOSED)
     */
    private PortLease grow(int slot, boolean forCaller, boolean ignoreBackoff) {
        boolean[] tried = null;
        for (;;) {
            long started = clock.getAsLong();
            RuntimeReservation reservation = null;
            PortReservationException failure = null;
            try {
                reservation = fixedRanges != null ? provider.acquire(protocol, fixedRanges[slot])
                        : provider.acquire(protocol, blockSize);
                failure = checkAcquired(reservation, slot);
            } catch (PortReservationException e) {
                failure = e;
            } catch (RuntimeException e) {
                failure = new PortReservationException(Reason.SYSTEM_ERROR, "provider " + provider.name()
                        + " failed to acquire a block for " + this + ": " + e, e);
            }
            PoolBlock block = failure == null ? new PoolBlock(slot, reservation, started - cooldownNanos) : null;
            PortLease mine = null;
            ArrayList<Waiter> handoff = null;
            RuntimeReservation discard = failure != null ? reservation : null;
            int next = -1;
            boolean terminated = false;
            try {
                synchronized (lock) {
                    endGrowthLocked(slot);
                    if (block != null && (closed || table.overlaps(block.range))) {
                        discard = reservation;
                        failure = closed ? closedException() : new PortReservationException(Reason.SYSTEM_ERROR,
                                "provider " + provider.name() + " returned block " + block.range
                                        + " which overlaps a block the pool already holds; this is a provider bug");
                        block = null;
                    }
                    if (block != null) {
                        addBlockLocked(block, clock.getAsLong());
                        if (forCaller) {
                            mine = table.take(block, block.free.peekFirst());
                        }
                    } else if (!closed) {
                        failures++;
                        if (fixedRanges != null) {
                            tried = tried != null ? tried : new boolean[fixedRanges.length];
                            tried[slot] = true;
                            next = reserveGrowthSlotLocked(tried, true);
                        }
                        if (next < 0) {
                            lastGrowthFailure = failure;
                            growthRetryAt = clock.getAsLong() + GROWTH_BACKOFF_NANOS;
                        }
                    }
                    if (next < 0) {
                        if (liveWaiters > 0) {
                            handoff = serveLocked(null, block != null);
                        }
                        terminated = isTerminatedLocked();
                    }
                }
            } finally {
                deliver(handoff);
            }
            if (discard != null) {
                release(discard);
            }
            if (terminated) {
                termination.complete(null);
            }
            if (next >= 0) {
                slot = next;
                continue;
            }
            if (failure != null) {
                logger.debug("{} could not grow", this, failure);
                throw failure;
            }
            logger.debug("{} acquired block {}", this, reservation.range());
            return mine;
        }
    }

    private PortReservationException checkAcquired(RuntimeReservation r, int slot) {
        if (r == null) {
            return new PortReservationException(Reason.SYSTEM_ERROR, "provider " + provider.name()
                    + " returned no reservation; this is a provider bug");
        }
        PortRange expected = fixedRanges != null ? fixedRanges[slot] : null;
        if (r.protocol() != protocol || (expected != null ? !expected.equals(r.range())
                : r.range().count() != blockSize)) {
            return new PortReservationException(Reason.SYSTEM_ERROR, "provider " + provider.name() + " returned "
                    + r + " for a request of " + protocol + " " + (expected != null ? expected : blockSize + " ports")
                    + "; this is a provider bug");
        }
        return null;
    }

    private void addBlockLocked(PoolBlock b, long now) {
        table.add(b);
        acquired++;
        lastGrowthFailure = null;
        b.idleSince = now;
        scheduleIdleCheckLocked(b);
    }

    private void removeBlockLocked(PoolBlock b) {
        table.remove(b);
        released++;
    }

    private void scheduleIdleCheckLocked(PoolBlock b) {
        if (idleNanos == NEVER || b.idleCheckPending) {
            return;
        }
        b.idleCheckPending = schedule(() -> idleCheck(b), idleNanos) != null;
    }

    private void idleCheck(PoolBlock b) {
        RuntimeReservation toRelease = null;
        ArrayList<Waiter> handoff = null;
        try {
            synchronized (lock) {
                b.idleCheckPending = false;
                if (b.removed || closed || b.leased > 0) {
                    return;
                }
                long idleFor = clock.getAsLong() - b.idleSince;
                if (idleFor < idleNanos) {
                    b.idleCheckPending = schedule(() -> idleCheck(b), idleNanos - idleFor) != null;
                } else if (table.blockCount() > minBlocks) {
                    removeBlockLocked(b);
                    toRelease = b.reservation;
                    if (liveWaiters > 0) {
                        handoff = serveLocked(null, true); // room to grow again
                    }
                }
            }
        } finally {
            deliver(handoff);
        }
        if (toRelease != null) {
            logger.debug("{} released idle block {}", this, toRelease.range());
            release(toRelease);
        }
    }

    private ScheduledFuture<?> schedule(Runnable task, long delayNanos) {
        try {
            return scheduler.schedule(task, delayNanos, TimeUnit.NANOSECONDS);
        } catch (RejectedExecutionException e) {
            logger.warn("The scheduler of {} rejected a task; idle blocks, timeouts or cooldown wake-ups are not "
                    + "handled until it runs again", this, e);
            return null;
        }
    }

    private static void release(RuntimeReservation reservation) {
        try {
            reservation.close();
        } catch (RuntimeException e) {
            logger.warn("Releasing {} failed", reservation, e);
        }
    }

    private static void releaseAll(List<RuntimeReservation> reservations) {
        for (RuntimeReservation r : reservations) {
            release(r);
        }
    }

    @Override
    public String toString() {
        return "ReservationPool[" + protocol + ", " + (fixedRanges != null ? "fixed ranges "
                + Arrays.toString(fixedRanges) : "blocks of " + blockSize) + " from " + provider.name() + "]";
    }

    /** The default scheduler: one daemon thread shared by all pools, for timeouts, idle checks and growth. */
    private static final class SharedScheduler {
        static final ScheduledExecutorService INSTANCE = create();

        private static ScheduledExecutorService create() {
            ScheduledThreadPoolExecutor executor = new ScheduledThreadPoolExecutor(1, task -> {
                Thread t = new Thread(task, "port-reservation-pool");
                t.setDaemon(true);
                return t;
            });
            executor.setRemoveOnCancelPolicy(true);
            return executor;
        }
    }
}
