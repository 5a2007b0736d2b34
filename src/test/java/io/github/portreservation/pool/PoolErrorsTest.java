package io.github.portreservation.pool;

import io.github.portreservation.PortRange;
import io.github.portreservation.PortReservationException;
import io.github.portreservation.PortReservationException.Reason;
import io.github.portreservation.Protocol;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.channels.AlreadyBoundException;
import java.nio.channels.UnsupportedAddressTypeException;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The pool's part of issue [holding], point 7, against the test-only provider: a lease that fails because growth
 * failed carries the growth failure's reason at the top; EXHAUSTED only when the pool may not grow; null fixed ranges
 * and the JDK's runtime exceptions from a lease's bind are {@link PortReservationException}s with value, rule and fix.
 */
class PoolErrorsTest {
    private static final String POOL = "ReservationPool[TCP, blocks of 4 from fake]";

    private final FakeProvider provider = new FakeProvider(30000);
    private final long[] now = {1_000_000_000L};
    private ReservationPool pool;

    @AfterEach
    void tearDown() {
        if (pool != null) {
            pool.closeForcibly();
        }
    }

    private ReservationPoolBuilder builder(int maxBlocks) {
        return ReservationPool.builder(provider, Protocol.TCP).blockSize(4).maxBlocks(maxBlocks).keepIdleBlocks()
                .cooldown(Duration.ZERO).clock(() -> now[0]);
    }

    private static PortReservationException expect(Reason reason, Executable call) {
        PortReservationException e = assertThrows(PortReservationException.class, call);
        assertEquals(reason, e.reason(), e.getMessage());
        return e;
    }

    private static void assertContains(PortReservationException e, String... words) {
        for (String w : words) {
            assertTrue(e.getMessage().contains(w), "missing \"" + w + "\" in: " + e.getMessage());
        }
    }

    @Test
    void growthOutOfDescriptorsFailsTheLeaseWithResourceLimitAtTheTop() {
        pool = builder(2).build();
        provider.failAcquires = 1;
        provider.failReason = Reason.RESOURCE_LIMIT;
        PortReservationException e = expect(Reason.RESOURCE_LIMIT, pool::lease);
        assertContains(e, "RESOURCE_LIMIT: no free port in " + POOL + " (0 of 0 ports leased in 0 of at most 2 blocks) "
                + "and growing it by a block failed: RESOURCE_LIMIT: fake: block 30000-30003 failed with RESOURCE_LIMIT",
                "the pool tries to grow again after 500 ms");
        assertInstanceOf(PortReservationException.class, e.getCause());
        assertEquals(Reason.RESOURCE_LIMIT, ((PortReservationException) e.getCause()).reason());
        assertEquals(1, pool.statistics().failures());
        assertEquals(1, pool.statistics().exhaustions());

        // Backing off: the provider is not asked again, and the lease still names the growth failure.
        int calls = provider.acquireCalls.get();
        now[0] += TimeUnit.MILLISECONDS.toNanos(100);
        PortReservationException backoff = expect(Reason.RESOURCE_LIMIT, pool::lease);
        assertContains(backoff, "no free port in " + POOL + ": 0 of 0 ports leased in 0 of at most 2 blocks, and "
                + "growing by a block failed less than 500 ms ago, so the pool tries again in 400 ms "
                + "(RESOURCE_LIMIT: fake: block", "remove the cause of the growth failure");
        assertSame(e.getCause(), backoff.getCause());
        assertEquals(calls, provider.acquireCalls.get());

        now[0] += TimeUnit.MILLISECONDS.toNanos(400); // the backoff is over and the provider has descriptors again
        assertEquals(30004, pool.lease().port());
        assertEquals(calls + 1, provider.acquireCalls.get());
    }

    @Test
    void growthFailureAfterTheFirstBlockIsFullNamesThePoolState() {
        pool = builder(2).build();
        for (int i = 0; i < 4; i++) {
            pool.lease();
        }
        provider.failAcquires = 1;
        provider.failReason = Reason.ACCESS_DENIED;
        PortReservationException e = expect(Reason.ACCESS_DENIED, pool::lease);
        assertContains(e, "(4 of 4 ports leased in 1 of at most 2 blocks) and growing it by a block failed: "
                + "ACCESS_DENIED: fake: block 30004-30007 failed with ACCESS_DENIED");
        assertEquals(4, pool.statistics().leased());
    }

    @Test
    void asynchronousLeaseFailsWithTheGrowthFailureReason() throws Exception {
        pool = builder(1).build();
        provider.failAcquires = 1;
        provider.failReason = Reason.SYSTEM_ERROR;
        CompletableFuture<PortLease> future = pool.leaseAsync();
        ExecutionException e = assertThrows(ExecutionException.class, () -> future.get(10, TimeUnit.SECONDS));
        PortReservationException failure = (PortReservationException) e.getCause();
        assertEquals(Reason.SYSTEM_ERROR, failure.reason(), failure.getMessage());
        assertContains(failure, "growing by a block failed less than 500 ms ago",
                "(SYSTEM_ERROR: fake: block 30000-30003 failed with SYSTEM_ERROR)");
        assertEquals(0, pool.statistics().leased());
    }

    @Test
    void poolAtItsMaximumIsExhaustedWithoutAGrowthCause() {
        pool = builder(1).build();
        for (int i = 0; i < 4; i++) {
            pool.lease();
        }
        PortReservationException e = expect(Reason.EXHAUSTED, pool::lease);
        assertContains(e, "no free port in " + POOL + ": 4 of 4 ports leased in 1 of at most 1 blocks; close leases "
                + "sooner, raise maxBlocks(...)/maxPorts(...)");
        assertNull(e.getCause());
        assertEquals(1, provider.acquireCalls.get());
    }

    @Test
    void nullFixedRangesAreInvalidArgumentsNamingTheIndex() {
        ReservationPoolBuilder b = ReservationPool.builder(provider, Protocol.UDP);
        PortRange range = PortRange.parse("40000-40009");
        assertContains(expect(Reason.INVALID_ARGUMENT, () -> b.fixedRanges(range, null)),
                "fixed range at index 1 (of 2) null is invalid: every fixed range must be a PortRange; remove the "
                        + "null or pass a range such as PortRange.parse(\"40000-40063\")");
        assertContains(expect(Reason.INVALID_ARGUMENT, () -> b.fixedRanges(Arrays.asList(null, range))),
                "fixed range at index 0 (of 2) null");
        assertContains(expect(Reason.INVALID_ARGUMENT, () -> b.fixedRanges((PortRange[]) null)),
                "list of fixed ranges null is invalid: must not be null");
        assertContains(expect(Reason.INVALID_ARGUMENT, () -> b.fixedRanges((List<PortRange>) null)),
                "list of fixed ranges null is invalid: must not be null");
        pool = b.keepIdleBlocks().build(); // the failed calls left the builder as it was: any blocks
        assertEquals(64, pool.lease().blockRange().count());
    }

    @Test
    void jdkRuntimeExceptionsFromALeaseBindAreMappedAndTheLeaseIsReturned() throws Exception {
        pool = builder(1).build();
        InetSocketAddress v6 = new InetSocketAddress(InetAddress.getByName("::1"), 0);

        provider.bindThrows = new UnsupportedAddressTypeException();
        PortReservationException family = expect(Reason.INVALID_ARGUMENT, () -> pool.bind(new FakeSocket(Protocol.TCP),
                v6));
        assertContains(family, "local address [0:0:0:0:0:0:0:1]:30000 is invalid for socket FakeSocket[0]: it is an "
                + "IPv6 address and the socket is IPv4-only", "bind an IPv4 address such as 127.0.0.1");
        assertInstanceOf(UnsupportedAddressTypeException.class, family.getCause());

        provider.bindThrows = new AlreadyBoundException();
        assertContains(expect(Reason.INVALID_ARGUMENT, () -> pool.bind(new FakeSocket(Protocol.TCP), null)),
                "socket FakeSocket[0] is already bound: a socket binds once", "bind a new, unbound socket");

        provider.bindThrows = new IllegalArgumentException("port out of range:70000");
        assertContains(expect(Reason.INVALID_ARGUMENT, () -> pool.bind(new FakeSocket(Protocol.TCP), null)),
                "local address 0.0.0.0:30002 is refused by socket FakeSocket[0] from port 30002 leased from the pool's "
                        + "block 30000-30003 (port out of range:70000)", "pass such an address");

        provider.bindThrows = new IllegalStateException("boom");
        assertContains(expect(Reason.SYSTEM_ERROR, () -> pool.bind(new FakeSocket(Protocol.TCP), null)),
                "failed with java.lang.IllegalStateException: boom, which this library does not know");

        PoolStatistics s = pool.statistics();
        assertEquals(0, s.leased(), "every failed bind gave its lease back");
        assertEquals(0, s.quarantined(), "none of these is the port's fault");
        assertEquals(4, s.free());
        provider.bindThrows = null;
        assertEquals(30000, ((PortLease) pool.bind(new FakeSocket(Protocol.TCP), null)).port());
    }

    @Test
    void alreadyBoundOrNullSocketIsRefusedBeforeTheLeaseIsUsed() {
        pool = builder(1).build();
        PortLease lease = pool.lease();
        FakeSocket bound = new FakeSocket(Protocol.TCP);
        bound.bound = 1234;
        assertContains(expect(Reason.INVALID_ARGUMENT, () -> lease.bind(bound, null)),
                "socket FakeSocket[1234] is already bound to 0.0.0.0:1234", "bind a new, unbound socket");
        assertContains(expect(Reason.INVALID_ARGUMENT, () -> lease.bind(null, null)), "socket null is invalid");
        assertTrue(lease.isActive());
        FakeSocket fresh = new FakeSocket(Protocol.TCP);
        assertSame(lease, lease.bind(fresh, null));
        assertEquals(lease.port(), fresh.bound);

        expect(Reason.INVALID_ARGUMENT, () -> pool.bind(bound, null));
        assertEquals(1, pool.statistics().leased(), "the lease taken for the bound socket was given back");
    }
}
