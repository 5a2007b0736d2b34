package io.github.portreservation.bench;

import io.github.portreservation.PortReservations;
import io.github.portreservation.Protocol;
import io.github.portreservation.netty.ReservedChannelFactories;
import io.github.portreservation.pool.ReservationPool;
import io.netty.bootstrap.Bootstrap;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.nio.NioEventLoopGroup;
import io.netty.channel.socket.nio.NioDatagramChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.concurrent.TimeUnit;

/**
 * B1: create a Netty NIO channel, bind it, close it (a TCP server channel, a UDP channel): from a
 * {@link ReservationPool} on the Linux provider (the pool's channel factories, default pool settings: blocks of 64,
 * no cooldown; blocks acquired during warm-up are kept) beside plain Netty channels bound to port 0. The bind and
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
    private static final InetSocketAddress ANY_LOOPBACK_PORT = new InetSocketAddress(InetAddress.getLoopbackAddress(), 0);

    private EventLoopGroup group;
    private ReservationPool tcpPool;
    private ReservationPool udpPool;
    private ServerBootstrap plainServer;
    private ServerBootstrap pooledServer;
    private Bootstrap plainUdp;
    private Bootstrap pooledUdp;

    @Setup
    @SuppressWarnings("deprecation") // NioEventLoopGroup: the group present in both Netty 4.1 and 4.2
    public void setUp() {
        group = new NioEventLoopGroup(1);
        tcpPool = ReservationPool.builder(PortReservations.provider(), Protocol.TCP).keepIdleBlocks().build();
        udpPool = ReservationPool.builder(PortReservations.provider(), Protocol.UDP).keepIdleBlocks().build();
        ChannelInboundHandlerAdapter nothing = new ChannelInboundHandlerAdapter() {
            @Override
            public boolean isSharable() {
                return true;
            }
        };
        plainServer = new ServerBootstrap().group(group).channel(NioServerSocketChannel.class).childHandler(nothing);
        pooledServer = new ServerBootstrap().group(group).channelFactory(ReservedChannelFactories.nioServer(tcpPool))
                .childHandler(nothing);
        plainUdp = new Bootstrap().group(group).channel(NioDatagramChannel.class).handler(nothing);
        pooledUdp = new Bootstrap().group(group).channelFactory(ReservedChannelFactories.nioDatagram(udpPool)).handler(nothing);
    }

    @TearDown
    public void tearDown() {
        group.shutdownGracefully(0, 0, TimeUnit.SECONDS).syncUninterruptibly();
        tcpPool.closeForcibly();
        udpPool.closeForcibly();
    }

    /**
     * A server channel of the pool's factory bound to port 0 (the next free port of the pool), paired with the baseline:
     * a plain NIO server channel bound to port 0.
     */
    @Benchmark
    public void serverChannel(PairedTimes times) throws Exception {
        times.pair(() -> cycle(plainServer.bind(ANY_LOOPBACK_PORT)), () -> cycle(pooledServer.bind(ANY_LOOPBACK_PORT)));
    }

    /** A datagram channel of the pool's factory bound to port 0, paired with a plain NIO datagram channel. */
    @Benchmark
    public void datagramChannel(PairedTimes times) throws Exception {
        times.pair(() -> cycle(plainUdp.bind(ANY_LOOPBACK_PORT)), () -> cycle(pooledUdp.bind(ANY_LOOPBACK_PORT)));
    }

    private static void cycle(ChannelFuture bind) {
        Channel channel = bind.syncUninterruptibly().channel();
        if (((InetSocketAddress) channel.localAddress()).getPort() == 0) {
            throw new IllegalStateException(channel + " was not bound");
        }
        channel.close().syncUninterruptibly();
    }
}
