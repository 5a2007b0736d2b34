package io.github.portreservation.linux;

import io.github.portreservation.PortRange;
import io.github.portreservation.Protocol;

import java.io.IOException;

/**
 * Placeholders opened by the native helper ({@link LinuxNative}), one descriptor per port, always on the wildcard
 * address of the widest family the kernel has: {@code [::]} with {@code IPV6_V6ONLY} off (every IPv4 and IPv6 address,
 * whatever the JVM's stack preference or {@code net.ipv6.bindv6only}), else {@code 0.0.0.0}.
 * <ul>
 * <li>TCP: bound without SO_REUSEPORT (exclusive), then SO_REUSEPORT on; never listens.</li>
 * <li>UDP: SO_REUSEPORT and a reuseport group with a classic BPF program before bind, which makes the bind exclusive
 *     (a socket that already has a reuseport group shares with nobody) and sends every datagram of the group to the
 *     first socket of this user that joins it; a socket filter drops whatever still reaches the placeholder (no socket
 *     of ours on that address yet). The placeholder is never connected, so it keeps every address. The two programs
 *     are eBPF programs loaded once and shared where the kernel allows loading them (root or CAP_BPF), else classic
 *     BPF copies per placeholder (about 9 µs each to compile on the project machine).</li>
 * </ul>
 */
final class NativePlaceholders implements Placeholders.Strategy {
    /** System property: {@code false} gives every UDP placeholder its own classic BPF programs (for tests). */
    static final String SHARED_PROGRAMS_PROPERTY = "io.github.portreservation.native.sharedPrograms";
    static final NativePlaceholders INSTANCE = new NativePlaceholders();
    private final boolean ipv6 = ipv6Supported0();
    private final boolean shared = !"false".equalsIgnoreCase(System.getProperty(SHARED_PROGRAMS_PROPERTY))
            && sharedPrograms0();

    private NativePlaceholders() {
    }

    @Override
    public Placeholders.Held hold(Protocol protocol, PortRange range) throws Placeholders.HoldFailure {
        int[] fds = new int[range.count()];
        long rc = holdRange0(protocol == Protocol.UDP, ipv6, shared, range.start(), range.count(), fds);
        if (rc < 0) {
            long failure = -rc;
            int index = (int) (failure >>> 16);
            int errno = (int) (failure & 0xFFFF);
            throw new Placeholders.HoldFailure(range.start() + index, NativeSocketException.of(errno));
        }
        return new Held(fds);
    }

    @Override
    public Placeholders.Held holdAnyTcp(int[] port) throws Placeholders.HoldFailure {
        long rc = holdAnyTcp0(ipv6);
        if (rc < 0) {
            throw new Placeholders.HoldFailure(0, NativeSocketException.of((int) -rc));
        }
        port[0] = (int) (rc & 0xFFFF);
        return new Held(new int[] {(int) (rc >>> 16)});
    }

    @Override
    public String describe() {
        return "native placeholders on " + (ipv6 ? "[::] (IPv4 and IPv6)" : "0.0.0.0 (this kernel has no IPv6)")
                + ", UDP programs " + (shared ? "shared (eBPF)" : "per socket (classic BPF)");
    }

    /** The descriptors of one reservation's placeholders. */
    private static final class Held implements Placeholders.Held {
        private final int[] fds;

        Held(int[] fds) {
            this.fds = fds;
        }

        @Override
        public void close() {
            int failed = closeAll0(fds, fds.length);
            if (failed > 0) {
                Placeholders.log().warn("close() failed for {} of {} placeholders",
                        failed, fds.length);
            }
        }
    }

    /** A failed system call of the helper: the C library's text (which {@link SocketErrors} reads) and errno. */
    static final class NativeSocketException extends IOException {
        private static final long serialVersionUID = 1L;
        final int errno;

        private NativeSocketException(int errno) {
            super(strerror0(errno));
            this.errno = errno;
        }

        /** The exception of {@code errno}, typed IOException so that verifying a caller does not load this class. */
        static IOException of(int errno) {
            return new NativeSocketException(errno);
        }
    }

    static native long holdRange0(boolean udp, boolean ipv6, boolean shared, int start, int count, int[] fds);

    static native long holdAnyTcp0(boolean ipv6);

    static native int closeAll0(int[] fds, int count);

    static native boolean ipv6Supported0();

    static native String strerror0(int code);

    static native boolean sharedPrograms0();
}
