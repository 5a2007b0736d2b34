package io.github.portreservation.bench;

import io.github.portreservation.PortReservations;
import io.github.portreservation.Protocol;
import io.github.portreservation.RuntimeReservation;
import io.github.portreservation.netty.ReservationChannelOption;
import io.github.portreservation.netty.ReservedChannelFactories;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.nio.NioServerSocketChannel;

import java.io.BufferedReader;
import java.io.File;
import java.io.FileInputStream;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.TimeUnit;

/**
 * Start-up cost of a reserved listener: cold JVMs, each starting one NIO TCP server on 127.0.0.1 and exiting, with a
 * plain Netty listener ({@code .channel(NioServerSocketChannel.class)}, port 0) against a reserved one
 * ({@code PortReservations.provider().acquire(TCP, 1)}, then {@code ReservedChannelFactories.nioServer(reservation)}).
 *
 * <p>Pairs of JVMs run one after the other, the plain one first in even pairs and second in odd ones, so that both see
 * the same drift of the machine. Each child measures {@code main()} to the bound channel with {@link System#nanoTime()}
 * (class loading and initialization of Netty and of this library, the reservation, the bind); the parent also measures
 * the wall time from starting the process to reading the child's line (this adds the JVM's own start). On Linux the
 * child also reports CPU times when the channel was bound, read after the measurement from the threads' schedstat: of
 * all its threads ({@code /proc/self/task/}*), and of the two threads the start runs on, the main thread and the
 * event loop ("path CPU": without the JIT compiler and GC threads, which run beside it when a core is free). On a
 * busy machine wall times also count waiting for a core, CPU times do not. The figures are medians over all JVMs of a
 * kind, the median of the per-pair differences, and the minimum of each kind (waiting for a core only adds time, so
 * the fastest start is the least disturbed one).
 *
 * <p>The children get the class path of a Linux application with this library: the parent's entries that are
 * directories (the library's and the harness's classes) or Netty jars; nothing else of the test class path, and no JNA
 * (an optional dependency that only the Windows provider uses). {@code --library=PATH} puts PATH (the library's jar, as
 * an application has it; the {@code bench} profile passes the one just built) in place of the library's classes
 * directory. {@code --with-jna} adds the JNA jars, as the former compile-scope dependency did: the ServiceLoader lookup
 * of the providers then opens them too. {@code --option} makes the reserved child name its reservation with the
 * option ({@code nioServer()} and {@code .option(RESERVATION_TOKEN, token)}, as the README's first example does)
 * instead of passing it to the factory. Usage: {@code StartupTime [pairs] [--library=PATH] [--with-jna] [--option]
 * [extra JVM flag...]} (default 11 pairs); run by the {@code bench} profile.
 */
public final class StartupTime {
    private static final String PLAIN = "plain";
    private static final String RESERVED = "reserved";
    /** The reserved child that names its reservation with the option, as the README's first example does. */
    private static final String RESERVED_BY_OPTION = "reserved-option";
    private static final String LIBRARY = "--library=";
    /** What each child reports and the parent measures, in the order of {@link #run}'s result. */
    private static final String[] MEASURES = {"main->bound", "process start->bound", "CPU at bound", "path CPU"};

    private StartupTime() {
    }

    /** Runs the pairs and prints each JVM's times and, per measure, the medians and minima. */
    public static void main(String[] args) throws Exception {
        int pairs = args.length > 0 ? Integer.parseInt(args[0]) : 11;
        List<String> flags = new ArrayList<>(args.length > 1 ? Arrays.asList(args).subList(1, args.length) : List.of());
        boolean withJna = flags.remove("--with-jna");
        String reserved = flags.remove("--option") ? RESERVED_BY_OPTION : RESERVED;
        String library = libraryArgument(args);
        flags.removeIf(flag -> flag.startsWith(LIBRARY));
        String classPath = applicationClassPath(System.getProperty("java.class.path"), withJna, library);
        long[][][] times = new long[MEASURES.length][2][pairs];
        run(classPath, flags, PLAIN); // one of each, not counted: the first JVM also fills the OS's file cache
        run(classPath, flags, reserved);
        for (int i = 0; i < pairs; i++) {
            for (int k = 0; k < 2; k++) {
                int kind = (i & 1) == 0 ? k : 1 - k;
                long[] one = run(classPath, flags, kind == 0 ? PLAIN : reserved);
                StringBuilder line = new StringBuilder(String.format(Locale.ROOT, "pair %2d %-15s", i,
                        kind == 0 ? PLAIN : reserved));
                for (int m = 0; m < MEASURES.length; m++) {
                    times[m][kind][i] = one[m];
                    line.append(String.format(Locale.ROOT, " %s %6.1f ms", MEASURES[m], ms(one[m])));
                }
                System.out.println(line);
            }
        }
        System.out.printf(Locale.ROOT, "startup: %d pairs, the library from %s, %s, %s, %s, %d cores%n", pairs,
                library, reserved.equals(RESERVED) ? "reservation as a factory argument"
                        : "reservation named by the RESERVATION_TOKEN option",
                withJna ? "JNA on the class path" : "no JNA", System.getProperty("java.vm.version"),
                Runtime.getRuntime().availableProcessors());
        for (int m = 0; m < MEASURES.length; m++) {
            long[][] t = times[m];
            long[] interval = medianInterval(t);
            System.out.printf(Locale.ROOT, "startup %s: median plain %.1f ms, reserved %.1f ms, difference (median of "
                            + "pairs) %+.1f ms (95%% interval %+.1f to %+.1f ms); minimum plain %.1f ms, "
                            + "reserved %.1f ms (%+.1f ms)%n", MEASURES[m], ms(median(t[0])), ms(median(t[1])),
                    ms(medianDifference(t)), ms(interval[0]), ms(interval[1]), ms(min(t[0])), ms(min(t[1])),
                    ms(min(t[1]) - min(t[0])));
        }
    }

    /**
     * The entries of {@code classPath} a Linux application with this library would have (and JNA's if asked), with
     * {@code library} in place of the library's classes directory.
     */
    static String applicationClassPath(String classPath, boolean withJna, String library) {
        List<String> kept = new ArrayList<>();
        Path classes = Path.of(libraryClassesDirectory()).toAbsolutePath().normalize();
        for (String entry : classPath.split(File.pathSeparator)) {
            // Absolute: a class path given by hand may name the classes directory relatively ("target/classes"),
            // which must still be replaced by the library, or the children would load the working tree's classes.
            Path path = Path.of(entry).toAbsolutePath().normalize();
            String unixPath = entry.replace(File.separatorChar, '/');
            if (path.equals(classes)) {
                kept.add(library);
            } else if (Files.isDirectory(path) || unixPath.contains("/io/netty/")
                    || withJna && unixPath.contains("/net/java/dev/jna/")) {
                kept.add(entry);
            }
        }
        return String.join(File.pathSeparator, kept);
    }

    /** The PATH of a {@code --library=PATH} argument, else where this JVM loads the library from. */
    static String libraryArgument(String[] args) {
        for (String arg : args) {
            if (arg.startsWith(LIBRARY)) {
                return arg.substring(LIBRARY.length());
            }
        }
        return libraryClassesDirectory();
    }

    /** Where this JVM loads the library from (its classes directory in the build). */
    private static String libraryClassesDirectory() {
        try {
            return Path.of(PortReservations.class.getProtectionDomain().getCodeSource().getLocation().toURI())
                    .toString();
        } catch (java.net.URISyntaxException e) {
            throw new IllegalStateException(e);
        }
    }

    private static long[] run(String classPath, List<String> flags, String kind) throws IOException,
            InterruptedException {
        List<String> command = new ArrayList<>();
        command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        command.addAll(flags);
        command.addAll(List.of("-cp", classPath, Child.class.getName(), kind));
        long start = System.nanoTime();
        Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
        String line;
        List<String> output = new ArrayList<>();
        long inMain = -1;
        long wall = -1;
        long cpu = -1;
        long pathCpu = -1;
        try (BufferedReader out = new BufferedReader(new InputStreamReader(process.getInputStream(),
                StandardCharsets.UTF_8))) {
            while ((line = out.readLine()) != null) {
                if (line.startsWith("bound ") && wall < 0) {
                    wall = System.nanoTime() - start;
                    String[] fields = line.substring("bound ".length()).trim().split(" ");
                    inMain = Long.parseLong(fields[0]);
                    cpu = Long.parseLong(fields[1]);
                    pathCpu = Long.parseLong(fields[2]);
                } else {
                    output.add(line);
                }
            }
        }
        if (!process.waitFor(60, TimeUnit.SECONDS) || process.exitValue() != 0 || inMain < 0) {
            process.destroyForcibly();
            throw new IllegalStateException(kind + " JVM failed (exit " + (process.isAlive() ? "none" :
                    process.exitValue()) + "): " + String.join("\n", output));
        }
        return new long[] {inMain, wall, cpu, pathCpu};
    }

    private static double ms(long nanos) {
        return nanos / 1e6;
    }

    static long median(long[] values) {
        long[] sorted = values.clone();
        Arrays.sort(sorted);
        int n = sorted.length;
        return n % 2 == 1 ? sorted[n / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2;
    }

    static long min(long[] values) {
        return Arrays.stream(values).min().orElseThrow();
    }

    private static long medianDifference(long[][] times) {
        return median(differences(times));
    }

    private static long[] differences(long[][] times) {
        long[] differences = new long[times[0].length];
        for (int i = 0; i < differences.length; i++) {
            differences[i] = times[1][i] - times[0][i];
        }
        return differences;
    }

    /**
     * A distribution-free 95% confidence interval of the median of the pair differences: the k-th smallest and k-th
     * largest difference, k the largest rank with P(Binomial(n, 1/2) < k) <= 2.5% (the sign test's interval).
     */
    static long[] medianInterval(long[][] times) {
        long[] d = differences(times);
        Arrays.sort(d);
        int n = d.length;
        double below = 0;
        double term = Math.pow(0.5, n); // P(X = 0)
        int k = 0;
        while (k < n / 2 && below + term <= 0.025) {
            below += term;
            term = term * (n - k) / (k + 1); // P(X = k + 1)
            k++;
        }
        return k == 0 ? new long[] {d[0], d[n - 1]} : new long[] {d[k - 1], d[n - k]};
    }

    /**
     * CPU nanoseconds used so far by all threads of this JVM (Linux: the first field of each thread's schedstat), or
     * -1 where that cannot be read.
     */
    static long cpuNanos() {
        try (var tasks = Files.list(Path.of("/proc/self/task"))) {
            long sum = 0;
            for (Path task : (Iterable<Path>) tasks::iterator) {
                try {
                    String stat = Files.readString(task.resolve("schedstat"));
                    sum += Long.parseLong(stat.substring(0, stat.indexOf(' ')));
                } catch (IOException e) {
                    // the thread ended meanwhile
                }
            }
            return sum;
        } catch (IOException | RuntimeException e) {
            return -1;
        }
    }

    /**
     * CPU nanoseconds used so far by the calling thread (Linux), or -1 where that cannot be read. The kernel adds a
     * running thread's time to its schedstat at scheduler events only (a tick, a switch): yielding first makes it
     * count up to now, else a reading is up to a tick old.
     */
    static long threadCpuNanos() {
        Thread.yield();
        try (FileInputStream in = new FileInputStream("/proc/thread-self/schedstat")) {
            byte[] stat = new byte[64];
            int n = in.read(stat);
            long nanos = 0;
            for (int i = 0; i < n && stat[i] != ' '; i++) {
                nanos = nanos * 10 + stat[i] - '0';
            }
            return nanos;
        } catch (IOException | RuntimeException e) {
            return -1;
        }
    }

    /**
     * One cold JVM: binds a plain or a reserved listener, prints {@code bound NANOS CPU_NANOS PATH_CPU_NANOS} (all
     * threads; the main thread and the event loop), closes everything, exits.
     */
    public static final class Child {
        private Child() {
        }

        /** {@code plain}, {@code reserved} or {@code reserved-option}. */
        public static void main(String[] args) throws Exception {
            long start = System.nanoTime();
            boolean reserved = args[0].startsWith(RESERVED);
            EventLoopGroup group = new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory());
            RuntimeReservation reservation = null;
            try {
                ServerBootstrap bootstrap = new ServerBootstrap().group(group)
                        .childHandler(new ChannelInboundHandlerAdapter());
                if (reserved) {
                    reservation = PortReservations.provider().acquire(Protocol.TCP, 1);
                    if (args[0].equals(RESERVED_BY_OPTION)) {
                        bootstrap.channelFactory(ReservedChannelFactories.nioServer())
                                .option(ReservationChannelOption.RESERVATION_TOKEN, reservation.token());
                    } else {
                        bootstrap.channelFactory(ReservedChannelFactories.nioServer(reservation));
                    }
                } else {
                    bootstrap.channel(NioServerSocketChannel.class);
                }
                Channel server = bootstrap.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0)).sync()
                        .channel();
                long elapsed = System.nanoTime() - start;
                long mainCpu = threadCpuNanos();
                long loopCpu = server.eventLoop().submit(StartupTime::threadCpuNanos).get();
                long pathCpu = mainCpu < 0 || loopCpu < 0 ? -1 : mainCpu + loopCpu;
                System.out.println("bound " + elapsed + " " + cpuNanos() + " " + pathCpu);
                System.out.flush();
                server.close().sync();
            } finally {
                group.shutdownGracefully(0, 1, TimeUnit.SECONDS).sync();
                if (reservation != null) {
                    reservation.close();
                }
            }
        }
    }
}
