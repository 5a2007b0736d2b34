package io.github.portreservation.bench;

import io.github.portreservation.PortReservationException;
import io.github.portreservation.PortReservations;
import io.github.portreservation.Protocol;
import io.github.portreservation.RuntimeReservation;
import io.github.portreservation.pool.ReservationPool;
import io.netty.bootstrap.Bootstrap;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.EventLoopGroup;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.concurrent.TimeUnit;

/**
 * B1: create a Netty channel (NIO or Epoll, the {@code transport} parameter), bind it, close it (a TCP server channel,
 * a UDP channel): from a {@link ReservationPool} on the Linux provider (the pool's channel factories, default pool
 * settings: blocks of 64, no cooldown; blocks acquired during warm-up are kept) beside plain Netty channels bound to
 * port 0. The bind and
 * close rate of NIO channels drops about threefold after the first ~30,000 cycles of a JVM, plain and pooled alike:
 * five warm-up seconds pass that point, and ten measured seconds even out the remaining swings. Each invocation runs
 * one plain and one pooled cycle, timed by {@link PairedTimes}: run as separate benchmarks, their scores moved by up
 * to 30 % between forks and within a fork, more than the effect measured; paired, both meet the same conditions.
 */
@State(Scope.Benchmark)
@Fork(3)
@Warmup(iterations = 5, time = 1)
@Measurement(iterations = 10, time = 1)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
public class ChannelBindBenchmark {
    private static final InetSocketAddress ANY_LOOPBACK_PORT =
            new InetSocketAddress(InetAddress.getLoopbackAddress(), 0);
    private static final InetAddress IPV4_LOOPBACK = loopback(new byte[] {127, 0, 0, 1});
    private static final InetAddress IPV6_LOOPBACK =
            loopback(new byte[] {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1});

    /** The transport of every channel of the trial: NIO or EPOLL. */
    @Param({"NIO", "EPOLL"})
    public String transport;

    private EventLoopGroup group;
    private ReservationPool tcpPool;
    private ReservationPool udpPool;
    private ServerBootstrap plainServer;
    private ServerBootstrap pooledServer;
    private ServerBootstrap plainReusePortServer;
    private Bootstrap plainUdp;
    private Bootstrap pooledUdp;
    private RuntimeReservation dualStackBlock;
    /** Binds of the dual-stack pair that found every port of the block held by a closed, lingering socket. */
    private long exhaustedWaits;
    private ServerBootstrap reservedDualStack;

    @Setup
    public void setUp() {
        BenchTransport t = BenchTransport.of(transport);
        group = t.group(1);
        tcpPool = ReservationPool.builder(PortReservations.provider(), Protocol.TCP).keepIdleBlocks().build();
        udpPool = ReservationPool.builder(PortReservations.provider(), Protocol.UDP).keepIdleBlocks().build();
        ChannelInboundHandlerAdapter nothing = new ChannelInboundHandlerAdapter() {
            @Override
            public boolean isSharable() {
                return true;
            }
        };
        plainServer = new ServerBootstrap().group(group).channelFactory(t.plainServer()).childHandler(nothing);
        pooledServer = new ServerBootstrap().group(group).channelFactory(t.reservedServer(tcpPool))
                .childHandler(nothing);
        plainReusePortServer = new ServerBootstrap().group(group).channelFactory(t.plainServer())
                .option(t.reusePort(), Boolean.TRUE).childHandler(nothing);
        plainUdp = new Bootstrap().group(group).channelFactory(t.plainDatagram()).handler(nothing);
        pooledUdp = new Bootstrap().group(group).channelFactory(t.reservedDatagram(udpPool)).handler(nothing);
        dualStackBlock = PortReservations.provider().acquire(Protocol.TCP, 64);
        reservedDualStack = new ServerBootstrap().group(group).channelFactory(t.reservedServer(dualStackBlock))
                .childHandler(nothing);
    }

    @TearDown
    public void tearDown() {
        if (exhaustedWaits > 0) {
            System.out.println("B1 dual-stack pair, " + transport + ": " + exhaustedWaits
                    + " binds waited 1 ms for the reservation's lingering closed sockets");
        }
        group.shutdownGracefully(0, 0, TimeUnit.SECONDS).syncUninterruptibly();
        tcpPool.closeForcibly();
        udpPool.closeForcibly();
        dualStackBlock.close();
    }

    /**
     * A server channel of the pool's factory bound to port 0 (the next free port of the pool), paired with the
     * baseline: a plain server channel of the same transport bound to port 0.
     */
    @Benchmark
    public void serverChannel(PairedTimes times) throws Exception {
        times.pair(() -> cycle(plainServer.bind(ANY_LOOPBACK_PORT)), () -> cycle(pooledServer.bind(ANY_LOOPBACK_PORT)));
    }

    /**
     * Not the library: what SO_REUSEPORT alone costs a plain server channel (one more system call, and the kernel's
     * reuseport group that a listener with the flag joins), paired with the same channel without it. A reserved
     * listener pays this too: the kernel lets it bind beside the placeholder only with SO_REUSEPORT.
     */
    @Benchmark
    public void reusePortFloor(PairedTimes times) throws Exception {
        times.pair(() -> cycle(plainServer.bind(ANY_LOOPBACK_PORT)),
                () -> cycle(plainReusePortServer.bind(ANY_LOOPBACK_PORT)));
    }

    /** A datagram channel of the pool's factory bound to port 0, paired with a plain NIO datagram channel. */
    @Benchmark
    public void datagramChannel(PairedTimes times) throws Exception {
        times.pair(() -> cycle(plainUdp.bind(ANY_LOOPBACK_PORT)), () -> cycle(pooledUdp.bind(ANY_LOOPBACK_PORT)));
    }

    /**
     * A dual-stack pair of listeners on one port (127.0.0.1:p, then [::1]:p) bound from a runtime reservation of 64
     * ports (two sockets of this process on one reserved port), paired with a plain pair: 127.0.0.1:0, then ::1 on the
     * port it got.
     */
    @Benchmark
    public void dualStackServerPair(PairedTimes times) throws Exception {
        times.pair(() -> pairCycle(plainServer), () -> pairCycle(reservedDualStack));
    }

    private void pairCycle(ServerBootstrap server) throws InterruptedException {
        Channel v4 = bindWaitingForLingeringSockets(server, new InetSocketAddress(IPV4_LOOPBACK, 0));
        int port = ((InetSocketAddress) v4.localAddress()).getPort();
        Channel v6 = server.bind(new InetSocketAddress(IPV6_LOOPBACK, port)).syncUninterruptibly().channel();
        v6.close().syncUninterruptibly();
        v4.close().syncUninterruptibly();
    }

    /**
     * Binds, waiting 1 ms and trying again while the reservation is EXHAUSTED (counted, printed at tear-down). A closed
     * NIO listener keeps its socket, still listening, until its event loop's next select; a loop kept busy by this
     * benchmark's stream of binds and closes sometimes runs no select for 64 cycles, and then every port of the
     * reservation belongs to such a socket (docs/netty.md, "The port comes back on every close path"). A user's
     * application meets the same wait; plain binds on port 0 get a new port from the kernel each time.
     */
    private Channel bindWaitingForLingeringSockets(ServerBootstrap server, InetSocketAddress address)
            throws InterruptedException {
        for (int attempt = 1; ; attempt++) {
            ChannelFuture bind = server.bind(address).awaitUninterruptibly();
            if (bind.isSuccess()) {
                return bind.channel();
            }
            Throwable cause = bind.cause();
            if (!(cause instanceof PortReservationException)
                    || ((PortReservationException) cause).reason() != PortReservationException.Reason.EXHAUSTED
                    || attempt == 1000) {
                throw new IllegalStateException("bind to " + address + " failed after " + attempt + " attempts", cause);
            }
            exhaustedWaits++;
            Thread.sleep(1);
        }
    }

    private static InetAddress loopback(byte[] address) {
        try {
            return InetAddress.getByAddress(address);
        } catch (java.net.UnknownHostException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    private static void cycle(ChannelFuture bind) {
        Channel channel = bind.syncUninterruptibly().channel();
        if (((InetSocketAddress) channel.localAddress()).getPort() == 0) {
            throw new IllegalStateException(channel + " was not bound");
        }
        channel.close().syncUninterruptibly();
    }
}
