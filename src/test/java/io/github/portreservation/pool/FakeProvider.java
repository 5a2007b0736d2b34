package io.github.portreservation.pool;

import io.github.portreservation.PortBinding;
import io.github.portreservation.PortRange;
import io.github.portreservation.PortReservationException;
import io.github.portreservation.PortReservationException.Reason;
import io.github.portreservation.Protocol;
import io.github.portreservation.ReservableSocket;
import io.github.portreservation.ReservationToken;
import io.github.portreservation.RuntimeReservation;
import io.github.portreservation.testing.StubProvider;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Test double of a provider for the pool's data-structure tests: hands out consecutive blocks from a base port,
 * holds nothing in the operating system, fails binds on the ports listed in {@link #failingPorts} with IN_USE, and
 * UDP blocks over {@link #udpPortsTaken} with IN_USE. Its reservations bind one socket per port, or, with
 * {@link #otherAddressesShare}, one per port and address (a second socket on another address, as on Linux).
 */
final class FakeProvider extends StubProvider {
    final Set<Integer> failingPorts = ConcurrentHashMap.newKeySet();
    final AtomicInteger openReservations = new AtomicInteger();
    final AtomicInteger acquireCalls = new AtomicInteger();
    volatile int failAcquires;
    /** The reason of the acquisitions failed through {@link #failAcquires}. */
    volatile Reason failReason = Reason.IN_USE;
    /** Ports another process holds for UDP: acquiring a UDP block over one fails IN_USE. */
    final Set<Integer> udpPortsTaken = ConcurrentHashMap.newKeySet();
    /** When set, every bind of a reservation throws it (as a JDK channel's bind may). */
    volatile RuntimeException bindThrows;
    /** When set, a reservation binds a second socket to a port on an address that no socket there uses. */
    volatile boolean otherAddressesShare;
    /** When set, runs inside every bind of a reservation once it has accepted the socket (a test's race point). */
    volatile Runnable duringBind;
    private final AtomicInteger nextStart;
    private final AtomicLong tokens = new AtomicLong();

    FakeProvider(int basePort) {
        super("fake");
        this.nextStart = new AtomicInteger(basePort);
    }

    @Override
    public RuntimeReservation acquire(Protocol protocol, PortRange range) {
        acquireCalls.incrementAndGet();
        if (failAcquires > 0) {
            failAcquires--;
            Reason reason = failReason;
            throw new PortReservationException(reason, reason == Reason.IN_USE ? "fake: block " + range + " is taken"
                    : "fake: block " + range + " failed with " + reason);
        }
        for (int p = range.start(); protocol == Protocol.UDP && p <= range.end(); p++) {
            if (udpPortsTaken.contains(p)) {
                throw new PortReservationException(Reason.IN_USE, "fake: UDP port " + p + " of block " + range
                        + " is taken");
            }
        }
        openReservations.incrementAndGet();
        return new FakeReservation(protocol, range, ReservationToken.of(tokens.incrementAndGet()));
    }

    @Override
    public RuntimeReservation acquire(Protocol protocol, int count) {
        return acquire(protocol, PortRange.of(nextStart.getAndAdd(count), count));
    }

    @Override
    public Optional<ReservationToken> lookupPersistent(Protocol protocol, PortRange range) {
        return Optional.empty();
    }

    @Override
    public Optional<RuntimeReservation> runtimeReservation(ReservationToken token) {
        return Optional.empty();
    }

    final class FakeReservation implements RuntimeReservation {
        private final Protocol protocol;
        private final PortRange range;
        private final ReservationToken token;
        /** The addresses bound on each port; guarded by this reservation. */
        private final Map<Integer, List<InetAddress>> bound = new HashMap<>();
        private volatile boolean open = true;

        FakeReservation(Protocol protocol, PortRange range, ReservationToken token) {
            this.protocol = protocol;
            this.range = range;
            this.token = token;
        }

        @Override
        public Protocol protocol() {
            return protocol;
        }

        @Override
        public PortRange range() {
            return range;
        }

        @Override
        public ReservationToken token() {
            return token;
        }

        @Override
        public boolean isOpen() {
            return open;
        }

        @Override
        public synchronized int boundPorts() {
            return bound.size();
        }

        @Override
        public synchronized int availablePorts() {
            return range.count() - bound.size();
        }

        /** Records {@code address} on {@code port}, or refuses it (IN_USE) as one socket per port (and address). */
        private synchronized void use(int port, InetAddress address) {
            List<InetAddress> users = bound.computeIfAbsent(port, p -> new ArrayList<>());
            if (!users.isEmpty() && (!otherAddressesShare || users.contains(address))) {
                throw new PortReservationException(Reason.IN_USE, "fake: port " + port + " bound twice");
            }
            users.add(address);
        }

        /** Forgets {@code address} on {@code port}. */
        private synchronized void release(int port, InetAddress address) {
            List<InetAddress> users = bound.get(port);
            users.remove(address);
            if (users.isEmpty()) {
                bound.remove(port);
            }
        }

        @Override
        public PortBinding bind(ReservableSocket socket, InetSocketAddress requested) {
            RuntimeException toThrow = bindThrows;
            if (toThrow != null) {
                throw toThrow;
            }
            int port = requested.getPort();
            if (!open) {
                throw new PortReservationException(Reason.CLOSED, "fake reservation closed");
            }
            if (!range.contains(port)) {
                throw new PortReservationException(Reason.OUTSIDE_RESERVATION, "fake: " + port);
            }
            if (failingPorts.contains(port)) {
                throw new PortReservationException(Reason.IN_USE, "fake: port " + port + " taken by another process");
            }
            InetAddress address = requested.getAddress();
            use(port, address);
            Runnable hook = duringBind;
            if (hook != null) {
                hook.run();
            }
            ((FakeSocket) socket).bound = port;
            InetSocketAddress local = new InetSocketAddress(address, port);
            return new PortBinding() {
                private final AtomicInteger closed = new AtomicInteger();

                @Override
                public ReservationToken token() {
                    return token;
                }

                @Override
                public int port() {
                    return port;
                }

                @Override
                public InetSocketAddress localAddress() {
                    return local;
                }

                @Override
                public boolean isActive() {
                    return closed.get() == 0;
                }

                @Override
                public boolean holdsPort() {
                    return socket.socketExists();
                }

                @Override
                public void close() {
                    if (closed.getAndIncrement() == 0) {
                        release(port, address);
                    }
                }
            };
        }

        @Override
        public void close() {
            if (open) {
                open = false;
                openReservations.decrementAndGet();
            }
        }

        @Override
        public String toString() {
            return "FakeReservation[" + range + "]";
        }
    }
}
