package io.github.portreservation.linux;

import io.github.portreservation.PortBinding;
import io.github.portreservation.Protocol;
import io.github.portreservation.ReservableSocket;
import io.github.portreservation.RuntimeReservation;
import io.github.portreservation.testing.ExternalProcess;
import io.github.portreservation.testing.ExternalProcess.Result;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.condition.EnabledOnOs;
import org.junit.jupiter.api.condition.OS;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.Closeable;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.DatagramChannel;
import java.nio.channels.NetworkChannel;
import java.nio.channels.ServerSocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * Every address of a held port, against hostile processes, in a network namespace the test creates (loopback plus a
 * veth with 192.0.2.1 and 2001:db8::1). For TCP and UDP, for a port that is held but unbound, bound by the library
 * to 127.0.0.1 and bound to the wildcard address, processes of the same user and of {@code nobody}, with and without
 * SO_REUSEPORT, try to bind 127.0.0.1, 127.0.0.2, 0.0.0.0, 192.0.2.1, [::1], [::] (dual-stack and v6only) and
 * [2001:db8::1] (dual-stack and v6only). Every attempt is refused except the documented one: the same user with
 * SO_REUSEPORT. Datagrams sent to every address reach the application's socket on the addresses it bound, and nobody
 * on the others (the placeholder's filter drops them: its drop counter says how many, its queue stays empty).
 * Runs three times: default JVM (as root: shared eBPF programs), {@code -Djava.net.preferIPv4Stack=true}, and with
 * the classic BPF programs that processes without the right to load eBPF get. Needs root (unshare, setpriv) and gcc.
 */
@EnabledOnOs(OS.LINUX)
class HostileMatrixTest {
    private static final Path SOURCE = Paths.get("src/test/c/hostile_bind.c").toAbsolutePath();
    private static final Path BINARY = Paths.get("target/hostile/hostile_bind").toAbsolutePath();
    /** Datagrams sent to each address. */
    private static final int DATAGRAMS = 20;
    private static final String[] V4 = {"127.0.0.1", "127.0.0.2", "0.0.0.0", "192.0.2.1"};
    private static final String[] V6 = {"::1", "::", "2001:db8::1"};
    private static final String[] TARGETS = {"127.0.0.1", "127.0.0.2", "192.0.2.1", "::1", "2001:db8::1"};

    @BeforeAll
    static void buildHostileProcess() throws Exception {
        assumeTrue(ExternalProcess.isRoot(), "needs root for unshare --net and setpriv");
        assumeTrue(ExternalProcess.isInstalled("unshare") && ExternalProcess.isInstalled("ip")
                && ExternalProcess.isInstalled("setpriv") && ExternalProcess.isInstalled("gcc"),
                "needs unshare, ip, setpriv (util-linux, iproute2) and gcc");
        Files.createDirectories(BINARY.getParent());
        Result r = ExternalProcess.run(60, "gcc", "-Wall", "-o", BINARY.toString(), SOURCE.toString());
        assertEquals(0, r.exitCode, "hostile_bind.c must compile: " + r.output);
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"default", "preferIPv4Stack", "classic BPF"})
    void nobodyButTheSameUserWithReusePortBindsAHeldPortOnAnyAddress(String variant) throws Exception {
        boolean preferIpv4 = variant.equals("preferIPv4Stack");
        List<String> cmd = new ArrayList<>(List.of("unshare", "--net", "sh", "-c",
                "ip link set lo up && ip link add d0 type veth peer name d1 && ip link set d0 up && ip link set d1 up"
                        + " && ip addr add 192.0.2.1/24 dev d0 && ip addr add 2001:db8::1/64 dev d0 nodad"
                        + " && exec \"$@\"", "sh"));
        cmd.add(Paths.get(System.getProperty("java.home"), "bin", "java").toString());
        if (preferIpv4) {
            cmd.add("-Djava.net.preferIPv4Stack=true");
        }
        if (variant.equals("classic BPF")) {
            cmd.add("-D" + NativePlaceholders.SHARED_PROGRAMS_PROPERTY + "=false");
        }
        cmd.addAll(List.of("-cp", System.getProperty("java.class.path"), Child.class.getName(), BINARY.toString()));
        Result r = ExternalProcess.run(180, cmd.toArray(new String[0]));
        assertEquals(0, r.exitCode, r.output);
        assertTrue(r.output.contains(variant.equals("classic BPF") ? "UDP programs per socket (classic BPF)"
                : "UDP programs shared (eBPF)"), r.output);

        int attempts = 0;
        Matcher m = Pattern.compile("ATTEMPT (\\S+) (\\S+) (same|nobody) rp=(\\d) (\\S+) v6only=(\\d): (.*)")
                .matcher(r.output);
        while (m.find()) {
            attempts++;
            boolean allowed = m.group(3).equals("same") && m.group(4).equals("1");
            String expected = allowed ? "BOUND" : "REFUSED Address already in use";
            assertEquals(expected, m.group(7), "attempt " + m.group());
        }
        // 2 protocols x 3 states x 2 users x 2 SO_REUSEPORT settings x (4 IPv4 + 3 IPv6 x 2 v6only) addresses
        assertEquals(2 * 3 * 2 * 2 * (V4.length + V6.length * 2), attempts, r.output);

        // Datagrams: the application's socket gets exactly those sent to the addresses it bound.
        int wildcardAddresses = preferIpv4 ? 3 : TARGETS.length; // an IPv4-only JVM's wildcard is 0.0.0.0
        assertDatagrams(r.output, "held", 0, TARGETS.length);
        assertDatagrams(r.output, "bound-127.0.0.1", 1, TARGETS.length - 1);
        assertDatagrams(r.output, "bound-wildcard", wildcardAddresses, TARGETS.length - wildcardAddresses);
    }

    private static void assertDatagrams(String output, String state, int receivedAddresses, int droppedAddresses) {
        Matcher m = Pattern.compile("DATAGRAMS " + Pattern.quote(state) + " received=(\\d+) placeholderQueued=(\\d+) "
                + "placeholderDropped=(\\d+)").matcher(output);
        assertTrue(m.find(), "no DATAGRAMS line for " + state + ": " + output);
        assertEquals(receivedAddresses * DATAGRAMS, Integer.parseInt(m.group(1)), m.group());
        assertEquals(0, Integer.parseInt(m.group(2)), m.group());
        assertEquals(droppedAddresses * DATAGRAMS, Integer.parseInt(m.group(3)), m.group());
    }

    /** Runs inside the namespace: holds ports, lets the hostile processes try, sends datagrams. */
    public static final class Child {
        private static String binary;

        public static void main(String[] args) throws Exception {
            binary = args[0];
            LinuxPortReservationProvider provider = LinuxPortReservationProvider.create();
            System.out.println("PLACEHOLDERS " + PlaceholderStrategies.of(Protocol.UDP).describe());
            for (Protocol protocol : Protocol.values()) {
                for (String state : new String[] {"held", "bound-127.0.0.1", "bound-wildcard"}) {
                    try (RuntimeReservation r = provider.acquire(protocol, 1)) {
                        int port = r.range().start();
                        NetworkChannel app = null;
                        PortBinding binding = null;
                        if (!state.equals("held")) {
                            InetSocketAddress local = state.equals("bound-wildcard") ? new InetSocketAddress(0)
                                    : new InetSocketAddress(InetAddress.getByName("127.0.0.1"), 0);
                            app = protocol == Protocol.TCP ? ServerSocketChannel.open() : DatagramChannel.open();
                            binding = r.bind(protocol == Protocol.TCP ? ReservableSocket.of((ServerSocketChannel) app, 0)
                                    : ReservableSocket.of((DatagramChannel) app), local);
                        }
                        attack(protocol, state, port);
                        if (protocol == Protocol.UDP) {
                            datagrams(state, port, (DatagramChannel) app);
                        }
                        close(app);
                        if (binding != null) {
                            binding.close();
                        }
                    }
                }
            }
        }

        private static void attack(Protocol protocol, String state, int port) throws Exception {
            String proto = protocol.name().toLowerCase(java.util.Locale.ROOT);
            for (String who : new String[] {"same", "nobody"}) {
                for (int rp = 0; rp <= 1; rp++) {
                    List<String[]> targets = new ArrayList<>();
                    for (String a : V4) {
                        targets.add(new String[] {a, "0"});
                    }
                    for (String a : V6) {
                        targets.add(new String[] {a, "0"});
                        targets.add(new String[] {a, "1"});
                    }
                    for (String[] t : targets) {
                        List<String> cmd = new ArrayList<>();
                        if (who.equals("nobody")) {
                            cmd.addAll(List.of("setpriv", "--reuid=65534", "--regid=65534", "--clear-groups"));
                        }
                        cmd.addAll(List.of(binary, "bind", proto, Integer.toString(port), t[0], Integer.toString(rp),
                                t[1]));
                        Result res = ExternalProcess.run(10, cmd.toArray(new String[0]));
                        System.out.println("ATTEMPT " + proto + " " + state + " " + who + " rp=" + rp + " " + t[0]
                                + " v6only=" + t[1] + ": " + res.output.trim());
                    }
                }
            }
        }

        private static void datagrams(String state, int port, DatagramChannel app) throws Exception {
            long droppedBefore = placeholderCounter(port, 2);
            for (String target : TARGETS) {
                Result res = ExternalProcess.run(10, binary, "send", target, Integer.toString(port),
                        Integer.toString(DATAGRAMS));
                if (res.exitCode != 0) {
                    throw new IllegalStateException("send to " + target + " failed: " + res);
                }
            }
            Thread.sleep(200);
            int received = 0;
            if (app != null) {
                app.configureBlocking(false);
                ByteBuffer buf = ByteBuffer.allocate(64);
                while (app.receive(buf) != null) {
                    received++;
                    buf.clear();
                }
            }
            System.out.println("DATAGRAMS " + state + " received=" + received + " placeholderQueued="
                    + placeholderCounter(port, 1) + " placeholderDropped="
                    + (placeholderCounter(port, 2) - droppedBefore));
        }

        /**
         * A counter summed over the wildcard sockets of {@code port} in /proc/net/udp6 and udp (the placeholder, and
         * the application's socket when it bound the wildcard, drained by then): 1 = bytes queued (rx_queue),
         * 2 = drops.
         */
        private static long placeholderCounter(int port, int which) throws IOException {
            String hexPort = String.format(":%04X", port);
            long sum = 0;
            boolean found = false;
            for (String file : new String[] {"/proc/net/udp6", "/proc/net/udp"}) {
                List<String> lines = Files.readAllLines(Paths.get(file));
                for (String line : lines.subList(1, lines.size())) {
                    String[] cols = line.trim().split("\\s+");
                    String local = cols[1];
                    if (local.endsWith(hexPort) && local.substring(0, local.indexOf(':')).matches("0+")) {
                        found = true;
                        sum += which == 1 ? Long.parseLong(cols[4].split(":")[1], 16)
                                : Long.parseLong(cols[cols.length - 1]);
                    }
                }
            }
            if (!found) {
                throw new IllegalStateException("no placeholder for port " + port + " in /proc/net/udp6 or udp");
            }
            return sum;
        }

        private static void close(Closeable c) throws IOException {
            if (c != null) {
                c.close();
            }
        }
    }
}
