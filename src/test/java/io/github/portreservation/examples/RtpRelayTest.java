package io.github.portreservation.examples;

import io.github.portreservation.PortRange;
import io.github.portreservation.PortReservationException;
import io.github.portreservation.Protocol;
import io.github.portreservation.pool.ReservationPool;
import io.github.portreservation.testing.Await;
import io.github.portreservation.testing.ExternalProcess;
import io.github.portreservation.testing.HeldPorts;
import io.github.portreservation.testing.ExternalProcess.Result;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledOnOs;
import org.junit.jupiter.api.condition.OS;

import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * The RTP/RTCP relay example on reserved pairs, driven by a JDK sender that speaks RTP and RTCP (RFC 3550 headers)
 * from one socket per call leg, and by socat: each session's ports are an even port and the next one, held against
 * other sockets, relayed, and given back as a pair when the session closes.
 */
@EnabledOnOs(OS.LINUX)
class RtpRelayTest extends LoopbackExampleTest {

    /** An RTP packet: version 2, payload type 0 (PCMU), {@code sequence}, a timestamp, SSRC, 160 bytes of audio. */
    static byte[] rtpPacket(int ssrc, int sequence) {
        ByteBuffer b = ByteBuffer.allocate(12 + 160);
        b.put((byte) 0x80).put((byte) 0).putShort((short) sequence).putInt(sequence * 160).putInt(ssrc);
        while (b.hasRemaining()) {
            b.put((byte) (sequence + b.position()));
        }
        return b.array();
    }

    /** An RTCP receiver report without report blocks: version 2, packet type 201, length 1 (in 32-bit words - 1). */
    static byte[] rtcpReceiverReport(int ssrc) {
        return ByteBuffer.allocate(8).put((byte) 0x80).put((byte) 201).putShort((short) 1).putInt(ssrc).array();
    }

    /** Sends {@code packet} from {@code from} to {@code port} on 127.0.0.1 and returns what comes back. */
    private static byte[] roundTrip(DatagramSocket from, int port, byte[] packet) throws Exception {
        from.send(new DatagramPacket(packet, packet.length, ExampleSupport.loopback(port)));
        DatagramPacket reply = new DatagramPacket(new byte[2048], 2048);
        from.receive(reply);
        assertEquals(port, reply.getPort(), "the reply comes from the port the packet went to");
        return Arrays.copyOf(reply.getData(), reply.getLength());
    }

    @Test
    void eachSessionRelaysRtpAndRtcpOnAnEvenPortAndTheNextOneAndGivesThePairBack() throws Exception {
        ReservationPool pool = ReservationPool.builder(provider, Protocol.UDP).blockSize(16).build();
        try (RtpRelay relay = RtpRelay.start(group, pool)) {
            Set<Integer> ports = new HashSet<>();
            for (int i = 0; i < 3; i++) {
                relay.open();
            }
            List<RtpRelay.Session> sessions = relay.sessions();
            for (RtpRelay.Session s : sessions) {
                assertEquals(0, s.rtpPort() % 2, "RTP on an even port");
                assertEquals(s.rtpPort() + 1, s.rtcpPort(), "RTCP on the next one");
                assertTrue(ports.add(s.rtpPort()) && ports.add(s.rtcpPort()), "distinct pairs");
                assertTrue(pool.blockRanges().stream().anyMatch(r -> r.contains(PortRange.of(s.rtpPort(), 2))));
                HeldPorts.assertUdpHeld(s.rtpPort());
                HeldPorts.assertUdpHeld(s.rtcpPort());
            }
            assertEquals(6, pool.statistics().leased());
            for (int leg = 0; leg < sessions.size(); leg++) {
                RtpRelay.Session s = sessions.get(leg);
                try (DatagramSocket caller = new DatagramSocket(ExampleSupport.loopback(0))) {
                    caller.setSoTimeout(2_000);
                    for (int seq = 0; seq < 20; seq++) {
                        byte[] rtp = rtpPacket(0x1000 + leg, seq);
                        assertArrayEquals(rtp, roundTrip(caller, s.rtpPort(), rtp));
                    }
                    byte[] report = rtcpReceiverReport(0x1000 + leg);
                    assertArrayEquals(report, roundTrip(caller, s.rtcpPort(), report));
                }
                assertEquals(20, s.rtpPackets());
                assertEquals(1, s.rtcpPackets());
            }
            RtpRelay.Session first = sessions.get(0);
            first.close();
            Await.assertEventually(4, () -> pool.statistics().leased(), "the first session's pair is back");
            HeldPorts.assertUdpHeld(first.rtpPort()); // still reserved by the pool
            assertEquals(2, relay.sessions().size());
        }
        Await.assertEventually(0, () -> pool.statistics().leased(), "every pair is back");
        pool.close();
        pool.terminationFuture().get(5, TimeUnit.SECONDS);
    }

    @Test
    void aPoolWithoutAPairLeftRefusesTheSessionAndHoldsNothingForIt() throws Exception {
        ReservationPool pool = ReservationPool.builder(provider, Protocol.UDP).blockSize(3).maxBlocks(1).build();
        try (RtpRelay relay = RtpRelay.start(group, pool)) {
            relay.open(); // a block of 3 ports holds one pair
            PortReservationException e = assertThrows(PortReservationException.class, relay::open);
            assertEquals(PortReservationException.Reason.EXHAUSTED, e.reason(), e.getMessage());
            assertTrue(e.getMessage().contains("no free run of 2 consecutive ports from a multiple of 2"),
                    e.getMessage());
            assertEquals(1, relay.sessions().size());
            assertEquals(2, pool.statistics().leased());
        }
        pool.close();
        pool.terminationFuture().get(5, TimeUnit.SECONDS);
    }

    @Test
    void socatAsTheCallerGetsItsRtpAndRtcpPacketsBack() throws Exception {
        assumeTrue(ExternalProcess.isInstalled("socat"), "socat is not installed");
        ReservationPool pool = ReservationPool.builder(provider, Protocol.UDP).blockSize(8).build();
        try (RtpRelay relay = RtpRelay.start(group, pool)) {
            RtpRelay.Session s = relay.open();
            for (int port : new int[] {s.rtpPort(), s.rtcpPort()}) {
                Result r = ExternalProcess.run(15, "sh", "-c", "printf 'leg %s\\n' \"$1\" | socat -t 2 -T 5 - "
                        + "UDP:127.0.0.1:" + port, "sh", Integer.toString(port));
                assertEquals(0, r.exitCode, r.toString());
                assertEquals("leg " + port + "\n", r.output);
            }
            assertEquals(1, s.rtpPackets());
            assertEquals(1, s.rtcpPackets());
        }
        pool.close();
        pool.terminationFuture().get(5, TimeUnit.SECONDS);
    }
}
