package io.github.portreservation.netty;

import io.github.portreservation.testing.RequiresProvider;
import io.github.portreservation.testing.Await;
import io.github.portreservation.PortReservationException;
import io.github.portreservation.PortReservations;
import io.github.portreservation.Protocol;
import io.github.portreservation.ReservationToken;
import io.github.portreservation.RuntimeReservation;
import io.netty.bootstrap.Bootstrap;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFactory;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.local.LocalAddress;
import io.netty.channel.socket.DatagramChannel;
import io.netty.channel.socket.ServerSocketChannel;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;

import static io.github.portreservation.netty.ReservationChannelOption.RESERVATION_TOKEN;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * How the reservation reaches a channel: the option, factory arguments, plain Netty without a token, and the ways a
 * token given wrongly fails loudly instead of being ignored.
 */
@Tag("netty")
@RequiresProvider
class ReservationOptionTest {
    private static final InetAddress LOOPBACK = InetAddress.getLoopbackAddress();
    private static final InetSocketAddress ANY = new InetSocketAddress(LOOPBACK, 0);
    private static EventLoopGroup group;

    @BeforeAll
    static void start() {
        group = Transport.NIO.newGroup(2);
    }

    @AfterAll
    static void stop() {
        if (group != null) {
            group.shutdownGracefully(50, 1000, TimeUnit.MILLISECONDS).syncUninterruptibly();
        }
    }

    /**
     * A factory that has its reservation keeps Netty's own config, whose validation of the option throws: Netty
     * 4.1.138+ / 4.2.18+ fail the registration, earlier versions log the message and the channel binds from the
     * factory's reservation alone.
     */
    @Test
    void optionOnAFactoryThatHasAReservationIsRefusedLoudly() throws Exception {
        try (RuntimeReservation reservation = PortReservations.provider().acquire(Protocol.TCP, 2);
             NettyTestSupport.JdkEchoServer peer = new NettyTestSupport.JdkEchoServer(LOOPBACK)) {
            ChannelFuture server = NettyTestSupport.bindServer(group, ReservedChannelFactories.nioServer(reservation),
                    reservation.token(), ANY, new ArrayList<>()).await();
            ChannelFuture client = NettyTestSupport.connectClient(group,
                    ReservedChannelFactories.nioClient(reservation), reservation.token(), peer.address(), null,
                    new ConcurrentLinkedQueue<>()).await();
            if (TokenOnEveryChannelTest.NettyVersionLine.failsBindOnOptionError()) {
                assertRefusedAtInit(server, reservation.token());
                assertRefusedAtInit(client, reservation.token());
                Await.assertEventually(2, reservation::availablePorts, "reservation.availablePorts()");
            } else {
                assertTrue(server.isSuccess(), String.valueOf(server.cause()));
                assertTrue(client.isSuccess(), String.valueOf(client.cause()));
                assertEquals(reservation.range().start(), ReservedChannels.requireReserved(server.channel()).port());
                assertEquals(reservation.range().start() + 1,
                        ReservedChannels.requireReserved(client.channel()).port());
                assertEquals(0, reservation.availablePorts(), "both ports bound from the factory's reservation");
                client.channel().close().sync();
                server.channel().close().sync();
                Await.assertEventually(2, reservation::availablePorts, "reservation.availablePorts()");
            }
        }
    }

    @Test
    void withoutTheOptionChannelsArePlainNetty() throws Exception {
        try (RuntimeReservation reservation = PortReservations.provider().acquire(Protocol.TCP, 2);
             NettyTestSupport.JdkEchoServer peer = new NettyTestSupport.JdkEchoServer(LOOPBACK)) {
            Channel server = NettyTestSupport.bindServer(group, ReservedChannelFactories.nioServer(), null, ANY,
                    new ArrayList<>()).sync().channel();
            InetSocketAddress bound = (InetSocketAddress) server.localAddress();
            NettyTestSupport.tcpEcho(bound, "plain");
            Queue<String> received = new ConcurrentLinkedQueue<>();
            Channel client = NettyTestSupport.connectClient(group, ReservedChannelFactories.nioClient(), null,
                    peer.address(), null, received).sync().channel();
            NettyTestSupport.clientEcho(client, received, "plain client");
            Await.assertEventually(2, reservation::availablePorts, "no token: the reservation is not touched");
            assertEquals(null, server.config().getOption(RESERVATION_TOKEN));
            client.close().sync();
            server.close().sync();
        }
    }

    @Test
    void optionWithAnExplicitProviderAndTokenFactories() throws Exception {
        try (RuntimeReservation tcp = PortReservations.provider().acquire(Protocol.TCP, 2);
             RuntimeReservation udp = PortReservations.provider().acquire(Protocol.UDP, 2)) {
            Channel server = NettyTestSupport.bindServer(group,
                    ReservedChannelFactories.nioServer(PortReservations.provider()), tcp.token(), ANY,
                    new ArrayList<>()).sync().channel();
            InetSocketAddress bound = (InetSocketAddress) server.localAddress();
            assertEquals(tcp.range().start(), bound.getPort());
            NettyTestSupport.tcpEcho(bound, "provider variant");
            assertSame(tcp.token(), server.config().getOption(RESERVATION_TOKEN));
            assertSame(tcp.token(), server.config().getOptions().get(RESERVATION_TOKEN));
            server.close().sync();

            Channel datagram = NettyTestSupport.bindDatagram(group, ReservedChannelFactories.nioDatagram(udp.token()),
                    ANY).sync().channel();
            InetSocketAddress udpBound = (InetSocketAddress) datagram.localAddress();
            assertEquals(udp.range().start(), udpBound.getPort());
            NettyTestSupport.udpEcho(udpBound, "token variant");
            datagram.close().sync();
            Await.assertEventually(2, tcp::availablePorts, "tcp.availablePorts()");
            Await.assertEventually(2, udp::availablePorts, "udp.availablePorts()");
        }
    }

    @Test
    void unknownTokenFailsTheBind() throws Exception {
        ReservationToken unknown = ReservationToken.of(0x5eed_0000_0001L);
        ChannelFuture server = NettyTestSupport.bindServer(group, ReservedChannelFactories.nioServer(), unknown, ANY,
                new ArrayList<>()).await();
        assertRefused(server, PortReservationException.Reason.UNKNOWN_TOKEN, null);
    }

    @Test
    @SuppressWarnings({"unchecked", "rawtypes"})
    void optionValueAndTimingAreChecked() throws Exception {
        try (RuntimeReservation reservation = PortReservations.provider().acquire(Protocol.TCP, 2)) {
            Channel server = NettyTestSupport.bindServer(group, ReservedChannelFactories.nioServer(),
                    reservation.token(), ANY, new ArrayList<>()).sync().channel();
            IllegalStateException late = assertThrows(IllegalStateException.class,
                    () -> server.config().setOption(RESERVATION_TOKEN, reservation.token()));
            assertTrue(late.getMessage().contains("already bound"), late.getMessage());
            ChannelOption raw = RESERVATION_TOKEN;
            ChannelFactory<ServerSocketChannel> factory = ReservedChannelFactories.nioServer();
            Channel fresh = factory.newChannel();
            assertThrows(ClassCastException.class, () -> fresh.config().setOption(raw, "not a token"));
            PortReservationException nullValue = assertThrows(PortReservationException.class,
                    () -> fresh.config().setOption(RESERVATION_TOKEN, null));
            assertEquals(PortReservationException.Reason.INVALID_ARGUMENT, nullValue.reason());
            assertTrue(nullValue.getMessage().contains("RESERVATION_TOKEN value null is invalid"),
                    nullValue.getMessage());
            fresh.unsafe().closeForcibly(); // never registered: the only way to close it
            assertFalse(fresh.isOpen());
            server.close().sync();
        }
    }

    @Test
    void aNonIpAddressIsRefused() throws Exception {
        try (RuntimeReservation reservation = PortReservations.provider().acquire(Protocol.TCP, 1)) {
            ChannelFuture f = new ServerBootstrap().group(group)
                    .channelFactory(ReservedChannelFactories.nioServer(reservation))
                    .childHandler(new ChannelInboundHandlerAdapter())
                    .bind(new LocalAddress("not-ip")).await();
            assertRefused(f, PortReservationException.Reason.INVALID_ARGUMENT, "InetSocketAddress");
            Await.assertEventually(1, reservation::availablePorts, "reservation.availablePorts()");
        }
    }

    @ParameterizedTest
    @EnumSource(Transport.class)
    void removingTheInterceptorClosesTheUnboundChannel(Transport transport) throws Exception {
        assumeTrue(transport.isAvailable(), transport + " is not available here");
        EventLoopGroup loops = transport.newGroup(1);
        try (RuntimeReservation reservation = PortReservations.provider().acquire(Protocol.UDP, 1)) {
            ChannelFactory<DatagramChannel> factory = transport.datagram(reservation);
            Channel channel = factory.newChannel();
            loops.register(channel).sync();
            channel.eventLoop().submit(() -> channel.pipeline().remove(ReservedBindInterceptor.NAME)).sync();
            assertTrue(channel.closeFuture().await(NettyTestSupport.TIMEOUT.toMillis()),
                    "a reserved channel never binds as a plain one");
            Await.assertEventually(1, reservation::availablePorts, "reservation.availablePorts()");
        } finally {
            loops.shutdownGracefully(50, 1000, TimeUnit.MILLISECONDS).syncUninterruptibly();
        }
    }

    @ParameterizedTest
    @EnumSource(Transport.class)
    void classicEventLoopGroupsWork(Transport transport) throws Exception {
        assumeTrue(transport.isAvailable(), transport + " is not available here");
        EventLoopGroup legacy = transport.newLegacyGroup(1);
        try (RuntimeReservation tcp = PortReservations.provider().acquire(Protocol.TCP, 2);
             RuntimeReservation udp = PortReservations.provider().acquire(Protocol.UDP, 1);
             NettyTestSupport.JdkEchoServer peer = new NettyTestSupport.JdkEchoServer(LOOPBACK)) {
            Channel server = Kind.TCP_SERVER.open(transport, legacy, tcp, ANY, peer).sync().channel();
            NettyTestSupport.tcpEcho((InetSocketAddress) server.localAddress(), "classic server");
            Queue<String> received = new ConcurrentLinkedQueue<>();
            Channel client = Kind.TCP_CLIENT.open(transport, legacy, tcp, ANY, peer, new ArrayList<>(), received, 0)
                    .sync().channel();
            NettyTestSupport.clientEcho(client, received, "classic client");
            Channel datagram = Kind.UDP.open(transport, legacy, udp, ANY, peer).sync().channel();
            NettyTestSupport.udpEcho((InetSocketAddress) datagram.localAddress(), "classic datagram");
            Await.assertEventually(0, tcp::availablePorts, "tcp.availablePorts()");
            Await.assertEventually(0, udp::availablePorts, "udp.availablePorts()");
            client.close().sync();
            server.close().sync();
            datagram.close().sync();
            Await.assertEventually(2, tcp::availablePorts, "tcp.availablePorts()");
            Await.assertEventually(1, udp::availablePorts, "udp.availablePorts()");
        } finally {
            legacy.shutdownGracefully(50, 1000, TimeUnit.MILLISECONDS).syncUninterruptibly();
        }
    }

    @ParameterizedTest
    @EnumSource(Transport.class)
    void connectOfUnboundUdpAndBindThenConnectOfTcpUseTheReservation(Transport transport) throws Exception {
        assumeTrue(transport.isAvailable(), transport + " is not available here");
        EventLoopGroup loops = transport.newGroup(1);
        try (RuntimeReservation tcp = PortReservations.provider().acquire(Protocol.TCP, 2);
             RuntimeReservation udp = PortReservations.provider().acquire(Protocol.UDP, 2);
             NettyTestSupport.JdkEchoServer peer = new NettyTestSupport.JdkEchoServer(LOOPBACK);
             DatagramSocket udpPeer = new DatagramSocket(new InetSocketAddress(LOOPBACK, 0))) {
            // UDP connect(remote) on an unbound channel: the source port comes from the reservation.
            Channel datagram = new Bootstrap().group(loops)
                    .channelFactory(transport.datagram(udp))
                    .handler(new ChannelInboundHandlerAdapter())
                    .connect(udpPeer.getLocalSocketAddress()).sync().channel();
            int udpPort = ((InetSocketAddress) datagram.localAddress()).getPort();
            assertEquals(udp.range().start(), udpPort, "the first port of the block");
            datagram.writeAndFlush(Unpooled.copiedBuffer("from a reserved port",
                    StandardCharsets.UTF_8)).sync();
            udpPeer.setSoTimeout(10_000);
            DatagramPacket got = new DatagramPacket(new byte[64], 64);
            udpPeer.receive(got);
            assertEquals(udpPort, got.getPort(), "source port seen by the peer");

            // TCP client: bind() first (from the reservation), then connect() without a local address.
            Queue<String> received = new ConcurrentLinkedQueue<>();
            Channel client = new Bootstrap().group(loops).channelFactory(transport.client(tcp))
                    .handler(new SimpleChannelInboundHandler<io.netty.buffer.ByteBuf>() {
                        @Override
                        protected void channelRead0(ChannelHandlerContext ctx,
                                                    ByteBuf msg) {
                            received.add(msg.toString(StandardCharsets.UTF_8));
                        }
                    })
                    .bind(new InetSocketAddress(LOOPBACK, tcp.range().start() + 1)).sync().channel();
            client.connect(peer.address()).sync();
            NettyTestSupport.clientEcho(client, received, "bound first");
            assertEquals(tcp.range().start() + 1, (int) peer.remotePorts.peek());
            Await.assertEventually(1, tcp::availablePorts, "one port for bind + connect");
            client.close().sync();
            datagram.close().sync();
            Await.assertEventually(2, tcp::availablePorts, "tcp.availablePorts()");
            Await.assertEventually(2, udp::availablePorts, "udp.availablePorts()");
        } finally {
            loops.shutdownGracefully(50, 1000, TimeUnit.MILLISECONDS).syncUninterruptibly();
        }
    }

    /**
     * A factory that has its reservation uses Netty's own config, whose validation of the option throws: Netty fails
     * the registration and closes the never-registered channel with {@code closeForcibly()}, which leaves its
     * {@code closeFuture} pending; nothing was bound.
     */
    private static void assertRefusedAtInit(ChannelFuture f, ReservationToken token) {
        assertFalse(f.isSuccess(), "must fail");
        PortReservationException e = assertInstanceOf(PortReservationException.class, f.cause());
        assertEquals(PortReservationException.Reason.INVALID_ARGUMENT, e.reason(), e.getMessage());
        assertTrue(e.getMessage().contains("option RESERVATION_TOKEN=" + token
                + " was set on a channel that does not read it"), e.getMessage());
        assertTrue(e.getMessage().contains("a factory given a reservation, binder or token already binds from it "
                + "(remove the option)"), e.getMessage());
        assertFalse(f.channel().isOpen(), "failed channel closed");
        assertEquals(null, f.channel().localAddress(), "never bound");
    }

    private static void assertRefused(ChannelFuture f, PortReservationException.Reason reason, String inMessage)
            throws InterruptedException {
        assertFalse(f.isSuccess(), "must fail");
        PortReservationException e = assertInstanceOf(PortReservationException.class, f.cause());
        assertEquals(reason, e.reason(), e.getMessage());
        if (inMessage != null) {
            assertTrue(e.getMessage().contains(inMessage), e.getMessage());
        }
        assertTrue(f.channel().closeFuture().await(NettyTestSupport.TIMEOUT.toMillis()), "failed channel closed");
    }
}
