package io.github.portreservation.netty;

import io.github.portreservation.testing.RequiresProvider;
import io.github.portreservation.PortReservations;
import io.github.portreservation.Protocol;
import io.github.portreservation.RuntimeReservation;
import io.netty.channel.Channel;
import io.netty.channel.EventLoopGroup;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * A reserved channel reports the address a stock channel would: a client that connects without a local address is
 * bound to the wildcard and port of the reservation first, and afterwards its {@code localAddress()} is the concrete
 * address the connect gave it (Netty's {@code SocketConnectTest.testLocalAddressAfterConnect}), not the wildcard.
 */
@Tag("netty")
@RequiresProvider
class LocalAddressParityTest {
    private static final InetAddress LOOPBACK = InetAddress.getLoopbackAddress();

    @ParameterizedTest
    @EnumSource(Transport.class)
    void aClientConnectedWithoutLocalAddressReportsTheConcreteAddress(Transport transport) throws Exception {
        assumeTrue(transport.isAvailable(), transport + " unavailable");
        EventLoopGroup group = transport.newGroup(1);
        try (RuntimeReservation r = PortReservations.provider().acquire(Protocol.TCP, 2)) {
            Channel server = NettyTestSupport.bindServer(group, transport == Transport.NIO
                    ? ReservedChannelFactories.nioServer(r) : ReservedChannelFactories.epollServer(r), null,
                    new InetSocketAddress(LOOPBACK, 0), new ArrayList<>()).sync().channel();
            InetSocketAddress serverAddress = (InetSocketAddress) server.localAddress();
            Channel client = NettyTestSupport.connectClient(group, transport.client(r), null, serverAddress, null,
                    new ConcurrentLinkedQueue<>()).sync().channel();
            InetSocketAddress local = (InetSocketAddress) client.localAddress();
            assertFalse(local.getAddress().isAnyLocalAddress(), "a connected client is not on the wildcard: " + local);
            assertEquals(LOOPBACK, local.getAddress(), local.toString());
            assertEquals(r.range().start() + 1, local.getPort(), "the port after the server's: " + local);
            client.close().sync();
            server.close().sync();
        } finally {
            group.shutdownGracefully(0, 1, TimeUnit.SECONDS).sync();
        }
    }

}
