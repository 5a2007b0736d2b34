package io.github.portreservation.examples;

import io.github.portreservation.PortReservations;
import io.github.portreservation.Protocol;
import io.github.portreservation.netty.ReservedChannelFactories;
import io.github.portreservation.pool.ReservationPool;
import io.netty.bootstrap.Bootstrap;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.socket.ChannelInputShutdownEvent;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioSocketChannel;
import io.netty.handler.logging.LogLevel;
import io.netty.handler.logging.LoggingHandler;

import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Example: a TCP proxy that opens N listeners, each on a port leased from a {@link ReservationPool}, and forwards
 * every connection to one backend. The pool grows by reserved blocks as listeners are added and gets each port back
 * when a listener closes. Run it with
 * {@code mvn -q test-compile exec:java -Dexec.mainClass=io.github.portreservation.examples.TcpProxy
 * -Dexec.classpathScope=test -Dexec.args="--listeners 4 --backend 127.0.0.1:8080"}; without {@code --backend} it
 * starts a TCP echo server as its backend. {@code --log} logs each listener's events (bind, active, every accepted
 * connection with both ends) through netty-handler's {@link LoggingHandler}, at INFO, in the logger of this class.
 */
public final class TcpProxy implements AutoCloseable {
    private final List<Channel> listeners;
    private final AtomicLong connections;

    private TcpProxy(List<Channel> listeners, AtomicLong connections) {
        this.listeners = listeners;
        this.connections = connections;
    }

    /**
     * Opens {@code count} listeners on 127.0.0.1, each on a port leased from {@code pool}, forwarding to
     * {@code backend}. All or nothing: when one listener cannot be bound, those already open are closed (their ports
     * go back to the pool) and the error is thrown.
     *
     * @throws io.github.portreservation.PortReservationException when the pool cannot lease a port
     */
    public static TcpProxy start(EventLoopGroup group, ReservationPool pool, int count, InetSocketAddress backend)
            throws InterruptedException {
        return start(group, pool, count, backend, false);
    }

    /**
     * As {@link #start(EventLoopGroup, ReservationPool, int, InetSocketAddress)}; with {@code log}, each listener has a
     * {@link LoggingHandler} (INFO, logger {@code io.github.portreservation.examples.TcpProxy}) that logs its bind on
     * the reserved port and every connection it accepts.
     */
    public static TcpProxy start(EventLoopGroup group, ReservationPool pool, int count, InetSocketAddress backend,
                                 boolean log) throws InterruptedException {
        if (count < 1) {
            throw new IllegalArgumentException("listener count " + count + " must be at least 1");
        }
        AtomicLong connections = new AtomicLong();
        ServerBootstrap bootstrap = new ServerBootstrap().group(group)
                .channelFactory(ReservedChannelFactories.nioServer(pool))
                .childOption(ChannelOption.AUTO_READ, false)
                .childOption(ChannelOption.ALLOW_HALF_CLOSURE, true)
                .childHandler(new FrontendHandler(backend, connections));
        if (log) {
            bootstrap.handler(new LoggingHandler(TcpProxy.class, LogLevel.INFO));
        }
        List<Channel> open = new ArrayList<>(count);
        try {
            for (int i = 0; i < count; i++) {
                open.add(bootstrap.bind(ExampleSupport.loopback(0)).sync().channel());
            }
        } catch (RuntimeException | InterruptedException e) {
            for (Channel c : open) {
                c.close().syncUninterruptibly();
            }
            throw e;
        }
        return new TcpProxy(Collections.unmodifiableList(open), connections);
    }

    /** The ports the listeners are bound to, in opening order. */
    public List<Integer> ports() {
        List<Integer> ports = new ArrayList<>(listeners.size());
        for (Channel c : listeners) {
            ports.add(((InetSocketAddress) c.localAddress()).getPort());
        }
        return ports;
    }

    /** Connections accepted (and forwarded) so far, over all listeners. */
    public long connections() {
        return connections.get();
    }

    /** Closes every listener; their ports go back to the pool. Forwarded connections stay until they end. */
    @Override
    public void close() {
        for (Channel c : listeners) {
            c.close().syncUninterruptibly();
        }
    }

    /** On an accepted connection: connects to the backend on the same event loop, then relays both ways. */
    @ChannelHandler.Sharable
    private static final class FrontendHandler extends ChannelInboundHandlerAdapter {
        private final InetSocketAddress backend;
        private final AtomicLong connections;

        FrontendHandler(InetSocketAddress backend, AtomicLong connections) {
            this.backend = backend;
            this.connections = connections;
        }

        @Override
        public void channelActive(ChannelHandlerContext ctx) {
            connections.incrementAndGet();
            Channel inbound = ctx.channel();
            Bootstrap b = new Bootstrap().group(inbound.eventLoop()).channel(NioSocketChannel.class)
                    .option(ChannelOption.AUTO_READ, false)
                    .option(ChannelOption.ALLOW_HALF_CLOSURE, true)
                    .handler(new Relay(inbound));
            b.connect(backend).addListener((ChannelFutureListener) f -> {
                if (f.isSuccess() && !inbound.isActive()) {
                    f.channel().close(); // the client left while the backend connection was being made
                } else if (f.isSuccess()) {
                    inbound.pipeline().replace(this, "relay", new Relay(f.channel()));
                    inbound.read();
                    f.channel().read();
                } else {
                    inbound.close();
                }
            });
        }
    }

    /**
     * Writes what one side reads to the other side, reading the next chunk only once the write is done. A half-close
     * is passed on: when one side finishes sending, the proxy finishes sending to the other side and still relays its
     * answer; a connection closes when both directions are done.
     */
    private static final class Relay extends ChannelInboundHandlerAdapter {
        private final Channel peer;

        Relay(Channel peer) {
            this.peer = peer;
        }

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            peer.writeAndFlush(msg).addListener((ChannelFutureListener) f -> {
                if (f.isSuccess()) {
                    ctx.channel().read();
                } else {
                    f.channel().close();
                    ctx.channel().close();
                }
            });
        }

        @Override
        public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
            if (!(evt instanceof ChannelInputShutdownEvent)) {
                ctx.fireUserEventTriggered(evt);
                return;
            }
            SocketChannel other = (SocketChannel) peer;
            if (other.isActive()) {
                other.writeAndFlush(Unpooled.EMPTY_BUFFER).addListener((ChannelFutureListener) written ->
                        other.shutdownOutput().addListener((ChannelFutureListener) shut -> closeIfDone(other)));
            }
            closeIfDone((SocketChannel) ctx.channel());
        }

        @Override
        public void channelInactive(ChannelHandlerContext ctx) {
            closeOnFlush(peer);
        }

        private static void closeIfDone(SocketChannel channel) {
            if (channel.isInputShutdown() && channel.isOutputShutdown()) {
                channel.close();
            }
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            closeOnFlush(ctx.channel());
        }

        private static void closeOnFlush(Channel channel) {
            if (channel.isActive()) {
                channel.writeAndFlush(Unpooled.EMPTY_BUFFER).addListener(ChannelFutureListener.CLOSE);
            }
        }
    }

    /**
     * {@code --listeners N} (default 4) {@code --backend 127.0.0.1:PORT} (default: an echo server of its own)
     * {@code --log} (log the listeners' events).
     */
    public static void main(String[] args) throws Exception {
        ExampleSupport.useJdkLogging();
        int count = ExampleSupport.intOption(args, "--listeners", 4, 1, 1024);
        String backendText = ExampleSupport.option(args, "--backend", null);
        EventLoopGroup group = ExampleSupport.newGroup(2);
        ReservationPool tcpPool = ReservationPool.builder(PortReservations.provider(), Protocol.TCP)
                .blockSize(Math.min(count, 16)).build();
        TcpEchoServer echo = backendText == null
                ? TcpEchoServer.start(group, tcpPool, ExampleSupport.loopback(0)) : null;
        InetSocketAddress backend = echo != null ? echo.localAddress() : ExampleSupport.loopbackTarget(backendText);
        TcpProxy proxy = start(group, tcpPool, count, backend, java.util.Arrays.asList(args).contains("--log"));
        System.out.println("proxy listeners on 127.0.0.1 ports " + proxy.ports() + " -> " + ExampleSupport.text(backend)
                + (echo != null ? " (an echo server of this example)" : "") + "; pool blocks "
                + tcpPool.blockRanges() + "; Ctrl-C stops");
        ExampleSupport.awaitShutdown(() -> {
            proxy.close();
            if (echo != null) {
                echo.close();
            }
            group.shutdownGracefully(100, 2_000, TimeUnit.MILLISECONDS).syncUninterruptibly();
            tcpPool.close();
        });
    }
}
