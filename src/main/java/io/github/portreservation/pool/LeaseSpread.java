package io.github.portreservation.pool;

import java.util.concurrent.atomic.AtomicReferenceArray;

/**
 * Where a thread starts looking for a free unit once polls collided: threads whose polls of one block's ring
 * collide move, one block at a time, to the next of the lowest blocks with a free unit, so that concurrent leases and
 * returns work on different rings instead of moving one ring's head and tail between cores on every operation.
 *
 * <p>A thread that never lost a poll to another keeps offset 0 (the lowest block with a free unit, as the pool's
 * packing rule says); a thread that did starts at the {@code offset}-th such block, {@code offset} below
 * {@link #WAYS} (the processors, at least 2, at most 64): leases stay packed into the lowest few blocks. Within each
 * block the order stays FIFO. The offset is per thread (one {@code int[]} in a {@link ThreadLocal}, a JDK type, so a
 * thread never pins this class loader), shared by the pools the thread leases from.
 */
final class LeaseSpread {
    /** How many of the lowest blocks with a free unit the threads spread over. */
    static final int WAYS = Math.max(2, Math.min(64, Runtime.getRuntime().availableProcessors()));
    private static final ThreadLocal<int[]> OFFSET = new ThreadLocal<>();

    private LeaseSpread() {
    }

    /** The calling thread's offset: 0 until one of its polls collided. */
    static int offset() {
        int[] offset = OFFSET.get();
        return offset == null ? 0 : offset[0];
    }

    /** The calling thread lost a poll to another one: it moves to the next block. */
    static void collided() {
        int[] offset = OFFSET.get();
        if (offset == null) {
            offset = new int[1];
            OFFSET.set(offset);
        }
        offset[0] = (offset[0] + 1) % WAYS;
    }

    /**
     * The slot the calling thread polls first among the {@code marked} slots of blocks of shape {@code shape}: the
     * {@link #offset()}-th (0 = the lowest), or 0 when there are not that many.
     */
    static int startSlot(FreeSlots marked, AtomicReferenceArray<PoolBlock> blocks, int shape) {
        int skip = offset();
        for (int slot = skip == 0 ? -1 : marked.next(0); slot >= 0; slot = marked.next(slot + 1)) {
            PoolBlock b = blocks.get(slot);
            if (b != null && b.shapeIndex() == shape && skip-- == 0) {
                return slot;
            }
        }
        return 0;
    }
}
