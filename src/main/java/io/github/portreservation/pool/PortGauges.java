package io.github.portreservation.pool;

/**
 * The sizes of a {@link PortTable}, in blocks and ports, changed only by the table under the pool's lock (as blocks are
 * added, dropped and their units quarantined) and read under it.
 */
final class PortGauges {
    private int blocks;
    private int heldPorts;
    private int quarantinedPorts;
    private int leasablePorts;

    /** {@code b} was added. */
    void added(PoolBlock b) {
        blocks++;
        heldPorts += b.range().count();
        leasablePorts += b.leasablePorts();
    }

    /** {@code b}, with its quarantined units, was dropped. */
    void dropped(PoolBlock b) {
        blocks--;
        heldPorts -= b.range().count();
        quarantinedPorts -= b.quarantined * b.width();
        leasablePorts -= b.leasablePorts();
    }

    /** A unit of {@code b} was quarantined. */
    void quarantined(PoolBlock b) {
        quarantinedPorts += b.width();
        leasablePorts -= b.width();
    }

    /** Blocks in the table. */
    int blockCount() {
        return blocks;
    }

    /** Ports of all blocks, quarantined ones and those outside whole units included. */
    int heldPorts() {
        return heldPorts;
    }

    /** Ports that can be leased: leased + free (the ports of units that are not quarantined). */
    int capacity() {
        return leasablePorts;
    }

    /** Ports of quarantined units. */
    int quarantined() {
        return quarantinedPorts;
    }
}
