package io.github.portreservation.pool;

import io.github.portreservation.testing.Await;
import io.github.portreservation.PortRange;
import io.github.portreservation.PortReservationException;
import io.github.portreservation.PortReservationException.Reason;
import io.github.portreservation.Protocol;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The pool's policies against the test-only provider (no sockets): growth, packing, waits, close paths, faults. */
class ReservationPoolBehaviourTest {
    private final FakeProvider provider = new FakeProvider(30000);

    private ReservationPoolBuilder builder() {
        return ReservationPool.builder(provider, Protocol.TCP).blockSize(4).maxBlocks(2).keepIdleBlocks()
                .cooldown(Duration.ZERO);
    }

    private static PortReservationException expect(Reason reason, Executable call) {
        PortReservationException e = assertThrows(PortReservationException.class, call);
        assertEquals(reason, e.reason(), e.getMessage());
        return e;
    }

    @Test
    void growsByBlocksUpToTheMaximumAndPacksLeasesIntoTheOldestBlock() {
        ReservationPool pool = builder().build();
        assertEquals(0, pool.statistics().blocks());
        List<PortLease> leases = new ArrayList<>();
        for (int i = 0; i < 8; i++) {
            leases.add(pool.lease());
        }
        assertEquals(List.of(PortRange.of(30000, 4), PortRange.of(30004, 4)), pool.blockRanges());
        PortReservationException e = expect(Reason.EXHAUSTED, pool::lease);
        assertTrue(e.getMessage().contains("8 of 8 ports leased in 2 of at most 2 blocks"), e.getMessage());
        // Returned ports go to the back; the oldest block is preferred.
        leases.get(6).close();
        leases.get(1).close();
        leases.get(2).close();
        assertEquals(30001, pool.lease().port());
        assertEquals(30002, pool.lease().port());
        assertEquals(30006, pool.lease().port());
        PoolStatistics s = pool.statistics();
        assertEquals(8, s.capacity());
        assertEquals(8, s.leased());
        assertEquals(11, s.leasesGranted());
        assertEquals(1, s.exhaustions());
        assertEquals(2, s.blocksAcquired());
        pool.closeForcibly();
    }

    @Test
    void explicitPortsAreLeasedOnlyWhenFreeInThePool() {
        ReservationPool pool = builder().minBlocks(1).build();
        PortLease lease = pool.lease(30002);
        assertEquals(30002, lease.port());
        assertTrue(expect(Reason.IN_USE, () -> pool.lease(30002)).getMessage().contains("is leased by"));
        assertTrue(expect(Reason.OUTSIDE_RESERVATION, () -> pool.lease(30010)).getMessage().contains("30000-30003"));
        expect(Reason.INVALID_ARGUMENT, () -> pool.lease(0));
        expect(Reason.INVALID_ARGUMENT, () -> pool.lease(70000));
        FakeSocket socket = new FakeSocket(Protocol.TCP);
        expect(Reason.IN_USE, () -> pool.bind(socket, new java.net.InetSocketAddress(30002)));
        lease.close();
        assertEquals(30002, ((PortLease) pool.bind(socket, new java.net.InetSocketAddress(30002))).port());
        assertEquals(1, pool.statistics().leased());
        pool.closeForcibly();
    }

    @Test
    void anExplicitRequestForALeasedPortNamesItsLeaseWhenBound() {
        ReservationPool pool = builder().minBlocks(1).build();
        PortLease unbound = pool.lease(30001);
        assertEquals("IN_USE: port 30001 of ReservationPool[TCP, blocks of 4 from fake] is leased by a lease not "
                + "bound to a socket; wait until it is closed or request port 0",
                expect(Reason.IN_USE, () -> pool.lease(30001)).getMessage());
        FakeSocket socket = new FakeSocket(Protocol.TCP);
        unbound.bind(socket, null);
        assertEquals("IN_USE: port 30001 of ReservationPool[TCP, blocks of 4 from fake] is leased by PortLease[30001 "
                + "of 30000-30003, bound to FakeSocket[30001]]; wait until it is closed or request port 0",
                expect(Reason.IN_USE, () -> pool.lease(30001)).getMessage());
        socket.open = false;
        unbound.close();
        assertEquals(30001, pool.lease(30001).port());
        pool.closeForcibly();
    }

    @Test
    void aPortWhoseBindFailsIsQuarantinedAndTheNextOneIsTried() {
        ReservationPool pool = builder().maxBlocks(1).maxBindAttempts(3).build();
        provider.failingPorts.add(30000);
        provider.failingPorts.add(30001);
        FakeSocket socket = new FakeSocket(Protocol.TCP);
        PortLease lease = (PortLease) pool.bind(socket, null);
        assertEquals(30002, lease.port());
        PoolStatistics s = pool.statistics();
        assertEquals(2, s.quarantined());
        assertEquals(2, s.failures());
        assertEquals(2, s.capacity());
        assertTrue(expect(Reason.IN_USE, () -> pool.lease(30000)).getMessage().contains("quarantined"));
        // A failure of the caller's own making (wrong protocol) changes nothing.
        expect(Reason.INVALID_ARGUMENT, () -> pool.bind(new FakeSocket(Protocol.UDP), null));
        assertEquals(1, pool.statistics().leased());
        // All remaining ports failing: gives up after maxBindAttempts, nothing leaked.
        provider.failingPorts.add(30003);
        PortReservationException e = expect(Reason.EXHAUSTED, () -> pool.bind(new FakeSocket(Protocol.TCP), null));
        assertEquals(3, pool.statistics().quarantined());
        assertEquals(1, e.getSuppressed().length);
        socket.open = false;
        lease.close();
        assertEquals(0, pool.statistics().leased());
        assertEquals(1, pool.statistics().free());
        pool.closeForcibly();
    }

    @Test
    void bindGivesUpAfterMaxBindAttemptsInARow() {
        ReservationPool pool = builder().maxBlocks(1).maxBindAttempts(2).build();
        provider.failingPorts.add(30000);
        provider.failingPorts.add(30001);
        PortReservationException e = expect(Reason.IN_USE, () -> pool.bind(new FakeSocket(Protocol.TCP), null));
        assertTrue(e.getMessage().contains("2 ports"), e.getMessage());
        assertEquals(2, pool.statistics().quarantined());
        assertEquals(0, pool.statistics().leased());
        pool.closeForcibly();
    }

    @Test
    void aLeaseClosedBeforeItsSocketKeepsThePortUntilTheSocketIsGone() {
        ReservationPool pool = builder().build();
        FakeSocket socket = new FakeSocket(Protocol.TCP);
        PortLease lease = (PortLease) pool.bind(socket, null);
        lease.close();
        assertFalse(lease.isQuarantined());
        assertFalse(lease.isActive());
        assertEquals(1, pool.statistics().leased(), "the socket still exists: the port is still held");
        assertEquals(0, pool.statistics().quarantined());
        socket.open = false;
        assertEquals(0, pool.statistics().leased(), "the socket is gone: the port is back");
        assertEquals(4, pool.statistics().free());
        pool.closeForcibly();
    }

    @Test
    void aLeaseBindsOnItsOwnPortOnlyAndASecondSocketOnlyWhereItsReservationAllows() {
        ReservationPool pool = builder().build();
        PortLease lease = pool.lease();
        PortReservationException other = expect(Reason.OUTSIDE_RESERVATION, () -> lease.bind(
                new FakeSocket(Protocol.TCP), new java.net.InetSocketAddress(lease.port() + 1)));
        assertTrue(other.getMessage().contains("port " + (lease.port() + 1) + " is outside port " + lease.port()
                + " leased from the pool's block"), other.getMessage());
        assertEquals(lease, lease.bind(new FakeSocket(Protocol.TCP), null));
        int port = lease.port();
        // The fake reservation binds one socket per port: it refuses the second, and nothing changes.
        assertEquals("IN_USE: the lease of port " + port + " cannot carry FakeSocket[0] on 0.0.0.0 beside its socket "
                + "FakeSocket[" + port + "]; its reservation refused it: IN_USE: fake: port " + port + " bound twice",
                expect(Reason.IN_USE, () -> lease.bind(new FakeSocket(Protocol.TCP), null)).getMessage());
        assertEquals(1, pool.statistics().leased());
        assertEquals(0, pool.statistics().failures());
        assertTrue(lease.isActive());
        pool.closeForcibly();
        assertFalse(lease.isActive());
        lease.close(); // no effect after a forced close
        assertEquals(0, pool.statistics().capacity());
    }

    @Test
    void failPolicyWaitsOnlyForABlockUnderWayAndGrowthFailuresAreReported() {
        ReservationPool pool = builder().maxBlocks(1).build();
        provider.failAcquires = 1;
        // The growth failure's reason at the top (the fake provider's block is taken), not EXHAUSTED.
        PortReservationException e = expect(Reason.IN_USE, pool::lease);
        assertTrue(e.getMessage().contains("growing it by a block failed: IN_USE: fake: block"), e.getMessage());
        assertInstanceOf(PortReservationException.class, e.getCause());
        assertEquals(1, pool.statistics().failures());
        // Backing off: the provider is not asked again at once.
        int calls = provider.acquireCalls.get();
        expect(Reason.IN_USE, pool::lease);
        assertEquals(calls, provider.acquireCalls.get());
        pool.closeForcibly();
    }

    @Test
    void waitersRetryGrowthWhenTheBackoffAfterAFailedAcquisitionEnds() throws Exception {
        ReservationPool pool = builder().maxBlocks(1).waitWhenExhausted(Duration.ofSeconds(10)).build();
        provider.failAcquires = 1;
        long start = System.nanoTime();
        PortLease lease = pool.leaseAsync().get(10, TimeUnit.SECONDS);
        assertTrue(System.nanoTime() - start >= TimeUnit.MILLISECONDS.toNanos(400), "retried before the backoff");
        assertTrue(pool.blockRanges().get(0).contains(lease.port()));
        assertEquals(1, pool.statistics().failures());
        assertEquals(2, provider.acquireCalls.get());
        pool.closeForcibly();
    }

    @Test
    void aBlockWhoseEveryPortIsQuarantinedIsReplaced() {
        ReservationPool pool = builder().blockSize(2).maxBlocks(1).build();
        provider.failingPorts.add(30000);
        provider.failingPorts.add(30001);
        PortLease lease = (PortLease) pool.bind(new FakeSocket(Protocol.TCP), null);
        assertEquals(30002, lease.port());
        assertEquals(List.of(PortRange.of(30002, 2)), pool.blockRanges());
        PoolStatistics s = pool.statistics();
        assertEquals(0, s.quarantined());
        assertEquals(2, s.failures());
        assertEquals(1, s.blocksReleased());
        assertEquals(1, provider.openReservations.get());
        pool.closeForcibly();
    }

    @Test
    void fixedRangesAreAcquiredInOrderSkippingTakenOnes() {
        PortRange a = PortRange.parse("31000-31001");
        PortRange b = PortRange.parse("31100-31102");
        ReservationPool pool = ReservationPool.builder(provider, Protocol.UDP).fixedRanges(a, b).keepIdleBlocks()
                .cooldown(Duration.ZERO).build();
        provider.failAcquires = 1;
        assertEquals(31100, pool.lease().port());
        assertEquals(List.of(b), pool.blockRanges());
        assertEquals(31101, pool.lease().port()); // no growth while a block has a free port
        assertEquals(31102, pool.lease().port());
        PortLease fromA = pool.lease(); // a is free again: acquired, and preferred from now on
        assertEquals(31000, fromA.port());
        assertEquals(List.of(a, b), pool.blockRanges());
        fromA.close();
        assertEquals(31001, pool.lease().port());
        pool.closeForcibly();
    }

    @Test
    void blockingLeaseWaitsForAReturnedPortOrTimesOut() throws Exception {
        ReservationPool pool = builder().maxBlocks(1).waitWhenExhausted(Duration.ofSeconds(5)).build();
        List<PortLease> all = new ArrayList<>();
        for (int i = 0; i < 4; i++) {
            all.add(pool.lease());
        }
        CompletableFuture<PortLease> waiting = CompletableFuture.supplyAsync(pool::lease);
        Await.assertEventually(1, () -> pool.statistics().waiters(), "pool.statistics().waiters()");
        all.get(2).close();
        assertEquals(all.get(2).port(), waiting.get(5, TimeUnit.SECONDS).port());
        pool.closeForcibly();

        ReservationPool quick = builder().maxBlocks(1).waitWhenExhausted(Duration.ofMillis(50)).build();
        for (int i = 0; i < 4; i++) {
            quick.lease();
        }
        long start = System.nanoTime();
        expect(Reason.TIMEOUT, quick::lease);
        assertTrue(System.nanoTime() - start >= TimeUnit.MILLISECONDS.toNanos(50));
        assertEquals(1, quick.statistics().timeouts());
        assertEquals(0, quick.statistics().waiters());
        quick.closeForcibly();
    }

    @Test
    void asyncLeaseCompletesOnReturnTimesOutAndCanBeCancelled() throws Exception {
        ReservationPool pool = builder().maxBlocks(1).waitWhenExhausted(Duration.ofMillis(200)).build();
        List<PortLease> all = new ArrayList<>();
        for (int i = 0; i < 4; i++) {
            all.add(pool.leaseAsync().get());
        }
        CompletableFuture<PortLease> first = pool.leaseAsync();
        CompletableFuture<PortLease> cancelled = pool.leaseAsync();
        CompletableFuture<PortLease> third = pool.leaseAsync();
        assertEquals(3, pool.statistics().waiters());
        cancelled.cancel(false);
        assertEquals(2, pool.statistics().waiters());
        all.get(0).close();
        assertEquals(all.get(0).port(), first.get(1, TimeUnit.SECONDS).port());
        ExecutionException e = assertThrows(ExecutionException.class, () -> third.get(2, TimeUnit.SECONDS));
        assertEquals(Reason.TIMEOUT, ((PortReservationException) e.getCause()).reason());
        assertEquals(0, pool.statistics().waiters());
        assertEquals(4, pool.statistics().leased());
        pool.closeForcibly();
    }

    @Test
    void asyncLeaseGrowsThePoolOffTheCallingThread() throws Exception {
        ReservationPool pool = builder().build();
        PortLease lease = pool.leaseAsync().get(5, TimeUnit.SECONDS);
        assertEquals(30000, lease.port());
        assertEquals(1, pool.statistics().blocks());
        pool.closeForcibly();
    }

    @Test
    void aBlockingLeaseNeverWaitsOnAThreadThePolicyCallsNonBlocking() throws Exception {
        ReservationPool pool = builder().maxBlocks(1).waitWhenExhausted(Duration.ofSeconds(30))
                .nonBlockingThreads(thread -> thread.getName().startsWith("loop-")).build();
        for (int i = 0; i < 4; i++) {
            pool.lease();
        }
        AtomicReference<Throwable> failure = new AtomicReference<>();
        CompletableFuture<PortLease> async = new CompletableFuture<>();
        Thread loop = new Thread(() -> {
            try {
                pool.lease();
            } catch (Throwable t) {
                failure.set(t);
            }
            pool.leaseAsync().whenComplete((l, t) -> async.complete(l));
        }, "loop-1");
        long start = System.nanoTime();
        loop.start();
        loop.join(5_000);
        assertFalse(loop.isAlive());
        assertTrue(System.nanoTime() - start < TimeUnit.SECONDS.toNanos(5));
        PortReservationException e = (PortReservationException) failure.get();
        assertEquals(Reason.EXHAUSTED, e.reason());
        assertTrue(e.getMessage().contains("waiting refused: thread loop-1 must never block"), e.getMessage());
        assertFalse(async.isDone());
        assertEquals(1, pool.statistics().waiters());
        assertEquals(1, pool.statistics().exhaustions());
        // The same pool waits on a thread the policy does not name.
        CompletableFuture<PortLease> waiting = CompletableFuture.supplyAsync(pool::lease);
        Await.assertEventually(2, () -> pool.statistics().waiters(), "pool.statistics().waiters()");
        pool.closeForcibly();
        ExecutionException closed = assertThrows(ExecutionException.class, () -> waiting.get(5, TimeUnit.SECONDS));
        assertEquals(Reason.CLOSED, ((PortReservationException) closed.getCause()).reason());
    }

    @Test
    void aBindOnANonBlockingThreadGrowsThereButNeverWaits() throws Exception {
        ReservationPool pool = builder().maxBlocks(1).waitWhenExhausted(Duration.ofSeconds(30))
                .nonBlockingThreads(thread -> true).build();
        PortLease first = (PortLease) pool.bind(new FakeSocket(Protocol.TCP), null); // grows on this thread
        assertEquals(30000, first.port());
        assertEquals(1, pool.statistics().blocksAcquired());
        for (int i = 0; i < 3; i++) {
            pool.bind(new FakeSocket(Protocol.TCP), null);
        }
        long start = System.nanoTime();
        PortReservationException e = expect(Reason.EXHAUSTED, () -> pool.bind(new FakeSocket(Protocol.TCP), null));
        assertTrue(System.nanoTime() - start < TimeUnit.SECONDS.toNanos(5));
        assertTrue(e.getMessage().contains("4 of 4 ports leased in 1 of at most 1 blocks; waiting refused"),
                e.getMessage());
        assertEquals(0, pool.statistics().waiters());
        pool.closeForcibly();
    }

    @Test
    void aGrowthThatFailsForAResourceLimitFailsTheLeaseWithThatReason() {
        ReservationPool pool = builder().maxBlocks(1).build();
        provider.failAcquires = 1;
        provider.failReason = Reason.RESOURCE_LIMIT;
        PortReservationException e = expect(Reason.RESOURCE_LIMIT, pool::lease);
        assertTrue(e.getMessage().contains("no free port in ReservationPool[TCP, blocks of 4 from fake] (0 of 0 ports "
                + "leased in 0 of at most 1 blocks) and growing it by a block failed: RESOURCE_LIMIT: fake: block "
                + "30000-30003 failed with RESOURCE_LIMIT"), e.getMessage());
        assertEquals(Reason.RESOURCE_LIMIT, ((PortReservationException) e.getCause()).reason());
        // While the pool backs off after that failure, the next request says the same reason.
        PortReservationException backingOff = expect(Reason.RESOURCE_LIMIT, pool::lease);
        assertTrue(backingOff.getMessage().contains("growing by a block failed less than 500 ms ago, so the pool "
                + "tries again in"), backingOff.getMessage());
        assertTrue(backingOff.getMessage().contains("(RESOURCE_LIMIT: fake: block 30000-30003 failed with "
                + "RESOURCE_LIMIT)"), backingOff.getMessage());
        assertEquals(2, pool.statistics().exhaustions());
        assertEquals(1, pool.statistics().failures());
        pool.closeForcibly();
    }

    @Test
    void oneBuilderBuildsTwoWorkingPoolsAfterFixedRanges() {
        PortRange a = PortRange.parse("31000-31001");
        PortRange b = PortRange.parse("31100-31102");
        ReservationPoolBuilder builder = ReservationPool.builder(provider, Protocol.TCP).fixedRanges(a, b)
                .keepIdleBlocks();
        for (ReservationPool pool : List.of(builder.build(), builder.build())) {
            List<Integer> ports = new ArrayList<>();
            for (int i = 0; i < 5; i++) {
                ports.add(pool.lease().port());
            }
            assertEquals(List.of(31000, 31001, 31100, 31101, 31102), ports);
            assertEquals(List.of(a, b), pool.blockRanges());
            PortReservationException e = expect(Reason.EXHAUSTED, pool::lease);
            assertTrue(e.getMessage().contains("5 of 5 ports leased in 2 of at most 2 blocks"), e.getMessage());
            pool.closeForcibly();
        }
        assertEquals(0, provider.openReservations.get());
    }

    @Test
    void aBuilderThatBuiltWithAnyBlocksBuildsWithFixedRangesAfterwards() {
        ReservationPoolBuilder builder = ReservationPool.builder(provider, Protocol.TCP).keepIdleBlocks();
        ReservationPool any = builder.build(); // the default maximum of 16 blocks is not written into the builder
        PortRange a = PortRange.parse("31000-31001");
        ReservationPool fixed = builder.fixedRanges(a).build(); // so the maximum follows the one range here
        assertEquals(31000, fixed.lease().port());
        assertEquals(31001, fixed.lease().port());
        PortReservationException e = expect(Reason.EXHAUSTED, fixed::lease);
        assertTrue(e.getMessage().contains("2 of 2 ports leased in 1 of at most 1 blocks"), e.getMessage());
        assertEquals(30000, any.lease().port());
        any.closeForcibly();
        fixed.closeForcibly();
    }

    @Test
    void aNullFixedRangeIsRefusedByItsIndex() {
        PortRange a = PortRange.parse("31000-31001");
        PortReservationException e = expect(Reason.INVALID_ARGUMENT, () -> builder().anyBlocks().fixedRanges(a, null));
        assertEquals("INVALID_ARGUMENT: fixed range at index 1 (of 2) null is invalid: every fixed range must be a "
                + "PortRange; remove the null or pass a range such as PortRange.parse(\"40000-40063\")", e.getMessage());
        expect(Reason.INVALID_ARGUMENT, () -> builder().fixedRanges((PortRange[]) null));
        expect(Reason.INVALID_ARGUMENT, () -> builder().fixedRanges((List<PortRange>) null));
    }

    @Test
    void anInterruptedWaitFailsKeepsTheInterruptAndLeavesTheQueue() throws Exception {
        ReservationPool pool = builder().maxBlocks(1).waitWhenExhausted(Duration.ofSeconds(30)).build();
        for (int i = 0; i < 4; i++) {
            pool.lease();
        }
        AtomicReference<Throwable> failure = new AtomicReference<>();
        AtomicReference<Boolean> interrupted = new AtomicReference<>();
        Thread t = new Thread(() -> {
            try {
                pool.lease();
            } catch (Throwable e) {
                failure.set(e);
                interrupted.set(Thread.currentThread().isInterrupted());
            }
        });
        t.start();
        Await.assertEventually(1, () -> pool.statistics().waiters(), "pool.statistics().waiters()");
        t.interrupt();
        t.join(5_000);
        assertEquals(Reason.TIMEOUT, ((PortReservationException) failure.get()).reason());
        assertInstanceOf(InterruptedException.class, failure.get().getCause());
        assertTrue(interrupted.get());
        assertEquals(0, pool.statistics().waiters());
        assertEquals(4, pool.statistics().leased());
        pool.closeForcibly();
    }

    @Test
    void explicitRequestsRespectTheCooldown() {
        java.util.concurrent.atomic.AtomicLong now = new java.util.concurrent.atomic.AtomicLong(1_000_000_000L);
        ReservationPool pool = builder().cooldown(Duration.ofMillis(10)).clock(now::get).minBlocks(1).build();
        pool.lease(30001).close();
        PortReservationException e = expect(Reason.IN_USE, () -> pool.lease(30001));
        assertTrue(e.getMessage().contains("cools down"), e.getMessage());
        now.addAndGet(TimeUnit.MILLISECONDS.toNanos(10));
        assertEquals(30001, pool.lease(30001).port());
        pool.closeForcibly();
    }

    @Test
    void concurrentAsyncRequestsShareTheGrowthAndTheRestFailUnderTheFailPolicy() throws Exception {
        ReservationPool pool = builder().build(); // blocks of 4, at most 2, fail when exhausted
        List<CompletableFuture<PortLease>> futures = new ArrayList<>();
        for (int i = 0; i < 10; i++) {
            futures.add(pool.leaseAsync());
        }
        int granted = 0;
        int exhausted = 0;
        java.util.Set<Integer> ports = new java.util.HashSet<>();
        for (CompletableFuture<PortLease> f : futures) {
            try {
                assertTrue(ports.add(f.get(5, TimeUnit.SECONDS).port()));
                granted++;
            } catch (ExecutionException e) {
                assertEquals(Reason.EXHAUSTED, ((PortReservationException) e.getCause()).reason());
                exhausted++;
            }
        }
        assertEquals(8, granted);
        assertEquals(2, exhausted);
        PoolStatistics s = pool.statistics();
        assertEquals(2, s.blocks());
        assertEquals(0, s.waiters());
        assertEquals(2, s.exhaustions());
        pool.closeForcibly();
    }

    @Test
    void cooldownDelaysReuseAndWakesWaiters() throws Exception {
        ReservationPool pool = builder().maxBlocks(1).cooldown(Duration.ofMillis(100))
                .waitWhenExhausted(Duration.ofSeconds(5)).build();
        List<PortLease> all = new ArrayList<>();
        for (int i = 0; i < 4; i++) {
            all.add(pool.lease());
        }
        long returned = System.nanoTime();
        all.get(1).close();
        PortLease again = pool.leaseAsync().get(5, TimeUnit.SECONDS);
        assertEquals(all.get(1).port(), again.port());
        assertTrue(System.nanoTime() - returned >= TimeUnit.MILLISECONDS.toNanos(100));
        pool.closeForcibly();
    }

    @Test
    void idleBlocksAreReleasedDownToTheMinimum() throws Exception {
        ReservationPool pool = ReservationPool.builder(provider, Protocol.TCP).blockSize(2).maxBlocks(3).minBlocks(1)
                .idleTimeout(Duration.ofMillis(30)).cooldown(Duration.ZERO).build();
        List<PortLease> all = new ArrayList<>();
        for (int i = 0; i < 6; i++) {
            all.add(pool.lease());
        }
        assertEquals(3, provider.openReservations.get());
        // Leave one lease in the newest block: the two idle blocks go, the busy one stays.
        for (int i = 0; i < 5; i++) {
            all.get(i).close();
        }
        Await.assertEventually(1, () -> pool.statistics().blocks(), "pool.statistics().blocks()");
        assertEquals(List.of(PortRange.of(30004, 2)), pool.blockRanges());
        all.get(5).close();
        Thread.sleep(100); // the last block is the minimum: kept
        assertEquals(1, pool.statistics().blocks());
        assertEquals(1, provider.openReservations.get());
        assertEquals(2, pool.statistics().blocksReleased());
        pool.close();
        assertEquals(0, provider.openReservations.get());
    }

    @Test
    void closeRefusesLeasesAndReleasesEachBlockWithItsLastLease() throws Exception {
        ReservationPool pool = builder().waitWhenExhausted(Duration.ofSeconds(30)).build();
        List<PortLease> all = new ArrayList<>();
        for (int i = 0; i < 5; i++) {
            all.add(pool.lease());
        }
        all.get(4).close(); // block 2 idle
        CompletableFuture<Void> terminated = pool.terminationFuture();
        pool.close();
        assertTrue(pool.isClosed());
        assertEquals(1, provider.openReservations.get());
        expect(Reason.CLOSED, pool::lease);
        CompletionException e = assertThrows(CompletionException.class, () -> pool.leaseAsync().join());
        assertEquals(Reason.CLOSED, ((PortReservationException) e.getCause()).reason());
        for (int i = 0; i < 3; i++) {
            all.get(i).close();
            assertEquals(1, provider.openReservations.get());
        }
        assertFalse(terminated.isDone());
        all.get(3).close();
        assertEquals(0, provider.openReservations.get());
        terminated.get(1, TimeUnit.SECONDS);
        assertEquals(0, pool.statistics().capacity());
    }

    @Test
    void closeFailsWaitersAndForcedCloseReleasesAtOnce() throws Exception {
        ReservationPool pool = builder().maxBlocks(1).waitWhenExhausted(Duration.ofSeconds(30)).build();
        for (int i = 0; i < 4; i++) {
            pool.lease();
        }
        CompletableFuture<PortLease> waiting = pool.leaseAsync();
        CountDownLatch started = new CountDownLatch(1);
        CompletableFuture<PortLease> blocked = CompletableFuture.supplyAsync(() -> {
            started.countDown();
            return pool.lease();
        });
        started.await();
        Await.assertEventually(2, () -> pool.statistics().waiters(), "pool.statistics().waiters()");
        pool.closeForcibly();
        for (CompletableFuture<PortLease> f : List.of(waiting, blocked)) {
            ExecutionException e = assertThrows(ExecutionException.class, () -> f.get(5, TimeUnit.SECONDS));
            assertEquals(Reason.CLOSED, ((PortReservationException) e.getCause()).reason());
        }
        assertEquals(0, provider.openReservations.get());
        assertTrue(pool.terminationFuture().isDone());
        PoolStatistics s = pool.statistics();
        assertEquals(0, s.leased());
        assertEquals(0, s.blocks());
        assertEquals(0, s.waiters());
    }

    @Test
    void builderRejectsBadSettings() {
        expect(Reason.INVALID_ARGUMENT, () -> builder().blockSize(0));
        expect(Reason.INVALID_ARGUMENT, () -> builder().maxBlocks(0));
        expect(Reason.INVALID_ARGUMENT, () -> builder().minBlocks(-1));
        expect(Reason.INVALID_ARGUMENT, () -> builder().cooldown(Duration.ofSeconds(-1)));
        expect(Reason.INVALID_ARGUMENT, () -> builder().waitWhenExhausted(Duration.ZERO));
        expect(Reason.INVALID_ARGUMENT, () -> builder().maxBindAttempts(0));
        expect(Reason.INVALID_ARGUMENT, () -> builder().minBlocks(3).build());
        expect(Reason.INVALID_ARGUMENT, () -> builder().maxPorts(3).build());
        expect(Reason.INVALID_ARGUMENT, () -> builder().fixedRanges(PortRange.parse("1000-1010"),
                PortRange.parse("1010-1020")));
        expect(Reason.INVALID_ARGUMENT, () -> builder().fixedRanges(PortRange.parse("1000-1010")).build());
        expect(Reason.INVALID_ARGUMENT, () -> ReservationPool.builder(provider, Protocol.TCP)
                .fixedRanges(PortRange.parse("1000-1010")).maxBlocks(2).build());
        provider.failAcquires = 1;
        expect(Reason.IN_USE, () -> builder().minBlocks(2).build());
        assertEquals(0, provider.openReservations.get());
    }

}
