package io.github.portreservation.examples;

import io.github.portreservation.PortRange;
import io.github.portreservation.PortReservationProvider;
import io.github.portreservation.PortReservations;
import io.github.portreservation.Protocol;
import io.github.portreservation.pool.ReservationPool;
import io.netty.channel.EventLoopGroup;

import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.TimeUnit;

/**
 * The main job (the README's first command, {@code mvn -q -B test-compile exec:java@demo}): two pools acquire
 * runtime reservations (one TCP, one UDP block), a TCP and a UDP echo server bind ports of them through the pools,
 * a client connects from reserved source ports, real clients (JDK sockets) drive traffic for a few seconds with a
 * progress line, another process (socat when installed, else a child JVM) tries to take reserved ports and is
 * refused, and a table shows protocol, port, requests, bytes and p50/p99 round trips. Exits 0 when everything worked.
 *
 * <p>Flags: {@code --serve} keeps the servers running after the table until Ctrl-C; {@code --seconds N} (default 2)
 * sets the load duration; {@code --intruder auto|socat|jvm} picks the other process. Pass them with
 * {@code -Dexec.args="--serve"}. All traffic stays on 127.0.0.1.
 */
public final class Demo {
    private static final int MESSAGE_SIZE = 64;
    private static final int BLOCK_SIZE = 8;

    private Demo() {
    }

    /** Parsed command line. */
    static final class Options {
        int seconds = 2;
        boolean serve;
        PortIntruder.Kind intruder = PortIntruder.Kind.AUTO;
        int tcpClients = 4;
        int udpClients = 2;

        static Options parse(String[] args) {
            Options o = new Options();
            for (int i = 0; i < args.length; i++) {
                String a = args[i];
                if (a.equals("--seconds") || a.equals("--intruder")) {
                    i++; // value checked below
                } else if (!a.equals("--serve")) {
                    throw new IllegalArgumentException("unknown argument \"" + a
                            + "\"; use --serve, --seconds N, --intruder auto|socat|jvm");
                }
            }
            o.serve = ExampleSupport.flag(args, "--serve");
            o.seconds = ExampleSupport.intOption(args, "--seconds", 2, 1, 600);
            String kind = ExampleSupport.option(args, "--intruder", "auto");
            try {
                o.intruder = PortIntruder.Kind.valueOf(kind.toUpperCase(Locale.ROOT));
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("--intruder " + kind + " must be auto, socat or jvm");
            }
            return o;
        }
    }

    /** Runs the demo; exits 0 on success, 1 when a check failed, 2 for a bad command line. */
    public static void main(String[] args) throws Exception {
        ExampleSupport.useJdkLogging();
        Options options;
        try {
            options = Options.parse(args);
        } catch (IllegalArgumentException e) {
            System.err.println(e.getMessage());
            System.exit(2);
            return;
        }
        if (!PortReservations.isAvailable()) {
            System.err.println("port reservations are not available here: "
                    + PortReservations.unavailabilityCause().getMessage());
            System.exit(1);
            return;
        }
        int code = run(options, System.out, System.console() != null);
        if (code != 0) {
            System.exit(code);
        }
    }

    /**
     * Runs the demo, printing to {@code out} ({@code interactive}: the progress line is rewritten in place).
     *
     * @return 0 when every check passed, 1 otherwise
     */
    static int run(Options options, PrintStream out, boolean interactive) throws Exception {
        PortReservationProvider provider = PortReservations.provider();
        out.println("netty-port-reservation demo: provider " + provider.name() + ", everything on 127.0.0.1");
        boolean ok = true;
        EventLoopGroup group = ExampleSupport.newGroup(2);
        ReservationPool tcpPool = null;
        ReservationPool udpPool = null;
        TcpEchoServer tcp = null;
        UdpEchoServer udp = null;
        try {
            tcpPool = ReservationPool.builder(provider, Protocol.TCP).blockSize(BLOCK_SIZE).minBlocks(1).maxBlocks(2)
                    .build();
            udpPool = ReservationPool.builder(provider, Protocol.UDP).blockSize(BLOCK_SIZE).minBlocks(1).maxBlocks(2)
                    .build();
            PortRange tcpBlock = tcpPool.blockRanges().get(0);
            PortRange udpBlock = udpPool.blockRanges().get(0);
            out.println("[1/5] runtime reservations acquired by two pools: TCP " + tcpBlock + ", UDP " + udpBlock
                    + " (held by this process; they die with it)");

            tcp = TcpEchoServer.start(group, tcpPool, ExampleSupport.loopback(0));
            udp = UdpEchoServer.start(group, udpPool, ExampleSupport.loopback(0));
            out.println("[2/5] echo servers bound through the pools: TCP "
                    + ExampleSupport.text(tcp.localAddress()) + ", UDP " + ExampleSupport.text(udp.localAddress()));

            ok &= sourcePorts(group, tcpPool, tcp, out);

            out.printf("[4/5] load: %d TCP and %d UDP clients (JDK sockets), %d-byte messages, %d s%n",
                    options.tcpClients, options.udpClients, MESSAGE_SIZE, options.seconds);
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(options.seconds);
            List<EchoLoad> loads = List.of(
                    EchoLoad.startTcp(tcp.localAddress(), options.tcpClients, MESSAGE_SIZE, deadline),
                    EchoLoad.startUdp(udp.localAddress(), options.udpClients, MESSAGE_SIZE, deadline));
            progress(loads, deadline, options.seconds, out, interactive);
            for (EchoLoad load : loads) {
                load.join();
            }

            ok &= intruders(options.intruder, tcp.port(), otherPort(tcpBlock, tcp.port()), udp.port(),
                    otherPort(udpBlock, udp.port()), out);
            ok &= table(loads, out);

            if (options.serve) {
                serve(tcp, udp, out);
                TcpEchoServer t = tcp;
                UdpEchoServer u = udp;
                ReservationPool tp = tcpPool;
                ReservationPool up = udpPool;
                ExampleSupport.awaitShutdown(() -> close(t, u, group, tp, up, out));
                return ok ? 0 : 1;
            }
        } finally {
            if (!options.serve) {
                close(tcp, udp, group, tcpPool, udpPool, out);
            }
        }
        out.println(ok ? "demo OK" : "demo FAILED (see above)");
        return ok ? 0 : 1;
    }

    /** Step 3: a few connections whose source ports are leased from the TCP pool. */
    private static boolean sourcePorts(EventLoopGroup group, ReservationPool tcpPool, TcpEchoServer tcp,
                                       PrintStream out) throws Exception {
        ReservedSourcePortClient client = new ReservedSourcePortClient(group, tcpPool);
        List<Integer> ports = new ArrayList<>();
        boolean ok = true;
        for (int i = 0; i < 3; i++) {
            byte[] message = ("ping " + i).getBytes(StandardCharsets.US_ASCII);
            ReservedSourcePortClient.Exchange e = client.exchange(tcp.localAddress(), message, Duration.ofSeconds(5));
            ports.add(e.sourcePort());
            boolean inPool = false;
            for (PortRange r : tcpPool.blockRanges()) {
                inPool |= r.contains(e.sourcePort());
            }
            ok &= inPool && java.util.Arrays.equals(message, e.reply());
        }
        out.println("[3/5] 3 connections to the TCP echo from reserved source ports " + ports
                + (ok ? " (all from the pool, echo exact)" : " FAILED: a port outside the pool or a wrong echo"));
        return ok;
    }

    /** The progress line while the load runs. */
    private static void progress(List<EchoLoad> loads, long deadline, int seconds, PrintStream out,
                                 boolean interactive) throws InterruptedException {
        long start = deadline - TimeUnit.SECONDS.toNanos(seconds);
        long step = interactive ? 200 : 1000;
        long now;
        while ((now = System.nanoTime()) < deadline) {
            Thread.sleep(Math.min(step, Math.max(1, TimeUnit.NANOSECONDS.toMillis(deadline - now))));
            StringBuilder line = new StringBuilder(String.format("      %4.1f/%d s", Math.min(seconds,
                    (System.nanoTime() - start) / 1e9), seconds));
            for (EchoLoad l : loads) {
                line.append(String.format("  %s %,d req", l.protocol(), l.requests()));
            }
            if (interactive) {
                out.print("\r" + line);
                out.flush();
            } else {
                out.println(line);
            }
        }
        if (interactive) {
            out.println();
        }
    }

    /** Step 5: another process tries a port in use and a free port of each block. */
    private static boolean intruders(PortIntruder.Kind kind, int tcpUsed, int tcpFree, int udpUsed, int udpFree,
                                     PrintStream out) throws Exception {
        boolean socat = kind == PortIntruder.Kind.SOCAT
                || (kind == PortIntruder.Kind.AUTO && PortIntruder.socatInstalled());
        out.println("[5/5] another process tries to bind reserved ports (in use by the echo servers: TCP " + tcpUsed
                + ", UDP " + udpUsed + "; free in the blocks: TCP " + tcpFree + ", UDP " + udpFree + "), using "
                + (socat ? "socat" : "a child JVM (socat is not installed)") + ":");
        boolean ok = true;
        for (PortIntruder.Attempt a : PortIntruder.attack(kind, List.of(tcpUsed, tcpFree), List.of(udpUsed, udpFree))) {
            out.println("      " + a);
            ok &= a.refused;
        }
        return ok;
    }

    /** The results table; false when a client failed or got no answer at all. */
    private static boolean table(List<EchoLoad> loads, PrintStream out) {
        out.println();
        out.println(String.format("%-8s %6s %8s %10s %12s %9s %9s %7s", "protocol", "port", "clients", "requests",
                "bytes", "p50 (us)", "p99 (us)", "errors"));
        boolean ok = true;
        for (EchoLoad l : loads) {
            out.println(String.format("%-8s %6d %8d %,10d %,12d %9.1f %9.1f %7d", l.protocol(), l.server().getPort(),
                    l.clients(), l.requests(), l.bytes(), l.percentileNanos(50) / 1e3, l.percentileNanos(99) / 1e3,
                    l.errors()));
            for (Throwable t : l.failures()) {
                out.println("  a " + l.protocol() + " client failed: " + t);
                ok = false;
            }
            ok &= l.requests() > 0;
        }
        out.println("(errors: wrong echoes, and UDP datagrams without an echo within " + EchoLoad.UDP_TIMEOUT_MILLIS
                + " ms; latency = one request's round trip seen by the client)");
        return ok;
    }

    /** --serve: keep running until Ctrl-C. */
    private static void serve(TcpEchoServer tcp, UdpEchoServer udp, PrintStream out) {
        out.println();
        out.println("serving until Ctrl-C. Try:");
        out.println("  socat - TCP:127.0.0.1:" + tcp.port());
        out.println("  socat - UDP:127.0.0.1:" + udp.port());
        out.println("  busybox nc 127.0.0.1 " + tcp.port());
    }

    private static int otherPort(PortRange block, int used) {
        return used == block.start() ? block.start() + 1 : block.start();
    }

    private static void close(TcpEchoServer tcp, UdpEchoServer udp, EventLoopGroup group, ReservationPool tcpPool,
                              ReservationPool udpPool, PrintStream out) {
        if (tcp != null) {
            tcp.close();
        }
        if (udp != null) {
            udp.close();
        }
        // a quiet period above zero: with zero, Netty may end the loops without closing their channels
        group.shutdownGracefully(100, 2_000, TimeUnit.MILLISECONDS).syncUninterruptibly();
        long released = 0;
        for (ReservationPool pool : new ReservationPool[] {tcpPool, udpPool}) {
            if (pool != null) {
                pool.close();
                pool.terminationFuture().orTimeout(5, TimeUnit.SECONDS).join();
                released += pool.statistics().blocksReleased();
            }
        }
        out.println("closed: servers stopped, " + released + " reserved blocks released");
    }
}
