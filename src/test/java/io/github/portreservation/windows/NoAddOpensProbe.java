package io.github.portreservation.windows;

import io.github.portreservation.PortRange;
import io.github.portreservation.PortReservationException;
import io.github.portreservation.Protocol;
import io.github.portreservation.ReservableSocket;
import io.github.portreservation.ReservationToken;

import java.net.InetSocketAddress;
import java.nio.channels.ServerSocketChannel;

/**
 * Run in a child JVM without {@code --add-opens} by {@link WindowsAddOpensDoubleTest}: prints, one per line, the
 * reason and message of the acquire and of the bind, which both need a socket handle.
 * Arguments: the path of the native double, the first port of a free block of 2.
 */
public final class NoAddOpensProbe {
    private NoAddOpensProbe() {
    }

    /** Entry point of the child JVM. */
    public static void main(String[] args) throws Exception {
        WindowsPortReservationProvider provider = WindowsPortReservationProvider.create(
                WindowsNatives.load(args[0], args[0]));
        PortRange range = PortRange.of(Integer.parseInt(args[1]), 2);
        try {
            provider.acquire(Protocol.TCP, range).close();
            System.out.println("acquire: no failure");
        } catch (PortReservationException e) {
            System.out.println("acquire: " + e.getMessage());
        }
        ReservationToken token = provider.createPersistent(Protocol.TCP, range);
        try (ServerSocketChannel server = ServerSocketChannel.open()) {
            provider.bind(token, ReservableSocket.of(server, 0), new InetSocketAddress("127.0.0.1", 0));
            System.out.println("bind: no failure");
        } catch (PortReservationException e) {
            System.out.println("bind: " + e.getMessage());
        } finally {
            provider.deletePersistent(Protocol.TCP, range);
        }
    }
}
