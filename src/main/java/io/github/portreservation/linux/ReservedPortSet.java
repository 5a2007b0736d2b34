package io.github.portreservation.linux;

import io.github.portreservation.PortRange;
import io.github.portreservation.PortReservationException;

import java.util.ArrayList;
import java.util.BitSet;
import java.util.Collections;
import java.util.List;

/**
 * The content of {@code net.ipv4.ip_local_reserved_ports}: a set of ports written as a comma-separated list of ports
 * and ranges ({@code "8080,40000-40010"}). Immutable; {@link #with} and {@link #without} merge and split ranges the
 * way the kernel does, so entries of other owners are kept exactly.
 */
public final class ReservedPortSet {
    private static final ReservedPortSet EMPTY = new ReservedPortSet(new BitSet());

    private final BitSet ports;

    private ReservedPortSet(BitSet ports) {
        this.ports = ports;
    }

    /** A copy of the ports, one bit per port number. */
    BitSet toBitSet() {
        return (BitSet) ports.clone();
    }

    /** The empty set. */
    public static ReservedPortSet empty() {
        return EMPTY;
    }

    /**
     * Parses the sysctl text; blank means empty.
     *
     * @throws PortReservationException INVALID_ARGUMENT naming the entry that is not a port or range
     */
    public static ReservedPortSet parse(String text) {
        BitSet ports = new BitSet(PortRange.MAX_PORT + 1);
        for (String entry : text.trim().split("[,\\s]+")) {
            if (entry.isEmpty()) {
                continue;
            }
            PortRange range;
            try {
                range = PortRange.parse(entry);
            } catch (PortReservationException e) {
                throw PortReservationException.invalidArgument("ip_local_reserved_ports entry \"" + entry + "\"",
                        "each entry must be a port or FIRST-LAST range within 1..65535",
                        "fix the sysctl value (" + e.getMessage() + ")");
            }
            ports.set(range.start(), range.end() + 1);
        }
        return new ReservedPortSet(ports);
    }

    /** Whether every port of {@code range} is in the set. */
    public boolean containsAll(PortRange range) {
        return ports.nextClearBit(range.start()) > range.end();
    }

    /** Whether at least one port of {@code range} is in the set. */
    public boolean overlaps(PortRange range) {
        int set = ports.nextSetBit(range.start());
        return set >= 0 && set <= range.end();
    }

    /** Whether {@code port} is in the set. */
    public boolean contains(int port) {
        return ports.get(port);
    }

    /** This set plus every port of {@code range}. */
    public ReservedPortSet with(PortRange range) {
        BitSet copy = (BitSet) ports.clone();
        copy.set(range.start(), range.end() + 1);
        return new ReservedPortSet(copy);
    }

    /** This set without the ports of {@code range}. */
    public ReservedPortSet without(PortRange range) {
        BitSet copy = (BitSet) ports.clone();
        copy.clear(range.start(), range.end() + 1);
        return new ReservedPortSet(copy);
    }

    /** The maximal runs of consecutive ports, in increasing order. */
    public List<PortRange> ranges() {
        List<PortRange> out = new ArrayList<>();
        for (int start = ports.nextSetBit(1); start >= 0; ) {
            int end = ports.nextClearBit(start) - 1;
            out.add(PortRange.between(start, end));
            start = ports.nextSetBit(end + 1);
        }
        return Collections.unmodifiableList(out);
    }

    /** The maximal runs of the set that share ports with {@code range}. */
    public List<PortRange> rangesOverlapping(PortRange range) {
        List<PortRange> out = new ArrayList<>();
        for (PortRange r : ranges()) {
            if (r.overlaps(range)) {
                out.add(r);
            }
        }
        return out;
    }

    /** Number of ports in the set. */
    public int size() {
        return ports.cardinality();
    }

    /** The sysctl text, as the kernel prints it: {@code "8080,40000-40010"}; empty for the empty set. */
    public String format() {
        StringBuilder sb = new StringBuilder();
        for (PortRange r : ranges()) {
            if (sb.length() > 0) {
                sb.append(',');
            }
            sb.append(r.format());
        }
        return sb.toString();
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof ReservedPortSet && ((ReservedPortSet) o).ports.equals(ports);
    }

    @Override
    public int hashCode() {
        return ports.hashCode();
    }

    @Override
    public String toString() {
        return "ReservedPortSet[" + format() + "]";
    }
}
