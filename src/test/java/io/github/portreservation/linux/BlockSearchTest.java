package io.github.portreservation.linux;

import io.github.portreservation.PortRange;
import io.github.portreservation.Protocol;
import io.github.portreservation.RuntimeReservation;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledOnOs;
import org.junit.jupiter.api.condition.OS;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.channels.ServerSocketChannel;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/** How {@code acquire(protocol, count)} finds a block: free runs around known-taken ports, bound ports from /proc. */
class BlockSearchTest {

    @Test
    void firstFreeRunSkipsTakenPortsAndWrapsAroundOnce() {
        BitSet taken = new BitSet();
        taken.set(105);
        taken.set(112);
        assertEquals(100, BlockSearch.firstFreeRun(taken, 100, 5, 100, 130));
        assertEquals(106, BlockSearch.firstFreeRun(taken, 101, 6, 100, 130));
        assertEquals(113, BlockSearch.firstFreeRun(taken, 101, 7, 100, 130));
        assertEquals(100, BlockSearch.firstFreeRun(taken, 127, 5, 100, 130), "wraps to lo");
        assertEquals(-1, BlockSearch.firstFreeRun(taken, 100, 19, 100, 130), "no run of 19");
        assertEquals(113, BlockSearch.firstFreeRun(taken, 100, 18, 100, 130));
    }

    @Test
    void parsesTheLocalPortOfEachProcNetLine() {
        String table = "  sl  local_address rem_address   st tx_queue rx_queue\n"
                + "   0: 00000000:07E8 00000000:0000 0A 00000000:00000000\n"
                + "  11: 0100007F:9C40 0100007F:1F90 01 00000000:00000000\n";
        String table6 = "  sl  local_address                         remote_address\n"
                + "   0: 00000000000000000000000000000000:A410 00000000000000000000000000000000:0000 07\n";
        BitSet ports = new BitSet();
        BoundPorts.parse(table, ports);
        BoundPorts.parse(table6, ports);
        assertEquals("{2024, 40000, 42000}", ports.toString());
    }

    @Test
    @EnabledOnOs(OS.LINUX)
    void aLargeBlockIsFoundBetweenPortsBoundEveryFewDozen() throws IOException {
        String[] range = ProcFiles.read(Paths.get("/proc/sys/net/ipv4/ip_local_port_range")).trim().split("\\s+");
        int lo = Integer.parseInt(range[0]);
        int hi = Integer.parseInt(range[1]);
        // The gap must be free now: earlier tests leave TIME_WAIT sockets all over the ephemeral range (hundreds, about
        // one every 70 ports), and a few of them inside the gap would leave no free run of 200 ports at all.
        BitSet boundNow = new BitSet();
        BoundPorts.addTo(boundNow, Protocol.TCP);
        int gapStart = BlockSearch.firstFreeRun(boundNow, lo + (hi - lo) / 2, 300, lo, hi);
        assumeTrue(gapStart >= 0, "no run of 300 unbound TCP ports in " + lo + "-" + hi + " right now");
        List<ServerSocketChannel> others = new ArrayList<>();
        try {
            // A listening socket every 40 ports, except for one gap of 300: 32 blind candidates of 200 ports would
            // almost never land in the gap; the scan of /proc/net finds it at once.
            for (int p = lo; p <= hi; p += 40) {
                if (p >= gapStart && p < gapStart + 300) {
                    continue;
                }
                ServerSocketChannel ch = ServerSocketChannel.open();
                others.add(ch);
                try {
                    ch.bind(new InetSocketAddress(p)); // a server socket listens: listed in /proc/net/tcp
                } catch (IOException inUse) {
                    ch.close(); // taken already: just as good
                }
            }
            LinuxPortReservationProvider provider = LinuxPortReservationProvider.create();
            try (RuntimeReservation r = provider.acquire(Protocol.TCP, 200)) {
                PortRange got = r.range();
                assertTrue(got.start() >= gapStart - 40 && got.end() < gapStart + 340, got + " outside the gap");
                for (ServerSocketChannel ch : others) {
                    assertFalse(ch.isOpen() && got.contains(((InetSocketAddress) ch.getLocalAddress()).getPort()));
                }
            }
        } finally {
            for (ServerSocketChannel ch : others) {
                ch.close();
            }
        }
    }
}
