package io.github.portreservation.windows;

import io.github.portreservation.PortBinding;
import io.github.portreservation.PortRange;
import io.github.portreservation.PortReservationException;
import io.github.portreservation.PortReservationException.Reason;
import io.github.portreservation.Protocol;
import io.github.portreservation.ReservableSocket;
import io.github.portreservation.ReservationToken;
import io.github.portreservation.RuntimeReservation;
import io.github.portreservation.windows.ExcludedRange.IpVersion;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.channels.NetworkChannel;
import java.nio.channels.ServerSocketChannel;
import java.util.ArrayList;
import java.util.List;

import static io.github.portreservation.windows.FakeNetsh.sample;
import static io.github.portreservation.windows.WindowsConstants.AF_INET;
import static io.github.portreservation.windows.WindowsConstants.WSAEADDRINUSE;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Failures of the provider's binds and acquires carry the doctor's diagnosis, and successful ones never run it.
 * Over the native test double (Linux with gcc only): the double refuses the bind (double_fail_next_bind, or a port of a
 * persistent block already bound), its fake socket table says who holds the port, {@link FakeNetsh} answers with the
 * public samples. What Windows returns in these cases is not known here; the paths are.
 */
class WindowsBindDiagnosisDoubleTest {
    private static final InetAddress LOOPBACK = InetAddress.getLoopbackAddress();
    private static final int NO_SUCH_PID = 0x7FFFFFF0;

    private NativeDouble.Control control;
    private FakeNetsh netsh;
    private WindowsPortReservationProvider provider;
    private final List<NetworkChannel> channels = new ArrayList<>();
    private final List<RuntimeReservation> reservations = new ArrayList<>();

    @BeforeEach
    void setUp() {
        NativeDouble.assumeAvailable();
        control = NativeDouble.control();
        netsh = new FakeNetsh().answer(Protocol.TCP, IpVersion.IPV4, sample("en-tcp-docker-for-win-3171.txt"))
                .answer(Protocol.TCP, IpVersion.IPV6, sample("zh-tcp-empty-clash-verge-rev-1688.txt"));
        provider = WindowsPortReservationProvider.create(NativeDouble.natives(), netsh);
    }

    @AfterEach
    void tearDown() throws IOException {
        for (NetworkChannel channel : channels) {
            channel.close();
        }
        reservations.forEach(RuntimeReservation::close);
        System.clearProperty(WindowsPortDoctor.DIAGNOSE_PROPERTY);
    }

    private ReservableSocket server() throws IOException {
        ServerSocketChannel channel = ServerSocketChannel.open();
        channels.add(channel);
        return new DoubleSocket(ReservableSocket.of(channel, 0), control);
    }

    private RuntimeReservation acquire(PortRange range) {
        RuntimeReservation reservation = provider.acquire(Protocol.TCP, range);
        reservations.add(reservation);
        return reservation;
    }

    @Test
    void aReservedBindWindowsRefusesNamesTheProcessThatHoldsThePort() throws IOException {
        PortRange range = FreePorts.block(4);
        RuntimeReservation reservation = acquire(range);
        int port = range.start() + 1;
        assertEquals(1, control.double_add_socket_row(1, AF_INET, "0.0.0.0", port, 2, NO_SUCH_PID));
        control.double_fail_next_bind(WSAEADDRINUSE);
        PortReservationException e = assertThrows(PortReservationException.class,
                () -> reservation.bind(server(), new InetSocketAddress(LOOPBACK, port)));
        assertEquals(Reason.IN_USE, e.reason());
        String message = e.getMessage();
        assertTrue(message.contains("failed: Address already in use (double: WSAEADDRINUSE); Windows refused port "
                + port + " of the block; request port 0 or another port of the block; diagnosis: TCP port " + port
                + ": IN_USE_BY_PROCESS, TCP 0.0.0.0:" + port + " LISTENING, pid " + NO_SUCH_PID + " (socket table)"),
                message);
        assertTrue(message.contains("'taskkill /PID " + NO_SUCH_PID + "'"), message);
        assertEquals(4, reservation.availablePorts(), "the failed bind holds no port");
    }

    @Test
    void aSecondBindOfAPersistentPortNamesThisProcess() throws IOException {
        PortRange range = FreePorts.block(2);
        ReservationToken token = provider.createPersistent(Protocol.TCP, range);
        try {
            InetSocketAddress first = new InetSocketAddress(LOOPBACK, range.start());
            PortBinding bound = provider.bind(token, server(), first);
            assertEquals(range.start(), bound.port());
            assertEquals(1, control.double_add_socket_row(1, AF_INET, "127.0.0.1", range.start(), 2,
                    (int) ProcessHandle.current().pid()));
            PortReservationException e = assertThrows(PortReservationException.class,
                    () -> provider.bind(token, server(), first));
            assertEquals(Reason.IN_USE, e.reason());
            assertTrue(e.getMessage().contains("diagnosis: TCP port " + range.start() + ": IN_USE_BY_PROCESS, TCP "
                    + "127.0.0.1:" + range.start() + " LISTENING, pid " + ProcessHandle.current().pid()
                    + " (this process)"), e.getMessage());
            assertTrue(e.getMessage().contains("A socket of this JVM uses the port"), e.getMessage());
        } finally {
            provider.deletePersistent(Protocol.TCP, range);
        }
    }

    @Test
    void successfulBindsNeverRunTheDoctor() throws IOException {
        PortRange range = FreePorts.block(4);
        RuntimeReservation reservation = acquire(range);
        reservation.bind(server(), new InetSocketAddress(LOOPBACK, 0));
        reservation.bind(server(), new InetSocketAddress(LOOPBACK, range.end()));
        assertEquals(List.of(), netsh.calls());
        assertEquals(0, control.double_table_calls());
    }

    @Test
    void theDiagnosisCanBeTurnedOff() throws IOException {
        System.setProperty(WindowsPortDoctor.DIAGNOSE_PROPERTY, "false");
        PortRange range = FreePorts.block(2);
        RuntimeReservation reservation = acquire(range);
        control.double_fail_next_bind(WSAEADDRINUSE);
        PortReservationException e = assertThrows(PortReservationException.class,
                () -> reservation.bind(server(), new InetSocketAddress(LOOPBACK, range.start())));
        assertEquals(Reason.IN_USE, e.reason());
        assertTrue(e.getMessage().endsWith("; request port 0 or another port of the block"), e.getMessage());
        assertFalse(e.getMessage().contains("diagnosis"), e.getMessage());
        assertEquals(List.of(), netsh.calls());
        assertEquals(0, control.double_table_calls());
    }

    @Test
    void anAcquireOfAnExcludedBlockNamesTheOverlappingRanges() {
        netsh.answer(Protocol.TCP, IpVersion.IPV4, sample("zh-tcp-windows-notes.txt"));
        assertEquals(1, control.double_add_excluded_range(1, 50000, 60));
        PortReservationException e = assertThrows(PortReservationException.class,
                () -> provider.acquire(Protocol.TCP, PortRange.of(50050, 20)));
        assertEquals(Reason.IN_USE, e.reason());
        assertTrue(e.getMessage().contains("; diagnosis (netsh): ipv4: overlapping excluded ranges 50000-50059 * (ipv4 "
                + "tcp); ipv6: no excluded range overlaps 50050-50069 [native error WSAEADDRINUSE (10048)]"),
                e.getMessage());
    }

    @Test
    void aPersistentAssociationRefusedForRightsSaysWhetherThisProcessIsElevated() throws IOException {
        PortRange range = FreePorts.block(2);
        ReservationToken token = provider.createPersistent(Protocol.TCP, range);
        try {
            control.double_set_elevated(0);
            PortReservationException e = assertThrows(PortReservationException.class,
                    () -> provider.bind(token, server(), new InetSocketAddress(LOOPBACK, 0)));
            assertEquals(Reason.ACCESS_DENIED, e.reason());
            assertTrue(e.getMessage().endsWith("; IsUserAnAdmin says this process is not elevated [native error "
                    + "WSAEACCES (10013)]"), e.getMessage());
        } finally {
            control.double_set_elevated(1);
            provider.deletePersistent(Protocol.TCP, range);
        }
    }
}
