package io.github.portreservation.examples;

import io.github.portreservation.PortBinder;
import io.github.portreservation.PortReservations;
import io.github.portreservation.Protocol;
import io.github.portreservation.RuntimeReservation;
import io.github.portreservation.ReservationToken;
import io.github.portreservation.netty.ReservationChannelOption;
import io.github.portreservation.netty.ReservedChannelFactories;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.EventLoopGroup;

import java.net.InetSocketAddress;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Example: a TCP echo server whose listening port comes from a reservation (any {@link PortBinder}: a
 * {@link RuntimeReservation}, a pool, a token). Run it with
 * {@code mvn -q test-compile exec:java -Dexec.mainClass=io.github.portreservation.examples.TcpEchoServer
 * -Dexec.classpathScope=test -Dexec.args="--ports 8"}: it reserves 8 TCP ports, echoes on 127.0.0.1 on one of them
 * until Ctrl-C, and nobody else can take that port meanwhile.
 */
public final class TcpEchoServer implements AutoCloseable {
    private final Channel channel;
    private final EchoHandler handler;

    private TcpEchoServer(Channel channel, EchoHandler handler) {
        this.channel = channel;
        this.handler = handler;
    }

    /**
     * Binds an echo server from {@code binder} on {@code local} (port 0 = any port of the reservation) and returns once
     * it listens.
     *
     * @throws io.github.portreservation.PortReservationException when the reservation refuses the bind
     */
    public static TcpEchoServer start(EventLoopGroup group, PortBinder binder, InetSocketAddress local)
            throws InterruptedException {
        EchoHandler handler = new EchoHandler();
        Channel channel = new ServerBootstrap().group(group)
                .channelFactory(ReservedChannelFactories.nioServer(binder))
                .childHandler(handler)
                .bind(local).sync().channel();
        return new TcpEchoServer(channel, handler);
    }

    /**
     * Binds an echo server from the reservation named by {@code token}, passed as the
     * {@link ReservationChannelOption#RESERVATION_TOKEN} channel option (resolved by the default provider at bind
     * time: a runtime reservation of this process, or a persistent one created or looked up through it).
     *
     * @throws io.github.portreservation.PortReservationException when the token or the port is refused
     */
    public static TcpEchoServer start(EventLoopGroup group, ReservationToken token, InetSocketAddress local)
            throws InterruptedException {
        EchoHandler handler = new EchoHandler();
        Channel channel = new ServerBootstrap().group(group)
                .channelFactory(ReservedChannelFactories.nioServer())
                .option(ReservationChannelOption.RESERVATION_TOKEN, token)
                .childHandler(handler)
                .bind(local).sync().channel();
        return new TcpEchoServer(channel, handler);
    }

    /** The port the server listens on (a port of the reservation). */
    public int port() {
        return ((InetSocketAddress) channel.localAddress()).getPort();
    }

    /** The address the server listens on. */
    public InetSocketAddress localAddress() {
        return (InetSocketAddress) channel.localAddress();
    }

    /** Connections accepted so far. */
    public long connections() {
        return handler.connections.get();
    }

    /** Bytes echoed so far. */
    public long bytesEchoed() {
        return handler.bytes.get();
    }

    /** Stops listening; the port goes back to the reservation. Open connections stay until their peers close. */
    @Override
    public void close() {
        channel.close().syncUninterruptibly();
    }

    /** Writes every received buffer back to its sender. */
    @ChannelHandler.Sharable
    private static final class EchoHandler extends ChannelInboundHandlerAdapter {
        private final AtomicLong connections = new AtomicLong();
        private final AtomicLong bytes = new AtomicLong();

        @Override
        public void channelActive(ChannelHandlerContext ctx) {
            connections.incrementAndGet();
            ctx.fireChannelActive();
        }

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            if (msg instanceof ByteBuf) {
                bytes.addAndGet(((ByteBuf) msg).readableBytes());
            }
            ctx.write(msg);
        }

        @Override
        public void channelReadComplete(ChannelHandlerContext ctx) {
            ctx.flush();
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            ctx.close();
        }
    }

    /** Reserves {@code --ports N} TCP ports (default 8) and echoes on one of them until Ctrl-C. */
    public static void main(String[] args) throws Exception {
        ExampleSupport.useJdkLogging();
        int count = ExampleSupport.intOption(args, "--ports", 8, 1, 4096);
        EventLoopGroup group = ExampleSupport.newGroup(1);
        RuntimeReservation reservation = PortReservations.provider().acquire(Protocol.TCP, count);
        TcpEchoServer server = start(group, reservation.token(), ExampleSupport.loopback(0)); // the option
        System.out.println("TCP echo on " + ExampleSupport.text(server.localAddress()) + ", reserved block "
                + reservation.range() + " (" + reservation.token() + "); Ctrl-C stops");
        ExampleSupport.awaitShutdown(() -> {
            server.close();
            group.shutdownGracefully(100, 2_000, TimeUnit.MILLISECONDS).syncUninterruptibly();
            reservation.close();
        });
    }
}
