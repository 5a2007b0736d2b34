package io.github.portreservation.pool;

import io.github.portreservation.PortBinding;
import io.github.portreservation.PortRange;
import io.github.portreservation.PortReservationException;
import io.github.portreservation.PortReservationException.Reason;
import io.github.portreservation.Protocol;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.atomic.AtomicLong;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Randomised single and shape leases against a model (test-only provider, manual clock): no two live leases share a
 * port, a shape is its consecutive ports from a multiple of its alignment inside one block, a block cut into a shape
 * other than single ports serves that shape alone (shapes are carved out of blocks of single ports only), no port is
 * leased inside its cooldown, leased = the ports of live leases and leased + free = capacity, and a request fails
 * (EXHAUSTED) only when the pool is at its maximum, no block is without lease and past its cooldown, no block of the
 * request's shape has a free unit and no block of single ports a free run of it, past their cooldown.
 */
class ShapePropertiesTest {
    private static final long COOLDOWN = 1_000;
    private static final List<PortShape> SHAPES = List.of(PortShape.single(), PortShape.rtpPair(),
            PortShape.contiguous(3), PortShape.contiguous(4).alignedTo(4));

    /** One live lease of the model: its ports, shape, and (shapes) the sockets bound through it. */
    private static final class Live {
        final Object lease;
        final PortRange ports;
        final PortShape shape;
        final List<FakeSocket> sockets = new ArrayList<>();
        final List<PortBinding> bindings = new ArrayList<>();

        Live(Object lease, PortRange ports, PortShape shape) {
            this.lease = lease;
            this.ports = ports;
            this.shape = shape;
        }
    }

    private final Map<Integer, Live> owner = new HashMap<>();
    private final Map<Integer, Long> returnedAt = new HashMap<>();
    /** The shape each block was last cut into, by its first port, as the leases taken from it show. */
    private final Map<Integer, PortShape> blockShape = new HashMap<>();
    private final List<Live> live = new ArrayList<>();
    private final AtomicLong now = new AtomicLong(1_000_000L);
    private int exhaustions;
    private int recuts;
    private int carves;

    @ParameterizedTest
    @ValueSource(longs = {1, 2, 3, 4, 5, 6, 7, 8})
    void randomSingleAndShapeLeasesKeepTheInvariants(long seed) {
        Random random = new Random(seed);
        FakeProvider provider = new FakeProvider(20001 + random.nextInt(4));
        int maxBlocks = 1 + random.nextInt(3);
        ReservationPool pool = ReservationPool.builder(provider, Protocol.UDP).blockSize(7 + random.nextInt(10))
                .maxBlocks(maxBlocks).cooldown(Duration.ofNanos(COOLDOWN)).keepIdleBlocks().clock(now::get).build();
        for (int op = 0; op < 3_000; op++) {
            int kind = random.nextInt(10);
            if (kind < 5) {
                lease(pool, SHAPES.get(random.nextInt(SHAPES.size())), maxBlocks);
            } else if (kind < 9 && !live.isEmpty()) {
                close(pool, live.get(random.nextInt(live.size())), random);
            } else {
                now.addAndGet(random.nextInt((int) (2 * COOLDOWN)));
            }
            checkInvariants(pool);
        }
        assertTrue(exhaustions > 0 && recuts > 0 && carves > 0, "the run met " + exhaustions + " exhaustions, "
                + recuts + " blocks cut into another shape and " + carves + " shapes carved out of single ports");
        pool.closeForcibly();
        assertEquals(0, provider.openReservations.get());
    }

    private void lease(ReservationPool pool, PortShape shape, int maxBlocks) {
        boolean modelHasUnit = modelCanServe(pool, shape);
        Live l;
        try {
            if (shape.equals(PortShape.single())) {
                PortLease lease = pool.lease();
                l = new Live(lease, PortRange.single(lease.port()), shape);
            } else {
                ShapeLease lease = pool.lease(shape);
                l = new Live(lease, lease.ports(), shape);
            }
        } catch (PortReservationException e) {
            assertEquals(Reason.EXHAUSTED, e.reason(), e.getMessage());
            assertTrue(!modelHasUnit && pool.blockRanges().size() == maxBlocks, "exhausted for " + shape
                    + " although the model has a unit or room to grow: " + e.getMessage());
            exhaustions++;
            return;
        }
        assertEquals(shape.count(), l.ports.count());
        assertEquals(0, l.ports.start() % shape.alignment(), l.ports + " of " + shape);
        PortRange block = blockOf(pool, l.ports.start());
        assertTrue(block.contains(l.ports), l.ports + " inside " + block);
        PortShape cut = blockShape.get(block.start());
        boolean recut = cut == null || emptyAndCooled(block);
        PortShape after = recut ? shape : cut;
        assertTrue(after.equals(shape) || after.equals(PortShape.single()), shape + " from block " + block
                + " cut into " + after + " that has leases: only single ports' blocks are carved");
        for (Live other : live) {
            if (block.contains(other.ports.start()) && !after.equals(PortShape.single())) {
                assertEquals(after, other.shape, "block " + block + " serves two shapes at once");
            }
        }
        for (int p = l.ports.start(); p <= l.ports.end(); p++) {
            assertNull(owner.put(p, l), "port " + p + " handed out twice");
            assertTrue(now.get() - returnedAt.getOrDefault(p, Long.MIN_VALUE / 2) >= COOLDOWN,
                    "port " + p + " leased inside its cooldown");
        }
        blockShape.put(block.start(), after);
        recuts += cut != null && !cut.equals(after) ? 1 : 0;
        carves += after.equals(shape) ? 0 : 1;
        live.add(l);
    }

    private boolean emptyAndCooled(PortRange block) {
        boolean empty = true;
        for (int p = block.start(); p <= block.end(); p++) {
            empty &= !owner.containsKey(p) && cooled(p);
        }
        return empty;
    }

    /**
     * Whether the model has a ready unit for {@code shape}: a block of its shape with a free unit, a block without
     * lease, or a run of free ports in a block of single ports (carved).
     */
    private boolean modelCanServe(ReservationPool pool, PortShape shape) {
        for (PortRange block : pool.blockRanges()) {
            if (emptyAndCooled(block)) {
                return true;
            }
            PortShape cut = blockShape.get(block.start());
            if (!shape.equals(cut) && !PortShape.single().equals(cut)) {
                continue;
            }
            int first = (block.start() + shape.alignment() - 1) / shape.alignment() * shape.alignment();
            int stride = shape.equals(cut) ? (shape.count() + shape.alignment() - 1) / shape.alignment()
                    * shape.alignment() : shape.alignment(); // units of its shape, or any aligned run to carve
            for (int start = first; start + shape.count() - 1 <= block.end(); start += stride) {
                boolean free = true;
                for (int p = start; p < start + shape.count(); p++) {
                    free &= !owner.containsKey(p) && cooled(p);
                }
                if (free) {
                    return true;
                }
            }
        }
        return false;
    }

    private boolean cooled(int port) {
        return now.get() - returnedAt.getOrDefault(port, Long.MIN_VALUE / 2) >= COOLDOWN;
    }

    /** Closes a lease; a shape lease first binds sockets, and its lease and sockets close in a random order. */
    private void close(ReservationPool pool, Live l, Random random) {
        if (l.lease instanceof ShapeLease) {
            ShapeLease shape = (ShapeLease) l.lease;
            for (int i = random.nextInt(l.ports.count() + 1); i > 0; i--) {
                FakeSocket s = new FakeSocket(Protocol.UDP);
                l.bindings.add(shape.bind(s, null));
                l.sockets.add(s);
            }
            boolean leaseFirst = random.nextBoolean();
            if (leaseFirst) {
                shape.close();
                assertEquals(l.sockets.isEmpty() ? 0 : l.ports.count(), leasedPortsOf(pool, l),
                        "a closed lease keeps its ports while its sockets exist");
            }
            for (int i = 0; i < l.sockets.size(); i++) {
                l.sockets.get(i).open = false;
                if (random.nextBoolean()) {
                    l.bindings.get(i).close();
                }
            }
            shape.close();
        } else {
            ((PortLease) l.lease).close();
        }
        pool.statistics(); // the pool sees sockets gone without their bindings closed here at the latest
        live.remove(l);
        for (int p = l.ports.start(); p <= l.ports.end(); p++) {
            owner.remove(p);
            returnedAt.put(p, now.get());
        }
    }

    /** The ports of {@code l} the pool still counts as leased (the rest of the model being as it is). */
    private int leasedPortsOf(ReservationPool pool, Live l) {
        return pool.statistics().leased() - (owner.size() - l.ports.count());
    }

    private static PortRange blockOf(ReservationPool pool, int port) {
        for (PortRange r : pool.blockRanges()) {
            if (r.contains(port)) {
                return r;
            }
        }
        throw new AssertionError("port " + port + " in no block of " + pool.blockRanges());
    }

    private void checkInvariants(ReservationPool pool) {
        PoolStatistics s = pool.statistics();
        assertEquals(owner.size(), s.leased(), s.toString());
        assertEquals(s.capacity(), s.leased() + s.free(), s.toString());
        assertEquals(0, s.quarantined());
        int held = 0;
        for (PortRange r : pool.blockRanges()) {
            held += r.count();
        }
        assertTrue(s.capacity() <= held, s + " of " + held + " ports held");
    }
}
