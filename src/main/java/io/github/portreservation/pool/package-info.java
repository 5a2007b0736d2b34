/**
 * {@link io.github.portreservation.pool.ReservationPool}: a pool of reserved ports that grows and shrinks by blocks,
 * leases a port to each socket it binds and takes it back when the socket's lease is closed.
 */
package io.github.portreservation.pool;
