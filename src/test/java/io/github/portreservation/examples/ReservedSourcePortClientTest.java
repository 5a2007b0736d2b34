package io.github.portreservation.examples;

import io.github.portreservation.testing.Await;
import io.github.portreservation.Protocol;
import io.github.portreservation.RuntimeReservation;
import org.junit.jupiter.api.Test;

import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The client example: the server (a plain JDK server socket, not this library) sees every connection come from a
 * port of the reservation, and the reservation gets each port back.
 */
class ReservedSourcePortClientTest extends LoopbackExampleTest {

    @Test
    void everyConnectionComesFromAReservedSourcePort() throws Exception {
        List<Integer> seenByServer = new CopyOnWriteArrayList<>();
        try (RuntimeReservation sourcePorts = provider.acquire(Protocol.TCP, 8);
             ServerSocketChannel server = ServerSocketChannel.open()) {
            server.bind(new InetSocketAddress(ExampleTestSupport.LOOPBACK, 0));
            Thread acceptor = new Thread(() -> echoAndRecordPeers(server, seenByServer, 6), "acceptor");
            acceptor.start();
            ReservedSourcePortClient client = new ReservedSourcePortClient(group, sourcePorts);
            InetSocketAddress target = (InetSocketAddress) server.getLocalAddress();
            List<Integer> clientPorts = new CopyOnWriteArrayList<>();
            for (int i = 0; i < 6; i++) {
                byte[] m = ("message " + i).getBytes(StandardCharsets.US_ASCII);
                ReservedSourcePortClient.Exchange e = client.exchange(target, m, Duration.ofSeconds(5));
                assertArrayEquals(m, e.reply());
                assertTrue(sourcePorts.range().contains(e.sourcePort()), e.sourcePort() + " in " + sourcePorts.range());
                clientPorts.add(e.sourcePort());
                Await.assertEventually(0, sourcePorts::boundPorts, "the port is back once the exchange returns");
            }
            acceptor.join(10_000);
            assertEquals(clientPorts, seenByServer, "the server saw the reserved source ports");
            assertEquals(6, clientPorts.stream().distinct().count(),
                    "the port returned longest ago is reused last (no TIME_WAIT tuple reused): " + clientPorts);
        }
    }

    private static void echoAndRecordPeers(ServerSocketChannel server, List<Integer> peers, int connections) {
        try {
            for (int i = 0; i < connections; i++) {
                try (SocketChannel c = server.accept()) {
                    peers.add(((InetSocketAddress) c.getRemoteAddress()).getPort());
                    ByteBuffer buf = ByteBuffer.allocate(64);
                    c.read(buf);
                    buf.flip();
                    c.write(buf);
                    buf.clear();
                    c.read(buf); // until the client closes
                }
            }
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }
}
