package io.github.portreservation.pool;

import java.util.Arrays;

/**
 * The sockets of one port and protocol of a {@link ShapeLease}: the port's first socket and those that joined it, each
 * a {@link LeaseSocket}, and the binds under way. A bind claims the slot before it binds ({@link #claim}) and ends its
 * claim after ({@link #bound} or {@link #unclaim}); those take the slot's lock (a few instructions, never a system
 * call). The reads take none: {@link #holdsPort()} reads the count of binds under way before the sockets, and a bind
 * adds its socket before its count drops, so a close of the lease that reads them after its state write sees the
 * bind or its socket.
 */
final class PortSockets {
    /** {@link #claim}'s answer when the port had no socket: the claim is the first socket's. */
    static final Object FIRST = new Object();
    private static final LeaseSocket[] NONE = {};

    /** The sockets bound here, oldest first; replaced whole under the lock. */
    private volatile LeaseSocket[] sockets = NONE;
    /** Binds under way (the first socket's or joins); written under the lock. */
    private volatile int binding;

    /**
     * Claims the slot for a bind: {@link #FIRST} when the port has no socket and no bind under way; else, when
     * {@code mayJoin} and the port has a socket, the oldest one, beside which the bind joins; else null (also while
     * the port's first socket is being bound), and nothing is claimed. Forgets the sockets that are gone.
     */
    synchronized Object claim(boolean mayJoin) {
        LeaseSocket[] s = pruned();
        if (s.length == 0 && binding == 0) {
            binding = 1;
            return FIRST;
        }
        if (!mayJoin || s.length == 0) { // no socket yet: the first one (or a join whose socket left) is being bound
            return null;
        }
        binding++;
        return s[0];
    }

    /** Ends a claim with the socket it bound. */
    synchronized void bound(LeaseSocket socket) {
        LeaseSocket[] s = sockets;
        LeaseSocket[] more = Arrays.copyOf(s, s.length + 1);
        more[s.length] = socket;
        sockets = more; // before the count drops: a reader sees one or the other
        binding--;
    }

    /** Ends a claim whose bind failed. */
    synchronized void unclaim() {
        binding--;
    }

    /** The sockets without those whose binding is closed and whose socket is gone (written back when any was). */
    private LeaseSocket[] pruned() {
        LeaseSocket[] s = sockets;
        int first = 0;
        while (first < s.length && !s[first].isGone()) {
            first++;
        }
        if (first == s.length) {
            return s; // none gone: no allocation
        }
        LeaseSocket[] kept = Arrays.copyOf(s, s.length);
        int n = first;
        for (int i = first + 1; i < s.length; i++) {
            if (!s[i].isGone()) {
                kept[n++] = s[i];
            }
        }
        sockets = Arrays.copyOf(kept, n);
        return sockets;
    }

    /** Whether a socket holds the port: being bound, still existing, or its binding being closed. */
    boolean holdsPort() {
        if (binding > 0) {
            return true;
        }
        for (LeaseSocket s : sockets) {
            if (s.holdsPort()) {
                return true;
            }
        }
        return false;
    }

    /** The sockets that hold the port (bound, not gone). */
    int holding() {
        int n = 0;
        for (LeaseSocket s : sockets) {
            n += s.holdsPort() ? 1 : 0;
        }
        return n;
    }

    /** Closes the bindings of the sockets that are gone (their owners never closed them). */
    void closeGone() {
        for (LeaseSocket s : sockets) {
            if (!s.socketHoldsPort()) {
                s.closeNow();
            }
        }
    }
}
