package io.github.portreservation.pool;

/** Where a {@link PortLease} gives its port back: the pool's return path. */
interface PortReturns {
    /**
     * Gives a leased port back, once per lease: to the back of its block's queue, or into quarantine.
     *
     * @param quarantine  the port must not be leased again while its block is held
     * @param bindFailure a bind on the port failed because another socket holds it (counted as a failure)
     */
    void giveBack(PortLease lease, boolean quarantine, boolean bindFailure);

    /** {@code lease} was closed while its socket still exists: its port comes back once the socket is gone. */
    void linger(PortLease lease);

    /** The last socket of the lingering {@code lease} is gone: give its unit back now. */
    void lingerEnded(PortLease lease);

    /** Counts a bind failure. */
    void countBindFailure();

    /** {@code lease} bound a socket: the pool keeps it in view, to take it back if the socket closes alone. */
    void bound(PortLease lease);
}
