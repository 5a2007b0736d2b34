package io.github.portreservation.pool;

import io.github.portreservation.PortRange;
import io.github.portreservation.PortReservationException;
import io.github.portreservation.PortReservationException.Reason;
import io.github.portreservation.Protocol;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.atomic.AtomicLong;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * Randomised operations against a model, on the pool's data structures (test-only provider, manual clock): no two live
 * leases share a port, leased + free = capacity, a lease never gets a port inside its cooldown, exhaustion happens
 * exactly when the model has no cooled free port and the pool is at its maximum, and every returned port is leasable
 * again after its cooldown.
 */
class ReservationPoolPropertiesTest {
    private static final long COOLDOWN = 1_000;

    @ParameterizedTest
    @ValueSource(longs = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12})
    void randomOperationsKeepTheInvariants(long seed) {
        Random random = new Random(seed);
        FakeProvider provider = new FakeProvider(20000);
        AtomicLong now = new AtomicLong(1_000_000L);
        int blockSize = 1 + random.nextInt(8);
        int maxBlocks = 1 + random.nextInt(4);
        ReservationPool pool = ReservationPool.builder(provider, Protocol.TCP).blockSize(blockSize)
                .maxBlocks(maxBlocks).cooldown(Duration.ofNanos(COOLDOWN)).keepIdleBlocks().clock(now::get).build();
        Map<Integer, PortLease> live = new HashMap<>();
        Map<Integer, Long> returnedAt = new HashMap<>();
        Set<Integer> quarantined = new HashSet<>();
        for (int op = 0; op < 4_000; op++) {
            switch (random.nextInt(8)) {
                case 0:
                case 1:
                    leaseAny(pool, live, returnedAt, quarantined, now.get(), maxBlocks);
                    break;
                case 2:
                case 3:
                    if (!live.isEmpty()) {
                        List<Integer> ports = new ArrayList<>(live.keySet());
                        int port = ports.get(random.nextInt(ports.size()));
                        PortLease lease = live.remove(port);
                        closeSocketOf(lease);
                        lease.close();
                        lease.close(); // idempotent
                        returnedAt.put(port, now.get());
                    }
                    break;
                case 4:
                    leaseExplicit(pool, random, live, quarantined, returnedAt, now.get());
                    break;
                case 5:
                    bindWithFaults(pool, provider, random, live, quarantined, returnedAt, now.get());
                    break;
                case 6:
                    now.addAndGet(random.nextInt((int) (2 * COOLDOWN)));
                    break;
                default:
                    if (!live.isEmpty() && random.nextBoolean()) {
                        // A stale lease closed again never returns a port that was leased again since.
                        PortLease any = live.values().iterator().next();
                        closeSocketOf(any);
                        live.remove(any.port()).close();
                        returnedAt.put(any.port(), now.get());
                        now.addAndGet(COOLDOWN);
                        leaseAny(pool, live, returnedAt, quarantined, now.get(), maxBlocks);
                        any.close();
                    }
                    break;
            }
            forgetReleasedBlocks(pool, quarantined);
            checkInvariants(pool, live, quarantined);
        }
        // Every returned port is leasable again after its cooldown.
        for (PortLease lease : live.values()) {
            closeSocketOf(lease);
            lease.close();
        }
        live.clear();
        now.addAndGet(COOLDOWN);
        Set<Integer> expected = new HashSet<>();
        for (PortRange r : pool.blockRanges()) {
            for (int p = r.start(); p <= r.end(); p++) {
                if (!quarantined.contains(p)) {
                    expected.add(p);
                }
            }
        }
        Set<Integer> leasedAgain = new HashSet<>();
        for (int i = 0; i < expected.size(); i++) {
            assertTrue(leasedAgain.add(pool.lease().port()));
        }
        assertTrue(leasedAgain.containsAll(expected), "leased again " + leasedAgain + ", expected " + expected);
        pool.closeForcibly();
        assertEquals(0, provider.openReservations.get());
        assertTrue(pool.terminationFuture().isDone());
    }

    /** Sockets before their leases, as the contract says (a lease closed first quarantines its port). */
    private static void closeSocketOf(PortLease lease) {
        if (lease.localAddress() != null) {
            SOCKETS.remove(lease).open = false;
        }
    }

    private static final Map<PortLease, FakeSocket> SOCKETS = new java.util.concurrent.ConcurrentHashMap<>();

    private static void leaseAny(ReservationPool pool, Map<Integer, PortLease> live, Map<Integer, Long> returnedAt,
                                 Set<Integer> quarantined, long now, int maxBlocks) {
        boolean modelHasReady = false;
        List<PortRange> ranges = pool.blockRanges();
        for (PortRange r : ranges) {
            for (int p = r.start(); p <= r.end(); p++) {
                if (!live.containsKey(p) && !quarantined.contains(p)
                        && now - returnedAt.getOrDefault(p, Long.MIN_VALUE / 2) >= COOLDOWN) {
                    modelHasReady = true;
                }
            }
        }
        try {
            PortLease lease = pool.lease();
            assertNull(live.put(lease.port(), lease), "port " + lease.port() + " handed out twice");
            assertTrue(now - returnedAt.getOrDefault(lease.port(), Long.MIN_VALUE / 2) >= COOLDOWN,
                    "port " + lease.port() + " leased inside its cooldown");
        } catch (PortReservationException e) {
            assertEquals(Reason.EXHAUSTED, e.reason(), e.getMessage());
            assertTrue(!modelHasReady && ranges.size() == maxBlocks, "exhausted although the model has a ready port "
                    + "or room to grow: " + e.getMessage());
        }
    }

    private static void leaseExplicit(ReservationPool pool, Random random, Map<Integer, PortLease> live,
                                      Set<Integer> quarantined, Map<Integer, Long> returnedAt, long now) {
        List<PortRange> ranges = pool.blockRanges();
        if (ranges.isEmpty()) {
            return;
        }
        PortRange r = ranges.get(random.nextInt(ranges.size()));
        int port = r.start() + random.nextInt(r.count());
        try {
            PortLease lease = pool.lease(port);
            assertEquals(port, lease.port());
            assertTrue(!live.containsKey(port) && !quarantined.contains(port), "explicit lease of a used port " + port);
            assertTrue(now - returnedAt.getOrDefault(port, Long.MIN_VALUE / 2) >= COOLDOWN, "inside cooldown " + port);
            live.put(port, lease);
        } catch (PortReservationException e) {
            assertEquals(Reason.IN_USE, e.reason(), e.getMessage());
            assertTrue(live.containsKey(port) || quarantined.contains(port)
                    || now - returnedAt.getOrDefault(port, Long.MIN_VALUE / 2) < COOLDOWN, e.getMessage());
        }
    }

    private static void bindWithFaults(ReservationPool pool, FakeProvider provider, Random random,
                                       Map<Integer, PortLease> live, Set<Integer> quarantined,
                                       Map<Integer, Long> returnedAt, long now) {
        List<PortRange> ranges = pool.blockRanges();
        if (!ranges.isEmpty() && random.nextInt(4) == 0) {
            PortRange r = ranges.get(random.nextInt(ranges.size()));
            provider.failingPorts.add(r.start() + random.nextInt(r.count()));
        }
        int before = pool.statistics().quarantined();
        FakeSocket socket = new FakeSocket(Protocol.TCP);
        try {
            PortLease lease = (PortLease) pool.bind(socket, null);
            assertEquals(socket.bound, lease.port());
            assertNull(live.put(lease.port(), lease), "port " + lease.port() + " handed out twice");
            SOCKETS.put(lease, socket);
        } catch (PortReservationException e) {
            assertTrue(e.reason() == Reason.EXHAUSTED || e.reason() == Reason.IN_USE, e.getMessage());
        }
        // Ports newly quarantined are failing ports, not leased, and no longer leasable.
        if (pool.statistics().quarantined() != before || !provider.failingPorts.isEmpty()) {
            for (int p : provider.failingPorts) {
                if (!live.containsKey(p) && !quarantined.contains(p)) {
                    try {
                        pool.lease(p).close();
                        returnedAt.put(p, now);
                    } catch (PortReservationException e) {
                        if (e.getMessage().contains("quarantined")) {
                            quarantined.add(p);
                        }
                    }
                }
            }
        }
    }

    /** A block whose ports are all quarantined and none leased is released at once; its ports leave the model. */
    private static void forgetReleasedBlocks(ReservationPool pool, Set<Integer> quarantined) {
        List<PortRange> ranges = pool.blockRanges();
        quarantined.removeIf(p -> ranges.stream().noneMatch(r -> r.contains(p)));
    }

    private static void checkInvariants(ReservationPool pool, Map<Integer, PortLease> live, Set<Integer> quarantined) {
        PoolStatistics s = pool.statistics();
        assertEquals(live.size(), s.leased(), s.toString());
        assertEquals(s.capacity(), s.leased() + s.free(), s.toString());
        assertEquals(quarantined.size(), s.quarantined(), s.toString());
        int held = 0;
        for (PortRange r : pool.blockRanges()) {
            held += r.count();
        }
        assertEquals(held, s.capacity() + s.quarantined(), s.toString());
        for (PortLease lease : live.values()) {
            if (!lease.isActive()) {
                fail("live lease inactive: " + lease);
            }
        }
    }
}
