package io.github.portreservation.windows;

import io.github.portreservation.PortRange;
import io.github.portreservation.PortReservationException;
import io.github.portreservation.PortReservationException.Reason;
import io.github.portreservation.Protocol;
import io.github.portreservation.windows.ExcludedRange.IpVersion;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@link NetshExclusions} on real netsh outputs posted publicly (src/test/resources/netsh/, sources in SOURCES.md:
 * English TCP and UDP, an administered row, German, Chinese, an empty Chinese table, Spanish UDP, a partial Spanish
 * quote) and on outputs it must refuse. Pure Java; the samples were produced on other people's Windows, not by this project.
 */
class WindowsNetshParserTest {

    static String sample(String name) {
        try (InputStream in = WindowsNetshParserTest.class.getResourceAsStream("/netsh/" + name)) {
            if (in == null) {
                throw new IllegalStateException("no sample " + name);
            }
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    /** "a-b" and "a-b*" (administered) in order. */
    private static List<String> ranges(String sample, Protocol protocol) {
        List<String> out = new ArrayList<>();
        for (ExcludedRange r : NetshExclusions.parse(sample(sample), protocol, IpVersion.IPV4)) {
            assertEquals(protocol, r.protocol());
            assertEquals(IpVersion.IPV4, r.ipVersion());
            out.add(r.range().start() + "-" + r.range().end() + (r.administered() ? "*" : ""));
        }
        return out;
    }

    @Test
    void englishDockerForWindowsThread() {
        assertEquals(List.of("1583-1682", "1683-1782", "2480-2579", "4492-4591", "5357-5357", "5614-5713",
                "5834-5933", "5940-6039", "6045-6144", "6276-6375", "6491-6590", "6897-6996", "7003-7102",
                "28385-28385", "50000-50059*"), ranges("en-tcp-docker-for-win-3171.txt", Protocol.TCP));
    }

    @Test
    void englishRunnerBeforeAndAfterAnAdministeredExclusion() {
        assertEquals(List.of("80-80", "5986-5986", "47001-47001", "56638-56737", "56738-56837"),
                ranges("en-tcp-winnat-otel-collector-10839.txt", Protocol.TCP));
        assertEquals(List.of("80-80", "5986-5986", "47001-47001", "55679-55679*"),
                ranges("en-tcp-administered-otel-collector-10839.txt", Protocol.TCP));
    }

    @Test
    void englishUdpIndentedByATestLog() {
        assertEquals(List.of("56030-56129", "56130-56229"),
                ranges("en-udp-otel-collector-contrib-10872.txt", Protocol.UDP));
    }

    @Test
    void german() {
        assertEquals(List.of("5357-5357", "5985-5985", "47001-47001", "49152-49152", "49153-49153", "49154-49154",
                "49851-49950", "50000-50059*", "50060-50159", "50705-50804", "50805-50904", "50905-51004",
                "51005-51104", "60706-60805", "60806-60905"), ranges("de-tcp-fmeinicke-obsidian-wiki.txt",
                Protocol.TCP));
    }

    @Test
    void chinese() {
        assertEquals(List.of("1026-1125", "1126-1225", "1226-1325", "1326-1425", "1461-1560", "1652-1751",
                "5357-5357", "13342-13441", "13442-13541", "13542-13641", "13642-13741", "13763-13862",
                "13863-13962", "50000-50059*"), ranges("zh-tcp-windows-notes.txt", Protocol.TCP));
    }

    @Test
    void chineseEmptyTable() {
        assertEquals(List.of(), ranges("zh-tcp-empty-clash-verge-rev-1688.txt", Protocol.TCP));
    }

    @Test
    void spanishQuoteWithoutTitleOrLegend() {
        List<String> ranges = ranges("es-tcp-wsl-5306.txt", Protocol.TCP);
        assertEquals(24, ranges.size(), ranges.toString());
        assertEquals("1025-1124", ranges.get(0));
        assertEquals("25313-25412", ranges.get(16));
        assertEquals("50000-50059", ranges.get(23));
    }

    @Test
    void spanishUdpOfTheIpv6Context() {
        assertEquals(List.of("50000-50059*", "50095-50194", "50195-50294", "50295-50394", "50395-50494",
                "50495-50594", "50595-50694", "50695-50794", "50795-50894", "50895-50994"),
                ranges("es-udp-ipv6-airbus-sen-52.txt", Protocol.UDP));
    }

    @Test
    void windowsLineEndingsAndTheIpv6Context() {
        String crlf = sample("en-tcp-administered-otel-collector-10839.txt").replace("\n", "\r\n");
        List<ExcludedRange> ranges = NetshExclusions.parse(crlf, Protocol.TCP, IpVersion.IPV6);
        assertEquals(4, ranges.size());
        assertEquals(new ExcludedRange(Protocol.TCP, IpVersion.IPV6, PortRange.single(55679), true), ranges.get(3));
        assertEquals("55679 * (ipv6 tcp)", ranges.get(3).toString());
    }

    @Test
    void theCommandLines() {
        assertEquals(List.of("netsh", "interface", "ipv4", "show", "excludedportrange", "protocol=tcp"),
                NetshExclusions.command(Protocol.TCP, IpVersion.IPV4));
        assertEquals(List.of("netsh", "interface", "ipv6", "show", "excludedportrange", "protocol=udp"),
                NetshExclusions.command(Protocol.UDP, IpVersion.IPV6));
    }

    private static PortReservationException refused(String output) {
        PortReservationException e = assertThrows(PortReservationException.class,
                () -> NetshExclusions.parse(output, Protocol.TCP, IpVersion.IPV4));
        assertEquals(Reason.SYSTEM_ERROR, e.reason(), e.getMessage());
        assertTrue(e.getMessage().contains("'netsh interface ipv4 show excludedportrange protocol=tcp'"),
                e.getMessage());
        return e;
    }

    @Test
    void outputWithoutATableIsRefused() {
        PortReservationException e = refused("The following command was not found: interface ipv4 show excluded.\n");
        assertTrue(e.getMessage().contains("no '----------    --------' rule"), e.getMessage());
        assertTrue(e.getMessage().contains("The following command was not found"), e.getMessage());
    }

    @Test
    void anUnknownLineInsideTheTableIsRefusedAndNamed() {
        String output = sample("en-tcp-docker-for-win-3171.txt").replace("      5357        5357",
                "      5357        5357   persistent");
        PortReservationException e = refused(output);
        assertTrue(e.getMessage().contains("line 9 '5357        5357   persistent' is neither a range"),
                e.getMessage());
    }

    @Test
    void impossibleRangesAreRefused() {
        String header = "Start Port    End Port\n----------    --------\n";
        assertTrue(refused(header + "     50059       50000\n").getMessage()
                .contains("line 3 '50059       50000' is not a range of ports 1..65535 with start <= end"));
        assertTrue(refused(header + "     65535       70000\n").getMessage().contains("'65535       70000'"));
        assertTrue(refused(header + "         0          10\n").getMessage().contains("'0          10'"));
    }
}
