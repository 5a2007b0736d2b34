package io.github.portreservation.windows;

import io.github.portreservation.PortReservationException;
import io.github.portreservation.PortReservationException.Reason;
import io.github.portreservation.RuntimeReservation;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.function.Executable;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.channels.NetworkChannel;
import java.util.ArrayList;
import java.util.List;

import static io.github.portreservation.windows.WindowsConstants.SIO_ASSOCIATE_PORT_RESERVATION;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

/**
 * The setting of the provider tests over the native double: the double (skipping where it cannot be built), a
 * provider over it, the channels and the reservation a test opens (closed after it), and the checks they share.
 */
abstract class OverTheDouble {
    static final InetAddress LOOPBACK = InetAddress.getLoopbackAddress();

    NativeDouble.Control control;
    WindowsPortReservationProvider provider;
    /** The reservation of the test, closed after it when set. */
    RuntimeReservation reservation;
    private final List<NetworkChannel> channels = new ArrayList<>();

    @BeforeEach
    final void overTheDouble() {
        NativeDouble.assumeAvailable();
        control = NativeDouble.control();
        provider = WindowsPortReservationProvider.create(NativeDouble.natives());
    }

    @AfterEach
    final void closeWhatTheTestOpened() throws IOException {
        for (NetworkChannel channel : channels) {
            channel.close();
        }
        if (reservation != null) {
            reservation.close();
        }
    }

    /** {@code channel}, closed after the test. */
    final <T extends NetworkChannel> T track(T channel) {
        channels.add(channel);
        return channel;
    }

    static InetSocketAddress loopback(int port) {
        return new InetSocketAddress(LOOPBACK, port);
    }

    /** The failure of {@code call}, checked for {@code reason}. */
    static PortReservationException fails(Reason reason, Executable call) {
        PortReservationException e = assertThrows(PortReservationException.class, call);
        assertEquals(reason, e.reason(), e.getMessage());
        return e;
    }

    /** SIO_ASSOCIATE_PORT_RESERVATION calls the double saw since its last reset. */
    final int associateCalls() {
        return control.double_ioctl_calls(SIO_ASSOCIATE_PORT_RESERVATION);
    }
}
