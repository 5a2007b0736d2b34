package consumer;

import io.github.portreservation.PortReservations;
import io.github.portreservation.Protocol;
import io.github.portreservation.RuntimeReservation;
import io.github.portreservation.netty.ReservedChannels;
import io.github.portreservation.pool.ReservationPool;
import io.github.portreservation.reactor.ReservedLoopResources;
import reactor.core.publisher.Mono;
import reactor.netty.DisposableServer;
import reactor.netty.http.client.HttpClient;
import reactor.netty.http.server.HttpServer;
import reactor.netty.resources.ConnectionProvider;
import reactor.netty.resources.LoopResources;

import java.time.Duration;
import java.util.Set;

import static consumer.ReservedEcho.check;

/** A Reactor Netty HttpClient request to an HttpServer through {@code ReservedLoopResources}, both sides reserved. */
final class ReactorHttpRequest {
    private static final Duration TIMEOUT = Duration.ofSeconds(10);

    private ReactorHttpRequest() {
    }

    /**
     * Serves on a 4-port reservation, requests from a pool's source port (the server answers the port it sees);
     * returns the ports.
     */
    static String overReservedPorts(boolean epoll) throws Exception {
        LoopResources plain = LoopResources.create("adapters41", 1, true);
        try (RuntimeReservation serverPorts = PortReservations.provider().acquire(Protocol.TCP, 4);
             ReservationPool sourcePorts = ReservationPool.builder(PortReservations.provider(), Protocol.TCP)
                     .blockSize(4).maxBlocks(1).build()) {
            ReservedLoopResources loops = ReservedLoopResources.builder(plain).servers(serverPorts)
                    .clients(sourcePorts).build();
            DisposableServer server = HttpServer.create().runOn(loops, epoll).host("127.0.0.1").port(0)
                    .handle((req, res) -> res.sendString(Mono.just(String.valueOf(req.remoteAddress().getPort()))))
                    .bindNow(TIMEOUT);
            try {
                return request(loops, epoll, server, serverPorts, sourcePorts);
            } finally {
                server.disposeNow(TIMEOUT);
            }
        } finally {
            plain.disposeLater(Duration.ZERO, TIMEOUT).block(TIMEOUT.multipliedBy(2));
        }
    }

    private static String request(ReservedLoopResources loops, boolean epoll, DisposableServer server,
                                  RuntimeReservation serverPorts, ReservationPool sourcePorts) {
        int port = server.port();
        check(serverPorts.range().contains(port), "HttpServer port " + port + " in " + serverPorts.range());
        check(ReservedChannels.requireReserved(server.channel()).port() == port, "the server channel's binding");
        check(loops.boundServerPorts().equals(Set.of(port)), "bound server ports " + loops.boundServerPorts());
        String serverClass = server.channel().getClass().getSimpleName();
        check(serverClass.equals(epoll ? "EpollServerSocketChannel" : "ReservedNioServerSocketChannel"),
                "the server channel of " + (epoll ? "Epoll" : "NIO") + ": " + serverClass);
        ConnectionProvider oneConnection = ConnectionProvider.newConnection();
        try {
            String answer = HttpClient.create(oneConnection).runOn(loops, epoll).get()
                    .uri("http://127.0.0.1:" + port + "/").responseContent().aggregate().asString().block(TIMEOUT);
            int source = Integer.parseInt(answer);
            check(sourcePorts.blockRanges().get(0).contains(source), "HttpClient source port " + source + " in "
                    + sourcePorts.blockRanges());
            return (epoll ? "Epoll" : "NIO") + " HTTP request from reserved source port " + source
                    + " to reserved port " + port + " of " + serverPorts.range();
        } finally {
            oneConnection.disposeLater().block(TIMEOUT);
        }
    }
}
