package io.github.portreservation.examples;

import io.github.portreservation.PortBinder;
import io.github.portreservation.PortReservations;
import io.github.portreservation.Protocol;
import io.github.portreservation.RuntimeReservation;
import io.github.portreservation.netty.ReservedChannelFactories;
import io.netty.bootstrap.Bootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.socket.DatagramPacket;

import java.net.InetSocketAddress;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Example: a UDP echo server whose port comes from a reservation (any {@link PortBinder}). Every datagram goes back
 * to its sender. Run it with
 * {@code mvn -q test-compile exec:java -Dexec.mainClass=io.github.portreservation.examples.UdpEchoServer
 * -Dexec.classpathScope=test -Dexec.args="--ports 8"}; try it with {@code socat - UDP:127.0.0.1:PORT}.
 * On Linux the reservation's placeholder for the port never receives a datagram: all reach this server.
 */
public final class UdpEchoServer implements AutoCloseable {
    private final Channel channel;
    private final EchoHandler handler;

    private UdpEchoServer(Channel channel, EchoHandler handler) {
        this.channel = channel;
        this.handler = handler;
    }

    /**
     * Binds a UDP echo server from {@code binder} on {@code local} (port 0 = any port of the reservation).
     *
     * @throws io.github.portreservation.PortReservationException when the reservation refuses the bind
     */
    public static UdpEchoServer start(EventLoopGroup group, PortBinder binder, InetSocketAddress local)
            throws InterruptedException {
        EchoHandler handler = new EchoHandler();
        Channel channel = new Bootstrap().group(group)
                .channelFactory(ReservedChannelFactories.nioDatagram(binder))
                .handler(handler)
                .bind(local).sync().channel();
        return new UdpEchoServer(channel, handler);
    }

    /** The port the server is bound to (a port of the reservation). */
    public int port() {
        return localAddress().getPort();
    }

    /** The address the server is bound to. */
    public InetSocketAddress localAddress() {
        return (InetSocketAddress) channel.localAddress();
    }

    /** Datagrams echoed so far. */
    public long datagrams() {
        return handler.datagrams.get();
    }

    /** Payload bytes echoed so far. */
    public long bytesEchoed() {
        return handler.bytes.get();
    }

    /** Closes the socket; the port goes back to the reservation. */
    @Override
    public void close() {
        channel.close().syncUninterruptibly();
    }

    /** Sends each datagram's payload back to its sender, counting them (also the handler of {@link RtpRelay}). */
    static final class EchoHandler extends SimpleChannelInboundHandler<DatagramPacket> {
        final AtomicLong datagrams = new AtomicLong();
        final AtomicLong bytes = new AtomicLong();

        @Override
        protected void channelRead0(ChannelHandlerContext ctx, DatagramPacket packet) {
            datagrams.incrementAndGet();
            bytes.addAndGet(packet.content().readableBytes());
            ctx.write(new DatagramPacket(packet.content().retain(), packet.sender()));
        }

        @Override
        public void channelReadComplete(ChannelHandlerContext ctx) {
            ctx.flush();
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            // A UDP socket survives an ICMP error about one peer; keep serving the others.
        }
    }

    /** Reserves {@code --ports N} UDP ports (default 8) and echoes on one of them until Ctrl-C. */
    public static void main(String[] args) throws Exception {
        ExampleSupport.useJdkLogging();
        int count = ExampleSupport.intOption(args, "--ports", 8, 1, 4096);
        EventLoopGroup group = ExampleSupport.newGroup(1);
        RuntimeReservation reservation = PortReservations.provider().acquire(Protocol.UDP, count);
        UdpEchoServer server = start(group, reservation, ExampleSupport.loopback(0));
        System.out.println("UDP echo on " + ExampleSupport.text(server.localAddress()) + ", reserved block "
                + reservation.range() + " (" + reservation.token() + "); Ctrl-C stops");
        ExampleSupport.awaitShutdown(() -> {
            server.close();
            group.shutdownGracefully(100, 2_000, TimeUnit.MILLISECONDS).syncUninterruptibly();
            reservation.close();
        });
    }
}
