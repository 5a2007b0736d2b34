package io.github.portreservation.netty;

import io.github.portreservation.PortBinding;
import io.github.portreservation.PortReservationException;
import io.github.portreservation.ReservableSocket;
import io.github.portreservation.ReservationToken;
import io.netty.channel.Channel;
import io.netty.util.AttributeKey;

import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.util.concurrent.atomic.AtomicReference;

import static io.github.portreservation.PortReservationException.checkNotNull;

/**
 * The reservation state of one channel: the token its option named, and the {@link PortBinding} it holds once bound.
 *
 * <p>{@link #release()} gives the port back; it is idempotent and thread-safe, because Netty may close a channel from
 * the event loop, from {@code GlobalEventExecutor} ({@code prepareToClose} with SO_LINGER) or through
 * {@code closeForcibly()}. A bind that races with a close releases its own port: the binding is published first,
 * then the channel is checked for openness, while a close closes the socket first and then releases.
 *
 * <p>Closing the binding is all this class does for "socket closed, port back": the binder owns the rest. A binding
 * closed while its kernel socket still exists keeps the port until the socket is gone, and a binding never closed
 * (channels of Netty's final classes release from a {@code closeFuture} listener, which
 * {@code Unsafe.closeForcibly()} never triggers) gives its port back once its binder sees the socket gone (see
 * {@link PortBinding#holdsPort()}).
 */
final class ChannelBindState {
    /**
     * {@link ReservationChannelOption#RESERVATION}, defined here: every reserved bind reads it, and this class is
     * loaded anyway, where the option's holder (and its option class) need not be.
     */
    static final AttributeKey<ReservationToken> RESERVATION =
            AttributeKey.valueOf("io.github.portreservation.netty.ReservationChannelOption#RESERVATION");
    /** The binding of a channel of Netty's own classes, for {@link ReservedChannels#binding}. */
    static final AttributeKey<PortBinding> BINDING =
            AttributeKey.valueOf("io.github.portreservation.netty.ReservedChannels#BINDING");
    private static final InetAddress IPV4_ANY = anyAddress(new byte[4]);
    private static final InetAddress IPV6_ANY = anyAddress(new byte[16]);

    private final Channel channel;
    private final ReservationSource source;
    /** Whether the binding is published as the {@link #BINDING} attribute (a channel of Netty's own classes). */
    private final boolean publishesBinding;
    private final AtomicReference<PortBinding> binding = new AtomicReference<>();
    private volatile ReservationToken optionToken;

    /**
     * The state of {@code channel}, bound from {@code source}; {@code publishesBinding} for a channel of Netty's own
     * classes, whose binding {@link ReservedChannels#binding} can only find as an attribute.
     */
    ChannelBindState(Channel channel, ReservationSource source, boolean publishesBinding) {
        this.channel = checkNotNull(channel, "channel");
        this.source = checkNotNull(source, "source");
        this.publishesBinding = publishesBinding;
    }

    /** The token set through {@link ReservationChannelOption#RESERVATION_TOKEN}, or null. */
    ReservationToken optionToken() {
        return optionToken;
    }

    /**
     * Stores the token of the option. Returns false when this channel's factory does not read the option.
     *
     * @throws IllegalStateException when the channel is already bound: the token only applies to a coming bind
     */
    boolean setOptionToken(Object value) {
        checkNotNull(value, "RESERVATION_TOKEN value");
        if (!(value instanceof ReservationToken)) {
            throw new ClassCastException("RESERVATION_TOKEN takes an " + ReservationToken.class.getName()
                    + ", not " + value.getClass().getName());
        }
        if (binding.get() != null) {
            throw new IllegalStateException("cannot set RESERVATION_TOKEN=" + value + " on " + channel
                    + ": it is already bound from " + binding.get().token() + "; set the option before bind()");
        }
        optionToken = (ReservationToken) value;
        return true;
    }

    /** The binding the channel holds, or null. */
    PortBinding binding() {
        return binding.get();
    }

    /** The token of the option, else of the {@link ReservationChannelOption#RESERVATION} attribute, else null. */
    private ReservationToken token() {
        ReservationToken t = optionToken;
        // hasAttr first: attr() of a missing key adds an empty attribute to the channel, at every bind
        return t != null || !channel.hasAttr(RESERVATION) ? t : channel.attr(RESERVATION).get();
    }

    /** Whether a bind of this channel goes through a binder (false: plain Netty bind). */
    boolean applies() {
        return !source.readsOption() || token() != null;
    }

    /**
     * Binds {@code socket} through the channel's binder.
     *
     * @return false when no reservation applies, and the caller binds as plain Netty does
     * @throws PortReservationException the binder's failure; the socket is left unbound and nothing is held
     */
    boolean bind(ReservableSocket socket, SocketAddress requested) {
        ReservationToken token = token();
        if (!source.applies(token)) {
            return false;
        }
        InetSocketAddress local = inetAddress(requested);
        PortBinding held = binding.get();
        if (held != null) {
            throw new PortReservationException(PortReservationException.Reason.INVALID_ARGUMENT, "channel " + channel
                    + " is already bound to port " + held.port() + " of " + held.token()
                    + "; a channel binds once, open a new channel for another port");
        }
        PortBinding bound = source.bind(token, socket, local);
        if (bound == null) {
            throw new PortReservationException(PortReservationException.Reason.SYSTEM_ERROR, source.binderName()
                    + " returned no binding for " + channel + "; this is a bug of that binder");
        }
        if (!binding.compareAndSet(null, bound)) {
            bound.close();
            throw new PortReservationException(PortReservationException.Reason.INVALID_ARGUMENT,
                    "channel " + channel + " was bound twice at once; a channel binds once");
        }
        if (publishesBinding) {
            channel.attr(BINDING).set(bound);
        }
        if (!socket.socketExists()) {
            release(); // closed while binding: the close may have run before the binding was published
        }
        return true;
    }

    /** The local address for a connect of an unbound channel: the wildcard of {@code remote}'s family, port 0. */
    static InetSocketAddress wildcardFor(SocketAddress remote) {
        boolean ipv6 = remote instanceof InetSocketAddress
                && ((InetSocketAddress) remote).getAddress() instanceof Inet6Address;
        return new InetSocketAddress(ipv6 ? IPV6_ANY : IPV4_ANY, 0);
    }

    /**
     * Closes the channel's binding, once; safe from any thread. Netty runs this from {@code doClose} or a
     * {@code closeFuture} listener, before it deregisters the channel from its selector, and the JDK closes a
     * registered socket only at the selector's next select: until then the old socket is still bound. The binder
     * keeps the port until that socket is gone ({@link PortBinding#holdsPort()}), so no new socket joins it there.
     */
    void release() {
        PortBinding held = binding.getAndSet(null);
        if (held != null) {
            if (publishesBinding) {
                channel.attr(BINDING).compareAndSet(held, null);
            }
            held.close();
        }
    }

    private InetSocketAddress inetAddress(SocketAddress requested) {
        if (requested instanceof InetSocketAddress) {
            return (InetSocketAddress) requested;
        }
        throw PortReservationException.invalidArgument("local address " + requested + " of " + channel,
                "a reservation holds IP ports, so it binds InetSocketAddress only",
                "bind to an InetSocketAddress such as new InetSocketAddress(\"127.0.0.1\", 0)");
    }

    private static InetAddress anyAddress(byte[] zeros) {
        try {
            return InetAddress.getByAddress(zeros);
        } catch (java.net.UnknownHostException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    @Override
    public String toString() {
        PortBinding held = binding.get();
        return "ChannelBindState[" + source + (held == null ? "" : ", port " + held.port()) + "]";
    }
}
