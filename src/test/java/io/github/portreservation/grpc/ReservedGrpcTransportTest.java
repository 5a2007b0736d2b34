package io.github.portreservation.grpc;

import io.github.portreservation.PortReservationException;
import io.github.portreservation.PortReservationException.Reason;
import io.github.portreservation.PortReservations;
import io.github.portreservation.Protocol;
import io.github.portreservation.RuntimeReservation;
import io.github.portreservation.netty.ReservedChannelFactories;
import io.github.portreservation.pool.ReservationPool;
import io.grpc.Grpc;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.Server;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.ServerInterceptors;
import io.grpc.health.v1.HealthCheckRequest;
import io.grpc.health.v1.HealthCheckResponse;
import io.grpc.health.v1.HealthGrpc;
import io.grpc.netty.NettyChannelBuilder;
import io.grpc.netty.NettyServerBuilder;
import io.grpc.services.HealthStatusManager;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.net.InetSocketAddress;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/** A gRPC server on a reserved port and a gRPC client from reserved source ports, talking the health protocol. */
@Tag("adapters")
class ReservedGrpcTransportTest {
    private RuntimeReservation serverPorts;
    private ReservationPool clientPorts;

    @BeforeEach
    void reserve() {
        assumeTrue(PortReservations.isAvailable(), () -> "no provider: " + PortReservations.unavailabilityCause());
        serverPorts = PortReservations.provider().acquire(Protocol.TCP, 4);
        clientPorts = ReservationPool.builder(PortReservations.provider(), Protocol.TCP).blockSize(4).maxBlocks(1)
                .build();
    }

    @AfterEach
    void release() {
        if (clientPorts != null) {
            clientPorts.close();
        }
        if (serverPorts != null) {
            serverPorts.close();
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"nio", "epoll"})
    void aHealthCheckGoesFromAReservedSourcePortToAReservedServerPort(String kind) throws Exception {
        assumeTrue(kind.equals("nio") || ReservedChannelFactories.isEpollAvailable(), "Epoll is not available");
        Queue<InetSocketAddress> callers = new ConcurrentLinkedQueue<>();
        HealthStatusManager health = new HealthStatusManager();
        try (ReservedGrpcTransport transport = kind.equals("nio") ? ReservedGrpcTransport.nio(2)
                : ReservedGrpcTransport.epoll(2)) {
            assertEquals(kind.equals("epoll"), transport.isEpoll());
            Server server = transport.server(NettyServerBuilder.forAddress(new InetSocketAddress("127.0.0.1", 0)),
                            serverPorts)
                    .addService(ServerInterceptors.intercept(health.getHealthService(), remoteAddressOf(callers)))
                    .build().start();
            ManagedChannel channel = transport.client(NettyChannelBuilder.forAddress("127.0.0.1", server.getPort()),
                    clientPorts).usePlaintext().build();
            try {
                assertTrue(serverPorts.range().contains(server.getPort()), server.getPort() + " in "
                        + serverPorts.range());
                HealthCheckResponse response = HealthGrpc.newBlockingStub(channel)
                        .withDeadlineAfter(10, TimeUnit.SECONDS).check(HealthCheckRequest.getDefaultInstance());
                assertEquals(HealthCheckResponse.ServingStatus.SERVING, response.getStatus());
                assertEquals(1, callers.size(), callers.toString());
                int source = callers.peek().getPort();
                assertTrue(clientPorts.blockRanges().get(0).contains(source), source + " in "
                        + clientPorts.blockRanges());
                assertEquals(1, clientPorts.statistics().leased());
            } finally {
                channel.shutdownNow().awaitTermination(10, TimeUnit.SECONDS);
                server.shutdownNow().awaitTermination(10, TimeUnit.SECONDS);
            }
        }
        assertEquals(4, serverPorts.availablePorts());
    }

    @Test
    void aGenericNettyBuilderIsAcceptedAndAShadedOneIsRefusedNamingTheFix() {
        try (ReservedGrpcTransport transport = ReservedGrpcTransport.nio(1)) {
            io.grpc.ServerBuilder<?> generic = NettyServerBuilder.forPort(0);
            assertSame(generic, transport.server(generic, serverPorts));
            PortReservationException server = assertThrows(PortReservationException.class, () -> transport.server(
                    io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder.forPort(0), serverPorts));
            assertEquals(Reason.UNSUPPORTED, server.reason());
            assertEquals("UNSUPPORTED: gRPC builder io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder is "
                    + "grpc-netty-shaded's: it relocates Netty into io.grpc.netty.shaded.io.netty and takes only "
                    + "relocated channel factories and event loop groups, which no reserved channel is; depend on "
                    + "io.grpc:grpc-netty (unshaded) with your application's Netty instead of grpc-netty-shaded, "
                    + "and build with io.grpc.netty.NettyServerBuilder", server.getMessage());
            PortReservationException client = assertThrows(PortReservationException.class, () -> transport.client(
                    io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder.forAddress("127.0.0.1", 1), clientPorts));
            assertEquals(Reason.UNSUPPORTED, client.reason());
            assertTrue(client.getMessage().endsWith("build with io.grpc.netty.NettyChannelBuilder"),
                    client.getMessage());
        }
    }

    @Test
    void zeroThreadsAreRefused() {
        assertEquals(Reason.INVALID_ARGUMENT, assertThrows(PortReservationException.class,
                () -> ReservedGrpcTransport.nio(0)).reason());
    }

    private static ServerInterceptor remoteAddressOf(Queue<InetSocketAddress> callers) {
        return new ServerInterceptor() {
            @Override
            public <Q, R> ServerCall.Listener<Q> interceptCall(ServerCall<Q, R> call, Metadata headers,
                                                               ServerCallHandler<Q, R> next) {
                callers.add((InetSocketAddress) call.getAttributes().get(Grpc.TRANSPORT_ATTR_REMOTE_ADDR));
                return next.startCall(call, headers);
            }
        };
    }
}
