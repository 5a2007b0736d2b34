package io.github.portreservation.reactor;

import io.github.portreservation.PortBinder;
import io.github.portreservation.PortBinding;
import io.github.portreservation.PortReservationException;
import io.github.portreservation.PortReservationException.Reason;
import io.github.portreservation.netty.ReservedChannelFactories;
import io.github.portreservation.netty.ReservedChannels;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFactory;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.socket.DatagramChannel;
import io.netty.channel.socket.ServerSocketChannel;
import io.netty.channel.socket.SocketChannel;
import reactor.core.publisher.Mono;
import reactor.netty.resources.LoopResources;

import java.time.Duration;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;

/**
 * A Reactor Netty {@link LoopResources} whose channels bind from port reservations: TCP server channels from one
 * {@link PortBinder} and, when asked, TCP client channels (their source ports) and UDP channels from others. The event
 * loop groups are those of the wrapped {@code LoopResources}; each reserved channel is of the transport of the group
 * it is created for (NIO or Epoll, as Reactor Netty itself would choose), so {@code runOn(loops)} and
 * {@code runOn(loops, false)} both work. Channels of kinds not asked for are the wrapped resources' own.
 *
 * <pre>{@code
 * LoopResources loops = ReservedLoopResources.builder(LoopResources.create("http"))
 *         .servers(reservation)                 // a RuntimeReservation, a ReservationPool, a lease...
 *         .build();
 * DisposableServer server = HttpServer.create().runOn(loops).host("127.0.0.1").port(0)   // a port of the reservation
 *         .handle(handler).bindNow();
 * }</pre>
 *
 * <p>UDP is all or nothing: Reactor Netty asks for every {@code DatagramChannel} the same way, for
 * {@code UdpServer}/{@code UdpClient} and for the DNS resolver of its clients alike, so {@link Builder#datagrams}
 * reserves the resolver's UDP channels too (and {@link Builder#clients} its TCP fallback channels). Without them the
 * resolver's channels are ordinary ones. io_uring and KQueue groups are refused (UNSUPPORTED): the library has no
 * reserved channels for them. Disposing disposes the wrapped resources.
 */
public final class ReservedLoopResources implements LoopResources {
    private final LoopResources loops;
    private final PortBinder servers;
    private final PortBinder clients;
    private final PortBinder datagrams;
    private final Set<Channel> serverChannels = ConcurrentHashMap.newKeySet();

    private ReservedLoopResources(Builder b) {
        this.loops = b.loops;
        this.servers = b.servers;
        this.clients = b.clients;
        this.datagrams = b.datagrams;
    }

    /** A builder over {@code loops}, which owns the event loop groups (e.g. {@code LoopResources.create("http")}). */
    public static Builder builder(LoopResources loops) {
        return new Builder(PortReservationException.checkNotNull(loops, "loops"));
    }

    /**
     * The ports that the open server channels created here are bound to from their reservation, for start-up checks
     * ("does the server listen on a reserved port?").
     */
    public Set<Integer> boundServerPorts() {
        Set<Integer> ports = new TreeSet<>();
        for (Channel channel : serverChannels) {
            ReservedChannels.binding(channel).filter(PortBinding::isActive).map(PortBinding::port)
                    .ifPresent(ports::add);
        }
        return ports;
    }

    /** Whether server channels bind from a reservation (a binder was given to {@link Builder#servers}). */
    public boolean reservesServers() {
        return servers != null;
    }

    /**
     * A channel of {@code channelType} for {@code group}: a reserved one for the kinds this resources reserve, the
     * wrapped resources' own otherwise.
     *
     * @throws PortReservationException UNSUPPORTED for a reserved kind on a group that is neither NIO nor Epoll
     */
    @Override
    public <CHANNEL extends Channel> CHANNEL onChannel(Class<CHANNEL> channelType, EventLoopGroup group) {
        PortBinder binder = binderFor(channelType);
        if (binder == null) {
            return loops.onChannel(channelType, group);
        }
        boolean epoll = isEpoll(loops.onChannelClass(channelType, group), group);
        Channel channel = factory(channelType, binder, epoll).newChannel();
        if (channelType == ServerSocketChannel.class) {
            serverChannels.add(channel);
            channel.closeFuture().addListener(f -> serverChannels.remove(channel));
        }
        return channelType.cast(channel);
    }

    /**
     * The wrapped resources' channel class for kinds this resources do not reserve.
     *
     * @throws PortReservationException UNSUPPORTED for a reserved kind: a reserved channel cannot be created by
     *         reflection from a class (Reactor Netty itself always calls {@link #onChannel})
     */
    @Override
    public <CHANNEL extends Channel> Class<? extends CHANNEL> onChannelClass(Class<CHANNEL> channelType,
                                                                            EventLoopGroup group) {
        if (binderFor(channelType) != null) {
            throw new PortReservationException(Reason.UNSUPPORTED, "onChannelClass(" + channelType.getName()
                    + "): a reserved " + channelType.getSimpleName() + " is made by a channel factory, not by "
                    + "reflection from a class; call onChannel(type, group) instead");
        }
        return loops.onChannelClass(channelType, group);
    }

    @Override
    public EventLoopGroup onServer(boolean useNative) {
        return loops.onServer(useNative);
    }

    @Override
    public EventLoopGroup onServerSelect(boolean useNative) {
        return loops.onServerSelect(useNative);
    }

    @Override
    public EventLoopGroup onClient(boolean useNative) {
        return loops.onClient(useNative);
    }

    @Override
    public boolean daemon() {
        return loops.daemon();
    }

    @Override
    public Mono<Void> disposeLater(Duration quietPeriod, Duration timeout) {
        return loops.disposeLater(quietPeriod, timeout);
    }

    @Override
    public boolean isDisposed() {
        return loops.isDisposed();
    }

    @Override
    public String toString() {
        return "ReservedLoopResources[servers=" + servers + ", clients=" + clients + ", datagrams=" + datagrams
                + ", loops=" + loops + "]";
    }

    private PortBinder binderFor(Class<?> channelType) {
        if (channelType == ServerSocketChannel.class) {
            return servers;
        }
        if (channelType == SocketChannel.class) {
            return clients;
        }
        return channelType == DatagramChannel.class ? datagrams : null;
    }

    /** Whether Reactor Netty's own choice for {@code group} is an Epoll channel (false: NIO). */
    private static boolean isEpoll(Class<?> plainChannel, EventLoopGroup group) {
        String name = plainChannel.getName();
        if (name.startsWith("io.netty.channel.socket.nio.")) {
            return false;
        }
        if (name.startsWith("io.netty.channel.epoll.")) {
            return true;
        }
        throw new PortReservationException(Reason.UNSUPPORTED, "event loop group " + group + " takes "
                + name + " channels, and the library has reserved channels for NIO and Epoll only; run on an NIO "
                + "or Epoll group (runOn(loops, false) gives NIO; LoopResources picks Epoll when it is available)");
    }

    private static ChannelFactory<? extends Channel> factory(Class<?> type, PortBinder binder, boolean epoll) {
        if (type == ServerSocketChannel.class) {
            return epoll ? ReservedChannelFactories.epollServer(binder) : ReservedChannelFactories.nioServer(binder);
        }
        if (type == SocketChannel.class) {
            return epoll ? ReservedChannelFactories.epollClient(binder) : ReservedChannelFactories.nioClient(binder);
        }
        return epoll ? ReservedChannelFactories.epollDatagram(binder) : ReservedChannelFactories.nioDatagram(binder);
    }

    /** Which channel kinds bind from which binder; at least one. */
    public static final class Builder {
        private final LoopResources loops;
        private PortBinder servers;
        private PortBinder clients;
        private PortBinder datagrams;

        private Builder(LoopResources loops) {
            this.loops = loops;
        }

        /** TCP server channels ({@code HttpServer}, {@code TcpServer}) bind from {@code binder}. */
        public Builder servers(PortBinder binder) {
            this.servers = PortReservationException.checkNotNull(binder, "binder");
            return this;
        }

        /**
         * TCP client channels ({@code HttpClient}, {@code TcpClient}, the DNS resolver's TCP fallback) take their
         * source ports from {@code binder}.
         */
        public Builder clients(PortBinder binder) {
            this.clients = PortReservationException.checkNotNull(binder, "binder");
            return this;
        }

        /** Every UDP channel ({@code UdpServer}, {@code UdpClient}, the DNS resolver's) binds from {@code binder}. */
        public Builder datagrams(PortBinder binder) {
            this.datagrams = PortReservationException.checkNotNull(binder, "binder");
            return this;
        }

        /**
         * The loop resources.
         *
         * @throws PortReservationException INVALID_ARGUMENT when no binder was given
         */
        public ReservedLoopResources build() {
            if (servers == null && clients == null && datagrams == null) {
                throw PortReservationException.invalidArgument("a ReservedLoopResources without binders",
                        "it must reserve servers, clients or datagrams", "call servers(binder), clients(binder) or "
                                + "datagrams(binder) before build(), or use the LoopResources itself");
            }
            return new ReservedLoopResources(this);
        }
    }
}
