package io.github.portreservation.windows;

import io.github.portreservation.Protocol;

/**
 * The native test double for tests outside this package (the examples' tool test): a provider over it, and the few
 * controls those tests need. Linux with gcc only; skips the calling test elsewhere. Test code.
 */
public final class WindowsDoubleFixture {
    /** {@code MIB_TCP_STATE_LISTEN}. */
    public static final int LISTEN = WindowsConstants.MIB_TCP_STATE_LISTEN;

    private final NativeDouble.Control control;

    private WindowsDoubleFixture(NativeDouble.Control control) {
        this.control = control;
    }

    /** Builds the double if needed (skipping the test where it cannot exist) and resets it. */
    public static WindowsDoubleFixture reset() {
        NativeDouble.assumeAvailable();
        return new WindowsDoubleFixture(NativeDouble.control());
    }

    /** A provider over the double, whose doctor runs netsh through {@code runner}. */
    public WindowsPortReservationProvider provider(CommandRunner runner) {
        return WindowsPortReservationProvider.create(NativeDouble.natives(), runner);
    }

    /** A fake row of the double's socket table (IPv6 when the address has a ':'; state for TCP only). */
    public void socket(Protocol protocol, String address, int port, int state, long pid) {
        int af = address.indexOf(':') >= 0 ? WindowsConstants.AF_INET6 : WindowsConstants.AF_INET;
        if (control.double_add_socket_row(protocol == Protocol.TCP ? 1 : 2, af, address,
                port, state, (int) pid) != 1) {
            throw new IllegalStateException("the double refused the row " + address + ":" + port);
        }
    }

    /** Whether IsUserAnAdmin and the persistent functions see an elevated caller. */
    public void elevated(boolean value) {
        control.double_set_elevated(value ? 1 : 0);
    }

    /** Live runtime reservations in the double (the probe must leave none). */
    public int runtimeReservations() {
        return control.double_runtime_reservations();
    }
}
