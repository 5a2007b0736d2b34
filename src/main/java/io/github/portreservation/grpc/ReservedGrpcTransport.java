package io.github.portreservation.grpc;

import io.github.portreservation.PortBinder;
import io.github.portreservation.PortReservationException;
import io.github.portreservation.PortReservationException.Reason;
import io.github.portreservation.netty.ReservedChannelFactories;
import io.grpc.ManagedChannelBuilder;
import io.grpc.ServerBuilder;
import io.grpc.netty.NettyChannelBuilder;
import io.grpc.netty.NettyServerBuilder;
import io.netty.channel.EventLoopGroup;
import io.netty.util.concurrent.Future;

import java.util.concurrent.TimeUnit;

/**
 * gRPC-java over reserved ports (grpc-netty, the unshaded artifact): configures a {@link NettyServerBuilder} to
 * listen on a reserved port and a {@link NettyChannelBuilder} to connect from reserved source ports, each with the
 * matching channel factory <em>and</em> event loop groups (gRPC requires them together), NIO or Epoll. This object
 * owns the groups: close it after the servers and channels built with it have terminated.
 *
 * <pre>{@code
 * try (ReservedGrpcTransport transport = ReservedGrpcTransport.nio(2)) {
 *     Server server = transport.server(NettyServerBuilder.forAddress(new InetSocketAddress("127.0.0.1", 0)), tcp)
 *             .addService(service).build().start();              // server.getPort(): a port of the reservation
 *     ManagedChannel channel = transport.client(NettyChannelBuilder.forAddress("127.0.0.1", server.getPort()),
 *             sourcePorts).usePlaintext().build();
 *     ...
 *     channel.shutdown().awaitTermination(5, SECONDS);
 *     server.shutdown().awaitTermination(5, SECONDS);
 * }
 * }</pre>
 *
 * <p>grpc-netty-shaded relocates Netty into {@code io.grpc.netty.shaded.io.netty}: its builders take only relocated
 * Netty types, which no class of this library is. The {@link ServerBuilder} / {@link ManagedChannelBuilder} variants
 * refuse such builders (and any other transport's) with UNSUPPORTED and the fix: depend on {@code io.grpc:grpc-netty}
 * with the application's Netty.
 */
public final class ReservedGrpcTransport implements AutoCloseable {
    private static final String SHADED_PREFIX = "io.grpc.netty.shaded.";

    private final boolean epoll;
    private final EventLoopGroup boss;
    private final EventLoopGroup workers;

    private ReservedGrpcTransport(boolean epoll, int threads) {
        if (threads < 1) {
            throw PortReservationException.invalidArgument("threads " + threads, "a transport needs at least one "
                    + "event loop thread", "pass 1 or more (e.g. the number of cores)");
        }
        this.epoll = epoll;
        this.boss = epoll ? EpollGroups.create(1) : NioGroups.create(1);
        this.workers = epoll ? EpollGroups.create(threads) : NioGroups.create(threads);
    }

    /** NIO event loop groups: one boss thread and {@code threads} worker threads. */
    public static ReservedGrpcTransport nio(int threads) {
        return new ReservedGrpcTransport(false, threads);
    }

    /**
     * Epoll event loop groups: one boss thread and {@code threads} worker threads.
     *
     * @throws PortReservationException UNSUPPORTED when Epoll is not available (netty-transport-native-epoll)
     */
    public static ReservedGrpcTransport epoll(int threads) {
        if (!ReservedChannelFactories.isEpollAvailable()) {
            throw new PortReservationException(Reason.UNSUPPORTED, "Epoll is not available here: add "
                    + "io.netty:netty-transport-native-epoll with this platform's classifier, or use nio(threads)");
        }
        return new ReservedGrpcTransport(true, threads);
    }

    /** Epoll where it is available, NIO elsewhere. */
    public static ReservedGrpcTransport auto(int threads) {
        return ReservedChannelFactories.isEpollAvailable() ? epoll(threads) : nio(threads);
    }

    /** Whether the groups (and so the channels) are Epoll ones. */
    public boolean isEpoll() {
        return epoll;
    }

    /**
     * Makes {@code builder} listen on a port of {@code ports} (its address's port: 0 for any, or one of the binder's),
     * on this transport's groups.
     */
    public NettyServerBuilder server(NettyServerBuilder builder, PortBinder ports) {
        PortReservationException.checkNotNull(builder, "builder");
        PortReservationException.checkNotNull(ports, "ports");
        return builder.channelFactory(epoll ? ReservedChannelFactories.epollServer(ports)
                        : ReservedChannelFactories.nioServer(ports))
                .bossEventLoopGroup(boss).workerEventLoopGroup(workers);
    }

    /** Makes {@code builder}'s connections leave from source ports of {@code sourcePorts}, on this transport's group. */
    public NettyChannelBuilder client(NettyChannelBuilder builder, PortBinder sourcePorts) {
        PortReservationException.checkNotNull(builder, "builder");
        PortReservationException.checkNotNull(sourcePorts, "sourcePorts");
        return builder.channelFactory(epoll ? ReservedChannelFactories.epollClient(sourcePorts)
                : ReservedChannelFactories.nioClient(sourcePorts)).eventLoopGroup(workers);
    }

    /**
     * {@link #server(NettyServerBuilder, PortBinder)} for a builder obtained generically
     * ({@code ServerBuilder.forPort}, {@code Grpc.newServerBuilderForPort}).
     *
     * @throws PortReservationException UNSUPPORTED for a grpc-netty-shaded or another transport's builder
     */
    public NettyServerBuilder server(ServerBuilder<?> builder, PortBinder ports) {
        return server(requireUnshaded(builder, NettyServerBuilder.class), ports);
    }

    /**
     * {@link #client(NettyChannelBuilder, PortBinder)} for a builder obtained generically
     * ({@code ManagedChannelBuilder.forAddress}, {@code Grpc.newChannelBuilder}).
     *
     * @throws PortReservationException UNSUPPORTED for a grpc-netty-shaded or another transport's builder
     */
    public NettyChannelBuilder client(ManagedChannelBuilder<?> builder, PortBinder sourcePorts) {
        return client(requireUnshaded(builder, NettyChannelBuilder.class), sourcePorts);
    }

    /** Shuts the groups down and waits up to 10 s for them (after the servers and channels on them terminated). */
    @Override
    public void close() {
        Future<?> b = boss.shutdownGracefully(100, 5_000, TimeUnit.MILLISECONDS);
        Future<?> w = workers.shutdownGracefully(100, 5_000, TimeUnit.MILLISECONDS);
        b.awaitUninterruptibly(10, TimeUnit.SECONDS);
        w.awaitUninterruptibly(10, TimeUnit.SECONDS);
    }

    @Override
    public String toString() {
        return "ReservedGrpcTransport[" + (epoll ? "epoll" : "nio") + ", " + workers + "]";
    }

    private static <T> T requireUnshaded(Object builder, Class<T> unshaded) {
        PortReservationException.checkNotNull(builder, "builder");
        if (unshaded.isInstance(builder)) {
            return unshaded.cast(builder);
        }
        String name = builder.getClass().getName();
        if (name.startsWith(SHADED_PREFIX)) {
            throw new PortReservationException(Reason.UNSUPPORTED, "gRPC builder " + name + " is grpc-netty-shaded's: "
                    + "it relocates Netty into io.grpc.netty.shaded.io.netty and takes only relocated channel "
                    + "factories and event loop groups, which no reserved channel is; depend on io.grpc:grpc-netty "
                    + "(unshaded) with your application's Netty instead of grpc-netty-shaded, and build with "
                    + unshaded.getName());
        }
        throw new PortReservationException(Reason.UNSUPPORTED, "gRPC builder " + name + " is not a "
                + unshaded.getName() + ": only grpc-netty's transport can bind reserved ports; build with "
                + unshaded.getSimpleName() + ".forAddress(...) (io.grpc:grpc-netty)");
    }
}
