package io.github.portreservation.examples;

import io.github.portreservation.testing.Await;
import io.github.portreservation.PortRange;
import io.github.portreservation.PortReservationException;
import io.github.portreservation.Protocol;
import io.github.portreservation.RuntimeReservation;
import io.github.portreservation.pool.ReservationPool;
import org.junit.jupiter.api.Test;

import java.net.Socket;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import java.util.logging.Logger;

import static io.github.portreservation.examples.ExampleTestSupport.pattern;
import static io.github.portreservation.examples.ExampleTestSupport.readFully;
import static io.github.portreservation.examples.ExampleTestSupport.tcpRoundTrip;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The proxy example: N listeners leased from a pool, each forwarding real traffic to an echo backend. */
class TcpProxyTest extends LoopbackExampleTest {

    @Test
    void listenersFromAGrowingPoolForwardEveryByteToTheBackend() throws Exception {
        ReservationPool pool = ReservationPool.builder(provider, Protocol.TCP).blockSize(2).maxBlocks(3).build();
        try (RuntimeReservation backendPorts = provider.acquire(Protocol.TCP, 1)) {
            TcpEchoServer backend = TcpEchoServer.start(group, backendPorts, ExampleSupport.loopback(0));
            TcpProxy proxy = TcpProxy.start(group, pool, 5, backend.localAddress());
            List<Integer> ports = proxy.ports();
            assertEquals(5, new HashSet<>(ports).size(), "distinct ports: " + ports);
            assertEquals(3, pool.statistics().blocks(), "5 listeners need 3 blocks of 2");
            assertEquals(5, pool.statistics().leased());
            for (int port : ports) {
                assertTrue(inside(port, pool.blockRanges()), port + " in " + pool.blockRanges());
                EchoServersTest.assertHeldAgainstPlainSocket(port);
            }
            long bytes = 0;
            for (int i = 0; i < ports.size(); i++) {
                byte[] message = pattern(200_000 + i, i); // several reads and writes per direction
                assertArrayEquals(message, tcpRoundTrip(ExampleSupport.loopback(ports.get(i)), message));
                bytes += message.length;
            }
            assertEquals(5, proxy.connections());
            assertEquals(5, backend.connections(), "every proxied connection reached the backend");
            assertEquals(bytes, backend.bytesEchoed());

            proxy.close();
            Await.assertEventually(0, () -> pool.statistics().leased(), "the listeners' ports went back to the pool");
            backend.close();
        } finally {
            pool.close();
        }
        assertTrue(pool.isClosed());
    }

    @Test
    void concurrentConnectionsOnOneListenerStaySeparate() throws Exception {
        ReservationPool pool = ReservationPool.builder(provider, Protocol.TCP).blockSize(4).build();
        try (RuntimeReservation backendPorts = provider.acquire(Protocol.TCP, 1)) {
            TcpEchoServer backend = TcpEchoServer.start(group, backendPorts, ExampleSupport.loopback(0));
            TcpProxy proxy = TcpProxy.start(group, pool, 1, backend.localAddress());
            List<Socket> clients = new ArrayList<>();
            try {
                for (int i = 0; i < 8; i++) {
                    Socket s = new Socket(ExampleTestSupport.LOOPBACK, proxy.ports().get(0));
                    s.setSoTimeout(5_000);
                    clients.add(s);
                }
                for (int round = 0; round < 3; round++) {
                    for (int i = 0; i < clients.size(); i++) {
                        byte[] m = pattern(1000 + i, round * 10 + i);
                        clients.get(i).getOutputStream().write(m);
                        assertArrayEquals(m, readFully(clients.get(i).getInputStream(), m.length));
                    }
                }
            } finally {
                for (Socket s : clients) {
                    s.close();
                }
            }
            proxy.close();
            backend.close();
        } finally {
            pool.close();
        }
    }

    @Test
    void aHalfCloseIsPassedOnAndTheAnswerStillArrives() throws Exception {
        ReservationPool pool = ReservationPool.builder(provider, Protocol.TCP).blockSize(1).build();
        try (RuntimeReservation backendPorts = provider.acquire(Protocol.TCP, 1)) {
            TcpEchoServer backend = TcpEchoServer.start(group, backendPorts, ExampleSupport.loopback(0));
            TcpProxy proxy = TcpProxy.start(group, pool, 1, backend.localAddress());
            byte[] m = pattern(50_000, 3);
            try (Socket s = new Socket(ExampleTestSupport.LOOPBACK, proxy.ports().get(0))) {
                s.setSoTimeout(5_000);
                s.getOutputStream().write(m);
                s.shutdownOutput(); // "I am done sending": the backend sees EOF, echoes, closes
                assertArrayEquals(m, s.getInputStream().readAllBytes(), "the whole echo, then EOF");
            }
            proxy.close();
            backend.close();
        } finally {
            pool.close();
        }
    }

    @Test
    void aPoolThatCannotHoldAllListenersOpensNoneAndKeepsNoLease() throws Exception {
        ReservationPool pool = ReservationPool.builder(provider, Protocol.TCP).blockSize(2).maxBlocks(1).build();
        try {
            PortReservationException e = assertThrows(PortReservationException.class,
                    () -> TcpProxy.start(group, pool, 3, ExampleSupport.loopback(9)));
            assertEquals(PortReservationException.Reason.EXHAUSTED, e.reason());
            Await.assertEventually(0, () -> pool.statistics().leased(), "the two listeners opened first were closed");
        } finally {
            pool.close();
        }
    }

    @Test
    void logOptionLogsEachListenersBindAndEveryAcceptedConnection() throws Exception {
        ExampleSupport.useJdkLogging(); // as the example's main: Netty logs through java.util.logging
        Logger jul = Logger.getLogger(TcpProxy.class.getName());
        List<String> messages = new CopyOnWriteArrayList<>();
        Handler capture = new Handler() {
            @Override
            public void publish(LogRecord record) {
                if (record.getLevel() == Level.INFO) {
                    messages.add(record.getMessage());
                }
            }

            @Override
            public void flush() {
            }

            @Override
            public void close() {
            }
        };
        jul.addHandler(capture);
        ReservationPool pool = ReservationPool.builder(provider, Protocol.TCP).blockSize(2).build();
        try (RuntimeReservation backendPorts = provider.acquire(Protocol.TCP, 1)) {
            TcpEchoServer backend = TcpEchoServer.start(group, backendPorts, ExampleSupport.loopback(0));
            TcpProxy proxy = TcpProxy.start(group, pool, 2, backend.localAddress(), true);
            for (int port : proxy.ports()) {
                String listener = ", L:/127.0.0.1:" + port + "]";
                Await.assertEventually(true, () -> messages.stream().anyMatch(m -> m.endsWith(listener + " ACTIVE")),
                        "the listener on " + port + " is logged active: " + messages); // fired after bind() completes
                byte[] message = pattern(100, port);
                assertArrayEquals(message, tcpRoundTrip(ExampleSupport.loopback(port), message));
                String accepted = ", L:/127.0.0.1:" + port + " - R:/127.0.0.1:";
                Await.assertEventually(true, () -> messages.stream().anyMatch(m -> m.contains(listener + " READ: [id: 0x")
                        && m.contains(accepted)), "the accepted connection of " + port + " is logged: " + messages);
            }
            proxy.close();
            backend.close();
        } finally {
            jul.removeHandler(capture);
            pool.close();
        }
    }

    private static boolean inside(int port, List<PortRange> ranges) {
        return ranges.stream().anyMatch(r -> r.contains(port));
    }
}
