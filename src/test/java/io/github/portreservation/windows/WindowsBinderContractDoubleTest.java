package io.github.portreservation.windows;

import io.github.portreservation.PortBinder;
import io.github.portreservation.PortRange;
import io.github.portreservation.Protocol;
import io.github.portreservation.ReservableSocket;
import io.github.portreservation.RuntimeReservation;
import io.github.portreservation.testing.PortBinderContract;

/**
 * The binder contract ({@link PortBinderContract}) on the Windows runtime reservation, through the native test double
 * (Linux with gcc only; skipped elsewhere). The sockets are real JDK channels that bind where the double's bind()
 * puts them.
 */
class WindowsBinderContractDoubleTest extends PortBinderContract {
    private NativeDouble.Control control;
    private RuntimeReservation reservation;

    @Override
    protected PortBinder newBinder() {
        NativeDouble.assumeAvailable();
        control = NativeDouble.control();
        reservation = WindowsPortReservationProvider.create(NativeDouble.natives())
                .acquire(Protocol.TCP, FreePorts.block(2));
        return reservation;
    }

    @Override
    protected ReservableSocket adapt(ReservableSocket socket) {
        return new DoubleSocket(socket, control);
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
        if (reservation != null) {
            reservation.close();
        }
    }

    @Override
    protected int portOutside() {
        return reservation.range().end() + 1;
    }
}
