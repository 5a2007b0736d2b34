package io.github.portreservation.netty;

import io.netty.channel.socket.SocketChannelConfig;

/** The config of a reserved NIO client channel: Netty's own plus {@link ReservationChannelOption#RESERVATION_TOKEN}. */
final class ReservedSocketChannelConfig extends ForwardingChannelConfig<SocketChannelConfig>
        implements SocketChannelConfig {

    ReservedSocketChannelConfig(SocketChannelConfig delegate, ChannelBindState reservation) {
        super(delegate, reservation);
    }

    @Override
    SocketChannelConfig self() {
        return this;
    }

    @Override
    public boolean isTcpNoDelay() {
        return delegate.isTcpNoDelay();
    }

    @Override
    public SocketChannelConfig setTcpNoDelay(boolean tcpNoDelay) {
        delegate.setTcpNoDelay(tcpNoDelay);
        return this;
    }

    @Override
    public int getSoLinger() {
        return delegate.getSoLinger();
    }

    @Override
    public SocketChannelConfig setSoLinger(int soLinger) {
        delegate.setSoLinger(soLinger);
        return this;
    }

    @Override
    public int getSendBufferSize() {
        return delegate.getSendBufferSize();
    }

    @Override
    public SocketChannelConfig setSendBufferSize(int sendBufferSize) {
        delegate.setSendBufferSize(sendBufferSize);
        return this;
    }

    @Override
    public int getReceiveBufferSize() {
        return delegate.getReceiveBufferSize();
    }

    @Override
    public SocketChannelConfig setReceiveBufferSize(int receiveBufferSize) {
        delegate.setReceiveBufferSize(receiveBufferSize);
        return this;
    }

    @Override
    public boolean isKeepAlive() {
        return delegate.isKeepAlive();
    }

    @Override
    public SocketChannelConfig setKeepAlive(boolean keepAlive) {
        delegate.setKeepAlive(keepAlive);
        return this;
    }

    @Override
    public int getTrafficClass() {
        return delegate.getTrafficClass();
    }

    @Override
    public SocketChannelConfig setTrafficClass(int trafficClass) {
        delegate.setTrafficClass(trafficClass);
        return this;
    }

    @Override
    public boolean isReuseAddress() {
        return delegate.isReuseAddress();
    }

    @Override
    public SocketChannelConfig setReuseAddress(boolean reuseAddress) {
        delegate.setReuseAddress(reuseAddress);
        return this;
    }

    @Override
    public SocketChannelConfig setPerformancePreferences(int connectionTime, int latency, int bandwidth) {
        delegate.setPerformancePreferences(connectionTime, latency, bandwidth);
        return this;
    }

    @Override
    public boolean isAllowHalfClosure() {
        return delegate.isAllowHalfClosure();
    }

    @Override
    public SocketChannelConfig setAllowHalfClosure(boolean allowHalfClosure) {
        delegate.setAllowHalfClosure(allowHalfClosure);
        return this;
    }
}
