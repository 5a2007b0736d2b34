package io.github.portreservation.netty;

import io.github.portreservation.testing.RequiresProvider;
import io.github.portreservation.testing.Await;
import io.github.portreservation.PortBinding;
import io.github.portreservation.PortReservationException;
import io.github.portreservation.PortReservationException.Reason;
import io.github.portreservation.PortReservations;
import io.github.portreservation.Protocol;
import io.github.portreservation.RuntimeReservation;
import io.netty.bootstrap.Bootstrap;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFactory;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.socket.DatagramChannel;
import io.netty.channel.socket.ServerSocketChannel;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioDatagramChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.concurrent.TimeUnit;

import static io.github.portreservation.netty.ReservationChannelOption.RESERVATION;
import static io.github.portreservation.netty.ReservationChannelOption.RESERVATION_TOKEN;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * The token reaches every reserved channel kind (NIO and Epoll; TCP server, TCP client, UDP) through the
 * {@link ReservationChannelOption#RESERVATION} attribute, and the NIO TCP ones through the option too, also as
 * classes for {@code bootstrap.channel(Class)}; the option on a channel that does not read it fails loudly, and
 * {@link ReservedChannels#requireReserved} tells a reserved channel from an ordinary one.
 */
@Tag("netty")
@RequiresProvider
class TokenOnEveryChannelTest {
    private static final InetAddress LOOPBACK = InetAddress.getLoopbackAddress();

    private static ChannelFactory<ServerSocketChannel> server(Transport t) {
        return t == Transport.NIO ? ReservedChannelFactories.nioServer() : ReservedChannelFactories.epollServer();
    }

    private static ChannelFactory<SocketChannel> client(Transport t) {
        return t == Transport.NIO ? ReservedChannelFactories.nioClient() : ReservedChannelFactories.epollClient();
    }

    private static ChannelFactory<DatagramChannel> datagram(Transport t) {
        return t == Transport.NIO ? ReservedChannelFactories.nioDatagram() : ReservedChannelFactories.epollDatagram();
    }

    @ParameterizedTest
    @EnumSource(Transport.class)
    void theAttributeReservesEveryKind(Transport transport) throws Exception {
        assumeTrue(transport.isAvailable(), transport + " unavailable");
        EventLoopGroup group = transport.newGroup(1);
        try (RuntimeReservation tcp = PortReservations.provider().acquire(Protocol.TCP, 4);
             RuntimeReservation udp = PortReservations.provider().acquire(Protocol.UDP, 2)) {
            Channel server = new ServerBootstrap().group(group).channelFactory(server(transport))
                    .attr(RESERVATION, tcp.token()).childHandler(new ChannelInboundHandlerAdapter())
                    .bind(new InetSocketAddress(LOOPBACK, 0)).sync().channel();
            assertEquals(tcp.range().start(), ReservedChannels.requireReserved(server).port());
            Channel client = new Bootstrap().group(group).channelFactory(client(transport))
                    .attr(RESERVATION, tcp.token()).handler(new ChannelInboundHandlerAdapter())
                    .connect(server.localAddress()).sync().channel();
            int clientPort = ((InetSocketAddress) client.localAddress()).getPort();
            assertEquals(tcp.range().start() + 1, clientPort, "the next port of the block");
            assertEquals(clientPort, ReservedChannels.requireReserved(client).port());
            Channel dgram = new Bootstrap().group(group).channelFactory(datagram(transport))
                    .attr(RESERVATION, udp.token()).handler(new ChannelInboundHandlerAdapter())
                    .bind(new InetSocketAddress(LOOPBACK, 0)).sync().channel();
            PortBinding b = ReservedChannels.requireReserved(dgram);
            assertEquals(udp.range().start(), b.port(), b.toString());
            client.close().sync();
            server.close().sync();
            dgram.close().sync();
            Await.assertEventually(4, tcp::availablePorts, "TCP ports back");
            Await.assertEventually(2, udp::availablePorts, "UDP port back");
        } finally {
            group.shutdownGracefully(0, 1, TimeUnit.SECONDS).sync();
        }
    }

    @Test
    void theReservedNioClassesReadTheOptionForBootstrapChannelClass() throws Exception {
        EventLoopGroup group = Transport.NIO.newGroup(1);
        try (RuntimeReservation tcp = PortReservations.provider().acquire(Protocol.TCP, 2)) {
            Channel server = new ServerBootstrap().group(group).channel(ReservedNioServerSocketChannel.class)
                    .option(RESERVATION_TOKEN, tcp.token()).childHandler(new ChannelInboundHandlerAdapter())
                    .bind(new InetSocketAddress(LOOPBACK, 0)).sync().channel();
            assertEquals(tcp.range().start(), ((InetSocketAddress) server.localAddress()).getPort());
            Channel client = new Bootstrap().group(group).channel(ReservedNioSocketChannel.class)
                    .option(RESERVATION_TOKEN, tcp.token()).handler(new ChannelInboundHandlerAdapter())
                    .connect(server.localAddress()).sync().channel();
            assertEquals(tcp.range().start() + 1, ((InetSocketAddress) client.localAddress()).getPort());
            Channel plain = new ServerBootstrap().group(group).channel(ReservedNioServerSocketChannel.class)
                    .childHandler(new ChannelInboundHandlerAdapter())
                    .bind(new InetSocketAddress(LOOPBACK, 0)).sync().channel();
            assertFalse(ReservedChannels.binding(plain).isPresent(), "no token: a plain channel");
            client.close().sync();
            server.close().sync();
            plain.close().sync();
        } finally {
            group.shutdownGracefully(0, 1, TimeUnit.SECONDS).sync();
        }
    }

    @Test
    void theOptionOnAStockChannelIsRefusedLoudlyAndTheChannelIsNotReserved() throws Exception {
        EventLoopGroup group = Transport.NIO.newGroup(1);
        try (RuntimeReservation tcp = PortReservations.provider().acquire(Protocol.TCP, 1)) {
            ChannelFuture bind = new ServerBootstrap().group(group).channel(NioServerSocketChannel.class)
                    .option(RESERVATION_TOKEN, tcp.token()).childHandler(new ChannelInboundHandlerAdapter())
                    .bind(new InetSocketAddress(LOOPBACK, 0)).await();
            if (bind.isSuccess()) {
                // Netty before 4.1.138 / 4.2.18 only logs a failing option: the channel is an ordinary one
                assertFalse(NettyVersionLine.failsBindOnOptionError(), "this Netty fails such binds");
                PortReservationException e = assertThrows(PortReservationException.class,
                        () -> ReservedChannels.requireReserved(bind.channel()));
                assertEquals(Reason.INVALID_ARGUMENT, e.reason());
                assertTrue(e.getMessage().contains("it is not bound from a reservation"), e.getMessage());
                bind.channel().close().sync();
            } else {
                assertTrue(NettyVersionLine.failsBindOnOptionError(), "bind failed: " + bind.cause());
                assertTrue(String.valueOf(bind.cause()).contains("option RESERVATION_TOKEN="), bind.cause().toString());
            }
            assertEquals(1, tcp.availablePorts(), "nothing of the reservation was used");
        } finally {
            group.shutdownGracefully(0, 1, TimeUnit.SECONDS).sync();
        }
    }

    @Test
    void theOptionValidationNamesTheAttributeForUdpAndEpoll() {
        PortReservationException e = assertThrows(PortReservationException.class, () ->
                RESERVATION_TOKEN.validate(io.github.portreservation.ReservationToken.of(42)));
        assertEquals(Reason.INVALID_ARGUMENT, e.reason());
        assertTrue(e.getMessage().contains("bootstrap.attr(ReservationChannelOption.RESERVATION, token)"),
                e.getMessage());
    }

    @Test
    void aStockChannelIsNotReserved() {
        Channel stock = new NioDatagramChannel();
        try {
            assertFalse(ReservedChannels.binding(stock).isPresent());
            assertThrows(PortReservationException.class, () -> ReservedChannels.requireReserved(stock));
        } finally {
            stock.unsafe().closeForcibly();
        }
    }

    /** Whether the running Netty fails a bind whose option setting threw (4.1.138+ on 4.1, 4.2.18+ on 4.2). */
    static final class NettyVersionLine {
        static boolean failsBindOnOptionError() {
            String v = io.netty.util.Version.identify().get("netty-transport").artifactVersion();
            String[] p = v.split("[.]");
            int major = Integer.parseInt(p[1]);
            int patch = Integer.parseInt(p[2]);
            return major == 1 ? patch >= 138 : patch >= 18;
        }
    }
}
