package io.github.portreservation.examples;

import io.github.portreservation.testing.Await;
import io.github.portreservation.PortReservationException;
import io.github.portreservation.Protocol;
import io.github.portreservation.RuntimeReservation;
import org.junit.jupiter.api.Test;

import java.net.InetSocketAddress;
import java.nio.channels.ServerSocketChannel;

import static io.github.portreservation.examples.ExampleTestSupport.pattern;
import static io.github.portreservation.examples.ExampleTestSupport.tcpRoundTrip;
import static io.github.portreservation.examples.ExampleTestSupport.udpRoundTrip;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The TCP and UDP echo examples on reserved ports, driven by real JDK clients on 127.0.0.1. */
class EchoServersTest extends LoopbackExampleTest {

    @Test
    void tcpEchoServesOnAReservedPortAndGivesItBack() throws Exception {
        try (RuntimeReservation reservation = provider.acquire(Protocol.TCP, 4)) {
            TcpEchoServer server = TcpEchoServer.start(group, reservation, ExampleSupport.loopback(0));
            assertEquals(reservation.range().start(), server.port(), "the first port of the block");
            assertEquals(1, reservation.boundPorts());
            long bytes = 0;
            for (int i = 0; i < 20; i++) {
                byte[] message = pattern(1 + i * 5000, i);
                assertArrayEquals(message, tcpRoundTrip(server.localAddress(), message));
                bytes += message.length;
            }
            assertEquals(20, server.connections());
            assertEquals(bytes, server.bytesEchoed());
            assertHeldAgainstPlainSocket(server.port());
            server.close();
            Await.assertEventually(0, reservation::boundPorts, "the port goes back to the reservation");
            assertHeldAgainstPlainSocket(server.port());
        }
    }

    @Test
    void tcpEchoFromTheTokenOptionBindsTheRequestedPortOfTheBlock() throws Exception {
        try (RuntimeReservation reservation = provider.acquire(Protocol.TCP, 3)) {
            int requested = reservation.range().start() + 1;
            TcpEchoServer server = TcpEchoServer.start(group, reservation.token(), ExampleSupport.loopback(requested));
            assertEquals(requested, server.port());
            byte[] m = pattern(3000, 9);
            assertArrayEquals(m, tcpRoundTrip(server.localAddress(), m));
            PortReservationException taken = assertThrows(PortReservationException.class,
                    () -> TcpEchoServer.start(group, reservation.token(), ExampleSupport.loopback(requested)));
            assertEquals(PortReservationException.Reason.IN_USE, taken.reason());
            server.close();
            Await.assertEventually(0, reservation::boundPorts, "the port goes back");
        }
        PortReservationException closed = assertThrows(PortReservationException.class,
                () -> TcpEchoServer.start(group, io.github.portreservation.ReservationToken.of(42),
                        ExampleSupport.loopback(0)));
        assertEquals(PortReservationException.Reason.UNKNOWN_TOKEN, closed.reason());
    }

    @Test
    void tcpEchoOnAPortOutsideTheReservationFailsWithTheReason() throws Exception {
        try (RuntimeReservation reservation = provider.acquire(Protocol.TCP, 2)) {
            int outside = reservation.range().end() == 65535 ? reservation.range().start() - 1
                    : reservation.range().end() + 1;
            PortReservationException e = assertThrows(PortReservationException.class,
                    () -> TcpEchoServer.start(group, reservation, ExampleSupport.loopback(outside)));
            assertEquals(PortReservationException.Reason.OUTSIDE_RESERVATION, e.reason());
            Await.assertEventually(0, reservation::boundPorts, "the port goes back");
        }
    }

    @Test
    void udpEchoServesOnAReservedPortAndGivesItBack() throws Exception {
        try (RuntimeReservation reservation = provider.acquire(Protocol.UDP, 4)) {
            int requested = reservation.range().start() + 2;
            UdpEchoServer server = UdpEchoServer.start(group, reservation, ExampleSupport.loopback(requested));
            assertEquals(requested, server.port());
            for (int i = 0; i < 50; i++) {
                byte[] message = pattern(1 + i * 20, i);
                assertArrayEquals(message, udpRoundTrip(server.localAddress(), message));
            }
            assertEquals(50, server.datagrams());
            server.close();
            Await.assertEventually(0, reservation::boundPorts, "the port goes back");
        }
    }

    @Test
    void bothServersOnTheSameReservationGetDistinctPorts() throws Exception {
        try (RuntimeReservation reservation = provider.acquire(Protocol.TCP, 2)) {
            TcpEchoServer a = TcpEchoServer.start(group, reservation, ExampleSupport.loopback(0));
            TcpEchoServer b = TcpEchoServer.start(group, reservation, ExampleSupport.loopback(0));
            assertTrue(a.port() != b.port());
            PortReservationException full = assertThrows(PortReservationException.class,
                    () -> TcpEchoServer.start(group, reservation, ExampleSupport.loopback(0)));
            assertEquals(PortReservationException.Reason.EXHAUSTED, full.reason());
            byte[] m = pattern(100, 7);
            assertArrayEquals(m, tcpRoundTrip(a.localAddress(), m));
            assertArrayEquals(m, tcpRoundTrip(b.localAddress(), m));
            a.close();
            b.close();
        }
    }

    /** A socket of this JVM without SO_REUSEPORT (as any other program opens one) cannot bind the port. */
    static void assertHeldAgainstPlainSocket(int port) throws Exception {
        try (ServerSocketChannel intruder = ServerSocketChannel.open()) {
            assertThrows(java.net.BindException.class,
                    () -> intruder.bind(new InetSocketAddress(ExampleTestSupport.LOOPBACK, port)));
        }
    }
}
