package io.github.portreservation;

/**
 * A block of consecutive ports {@code start .. start + count - 1}, all within 1..65535.
 *
 * <p>Immutable, value-equal. Text form: {@code "40000-40063"}, or {@code "8080"} for a single port.
 */
public final class PortRange {
    /** Lowest valid port number. */
    public static final int MIN_PORT = 1;
    /** Highest valid port number. */
    public static final int MAX_PORT = 65535;

    private final int start;
    private final int count;

    private PortRange(int start, int count) {
        this.start = start;
        this.count = count;
    }

    /**
     * A range of {@code count} ports starting at {@code start}.
     *
     * @throws PortReservationException {@link PortReservationException.Reason#INVALID_ARGUMENT} when start is not in
     *         1..65535, count is below 1, or the block would pass port 65535
     */
    public static PortRange of(int start, int count) {
        if (start < MIN_PORT || start > MAX_PORT) {
            throw PortReservationException.invalidArgument("start port " + start,
                    "must be in " + MIN_PORT + ".." + MAX_PORT,
                    "pass a port number in that interval (port 0 means 'any' only when binding, not in a range)");
        }
        if (count < 1) {
            throw PortReservationException.invalidArgument("port count " + count,
                    "must be at least 1", "ask for one port or more");
        }
        if ((long) start + count - 1 > MAX_PORT) {
            throw PortReservationException.invalidArgument("range of " + count + " ports from " + start,
                    "would end at " + ((long) start + count - 1) + ", past port " + MAX_PORT,
                    "use a count of at most " + (MAX_PORT - start + 1) + " for this start, or a lower start");
        }
        return new PortRange(start, count);
    }

    /** The range {@code first..last}, both included. */
    public static PortRange between(int first, int last) {
        if (last < first) {
            throw PortReservationException.invalidArgument("range " + first + "-" + last,
                    "last port must not be below the first", "write the lower port first, e.g. " + last + "-" + first);
        }
        return of(first, last - first + 1);
    }

    /** A range of exactly one port. */
    public static PortRange single(int port) {
        return of(port, 1);
    }

    /**
     * Parses {@code "40000-40063"} (first and last port, both included) or {@code "8080"}.
     *
     * @throws PortReservationException {@link PortReservationException.Reason#INVALID_ARGUMENT} naming the text
     */
    public static PortRange parse(String text) {
        if (text == null) {
            throw PortReservationException.invalidArgument("range text null", "must not be null",
                    "pass text such as \"40000-40063\"");
        }
        String trimmed = text.trim();
        int dash = trimmed.indexOf('-');
        try {
            if (dash < 0) {
                return single(Integer.parseInt(trimmed));
            }
            return between(Integer.parseInt(trimmed.substring(0, dash).trim()),
                    Integer.parseInt(trimmed.substring(dash + 1).trim()));
        } catch (NumberFormatException e) {
            throw PortReservationException.invalidArgument("range text \"" + text + "\"",
                    "must be PORT or FIRST-LAST with decimal port numbers", "write it like \"40000-40063\" or \"8080\"");
        }
    }

    /** First port of the block. */
    public int start() {
        return start;
    }

    /** Number of ports in the block. */
    public int count() {
        return count;
    }

    /** Last port of the block (included). */
    public int end() {
        return start + count - 1;
    }

    /** Whether {@code port} is in the block. */
    public boolean contains(int port) {
        return port >= start && port <= end();
    }

    /** Whether every port of {@code other} is in this block. */
    public boolean contains(PortRange other) {
        return other.start >= start && other.end() <= end();
    }

    /** Whether the two blocks share at least one port. */
    public boolean overlaps(PortRange other) {
        return other.start <= end() && start <= other.end();
    }

    /** {@code "first-last"}, or {@code "port"} for a single port; {@link #parse} reads it back. */
    public String format() {
        return count == 1 ? Integer.toString(start) : start + "-" + end();
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof PortRange && ((PortRange) o).start == start && ((PortRange) o).count == count;
    }

    @Override
    public int hashCode() {
        return start * 65537 + count;
    }

    @Override
    public String toString() {
        return format();
    }
}
