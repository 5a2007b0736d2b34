package consumer;

import io.github.portreservation.PortReservationException;
import io.github.portreservation.PortReservations;
import io.github.portreservation.Protocol;
import io.github.portreservation.RuntimeReservation;
import io.github.portreservation.netty.ReservedChannelFactories;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.EventLoopGroup;
import io.netty.util.Version;

import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;

/**
 * What every consumer build checks and does, compiled into each of them (src/it/shared, added as a source root by
 * their POMs): the Netty it runs on, the absence of JNA, and an echo through a Netty server on a reserved port. A
 * failed check throws, which exits the application non-zero and fails the build.
 */
final class ReservedEcho {
    private ReservedEcho() {
    }

    /** The Netty artifacts on the class path by name, after checking that each one has version {@code expected}. */
    static Map<String, String> oneNettyVersion(String expected) {
        Map<String, String> versions = new TreeMap<>();
        for (Map.Entry<String, Version> e : Version.identify().entrySet()) {
            versions.put(e.getKey(), e.getValue().artifactVersion());
        }
        check(versions.containsKey("netty-transport"), "netty-transport is on the class path: " + versions);
        for (String version : versions.values()) {
            check(version.equals(expected), "every Netty jar is " + expected + ", but " + versions);
        }
        return versions;
    }

    /** Checks that JNA is absent and that the Windows provider then names JNA's two artifacts. */
    static void withoutJna() {
        absent("com.sun.jna.Native"); // JNA is optional: a Linux application does not get it
        try {
            PortReservations.provider(PortReservations.WINDOWS);
            throw new AssertionError("the Windows provider was created without JNA");
        } catch (PortReservationException e) {
            check(e.reason() == PortReservationException.Reason.UNSUPPORTED
                    && e.getMessage().contains("net.java.dev.jna:jna:")
                    && e.getMessage().contains("net.java.dev.jna:jna-platform:"), "the Windows provider names JNA's two "
                    + "artifacts: " + e);
        }
    }

    /**
     * Binds an NIO server of {@code group} on the port of a new one-port TCP reservation, sends a message through it
     * from a plain socket and checks the echo, then shuts the group down; returns what it did, for the application's
     * "consumer OK" line.
     */
    static String echoThroughReservedPort(EventLoopGroup group) throws Exception {
        try {
            return echo(group);
        } finally {
            group.shutdownGracefully(0, 1, TimeUnit.SECONDS).sync();
        }
    }

    private static String echo(EventLoopGroup group) throws Exception {
        try (RuntimeReservation reservation = PortReservations.provider().acquire(Protocol.TCP, 1)) {
            Channel server = new ServerBootstrap().group(group)
                    .channelFactory(ReservedChannelFactories.nioServer(reservation))
                    .childHandler(new Echo())
                    .bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0)).sync().channel();
            int port = ((InetSocketAddress) server.localAddress()).getPort();
            check(reservation.range().contains(port), "port " + port + " is in the reservation " + reservation.range());
            byte[] message = ("hello through reserved port " + port).getBytes(StandardCharsets.US_ASCII);
            try (Socket client = new Socket(InetAddress.getLoopbackAddress(), port)) {
                client.setSoTimeout(10_000);
                OutputStream out = client.getOutputStream();
                out.write(message);
                out.flush();
                byte[] echoed = new byte[message.length];
                InputStream in = client.getInputStream();
                for (int n = 0; n < echoed.length; ) {
                    int r = in.read(echoed, n, echoed.length - n);
                    check(r > 0, "the echo ended after " + n + " bytes");
                    n += r;
                }
                check(Arrays.equals(message, echoed), "echoed " + new String(echoed, StandardCharsets.US_ASCII));
            } finally {
                server.close().sync();
            }
            return "echoed " + message.length + " bytes through reserved port " + port + " of " + reservation.range();
        }
    }

    /** Fails unless {@code className} is absent from the application's class path. */
    static void absent(String className) {
        try {
            Class.forName(className, false, ReservedEcho.class.getClassLoader());
            throw new AssertionError(className + " is on the class path");
        } catch (ClassNotFoundException expected) {
            // as it should be
        }
    }

    /** Fails with {@code what} unless {@code condition} holds. */
    static void check(boolean condition, String what) {
        if (!condition) {
            throw new AssertionError(what);
        }
    }

    @ChannelHandler.Sharable
    private static final class Echo extends ChannelInboundHandlerAdapter {
        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            ctx.writeAndFlush(msg);
        }
    }
}
