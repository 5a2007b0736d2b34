package io.github.portreservation.netty;

import io.github.portreservation.Protocol;
import io.github.portreservation.ReservableSocket;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelOutboundHandlerAdapter;
import io.netty.channel.ChannelPromise;
import io.github.portreservation.internal.Log;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.SocketAddress;

import static io.github.portreservation.PortReservationException.checkNotNull;

/**
 * The outbound interceptor that binds a channel of a final Netty class ({@code NioDatagramChannel}, Epoll channels)
 * from its reservation: it sits first in the pipeline (next to the head), turns {@code bind} and the implicit bind of
 * {@code connect} into a {@link io.github.portreservation.PortBinder#bind} whose socket bind is the transport's own
 * bind, run synchronously on the event loop.
 *
 * <p>The binding is closed when {@code closeFuture} completes, which every Netty close path does except
 * {@code Unsafe.closeForcibly()}; Netty calls that one only on channels that never bound (failed init or
 * registration). A port of a channel closed that way by user code is still not lost: its binder takes it back once it
 * sees the socket gone ({@link io.github.portreservation.PortBinding#holdsPort()}).
 */
final class ReservedBindInterceptor extends ChannelOutboundHandlerAdapter {
    /** The handler's name in the pipeline. */
    static final String NAME = "portReservation";
    private static final Log logger = Log.of(ReservedBindInterceptor.class);

    private final ChannelBindState reservation;
    private final Protocol protocol;
    /** The JDK channel's adapter (NIO), or null. */
    private final ReservableSocket jdk;
    /** The descriptor's access (Epoll), or null. */
    private final ChannelSocket.NativeSocket nativeSocket;

    private ReservedBindInterceptor(ChannelBindState reservation, Protocol protocol, ReservableSocket jdk,
                                   ChannelSocket.NativeSocket nativeSocket) {
        this.reservation = reservation;
        this.protocol = protocol;
        this.jdk = jdk;
        this.nativeSocket = nativeSocket;
    }

    /** Makes the new, unregistered NIO {@code channel} over the JDK channel {@code jdk} bind from {@code source}. */
    static <C extends Channel> C install(C channel, ReservationSource source, Protocol protocol, ReservableSocket jdk) {
        return install(channel, source, protocol, checkNotNull(jdk, "jdk"), null);
    }

    /** Makes the new, unregistered {@code channel} reached through {@code nativeSocket} bind from {@code source}. */
    static <C extends Channel> C install(C channel, ReservationSource source, Protocol protocol,
                                         ChannelSocket.NativeSocket nativeSocket) {
        return install(channel, source, protocol, null, checkNotNull(nativeSocket, "nativeSocket"));
    }

    private static <C extends Channel> C install(C channel, ReservationSource source, Protocol protocol,
                                                 ReservableSocket jdk, ChannelSocket.NativeSocket nativeSocket) {
        ChannelBindState reservation = new ChannelBindState(channel, source, true);
        channel.closeFuture().addListener(new ReleaseOnClose(reservation));
        channel.pipeline().addFirst(NAME, new ReservedBindInterceptor(reservation, protocol, jdk, nativeSocket));
        return channel;
    }

    @Override
    public void bind(ChannelHandlerContext ctx, SocketAddress localAddress, ChannelPromise promise) {
        boolean reserved;
        try {
            reserved = reservation.bind(socket(ctx), localAddress);
        } catch (Throwable t) {
            promise.tryFailure(t);
            return;
        }
        if (reserved) {
            promise.trySuccess();
        } else {
            ctx.bind(localAddress, promise);
        }
    }

    @Override
    public void connect(ChannelHandlerContext ctx, SocketAddress remoteAddress, SocketAddress localAddress,
                        ChannelPromise promise) {
        SocketAddress local = localAddress;
        if (reservation.applies() && reservation.binding() == null && ctx.channel().localAddress() == null) {
            try {
                if (reservation.bind(socket(ctx),
                        local != null ? local : ChannelBindState.wildcardFor(remoteAddress))) {
                    local = null; // bound from the reservation: connect only
                }
            } catch (Throwable t) {
                promise.tryFailure(t);
                return;
            }
        }
        ctx.connect(remoteAddress, local, promise);
    }

    @Override
    public void handlerRemoved(ChannelHandlerContext ctx) {
        Channel channel = ctx.channel();
        if (channel.isOpen() && reservation.binding() == null && channel.localAddress() == null) {
            // Without this handler the channel would bind as a plain channel: never ignore the reservation silently.
            logger.warn("{} was removed from the pipeline of the unbound reserved channel {}; closing the channel so "
                    + "that it cannot bind outside its reservation", NAME, channel);
            channel.close();
        }
    }

    private ChannelSocket socket(ChannelHandlerContext ctx) {
        return jdk != null ? new PipelineSocket(ctx, protocol, jdk) : new PipelineSocket(ctx, protocol, nativeSocket);
    }

    /** The channel bound through the rest of its pipeline. */
    private static final class PipelineSocket extends ChannelSocket {
        private final ChannelHandlerContext ctx;

        PipelineSocket(ChannelHandlerContext ctx, Protocol protocol, ReservableSocket jdk) {
            super(ctx.channel(), protocol, jdk);
            this.ctx = ctx;
        }

        PipelineSocket(ChannelHandlerContext ctx, Protocol protocol, NativeSocket nativeSocket) {
            super(ctx.channel(), protocol, nativeSocket);
            this.ctx = ctx;
        }

        @Override
        void transportBind(InetSocketAddress localAddress) throws Exception {
            bindNow(ctx, localAddress);
        }
    }

    /** The transport's bind, through the rest of the pipeline; it completes at once on the event loop. */
    private static void bindNow(ChannelHandlerContext ctx, InetSocketAddress localAddress) throws Exception {
        ChannelPromise bound = ctx.newPromise();
        ctx.bind(localAddress, bound);
        if (!bound.isDone()) {
            throw new IOException("the bind of " + ctx.channel() + " to " + localAddress + " did not complete on the "
                    + "event loop: a handler added before '" + NAME + "' delays bind(); keep '" + NAME
                    + "' first in the pipeline");
        }
        Throwable cause = bound.cause();
        if (cause instanceof Exception) {
            throw (Exception) cause;
        }
        if (cause != null) {
            throw new IOException(cause);
        }
    }

    /** Gives the port back when the channel closes: a class, not a lambda (start-up, see NamedChannelFactory). */
    private static final class ReleaseOnClose implements ChannelFutureListener {
        private final ChannelBindState reservation;

        ReleaseOnClose(ChannelBindState reservation) {
            this.reservation = reservation;
        }

        @Override
        public void operationComplete(ChannelFuture future) {
            reservation.release();
        }
    }
}
