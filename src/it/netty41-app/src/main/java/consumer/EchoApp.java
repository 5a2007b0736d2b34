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
import io.netty.channel.nio.NioEventLoopGroup;
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
 * A Netty 4.1 application: checks that it runs on one Netty 4.1 version and without JNA, binds an NIO server on a
 * reserved port, echoes through it, and prints "consumer OK ...". Any failure exits non-zero, which fails the build.
 */
public final class EchoApp {

    public static void main(String[] args) throws Exception {
        String expected = args[0];
        Map<String, String> versions = new TreeMap<>();
        for (Map.Entry<String, Version> e : Version.identify().entrySet()) {
            versions.put(e.getKey(), e.getValue().artifactVersion());
        }
        check(versions.containsKey("netty-transport"), "netty-transport is on the class path: " + versions);
        for (Map.Entry<String, String> e : versions.entrySet()) {
            check(e.getValue().equals(expected), "every Netty jar is " + expected + ", but " + versions);
        }
        check(!versions.containsKey("netty-codec-base"), "no 4.2-only netty-codec-base: " + versions);
        absent("io.netty.util.concurrent.ThreadAwareExecutor"); // 4.2-only: its absence is a 4.1 netty-common
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

        EventLoopGroup group = new NioEventLoopGroup(1);
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
            }
            server.close().sync();
            System.out.println("consumer OK: Netty " + versions.get("netty-transport") + " (" + versions.size()
                    + " Netty jars, one version), no JNA, echoed " + message.length + " bytes through reserved port "
                    + port + " of " + reservation.range());
        } finally {
            group.shutdownGracefully(0, 1, TimeUnit.SECONDS).sync();
        }
    }

    private static void absent(String className) {
        try {
            Class.forName(className, false, EchoApp.class.getClassLoader());
            throw new AssertionError(className + " is on the class path");
        } catch (ClassNotFoundException expected) {
            // as it should be
        }
    }

    private static void check(boolean condition, String what) {
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
