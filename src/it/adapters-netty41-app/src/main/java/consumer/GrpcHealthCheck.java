package consumer;

import io.github.portreservation.PortReservations;
import io.github.portreservation.Protocol;
import io.github.portreservation.RuntimeReservation;
import io.github.portreservation.grpc.ReservedGrpcTransport;
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
import io.grpc.health.v1.HealthCheckResponse.ServingStatus;
import io.grpc.health.v1.HealthGrpc;
import io.grpc.netty.NettyChannelBuilder;
import io.grpc.netty.NettyServerBuilder;
import io.grpc.protobuf.services.HealthStatusManager;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;

import static consumer.ReservedEcho.check;

/** A gRPC health check through {@code ReservedGrpcTransport}: reserved server port, reserved source port. */
final class GrpcHealthCheck {
    private GrpcHealthCheck() {
    }

    /** Serves the health service on a 4-port reservation and calls it over a pool's source port; returns the ports. */
    static String overReservedPorts(boolean epoll) throws Exception {
        List<SocketAddress> callers = new CopyOnWriteArrayList<>();
        try (RuntimeReservation serverPorts = PortReservations.provider().acquire(Protocol.TCP, 4);
             ReservationPool sourcePorts = ReservationPool.builder(PortReservations.provider(), Protocol.TCP)
                     .blockSize(4).maxBlocks(1).build();
             ReservedGrpcTransport transport = epoll ? ReservedGrpcTransport.epoll(1) : ReservedGrpcTransport.nio(1)) {
            check(transport.isEpoll() == epoll, transport + " is Epoll: " + epoll);
            Server server = transport.server(NettyServerBuilder.forAddress(
                            new InetSocketAddress(InetAddress.getLoopbackAddress(), 0)), serverPorts)
                    .addService(ServerInterceptors.intercept(new HealthStatusManager().getHealthService(),
                            recordingCallers(callers)))
                    .build().start();
            try {
                return call(transport, server.getPort(), serverPorts, sourcePorts, callers);
            } finally {
                server.shutdownNow().awaitTermination(10, TimeUnit.SECONDS);
            }
        }
    }

    private static String call(ReservedGrpcTransport transport, int port, RuntimeReservation serverPorts,
                               ReservationPool sourcePorts, List<SocketAddress> callers) throws Exception {
        check(serverPorts.range().contains(port), "gRPC server port " + port + " in " + serverPorts.range());
        check(serverPorts.boundPorts() == 1, "one bound port of " + serverPorts.range() + ": "
                + serverPorts.boundPorts());
        ManagedChannel channel = transport.client(NettyChannelBuilder.forAddress(
                new InetSocketAddress(InetAddress.getLoopbackAddress(), port)), sourcePorts).usePlaintext().build();
        try {
            ServingStatus status = HealthGrpc.newBlockingStub(channel).withDeadlineAfter(10, TimeUnit.SECONDS)
                    .check(HealthCheckRequest.getDefaultInstance()).getStatus();
            check(status == ServingStatus.SERVING, "health status SERVING: " + status);
            check(callers.size() == 1, "one call: " + callers);
            int source = ((InetSocketAddress) callers.get(0)).getPort();
            check(sourcePorts.blockRanges().get(0).contains(source), "gRPC source port " + source + " in "
                    + sourcePorts.blockRanges());
            return (transport.isEpoll() ? "Epoll" : "NIO") + " health check SERVING from reserved source port "
                    + source + " to reserved port " + port + " of " + serverPorts.range();
        } finally {
            channel.shutdownNow().awaitTermination(10, TimeUnit.SECONDS);
        }
    }

    /** Records the remote address of every call (the client's source port). */
    private static ServerInterceptor recordingCallers(List<SocketAddress> callers) {
        return new ServerInterceptor() {
            @Override
            public <Q, R> ServerCall.Listener<Q> interceptCall(ServerCall<Q, R> call, Metadata headers,
                                                               ServerCallHandler<Q, R> next) {
                callers.add(call.getAttributes().get(Grpc.TRANSPORT_ATTR_REMOTE_ADDR));
                return next.startCall(call, headers);
            }
        };
    }
}
