package io.github.portreservation.bench;

import io.github.portreservation.PortReservations;
import io.github.portreservation.Protocol;
import io.github.portreservation.RuntimeReservation;
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
import io.netty.channel.socket.DatagramPacket;
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
 * B3: echo traffic through a Netty server (NIO or Epoll, the {@code transport} parameter) bound to a reserved port (a Linux runtime reservation of one port: the
 * server shares it with a placeholder socket through SO_REUSEPORT) beside the same server bound to a plain port.
 * TCP: one round = 1 KiB sent on each of 64 connections and the 64 echoes received (64 KiB each way). UDP: one round =
 * 32 datagrams of 1 KiB sent from one client channel and their 32 echoes received.
 *
 * <p>Both servers run side by side on the same event loops, and every invocation runs one round on each, timed by
 * {@link PairedTimes} (run as two separate benchmarks, the later one was 6-10 % slower whichever port kind went
 * first: a drift of the machine larger than the effect measured). The score is pairs of rounds per second; the ratio
 * is {@code plainNanos / reservedNanos} per iteration (reserved throughput over plain).
 */
@Fork(3)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 10, time = 1)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
public class EchoBenchmark {
    static final int MESSAGE = 1024;
    static final int CONNECTIONS = 64;
    static final int DATAGRAMS = 32;
    private static final InetAddress LOOPBACK = InetAddress.getLoopbackAddress();

    /** Netty loops and a reservation of one port, shared by both echo states. */
    @State(Scope.Benchmark)
    public abstract static class Echo {
        EventLoopGroup serverGroup;
        EventLoopGroup clientGroup;
        RuntimeReservation reservation;
        BenchTransport transport;
        final ByteBuf message = Unpooled.unreleasableBuffer(Unpooled.directBuffer(MESSAGE).writeZero(MESSAGE));

        void startLoops(Protocol protocol, String transportName) {
            transport = BenchTransport.of(transportName);
            serverGroup = transport.group(1);
            clientGroup = transport.group(1);
            reservation = PortReservations.provider().acquire(protocol, 1);
        }

        /**
         * The server's loop first: it closes the accepted connections, so that TIME_WAIT stays on the server's port and
         * leaves the clients' ports of the ephemeral range free for the next benchmarks.
         */
        void stop() {
            serverGroup.shutdownGracefully(0, 0, TimeUnit.SECONDS).syncUninterruptibly();
            clientGroup.shutdownGracefully(0, 0, TimeUnit.SECONDS).syncUninterruptibly();
            reservation.close();
        }
    }

    /** Rounds in which a datagram was not echoed within a second (UDP; loopback drops under overload). */
    @State(Scope.Thread)
    @AuxCounters(AuxCounters.Type.EVENTS)
    public static class Losses {
        /** Lossy rounds during this iteration. */
        public long lossyRounds;

        /** Counters restart at every iteration. */
        @Setup(Level.Iteration)
        public void reset() {
            lossyRounds = 0;
        }
    }

    /** One round of echoes; false when some were lost. */
    interface Round {
        boolean run() throws InterruptedException;
    }

    /** A TCP echo server on a plain port and one on a reserved port, each with 64 client connections. */
    @State(Scope.Benchmark)
    public static class Tcp extends Echo {
        /** The transport of servers and clients: NIO or EPOLL. */
        @Param({"NIO", "EPOLL"})
        public String transport;
        TcpSide plain;
        TcpSide reserved;

        @Setup(Level.Trial)
        public void setUp() {
            startLoops(Protocol.TCP, transport);
            plain = new TcpSide(this, new ServerBootstrap().channelFactory(super.transport.plainServer()));
            reserved = new TcpSide(this, new ServerBootstrap()
                    .channelFactory(super.transport.reservedServer(reservation)));
        }

        @TearDown(Level.Trial)
        public void tearDown() {
            stop();
        }
    }

    /** One TCP echo server and its 64 client connections. */
    static final class TcpSide implements Round {
        final List<Channel> clients = new ArrayList<>();
        final ByteBuf message;
        volatile CountDownLatch round;

        TcpSide(Echo echo, ServerBootstrap server) {
            message = echo.message;
            Channel channel = server.group(echo.serverGroup)
                    .childOption(ChannelOption.TCP_NODELAY, true)
                    .childHandler(new TcpEchoHandler())
                    .bind(new InetSocketAddress(LOOPBACK, 0)).syncUninterruptibly().channel();
            Bootstrap c = new Bootstrap().group(echo.clientGroup).channelFactory(echo.transport.plainClient())
                    .option(ChannelOption.TCP_NODELAY, true);
            for (int i = 0; i < CONNECTIONS; i++) {
                c.handler(new TcpClientHandler(this));
                clients.add(c.connect(channel.localAddress()).syncUninterruptibly().channel());
            }
        }

        @Override
        public boolean run() throws InterruptedException {
            CountDownLatch latch = new CountDownLatch(CONNECTIONS);
            round = latch;
            for (Channel ch : clients) {
                ch.writeAndFlush(message.duplicate(), ch.voidPromise());
            }
            latch.await();
            return true;
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
        private final TcpSide side;
        private int received;

        TcpClientHandler(TcpSide side) {
            this.side = side;
        }

        @Override
        protected void channelRead0(ChannelHandlerContext ctx, ByteBuf msg) {
            received += msg.readableBytes();
            while (received >= MESSAGE) {
                received -= MESSAGE;
                side.round.countDown();
            }
        }
    }

    /** A UDP echo server on a plain port and one on a reserved port, each with its client channel. */
    @State(Scope.Benchmark)
    public static class Udp extends Echo {
        /** The transport of servers and clients: NIO or EPOLL. */
        @Param({"NIO", "EPOLL"})
        public String transport;
        UdpSide plain;
        UdpSide reserved;

        @Setup(Level.Trial)
        public void setUp() {
            startLoops(Protocol.UDP, transport);
            plain = new UdpSide(this, new Bootstrap().channelFactory(super.transport.plainDatagram()));
            reserved = new UdpSide(this, new Bootstrap()
                    .channelFactory(super.transport.reservedDatagram(reservation)));
        }

        @TearDown(Level.Trial)
        public void tearDown() {
            stop();
        }
    }

    /** One UDP echo server and its client channel. */
    static final class UdpSide implements Round {
        final Channel client;
        final InetSocketAddress server;
        final ByteBuf message;
        volatile CountDownLatch round;

        UdpSide(Echo echo, Bootstrap server) {
            message = echo.message;
            this.server = (InetSocketAddress) server.group(echo.serverGroup).handler(new UdpEchoHandler())
                    .bind(new InetSocketAddress(LOOPBACK, 0)).syncUninterruptibly().channel().localAddress();
            client = new Bootstrap().group(echo.clientGroup).channelFactory(echo.transport.plainDatagram())
                    .handler(new SimpleChannelInboundHandler<DatagramPacket>() {
                        @Override
                        protected void channelRead0(ChannelHandlerContext ctx, DatagramPacket msg) {
                            round.countDown();
                        }
                    })
                    .bind(new InetSocketAddress(LOOPBACK, 0)).syncUninterruptibly().channel();
        }

        @Override
        public boolean run() throws InterruptedException {
            CountDownLatch latch = new CountDownLatch(DATAGRAMS);
            round = latch;
            for (int i = 0; i < DATAGRAMS; i++) {
                client.write(new DatagramPacket(message.duplicate(), server), client.voidPromise());
            }
            client.flush();
            return latch.await(1, TimeUnit.SECONDS);
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

    /** One TCP round on each server: 1 KiB on each of 64 connections, and the 64 echoes. */
    @Benchmark
    public void tcpEcho(Tcp s, PairedTimes times, Losses losses) throws Exception {
        times.pair(() -> round(s.plain, losses), () -> round(s.reserved, losses));
    }

    /** One UDP round on each server: 32 datagrams of 1 KiB, and their echoes. */
    @Benchmark
    public void udpEcho(Udp s, PairedTimes times, Losses losses) throws Exception {
        times.pair(() -> round(s.plain, losses), () -> round(s.reserved, losses));
    }

    private static void round(Round side, Losses losses) throws InterruptedException {
        if (!side.run()) {
            losses.lossyRounds++;
        }
    }
}
