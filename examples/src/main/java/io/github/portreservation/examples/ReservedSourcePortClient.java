package io.github.portreservation.examples;

import io.github.portreservation.PortBinder;
import io.github.portreservation.PortRange;
import io.github.portreservation.PortReservationProvider;
import io.github.portreservation.PortReservations;
import io.github.portreservation.Protocol;
import io.github.portreservation.RuntimeReservation;
import io.github.portreservation.netty.ReservedChannelFactories;
import io.netty.bootstrap.Bootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFactory;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.socket.SocketChannel;

import java.io.ByteArrayOutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * Example: a TCP client whose source (local) ports come from a reservation, as needed when a firewall or a peer
 * only accepts connections from a known block of source ports. Each {@link #exchange} connects from a free port of
 * the reservation, sends a message, reads the echo and closes; the port goes back to the reservation. Run it with
 * {@code mvn -q test-compile exec:java -Dexec.mainClass=io.github.portreservation.examples.ReservedSourcePortClient
 * -Dexec.classpathScope=test -Dexec.args="--source-ports 45000-45007 --target 127.0.0.1:7 --connections 4"}; without
 * {@code --target} it starts an echo server of its own, without {@code --source-ports} it reserves any 8 ports.
 *
 * <p>A client that actively closes leaves its 4-tuple in TIME_WAIT for about a minute; the reservation hands out
 * the port returned longest ago first, so a block a few times larger than the concurrent connections to one server
 * avoids reusing a tuple still in TIME_WAIT.
 */
public final class ReservedSourcePortClient {
    private final EventLoopGroup group;
    private final ChannelFactory<SocketChannel> channels;

    /** A client on {@code group} whose connections take their source ports from {@code sourcePorts}. */
    public ReservedSourcePortClient(EventLoopGroup group, PortBinder sourcePorts) {
        this.group = group;
        this.channels = ReservedChannelFactories.nioClient(sourcePorts);
    }

    /** What one exchange saw. */
    public static final class Exchange {
        private final int sourcePort;
        private final byte[] reply;
        private final long roundTripNanos;

        Exchange(int sourcePort, byte[] reply, long roundTripNanos) {
            this.sourcePort = sourcePort;
            this.reply = reply;
            this.roundTripNanos = roundTripNanos;
        }

        /** The reserved local port the connection came from. */
        public int sourcePort() {
            return sourcePort;
        }

        /** The bytes the server sent back. */
        public byte[] reply() {
            return reply.clone();
        }

        /** Time from connect to the whole reply, in nanoseconds. */
        public long roundTripNanos() {
            return roundTripNanos;
        }
    }

    /**
     * Connects to {@code server} from a reserved source port, sends {@code message}, waits until as many bytes came
     * back, and closes the connection (its port goes back to the reservation before this returns).
     *
     * @throws io.github.portreservation.PortReservationException when no reserved port could be bound
     * @throws TimeoutException when the reply did not arrive within {@code timeout}
     */
    public Exchange exchange(InetSocketAddress server, byte[] message, Duration timeout)
            throws InterruptedException, TimeoutException, ExecutionException {
        long start = System.nanoTime();
        CompletableFuture<byte[]> reply = new CompletableFuture<>();
        Bootstrap b = new Bootstrap().group(group).channelFactory(channels)
                .handler(new ReplyCollector(message.length, reply));
        Channel channel = b.connect(server).sync().channel();
        try {
            int sourcePort = ((InetSocketAddress) channel.localAddress()).getPort();
            channel.writeAndFlush(Unpooled.wrappedBuffer(message));
            byte[] bytes = reply.get(timeout.toNanos(), TimeUnit.NANOSECONDS);
            return new Exchange(sourcePort, bytes, System.nanoTime() - start);
        } finally {
            channel.close().sync();
        }
    }

    /** Completes {@code reply} once {@code expected} bytes arrived. */
    private static final class ReplyCollector extends SimpleChannelInboundHandler<ByteBuf> {
        private final int expected;
        private final CompletableFuture<byte[]> reply;
        private final ByteArrayOutputStream received = new ByteArrayOutputStream();

        ReplyCollector(int expected, CompletableFuture<byte[]> reply) {
            this.expected = expected;
            this.reply = reply;
        }

        @Override
        protected void channelRead0(ChannelHandlerContext ctx, ByteBuf msg) {
            received.writeBytes(ByteBufUtil.getBytes(msg));
            if (received.size() >= expected) {
                reply.complete(received.toByteArray());
            }
        }

        @Override
        public void channelInactive(ChannelHandlerContext ctx) {
            reply.completeExceptionally(new IllegalStateException("the server closed the connection after "
                    + received.size() + " of " + expected + " bytes"));
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            reply.completeExceptionally(cause);
            ctx.close();
        }
    }

    /**
     * {@code --source-ports FIRST-LAST} (default: any 8 ports), {@code --target 127.0.0.1:PORT} (default: an echo
     * server of its own), {@code --connections N} (default 4).
     */
    public static void main(String[] args) throws Exception {
        ExampleSupport.useJdkLogging();
        PortReservationProvider provider = PortReservations.provider();
        String range = ExampleSupport.option(args, "--source-ports", null);
        int connections = ExampleSupport.intOption(args, "--connections", 4, 1, 10_000);
        String target = ExampleSupport.option(args, "--target", null);
        EventLoopGroup group = ExampleSupport.newGroup(1);
        try (RuntimeReservation sourcePorts = range == null ? provider.acquire(Protocol.TCP, 8)
                : provider.acquire(Protocol.TCP, PortRange.parse(range));
             RuntimeReservation serverPorts = provider.acquire(Protocol.TCP, 1)) {
            TcpEchoServer echo = target == null
                    ? TcpEchoServer.start(group, serverPorts, ExampleSupport.loopback(0)) : null;
            InetSocketAddress server = echo != null ? echo.localAddress() : ExampleSupport.loopbackTarget(target);
            System.out.println("source ports reserved: " + sourcePorts.range() + "; target "
                    + ExampleSupport.text(server));
            ReservedSourcePortClient client = new ReservedSourcePortClient(group, sourcePorts);
            for (int i = 0; i < connections; i++) {
                byte[] message = ("hello " + i + "\n").getBytes(StandardCharsets.US_ASCII);
                Exchange e = client.exchange(server, message, Duration.ofSeconds(5));
                System.out.printf("connection %d from 127.0.0.1:%d: %s in %.2f ms%n", i, e.sourcePort(),
                        new String(e.reply(), StandardCharsets.US_ASCII).trim(), e.roundTripNanos() / 1e6);
            }
            if (echo != null) {
                echo.close();
            }
        } finally {
            group.shutdownGracefully(100, 2_000, TimeUnit.MILLISECONDS).syncUninterruptibly();
        }
    }
}
