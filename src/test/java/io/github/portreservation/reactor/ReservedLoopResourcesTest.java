package io.github.portreservation.reactor;

import io.github.portreservation.PortReservationException;
import io.github.portreservation.PortReservationException.Reason;
import io.github.portreservation.PortReservations;
import io.github.portreservation.Protocol;
import io.github.portreservation.RuntimeReservation;
import io.github.portreservation.netty.ReservedChannelFactories;
import io.github.portreservation.netty.ReservedChannels;
import io.github.portreservation.pool.ReservationPool;
import io.github.portreservation.testing.ExternalProcess;
import io.netty.channel.socket.DatagramChannel;
import io.netty.channel.socket.ServerSocketChannel;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import reactor.core.publisher.Mono;
import reactor.netty.Connection;
import reactor.netty.DisposableServer;
import reactor.netty.http.client.HttpClient;
import reactor.netty.http.server.HttpServer;
import reactor.netty.resources.ConnectionProvider;
import reactor.netty.resources.LoopResources;
import reactor.netty.udp.UdpServer;

import java.net.InetSocketAddress;
import java.time.Duration;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/** Reactor Netty's HttpServer, HttpClient and UdpServer on ReservedLoopResources, driven by HttpClient and curl. */
@Tag("adapters")
class ReservedLoopResourcesTest {
    private static final Duration TIMEOUT = Duration.ofSeconds(10);
    private RuntimeReservation tcp;
    private LoopResources plainLoops;

    @BeforeEach
    void reserve() {
        assumeTrue(PortReservations.isAvailable(), () -> "no provider: " + PortReservations.unavailabilityCause());
        tcp = PortReservations.provider().acquire(Protocol.TCP, 8);
        plainLoops = LoopResources.create("reserved-test", 2, true);
    }

    @AfterEach
    void release() {
        if (plainLoops != null) {
            plainLoops.disposeLater(Duration.ZERO, TIMEOUT).block(TIMEOUT.multipliedBy(2));
        }
        if (tcp != null) {
            tcp.close();
        }
    }

    @ParameterizedTest
    @ValueSource(booleans = {false, true})
    void anHttpServerListensOnAReservedPortOfTheGroupsTransport(boolean preferNative) throws Exception {
        assumeTrue(!preferNative || ReservedChannelFactories.isEpollAvailable(), "Epoll is not available here");
        ReservedLoopResources loops = ReservedLoopResources.builder(plainLoops).servers(tcp).build();
        DisposableServer server = HttpServer.create().runOn(loops, preferNative).host("127.0.0.1").port(0)
                .handle((req, res) -> res.sendString(Mono.just("hello " + req.uri()))).bindNow(TIMEOUT);
        try {
            assertTrue(tcp.range().contains(server.port()), server.port() + " in " + tcp.range());
            assertEquals(server.port(), ReservedChannels.requireReserved(server.channel()).port());
            assertEquals(preferNative ? "EpollServerSocketChannel" : "ReservedNioServerSocketChannel",
                    server.channel().getClass().getSimpleName());
            assertEquals(java.util.Set.of(server.port()), loops.boundServerPorts());
            assertEquals("hello /a", get(HttpClient.create(), server.port(), "/a"));
            if (ExternalProcess.isInstalled("curl")) {
                ExternalProcess.Result curl = ExternalProcess.run(30, "curl", "-sS", "--max-time", "10",
                        "http://127.0.0.1:" + server.port() + "/curl");
                assertEquals("exit 0: hello /curl", curl.toString());
            }
        } finally {
            server.disposeNow(TIMEOUT);
        }
        assertEquals(java.util.Set.of(), loops.boundServerPorts());
    }

    @Test
    void aPortOutsideTheReservationFailsTheBind() {
        ReservedLoopResources loops = ReservedLoopResources.builder(plainLoops).servers(tcp).build();
        int outside = tcp.range().end() == 65535 ? tcp.range().start() - 1 : tcp.range().end() + 1;
        Exception e = assertThrows(Exception.class, () -> HttpServer.create().runOn(loops, false).host("127.0.0.1")
                .port(outside).handle((req, res) -> res.sendString(Mono.just("no"))).bindNow(TIMEOUT));
        PortReservationException cause = rootCause(e, PortReservationException.class);
        assertEquals(Reason.OUTSIDE_RESERVATION, cause.reason(), cause.getMessage());
        assertEquals(8, tcp.availablePorts());
    }

    @Test
    void anHttpClientConnectsFromReservedSourcePorts() throws Exception {
        try (ReservationPool clientPorts = ReservationPool.builder(PortReservations.provider(), Protocol.TCP)
                .blockSize(4).maxBlocks(1).build()) {
            ReservedLoopResources loops = ReservedLoopResources.builder(plainLoops).servers(tcp).clients(clientPorts)
                    .build();
            DisposableServer server = HttpServer.create().runOn(loops, false).host("127.0.0.1").port(0)
                    .handle((req, res) -> res.sendString(Mono.just(String.valueOf(req.remoteAddress().getPort()))))
                    .bindNow(TIMEOUT);
            ConnectionProvider oneConnection = ConnectionProvider.newConnection();
            try {
                int source = Integer.parseInt(get(HttpClient.create(oneConnection).runOn(loops, false),
                        server.port(), "/"));
                assertTrue(clientPorts.blockRanges().get(0).contains(source),
                        source + " in " + clientPorts.blockRanges());
            } finally {
                server.disposeNow(TIMEOUT);
                oneConnection.disposeLater().block(TIMEOUT);
            }
        }
    }

    @Test
    void udpChannelsAreReservedOnlyWhenAsked() throws Exception {
        try (RuntimeReservation udp = PortReservations.provider().acquire(Protocol.UDP, 2)) {
            ReservedLoopResources serversOnly = ReservedLoopResources.builder(plainLoops).servers(tcp).build();
            Connection plain = UdpServer.create().runOn(serversOnly, false).host("127.0.0.1").port(0).bindNow(TIMEOUT);
            try {
                assertFalse(ReservedChannels.binding(plain.channel()).isPresent(), "an ordinary UDP channel");
            } finally {
                plain.disposeNow(TIMEOUT);
            }
            ReservedLoopResources withUdp = ReservedLoopResources.builder(plainLoops).datagrams(udp).build();
            Connection reserved = UdpServer.create().runOn(withUdp).host("127.0.0.1").port(0).bindNow(TIMEOUT);
            try {
                int port = ((InetSocketAddress) reserved.channel().localAddress()).getPort();
                assertTrue(udp.range().contains(port), port + " in " + udp.range());
                assertEquals(port, ReservedChannels.requireReserved(reserved.channel()).port());
            } finally {
                reserved.disposeNow(TIMEOUT);
            }
            // Reactor Netty's UDP configs create their NioDatagramChannel themselves when native is not preferred,
            // without asking any LoopResources (docs/integrations.md says so): no reservation there.
            Connection bypassed = UdpServer.create().runOn(withUdp, false).host("127.0.0.1").port(0)
                    .bindNow(TIMEOUT);
            try {
                assertFalse(ReservedChannels.binding(bypassed.channel()).isPresent(), "runOn(loops, false) for UDP");
            } finally {
                bypassed.disposeNow(TIMEOUT);
            }
        }
    }

    @Test
    void theResolversDatagramChannelsAreReservedOnlyWhenAsked() throws Exception {
        // Reactor Netty's NameResolverProvider asks the client's LoopResources for its DNS channels with exactly
        // this call: loop.onChannel(DatagramChannel.class, group).
        try (RuntimeReservation udp = PortReservations.provider().acquire(Protocol.UDP, 2)) {
            io.netty.channel.EventLoopGroup group = plainLoops.onClient(false);
            DatagramChannel plain = ReservedLoopResources.builder(plainLoops).servers(tcp).clients(tcp).build()
                    .onChannel(DatagramChannel.class, group);
            assertEquals("NioDatagramChannel", plain.getClass().getSimpleName());
            assertEquals(null, plain.pipeline().get("portReservation"), "a plain resolver channel");
            DatagramChannel reserved = ReservedLoopResources.builder(plainLoops).datagrams(udp).build()
                    .onChannel(DatagramChannel.class, group);
            assertTrue(reserved.pipeline().get("portReservation") != null, reserved.pipeline().names().toString());
            group.register(reserved).sync();
            reserved.bind(new InetSocketAddress("127.0.0.1", 0)).sync();
            assertTrue(udp.range().contains(((InetSocketAddress) reserved.localAddress()).getPort()));
            reserved.close().sync();
            plain.unsafe().closeForcibly();
        }
    }

    @Test
    void reservedKindsHaveNoReflectiveClassAndEmptyBuildersAreRefused() {
        ReservedLoopResources loops = ReservedLoopResources.builder(plainLoops).servers(tcp).build();
        PortReservationException e = assertThrows(PortReservationException.class,
                () -> loops.onChannelClass(ServerSocketChannel.class, plainLoops.onServer(false)));
        assertEquals(Reason.UNSUPPORTED, e.reason());
        assertSame(plainLoops.onChannelClass(DatagramChannel.class, plainLoops.onServer(false)),
                loops.onChannelClass(DatagramChannel.class, plainLoops.onServer(false)));
        assertEquals(Reason.INVALID_ARGUMENT, assertThrows(PortReservationException.class,
                () -> ReservedLoopResources.builder(plainLoops).build()).reason());
    }

    static String get(HttpClient client, int port, String path) {
        return client.get().uri("http://127.0.0.1:" + port + path).responseContent().aggregate().asString()
                .block(TIMEOUT);
    }

    static <T extends Throwable> T rootCause(Throwable t, Class<T> type) {
        for (Throwable c = t; c != null; c = c.getCause()) {
            if (type.isInstance(c)) {
                return type.cast(c);
            }
        }
        return assertInstanceOf(type, t);
    }
}
