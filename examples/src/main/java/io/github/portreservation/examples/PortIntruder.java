package io.github.portreservation.examples;

import io.github.portreservation.testing.ExternalProcess;

import java.io.File;
import java.io.IOException;
import java.net.BindException;
import java.net.DatagramSocket;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.List;

/**
 * Another process that tries to take reserved ports, for the demo: {@code socat} when it is installed (also run as
 * user {@code nobody} with SO_REUSEPORT when this JVM is root and {@code setpriv} exists), otherwise a child JVM
 * running {@link #main} (plain sockets, no SO_REUSEPORT). Each attempt reports whether the operating system refused.
 */
final class PortIntruder {
    /** Which intruder runs. */
    enum Kind {
        /** socat if installed, else a child JVM. */
        AUTO,
        /** socat (fails when it is not installed). */
        SOCAT,
        /** a child JVM. */
        JVM
    }

    /** One attempt: what was tried and what happened. */
    static final class Attempt {
        final String who;
        final String target;
        final boolean refused;
        final String detail;

        Attempt(String who, String target, boolean refused, String detail) {
            this.who = who;
            this.target = target;
            this.refused = refused;
            this.detail = detail;
        }

        @Override
        public String toString() {
            return who + " binding " + target + ": " + (refused ? "refused" : "NOT REFUSED") + " (" + detail + ")";
        }
    }

    private PortIntruder() {
    }

    /** Whether socat can be used here. */
    static boolean socatInstalled() {
        return ExternalProcess.isInstalled("socat");
    }

    /** Tries to bind TCP {@code tcpPorts} and UDP {@code udpPorts} on 127.0.0.1 from another process. */
    static List<Attempt> attack(Kind kind, List<Integer> tcpPorts, List<Integer> udpPorts)
            throws IOException, InterruptedException {
        boolean socat = kind == Kind.SOCAT || (kind == Kind.AUTO && socatInstalled());
        List<Attempt> attempts = new ArrayList<>();
        if (!socat) {
            List<String> cmd = new ArrayList<>(List.of(Paths.get(System.getProperty("java.home"), "bin", "java")
                    .toString(), "-cp", ownClassPath(), PortIntruder.class.getName()));
            for (int p : tcpPorts) {
                cmd.add("tcp:" + p);
            }
            for (int p : udpPorts) {
                cmd.add("udp:" + p);
            }
            String out = run(cmd).output;
            for (String line : out.split("\n")) {
                String[] f = line.split(" ", 3);
                if (f.length == 3 && (f[0].equals("REFUSED") || f[0].equals("BOUND") || f[0].equals("ERROR"))) {
                    attempts.add(new Attempt("child JVM (same user, no SO_REUSEPORT)", f[1].replace('_', ' '),
                            f[0].equals("REFUSED"), f[2]));
                }
            }
            if (attempts.size() != tcpPorts.size() + udpPorts.size()) {
                throw new IOException("the child JVM did not report every attempt: " + out);
            }
            return attempts;
        }
        boolean asNobody = ExternalProcess.isRoot() && ExternalProcess.isInstalled("setpriv");
        for (int p : tcpPorts) {
            socatAttempts(attempts, "TCP " + p, "TCP-LISTEN:" + p + ",bind=127.0.0.1", asNobody);
        }
        for (int p : udpPorts) {
            socatAttempts(attempts, "UDP " + p, "UDP-RECV:" + p + ",bind=127.0.0.1", asNobody);
        }
        return attempts;
    }

    /** socat as this user without SO_REUSEPORT, and as nobody with it when {@code asNobody}. */
    private static void socatAttempts(List<Attempt> attempts, String target, String address, boolean asNobody)
            throws IOException, InterruptedException {
        attempts.add(socat("socat (same user, no SO_REUSEPORT)", target, false, address));
        if (asNobody) {
            attempts.add(socat("socat as nobody (SO_REUSEPORT)", target, true, address + ",reuseport"));
        }
    }

    private static Attempt socat(String who, String target, boolean asNobody, String address)
            throws IOException, InterruptedException {
        List<String> cmd = new ArrayList<>(List.of("timeout", "1"));
        if (asNobody) {
            cmd.addAll(List.of("setpriv", "--reuid=65534", "--regid=65534", "--clear-groups"));
        }
        cmd.addAll(List.of("socat", address, "STDOUT"));
        String out = run(cmd).output.trim();
        boolean refused = out.contains("Address already in use");
        String detail = refused ? "Address already in use"
                : "socat got the port and waited (" + (out.isEmpty() ? "no output" : out) + ")";
        return new Attempt(who, target, refused, detail);
    }

    private static ExternalProcess.Result run(List<String> cmd) throws IOException, InterruptedException {
        ExternalProcess.Result r = ExternalProcess.run(20, cmd.toArray(new String[0]));
        if (r.exitCode == -1) {
            throw new IOException(r.output);
        }
        return r;
    }

    /**
     * Where this class was loaded from: the child JVM only needs it and the JDK. (Under {@code mvn exec:java} the
     * system class path is Maven's own, so it cannot be used.)
     */
    private static String ownClassPath() throws IOException {
        try {
            return new File(PortIntruder.class.getProtectionDomain().getCodeSource().getLocation().toURI()).getPath();
        } catch (java.net.URISyntaxException | RuntimeException e) {
            throw new IOException("cannot locate the class path of " + PortIntruder.class.getName(), e);
        }
    }

    /**
     * The child process: for each {@code tcp:PORT} / {@code udp:PORT} argument, binds a plain socket on 127.0.0.1
     * (no SO_REUSEPORT) and prints {@code REFUSED}, {@code BOUND} or {@code ERROR}.
     */
    public static void main(String[] args) {
        for (String arg : args) {
            String[] f = arg.split(":");
            int port = Integer.parseInt(f[1]);
            String target = f[0].toUpperCase(java.util.Locale.ROOT) + "_" + port;
            InetSocketAddress address = new InetSocketAddress(java.net.InetAddress.getLoopbackAddress(), port);
            try {
                if (f[0].equals("tcp")) {
                    try (ServerSocket s = new ServerSocket()) {
                        s.bind(address);
                    }
                } else {
                    try (DatagramSocket s = new DatagramSocket(null)) {
                        s.bind(address);
                    }
                }
                System.out.println("BOUND " + target + " the bind succeeded");
            } catch (BindException e) {
                System.out.println("REFUSED " + target + " " + e.getMessage());
            } catch (IOException e) {
                System.out.println("ERROR " + target + " " + e);
            }
        }
    }
}
