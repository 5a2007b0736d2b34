package io.github.portreservation.bench;

import io.github.portreservation.PortReservationException;
import io.github.portreservation.Protocol;
import io.github.portreservation.pool.PortLease;
import io.github.portreservation.pool.PortShape;
import io.github.portreservation.pool.ReservationPool;
import io.github.portreservation.pool.ShapeLease;

import java.time.Duration;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.List;
import java.util.Locale;
import java.util.Random;

/**
 * B7 (a count, not a timing): how often an RTP pair request fails while enough single ports are free, at 50 % and
 * 90 % occupancy. A pool holds 64 blocks of 64 ports (4,096, {@link HeapOnlyProvider}, fail when exhausted, no
 * cooldown) and may not grow. A seeded random workload keeps the leased ports at the occupancy: below it, a request
 * (an RTP pair with the mix's probability, else a single port); at or above it, the return of a random live lease.
 * After a warm-up, each failed request is counted, with whether the ports free then would have served it: at least
 * two free ports, and a free even port followed by a free odd one (a free aligned pair) anywhere in the pool. Two
 * demands: steady (the same mix in the warm-up), and shifting (a warm-up with 10 % pairs, so that the blocks are cut
 * into single ports when the pairs come).
 *
 * <p>Baseline: the same workload on a first-fit bitmap of the same 4,096 ports (a single: the lowest free port; a
 * pair: the lowest free even port whose neighbour is free), which fails only when no free aligned pair exists: the
 * fragmentation of the ports themselves, without blocks cut into one shape.
 */
public final class ShapeFragmentation {
    private static final int BLOCK = 64;
    private static final int BLOCKS = 64;
    private static final int PORTS = BLOCK * BLOCKS;
    private static final int WARM_UP = 200_000;
    private static final int STEPS = 1_000_000;

    private ShapeFragmentation() {
    }

    /** One allocator under the workload: lease a single port or a pair (null: refused), give a lease back. */
    private interface Allocator {
        Object lease(boolean pair);

        void release(Object lease);

        /** The ports of the allocator are all free or leased (no other state). */
        BitSet leasedPorts();

        /** Ends the allocator's life. */
        default void close() {
        }
    }

    /** What one run counted. */
    private static final class Counts {
        long pairRequests;
        long pairFailures;
        long pairFailuresWithTwoFree;
        long pairFailuresWithAlignedPairFree;
        long singleRequests;
        long singleFailures;
    }

    /** Runs every mix and occupancy on the pool and the bitmap, and prints one line each. */
    public static void main(String[] args) {
        System.out.println("B7 shape fragmentation: 64 blocks of 64 ports, " + STEPS + " steps after "
                + WARM_UP + " of warm-up; pair failures / pair requests (of which with >= 2 free ports; with a free "
                + "aligned pair); single failures / single requests");
        for (boolean shift : new boolean[] {false, true}) {
            System.out.println(shift ? "Demand shifts: warm-up with 10 % pairs, measured with the share below"
                    : "Steady demand: warm-up and measurement with the share below");
            for (double pairShare : new double[] {0.1, 0.5, 0.9}) {
                double warmShare = shift ? 0.1 : pairShare;
                for (int occupancy : new int[] {50, 90}) {
                    report("pool", pairShare, occupancy, run(new PoolAllocator(), warmShare, pairShare, occupancy));
                    report("first-fit bitmap", pairShare, occupancy,
                            run(new BitmapAllocator(), warmShare, pairShare, occupancy));
                }
            }
        }
    }

    private static Counts run(Allocator a, double warmShare, double pairShare, int occupancy) {
        Random random = new Random(42);
        List<Object> live = new ArrayList<>();
        List<Integer> sizes = new ArrayList<>();
        int leased = 0;
        int target = PORTS * occupancy / 100;
        Counts counts = new Counts();
        for (int step = 0; step < WARM_UP + STEPS; step++) {
            boolean measured = step >= WARM_UP;
            if (leased < target || live.isEmpty()) {
                boolean pair = random.nextDouble() < (measured ? pairShare : warmShare);
                Object lease = a.lease(pair);
                if (lease != null) {
                    live.add(lease);
                    sizes.add(pair ? 2 : 1);
                    leased += pair ? 2 : 1;
                }
                if (measured) {
                    count(counts, a, pair, lease == null);
                }
            } else {
                int k = random.nextInt(live.size());
                a.release(live.get(k));
                leased -= sizes.get(k);
                live.set(k, live.get(live.size() - 1));
                sizes.set(k, sizes.get(sizes.size() - 1));
                live.remove(live.size() - 1);
                sizes.remove(sizes.size() - 1);
            }
        }
        for (Object lease : live) {
            a.release(lease);
        }
        a.close();
        return counts;
    }

    private static void count(Counts counts, Allocator a, boolean pair, boolean failed) {
        if (!pair) {
            counts.singleRequests++;
            counts.singleFailures += failed ? 1 : 0;
            return;
        }
        counts.pairRequests++;
        if (failed) {
            counts.pairFailures++;
            BitSet used = a.leasedPorts();
            counts.pairFailuresWithTwoFree += PORTS - used.cardinality() >= 2 ? 1 : 0;
            counts.pairFailuresWithAlignedPairFree += freeAlignedPair(used) >= 0 ? 1 : 0;
        }
    }

    /** The lowest even index whose port and the next are both clear in {@code used}, or -1. */
    private static int freeAlignedPair(BitSet used) {
        for (int i = used.nextClearBit(0); i >= 0 && i + 1 < PORTS; i = used.nextClearBit(i + 1)) {
            if ((i & 1) == 0 && !used.get(i + 1)) {
                return i;
            }
        }
        return -1;
    }

    private static void report(String allocator, double pairShare, int occupancy, Counts c) {
        System.out.printf(Locale.ROOT, "B7 %-16s pairs %2.0f %% of requests, occupancy %d %%: pair failures %7d / %7d "
                        + "(%6.3f %%; with >= 2 free ports %7d, with a free aligned pair %7d); single failures %7d / %7d "
                        + "(%6.3f %%)%n", allocator, pairShare * 100, occupancy, c.pairFailures, c.pairRequests,
                percent(c.pairFailures, c.pairRequests), c.pairFailuresWithTwoFree, c.pairFailuresWithAlignedPairFree,
                c.singleFailures, c.singleRequests, percent(c.singleFailures, c.singleRequests));
    }

    private static double percent(long part, long whole) {
        return whole == 0 ? 0 : 100.0 * part / whole;
    }

    /** The reservation pool: {@code lease()} and {@code lease(PortShape.rtpPair())}. */
    private static final class PoolAllocator implements Allocator {
        private final ReservationPool pool = ReservationPool.builder(new HeapOnlyProvider(), Protocol.UDP)
                .blockSize(BLOCK).maxBlocks(BLOCKS).minBlocks(BLOCKS).keepIdleBlocks().cooldown(Duration.ZERO)
                .failWhenExhausted().build();
        private final BitSet used = new BitSet(PORTS);

        @Override
        public Object lease(boolean pair) {
            try {
                if (pair) {
                    ShapeLease lease = pool.lease(PortShape.rtpPair());
                    used.set(lease.ports().start() - HeapOnlyProvider.FIRST_PORT, lease.ports().end()
                            - HeapOnlyProvider.FIRST_PORT + 1);
                    return lease;
                }
                PortLease lease = pool.lease();
                used.set(lease.port() - HeapOnlyProvider.FIRST_PORT);
                return lease;
            } catch (PortReservationException e) {
                return null;
            }
        }

        @Override
        public void release(Object lease) {
            if (lease instanceof ShapeLease) {
                ShapeLease s = (ShapeLease) lease;
                used.clear(s.ports().start() - HeapOnlyProvider.FIRST_PORT, s.ports().end()
                        - HeapOnlyProvider.FIRST_PORT + 1);
                s.close();
            } else {
                PortLease p = (PortLease) lease;
                used.clear(p.port() - HeapOnlyProvider.FIRST_PORT);
                p.close();
            }
        }

        @Override
        public BitSet leasedPorts() {
            return used;
        }

        @Override
        public void close() {
            pool.close();
        }
    }

    /** First fit over a bitmap: the lowest free port, or the lowest free even port with a free neighbour. */
    private static final class BitmapAllocator implements Allocator {
        private final BitSet used = new BitSet(PORTS);

        @Override
        public Object lease(boolean pair) {
            int port = pair ? freeAlignedPair(used) : used.nextClearBit(0);
            if (port < 0 || port >= PORTS) {
                return null;
            }
            used.set(port, port + (pair ? 2 : 1));
            return new int[] {port, pair ? 2 : 1};
        }

        @Override
        public void release(Object lease) {
            int[] l = (int[]) lease;
            used.clear(l[0], l[0] + l[1]);
        }

        @Override
        public BitSet leasedPorts() {
            return used;
        }
    }
}
