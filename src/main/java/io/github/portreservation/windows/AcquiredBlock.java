package io.github.portreservation.windows;

/**
 * What {@code SIO_ACQUIRE_PORT_RESERVATION} wrote back: the block (host order) and its token.
 *
 * @param start first port of the block, host order
 * @param count number of ports
 * @param token the reservation's token
 */
record AcquiredBlock(int start, int count, long token) {
}
