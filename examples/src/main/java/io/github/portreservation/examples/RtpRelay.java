package io.github.portreservation.examples;

import io.github.portreservation.PortReservations;
import io.github.portreservation.Protocol;
import io.github.portreservation.netty.ReservedChannelFactories;
import io.github.portreservation.pool.PortShape;
import io.github.portreservation.pool.ReservationPool;
import io.github.portreservation.pool.ShapeLease;
import io.netty.bootstrap.Bootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFactory;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.socket.DatagramChannel;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Example: a small RTP/RTCP media relay on reserved pairs. Each session leases an RTP/RTCP pair from a UDP pool as one
 * unit ({@code pool.lease(PortShape.rtpPair())}: RTP on an even port, RTCP on the next, RFC 3550), and binds one Netty
 * datagram channel on each port from that lease. Here each channel sends every packet back to its sender (a relay
 * would forward it to the other leg of the call). No other socket can take the ports of a session, and a session's
 * close gives its pair back, both ports at once, once both channels are gone. Run it with
 * {@code mvn -q test-compile exec:java -Dexec.mainClass=io.github.portreservation.examples.RtpRelay
 * -Dexec.classpathScope=test -Dexec.args="--sessions 4"}; try it with {@code socat - UDP:127.0.0.1:RTP_PORT}.
 */
public final class RtpRelay implements AutoCloseable {
    private final EventLoopGroup group;
    private final ReservationPool pool;
    private final List<Session> sessions = new ArrayList<>();

    private RtpRelay(EventLoopGroup group, ReservationPool pool) {
        this.group = group;
        this.pool = pool;
    }

    /** A relay whose sessions take their pairs from {@code pool} (a UDP pool) and run on {@code group}. */
    public static RtpRelay start(EventLoopGroup group, ReservationPool pool) {
        return new RtpRelay(group, pool);
    }

    /**
     * Opens a session: leases a pair and binds its RTP and RTCP channels on 127.0.0.1.
     *
     * @throws io.github.portreservation.PortReservationException when the pool has no pair (nothing is held then)
     */
    public synchronized Session open() throws InterruptedException {
        ShapeLease pair = pool.lease(PortShape.rtpPair());
        ChannelFactory<DatagramChannel> fromPair = ReservedChannelFactories.nioDatagram(pair);
        UdpEchoServer.EchoHandler rtp = new UdpEchoServer.EchoHandler();
        UdpEchoServer.EchoHandler rtcp = new UdpEchoServer.EchoHandler();
        Channel rtpChannel = null;
        Session session = null;
        try {
            rtpChannel = bind(fromPair, rtp, pair.ports().start());
            Channel rtcpChannel = bind(fromPair, rtcp, pair.ports().end());
            session = new Session(pair, rtpChannel, rtcpChannel, rtp, rtcp);
            sessions.add(session);
            return session;
        } finally {
            if (session == null) { // a bind failed: nothing of this session stays open or leased
                if (rtpChannel != null) {
                    rtpChannel.close().syncUninterruptibly();
                }
                pair.close();
            }
        }
    }

    private Channel bind(ChannelFactory<DatagramChannel> factory, UdpEchoServer.EchoHandler echo, int port) throws InterruptedException {
        return new Bootstrap().group(group).channelFactory(factory).handler(echo)
                .bind(ExampleSupport.loopback(port)).sync().channel();
    }

    /** The open sessions, oldest first. */
    public synchronized List<Session> sessions() {
        return List.copyOf(sessions);
    }

    /** Closes every session. */
    @Override
    public synchronized void close() {
        for (Session s : sessions) {
            s.closeChannels();
        }
        sessions.clear();
    }

    /** One call leg: an RTP channel and an RTCP channel on the two ports of one leased pair. */
    public final class Session implements AutoCloseable {
        private final ShapeLease pair;
        private final Channel rtp;
        private final Channel rtcp;
        private final UdpEchoServer.EchoHandler rtpEcho;
        private final UdpEchoServer.EchoHandler rtcpEcho;

        private Session(ShapeLease pair, Channel rtp, Channel rtcp, UdpEchoServer.EchoHandler rtpEcho,
                        UdpEchoServer.EchoHandler rtcpEcho) {
            this.pair = pair;
            this.rtp = rtp;
            this.rtcp = rtcp;
            this.rtpEcho = rtpEcho;
            this.rtcpEcho = rtcpEcho;
        }

        /** The RTP port: even. */
        public int rtpPort() {
            return pair.ports().start();
        }

        /** The RTCP port: the RTP port + 1. */
        public int rtcpPort() {
            return pair.ports().end();
        }

        /** RTP packets relayed so far. */
        public long rtpPackets() {
            return rtpEcho.datagrams.get();
        }

        /** RTCP packets relayed so far. */
        public long rtcpPackets() {
            return rtcpEcho.datagrams.get();
        }

        /** Closes both channels and the lease: the pair goes back to the pool once both sockets are gone. */
        @Override
        public void close() {
            synchronized (RtpRelay.this) {
                sessions.remove(this);
            }
            closeChannels();
        }

        private void closeChannels() {
            pair.close(); // first is fine: the ports stay leased until both channels are gone
            rtp.close().syncUninterruptibly();
            rtcp.close().syncUninterruptibly();
        }
    }

    /** Opens {@code --sessions N} sessions (default 4) on pairs of a UDP pool and relays until Ctrl-C. */
    public static void main(String[] args) throws Exception {
        ExampleSupport.useJdkLogging();
        int count = ExampleSupport.intOption(args, "--sessions", 4, 1, 1024);
        EventLoopGroup group = ExampleSupport.newGroup(1);
        ReservationPool pool = ReservationPool.builder(PortReservations.provider(), Protocol.UDP).blockSize(64)
                .build();
        RtpRelay relay = start(group, pool);
        for (int i = 1; i <= count; i++) {
            Session s = relay.open();
            System.out.println("RTP relay session " + i + ": RTP 127.0.0.1:" + s.rtpPort() + ", RTCP 127.0.0.1:"
                    + s.rtcpPort());
        }
        System.out.println("pairs leased from " + pool.blockRanges() + "; Ctrl-C stops");
        ExampleSupport.awaitShutdown(() -> {
            relay.close();
            group.shutdownGracefully(100, 2_000, TimeUnit.MILLISECONDS).syncUninterruptibly();
            pool.close();
        });
    }
}
