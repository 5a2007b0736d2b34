package io.github.portreservation.pool;

import io.github.portreservation.PortReservationException;

/**
 * The state of a pool at one instant, taken under its lock, for a request of one shape: what the error texts report.
 *
 * @param statistics        gauges and counters
 * @param shape             the shape asked for ({@link PortShape#single()} for a port)
 * @param maxBlocks         blocks the pool may hold
 * @param growing           blocks being acquired
 * @param cooling           free ports of blocks of that shape still in their cooldown
 * @param freeInOtherShapes free ports of blocks cut into other shapes
 * @param lastGrowthFailure why the last block acquisition failed, or null after a success
 * @param backingOff        whether growth is not tried again yet after that failure
 * @param retryInNanos      how long until growth is tried again (when backing off)
 */
record PoolSnapshot(PoolStatistics statistics, PortShape shape, int maxBlocks, int growing, int cooling,
                    int freeInOtherShapes, PortReservationException lastGrowthFailure, boolean backingOff,
                    long retryInNanos) {
    /** "port", or "run of 2 consecutive ports from a multiple of 2": what the request found none of. */
    String wanted() {
        return shape.count() == 1 && shape.alignment() == 1 ? "port" : "run of " + shape;
    }
}
