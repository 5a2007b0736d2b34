package io.github.portreservation.netty;

import io.github.portreservation.PortBinder;
import io.github.portreservation.PortReservationException;
import io.github.portreservation.PortReservationProvider;
import io.github.portreservation.ReservationToken;
import io.github.portreservation.internal.OptionalClasses;
import io.netty.channel.ChannelFactory;
import io.netty.channel.socket.DatagramChannel;
import io.netty.channel.socket.ServerSocketChannel;
import io.netty.channel.socket.SocketChannel;

/**
 * Netty {@link ChannelFactory channel factories} whose channels bind from a port reservation: TCP servers, TCP
 * clients (reserved local/source port) and UDP, on NIO and, on Linux with netty-transport-native-epoll, on Epoll.
 *
 * <pre>{@code
 * new ServerBootstrap().group(group)
 *     .channelFactory(ReservedChannelFactories.nioServer())
 *     .option(ReservationChannelOption.RESERVATION_TOKEN, reservation.token())
 *     .childHandler(handler)
 *     .bind(0);                                  // any free port of the reservation
 *
 * new Bootstrap().group(group)
 *     .channelFactory(ReservedChannelFactories.nioDatagram(reservation))   // a RuntimeReservation is a PortBinder
 *     .handler(handler)
 *     .bind(0);
 * }</pre>
 *
 * <p>The reservation reaches a channel in one of two ways:
 * <ul>
 *   <li>the {@link ReservationChannelOption#RESERVATION_TOKEN} option, for the NIO TCP factories without argument
 *       ({@link #nioServer()}, {@link #nioClient()}); without the option these channels bind like plain Netty
 *       ones;</li>
 *   <li>a factory argument: a {@link PortBinder} (a {@code RuntimeReservation}, a pool, a token and provider) or a
 *       {@link ReservationToken}. This is the only way for UDP and Epoll, whose Netty channel classes are final and
 *       never hand an unknown option to anyone (Netty only logs "Unknown channel option"), so they have no
 *       option variant. On a NIO TCP channel of a factory that already has a binder, setting the option fails the
 *       bind: one channel, one reservation.</li>
 * </ul>
 *
 * <p>UDP and Epoll channels bind through an interceptor named {@code "portReservation"}, first in the pipeline;
 * removing it from an unbound channel closes the channel rather than let it bind outside its reservation. See
 * docs/netty.md for the design and the close paths.
 *
 * <p>Bind rules (checked by the binder before any socket is bound): port 0 takes a free port of the reservation, a
 * port of the block takes that port or fails IN_USE, a port outside the block fails OUTSIDE_RESERVATION, a full
 * reservation fails EXHAUSTED. The failure is the bind (or connect) failure, a {@link PortReservationException}.
 * The port goes back to the reservation when the channel closes, on every close path. Accepted child channels of a
 * reserved server are plain Netty channels.
 */
public final class ReservedChannelFactories {
    private static final String EPOLL_CLASS = "io.netty.channel.epoll.Epoll";

    private ReservedChannelFactories() {
    }

    /** NIO TCP server channels that bind from the token of their RESERVATION_TOKEN option (default provider). */
    public static ChannelFactory<ServerSocketChannel> nioServer() {
        return NioChannelFactories.server(ReservationSource.option());
    }

    /** NIO TCP server channels that bind from their RESERVATION_TOKEN option's token, resolved by {@code provider}. */
    public static ChannelFactory<ServerSocketChannel> nioServer(PortReservationProvider provider) {
        return NioChannelFactories.server(ReservationSource.option(provider));
    }

    /** NIO TCP server channels that all bind from {@code binder}. */
    public static ChannelFactory<ServerSocketChannel> nioServer(PortBinder binder) {
        return NioChannelFactories.server(ReservationSource.fixed(binder));
    }

    /** NIO TCP client channels whose local port comes from the token of their RESERVATION_TOKEN option. */
    public static ChannelFactory<SocketChannel> nioClient() {
        return NioChannelFactories.client(ReservationSource.option());
    }

    /** NIO TCP client channels whose local port comes from their option's token, resolved by {@code provider}. */
    public static ChannelFactory<SocketChannel> nioClient(PortReservationProvider provider) {
        return NioChannelFactories.client(ReservationSource.option(provider));
    }

    /** NIO TCP client channels whose local port comes from {@code binder}. */
    public static ChannelFactory<SocketChannel> nioClient(PortBinder binder) {
        return NioChannelFactories.client(ReservationSource.fixed(binder));
    }

    /** NIO UDP channels that bind from {@code binder}. */
    public static ChannelFactory<DatagramChannel> nioDatagram(PortBinder binder) {
        return NioChannelFactories.datagram(ReservationSource.fixed(binder));
    }

    /**
     * NIO UDP channels that bind from the token of their {@link ReservationChannelOption#RESERVATION} attribute
     * (default provider); without the attribute they bind like plain Netty channels.
     */
    public static ChannelFactory<DatagramChannel> nioDatagram() {
        return NioChannelFactories.datagram(ReservationSource.option());
    }

    /** NIO UDP channels that bind from their RESERVATION attribute's token, resolved by {@code provider}. */
    public static ChannelFactory<DatagramChannel> nioDatagram(PortReservationProvider provider) {
        return NioChannelFactories.datagram(ReservationSource.option(provider));
    }

    /** NIO UDP channels that bind from the reservation named by {@code token} (default provider). */
    public static ChannelFactory<DatagramChannel> nioDatagram(ReservationToken token) {
        return NioChannelFactories.datagram(ReservationSource.token(token));
    }

    /**
     * Epoll TCP server channels that bind from {@code binder}.
     *
     * @throws PortReservationException UNSUPPORTED when netty-transport-native-epoll is missing or cannot load
     */
    public static ChannelFactory<ServerSocketChannel> epollServer(PortBinder binder) {
        return EpollChannelFactories.server(epoll(ReservationSource.fixed(binder)));
    }

    /**
     * Epoll TCP server channels that bind from the token of their {@link ReservationChannelOption#RESERVATION}
     * attribute (default provider); without it they bind like plain Netty channels.
     *
     * @throws PortReservationException UNSUPPORTED when netty-transport-native-epoll is missing or cannot load
     */
    public static ChannelFactory<ServerSocketChannel> epollServer() {
        return EpollChannelFactories.server(epoll(ReservationSource.option()));
    }

    /** Epoll TCP client channels whose local port comes from their RESERVATION attribute's token. */
    public static ChannelFactory<SocketChannel> epollClient() {
        return EpollChannelFactories.client(epoll(ReservationSource.option()));
    }

    /** Epoll UDP channels that bind from their RESERVATION attribute's token. */
    public static ChannelFactory<DatagramChannel> epollDatagram() {
        return EpollChannelFactories.datagram(epoll(ReservationSource.option()));
    }

    /** Epoll TCP server channels that bind from the reservation named by {@code token} (default provider). */
    public static ChannelFactory<ServerSocketChannel> epollServer(ReservationToken token) {
        return EpollChannelFactories.server(epoll(ReservationSource.token(token)));
    }

    /** Epoll TCP client channels whose local port comes from {@code binder}; see {@link #epollServer(PortBinder)}. */
    public static ChannelFactory<SocketChannel> epollClient(PortBinder binder) {
        return EpollChannelFactories.client(epoll(ReservationSource.fixed(binder)));
    }

    /** Epoll TCP client channels whose local port comes from the reservation named by {@code token}. */
    public static ChannelFactory<SocketChannel> epollClient(ReservationToken token) {
        return EpollChannelFactories.client(epoll(ReservationSource.token(token)));
    }

    /** Epoll UDP channels that bind from {@code binder}; see {@link #epollServer(PortBinder)}. */
    public static ChannelFactory<DatagramChannel> epollDatagram(PortBinder binder) {
        return EpollChannelFactories.datagram(epoll(ReservationSource.fixed(binder)));
    }

    /** Epoll UDP channels that bind from the reservation named by {@code token}. */
    public static ChannelFactory<DatagramChannel> epollDatagram(ReservationToken token) {
        return EpollChannelFactories.datagram(epoll(ReservationSource.token(token)));
    }

    /** Whether the Epoll factories can be used: netty-transport-native-epoll is present and loads here. */
    public static boolean isEpollAvailable() {
        if (!OptionalClasses.present(EPOLL_CLASS, ReservedChannelFactories.class)) {
            return false;
        }
        try {
            EpollChannelFactories.ensureAvailable();
            return true;
        } catch (PortReservationException e) {
            return false;
        }
    }

    /**
     * Returns {@code source} once the Epoll classes are known to be present: the argument is evaluated before the
     * call that loads {@link EpollChannelFactories}, so a missing jar gives this error and not a NoClassDefFoundError.
     */
    private static ReservationSource epoll(ReservationSource source) {
        if (!OptionalClasses.present(EPOLL_CLASS, ReservedChannelFactories.class)) {
            throw new PortReservationException(PortReservationException.Reason.UNSUPPORTED,
                    "the Epoll factories need io.netty:netty-transport-native-epoll (an optional dependency of this "
                            + "library), which is not on the class path; add it with the classifier of this platform "
                            + "(e.g. linux-x86_64), or use the NIO factories");
        }
        return source;
    }
}
