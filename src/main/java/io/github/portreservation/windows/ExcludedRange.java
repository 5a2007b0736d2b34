package io.github.portreservation.windows;

import io.github.portreservation.PortRange;
import io.github.portreservation.Protocol;

import java.util.Locale;

/**
 * One row of {@code netsh interface ipv4|ipv6 show excludedportrange protocol=tcp|udp}: a block of ports Windows keeps
 * from ordinary binds. {@code administered} is the row's {@code *} mark ("Administered port exclusions": added with
 * {@code netsh ... add excludedportrange}, or a persistent reservation); rows without it were excluded by a system
 * component such as WinNAT or Hyper-V.
 *
 * @param protocol     the protocol netsh was asked about
 * @param ipVersion    the netsh context the row came from
 * @param range        the block, first to last port
 * @param administered whether the row carries netsh's {@code *}
 */
public record ExcludedRange(Protocol protocol, IpVersion ipVersion, PortRange range, boolean administered) {

    /** The netsh context a range was listed in. */
    public enum IpVersion {
        /** {@code netsh interface ipv4}. */
        IPV4,
        /** {@code netsh interface ipv6}. */
        IPV6;

        /** The context's name on the netsh command line: {@code ipv4} or {@code ipv6}. */
        public String netshName() {
            return name().toLowerCase(Locale.ROOT);
        }
    }

    /**
     * Checks that no component is null.
     *
     * @throws io.github.portreservation.PortReservationException INVALID_ARGUMENT naming the null component
     */
    public ExcludedRange {
        AssociatedBind.present(protocol, "protocol");
        AssociatedBind.present(ipVersion, "ipVersion");
        AssociatedBind.present(range, "range");
    }

    /** "50000-50059 * (ipv4 tcp)". */
    @Override
    public String toString() {
        return range + (administered ? " *" : "") + " (" + ipVersion.netshName() + " "
                + protocol.name().toLowerCase(Locale.ROOT) + ")";
    }
}
