package io.github.portreservation.netty;

import io.github.portreservation.PortBinder;
import io.github.portreservation.PortBinding;
import io.github.portreservation.PortReservations;
import io.github.portreservation.Protocol;
import io.github.portreservation.ReservationToken;
import io.github.portreservation.RuntimeReservation;
import io.netty.channel.Channel;
import io.netty.channel.EventLoopGroup;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * A port goes back to its reservation only once the closed channel's kernel socket is gone. A closed NIO channel
 * keeps its socket until the event loop's next select; if the port came back before that, a new SO_REUSEPORT
 * socket would share it with the dying one. The check reads /proc/net at the instant the binding is closed: no
 * listening TCP socket and no unconnected UDP socket but the reservation's own placeholder may be on the port then
 * (TCP placeholders never listen; the UDP placeholder, seen once before the first bind, is left out by its inode).
 */
@Tag("netty")
class EarlyReleaseTest {
    private static final InetAddress LOOPBACK = InetAddress.getLoopbackAddress();

    @BeforeAll
    static void linux() {
        assumeTrue(PortReservations.isAvailable() && Files.exists(Paths.get("/proc/net/tcp")), "needs Linux /proc/net");
    }

    /** A binder whose bindings record the sockets still on their port when they are closed. */
    static final class RecordingBinder implements PortBinder {
        final RuntimeReservation reservation;
        final List<String> socketsAtRelease = new CopyOnWriteArrayList<>();
        final List<Integer> released = new CopyOnWriteArrayList<>();
        /** The sockets on the block's first port before any bind: the placeholder. */
        private final List<String> placeholders;

        RecordingBinder(RuntimeReservation reservation) {
            this.reservation = reservation;
            this.placeholders = liveSockets(reservation.protocol(), reservation.range().start());
        }

        @Override
        public PortBinding bind(io.github.portreservation.ReservableSocket socket, InetSocketAddress requested) {
            PortBinding inner = reservation.bind(socket, requested);
            return new PortBinding() {
                @Override
                public ReservationToken token() {
                    return inner.token();
                }

                @Override
                public int port() {
                    return inner.port();
                }

                @Override
                public InetSocketAddress localAddress() {
                    return inner.localAddress();
                }

                @Override
                public boolean isActive() {
                    return inner.isActive();
                }

                @Override
                public void close() {
                    if (inner.isActive()) {
                        List<String> live = new ArrayList<>(liveSockets(reservation.protocol(), inner.port()));
                        live.removeIf(line -> placeholders.stream().anyMatch(p -> inode(p).equals(inode(line))));
                        socketsAtRelease.addAll(live);
                        released.add(inner.port());
                    }
                    inner.close();
                }
            };
        }
    }

    @ParameterizedTest
    @EnumSource(Transport.class)
    void tcpServerPortComesBackOnlyAfterItsListenerIsGone(Transport transport) throws Exception {
        assumeTrue(transport.isAvailable(), transport + " unavailable");
        EventLoopGroup group = transport.newGroup(1);
        try (RuntimeReservation r = PortReservations.provider().acquire(Protocol.TCP, 1)) {
            RecordingBinder binder = new RecordingBinder(r);
            assertEquals(List.of(), binder.placeholders, "a TCP placeholder never listens");
            for (int round = 0; round < 20; round++) {
                Channel server = NettyTestSupport.bindServer(group, transport.server(binder), null,
                        new InetSocketAddress(LOOPBACK, 0), new ArrayList<>()).sync().channel();
                server.close().sync();
                NettyTestSupport.awaitEquals("port back", 1, r::availablePorts);
            }
            assertEquals(20, binder.released.size());
            assertEquals(List.of(), binder.socketsAtRelease, "sockets still on the port when it was released");
        } finally {
            group.shutdownGracefully(0, 1, TimeUnit.SECONDS).sync();
        }
    }

    @ParameterizedTest
    @EnumSource(Transport.class)
    void udpPortComesBackOnlyAfterItsSocketIsGone(Transport transport) throws Exception {
        assumeTrue(transport.isAvailable(), transport + " unavailable");
        EventLoopGroup group = transport.newGroup(1);
        try (RuntimeReservation r = PortReservations.provider().acquire(Protocol.UDP, 1)) {
            RecordingBinder binder = new RecordingBinder(r);
            assertEquals(1, binder.placeholders.size(), "the UDP placeholder: " + binder.placeholders);
            for (int round = 0; round < 20; round++) {
                Channel udp = NettyTestSupport.bindDatagram(group, transport.datagram(binder),
                        new InetSocketAddress(LOOPBACK, 0)).sync().channel();
                udp.close().sync();
                NettyTestSupport.awaitEquals("port back", 1, r::availablePorts);
            }
            assertEquals(20, binder.released.size());
            assertEquals(List.of(), binder.socketsAtRelease, "sockets still on the port when it was released");
        } finally {
            group.shutdownGracefully(0, 1, TimeUnit.SECONDS).sync();
        }
    }

    /** Listening TCP sockets, or unconnected UDP sockets, on {@code port}, from /proc/net. */
    static List<String> liveSockets(Protocol protocol, int port) {
        List<String> found = new ArrayList<>();
        String suffix = String.format(Locale.ROOT, ":%04X", port);
        for (String file : protocol == Protocol.TCP ? new String[] {"tcp", "tcp6"} : new String[] {"udp", "udp6"}) {
            for (String line : lines(Paths.get("/proc/net", file))) {
                String[] f = line.trim().split("\\s+");
                if (f.length < 4 || !f[1].endsWith(suffix)) {
                    continue;
                }
                boolean live = protocol == Protocol.TCP ? "0A".equals(f[3]) : f[2].matches("0+:0000");
                if (live) {
                    found.add(file + " " + line.trim());
                }
            }
        }
        return found;
    }

    /** The inode column of a line of {@link #liveSockets}: it names the socket. */
    static String inode(String liveSocket) {
        return liveSocket.trim().split("\\s+")[10];
    }

    private static List<String> lines(Path path) {
        try (InputStream in = Files.newInputStream(path)) {
            return List.of(new String(in.readAllBytes(), StandardCharsets.US_ASCII).split("\n"));
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }
}
