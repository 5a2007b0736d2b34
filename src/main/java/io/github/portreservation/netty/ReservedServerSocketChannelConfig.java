package io.github.portreservation.netty;

import io.netty.channel.socket.ServerSocketChannelConfig;

/** The config of a reserved NIO server channel: Netty's own plus {@link ReservationChannelOption#RESERVATION_TOKEN}. */
final class ReservedServerSocketChannelConfig extends ForwardingChannelConfig<ServerSocketChannelConfig>
        implements ServerSocketChannelConfig {

    ReservedServerSocketChannelConfig(ServerSocketChannelConfig delegate, ChannelBindState reservation) {
        super(delegate, reservation);
    }

    @Override
    ServerSocketChannelConfig self() {
        return this;
    }

    @Override
    public int getBacklog() {
        return delegate.getBacklog();
    }

    @Override
    public ServerSocketChannelConfig setBacklog(int backlog) {
        delegate.setBacklog(backlog);
        return this;
    }

    @Override
    public boolean isReuseAddress() {
        return delegate.isReuseAddress();
    }

    @Override
    public ServerSocketChannelConfig setReuseAddress(boolean reuseAddress) {
        delegate.setReuseAddress(reuseAddress);
        return this;
    }

    @Override
    public int getReceiveBufferSize() {
        return delegate.getReceiveBufferSize();
    }

    @Override
    public ServerSocketChannelConfig setReceiveBufferSize(int receiveBufferSize) {
        delegate.setReceiveBufferSize(receiveBufferSize);
        return this;
    }

    @Override
    public ServerSocketChannelConfig setPerformancePreferences(int connectionTime, int latency, int bandwidth) {
        delegate.setPerformancePreferences(connectionTime, latency, bandwidth);
        return this;
    }
}
