package io.github.portreservation.pool;

import io.github.portreservation.PortReservationException;

/**
 * The state of a pool at one instant, taken under its lock: what the error texts report.
 *
 * @param statistics        gauges and counters
 * @param maxBlocks         blocks the pool may hold
 * @param growing           blocks being acquired
 * @param cooling           free ports still in their cooldown
 * @param lastGrowthFailure why the last block acquisition failed, or null after a success
 * @param backingOff        whether growth is not tried again yet after that failure
 * @param retryInNanos      how long until growth is tried again (when backing off)
 */
record PoolSnapshot(PoolStatistics statistics, int maxBlocks, int growing, int cooling,
                    PortReservationException lastGrowthFailure, boolean backingOff, long retryInNanos) {
}
