package io.github.portreservation.examples;

import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import io.netty.util.internal.logging.InternalLoggerFactory;
import io.netty.util.internal.logging.JdkLoggerFactory;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.concurrent.CountDownLatch;

/** What the examples share: the loopback address, an event loop group, argument parsing, waiting for Ctrl-C. */
final class ExampleSupport {
    /** Every example listens and connects on 127.0.0.1 only. */
    static final InetAddress LOOPBACK = InetAddress.getLoopbackAddress();

    private ExampleSupport() {
    }

    /**
     * Sends Netty's log to java.util.logging: the test class path also holds slf4j-api (from Testcontainers) without
     * a binding, which would print a warning. Call it first in a main method.
     */
    static void useJdkLogging() {
        InternalLoggerFactory.setDefaultFactory(JdkLoggerFactory.INSTANCE);
    }

    /** 127.0.0.1 with {@code port} (0 = any port of the reservation). */
    static InetSocketAddress loopback(int port) {
        return new InetSocketAddress(LOOPBACK, port);
    }

    /** {@code 127.0.0.1:8080} (without the JDK's leading slash). */
    static String text(InetSocketAddress address) {
        return address.getAddress().getHostAddress() + ":" + address.getPort();
    }

    /** An NIO event loop group of {@code threads} threads (Netty 4.2 API). */
    static EventLoopGroup newGroup(int threads) {
        return new MultiThreadIoEventLoopGroup(threads, NioIoHandler.newFactory());
    }

    /**
     * The value after {@code flag} in {@code args}, or {@code fallback} when the flag is absent.
     *
     * @throws IllegalArgumentException when the flag is the last argument
     */
    static String option(String[] args, String flag, String fallback) {
        for (int i = 0; i < args.length; i++) {
            if (args[i].equals(flag)) {
                if (i + 1 == args.length) {
                    throw new IllegalArgumentException(flag + " needs a value");
                }
                return args[i + 1];
            }
        }
        return fallback;
    }

    /** The integer after {@code flag}, or {@code fallback}; it must lie in {@code min..max}. */
    static int intOption(String[] args, String flag, int fallback, int min, int max) {
        String text = option(args, flag, null);
        if (text == null) {
            return fallback;
        }
        int value;
        try {
            value = Integer.parseInt(text.trim());
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(flag + " " + text + " is not a number; write e.g. " + flag + " "
                    + fallback);
        }
        if (value < min || value > max) {
            throw new IllegalArgumentException(flag + " " + value + " must be in " + min + ".." + max);
        }
        return value;
    }

    /** Whether {@code flag} is among {@code args}. */
    static boolean flag(String[] args, String flag) {
        for (String a : args) {
            if (a.equals(flag)) {
                return true;
            }
        }
        return false;
    }

    /**
     * Parses {@code "PORT"} or {@code "127.0.0.1:PORT"}: the examples only talk to loopback.
     *
     * @throws IllegalArgumentException for another host or a bad port
     */
    static InetSocketAddress loopbackTarget(String text) {
        String port = text.trim();
        int colon = port.lastIndexOf(':');
        if (colon >= 0) {
            String host = port.substring(0, colon);
            if (!host.equals("127.0.0.1") && !host.equals("localhost")) {
                throw new IllegalArgumentException("target " + text + ": the examples only talk to 127.0.0.1; "
                        + "write 127.0.0.1:PORT or just PORT");
            }
            port = port.substring(colon + 1);
        }
        try {
            int p = Integer.parseInt(port);
            if (p < 1 || p > 65535) {
                throw new NumberFormatException();
            }
            return loopback(p);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("target " + text + ": the port must be in 1..65535");
        }
    }

    /** Blocks until the JVM is asked to stop (Ctrl-C, SIGTERM), then runs {@code onStop}. */
    static void awaitShutdown(Runnable onStop) throws InterruptedException {
        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            onStop.run();
            stopped.countDown();
        }, "example-shutdown"));
        stopped.await();
    }
}
