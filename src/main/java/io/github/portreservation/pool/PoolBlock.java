package io.github.portreservation.pool;

import io.github.portreservation.PortRange;
import io.github.portreservation.RuntimeReservation;
import io.github.portreservation.internal.PortFifo;

/**
 * One block of a {@link ReservationPool}: its runtime reservation, the FIFO of its free ports (index = port - start,
 * the oldest returned first), when each port was returned (for the cooldown), and the lease holding each port.
 * Every field but {@link #removed} is guarded by the pool's lock.
 */
final class PoolBlock {
    final int slot;
    final RuntimeReservation reservation;
    final PortRange range;
    final PortFifo free;
    final long[] returnedAt;
    final PortLease[] owners;
    int leased;
    int quarantined;
    long idleSince;
    boolean idleCheckPending;
    /** Set once, when the pool drops the block; read without the lock by leases. */
    volatile boolean removed;

    /** A block whose ports are all free and past their cooldown at {@code readySince}. */
    PoolBlock(int slot, RuntimeReservation reservation, long readySince) {
        this.slot = slot;
        this.reservation = reservation;
        this.range = reservation.range();
        int count = range.count();
        this.free = new PortFifo(count);
        this.returnedAt = new long[count];
        this.owners = new PortLease[count];
        for (int i = 0; i < count; i++) {
            free.addLast(i);
            returnedAt[i] = readySince;
        }
        this.idleSince = readySince;
    }

    @Override
    public String toString() {
        return range.format();
    }
}
