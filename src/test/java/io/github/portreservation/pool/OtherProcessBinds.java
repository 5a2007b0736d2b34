package io.github.portreservation.pool;

import io.github.portreservation.Protocol;
import io.github.portreservation.testing.ExternalProcess;
import io.github.portreservation.testing.ExternalProcess.Result;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.StandardSocketOptions;
import java.nio.channels.DatagramChannel;
import java.nio.channels.NetworkChannel;
import java.nio.channels.ServerSocketChannel;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * Another process (a child JVM of the same user) trying to bind a port as another program would: on 127.0.0.1,
 * 0.0.0.0, [::1] and [::], each without and with SO_REUSEADDR (the option UDP multicast receivers set), never with
 * SO_REUSEPORT (a process of the same user with it may share a held port: the documented kernel caveat).
 */
final class OtherProcessBinds {
    private static final String[] ADDRESSES = {"127.0.0.1", "0.0.0.0", "::1", "::"};
    private static final Pattern ATTEMPT = Pattern.compile("ATTEMPT (\\S+) reuseaddr=(\\w+): (.*)");

    private OtherProcessBinds() {
    }

    /** Asserts that another process binds {@code port} for {@code protocol} on none of the addresses, either way. */
    static void assertRefused(Protocol protocol, int port) throws IOException, InterruptedException {
        List<String> cmd = ExternalProcess.javaCommand(Child.class, protocol.name(), Integer.toString(port));
        Result r = ExternalProcess.run(60, cmd.toArray(new String[0]));
        assertEquals(0, r.exitCode, r.toString());
        Matcher m = ATTEMPT.matcher(r.output);
        List<String> outcomes = new ArrayList<>();
        while (m.find()) {
            outcomes.add(m.group(1) + " reuseaddr=" + m.group(2) + ": " + m.group(3).trim());
        }
        List<String> expected = new ArrayList<>();
        for (String address : ADDRESSES) {
            for (boolean reuseAddr : new boolean[] {false, true}) {
                expected.add(address + " reuseaddr=" + reuseAddr + ": REFUSED Address already in use");
            }
        }
        assertEquals(expected, outcomes, protocol + " port " + port + ", child output: " + r.output);
    }

    /** The other process: {@code Child TCP|UDP PORT} prints one ATTEMPT line per address and SO_REUSEADDR setting. */
    public static final class Child {
        public static void main(String[] args) throws IOException {
            Protocol protocol = Protocol.valueOf(args[0]);
            int port = Integer.parseInt(args[1]);
            for (String address : ADDRESSES) {
                for (boolean reuseAddr : new boolean[] {false, true}) {
                    InetSocketAddress local = new InetSocketAddress(InetAddress.getByName(address), port);
                    System.out.println("ATTEMPT " + address + " reuseaddr=" + reuseAddr + ": "
                            + attempt(protocol, local, reuseAddr));
                }
            }
        }

        private static String attempt(Protocol protocol, InetSocketAddress local, boolean reuseAddr)
                throws IOException {
            try (NetworkChannel channel = protocol == Protocol.TCP ? ServerSocketChannel.open()
                    : DatagramChannel.open()) {
                channel.setOption(StandardSocketOptions.SO_REUSEADDR, reuseAddr);
                channel.bind(local);
                return "BOUND";
            } catch (IOException e) {
                return "REFUSED " + e.getMessage();
            }
        }
    }
}
