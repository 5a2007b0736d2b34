package io.github.portreservation.pool;

import io.github.portreservation.PortRange;
import io.github.portreservation.PortReservationException;

/**
 * What one {@link ShapeLease} holds: {@link #count()} consecutive ports whose first port is a multiple of
 * {@link #alignment()}, each for every protocol of the pool. Immutable, value-equal.
 *
 * <pre>{@code
 * PortShape.rtpPair()                   // RTP/RTCP (RFC 3550): an even port and the next one
 * PortShape.contiguous(8)               // 8 consecutive ports from any port
 * PortShape.contiguous(4).alignedTo(4)  // 4 consecutive ports from a multiple of 4
 * PortShape.single()                    // one port (from a pool of two protocols: the same number on both)
 * }</pre>
 *
 * <p>A pool cuts each block into units of one shape (see {@link ReservationPool#lease(PortShape)}): the units of a
 * block start at the multiples of the alignment inside it, one every {@code count} ports rounded up to the alignment.
 */
public final class PortShape {
    private static final PortShape SINGLE = new PortShape(1, 1);
    private static final PortShape RTP_PAIR = new PortShape(2, 2);

    private final int count;
    private final int alignment;

    private PortShape(int count, int alignment) {
        this.count = count;
        this.alignment = alignment;
    }

    /** One port. */
    public static PortShape single() {
        return SINGLE;
    }

    /** An RTP/RTCP pair (RFC 3550): an even port for RTP and the next, odd one for RTCP. */
    public static PortShape rtpPair() {
        return RTP_PAIR;
    }

    /**
     * {@code count} consecutive ports from any port.
     *
     * @throws PortReservationException INVALID_ARGUMENT when {@code count} is not in 1..65535
     */
    public static PortShape contiguous(int count) {
        if (count < 1 || count > PortRange.MAX_PORT) {
            throw PortReservationException.invalidArgument("shape of " + count + " ports", "a shape holds 1..65535 "
                    + "consecutive ports", "pass the number of ports one lease needs, e.g. contiguous(2)");
        }
        return count == 1 ? SINGLE : new PortShape(count, 1);
    }

    /**
     * This shape with its first port a multiple of {@code alignment} (2: an even port).
     *
     * @throws PortReservationException INVALID_ARGUMENT when {@code alignment} is not in 1..65535
     */
    public PortShape alignedTo(int alignment) {
        if (alignment < 1 || alignment > PortRange.MAX_PORT) {
            throw PortReservationException.invalidArgument("alignment " + alignment + " of " + this, "the first port "
                    + "of a shape is a multiple of an alignment in 1..65535", "pass alignedTo(2) for an even first "
                    + "port, or alignedTo(1) for any");
        }
        return count == 2 && alignment == 2 ? RTP_PAIR : count == 1 && alignment == 1 ? SINGLE
                : new PortShape(count, alignment);
    }

    /** The number of consecutive ports. */
    public int count() {
        return count;
    }

    /** The first port is a multiple of this (1: any port). */
    public int alignment() {
        return alignment;
    }

    /** Ports from one unit's first port to the next one's: {@code count} rounded up to the alignment. */
    int stride() {
        return (int) (((long) count + alignment - 1) / alignment * alignment);
    }

    /** How far the first unit of a block of {@code range} lies from its first port. */
    int offsetIn(PortRange range) {
        int misalignment = range.start() % alignment;
        return misalignment == 0 ? 0 : alignment - misalignment;
    }

    /** The units of this shape that a block of {@code range} holds (0: none). */
    int unitsIn(PortRange range) {
        long room = (long) range.count() - offsetIn(range);
        return room < count ? 0 : (int) ((room - count) / stride() + 1);
    }

    /** The smallest block that holds a unit of this shape wherever it starts. */
    int smallestBlockForAnyStart() {
        return count + alignment - 1;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof PortShape && ((PortShape) o).count == count && ((PortShape) o).alignment == alignment;
    }

    @Override
    public int hashCode() {
        return count * 31 + alignment;
    }

    /** "1 port", "8 consecutive ports", "2 consecutive ports from a multiple of 2". */
    @Override
    public String toString() {
        String ports = count == 1 ? "1 port" : count + " consecutive ports";
        return alignment == 1 ? ports : ports + " from a multiple of " + alignment;
    }
}
