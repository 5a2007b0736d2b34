package io.github.portreservation.windows;

import io.github.portreservation.PortReservationPlatform;
import io.github.portreservation.PortReservationProvider;

import java.util.Locale;

/**
 * The {@link PortReservationPlatform} of {@link WindowsPortReservationProvider}, made by PortReservations (and registered for ServiceLoader). It names
 * no JNA type: JNA is loaded only by {@link #create()}.
 */
public final class WindowsPlatform implements PortReservationPlatform {

    /** Made by PortReservations, or by ServiceLoader. */
    public WindowsPlatform() {
    }

    @Override
    public String name() {
        return "windows";
    }

    @Override
    public boolean isDefaultFor(String osName) {
        return osName.toLowerCase(Locale.ROOT).contains("windows");
    }

    @Override
    public PortReservationProvider create() {
        return WindowsPortReservationProvider.create();
    }
}
