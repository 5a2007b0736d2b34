package io.github.portreservation.windows;

import io.github.portreservation.PortBinding;
import io.github.portreservation.PortRange;
import io.github.portreservation.PortReservationException;
import io.github.portreservation.PortReservationException.Reason;
import io.github.portreservation.Protocol;
import io.github.portreservation.ReservableSocket;
import io.github.portreservation.pool.ReservationPool;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.channels.ServerSocketChannel;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A second socket on a leased port of a pool over the Windows provider, through the native double of the Windows API
 * (not observed on Windows): a Windows runtime reservation binds one socket per port, so the pool refuses the second
 * socket with its explicit lease's IN_USE, even on another address, and nothing changes.
 */
class WindowsSharedLeaseDoubleTest {
    private NativeDouble.Control control;
    private WindowsPortReservationProvider provider;

    @BeforeEach
    void setUp() {
        NativeDouble.assumeAvailable();
        control = NativeDouble.control();
        provider = WindowsPortReservationProvider.create(NativeDouble.natives());
    }

    @Test
    void aSecondSocketOnALeasedPortIsRefusedEvenOnAnotherAddress() throws Exception {
        PortRange window = FreePorts.block(8);
        control.double_set_dynamic_window(window.start(), window.end());
        ReservationPool pool = ReservationPool.builder(provider, Protocol.TCP).blockSize(4).build();
        try (ServerSocketChannel v4 = ServerSocketChannel.open(); ServerSocketChannel v6 = ServerSocketChannel.open()) {
            PortBinding first = pool.bind(new DoubleSocket(ReservableSocket.of(v4, 0), control),
                    new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
            int port = first.port();
            PortReservationException e = assertThrows(PortReservationException.class, () -> pool.bind(
                    new DoubleSocket(ReservableSocket.of(v6, 0), control),
                    new InetSocketAddress(InetAddress.getByName("::1"), port)));
            assertEquals(Reason.IN_USE, e.reason(), e.getMessage());
            assertTrue(e.getMessage().startsWith("IN_USE: port " + port + " of ReservationPool[TCP, blocks of 4 from "
                    + "windows] is leased by PortLease[" + port + " of " + pool.blockRanges().get(0) + ", bound to "),
                    e.getMessage());
            assertEquals(1, e.getSuppressed().length);
            assertTrue(e.getSuppressed()[0].getMessage().contains("; its reservation refused it: IN_USE: port " + port
                    + " of WindowsRuntimeReservation[TCP "), e.getSuppressed()[0].getMessage());
            assertNull(v6.getLocalAddress());
            assertEquals(1, pool.statistics().leased());
            assertEquals(0, pool.statistics().failures());
            v4.close();
            first.close();
        }
        assertEquals(0, pool.statistics().leased());
        pool.close();
        pool.terminationFuture().get(5, TimeUnit.SECONDS);
        assertEquals(0, control.double_runtime_reservations());
    }
}
