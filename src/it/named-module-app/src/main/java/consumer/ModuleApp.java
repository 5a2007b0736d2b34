package consumer;

import io.github.portreservation.PortReservationException;
import io.github.portreservation.PortReservations;
import io.github.portreservation.Protocol;
import io.github.portreservation.ReservableSocket;
import io.github.portreservation.RuntimeReservation;
import io.github.portreservation.netty.ReservedChannelFactories;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import io.netty.util.Version;

import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.concurrent.TimeUnit;

/**
 * Runs as module {@code consumer} on the module path: checks the library's module, the socket-handle access with
 * ({@code opened}) or without ({@code closed}) {@code --add-opens java.base/sun.nio.ch=io.github.portreservation},
 * then echoes through a reserved port and prints "consumer OK ...". Any failure exits non-zero.
 */
public final class ModuleApp {

    public static void main(String[] args) throws Exception {
        String expectedNetty = args[0];
        boolean opened = args[1].equals("opened");
        check(ModuleApp.class.getModule().isNamed(), "this class runs in a named module");
        Module library = PortReservations.class.getModule();
        check(library.isNamed() && library.getName().equals("io.github.portreservation")
                && library.getDescriptor().isAutomatic(), "the library is the automatic module "
                + "io.github.portreservation, not " + library.getDescriptor());
        String netty = Version.identify().get("netty-transport").artifactVersion();
        check(netty.equals(expectedNetty), "Netty " + expectedNetty + ", not " + netty);

        try (SocketChannel jdk = SocketChannel.open()) {
            try {
                long handle = ReservableSocket.of(jdk).nativeHandle();
                check(opened && handle >= 0, "the socket handle " + handle + " is readable only with the flag");
            } catch (PortReservationException e) {
                check(!opened && e.reason() == PortReservationException.Reason.UNSUPPORTED
                        && e.getMessage().contains("start java with --add-opens java.base/sun.nio.ch="
                        + "io.github.portreservation") && !e.getMessage().contains("ALL-UNNAMED"),
                        "without the flag: UNSUPPORTED naming the module-path flag, got " + e);
            }
        }

        EventLoopGroup group = new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory());
        try (RuntimeReservation reservation = PortReservations.provider().acquire(Protocol.TCP, 1)) {
            Channel server = new ServerBootstrap().group(group)
                    .channelFactory(ReservedChannelFactories.nioServer(reservation))
                    .childHandler(new Echo())
                    .bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0)).sync().channel();
            int port = ((InetSocketAddress) server.localAddress()).getPort();
            check(reservation.range().contains(port), "port " + port + " is in the reservation " + reservation.range());
            byte[] message = ("hello from a named module through port " + port).getBytes(StandardCharsets.US_ASCII);
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
            System.out.println("consumer OK: module " + library.getName() + " (socket handle " + (opened ? "read"
                    : "refused with the flag to add") + "), Netty " + netty + ", echoed " + message.length
                    + " bytes through reserved port " + port);
        } finally {
            group.shutdownGracefully(0, 1, TimeUnit.SECONDS).sync();
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
