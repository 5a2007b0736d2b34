package io.github.portreservation.linux;

import io.github.portreservation.PortReservationException;
import io.github.portreservation.PortReservationException.Reason;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.io.IOException;
import java.net.BindException;
import java.net.SocketException;
import java.nio.channels.AsynchronousCloseException;
import java.nio.channels.ClosedChannelException;
import java.util.BitSet;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@link SocketErrors} on each errno text the JDK reports: the reason, the errno restored, the action (the value)
 * named, and the words of the rule and the fix. Also the TIME_WAIT message and its /proc/net/tcp parsing.
 */
class SocketErrorsTest {
    private static final String ACTION = "reserve UDP port 40123 of block 40120-40129";

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', value = {
        // JDK message | reason | errno | code | key words of the rule and the fix
        "Address already in use | IN_USE | EADDRINUSE | 98 | another socket is bound to it; FIX-FOR-IN-USE",
        "Permission denied | ACCESS_DENIED | EACCES | 13 | CAP_NET_BIND_SERVICE",
        "Operation not permitted | ACCESS_DENIED | EPERM | 1 | seccomp",
        "Cannot assign requested address | INVALID_ARGUMENT | EADDRNOTAVAIL | 99 | bind the wildcard address",
        "Too many open files | RESOURCE_LIMIT | EMFILE | 24 | ulimit -n",
        "Too many open files in system | RESOURCE_LIMIT | ENFILE | 23 | fs.file-max",
        "No buffer space available | RESOURCE_LIMIT | ENOBUFS | 105 | close sockets",
        "Cannot allocate memory | RESOURCE_LIMIT | ENOMEM | 12 | memory limit",
        "Network is unreachable | SYSTEM_ERROR | ENETUNREACH | 101 | even the loopback interface",
        "Network is down | SYSTEM_ERROR | ENETDOWN | 100 | ip link set lo up",
        "No route to host | SYSTEM_ERROR | EHOSTUNREACH | 113 | ip route",
        "Invalid argument | INVALID_ARGUMENT | EINVAL | 22 | bind a new, unbound socket",
        "Protocol not available | UNSUPPORTED | ENOPROTOOPT | 92 | Linux 3.9",
        "Address family not supported by protocol | UNSUPPORTED | EAFNOSUPPORT | 97 | use an IPv4 address",
        "Protocol family unavailable | UNSUPPORTED | EAFNOSUPPORT | 97 | IPv6 is disabled",
    })
    void eachKnownTextGetsItsReasonErrnoAndFix(String text, Reason reason, String errno, int code, String words) {
        SocketException cause = new SocketException(text);
        PortReservationException e = SocketErrors.map(ACTION, cause, "FIX-FOR-IN-USE");
        assertEquals(reason, e.reason(), e.getMessage());
        assertSame(cause, e.getCause());
        assertEquals(errno, e.nativeName());
        assertEquals(code, e.nativeCode());
        assertTrue(e.getMessage().startsWith(reason + ": cannot " + ACTION + ": "), e.getMessage());
        assertTrue(e.getMessage().contains(words), e.getMessage());
        assertTrue(e.getMessage().endsWith("[native error " + errno + " (" + code + ")]"), e.getMessage());
    }

    @Test
    void unreachableNetworkNamesTheLoopbackCauseAndTheCommandThatFixesIt() {
        // What the UDP placeholder's connect to 127.0.0.1 reports when 'lo' is down (a new network namespace).
        PortReservationException e = SocketErrors.map(ACTION, new SocketException("Network is unreachable"), "");
        assertEquals(Reason.SYSTEM_ERROR, e.reason());
        assertTrue(e.getMessage().contains("UDP reservations need it"), e.getMessage());
        assertTrue(e.getMessage().contains("placeholders connect to 127.0.0.1"), e.getMessage());
        assertTrue(e.getMessage().contains("'ip link set lo up'"), e.getMessage());
    }

    @Test
    void addressInUseWithoutAFixEndsAtTheRule() {
        PortReservationException e = SocketErrors.map(ACTION, new BindException("Address already in use"), "");
        assertEquals("IN_USE: cannot " + ACTION + ": another socket is bound to it [native error EADDRINUSE (98)]",
                e.getMessage());
    }

    @Test
    void closedChannelIsClosedWithoutErrno() {
        ClosedChannelException closed = new ClosedChannelException();
        PortReservationException e = SocketErrors.map(ACTION, closed, "unused");
        assertEquals(Reason.CLOSED, e.reason());
        assertFalse(e.hasNativeCode());
        assertSame(closed, e.getCause());
        assertEquals("CLOSED: cannot " + ACTION + ": the socket is already closed; open a new socket", e.getMessage());
    }

    @Test
    void unknownTextIsASystemErrorThatKeepsTheTextAndTheCause() {
        IOException odd = new IOException("Something odd (errno 4242)");
        PortReservationException e = SocketErrors.map(ACTION, odd, "unused");
        assertEquals(Reason.SYSTEM_ERROR, e.reason());
        assertFalse(e.hasNativeCode());
        assertSame(odd, e.getCause());
        assertTrue(e.getMessage().contains("cannot " + ACTION + ": Something odd (errno 4242) (java.io.IOException, "
                + "an error this library does not know)"), e.getMessage());
        assertTrue(e.getMessage().contains("report the message"), e.getMessage());
    }

    @Test
    void nullTextIsAnUnknownSystemError() {
        PortReservationException e = SocketErrors.map(ACTION, new IOException((String) null), "unused");
        assertEquals(Reason.SYSTEM_ERROR, e.reason());
        assertTrue(e.getMessage().contains("cannot " + ACTION + ": null (java.io.IOException"), e.getMessage());
    }

    @Test
    void timeWaitMessageNamesThePortTheCountTheDelayAndTheWayOut() {
        BindException cause = new BindException("Address already in use");
        PortReservationException one = SocketErrors.timeWait("reserve TCP port 40001 of block 40000-40003", 40001, 1,
                cause);
        assertEquals(Reason.IN_USE, one.reason());
        assertEquals("EADDRINUSE", one.nativeName());
        assertSame(cause, one.getCause());
        assertTrue(one.getMessage().contains("1 closed TCP connection on port 40001 is in TIME_WAIT"),
                one.getMessage());
        assertTrue(one.getMessage().contains("retry after 60 s, or acquire another block"), one.getMessage());
        PortReservationException three = SocketErrors.timeWait("reserve TCP port 40001", 40001, 3, cause);
        assertTrue(three.getMessage().contains("3 closed TCP connections on port 40001 are in TIME_WAIT"),
                three.getMessage());
    }

    @Test
    void udpHoldFailureIsMappedWithoutLookingForTimeWait() {
        PortReservationException e = SocketErrors.mapHold(io.github.portreservation.Protocol.UDP, 40001, "reserve "
                + "UDP port 40001", new BindException("Address already in use"), "choose another block");
        assertEquals("IN_USE: cannot reserve UDP port 40001: another socket is bound to it; choose another block "
                + "[native error EADDRINUSE (98)]", e.getMessage());
    }

    /**
     * Lines of /proc/net/tcp: a listener on 8080 (state 0A), TIME_WAIT (06) on 40001 and 40002, an established (01)
     * connection on 40001; and of /proc/net/tcp6: TIME_WAIT on 40001 (a v4-mapped address).
     */
    private static final String TCP_TABLE = ""
            + "  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode\n"
            + "   0: 00000000:1F90 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 1 1 0\n"
            + "   1: 0100007F:9C41 0100007F:1F90 06 00000000:00000000 03:00001717 00000000     0        0 0 3 0\n"
            + "   2: 0100007F:9C42 0100007F:1F90 06 00000000:00000000 03:00001717 00000000     0        0 0 3 0\n"
            + "   3: 0100007F:9C41 0100007F:1F91 01 00000000:00000000 00:00000000 00000000  1000        0 7 1 0\n";
    private static final String TCP6_TABLE = ""
            + "  sl  local_address                         remote_address                        st tx_queue\n"
            + "   0: 0000000000000000FFFF00000100007F:9C41 0000000000000000FFFF00000100007F:1F90 06 "
            + "00000000:00000000\n";

    @Test
    void timeWaitSocketsAreCountedPerLocalPortAndState() {
        assertEquals(1, BoundPorts.countInState(TCP_TABLE, 40001, BoundPorts.TCP_TIME_WAIT));
        assertEquals(1, BoundPorts.countInState(TCP_TABLE, 40002, BoundPorts.TCP_TIME_WAIT));
        assertEquals(1, BoundPorts.countInState(TCP6_TABLE, 40001, BoundPorts.TCP_TIME_WAIT));
        assertEquals(0, BoundPorts.countInState(TCP_TABLE, 8080, BoundPorts.TCP_TIME_WAIT), "a listener");
        assertEquals(1, BoundPorts.countInState(TCP_TABLE, 8080, 0x0A));
        assertEquals(0, BoundPorts.countInState(TCP_TABLE, 40003, BoundPorts.TCP_TIME_WAIT));
        assertEquals(0, BoundPorts.countInState("header only\n", 40001, BoundPorts.TCP_TIME_WAIT));
        // The same table still feeds the block search: every local port, whatever its state.
        BitSet ports = new BitSet();
        BoundPorts.parse(TCP_TABLE, ports);
        assertEquals("{8080, 40001, 40002}", ports.toString());
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', value = {
        // how Netty's native transport and the JDK word errno inside longer messages | reason | errno
        "bind(..) failed: Address already in use | IN_USE | EADDRINUSE",
        "connect(..) failed: Network is unreachable | SYSTEM_ERROR | ENETUNREACH",
        "setsockopt(..) failed: Protocol not available | UNSUPPORTED | ENOPROTOOPT",
        "Bind failed: Cannot assign requested address | INVALID_ARGUMENT | EADDRNOTAVAIL",
    })
    void theTextIsFoundInsideALongerMessage(String text, Reason reason, String errno) {
        PortReservationException e = SocketErrors.map(ACTION, new IOException(text), "");
        assertEquals(reason, e.reason(), e.getMessage());
        assertEquals(errno, e.nativeName());
    }

    @Test
    void anAsynchronousCloseIsClosedToo() {
        AsynchronousCloseException closed = new AsynchronousCloseException();
        PortReservationException e = SocketErrors.map(ACTION, closed, "unused");
        assertEquals("CLOSED: cannot " + ACTION + ": the socket is already closed; open a new socket", e.getMessage());
        assertSame(closed, e.getCause());
    }

    @Test
    void aTcpHoldFailureThatIsNotAddressInUseIsMappedWithoutLookingForTimeWait() {
        SocketException denied = new SocketException("Permission denied");
        PortReservationException e = SocketErrors.mapHold(io.github.portreservation.Protocol.TCP, 80,
                "reserve TCP port 80", denied, "unused");
        assertEquals(Reason.ACCESS_DENIED, e.reason());
        assertEquals("EACCES", e.nativeName());
        assertSame(denied, e.getCause());
        assertTrue(e.getMessage().startsWith("ACCESS_DENIED: cannot reserve TCP port 80: ports below "
                + "net.ipv4.ip_unprivileged_port_start"), e.getMessage());
    }

    @Test
    void theTimeWaitMessageIsWhole() {
        PortReservationException e = SocketErrors.timeWait("reserve TCP port 40001", 40001, 2,
                new BindException("Address already in use"));
        assertEquals("IN_USE: cannot reserve TCP port 40001: 2 closed TCP connections on port 40001 are in TIME_WAIT "
                + "(the kernel keeps a connection that this host closed first for 60 s, e.g. of a reservation of this "
                + "block that was closed a moment ago), and a placeholder cannot share the port with it; retry after "
                + "60 s, or acquire another block (acquire(protocol, count) lets the provider choose one) "
                + "[native error EADDRINUSE (98)]", e.getMessage());
        assertEquals(98, e.nativeCode());
    }
}
