package io.github.portreservation.pool;

import io.github.portreservation.PortReservationException;
import io.github.portreservation.PortReservationException.Reason;
import io.github.portreservation.PortReservationProvider;
import io.github.portreservation.PortReservations;
import io.github.portreservation.Protocol;
import io.github.portreservation.netty.ReservedChannelFactories;
import io.github.portreservation.testing.Await;
import io.github.portreservation.testing.RequiresProvider;
import io.netty.bootstrap.Bootstrap;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFactory;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.epoll.EpollEventLoopGroup;
import io.netty.channel.nio.NioEventLoopGroup;
import io.netty.channel.socket.DatagramChannel;
import io.netty.channel.socket.DatagramPacket;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledOnOs;
import org.junit.jupiter.api.condition.OS;

import java.io.IOException;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;

import static io.github.portreservation.pool.LinuxPools.V6;
import static io.github.portreservation.pool.LinuxPools.ipv6LoopbackWorks;
import static io.github.portreservation.testing.HeldPorts.assertHeld;
import static io.github.portreservation.testing.HeldPorts.assertUdpHeld;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * Shape leases behind Netty channels, on the real Linux provider: the RTP and RTCP datagram channels of one pair
 * lease, datagram channels on 127.0.0.1 and ::1 sharing its RTP port (NIO and Epoll), a TCP server and a UDP channel
 * on the same number, and the ports coming back on each close path.
 */
@EnabledOnOs(OS.LINUX)
@Tag("netty")
@SuppressWarnings("deprecation") // NioEventLoopGroup / EpollEventLoopGroup: deprecated in 4.2, the only ones in 4.1
@RequiresProvider(PortReservations.LINUX)
class NettyShapeLeaseTest {
    private static final InetAddress LOOPBACK = InetAddress.getLoopbackAddress();
    private static PortReservationProvider provider;
    private static EventLoopGroup group;

    @BeforeAll
    static void start() {
        provider = LinuxPools.provider();
        group = new NioEventLoopGroup(2);
    }

    @AfterAll
    static void stop() {
        if (group != null) {
            group.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
        }
    }

    /** Echoes every datagram to its sender. */
    @ChannelHandler.Sharable
    private static final class DatagramEcho extends SimpleChannelInboundHandler<DatagramPacket> {
        static final DatagramEcho INSTANCE = new DatagramEcho();

        @Override
        protected void channelRead0(ChannelHandlerContext ctx, DatagramPacket packet) {
            ctx.writeAndFlush(new DatagramPacket(packet.content().retain(), packet.sender()));
        }
    }

    /** Echoes the bytes of every connection. */
    @ChannelHandler.Sharable
    private static final class StreamEcho extends ChannelInboundHandlerAdapter {
        static final StreamEcho INSTANCE = new StreamEcho();

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            ctx.writeAndFlush(msg);
        }
    }

    private static ChannelFuture bindDatagram(EventLoopGroup loops, ChannelFactory<? extends DatagramChannel> factory,
                                              int port) {
        return bindDatagram(loops, factory, LOOPBACK, port);
    }

    private static ChannelFuture bindDatagram(EventLoopGroup loops, ChannelFactory<? extends DatagramChannel> factory,
                                              InetAddress address, int port) {
        return new Bootstrap().group(loops).channelFactory(factory).handler(DatagramEcho.INSTANCE)
                .bind(new InetSocketAddress(address, port));
    }

    private static int port(Channel channel) {
        return ((InetSocketAddress) channel.localAddress()).getPort();
    }

    /** One datagram to {@code port} and its echo, from a plain JDK socket. */
    private static void udpEcho(int port) throws IOException {
        udpEcho(LOOPBACK, port);
    }

    /** One datagram to {@code address}:{@code port} and its echo, from a plain JDK socket on that address. */
    private static void udpEcho(InetAddress address, int port) throws IOException {
        try (DatagramSocket s = new DatagramSocket(new InetSocketAddress(address, 0))) {
            s.setSoTimeout(5_000);
            byte[] out = {(byte) port, (byte) (port >> 8)};
            s.send(new java.net.DatagramPacket(out, 2, new InetSocketAddress(address, port)));
            java.net.DatagramPacket in = new java.net.DatagramPacket(new byte[8], 8);
            s.receive(in);
            assertEquals(2, in.getLength());
            assertEquals(out[0], in.getData()[0]);
        }
    }

    private static void tcpEcho(int port) throws IOException {
        try (Socket socket = new Socket(LOOPBACK, port)) {
            socket.setSoTimeout(5_000);
            socket.getOutputStream().write(port & 0x7F);
            assertEquals(port & 0x7F, socket.getInputStream().read());
        }
    }

    @Test
    void theRtpAndRtcpChannelsOfOnePairLeaseBindItsEvenPortAndTheNextOne() throws Exception {
        ReservationPool pool = ReservationPool.builder(provider, Protocol.UDP).blockSize(8).build();
        ShapeLease pair = pool.lease(PortShape.rtpPair());
        ChannelFactory<DatagramChannel> fromPair = ReservedChannelFactories.nioDatagram(pair);
        Channel rtp = bindDatagram(group, fromPair, 0).sync().channel();
        Channel rtcp = bindDatagram(group, fromPair, 0).sync().channel();
        assertEquals(pair.ports().start(), port(rtp));
        assertEquals(pair.ports().start() + 1, port(rtcp));
        assertEquals(0, port(rtp) % 2);
        udpEcho(port(rtp));
        udpEcho(port(rtcp));
        ChannelFuture third = bindDatagram(group, fromPair, 0);
        third.await(5, TimeUnit.SECONDS);
        assertInstanceOf(PortReservationException.class, third.cause());
        assertEquals(Reason.EXHAUSTED, ((PortReservationException) third.cause()).reason());
        rtp.close().sync();
        rtcp.close().sync();
        assertEquals(2, pool.statistics().leased(), "the channels are closed, the lease is not");
        // The lease binds new channels to its ports once the old sockets are gone.
        Channel again = Await.openWhenPortIsBack(() -> bindDatagram(group, fromPair, pair.ports().start()),
                Reason.IN_USE).sync().channel();
        udpEcho(port(again));
        pair.close(); // before its last channel: the ports come back with the channel's close
        assertEquals(2, pool.statistics().leased());
        again.close().sync();
        Await.assertEventually(0, () -> pool.statistics().leased(), "leased once the last channel is gone");
        assertUdpHeld(pair.ports().start());
        pool.close();
        pool.terminationFuture().get(5, TimeUnit.SECONDS);
    }

    /**
     * Datagram channels of {@code factories} on 127.0.0.1 and ::1 share the RTP port of a pair lease (a third on
     * 127.0.0.1 is refused: IN_USE, nothing changes), and the pair comes back once the lease and both are closed.
     */
    private static void ipv4AndIpv6ChannelsShareTheRtpPort(EventLoopGroup loops,
            Function<ShapeLease, ChannelFactory<? extends DatagramChannel>> factories) throws Exception {
        ReservationPool pool = ReservationPool.builder(provider, Protocol.UDP).blockSize(8).build();
        ShapeLease pair = pool.lease(PortShape.rtpPair());
        ChannelFactory<? extends DatagramChannel> fromPair = factories.apply(pair);
        int rtpPort = pair.ports().start();
        Channel v4 = bindDatagram(loops, fromPair, LOOPBACK, 0).sync().channel();
        Channel v6 = bindDatagram(loops, fromPair, V6, rtpPort).sync().channel();
        Channel rtcp = bindDatagram(loops, fromPair, LOOPBACK, 0).sync().channel();
        assertEquals(new InetSocketAddress(LOOPBACK, rtpPort), v4.localAddress());
        assertEquals(new InetSocketAddress(V6, rtpPort), v6.localAddress());
        assertEquals(rtpPort + 1, port(rtcp), "port 0: the lowest port without a UDP socket");
        udpEcho(LOOPBACK, rtpPort);
        udpEcho(V6, rtpPort);
        udpEcho(LOOPBACK, rtpPort + 1);
        ChannelFuture third = bindDatagram(loops, fromPair, LOOPBACK, rtpPort);
        assertTrue(third.await(5, TimeUnit.SECONDS));
        PortReservationException refused = assertInstanceOf(PortReservationException.class, third.cause());
        assertEquals(Reason.IN_USE, refused.reason(), refused.getMessage());
        assertTrue(refused.getMessage().startsWith("IN_USE: port " + rtpPort + " of the lease of ports "
                + pair.ports() + " cannot carry "), refused.getMessage());
        third.channel().close().sync();
        PoolStatistics s = pool.statistics();
        assertEquals("2 leased, 0 failures, 0 quarantined, 1 granted", s.leased() + " leased, " + s.failures()
                + " failures, " + s.quarantined() + " quarantined, " + s.leasesGranted() + " granted");
        assertTrue(pair.isActive());

        pair.close();
        v4.close().sync();
        rtcp.close().sync();
        udpEcho(V6, rtpPort);
        assertEquals(2, pool.statistics().leased(), "the ::1 channel still holds the RTP port, and the pair with it");
        v6.close().sync();
        Await.assertEventually(0, () -> pool.statistics().leased(), "leased once the last channel is gone");
        assertEquals(0, pool.statistics().quarantined());
        pool.close();
        pool.terminationFuture().get(5, TimeUnit.SECONDS);
    }

    @Test
    void nioDatagramChannelsOnIpv4AndIpv6LoopbackShareTheRtpPortOfAPairLease() throws Exception {
        assumeTrue(ipv6LoopbackWorks(), "no IPv6 loopback (::1) here");
        ipv4AndIpv6ChannelsShareTheRtpPort(group, ReservedChannelFactories::nioDatagram);
    }

    @Test
    void epollDatagramChannelsOnIpv4AndIpv6LoopbackShareTheRtpPortOfAPairLease() throws Exception {
        assumeTrue(ReservedChannelFactories.isEpollAvailable(), "netty-transport-native-epoll is not usable here");
        assumeTrue(ipv6LoopbackWorks(), "no IPv6 loopback (::1) here");
        EventLoopGroup epoll = new EpollEventLoopGroup(1);
        try {
            ipv4AndIpv6ChannelsShareTheRtpPort(epoll, ReservedChannelFactories::epollDatagram);
        } finally {
            epoll.shutdownGracefully(0, 1, TimeUnit.SECONDS).sync();
        }
    }

    @Test
    void aUdpChannelAndATcpServerShareOneNumberLeasedForBothProtocols() throws Exception {
        ReservationPool pool = ReservationPool.builder(provider, Protocol.TCP, Protocol.UDP).blockSize(4).build();
        ShapeLease number = pool.lease(PortShape.single());
        Channel server = new ServerBootstrap().group(group).channelFactory(ReservedChannelFactories.nioServer(number))
                .childHandler(StreamEcho.INSTANCE).bind(new InetSocketAddress(LOOPBACK, 0)).sync().channel();
        Channel udp = bindDatagram(group, ReservedChannelFactories.nioDatagram(number), 0).sync().channel();
        int port = number.ports().start();
        assertEquals(port, port(server));
        assertEquals(port, port(udp));
        tcpEcho(port);
        udpEcho(port);
        int other = number.blockRange().start() == port ? port + 1 : number.blockRange().start();
        assertHeld(other);
        assertUdpHeld(other);
        number.close();
        server.close().sync();
        assertEquals(1, pool.statistics().leased(), "the UDP channel still holds the number");
        udp.close().sync();
        Await.assertEventually(0, () -> pool.statistics().leased(), "leased once both channels are gone");
        pool.close();
        pool.terminationFuture().get(5, TimeUnit.SECONDS);
    }

    @Test
    void theShapeComesBackWhenTheEventLoopShutsDownOrAChannelIsClosedForcibly() throws Exception {
        ReservationPool pool = ReservationPool.builder(provider, Protocol.UDP).blockSize(4).build();
        EventLoopGroup own = new NioEventLoopGroup(1);
        ShapeLease pair = pool.lease(PortShape.rtpPair());
        ChannelFuture rtp = bindDatagram(own, ReservedChannelFactories.nioDatagram(pair), 0).sync();
        bindDatagram(own, ReservedChannelFactories.nioDatagram(pair), 0).sync();
        pair.close();
        assertEquals(2, pool.statistics().leased());
        // A quiet period > 0: with 0, Netty 4.2 often ends the loop without closing its channels (see
        // ReservedChannelClosePathTest), which then keep their sockets and ports.
        own.shutdownGracefully(50, 1000, TimeUnit.MILLISECONDS).sync();
        assertFalse(rtp.channel().isOpen(), "the shutdown closed the channel");
        Await.assertEventually(0, () -> pool.statistics().leased(), "leased after the loop shut down");

        ShapeLease forced = pool.lease(PortShape.rtpPair());
        Channel forcedRtp = bindDatagram(group, ReservedChannelFactories.nioDatagram(forced), 0).sync().channel();
        forcedRtp.eventLoop().submit(() -> forcedRtp.unsafe().closeForcibly()).sync(); // completes no closeFuture
        assertFalse(forcedRtp.isOpen());
        forced.close();
        Await.assertEventually(0, () -> pool.statistics().leased(), "leased once the socket is gone");
        pool.close();
        pool.terminationFuture().get(5, TimeUnit.SECONDS);
    }

    @Test
    void epollDatagramChannelsBindFromAPairLeaseToo() throws Exception {
        assumeTrue(ReservedChannelFactories.isEpollAvailable(), "netty-transport-native-epoll is not usable here");
        EventLoopGroup epoll = new EpollEventLoopGroup(1);
        try {
            ReservationPool pool = ReservationPool.builder(provider, Protocol.UDP).blockSize(4).build();
            ShapeLease pair = pool.lease(PortShape.rtpPair());
            Channel rtp = bindDatagram(epoll, ReservedChannelFactories.epollDatagram(pair), 0).sync().channel();
            Channel rtcp = bindDatagram(epoll, ReservedChannelFactories.epollDatagram(pair), 0).sync().channel();
            assertEquals(pair.ports().start(), port(rtp));
            assertEquals(pair.ports().start() + 1, port(rtcp));
            udpEcho(port(rtcp));
            rtp.close().sync();
            rtcp.close().sync();
            pair.close();
            Await.assertEventually(0, () -> pool.statistics().leased(), "leased after the Epoll channels closed");
            assertEquals(1, pool.statistics().leasesGranted());
            pool.close();
            pool.terminationFuture().get(5, TimeUnit.SECONDS);
        } finally {
            epoll.shutdownGracefully(0, 1, TimeUnit.SECONDS).sync();
        }
    }
}
