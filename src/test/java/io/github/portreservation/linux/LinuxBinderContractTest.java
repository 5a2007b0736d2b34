package io.github.portreservation.linux;

import io.github.portreservation.PortBinder;
import io.github.portreservation.PortRange;
import io.github.portreservation.PortReservationException.Reason;
import io.github.portreservation.Protocol;
import io.github.portreservation.ReservationToken;
import io.github.portreservation.RuntimeReservation;
import io.github.portreservation.testing.PortBinderContract;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.condition.EnabledOnOs;
import org.junit.jupiter.api.condition.OS;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/** The binder contract ({@link PortBinderContract}) on the Linux binders: a runtime reservation, a persistent token. */
@EnabledOnOs(OS.LINUX)
class LinuxBinderContractTest {

    /** A runtime reservation of two ports. */
    @Nested
    class Runtime extends PortBinderContract {
        private RuntimeReservation reservation;

        @Override
        protected PortBinder newBinder() {
            reservation = LinuxPortReservationProvider.create().acquire(Protocol.TCP, 2);
            return reservation;
        }

        @Override
        protected PortRange ports() {
            return reservation.range();
        }

        @Override
        protected int freePorts() {
            return reservation.availablePorts();
        }

        @Override
        protected void closeBinder() {
            reservation.close();
        }

        @Override
        protected int portOutside() {
            return reservation.range().end() + 1;
        }
    }

    /** A persistent reservation of two ports, in a copy of the sysctl file, bound through its token. */
    @Nested
    class Persistent extends PortBinderContract {
        @TempDir
        Path dir;
        private LinuxPortReservationProvider provider;
        private PortRange range;
        private ReservationToken token;

        @Override
        protected PortBinder newBinder() throws Exception {
            Path file = dir.resolve("ip_local_reserved_ports");
            Files.write(file, "\n".getBytes(StandardCharsets.US_ASCII));
            provider = LinuxPortReservationProvider.create(file);
            try (RuntimeReservation free = provider.acquire(Protocol.TCP, 2)) {
                range = free.range(); // two ports nobody used a moment ago; the persistent block has no placeholders
            }
            token = provider.createPersistent(Protocol.TCP, range);
            return PortBinder.of(provider, token);
        }

        @Override
        protected PortRange ports() {
            return range;
        }

        @Override
        protected int freePorts() {
            return provider.persistentAvailablePorts(Protocol.TCP, token);
        }

        @Override
        protected void closeBinder() {
            if (provider.lookupPersistent(Protocol.TCP, range).isPresent()) {
                provider.deletePersistent(Protocol.TCP, range);
            }
        }

        @Override
        protected boolean bindsBothProtocols() {
            return true; // net.ipv4.ip_local_reserved_ports is one list for TCP and UDP
        }

        @Override
        protected Reason closedReason() {
            return Reason.NOT_FOUND; // a deleted persistent reservation is no longer in the list
        }

        @Override
        protected int portOutside() {
            return range.end() + 1;
        }
    }
}
