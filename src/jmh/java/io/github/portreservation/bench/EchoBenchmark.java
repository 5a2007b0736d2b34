package io.github.portreservation.bench;

import io.github.portreservation.PortReservations;
import io.github.portreservation.Protocol;
import io.github.portreservation.RuntimeReservation;
import io.github.portreservation.netty.ReservedChannelFactories;
import io.netty.bootstrap.Bootstrap;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.nio.NioEventLoopGroup;
import io.netty.channel.socket.DatagramPacket;
import io.netty.channel.socket.nio.NioDatagramChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.channel.socket.nio.NioSocketChannel;
import org.openjdk.jmh.annotations.AuxCounters;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
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
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * B3: echo traffic through a Netty NIO server bound to a reserved port (a Linux runtime reservation of one port: the
 * server shares it with a placeholder socket through SO_REUSEPORT) beside the same server bound to a plain port.
 * TCP: one operation = 1 KiB sent on each of 64 connections and the 64 echoes received (64 KiB each way). UDP: one
 * operation = 32 datagrams of 1 KiB sent from one client channel and their 32 echoes received.
 */
@Fork(1)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 8, time = 1)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
public class EchoBenchmark {
    static final int MESSAGE = 1024;
    static final int CONNECTIONS = 64;
    static final int DATAGRAMS = 32;
    private static final InetAddress LOOPBACK = InetAddress.getLoopbackAddress();

    /** How the server's port was obtained. */
    public enum Port { PLAIN, RESERVED }

    /** Netty loops and the server's port, shared by both echo states. */
    @State(Scope.Benchmark)
    public abstract static class Echo {
        /** Plain port 0, or a reserved port. */
        @Param({"PLAIN", "RESERVED"})
        public Port port;

        EventLoopGroup serverGroup;
        EventLoopGroup clientGroup;
        RuntimeReservation reservation;
        Channel server;
        final ByteBuf message = Unpooled.unreleasableBuffer(Unpooled.directBuffer(MESSAGE).writeZero(MESSAGE));

        @SuppressWarnings("deprecation") // NioEventLoopGroup: present in both Netty 4.1 and 4.2
        void startLoops(Protocol protocol) {
            serverGroup = new NioEventLoopGroup(1);
            clientGroup = new NioEventLoopGroup(1);
            if (port == Port.RESERVED) {
                reservation = PortReservations.provider().acquire(protocol, 1);
            }
        }

        /**
         * The server's loop first: it closes the accepted connections, so that TIME_WAIT stays on the server's port and
         * leaves the clients' ports of the ephemeral range free for the next benchmarks.
         */
        void stop() {
            serverGroup.shutdownGracefully(0, 0, TimeUnit.SECONDS).syncUninterruptibly();
            clientGroup.shutdownGracefully(0, 0, TimeUnit.SECONDS).syncUninterruptibly();
            if (reservation != null) {
                reservation.close();
            }
        }

        InetSocketAddress serverAddress() {
            return (InetSocketAddress) server.localAddress();
        }
    }

    /** A TCP echo server and 64 client connections. */
    @State(Scope.Benchmark)
    public static class Tcp extends Echo {
        final List<Channel> clients = new ArrayList<>();
        volatile CountDownLatch round;

        @Setup(Level.Trial)
        public void setUp() {
            startLoops(Protocol.TCP);
            ServerBootstrap b = new ServerBootstrap().group(serverGroup)
                    .childOption(ChannelOption.TCP_NODELAY, true)
                    .childHandler(new TcpEchoHandler());
            if (reservation != null) {
                b.channelFactory(ReservedChannelFactories.nioServer(reservation));
            } else {
                b.channel(NioServerSocketChannel.class);
            }
            server = b.bind(new InetSocketAddress(LOOPBACK, 0)).syncUninterruptibly().channel();
            Bootstrap c = new Bootstrap().group(clientGroup).channel(NioSocketChannel.class)
                    .option(ChannelOption.TCP_NODELAY, true);
            for (int i = 0; i < CONNECTIONS; i++) {
                c.handler(new TcpClientHandler(this));
                clients.add(c.connect(serverAddress()).syncUninterruptibly().channel());
            }
        }

        @TearDown(Level.Trial)
        public void tearDown() {
            stop();
        }
    }

    /** Echoes what it reads, flushing once per read batch. */
    @ChannelHandler.Sharable
    static final class TcpEchoHandler extends ChannelInboundHandlerAdapter {
        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            ctx.write(msg, ctx.voidPromise());
        }

        @Override
        public void channelReadComplete(ChannelHandlerContext ctx) {
            ctx.flush();
        }
    }

    /** Counts echoed bytes; each full message counts the round's latch down. */
    static final class TcpClientHandler extends SimpleChannelInboundHandler<ByteBuf> {
        private final Tcp state;
        private int received;

        TcpClientHandler(Tcp state) {
            this.state = state;
        }

        @Override
        protected void channelRead0(ChannelHandlerContext ctx, ByteBuf msg) {
            received += msg.readableBytes();
            while (received >= MESSAGE) {
                received -= MESSAGE;
                state.round.countDown();
            }
        }
    }

    /** A UDP echo server and one client channel. */
    @State(Scope.Benchmark)
    public static class Udp extends Echo {
        Channel client;
        volatile CountDownLatch round;

        @Setup(Level.Trial)
        public void setUp() {
            startLoops(Protocol.UDP);
            Bootstrap b = new Bootstrap().group(serverGroup).handler(new UdpEchoHandler());
            if (reservation != null) {
                b.channelFactory(ReservedChannelFactories.nioDatagram(reservation));
            } else {
                b.channel(NioDatagramChannel.class);
            }
            server = b.bind(new InetSocketAddress(LOOPBACK, 0)).syncUninterruptibly().channel();
            client = new Bootstrap().group(clientGroup).channel(NioDatagramChannel.class)
                    .handler(new SimpleChannelInboundHandler<DatagramPacket>() {
                        @Override
                        protected void channelRead0(ChannelHandlerContext ctx, DatagramPacket msg) {
                            round.countDown();
                        }
                    })
                    .bind(new InetSocketAddress(LOOPBACK, 0)).syncUninterruptibly().channel();
        }

        @TearDown(Level.Trial)
        public void tearDown() {
            stop();
        }
    }

    /** Sends each datagram back to its sender. */
    @ChannelHandler.Sharable
    static final class UdpEchoHandler extends SimpleChannelInboundHandler<DatagramPacket> {
        UdpEchoHandler() {
            super(false);
        }

        @Override
        protected void channelRead0(ChannelHandlerContext ctx, DatagramPacket msg) {
            ctx.write(new DatagramPacket(msg.content(), msg.sender()), ctx.voidPromise());
        }

        @Override
        public void channelReadComplete(ChannelHandlerContext ctx) {
            ctx.flush();
        }
    }

    /** Datagrams not echoed within a second (loopback drops under overload); each such round is counted. */
    @State(Scope.Thread)
    @AuxCounters(AuxCounters.Type.EVENTS)
    public static class Losses {
        /** Rounds in which at least one datagram was lost. */
        public long lossyRounds;
    }

    /** 1 KiB on each of 64 TCP connections, and the 64 echoes. */
    @Benchmark
    public void tcpEcho(Tcp s) throws InterruptedException {
        CountDownLatch round = new CountDownLatch(CONNECTIONS);
        s.round = round;
        for (Channel ch : s.clients) {
            ch.writeAndFlush(s.message.duplicate(), ch.voidPromise());
        }
        round.await();
    }

    /** 32 datagrams of 1 KiB to the echo server, and their echoes. */
    @Benchmark
    public void udpEcho(Udp s, Losses losses) throws InterruptedException {
        CountDownLatch round = new CountDownLatch(DATAGRAMS);
        s.round = round;
        InetSocketAddress to = s.serverAddress();
        for (int i = 0; i < DATAGRAMS; i++) {
            s.client.write(new DatagramPacket(s.message.duplicate(), to), s.client.voidPromise());
        }
        s.client.flush();
        if (!round.await(1, TimeUnit.SECONDS)) {
            losses.lossyRounds++;
        }
    }
}
