package io.github.portreservation.netty;

import io.github.portreservation.PortBinder;
import io.github.portreservation.PortBinding;
import io.github.portreservation.PortReservations;
import io.github.portreservation.PortReservationException;
import io.github.portreservation.Protocol;
import io.github.portreservation.RuntimeReservation;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
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
import java.util.function.Supplier;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * A port goes to a new socket only once the closed channel's kernel socket is gone. A closed NIO channel keeps its
 * socket until the event loop's next select; if the port went to a new SO_REUSEPORT socket before that, both would
 * share it. Each round binds again right after {@code close().sync()} (retrying while the binder says EXHAUSTED), and
 * the binder reads /proc/net at the instant each bind returns: the new socket must be alone on the port then,
 * leaving out the reservation's own placeholder (TCP placeholders never listen; the UDP placeholder, seen once before
 * the first bind, is left out by its inode).
 */
@Tag("netty")
class EarlyReleaseTest {
    private static final InetAddress LOOPBACK = InetAddress.getLoopbackAddress();
    private static final int ROUNDS = 20;

    @BeforeAll
    static void linux() {
        assumeTrue(PortReservations.isAvailable() && Files.exists(Paths.get("/proc/net/tcp")), "needs Linux /proc/net");
    }

    /** A binder that records, at each bind, the live sockets on the port besides the reservation's placeholder. */
    static final class RecordingBinder implements PortBinder {
        final RuntimeReservation reservation;
        final List<List<String>> socketsAtBind = new CopyOnWriteArrayList<>();
        /** The sockets on the block's first port before any bind: the placeholder. */
        private final List<String> placeholders;

        RecordingBinder(RuntimeReservation reservation) {
            this.reservation = reservation;
            this.placeholders = liveSockets(reservation.protocol(), reservation.range().start());
        }

        @Override
        public PortBinding bind(io.github.portreservation.ReservableSocket socket, InetSocketAddress requested) {
            PortBinding bound = reservation.bind(socket, requested);
            List<String> live = new ArrayList<>(liveSockets(reservation.protocol(), bound.port()));
            live.removeIf(line -> placeholders.stream().anyMatch(p -> inode(p).equals(inode(line))));
            socketsAtBind.add(live);
            return bound;
        }

        /** The binds at which another socket than the new one was still on the port. */
        List<List<String>> shared() {
            List<List<String>> shared = new ArrayList<>();
            for (List<String> live : socketsAtBind) {
                if (live.size() != 1) {
                    shared.add(live);
                }
            }
            return shared;
        }
    }

    /** Binds through {@code bind} until the binder stops refusing with EXHAUSTED (the old socket still exists). */
    private static Channel bindWhenFree(Supplier<ChannelFuture> bind) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
        for (;;) {
            ChannelFuture f = bind.get().await();
            if (f.isSuccess()) {
                return f.channel();
            }
            PortReservationException e = assertInstanceOf(PortReservationException.class, f.cause());
            assertEquals(PortReservationException.Reason.EXHAUSTED, e.reason(), e.getMessage());
            assertTrue(System.nanoTime() < deadline, "the port never came back: " + e.getMessage());
            Thread.sleep(1);
        }
    }

    @ParameterizedTest
    @EnumSource(Transport.class)
    void tcpServerPortGoesToANewListenerOnlyAfterTheOldOneIsGone(Transport transport) throws Exception {
        assumeTrue(transport.isAvailable(), transport + " unavailable");
        EventLoopGroup group = transport.newGroup(1);
        try (RuntimeReservation r = PortReservations.provider().acquire(Protocol.TCP, 1)) {
            RecordingBinder binder = new RecordingBinder(r);
            assertEquals(List.of(), binder.placeholders, "a TCP placeholder never listens");
            for (int round = 0; round < ROUNDS; round++) {
                Channel server = bindWhenFree(() -> NettyTestSupport.bindServer(group, transport.server(binder), null,
                        new InetSocketAddress(LOOPBACK, 0), new ArrayList<>()));
                server.close().sync();
            }
            assertEquals(ROUNDS, binder.socketsAtBind.size());
            assertEquals(List.of(), binder.shared(), "binds that found another listener on the port");
            NettyTestSupport.awaitEquals("port back", 1, r::availablePorts);
        } finally {
            group.shutdownGracefully(0, 1, TimeUnit.SECONDS).sync();
        }
    }

    @ParameterizedTest
    @EnumSource(Transport.class)
    void udpPortGoesToANewSocketOnlyAfterTheOldOneIsGone(Transport transport) throws Exception {
        assumeTrue(transport.isAvailable(), transport + " unavailable");
        EventLoopGroup group = transport.newGroup(1);
        try (RuntimeReservation r = PortReservations.provider().acquire(Protocol.UDP, 1)) {
            RecordingBinder binder = new RecordingBinder(r);
            assertEquals(1, binder.placeholders.size(), "the UDP placeholder: " + binder.placeholders);
            for (int round = 0; round < ROUNDS; round++) {
                Channel udp = bindWhenFree(() -> NettyTestSupport.bindDatagram(group, transport.datagram(binder),
                        new InetSocketAddress(LOOPBACK, 0)));
                udp.close().sync();
            }
            assertEquals(ROUNDS, binder.socketsAtBind.size());
            assertEquals(List.of(), binder.shared(), "binds that found another unconnected socket on the port");
            NettyTestSupport.awaitEquals("port back", 1, r::availablePorts);
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
