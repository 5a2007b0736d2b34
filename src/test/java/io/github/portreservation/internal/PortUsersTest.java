package io.github.portreservation.internal;

import io.github.portreservation.PortRange;
import io.github.portreservation.PortReservationException;
import io.github.portreservation.PortReservationException.Reason;
import io.github.portreservation.Protocol;
import io.github.portreservation.ReservableSocket;
import org.junit.jupiter.api.Test;

import java.net.InetAddress;
import java.net.InetSocketAddress;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** {@link PortUsers} on fake sockets: which sockets may share a port, and when a port comes back. */
class PortUsersTest {
    private static final InetAddress V4 = address("127.0.0.1");
    private static final InetAddress V4_OTHER = address("127.0.0.2");
    private static final InetAddress V6 = address("::1");
    private static final InetAddress V4_ANY = address("0.0.0.0");
    private static final InetAddress V6_ANY = address("::");

    private static InetAddress address(String text) {
        try {
            return InetAddress.getByName(text);
        } catch (java.net.UnknownHostException e) {
            throw new AssertionError(e);
        }
    }

    /** A socket whose existence the test switches. */
    static final class Socket implements ReservableSocket {
        boolean exists = true;

        @Override
        public Protocol protocol() {
            return Protocol.TCP;
        }

        @Override
        public void enablePortSharing() {
        }

        @Override
        public long nativeHandle() {
            return 0;
        }

        @Override
        public void bind(InetSocketAddress localAddress) {
        }

        @Override
        public InetSocketAddress localAddress() {
            return null;
        }

        @Override
        public boolean socketExists() {
            return exists;
        }
    }

    @Test
    void addressesOverlapAsTheKernelSeesThem() {
        assertTrue(PortUsers.overlaps(null, V4));
        assertTrue(PortUsers.overlaps(V6_ANY, V4), "[::] is dual-stack");
        assertTrue(PortUsers.overlaps(V6_ANY, V6));
        assertTrue(PortUsers.overlaps(V4_ANY, V4));
        assertFalse(PortUsers.overlaps(V4_ANY, V6), "0.0.0.0 covers IPv4 only");
        assertTrue(PortUsers.overlaps(V4_ANY, V6_ANY));
        assertTrue(PortUsers.overlaps(V4, V4));
        assertFalse(PortUsers.overlaps(V4, V4_OTHER));
        assertFalse(PortUsers.overlaps(V4, V6));
    }

    @Test
    void socketsOnAddressesThatDoNotOverlapShareAPortAndItComesBackWithTheLast() {
        PortUsers users = new PortUsers(PortRange.of(40000, 2), "the test block");
        Socket a = new Socket();
        Socket b = new Socket();
        PortUsers.User onV4 = users.claim(40001, a, V4, false);
        PortUsers.User onV6 = users.claim(40001, b, V6, false);
        assertEquals(1, users.available());
        PortReservationException wildcard = assertThrows(PortReservationException.class,
                () -> users.claim(40001, new Socket(), null, false));
        assertEquals(Reason.IN_USE, wildcard.reason());
        assertTrue(wildcard.getMessage().contains("port 40001 of the test block is already used by"),
                wildcard.getMessage());
        users.release(onV4);
        assertEquals(1, users.available(), "the binding is closed, its socket still exists");
        a.exists = false;
        assertEquals(1, users.available(), "the other socket still uses the port");
        users.release(onV6);
        b.exists = false;
        assertEquals(2, users.available(), "the last socket is gone");
        assertEquals(40000, users.claim(0, new Socket(), null, false).port(), "the port returned longest ago first");
        assertEquals(40001, users.claim(0, new Socket(), null, false).port());
    }

    @Test
    void overlappingSocketsShareOnlyWhenEveryOneAsked() {
        PortUsers users = new PortUsers(PortRange.of(40000, 1), "the test block");
        users.claim(40000, new Socket(), null, true);
        users.claim(40000, new Socket(), null, true);
        PortReservationException e = assertThrows(PortReservationException.class,
                () -> users.claim(40000, new Socket(), V4, false));
        assertEquals(Reason.IN_USE, e.reason());
        assertTrue(e.getMessage().contains("when both asked to share it"), e.getMessage());
    }

    @Test
    void aSocketGoneWithoutItsBindingGivesThePortBackWhenNeeded() {
        PortUsers users = new PortUsers(PortRange.of(40000, 1), "the test block");
        Socket forgotten = new Socket();
        users.claim(0, forgotten, V4, false);
        PortReservationException full = assertThrows(PortReservationException.class,
                () -> users.claim(0, new Socket(), V4, false));
        assertEquals(Reason.EXHAUSTED, full.reason());
        forgotten.exists = false;
        assertEquals(40000, users.claim(0, new Socket(), V4, false).port());
    }

    @Test
    void aFailedBindForgetsItsUserAtOnce() {
        PortUsers users = new PortUsers(PortRange.of(40000, 1), "the test block");
        PortUsers.User user = users.claim(0, new Socket(), V4, false);
        users.forget(user);
        assertEquals(1, users.available());
    }

    @Test
    void aClosedTableRefusesClaims() {
        PortUsers users = new PortUsers(PortRange.of(40000, 1), "the test block");
        assertTrue(users.close());
        assertFalse(users.close());
        PortReservationException e = assertThrows(PortReservationException.class,
                () -> users.claim(0, new Socket(), V4, false));
        assertEquals(Reason.CLOSED, e.reason());
        assertEquals(0, users.available());
    }
}
