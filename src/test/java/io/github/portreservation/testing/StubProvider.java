package io.github.portreservation.testing;

import io.github.portreservation.PortBinding;
import io.github.portreservation.PortRange;
import io.github.portreservation.PortReservationProvider;
import io.github.portreservation.Protocol;
import io.github.portreservation.ReservableSocket;
import io.github.portreservation.ReservationToken;
import io.github.portreservation.RuntimeReservation;

import java.net.InetSocketAddress;
import java.util.Optional;

/**
 * The one stub provider of the tests: it has a name, and every other call throws
 * {@link UnsupportedOperationException} naming the call, so that a test (or a fake that extends this class and
 * overrides what it offers) shows at once when the code under test asks for more than the test gives.
 */
public class StubProvider implements PortReservationProvider {
    private final String name;

    /** A provider called {@code name} that offers nothing else. */
    public StubProvider(String name) {
        this.name = name;
    }

    @Override
    public String name() {
        return name;
    }

    /** The exception of every call this stub does not offer. */
    protected final UnsupportedOperationException unsupported(String call) {
        return new UnsupportedOperationException(call + " is not offered by the " + name + " stub provider of this "
                + "test");
    }

    @Override
    public RuntimeReservation acquire(Protocol protocol, PortRange range) {
        throw unsupported("acquire(" + protocol + ", " + range + ")");
    }

    @Override
    public RuntimeReservation acquire(Protocol protocol, int count) {
        throw unsupported("acquire(" + protocol + ", " + count + ")");
    }

    @Override
    public ReservationToken createPersistent(Protocol protocol, PortRange range) {
        throw unsupported("createPersistent(" + protocol + ", " + range + ")");
    }

    @Override
    public Optional<ReservationToken> lookupPersistent(Protocol protocol, PortRange range) {
        throw unsupported("lookupPersistent(" + protocol + ", " + range + ")");
    }

    @Override
    public void deletePersistent(Protocol protocol, PortRange range) {
        throw unsupported("deletePersistent(" + protocol + ", " + range + ")");
    }

    @Override
    public PortBinding bind(ReservationToken token, ReservableSocket socket, InetSocketAddress requested) {
        throw unsupported("bind(" + token + ", " + socket + ", " + requested + ")");
    }

    @Override
    public Optional<RuntimeReservation> runtimeReservation(ReservationToken token) {
        throw unsupported("runtimeReservation(" + token + ")");
    }

    @Override
    public String toString() {
        return "StubProvider[" + name + "]";
    }
}
