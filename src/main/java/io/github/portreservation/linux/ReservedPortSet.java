package io.github.portreservation.linux;

import io.github.portreservation.PortRange;
import io.github.portreservation.PortReservationException;

import java.util.ArrayList;
import java.util.BitSet;
import java.util.Collections;
import java.util.List;

/**
 * The content of {@code net.ipv4.ip_local_reserved_ports}: a set of ports 0..65535. The kernel keeps only the set (a
 * bitmap) and prints it as its <em>entries</em>, the maximal runs of consecutive ports, in increasing order and
 * comma-separated ({@code "8080,40000-40010"}); blocks written separately that overlap or touch print as one entry.
 * {@link #format} prints the same text, so entries of other writers are kept exactly by a read-modify-write.
 * Immutable.
 */
public final class ReservedPortSet {
    /** The highest port of the list: the kernel's bitmap has 65,536 bits, port 0 included. */
    static final int LAST_PORT = 65535;
    /** How many entries {@link #describe} names before it only counts the rest. */
    private static final int NAMED_ENTRIES = 8;
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
     * Parses the sysctl text: entries {@code PORT} or {@code FIRST-LAST} (0 &lt;= FIRST &lt;= LAST &lt;= 65535, as the
     * kernel accepts them), separated by commas, newlines or blanks; blank text is the empty set. Overlapping and
     * adjacent entries merge, as in the kernel.
     *
     * @throws PortReservationException INVALID_ARGUMENT naming the entry that is not a port or range
     */
    public static ReservedPortSet parse(String text) {
        return parse(text, "ip_local_reserved_ports");
    }

    /** {@link #parse(String)}, naming {@code source} (the file read) in messages. */
    static ReservedPortSet parse(String text, String source) {
        if (text == null) {
            throw PortReservationException.invalidArgument("ip_local_reserved_ports text null", "must be a text",
                    "pass the sysctl's text (\"\" for an empty list)");
        }
        BitSet ports = new BitSet(LAST_PORT + 1);
        for (String entry : ProcFiles.fields(text, ",")) {
            int dash = entry.indexOf('-');
            int first = port(dash < 0 ? entry : entry.substring(0, dash));
            int last = dash < 0 ? first : port(entry.substring(dash + 1));
            if (first < 0 || last < 0 || last < first) {
                throw PortReservationException.invalidArgument("entry \"" + entry + "\" of " + source,
                        "each entry must be a port or a FIRST-LAST range with FIRST <= LAST, within 0..65535",
                        "correct that entry of the list (sysctl -w net.ipv4.ip_local_reserved_ports=...)");
            }
            ports.set(first, last + 1);
        }
        return new ReservedPortSet(ports);
    }

    /** The port {@code digits} names (1 to 5 decimal digits, at most 65535), or -1. */
    private static int port(String digits) {
        if (digits.isEmpty() || digits.length() > 5) {
            return -1;
        }
        int value = 0;
        for (int i = 0; i < digits.length(); i++) {
            char c = digits.charAt(i);
            if (c < '0' || c > '9') {
                return -1;
            }
            value = value * 10 + (c - '0');
        }
        return value <= LAST_PORT ? value : -1;
    }

    /** Whether {@code port} is in the set. */
    public boolean contains(int port) {
        return port >= 0 && ports.get(port);
    }

    /** Whether at least one port of {@code range} is in the set. */
    public boolean overlaps(PortRange range) {
        check(range);
        int set = ports.nextSetBit(range.start());
        return set >= 0 && set <= range.end();
    }

    /**
     * Whether {@code range} is exactly one entry: all its ports are in the set, and the ports just below and just
     * above it are not.
     */
    public boolean isEntry(PortRange range) {
        check(range);
        return ports.nextClearBit(range.start()) > range.end() && !ports.get(range.start() - 1)
                && (range.end() == LAST_PORT || !ports.get(range.end() + 1));
    }

    /** The entries that share ports with {@code range}, as the kernel prints them. */
    public List<String> entriesOverlapping(PortRange range) {
        check(range);
        return entries(ports, range.start(), range.end());
    }

    /**
     * The entries that share ports with {@code range} or end just below or begin just above it: the ones the kernel
     * would merge with {@code range} if it were added.
     */
    public List<String> entriesTouching(PortRange range) {
        check(range);
        return entries(ports, range.start() - 1, Math.min(LAST_PORT, range.end() + 1));
    }

    /** Every entry, as the kernel prints them, in increasing order. */
    public List<String> entries() {
        return entries(ports, 0, LAST_PORT);
    }

    /** This set plus every port of {@code range}. */
    public ReservedPortSet with(PortRange range) {
        check(range);
        BitSet copy = (BitSet) ports.clone();
        copy.set(range.start(), range.end() + 1);
        return new ReservedPortSet(copy);
    }

    /** This set without the ports of {@code range}. */
    public ReservedPortSet without(PortRange range) {
        check(range);
        BitSet copy = (BitSet) ports.clone();
        copy.clear(range.start(), range.end() + 1);
        return new ReservedPortSet(copy);
    }

    /** Number of ports in the set. */
    public int size() {
        return ports.cardinality();
    }

    /** The sysctl text, as the kernel prints it without its final newline: {@code "8080,40000-40010"}; "" if empty. */
    public String format() {
        StringBuilder sb = new StringBuilder();
        for (int first = ports.nextSetBit(0); first >= 0; ) {
            int last = ports.nextClearBit(first) - 1;
            if (sb.length() > 0) {
                sb.append(',');
            }
            appendEntry(sb, first, last);
            first = ports.nextSetBit(last + 1);
        }
        return sb.toString();
    }

    /**
     * How {@code actual} differs from {@code expected}, for messages: {@code "missing 40000-40009; unexpected 22,730"},
     * at most {@value #NAMED_ENTRIES} entries of each named; "no difference" when equal.
     */
    static String difference(ReservedPortSet expected, ReservedPortSet actual) {
        BitSet missing = expected.toBitSet();
        missing.andNot(actual.ports);
        BitSet unexpected = actual.toBitSet();
        unexpected.andNot(expected.ports);
        List<String> parts = new ArrayList<>(2);
        if (!missing.isEmpty()) {
            parts.add("missing " + describe(entries(missing, 0, LAST_PORT)));
        }
        if (!unexpected.isEmpty()) {
            parts.add("unexpected " + describe(entries(unexpected, 0, LAST_PORT)));
        }
        return parts.isEmpty() ? "no difference" : String.join("; ", parts);
    }

    /** {@code entries} joined by commas for a message, the first {@value #NAMED_ENTRIES} named, the rest counted. */
    static String describe(List<String> entries) {
        if (entries.size() <= NAMED_ENTRIES) {
            return String.join(",", entries);
        }
        return String.join(",", entries.subList(0, NAMED_ENTRIES)) + " and " + (entries.size() - NAMED_ENTRIES)
                + " more entries";
    }

    /** The maximal runs of {@code bits} that have a port in {@code from..to}, formatted. */
    private static List<String> entries(BitSet bits, int from, int to) {
        List<String> out = new ArrayList<>();
        int first = bits.nextSetBit(Math.max(0, from));
        if (first < 0 || first > to) {
            return Collections.emptyList();
        }
        first = bits.previousClearBit(first) + 1;
        while (first >= 0 && first <= to) {
            int last = bits.nextClearBit(first) - 1;
            out.add(appendEntry(new StringBuilder(), first, last).toString());
            first = bits.nextSetBit(last + 1);
        }
        return Collections.unmodifiableList(out);
    }

    private static StringBuilder appendEntry(StringBuilder sb, int first, int last) {
        sb.append(first);
        if (last > first) {
            sb.append('-').append(last);
        }
        return sb;
    }

    private static void check(PortRange range) {
        if (range == null) {
            throw PortReservationException.invalidArgument("port range null", "must be a PortRange",
                    "pass a range such as PortRange.parse(\"40000-40009\")");
        }
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
        return "ReservedPortSet[" + describe(entries()) + "]";
    }
}
