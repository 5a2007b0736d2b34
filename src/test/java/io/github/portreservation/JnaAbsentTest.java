package io.github.portreservation;

import io.github.portreservation.PortReservationException.Reason;
import io.github.portreservation.netty.ReservedChannelFactories;
import io.github.portreservation.pool.ReservationPool;
import io.github.portreservation.windows.WindowsPortReservationProvider;
import io.netty.bootstrap.Bootstrap;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledOnOs;
import org.junit.jupiter.api.condition.OS;

import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A Linux JVM without JNA on its class path, as a Netty application that does not add the optional JNA dependencies
 * has (surefire execution "no-jna" removes both jars): everything but the Windows provider works, and the Windows
 * provider says which two artifacts to add. The core API without Netty either: {@link CoreOnlyTest}.
 */
@Tag("no-jna")
@EnabledOnOs(OS.LINUX)
class JnaAbsentTest {
    private static final InetAddress LOOPBACK = InetAddress.getLoopbackAddress();
    private static EventLoopGroup group;

    @BeforeAll
    static void startGroup() {
        group = new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory());
    }

    @AfterAll
    static void stopGroup() {
        group.shutdownGracefully(0, 2, TimeUnit.SECONDS).syncUninterruptibly();
    }

    @Test
    void thisJvmHasNoJna() {
        assertThrows(ClassNotFoundException.class, () -> Class.forName("com.sun.jna.Native"));
        assertThrows(ClassNotFoundException.class, () -> Class.forName("com.sun.jna.platform.win32.WinNT"));
    }

    @Test
    void nettyServerOnAReservedPortEchoes() throws Exception {
        try (RuntimeReservation reservation = PortReservations.provider().acquire(Protocol.TCP, 1)) {
            Channel server = new ServerBootstrap().group(group)
                    .channelFactory(ReservedChannelFactories.nioServer(reservation))
                    .childHandler(new Echo())
                    .bind(new InetSocketAddress(LOOPBACK, 0)).sync().channel();
            int port = ((InetSocketAddress) server.localAddress()).getPort();
            assertEquals(reservation.range().start(), port);
            byte[] message = "no JNA here".getBytes(StandardCharsets.US_ASCII);
            try (Socket client = new Socket(LOOPBACK, port)) {
                client.setSoTimeout(5_000);
                OutputStream out = client.getOutputStream();
                out.write(message);
                out.flush();
                InputStream in = client.getInputStream();
                assertArrayEquals(message, in.readNBytes(message.length));
            }
            server.close().sync();
        }
    }

    @Test
    void poolBindsANettyDatagramChannel() throws Exception {
        ReservationPool pool = ReservationPool.builder(PortReservations.provider(), Protocol.UDP).blockSize(4).build();
        try {
            Channel udp = new Bootstrap().group(group)
                    .channelFactory(ReservedChannelFactories.nioDatagram(pool))
                    .handler(new ChannelInboundHandlerAdapter())
                    .bind(new InetSocketAddress(LOOPBACK, 0)).sync().channel();
            int port = ((InetSocketAddress) udp.localAddress()).getPort();
            assertEquals(1, pool.blockRanges().size(), "one block: " + pool.blockRanges());
            assertTrue(pool.blockRanges().get(0).contains(port), port + " in " + pool.blockRanges());
            udp.close().sync();
        } finally {
            pool.close();
        }
    }

    @Test
    void windowsProviderNamesTheTwoArtifactsToAdd() {
        String version = System.getProperty("expected.jna.version");
        assertNotNull(version, "the pom passes jna.version as expected.jna.version");
        PortReservationException e = assertThrows(PortReservationException.class,
                () -> PortReservations.provider(PortReservations.WINDOWS));
        assertEquals(Reason.UNSUPPORTED, e.reason());
        String cause = "the Windows provider needs JNA, an optional dependency of netty-port-reservation, and the class "
                + "path lacks com.sun.jna.Native (net.java.dev.jna:jna:" + version + ") and "
                + "com.sun.jna.platform.win32.WinNT (net.java.dev.jna:jna-platform:" + version + "); add both "
                + "net.java.dev.jna:jna:" + version + " and net.java.dev.jna:jna-platform:" + version + " to the "
                + "application (Maven: two <dependency> entries; Gradle: implementation(\"net.java.dev.jna:jna:"
                + version + "\") and implementation(\"net.java.dev.jna:jna-platform:" + version + "\")) (and Windows: "
                + "this JVM runs on " + System.getProperty("os.name") + ")";
        assertEquals("UNSUPPORTED: " + cause, e.getMessage());
        assertEquals(cause, WindowsPortReservationProvider.unavailabilityCause());
        // Asked again: the same answer, no NoClassDefFoundError from a half-linked class.
        assertEquals(e.getMessage(), assertThrows(PortReservationException.class,
                () -> PortReservations.provider(PortReservations.WINDOWS)).getMessage());
    }

    private static final class Echo extends ChannelInboundHandlerAdapter {
        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            ctx.writeAndFlush(msg);
        }

        @Override
        public boolean isSharable() {
            return true;
        }
    }
}
