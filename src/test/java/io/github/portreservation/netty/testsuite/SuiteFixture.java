package io.github.portreservation.netty.testsuite;

import io.github.portreservation.PortBinding;
import io.github.portreservation.PortRange;
import io.github.portreservation.PortReservationProvider;
import io.github.portreservation.PortReservations;
import io.github.portreservation.Protocol;
import io.github.portreservation.RuntimeReservation;
import io.github.portreservation.netty.ReservationChannelOption;
import io.github.portreservation.netty.ReservedChannelFactories;
import io.github.portreservation.netty.ReservedChannels;
import io.github.portreservation.pool.ReservationPool;
import io.github.portreservation.testing.Await;
import io.netty.bootstrap.AbstractBootstrap;
import io.netty.bootstrap.Bootstrap;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.PooledByteBufAllocator;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFactory;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.epoll.EpollDatagramChannel;
import io.netty.channel.epoll.EpollServerSocketChannel;
import io.netty.channel.epoll.EpollSocketChannel;
import io.netty.channel.socket.InternetProtocolFamily;
import io.netty.channel.socket.nio.NioDatagramChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.channel.socket.nio.NioSocketChannel;
import io.netty.testsuite.transport.TestsuitePermutation.BootstrapComboFactory;
import io.netty.testsuite.transport.TestsuitePermutation.BootstrapFactory;

import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

/**
 * One permutation's bootstraps, in the role of Netty's {@code SocketTestPermutation}: the test classes of
 * {@link NettySuiteClasses} take their factories from {@link #current()}. Unlike Netty's, which crosses every server
 * factory with every client factory, a permutation has one server, one client and one datagram factory, so each test
 * runs once per permutation and its result is that permutation's.
 *
 * <p>A reserved permutation holds one TCP and one UDP reservation (or pool) for its whole run; servers and clients
 * share the TCP one, as a user's servers and clients of one process would. Every channel its factories make is kept,
 * to check afterwards that each bound one has a port of the reservation and each closed one gave its port back.
 */
final class SuiteFixture implements AutoCloseable {
    /** Ports per reservation: Netty's tests open a few channels at a time, but TIME_WAIT holds 4-tuples for 60 s. */
    static final int TCP_PORTS = 1024;
    static final int UDP_PORTS = 256;
    /** Pool: blocks of this many ports, at most {@link #POOL_BLOCKS} of them. */
    static final int POOL_BLOCK_SIZE = 128;
    static final int POOL_BLOCKS = 8;
    /** Netty's testsuite uses 4 event loop threads per transport. */
    private static final int THREADS = 4;

    private static volatile SuiteFixture current;
    private static EventLoopGroup nioGroup;
    private static EventLoopGroup epollGroup;

    final Permutation permutation;
    private final EventLoopGroup group;
    private final RuntimeReservation tcp;
    private final RuntimeReservation udp;
    private final ReservationPool tcpPool;
    private final ReservationPool udpPool;
    private final Queue<Channel> reservedChannels = new ConcurrentLinkedQueue<>();

    private SuiteFixture(Permutation permutation) {
        this.permutation = permutation;
        this.group = permutation.isEpoll() ? epollGroup() : nioGroup();
        PortReservationProvider provider = permutation.isStock() ? null : PortReservations.provider();
        boolean pool = permutation == Permutation.NIO_POOL;
        boolean reservation = !permutation.isStock() && !pool;
        this.tcp = reservation ? provider.acquire(Protocol.TCP, TCP_PORTS) : null;
        this.udp = reservation ? provider.acquire(Protocol.UDP, UDP_PORTS) : null;
        this.tcpPool = pool ? ReservationPool.builder(provider, Protocol.TCP).blockSize(POOL_BLOCK_SIZE)
                .maxBlocks(POOL_BLOCKS).build() : null;
        this.udpPool = pool ? ReservationPool.builder(provider, Protocol.UDP).blockSize(POOL_BLOCK_SIZE)
                .maxBlocks(POOL_BLOCKS).build() : null;
    }

    /** Makes {@code permutation} the current one; {@link #close()} ends it. */
    static synchronized SuiteFixture start(Permutation permutation) {
        if (current != null) {
            throw new IllegalStateException("permutation " + current.permutation + " still running");
        }
        current = new SuiteFixture(permutation);
        return current;
    }

    static SuiteFixture current() {
        SuiteFixture fixture = current;
        if (fixture == null) {
            throw new IllegalStateException("no permutation is running: run these classes through NamespaceSuiteRun");
        }
        return fixture;
    }

    // --- what Netty's SocketTestPermutation offers, for this permutation ---

    List<BootstrapComboFactory<ServerBootstrap, Bootstrap>> socket() {
        return combo(this::newServer, this::newClient);
    }

    List<BootstrapFactory<ServerBootstrap>> serverSocket() {
        return Collections.singletonList(this::newServer);
    }

    List<BootstrapFactory<Bootstrap>> clientSocket() {
        return Collections.singletonList(this::newClient);
    }

    /** Datagram bootstraps without a protocol family, as {@code SocketTestPermutation.datagramSocket()}. */
    List<BootstrapFactory<Bootstrap>> datagramSocket() {
        return Collections.singletonList(() -> newDatagram(null));
    }

    /**
     * Datagram pairs for a test of one protocol family: stock channels are opened for that family, as Netty's
     * {@code datagram(family)}; the library's datagram factories take no family (dual-stack sockets), so the
     * reserved ones are the same for both.
     */
    List<BootstrapComboFactory<Bootstrap, Bootstrap>> datagram(boolean ipv6) {
        InternetProtocolFamily family = ipv6 ? InternetProtocolFamily.IPv6 : InternetProtocolFamily.IPv4;
        return combo(() -> newDatagram(family), () -> newDatagram(family));
    }

    /**
     * One allocator instead of Netty's two (4.2: pooled, adaptive) or three (4.1: also unpooled): the allocator has
     * nothing to do with how a channel binds, and each one repeats every test.
     */
    List<ByteBufAllocator> allocators() {
        return Collections.singletonList(PooledByteBufAllocator.DEFAULT);
    }

    // --- the bootstraps ---

    private ServerBootstrap newServer() {
        ServerBootstrap b = new ServerBootstrap().group(group);
        switch (permutation) {
            case STOCK_NIO:
                return b.channel(NioServerSocketChannel.class);
            case STOCK_EPOLL:
                return b.channel(EpollServerSocketChannel.class);
            case NIO_OPTION:
                return b.channelFactory(kept(ReservedChannelFactories.nioServer()))
                        .option(ReservationChannelOption.RESERVATION_TOKEN, tcp.token());
            case NIO_POOL:
                return b.channelFactory(kept(ReservedChannelFactories.nioServer(tcpPool)));
            case EPOLL_RESERVED:
                return b.channelFactory(kept(ReservedChannelFactories.epollServer(tcp)));
            default:
                throw new AssertionError(permutation);
        }
    }

    private Bootstrap newClient() {
        Bootstrap b = new Bootstrap().group(group);
        switch (permutation) {
            case STOCK_NIO:
                return b.channel(NioSocketChannel.class);
            case STOCK_EPOLL:
                return b.channel(EpollSocketChannel.class);
            case NIO_OPTION:
                return b.channelFactory(kept(ReservedChannelFactories.nioClient()))
                        .option(ReservationChannelOption.RESERVATION_TOKEN, tcp.token());
            case NIO_POOL:
                return b.channelFactory(kept(ReservedChannelFactories.nioClient(tcpPool)));
            case EPOLL_RESERVED:
                return b.channelFactory(kept(ReservedChannelFactories.epollClient(tcp)));
            default:
                throw new AssertionError(permutation);
        }
    }

    @SuppressWarnings("deprecation") // InternetProtocolFamily: the constructor both Netty lines have
    private Bootstrap newDatagram(InternetProtocolFamily family) {
        Bootstrap b = new Bootstrap().group(group);
        switch (permutation) {
            case STOCK_NIO:
                return family == null ? b.channel(NioDatagramChannel.class)
                        : b.channelFactory(named(() -> new NioDatagramChannel(family), "NioDatagramChannel(" + family + ")"));
            case STOCK_EPOLL:
                return family == null ? b.channel(EpollDatagramChannel.class)
                        : b.channelFactory(named(() -> new EpollDatagramChannel(family),
                                "EpollDatagramChannel(" + family + ")"));
            case NIO_OPTION:
                return b.channelFactory(kept(ReservedChannelFactories.nioDatagram()))
                        .attr(ReservationChannelOption.RESERVATION, udp.token());
            case NIO_POOL:
                return b.channelFactory(kept(ReservedChannelFactories.nioDatagram(udpPool)));
            case EPOLL_RESERVED:
                return b.channelFactory(kept(ReservedChannelFactories.epollDatagram(udp)));
            default:
                throw new AssertionError(permutation);
        }
    }

    private static <A extends AbstractBootstrap<?, ?>, B extends AbstractBootstrap<?, ?>>
    List<BootstrapComboFactory<A, B>> combo(Supplier<A> server, Supplier<B> client) {
        return Collections.singletonList(new BootstrapComboFactory<A, B>() {
            @Override
            public A newServerInstance() {
                return server.get();
            }

            @Override
            public B newClientInstance() {
                return client.get();
            }
        });
    }

    /** The library's factory, keeping every channel it makes (Netty's tests print the factory: keep its name). */
    private <C extends Channel> ChannelFactory<C> kept(ChannelFactory<C> factory) {
        return named(() -> {
            C channel = factory.newChannel();
            reservedChannels.add(channel);
            return channel;
        }, factory.toString());
    }

    private static <C extends Channel> ChannelFactory<C> named(Supplier<C> supplier, String name) {
        return new ChannelFactory<C>() {
            @Override
            public C newChannel() {
                return supplier.get();
            }

            @Override
            public String toString() {
                return name;
            }
        };
    }

    // --- after the run ---

    /** How many channels the library's factories made in this permutation. */
    int reservedChannelCount() {
        return reservedChannels.size();
    }

    /**
     * Channels whose local address Netty still knows (it caches the address once asked) and whose port is outside
     * the permutation's reservations; for a pool the blocks change as it grows, so only runtime reservations are
     * checked. "checked/outside" as text for the report.
     */
    String portCheck() {
        if (tcp == null) {
            return "not checked";
        }
        int checked = 0;
        List<String> outside = new ArrayList<>();
        for (Channel channel : reservedChannels) {
            SocketAddress local = channel.localAddress();
            if (!(local instanceof InetSocketAddress) || ((InetSocketAddress) local).getPort() == 0) {
                continue;
            }
            int port = ((InetSocketAddress) local).getPort();
            PortRange range = channel instanceof io.netty.channel.socket.DatagramChannel ? udp.range() : tcp.range();
            checked++;
            if (!range.contains(port)) {
                outside.add(channel.getClass().getSimpleName() + ":" + port + " not in " + range);
            }
        }
        return checked + " checked, " + outside.size() + " outside" + (outside.isEmpty() ? "" : " " + outside);
    }

    /**
     * Whether the library gave back the port of every reserved channel that Netty's tests closed, on whatever path
     * they closed it: the closed channels whose binding is still active after a bounded wait (a closed NIO socket
     * goes at its loop's next select), as text for the report ("closed holding a port: 0 of N closed"); the
     * channels the tests left open are counted beside.
     */
    String closedChannelsHoldingPorts() throws InterruptedException {
        if (permutation.isStock()) {
            return "closed holding a port: n/a";
        }
        long deadline = System.nanoTime() + Await.TIMEOUT.toNanos();
        List<String> holding = closedHolding();
        while (!holding.isEmpty() && System.nanoTime() < deadline) {
            Thread.sleep(10);
            holding = closedHolding();
        }
        long closed = reservedChannels.stream().filter(c -> !c.isOpen()).count();
        return "closed holding a port: " + holding.size() + " of " + closed + " closed" + (holding.isEmpty() ? ""
                : " " + holding) + "; left open by the tests: " + (reservedChannels.size() - closed);
    }

    /** The closed channels whose binding is still active, with their port. */
    private List<String> closedHolding() {
        List<String> holding = new ArrayList<>();
        for (Channel channel : reservedChannels) {
            if (!channel.isOpen()) {
                ReservedChannels.binding(channel).filter(PortBinding::isActive)
                        .ifPresent(b -> holding.add(channel.getClass().getSimpleName() + ":" + b.port()));
            }
        }
        return holding;
    }

    @Override
    public void close() {
        synchronized (SuiteFixture.class) {
            current = null;
        }
        for (Channel channel : reservedChannels) {
            channel.close().awaitUninterruptibly(5, TimeUnit.SECONDS);
        }
        closeAll(tcp, udp, tcpPool, udpPool);
    }

    private static void closeAll(AutoCloseable... closeables) {
        for (AutoCloseable c : closeables) {
            if (c != null) {
                try {
                    c.close();
                } catch (Exception e) {
                    throw new IllegalStateException("closing " + c, e);
                }
            }
        }
    }

    // --- event loop groups, one per transport for the whole run ---

    private static synchronized EventLoopGroup nioGroup() {
        if (nioGroup == null) {
            nioGroup = newGroup("io.netty.channel.nio.NioIoHandler", "io.netty.channel.nio.NioEventLoopGroup");
        }
        return nioGroup;
    }

    private static synchronized EventLoopGroup epollGroup() {
        if (epollGroup == null) {
            epollGroup = newGroup("io.netty.channel.epoll.EpollIoHandler", "io.netty.channel.epoll.EpollEventLoopGroup");
        }
        return epollGroup;
    }

    static synchronized void shutdownGroups() {
        for (EventLoopGroup g : new EventLoopGroup[] {nioGroup, epollGroup}) {
            if (g != null) {
                g.shutdownGracefully(100, 5000, TimeUnit.MILLISECONDS).syncUninterruptibly();
            }
        }
        nioGroup = null;
        epollGroup = null;
    }

    /** 4.2: {@code MultiThreadIoEventLoopGroup(n, handler.newFactory())}; 4.1: the classic group (by reflection). */
    private static EventLoopGroup newGroup(String ioHandler, String legacyGroup) {
        try {
            Class<?> ioGroup;
            try {
                ioGroup = Class.forName("io.netty.channel.MultiThreadIoEventLoopGroup");
            } catch (ClassNotFoundException netty41) {
                return (EventLoopGroup) Class.forName(legacyGroup).getConstructor(int.class).newInstance(THREADS);
            }
            Object factory = Class.forName(ioHandler).getMethod("newFactory").invoke(null);
            return (EventLoopGroup) ioGroup.getConstructor(int.class, Class.forName("io.netty.channel.IoHandlerFactory"))
                    .newInstance(THREADS, factory);
        } catch (ReflectiveOperationException e) {
            throw new AssertionError("cannot create an event loop group (" + ioHandler + ")", e);
        }
    }
}
