package io.github.portreservation.netty;

import io.github.portreservation.testing.Await;
import io.github.portreservation.testing.Descriptors;
import io.github.portreservation.ReservationToken;
import io.netty.bootstrap.Bootstrap;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFactory;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.socket.DatagramChannel;
import io.netty.channel.socket.DatagramPacket;
import io.netty.channel.socket.ServerSocketChannel;
import io.netty.channel.socket.SocketChannel;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Queue;
import java.util.Set;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.function.IntSupplier;

import static io.github.portreservation.netty.ReservationChannelOption.RESERVATION_TOKEN;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

/** Bootstraps, echo handlers and independent JDK peers for the Netty tests; all traffic stays on loopback. */
final class NettyTestSupport {
    static final Duration TIMEOUT = Await.TIMEOUT;

    private NettyTestSupport() {
    }

    private static boolean warmedUp;

    /**
     * The open descriptors to compare with after a test, taken after a one-time warm-up: on Netty 4.1 the first
     * NioServerSocketChannel bind of a JVM leaves one process-wide socket open for good (plain Netty channels do it
     * too), which would otherwise look like a leak of whichever test runs first.
     */
    static synchronized Set<String> fdBaseline() throws InterruptedException {
        if (!warmedUp) {
            warmedUp = true;
            EventLoopGroup group = Transport.NIO.newGroup(1);
            try {
                new ServerBootstrap().group(group).channel(io.netty.channel.socket.nio.NioServerSocketChannel.class)
                        .childHandler(new ChannelInboundHandlerAdapter())
                        .bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0)).sync().channel().close()
                        .sync();
            } finally {
                group.shutdownGracefully(0, 1, TimeUnit.SECONDS).sync();
            }
        }
        return Descriptors.snapshot();
    }

    /**
     * {@link Await#assertEventually(int, IntSupplier, String)} with the arguments in another order; only
     * EarlyReleaseTest still calls it (a change of its own rewrites that test).
     */
    static void awaitEquals(String what, int expected, IntSupplier actual) throws InterruptedException {
        Await.assertEventually(expected, actual, what);
    }

    /** Starts binding a reserved TCP server that echoes; the option is set when {@code optionToken} is not null. */
    static ChannelFuture bindServer(EventLoopGroup group, ChannelFactory<ServerSocketChannel> factory,
                                    ReservationToken optionToken, InetSocketAddress local, List<Channel> children) {
        ServerBootstrap b = new ServerBootstrap().group(group).channelFactory(factory)
                .childHandler(new ChannelInboundHandlerAdapter() {
                    @Override
                    public void channelActive(ChannelHandlerContext ctx) {
                        children.add(ctx.channel());
                        ctx.fireChannelActive();
                    }

                    @Override
                    public void channelRead(ChannelHandlerContext ctx, Object msg) {
                        ctx.writeAndFlush(msg);
                    }
                });
        if (optionToken != null) {
            b.option(RESERVATION_TOKEN, optionToken);
        }
        return b.bind(local);
    }

    /** Starts connecting a reserved TCP client; received bytes go to {@code received}. */
    static ChannelFuture connectClient(EventLoopGroup group, ChannelFactory<SocketChannel> factory,
                                       ReservationToken optionToken, InetSocketAddress remote,
                                       InetSocketAddress local, Queue<String> received) {
        return connectClient(group, factory, optionToken, remote, local, received, 0);
    }

    /** As above; {@code soLinger} > 0 sets SO_LINGER, which makes Netty close the socket on GlobalEventExecutor. */
    static ChannelFuture connectClient(EventLoopGroup group, ChannelFactory<SocketChannel> factory,
                                       ReservationToken optionToken, InetSocketAddress remote,
                                       InetSocketAddress local, Queue<String> received, int soLinger) {
        Bootstrap b = new Bootstrap().group(group).channelFactory(factory).handler(collector(received));
        if (soLinger > 0) {
            b.option(ChannelOption.SO_LINGER, soLinger);
        }
        if (optionToken != null) {
            b.option(RESERVATION_TOKEN, optionToken);
        }
        return local == null ? b.connect(remote) : b.connect(remote, local);
    }

    /** Starts binding a reserved UDP channel that echoes every datagram to its sender. */
    static ChannelFuture bindDatagram(EventLoopGroup group, ChannelFactory<DatagramChannel> factory,
                                      InetSocketAddress local) {
        return new Bootstrap().group(group).channelFactory(factory)
                .handler(new SimpleChannelInboundHandler<DatagramPacket>() {
                    @Override
                    protected void channelRead0(ChannelHandlerContext ctx, DatagramPacket packet) {
                        ctx.writeAndFlush(new DatagramPacket(packet.content().retain(), packet.sender()));
                    }
                }).bind(local);
    }

    private static ChannelHandler collector(Queue<String> received) {
        return new SimpleChannelInboundHandler<ByteBuf>() {
            @Override
            protected void channelRead0(ChannelHandlerContext ctx, ByteBuf msg) {
                received.add(msg.toString(StandardCharsets.UTF_8));
            }
        };
    }

    /** Sends a message to a TCP server with a plain JDK socket and checks the echo. */
    static void tcpEcho(InetSocketAddress server, String message) throws IOException {
        byte[] sent = message.getBytes(StandardCharsets.UTF_8);
        try (Socket socket = new Socket()) {
            socket.setSoTimeout((int) TIMEOUT.toMillis());
            socket.connect(server, (int) TIMEOUT.toMillis());
            OutputStream out = socket.getOutputStream();
            out.write(sent);
            out.flush();
            InputStream in = socket.getInputStream();
            byte[] echoed = in.readNBytes(sent.length);
            assertArrayEquals(sent, echoed, "echo from " + server);
        }
    }

    /** Sends a datagram with a plain JDK socket and checks that the echo comes back from {@code server}. */
    static void udpEcho(InetSocketAddress server, String message) throws IOException {
        byte[] sent = message.getBytes(StandardCharsets.UTF_8);
        try (DatagramSocket socket = new DatagramSocket(new InetSocketAddress(server.getAddress(), 0))) {
            socket.setSoTimeout(500);
            java.net.DatagramPacket reply = new java.net.DatagramPacket(new byte[sent.length + 16], sent.length + 16);
            long deadline = System.nanoTime() + TIMEOUT.toNanos();
            while (true) { // UDP may drop: resend until an echo comes back
                socket.send(new java.net.DatagramPacket(sent, sent.length, server));
                try {
                    socket.receive(reply);
                    break;
                } catch (java.net.SocketTimeoutException e) {
                    if (System.nanoTime() > deadline) {
                        throw e;
                    }
                }
            }
            assertEquals(server.getPort(), reply.getPort(), "echo source port");
            assertEquals(message, new String(reply.getData(), 0, reply.getLength(), StandardCharsets.UTF_8));
        }
    }

    /** Writes {@code message} on a connected Netty client and waits for the echo. */
    static void clientEcho(Channel client, Queue<String> received, String message) throws InterruptedException {
        client.writeAndFlush(Unpooled.copiedBuffer(message, StandardCharsets.UTF_8)).sync();
        StringBuilder all = new StringBuilder();
        Await.until(() -> "the echo of \"" + message + "\" to " + client + ", got \"" + all + "\"", () -> {
            for (String part; (part = received.poll()) != null; ) {
                all.append(part);
            }
            return all.length() >= message.length();
        });
        assertEquals(message, all.toString(), "echo to " + client);
    }

    /** A plain JDK TCP echo server on loopback that records the source port of each accepted connection. */
    static final class JdkEchoServer implements AutoCloseable {
        private final ServerSocket server;
        private final Thread acceptor;
        private final List<Socket> accepted = new CopyOnWriteArrayList<>();
        final Queue<Integer> remotePorts = new ConcurrentLinkedQueue<>();

        JdkEchoServer(InetAddress host) throws IOException {
            server = new ServerSocket(0, 128, host);
            acceptor = new Thread(this::acceptLoop, "jdk-echo-" + server.getLocalPort());
            acceptor.setDaemon(true);
            acceptor.start();
        }

        InetSocketAddress address() {
            return (InetSocketAddress) server.getLocalSocketAddress();
        }

        private void acceptLoop() {
            while (!server.isClosed()) {
                try {
                    Socket s = server.accept();
                    accepted.add(s);
                    remotePorts.add(s.getPort());
                    Thread echo = new Thread(() -> echo(s), "jdk-echo-conn-" + s.getPort());
                    echo.setDaemon(true);
                    echo.start();
                } catch (IOException e) {
                    return;
                }
            }
        }

        private static void echo(Socket s) {
            byte[] buf = new byte[4096];
            try (InputStream in = s.getInputStream(); OutputStream out = s.getOutputStream()) {
                int n;
                while ((n = in.read(buf)) >= 0) {
                    out.write(buf, 0, n);
                    out.flush();
                }
            } catch (IOException ignored) {
                // peer closed
            }
        }

        @Override
        public void close() throws IOException {
            server.close();
            for (Socket s : accepted) {
                s.close();
            }
            try {
                acceptor.join(TimeUnit.SECONDS.toMillis(5));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }
}
