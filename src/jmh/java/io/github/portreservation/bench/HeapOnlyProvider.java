package io.github.portreservation.bench;

import io.github.portreservation.PortBinding;
import io.github.portreservation.PortRange;
import io.github.portreservation.PortReservationException;
import io.github.portreservation.PortReservationException.Reason;
import io.github.portreservation.PortReservationProvider;
import io.github.portreservation.Protocol;
import io.github.portreservation.ReservableSocket;
import io.github.portreservation.ReservationToken;
import io.github.portreservation.RuntimeReservation;

import java.net.InetSocketAddress;
import java.util.Optional;

/**
 * A provider that reserves nothing in the operating system: consecutive blocks from port 64 up, so that a
 * {@code ReservationPool} can hold the whole port space (65,472 ports in 1,023 blocks of 64) without 65k file
 * descriptors. Benchmarks use it to measure the pool's lease/return bookkeeping alone; binding a socket through it
 * fails (UNSUPPORTED).
 */
final class HeapOnlyProvider implements PortReservationProvider {
    /** First port of the first block. */
    static final int FIRST_PORT = 64;
    private int nextStart = FIRST_PORT;
    private long tokens;

    @Override
    public String name() {
        return "heap-only";
    }

    @Override
    public synchronized RuntimeReservation acquire(Protocol protocol, PortRange range) {
        return new Block(protocol, range, ReservationToken.of(++tokens));
    }

    @Override
    public synchronized RuntimeReservation acquire(Protocol protocol, int count) {
        if (nextStart + count - 1 > PortRange.MAX_PORT) {
            throw new PortReservationException(Reason.IN_USE, "heap-only provider: no block of " + count
                    + " ports left above " + nextStart);
        }
        PortRange range = PortRange.of(nextStart, count);
        nextStart += count;
        return acquire(protocol, range);
    }

    @Override
    public ReservationToken createPersistent(Protocol protocol, PortRange range) {
        throw unsupported();
    }

    @Override
    public Optional<ReservationToken> lookupPersistent(Protocol protocol, PortRange range) {
        return Optional.empty();
    }

    @Override
    public void deletePersistent(Protocol protocol, PortRange range) {
        throw unsupported();
    }

    @Override
    public PortBinding bind(ReservationToken token, ReservableSocket socket, InetSocketAddress requested) {
        throw unsupported();
    }

    @Override
    public Optional<RuntimeReservation> runtimeReservation(ReservationToken token) {
        return Optional.empty();
    }

    private static PortReservationException unsupported() {
        return new PortReservationException(Reason.UNSUPPORTED, "the heap-only benchmark provider binds no socket");
    }

    /** A block that exists only on the heap; it never binds a socket and has nothing to release. */
    private record Block(Protocol protocol, PortRange range, ReservationToken token) implements RuntimeReservation {
        @Override
        public boolean isOpen() {
            return true;
        }

        @Override
        public int boundPorts() {
            return 0;
        }

        @Override
        public int availablePorts() {
            return range.count();
        }

        @Override
        public PortBinding bind(ReservableSocket socket, InetSocketAddress requested) {
            throw unsupported();
        }

        @Override
        public void close() {
        }
    }
}
