package io.github.portreservation.linux;

import io.github.portreservation.PortBinding;
import io.github.portreservation.PortRange;
import io.github.portreservation.Protocol;
import io.github.portreservation.ReservableSocket;
import io.github.portreservation.ReservationToken;
import io.github.portreservation.RuntimeReservation;

import java.io.Closeable;
import java.net.InetSocketAddress;

/** A Linux runtime reservation: one placeholder socket per port, released by {@link #close()}. */
final class LinuxRuntimeReservation implements RuntimeReservation {
    private final LinuxPortReservationProvider provider;
    private final Protocol protocol;
    private final PortRange range;
    private final LinuxBlockBinder block;
    /** The placeholders: one JDK socket for a port the kernel chose, else a {@link Placeholders.Held}. */
    private final Closeable placeholders;

    LinuxRuntimeReservation(LinuxPortReservationProvider provider, Protocol protocol, PortRange range, ReservationToken token,
                    Closeable placeholders) {
        this.provider = provider;
        this.protocol = protocol;
        this.range = range;
        this.placeholders = placeholders;
        this.block = new LinuxBlockBinder("runtime " + protocol + " reservation " + token, protocol, range, token, true);
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
        return block.token();
    }

    @Override
    public boolean isOpen() {
        return block.isOpen();
    }

    @Override
    public int boundPorts() {
        return block.boundPorts();
    }

    @Override
    public int availablePorts() {
        return block.availablePorts();
    }

    @Override
    public PortBinding bind(ReservableSocket socket, InetSocketAddress requested) {
        return block.bind(socket, requested);
    }

    @Override
    public void close() {
        if (block.close()) {
            provider.forget(this);
            Placeholders.closeQuietly(placeholders);
            provider.released(protocol, range);
        }
    }

    @Override
    public String toString() {
        return "RuntimeReservation[" + protocol + " " + range + ", " + token() + (isOpen() ? "]" : ", closed]");
    }
}
