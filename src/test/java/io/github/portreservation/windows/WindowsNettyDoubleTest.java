package io.github.portreservation.windows;

import io.github.portreservation.testing.ForwardingSocket;
import io.github.portreservation.testing.Await;
import io.github.portreservation.PortBinder;
import io.github.portreservation.PortRange;
import io.github.portreservation.PortReservationException;
import io.github.portreservation.Protocol;
import io.github.portreservation.RuntimeReservation;
import io.github.portreservation.netty.ReservedChannelFactories;
import io.netty.bootstrap.Bootstrap;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.socket.DatagramPacket;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;

import static io.github.portreservation.windows.WindowsConstants.SIO_ASSOCIATE_PORT_RESERVATION;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The Netty NIO factories over {@link WindowsPortReservationProvider} on the native test double (not real Windows):
 * each bind reads the Netty channel's SOCKET handle, associates it with the reservation
 * (SIO_ASSOCIATE_PORT_RESERVATION) before the bind, then binds the port the double hands out, as Windows' bind() would
 * after the association. Echo traffic on loopback; ports come back on close.
 */
@Tag("netty")
class WindowsNettyDoubleTest {
    private static final InetAddress LOOPBACK = InetAddress.getLoopbackAddress();

    private NativeDouble.Control control;
    private WindowsPortReservationProvider provider;
    private EventLoopGroup group;
    /** For each bind: the token the double had associated with the Netty channel's SOCKET when bind() ran. */
    private final List<Long> associatedAtBind = new CopyOnWriteArrayList<>();

    @BeforeEach
    @SuppressWarnings("deprecation") // NioEventLoopGroup: the one group class of both Netty 4.1 and 4.2
    void setUp() {
        NativeDouble.assumeAvailable();
        control = NativeDouble.control();
        provider = WindowsPortReservationProvider.create(NativeDouble.natives());
        group = new io.netty.channel.nio.NioEventLoopGroup(1);
    }

    @AfterEach
    void tearDown() {
        if (group != null) {
            group.shutdownGracefully(50, 1000, TimeUnit.MILLISECONDS).syncUninterruptibly();
        }
    }

    /** The reservation as Netty's factories see it; the socket's bind follows the double, as Windows' would. */
    private PortBinder onTheDouble(RuntimeReservation reservation) {
        return (socket, requested) -> {
            DoubleSocket onDouble = new DoubleSocket(socket, control);
            return reservation.bind(new ForwardingSocket(onDouble) {
                @Override
                public void bind(InetSocketAddress localAddress) throws IOException {
                    associatedAtBind.add(control.double_associated_token(new SocketHandle(socket.nativeHandle())));
                    super.bind(localAddress);
                }
            }, requested);
        };
    }

    private int associateCalls() {
        return control.double_ioctl_calls(SIO_ASSOCIATE_PORT_RESERVATION);
    }

    @Test
    void nioServerAssociatesItsSocketBeforeBindAndServes() throws Exception {
        PortRange range = FreePorts.block(4);
        try (RuntimeReservation reservation = provider.acquire(Protocol.TCP, range)) {
            int associations = associateCalls();
            Channel server = new ServerBootstrap().group(group)
                    .channelFactory(ReservedChannelFactories.nioServer(onTheDouble(reservation)))
                    .childHandler(new ChannelInboundHandlerAdapter() {
                        @Override
                        public void channelRead(ChannelHandlerContext ctx, Object msg) {
                            ctx.writeAndFlush(msg);
                        }
                    })
                    .bind(new InetSocketAddress(LOOPBACK, 0)).sync().channel();
            int port = ((InetSocketAddress) server.localAddress()).getPort();
            assertTrue(range.contains(port), port + " in " + range);
            assertEquals(associations + 1, associateCalls(), "one SIO_ASSOCIATE_PORT_RESERVATION per bind");
            assertEquals(List.of(reservation.token().value()), associatedAtBind,
                    "the Netty channel's own SOCKET was associated with the reservation before bind()");
            assertEquals(1, control.double_reservation_ports_in_use(reservation.token().value()));
            Await.assertEventually(3, reservation::availablePorts, "reservation.availablePorts()");

            byte[] ping = "ping through a Windows-reserved port".getBytes(StandardCharsets.UTF_8);
            try (Socket peer = new Socket(LOOPBACK, port)) {
                peer.setSoTimeout(10_000);
                OutputStream out = peer.getOutputStream();
                out.write(ping);
                out.flush();
                assertArrayEquals(ping, peer.getInputStream().readNBytes(ping.length));
            }

            ChannelFuture outside = new ServerBootstrap().group(group)
                    .channelFactory(ReservedChannelFactories.nioServer(onTheDouble(reservation)))
                    .childHandler(new ChannelInboundHandlerAdapter())
                    .bind(new InetSocketAddress(LOOPBACK, range.end() + 1)).await();
            assertEquals(PortReservationException.Reason.OUTSIDE_RESERVATION,
                    assertInstanceOf(PortReservationException.class, outside.cause()).reason());
            assertEquals(associations + 1, associateCalls(), "refused before any native call");

            server.close().sync();
            Await.assertEventually(4, reservation::availablePorts, "reservation.availablePorts()");
        }
    }

    @Test
    void nioClientConnectsFromAReservedSourcePort() throws Exception {
        PortRange range = FreePorts.block(4);
        try (RuntimeReservation reservation = provider.acquire(Protocol.TCP, range);
             ServerSocket peer = new ServerSocket(0, 8, LOOPBACK)) {
            CompletableFuture<String> echoed = new CompletableFuture<>();
            Channel client = new Bootstrap().group(group)
                    .channelFactory(ReservedChannelFactories.nioClient(onTheDouble(reservation)))
                    .handler(new SimpleChannelInboundHandler<ByteBuf>() {
                        @Override
                        protected void channelRead0(ChannelHandlerContext ctx, ByteBuf msg) {
                            echoed.complete(msg.toString(StandardCharsets.UTF_8));
                        }
                    })
                    .connect(peer.getLocalSocketAddress()).sync().channel();
            try (Socket accepted = peer.accept()) {
                assertTrue(range.contains(accepted.getPort()), "source port " + accepted.getPort() + " in " + range);
                client.writeAndFlush(Unpooled.copiedBuffer("hi", StandardCharsets.UTF_8)).sync();
                InputStream in = accepted.getInputStream();
                byte[] got = in.readNBytes(2);
                accepted.getOutputStream().write(got);
                assertEquals("hi", echoed.get(10, TimeUnit.SECONDS));
                // while connected (closing `accepted` makes the client close itself and give its port back)
                assertEquals(3, reservation.availablePorts(), "one port used by the connected client");
            }
            assertEquals(List.of(reservation.token().value()), associatedAtBind);
            client.close().sync();
            Await.assertEventually(4, reservation::availablePorts, "reservation.availablePorts()");
        }
    }

    @Test
    void nioDatagramBindsFromTheBlockAndEchoes() throws Exception {
        PortRange range = FreePorts.block(2);
        try (RuntimeReservation reservation = provider.acquire(Protocol.UDP, range)) {
            Channel udp = new Bootstrap().group(group)
                    .channelFactory(ReservedChannelFactories.nioDatagram(onTheDouble(reservation)))
                    .handler(new SimpleChannelInboundHandler<DatagramPacket>() {
                        @Override
                        protected void channelRead0(ChannelHandlerContext ctx, DatagramPacket packet) {
                            ctx.writeAndFlush(new DatagramPacket(packet.content().retain(), packet.sender()));
                        }
                    })
                    .bind(new InetSocketAddress(LOOPBACK, range.start() + 1)).sync().channel();
            assertEquals(range.start() + 1, ((InetSocketAddress) udp.localAddress()).getPort());
            try (DatagramSocket peer = new DatagramSocket(new InetSocketAddress(LOOPBACK, 0))) {
                peer.setSoTimeout(10_000);
                byte[] data = "datagram".getBytes(StandardCharsets.UTF_8);
                peer.send(new java.net.DatagramPacket(data, data.length, udp.localAddress()));
                java.net.DatagramPacket reply = new java.net.DatagramPacket(new byte[64], 64);
                peer.receive(reply);
                assertEquals(range.start() + 1, reply.getPort());
                assertEquals("datagram", new String(reply.getData(), 0, reply.getLength(), StandardCharsets.UTF_8));
            }
            assertEquals(List.of(reservation.token().value()), associatedAtBind);
            udp.close().sync();
            assertFalse(udp.isOpen());
            Await.assertEventually(2, reservation::availablePorts, "reservation.availablePorts()");
        }
    }
}
