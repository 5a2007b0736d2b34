package io.github.portreservation.bench;

import java.util.BitSet;
import java.util.concurrent.ThreadLocalRandom;

/** The naive port allocators the pool is compared with (baselines of {@link LeaseOccupancyBenchmark}). */
final class NaiveAllocators {
    private NaiveAllocators() {
    }

    /** A port allocator: lease a free port or -1, release a leased one. */
    interface Allocator {
        int lease();

        void release(int port);
    }

    /**
     * First fit: a {@code synchronized} {@link BitSet} of used ports, leasing the lowest free one with
     * {@link BitSet#nextClearBit(int)} from the first port (the common hand-written allocator).
     */
    static final class FirstFitBitSet implements Allocator {
        private final int firstPort;
        private final int size;
        private final BitSet used;

        FirstFitBitSet(int firstPort, int size) {
            this.firstPort = firstPort;
            this.size = size;
            this.used = new BitSet(size);
        }

        @Override
        public synchronized int lease() {
            int i = used.nextClearBit(0);
            if (i >= size) {
                return -1;
            }
            used.set(i);
            return firstPort + i;
        }

        @Override
        public synchronized void release(int port) {
            used.clear(port - firstPort);
        }
    }

    /**
     * Random scan, as the Kubernetes service-port allocator ({@code allocator/bitmap.go}, randomScanStrategy): under a
     * mutex, start at a random offset and test one bit at a time, wrapping around, until a free one is found.
     */
    static final class RandomScanBitmap implements Allocator {
        private final int firstPort;
        private final int size;
        private final long[] bits;
        private int count;

        RandomScanBitmap(int firstPort, int size) {
            this.firstPort = firstPort;
            this.size = size;
            this.bits = new long[(size + 63) >>> 6];
        }

        @Override
        public synchronized int lease() {
            if (count >= size) {
                return -1;
            }
            int offset = ThreadLocalRandom.current().nextInt(size);
            for (int i = 0; i < size; i++) {
                int at = (offset + i) % size;
                if ((bits[at >>> 6] & (1L << at)) == 0) {
                    bits[at >>> 6] |= 1L << at;
                    count++;
                    return firstPort + at;
                }
            }
            return -1;
        }

        @Override
        public synchronized void release(int port) {
            int at = port - firstPort;
            long mask = 1L << at;
            if ((bits[at >>> 6] & mask) != 0) {
                bits[at >>> 6] &= ~mask;
                count--;
            }
        }
    }
}
