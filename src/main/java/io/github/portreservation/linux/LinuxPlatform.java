package io.github.portreservation.linux;

import io.github.portreservation.PortReservationPlatform;
import io.github.portreservation.PortReservationProvider;

import java.util.Locale;

/**
 * The {@link PortReservationPlatform} of {@link LinuxPortReservationProvider}, made by PortReservations (and
 * registered for ServiceLoader).
 */
public final class LinuxPlatform implements PortReservationPlatform {

    /** Made by PortReservations, or by ServiceLoader. */
    public LinuxPlatform() {
    }

    @Override
    public String name() {
        return "linux";
    }

    @Override
    public boolean isDefaultFor(String osName) {
        return osName.toLowerCase(Locale.ROOT).contains("linux");
    }

    @Override
    public PortReservationProvider create() {
        return LinuxPortReservationProvider.create();
    }
}
