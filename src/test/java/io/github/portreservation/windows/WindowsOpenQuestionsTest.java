package io.github.portreservation.windows;

import io.github.portreservation.PortRange;
import io.github.portreservation.PortReservationException;
import io.github.portreservation.PortReservationException.Reason;
import io.github.portreservation.Protocol;
import io.github.portreservation.ReservableSocket;
import io.github.portreservation.ReservationToken;
import io.github.portreservation.RuntimeReservation;
import io.github.portreservation.windows.ExcludedRange.IpVersion;
import io.github.portreservation.windows.PortDiagnosis.Elevation;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledOnOs;
import org.junit.jupiter.api.condition.OS;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.StandardProtocolFamily;
import java.net.StandardSocketOptions;
import java.nio.channels.DatagramChannel;
import java.nio.channels.NetworkChannel;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * Observes, on real Windows, what this project's documentation lists as open questions (docs/windows.md, "Open
 * questions"). Run by .github/workflows/windows.yml; never on the project's Linux machines. Each answer is printed as
 * one line {@code [windows-question Qn] ...}, which the workflow greps from the test log: these tests report what
 * happened and assert only what Microsoft documents (a block of the size asked for, a lookup of the exact block finds
 * the token), so that every answer, whatever it is, reaches the log.
 */
@EnabledOnOs(OS.WINDOWS)
class WindowsOpenQuestionsTest {
    private static final InetAddress LOOPBACK = InetAddress.getLoopbackAddress();

    private WindowsPortReservationProvider provider;
    private WindowsNatives natives;
    private WindowsPortDoctor doctor;

    @BeforeEach
    void setUp() {
        provider = WindowsPortReservationProvider.create();
        natives = WindowsNatives.load();
        doctor = provider.doctor();
    }

    /** Prints one answer line, its text on one line. */
    static void answer(String question, String text) {
        System.out.println("[windows-question " + question + "] " + text.replaceAll("\\R", " | "));
    }

    /** "OK value" or "FAILED exception", never throwing. */
    static String attempt(Callable<?> call) {
        try {
            return "OK " + call.call();
        } catch (Exception | Error e) {
            return "FAILED " + e;
        }
    }

    private static String plainBind(Protocol protocol, int port) {
        return attempt(() -> {
            try (NetworkChannel channel = protocol == Protocol.TCP ? ServerSocketChannel.open()
                    : DatagramChannel.open()) {
                channel.bind(new InetSocketAddress(port));
                return "bound " + channel.getLocalAddress();
            }
        });
    }

    /** Runs {@link WindowsQuestionProbe} in a new JVM with {@code jvmFlags}; returns its RESULT line(s). */
    private static String child(List<String> jvmFlags, String... args) throws IOException, InterruptedException {
        List<String> command = new ArrayList<>(List.of(Paths.get(System.getProperty("java.home"), "bin", "java")
                .toString(), "--add-opens", "java.base/sun.nio.ch=ALL-UNNAMED"));
        command.addAll(jvmFlags);
        command.addAll(List.of("-cp", System.getProperty("surefire.test.class.path",
                System.getProperty("java.class.path")), WindowsQuestionProbe.class.getName()));
        command.addAll(List.of(args));
        Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
        String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!process.waitFor(60, TimeUnit.SECONDS)) {
            process.destroyForcibly();
            return "child JVM did not finish: " + output;
        }
        String results = output.lines().filter(l -> l.startsWith("RESULT ")).map(l -> l.substring(7))
                .collect(Collectors.joining("; "));
        return results.isEmpty() ? "child JVM exited with " + process.exitValue() + ": " + output : results;
    }

    private static long handle(java.nio.channels.Channel channel) {
        if (channel instanceof java.nio.channels.SocketChannel) {
            return io.github.portreservation.ReservableSocket.of((java.nio.channels.SocketChannel) channel).nativeHandle();
        }
        if (channel instanceof java.nio.channels.ServerSocketChannel) {
            return io.github.portreservation.ReservableSocket.of((java.nio.channels.ServerSocketChannel) channel, 0)
                    .nativeHandle();
        }
        return io.github.portreservation.ReservableSocket.of((java.nio.channels.DatagramChannel) channel).nativeHandle();
    }

    @Test
    void q1PersistentReservationAgainstAPlainBindFromAnotherProcess() throws Exception {
        answer("Q1", "IsUserAnAdmin: " + doctor.elevation());
        PortRange range;
        try (RuntimeReservation any = provider.acquire(Protocol.TCP, 4)) {
            range = any.range(); // a block nobody else holds right now
        }
        ReservationToken token;
        try {
            token = provider.createPersistent(Protocol.TCP, range);
        } catch (PortReservationException e) {
            if (e.reason() == Reason.ACCESS_DENIED) {
                answer("Q1", "not answered: CreatePersistentTcpPortReservation needs elevation: " + e.getMessage());
            }
            assumeTrue(e.reason() != Reason.ACCESS_DENIED, "not elevated");
            throw e;
        }
        try {
            assertEquals(Optional.of(token), provider.lookupPersistent(Protocol.TCP, range), "documented lookup");
            int port = range.start();
            answer("Q1", "persistent TCP reservation " + range + " created");
            answer("Q1b", "netsh ipv4 rows overlapping it: " + attempt(() -> doctor.excludedRanges(Protocol.TCP,
                    IpVersion.IPV4).stream().filter(r -> r.range().overlaps(range)).collect(Collectors.toList())));
            answer("Q1", "plain bind of 0.0.0.0:" + port + " from ANOTHER process, no token: "
                    + child(List.of(), "plain-bind", "tcp", Integer.toString(port)));
            answer("Q1", "plain bind of 0.0.0.0:" + port + " from THIS process, no token: "
                    + plainBind(Protocol.TCP, port));
            answer("Q1", "bind through the token, port 0: " + attempt(() -> {
                try (ServerSocketChannel server = ServerSocketChannel.open()) {
                    return provider.bind(token, ReservableSocket.of(server, 0), new InetSocketAddress(0))
                            .localAddress();
                }
            }));
            answer("Q1", "doctor: " + attempt(() -> doctor.diagnose(Protocol.TCP, port).summary()));
        } finally {
            provider.deletePersistent(Protocol.TCP, range);
        }
    }

    @Test
    void q2AssociationOnADualStackSocket() throws Exception {
        answer("Q2", "java.net.preferIPv4Stack=" + System.getProperty("java.net.preferIPv4Stack")
                + ", java.net.preferIPv6Addresses=" + System.getProperty("java.net.preferIPv6Addresses"));
        try (RuntimeReservation reservation = provider.acquire(Protocol.TCP, 4);
             ServerSocketChannel dual = ServerSocketChannel.open()) {
            assertEquals(4, reservation.range().count(), "documented: the block asked for");
            answer("Q2", "acquire on the owner SocketChannel.open(): OK " + reservation.range());
            String bound = attempt(() -> reservation.bind(ReservableSocket.of(dual, 0), new InetSocketAddress(0))
                    .localAddress());
            answer("Q2", "ServerSocketChannel.open() bound to the wildcard, port 0, through the reservation: " + bound);
            if (dual.getLocalAddress() != null) {
                int port = ((InetSocketAddress) dual.getLocalAddress()).getPort();
                answer("Q2", "IPv4 client to 127.0.0.1:" + port + ": " + connect("127.0.0.1", port));
                answer("Q2", "IPv6 client to [::1]:" + port + ": " + connect("::1", port));
            }
        }
        try (RuntimeReservation reservation = provider.acquire(Protocol.TCP, 4);
             ServerSocketChannel v4 = ServerSocketChannel.open(StandardProtocolFamily.INET)) {
            answer("Q2", "for comparison, ServerSocketChannel.open(INET) to 0.0.0.0 port 0: " + attempt(
                    () -> reservation.bind(ReservableSocket.of(v4, 0), new InetSocketAddress("0.0.0.0", 0))
                            .localAddress()));
        }
    }

    private static String connect(String host, int port) {
        return attempt(() -> {
            try (SocketChannel client = SocketChannel.open(new InetSocketAddress(host, port))) {
                return "connected from " + client.getLocalAddress();
            }
        });
    }

    @Test
    void q3ExclusiveAddrUseAndAssociation() throws Exception {
        answer("Q3", "sun.net.useExclusiveBind in this JVM: " + System.getProperty("sun.net.useExclusiveBind")
                + " (null: the JDK's default)");
        try (RuntimeReservation reservation = provider.acquire(Protocol.TCP, 2);
             ServerSocketChannel server = ServerSocketChannel.open()) {
            answer("Q3", "reserved bind, JDK default bind (SO_EXCLUSIVEADDRUSE unless SO_REUSEADDR): " + attempt(
                    () -> reservation.bind(ReservableSocket.of(server, 0), new InetSocketAddress(0)).localAddress()));
        }
        try (RuntimeReservation reservation = provider.acquire(Protocol.TCP, 2);
             ServerSocketChannel server = ServerSocketChannel.open()) {
            server.setOption(StandardSocketOptions.SO_REUSEADDR, true);
            answer("Q3", "reserved bind with SO_REUSEADDR set (the JDK then binds without SO_EXCLUSIVEADDRUSE): "
                    + attempt(() -> reservation.bind(ReservableSocket.of(server, 0), new InetSocketAddress(0))
                    .localAddress()));
        }
        answer("Q3", "reserved bind in a child JVM, default flags: " + child(List.of(), "reserved-bind"));
        answer("Q3", "reserved bind in a child JVM with -Dsun.net.useExclusiveBind=false: "
                + child(List.of("-Dsun.net.useExclusiveBind=false"), "reserved-bind"));
    }

    @Test
    void q4SeveralSocketsAssociatedWithOnePort() throws Exception {
        for (Protocol protocol : Protocol.values()) {
            for (boolean reuse : new boolean[] {false, true}) {
                try (RuntimeReservation reservation = provider.acquire(protocol, 1)) {
                    assertEquals(1, reservation.range().count(), "documented: the block asked for");
                    int port = reservation.range().start();
                    List<NetworkChannel> sockets = new ArrayList<>();
                    try {
                        for (int i = 1; i <= 4; i++) {
                            NetworkChannel channel = protocol == Protocol.TCP ? ServerSocketChannel.open()
                                    : DatagramChannel.open();
                            sockets.add(channel);
                            if (reuse) {
                                channel.setOption(StandardSocketOptions.SO_REUSEADDR, true);
                            }
                            String associated = attempt(() -> {
                                natives.associate(handle(channel), protocol, reservation.token().value());
                                return "associated";
                            });
                            String bound = attempt(() -> channel.bind(new InetSocketAddress(port)).getLocalAddress());
                            answer("Q4", protocol + " socket " + i + "/4" + (reuse ? " with SO_REUSEADDR" : "")
                                    + " on the one-port block " + port + ": " + associated + ", bind " + bound);
                        }
                    } finally {
                        for (NetworkChannel channel : sockets) {
                            channel.close();
                        }
                    }
                }
            }
        }
    }

    @Test
    void q5BindsOutsideTheBlockAndInAFullBlock() throws Exception {
        try (RuntimeReservation reservation = provider.acquire(Protocol.TCP, 2);
             ServerSocketChannel server = ServerSocketChannel.open()) {
            PortRange range = reservation.range();
            int outside = range.end() < PortRange.MAX_PORT ? range.end() + 1 : range.start() - 1;
            answer("Q5", "plain bind of " + outside + " first, to know whether it is free: "
                    + plainBind(Protocol.TCP, outside));
            natives.associate(handle(server), Protocol.TCP, reservation.token().value());
            answer("Q5", "explicit port " + outside + " outside the block " + range + " after association: "
                    + attempt(() -> server.bind(new InetSocketAddress(outside)).getLocalAddress()));
        }
        try (RuntimeReservation reservation = provider.acquire(Protocol.TCP, 1);
             ServerSocketChannel first = ServerSocketChannel.open();
             ServerSocketChannel second = ServerSocketChannel.open()) {
            reservation.bind(ReservableSocket.of(first, 0), new InetSocketAddress(LOOPBACK, 0));
            natives.associate(handle(second), Protocol.TCP, reservation.token().value());
            answer("Q5", "port 0 after association when every port of the block is bound: "
                    + attempt(() -> second.bind(new InetSocketAddress(LOOPBACK, 0)).getLocalAddress()));
        }
    }

    @Test
    void q6WhatJavaAndTheDoctorSeeInsideExcludedRanges() throws Exception {
        String parsed = attempt(() -> doctor.excludedRanges(Protocol.TCP, IpVersion.IPV4));
        answer("Q6", "the doctor's parse of 'netsh interface ipv4 show excludedportrange protocol=tcp': " + parsed);
        List<ExcludedRange> ranges = parsed.startsWith("OK ") ? doctor.excludedRanges(Protocol.TCP, IpVersion.IPV4)
                : List.of();
        Optional<ExcludedRange> system = ranges.stream().filter(r -> !r.administered()).findFirst();
        Optional<ExcludedRange> administered = ranges.stream().filter(ExcludedRange::administered).findFirst();
        for (Optional<ExcludedRange> range : List.of(system, administered)) {
            if (range.isEmpty()) {
                continue;
            }
            int port = range.get().range().start();
            answer("Q6", "plain JDK bind of 0.0.0.0:" + port + " in " + range.get() + ": "
                    + plainBind(Protocol.TCP, port));
            answer("Q6", "doctor on " + port + ": " + attempt(() -> doctor.diagnose(Protocol.TCP, port).describe()));
        }
        if (system.isEmpty()) {
            answer("Q6", "no non-administered range on this machine: the JDK message in a WinNAT range is not "
                    + "answered here");
        }
        if (doctor.elevation() != Elevation.ELEVATED) {
            answer("Q6b", "not answered: adding an administered exclusion needs elevation");
            return;
        }
        int port;
        try (RuntimeReservation any = provider.acquire(Protocol.TCP, 1)) {
            port = any.range().start();
        }
        String add = run("netsh", "int", "ipv4", "add", "excludedportrange", "protocol=tcp", "startport=" + port,
                "numberofports=1");
        try {
            answer("Q6b", "netsh add excludedportrange of " + port + ": " + add);
            answer("Q6b", "plain JDK bind of 0.0.0.0:" + port + " in the administered exclusion: "
                    + plainBind(Protocol.TCP, port));
            answer("Q6b", "one-port SIO_ACQUIRE inside it: " + attempt(() -> {
                provider.acquire(Protocol.TCP, PortRange.single(port)).close();
                return "acquired";
            }));
            answer("Q6b", "doctor: " + attempt(() -> doctor.diagnose(Protocol.TCP, port).summary()));
        } finally {
            answer("Q6b", "netsh delete: " + run("netsh", "int", "ipv4", "delete", "excludedportrange",
                    "protocol=tcp", "startport=" + port, "numberofports=1"));
        }
    }

    private static String run(String... command) {
        return attempt(() -> {
            CommandRunner.Result result = CommandRunner.system(WindowsPortDoctor.NETSH_TIMEOUT).run(List.of(command));
            return "exit " + result.exitCode() + ": " + result.output().strip();
        });
    }
}
