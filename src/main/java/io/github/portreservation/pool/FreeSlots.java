package io.github.portreservation.pool;

import java.util.concurrent.atomic.AtomicLongArray;

/**
 * The slots whose block may have a free port, lowest first: one bit per slot, and one summary bit per word of 64
 * slots, so that finding the lowest marked slot reads two words whatever the number of slots. Lock-free.
 *
 * <p>A slot is marked after a port is offered to its block, and unmarked by a poll that found the block empty, which
 * then looks at the block again and marks it back if an offer came meanwhile ({@link #unmark}). The summary follows
 * the same rule one level up: a mark that makes a word non-zero marks its summary bit after writing the word; an unmark
 * that makes a word zero clears the summary bit and then reads the word again. Each side writes before it reads what
 * the other writes (volatile and atomic operations are sequentially consistent), so whichever comes second sees the
 * other: a slot with a free port never stays unmarked.
 */
final class FreeSlots {
    private final AtomicLongArray words;
    private final AtomicLongArray summary;

    FreeSlots(int slots) {
        int wordCount = (slots + 63) >>> 6;
        this.words = new AtomicLongArray(wordCount);
        this.summary = new AtomicLongArray((wordCount + 63) >>> 6);
    }

    /** Marks {@code slot}; cheap when it is marked already. */
    void mark(int slot) {
        int w = slot >>> 6;
        long bit = 1L << slot;
        if ((words.get(w) & bit) != 0) {
            return;
        }
        long before = words.getAndAccumulate(w, bit, (v, m) -> v | m);
        if (before == 0) {
            markWord(w);
        }
    }

    private void markWord(int w) {
        long bit = 1L << w;
        if ((summary.get(w >>> 6) & bit) == 0) {
            summary.getAndAccumulate(w >>> 6, bit, (v, m) -> v | m);
        }
    }

    /**
     * Unmarks {@code slot}, then asks {@code hasFreePort} again and marks it back if it has one.
     *
     * @return whether the slot had to be marked back (a port was offered meanwhile)
     */
    boolean unmark(int slot, java.util.function.BooleanSupplier hasFreePort) {
        int w = slot >>> 6;
        long bit = 1L << slot;
        long after = words.accumulateAndGet(w, ~bit, (v, m) -> v & m);
        if (hasFreePort.getAsBoolean()) {
            mark(slot);
            return true;
        }
        if (after == 0) {
            summary.getAndAccumulate(w >>> 6, ~(1L << w), (v, m) -> v & m);
            if (words.get(w) != 0) {
                markWord(w);
            }
        }
        return false;
    }

    /** The lowest marked slot at or above {@code from}, or -1. */
    int next(int from) {
        int w = from >>> 6;
        if (w >= words.length()) {
            return -1;
        }
        long bits = words.get(w) & (-1L << from);
        if (bits != 0) {
            return (w << 6) + Long.numberOfTrailingZeros(bits);
        }
        for (int s = (w + 1) >>> 6, first = w + 1; s < summary.length(); s++, first = s << 6) {
            for (long sb = summary.get(s) & (-1L << first); sb != 0; sb &= sb - 1) {
                int word = (s << 6) + Long.numberOfTrailingZeros(sb);
                long wordBits = words.get(word);
                if (wordBits != 0) {
                    return (word << 6) + Long.numberOfTrailingZeros(wordBits);
                }
            }
        }
        return -1;
    }
}
