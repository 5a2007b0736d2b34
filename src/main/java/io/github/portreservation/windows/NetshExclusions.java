package io.github.portreservation.windows;

import io.github.portreservation.PortRange;
import io.github.portreservation.PortReservationException;
import io.github.portreservation.PortReservationException.Reason;
import io.github.portreservation.Protocol;
import io.github.portreservation.windows.ExcludedRange.IpVersion;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Reads the table {@code netsh interface ipv4|ipv6 show excludedportrange protocol=tcp|udp} prints. No documented API
 * lists excluded ranges, so this is what tools do; the headings are localized ("Start Port / End Port", "Startport /
 * Endport", "开始端口 / 结束端口"...), so only the table's shape is read: a rule of dash groups, then one row per range
 * (two port numbers and an optional {@code *} for an administered exclusion), up to a line that starts with {@code *}
 * (the legend) or the end. Blank lines are skipped, anything else inside the table is refused, so a format this parser
 * does not know is reported instead of being read wrong.
 */
final class NetshExclusions {
    private static final Pattern RULE = Pattern.compile("-{4,}(\\s+-{4,})+");
    private static final Pattern ROW = Pattern.compile("(\\d{1,5})\\s+(\\d{1,5})(\\s+\\*)?");

    private NetshExclusions() {
    }

    /** The command line: {@code netsh interface ipv4 show excludedportrange protocol=tcp}. */
    static List<String> command(Protocol protocol, IpVersion ipVersion) {
        return List.of("netsh", "interface", ipVersion.netshName(), "show", "excludedportrange",
                "protocol=" + protocol.name().toLowerCase(Locale.ROOT));
    }

    /**
     * The ranges listed in {@code output}.
     *
     * @throws PortReservationException SYSTEM_ERROR naming the first line that does not fit the table's shape, or
     *         saying that no table was found
     */
    static List<ExcludedRange> parse(String output, Protocol protocol, IpVersion ipVersion) {
        String[] lines = output.split("\r\n|\r|\n", -1);
        int rule = -1;
        for (int i = 0; i < lines.length && rule < 0; i++) {
            if (RULE.matcher(lines[i].strip()).matches()) {
                rule = i;
            }
        }
        if (rule < 0) {
            throw unrecognized(protocol, ipVersion, "it has no '----------    --------' rule above a table", output);
        }
        List<ExcludedRange> ranges = new ArrayList<>();
        for (int i = rule + 1; i < lines.length; i++) {
            String line = lines[i].strip();
            if (line.isEmpty()) {
                continue;
            }
            if (line.startsWith("*")) {
                break;
            }
            Matcher row = ROW.matcher(line);
            if (!row.matches()) {
                throw unrecognized(protocol, ipVersion, "line " + (i + 1) + " '" + line + "' is neither a range "
                        + "('START END', optionally followed by '*') nor the '* - ...' legend", output);
            }
            int start = Integer.parseInt(row.group(1));
            int end = Integer.parseInt(row.group(2));
            if (start < PortRange.MIN_PORT || end > PortRange.MAX_PORT || start > end) {
                throw unrecognized(protocol, ipVersion, "line " + (i + 1) + " '" + line + "' is not a range of ports "
                        + PortRange.MIN_PORT + ".." + PortRange.MAX_PORT + " with start <= end", output);
            }
            ranges.add(new ExcludedRange(protocol, ipVersion, PortRange.between(start, end), row.group(3) != null));
        }
        return ranges;
    }

    private static PortReservationException unrecognized(Protocol protocol, IpVersion ipVersion, String why,
                                                         String output) {
        String shown = output.length() > 400 ? output.substring(0, 400) + "..." : output;
        return new PortReservationException(Reason.SYSTEM_ERROR, "the output of '"
                + String.join(" ", command(protocol, ipVersion)) + "' is not the table this library knows: " + why
                + "; please report it with the output: " + shown.strip());
    }
}
