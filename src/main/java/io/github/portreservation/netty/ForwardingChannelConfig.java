package io.github.portreservation.netty;

import io.netty.buffer.ByteBufAllocator;
import io.netty.channel.ChannelConfig;
import io.netty.channel.ChannelOption;
import io.netty.channel.MessageSizeEstimator;
import io.netty.channel.RecvByteBufAllocator;
import io.netty.channel.WriteBufferWaterMark;

import java.util.Map;

import static io.github.portreservation.netty.ReservationChannelOption.RESERVATION_TOKEN;
import static io.github.portreservation.PortReservationException.checkNotNull;

/**
 * A channel config that forwards everything to the channel's own Netty config, and keeps
 * {@link ReservationChannelOption#RESERVATION_TOKEN} for the channel's {@link ChannelBindState}. This is how the
 * option reaches a reserved NIO channel: Netty's configs are private classes that cannot be extended.
 *
 * @param <C> the config interface the subclass implements, so that setters return it for chaining
 */
abstract class ForwardingChannelConfig<C extends ChannelConfig> implements ChannelConfig {
    final C delegate;
    private final ChannelBindState reservation;

    ForwardingChannelConfig(C delegate, ChannelBindState reservation) {
        this.delegate = checkNotNull(delegate, "delegate");
        this.reservation = checkNotNull(reservation, "reservation");
    }

    /** This config, as the interface the subclass implements. */
    abstract C self();

    @Override
    public Map<ChannelOption<?>, Object> getOptions() {
        Map<ChannelOption<?>, Object> options = delegate.getOptions();
        options.put(RESERVATION_TOKEN, reservation.optionToken());
        return options;
    }

    @Override
    @SuppressWarnings("unchecked")
    public boolean setOptions(Map<ChannelOption<?>, ?> options) {
        checkNotNull(options, "options");
        boolean all = true;
        for (Map.Entry<ChannelOption<?>, ?> e : options.entrySet()) {
            if (!setOption((ChannelOption<Object>) e.getKey(), e.getValue())) {
                all = false;
            }
        }
        return all;
    }

    @Override
    @SuppressWarnings("unchecked")
    public <T> T getOption(ChannelOption<T> option) {
        return isToken(option) ? (T) reservation.optionToken() : delegate.getOption(option);
    }

    /**
     * Whether {@code option} is {@link ReservationChannelOption#RESERVATION_TOKEN}: its name first, so that Netty's
     * reads of its own options do not load the option's class on a start that sets no token.
     */
    private static boolean isToken(ChannelOption<?> option) {
        return "RESERVATION_TOKEN".equals(option.name()) && option == RESERVATION_TOKEN;
    }

    @Override
    public <T> boolean setOption(ChannelOption<T> option, T value) {
        return isToken(option) ? reservation.setOptionToken(value) : delegate.setOption(option, value);
    }

    @Override
    public int getConnectTimeoutMillis() {
        return delegate.getConnectTimeoutMillis();
    }

    @Override
    public C setConnectTimeoutMillis(int connectTimeoutMillis) {
        delegate.setConnectTimeoutMillis(connectTimeoutMillis);
        return self();
    }

    @Override
    @Deprecated
    public int getMaxMessagesPerRead() {
        return delegate.getMaxMessagesPerRead();
    }

    @Override
    @Deprecated
    public C setMaxMessagesPerRead(int maxMessagesPerRead) {
        delegate.setMaxMessagesPerRead(maxMessagesPerRead);
        return self();
    }

    @Override
    public int getWriteSpinCount() {
        return delegate.getWriteSpinCount();
    }

    @Override
    public C setWriteSpinCount(int writeSpinCount) {
        delegate.setWriteSpinCount(writeSpinCount);
        return self();
    }

    @Override
    public ByteBufAllocator getAllocator() {
        return delegate.getAllocator();
    }

    @Override
    public C setAllocator(ByteBufAllocator allocator) {
        delegate.setAllocator(allocator);
        return self();
    }

    @Override
    public <T extends RecvByteBufAllocator> T getRecvByteBufAllocator() {
        return delegate.getRecvByteBufAllocator();
    }

    @Override
    public C setRecvByteBufAllocator(RecvByteBufAllocator allocator) {
        delegate.setRecvByteBufAllocator(allocator);
        return self();
    }

    @Override
    public boolean isAutoRead() {
        return delegate.isAutoRead();
    }

    @Override
    public C setAutoRead(boolean autoRead) {
        delegate.setAutoRead(autoRead);
        return self();
    }

    @Override
    public boolean isAutoClose() {
        return delegate.isAutoClose();
    }

    @Override
    public C setAutoClose(boolean autoClose) {
        delegate.setAutoClose(autoClose);
        return self();
    }

    @Override
    public int getWriteBufferHighWaterMark() {
        return delegate.getWriteBufferHighWaterMark();
    }

    @Override
    public C setWriteBufferHighWaterMark(int writeBufferHighWaterMark) {
        delegate.setWriteBufferHighWaterMark(writeBufferHighWaterMark);
        return self();
    }

    @Override
    public int getWriteBufferLowWaterMark() {
        return delegate.getWriteBufferLowWaterMark();
    }

    @Override
    public C setWriteBufferLowWaterMark(int writeBufferLowWaterMark) {
        delegate.setWriteBufferLowWaterMark(writeBufferLowWaterMark);
        return self();
    }

    @Override
    public MessageSizeEstimator getMessageSizeEstimator() {
        return delegate.getMessageSizeEstimator();
    }

    @Override
    public C setMessageSizeEstimator(MessageSizeEstimator estimator) {
        delegate.setMessageSizeEstimator(estimator);
        return self();
    }

    @Override
    public WriteBufferWaterMark getWriteBufferWaterMark() {
        return delegate.getWriteBufferWaterMark();
    }

    @Override
    public C setWriteBufferWaterMark(WriteBufferWaterMark writeBufferWaterMark) {
        delegate.setWriteBufferWaterMark(writeBufferWaterMark);
        return self();
    }

    @Override
    public String toString() {
        return delegate + " + " + reservation;
    }
}
