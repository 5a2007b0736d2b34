package io.github.portreservation.bench;

import io.github.portreservation.PortReservationProvider;
import io.github.portreservation.PortReservations;
import io.github.portreservation.Protocol;
import io.github.portreservation.RuntimeReservation;
import io.github.portreservation.netty.ReservedChannelFactories;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.EventLoop;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.nio.NioServerSocketChannel;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * Where the start-up cost of a reserved listener goes ({@link StartupTime} measures the whole of it): cold JVMs that
 * first bind a plain Netty listener, so that Netty's own start is paid, then take the steps of a reserved listener one
 * by one and report the CPU time each step costs the thread it runs on ({@code /proc/thread-self/schedstat}: waiting
 * for a core is not counted). Each step is the first use of what it names in that JVM, so the figures are what this
 * library adds to a Netty application's start. The last line is a second plain bind in the same JVM, for comparison.
 * Usage: {@code StartupSteps [jvms] [--library=PATH]} (default 11); run by the {@code bench} profile, with the jar
 * just built.
 */
public final class StartupSteps {
    private static final String[] STEPS = {"reading the CPU clock", "PortReservations.provider()", "acquire(TCP, 1)",
        "nioServer(reservation)",
        "bind, main thread", "bind, event loop", "plain bind, main thread", "plain bind, event loop"};

    private StartupSteps() {
    }

    /** Runs the JVMs and prints the median and minimum of each step. */
    public static void main(String[] args) throws Exception {
        int jvms = args.length > 0 && !args[0].startsWith("--") ? Integer.parseInt(args[0]) : 11;
        String library = StartupTime.libraryArgument(args);
        String classPath = StartupTime.applicationClassPath(System.getProperty("java.class.path"), false, library);
        long[][] nanos = new long[STEPS.length][jvms];
        run(classPath); // not counted: fills the OS's file cache
        for (int j = 0; j < jvms; j++) {
            long[] one = run(classPath);
            for (int s = 0; s < STEPS.length; s++) {
                nanos[s][j] = one[s];
            }
        }
        System.out.printf(Locale.ROOT, "startup steps: %d JVMs, the library from %s, %s, %d cores; CPU time of the "
                        + "thread each step runs on, after a plain Netty listener is bound%n", jvms, library,
                System.getProperty("java.vm.version"), Runtime.getRuntime().availableProcessors());
        long clock = StartupTime.median(nanos[0]);
        System.out.printf(Locale.ROOT, "startup step %-34s median %5.2f ms (taken off the steps below)%n", STEPS[0],
                clock / 1e6);
        long total = 0;
        for (int s = 1; s < STEPS.length; s++) {
            long median = StartupTime.median(nanos[s]) - clock;
            total += s < STEPS.length - 2 ? median : 0;
            System.out.printf(Locale.ROOT, "startup step %-34s median %5.1f ms, minimum %5.1f ms%n", STEPS[s],
                    median / 1e6, (StartupTime.min(nanos[s]) - clock) / 1e6);
        }
        System.out.printf(Locale.ROOT, "startup steps of the reserved listener: %.1f ms (sum of the medians)%n",
                total / 1e6);
    }

    private static long[] run(String classPath) throws IOException, InterruptedException {
        Process process = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-cp",
                classPath, Child.class.getName()).redirectErrorStream(true).start();
        List<String> output = new ArrayList<>();
        long[] steps = null;
        try (BufferedReader out = new BufferedReader(new InputStreamReader(process.getInputStream(),
                StandardCharsets.UTF_8))) {
            for (String line; (line = out.readLine()) != null; ) {
                if (line.startsWith("steps ") && steps == null) {
                    String[] fields = line.substring("steps ".length()).trim().split(" ");
                    steps = new long[fields.length];
                    for (int i = 0; i < fields.length; i++) {
                        steps[i] = Long.parseLong(fields[i]);
                    }
                } else {
                    output.add(line);
                }
            }
        }
        if (!process.waitFor(60, TimeUnit.SECONDS) || process.exitValue() != 0 || steps == null
                || steps.length != STEPS.length) {
            process.destroyForcibly();
            throw new IllegalStateException("steps JVM failed: " + String.join("\n", output));
        }
        return steps;
    }

    /** One cold JVM: a plain listener, then the reserved one step by step; prints {@code steps NANOS...}. */
    public static final class Child {
        private final Map<String, Long> steps = new LinkedHashMap<>();
        private long mark;

        private Child() {
        }

        /** No arguments. */
        public static void main(String[] args) throws Exception {
            new Child().measure();
        }

        private void measure() throws Exception {
            EventLoopGroup group = new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory());
            try {
                EventLoop loop = group.next();
                Channel plain = bind(new ServerBootstrap().group(loop).channel(NioServerSocketChannel.class));
                StartupTime.threadCpuNanos(); // its own first use, not counted
                mark = StartupTime.threadCpuNanos();
                step(STEPS[0]); // what one reading costs, taken off every other step by the parent
                PortReservationProvider provider = PortReservations.provider();
                step(STEPS[1]);
                try (RuntimeReservation reservation = provider.acquire(Protocol.TCP, 1)) {
                    step(STEPS[2]);
                    ServerBootstrap reserved = new ServerBootstrap().group(loop)
                            .channelFactory(ReservedChannelFactories.nioServer(reservation));
                    step(STEPS[3]);
                    Channel server = timedBind(reserved, loop, STEPS[4], STEPS[5]);
                    Channel second = timedBind(new ServerBootstrap().group(loop)
                            .channel(NioServerSocketChannel.class), loop, STEPS[6], STEPS[7]);
                    StringBuilder line = new StringBuilder("steps");
                    for (long nanos : steps.values()) {
                        line.append(' ').append(nanos);
                    }
                    System.out.println(line);
                    second.close().sync();
                    server.close().sync();
                }
                plain.close().sync();
            } finally {
                group.shutdownGracefully(0, 1, TimeUnit.SECONDS).sync();
            }
        }

        private void step(String name) {
            long now = StartupTime.threadCpuNanos();
            steps.put(name, now - mark);
            mark = now;
        }

        /** Binds, recording the CPU time of the main thread and of the event loop. */
        private Channel timedBind(ServerBootstrap bootstrap, EventLoop loop, String onMain, String onLoop)
                throws Exception {
            long loopBefore = loop.submit(StartupTime::threadCpuNanos).get();
            mark = StartupTime.threadCpuNanos();
            Channel channel = bind(bootstrap);
            step(onMain);
            steps.put(onLoop, loop.submit(StartupTime::threadCpuNanos).get() - loopBefore);
            mark = StartupTime.threadCpuNanos();
            return channel;
        }

        private static Channel bind(ServerBootstrap bootstrap) throws InterruptedException {
            return bootstrap.childHandler(new ChannelInboundHandlerAdapter())
                    .bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0)).sync().channel();
        }
    }
}
