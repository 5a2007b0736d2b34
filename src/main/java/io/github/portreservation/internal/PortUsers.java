package io.github.portreservation.internal;

import io.github.portreservation.PortRange;
import io.github.portreservation.PortReservationException;
import io.github.portreservation.PortReservationException.Reason;
import io.github.portreservation.ReservableSocket;

import java.net.Inet4Address;
import java.net.InetAddress;
import java.util.ArrayList;
import java.util.List;

/**
 * Which sockets of this process use each port of a reservation's block: the one owner of "is this port free?" for the
 * binders of every provider. Thread-safe (one monitor); the bind system call happens outside it.
 *
 * <p>Rules, as the kernel applies them to plain sockets (the library's own sockets all set SO_REUSEPORT to share the
 * placeholder's port, so the kernel would let them overlap: this table refuses what plain sockets could not do):
 * <ul>
 * <li>a port with no user is free; port 0 takes the free port returned longest ago (a FIFO);</li>
 * <li>several sockets may use one port on addresses that do not overlap (127.0.0.1 and ::1; two interface
 *     addresses); the wildcard overlaps every address of its family ({@code [::]}: every address);</li>
 * <li>sockets whose addresses overlap may share the port only when every one of them asked to share it
 *     ({@link ReservableSocket#portSharingRequested()}: SO_REUSEPORT, or SO_REUSEADDR for UDP);</li>
 * <li>a user keeps its port until its binding is closed <em>and</em> its socket is gone
 *     ({@link ReservableSocket#socketExists()}): a binding closed before its socket keeps the port, and a socket
 *     closed without its binding gives the port back when the table next looks (a lookup of that port, a request that
 *     finds no free port, {@link #available()}).</li>
 * </ul>
 */
public final class PortUsers {
    /** One socket on one port. */
    public static final class User {
        private final int port;
        private final ReservableSocket socket;
        private final InetAddress address;
        private final boolean sharing;
        private boolean closed;

        User(int port, ReservableSocket socket, InetAddress address, boolean sharing) {
            this.port = port;
            this.socket = socket;
            this.address = address;
            this.sharing = sharing;
        }

        /** The port. */
        public int port() {
            return port;
        }

        /** The socket. */
        public ReservableSocket socket() {
            return socket;
        }

        /** Still using the port: its socket exists (a closed binding does not free the port, a gone socket does). */
        boolean holds() {
            return socket.socketExists();
        }

        @Override
        public String toString() {
            return socket + " on " + (address == null ? "*" : address.getHostAddress()) + ":" + port;
        }
    }

    private final PortRange range;
    private final String description;
    private final PortFifo free;
    private final List<List<User>> users;
    /** Ports whose last user's binding was closed while its socket still existed. */
    private final List<Integer> lingering = new ArrayList<>();
    private boolean open = true;

    /** A table of {@code range}, every port free; {@code description} names the block in messages. */
    public PortUsers(PortRange range, String description) {
        this.range = range;
        this.description = description;
        this.free = new PortFifo(range.count());
        this.users = new ArrayList<>(range.count());
        for (int i = 0; i < range.count(); i++) {
            free.addLast(i);
            users.add(null);
        }
    }

    /**
     * Takes a port for {@code socket} on {@code address} (null: the wildcard): port 0 takes a free port, another port
     * joins the sockets already on it when the rules of the class comment allow.
     *
     * @throws PortReservationException CLOSED, EXHAUSTED (no free port), IN_USE (naming the socket in the way)
     */
    public synchronized User claim(int port, ReservableSocket socket, InetAddress address, boolean sharing) {
        if (!open) {
            throw new PortReservationException(Reason.CLOSED, description + " is closed; acquire a new reservation");
        }
        int index = port == 0 ? takeFree() : join(port - range.start(), address, sharing);
        User user = new User(range.start() + index, socket, address, sharing);
        List<User> list = users.get(index);
        if (list == null) {
            list = new ArrayList<>(1);
            users.set(index, list);
        }
        list.add(user);
        return user;
    }

    private int takeFree() {
        int index = free.pollFirst();
        if (index < 0 && reclaim(true) > 0) {
            index = free.pollFirst();
        }
        if (index < 0) {
            throw new PortReservationException(Reason.EXHAUSTED, "all " + range.count() + " ports of " + description
                    + " (" + range + ") are used by sockets of this process" + lingeringNote()
                    + "; close one of them, acquire a larger reservation, or use a ReservationPool that grows by "
                    + "blocks");
        }
        return index;
    }

    private int join(int index, InetAddress address, boolean sharing) {
        if (free.remove(index)) {
            return index;
        }
        dropGone(index);
        List<User> list = users.get(index);
        if (list == null || list.isEmpty()) {
            free.remove(index); // dropGone gave it back
            return index;
        }
        for (User u : list) {
            if (overlaps(address, u.address) && !(sharing && u.sharing)) {
                throw new PortReservationException(Reason.IN_USE, "port " + (range.start() + index) + " of "
                        + description + " is " + (u.closed ? "still used by " + u.socket + ", whose PortBinding was "
                        + "closed before the socket (the port stays held until that socket is closed)"
                        : "already used by " + u + " of this process") + "; a second socket may use the port on an "
                        + "address that does not overlap, or when both asked to share it (SO_REUSEPORT, or "
                        + "SO_REUSEADDR for UDP); close that socket first, or request port 0 for any free port");
            }
        }
        return index;
    }

    /** Marks the user's binding closed; the port comes back once no user holds it (see the class comment). */
    public synchronized void release(User user) {
        user.closed = true;
        int index = user.port - range.start();
        if (!user.socket.socketExists()) {
            remove(index, user);
        } else if (!lingering.contains(index)) {
            lingering.add(index);
        }
    }

    /** Drops a user whose bind failed: its socket never used the port. */
    public synchronized void forget(User user) {
        user.closed = true;
        remove(user.port - range.start(), user);
    }

    private void remove(int index, User user) {
        List<User> list = users.get(index);
        if (list != null && list.remove(user) && list.isEmpty()) {
            free.addLast(index);
            lingering.remove((Integer) index);
        }
    }

    /** Drops the users of port {@code index} that no longer hold it; the port comes back when none is left. */
    private void dropGone(int index) {
        List<User> list = users.get(index);
        if (list == null || list.isEmpty()) {
            return;
        }
        if (list.removeIf(u -> !u.holds()) && list.isEmpty()) {
            free.addLast(index);
            lingering.remove((Integer) index);
        }
    }

    /** Gives back the ports whose users no longer hold them: the lingering ones, and every port when {@code all}. */
    private int reclaim(boolean all) {
        int before = free.size();
        if (all) {
            for (int i = 0; i < users.size(); i++) {
                dropGone(i);
            }
        } else {
            for (Integer index : new ArrayList<>(lingering)) {
                dropGone(index);
            }
        }
        return free.size() - before;
    }

    /** Ports free for a new socket now (lingering ports whose socket is gone are given back first). */
    public synchronized int available() {
        if (!lingering.isEmpty()) {
            reclaim(false);
        }
        return open ? free.size() : 0;
    }

    /** Ports used by at least one socket. */
    public synchronized int used() {
        if (!lingering.isEmpty()) {
            reclaim(false);
        }
        return range.count() - free.size();
    }

    /** Refuses further claims; false when already closed. */
    public synchronized boolean close() {
        boolean was = open;
        open = false;
        return was;
    }

    /** Whether claims are still taken. */
    public synchronized boolean isOpen() {
        return open;
    }

    private String lingeringNote() {
        int n = 0;
        for (List<User> list : users) {
            if (list != null) {
                for (User u : list) {
                    if (u.closed) {
                        n++;
                        break;
                    }
                }
            }
        }
        return n == 0 ? "" : " (" + n + " of them by sockets that are still open though their PortBinding was closed: "
                + "such a port stays held until its socket is closed)";
    }

    /** Whether a socket on {@code a} and one on {@code b} (null: the wildcard) would conflict without sharing. */
    static boolean overlaps(InetAddress a, InetAddress b) {
        if (a == null || b == null) {
            return true;
        }
        boolean anyA = a.isAnyLocalAddress();
        boolean anyB = b.isAnyLocalAddress();
        if (anyA && anyB) {
            return true;
        }
        if (anyA) {
            return !(a instanceof Inet4Address) || b instanceof Inet4Address;
        }
        if (anyB) {
            return !(b instanceof Inet4Address) || a instanceof Inet4Address;
        }
        return a.equals(b);
    }
}
