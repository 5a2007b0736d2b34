package io.github.portreservation.windows;

import io.github.portreservation.PortBinding;
import io.github.portreservation.Protocol;
import io.github.portreservation.ReservableSocket;
import io.github.portreservation.RuntimeReservation;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.channels.DatagramChannel;
import java.nio.channels.NetworkChannel;
import java.nio.channels.ServerSocketChannel;

/**
 * Run in a child JVM by {@link WindowsOpenQuestionsTest} on real Windows: another process (for the persistent
 * reservation question) or other JVM flags (for the SO_EXCLUSIVEADDRUSE question). Prints one line
 * {@code RESULT BOUND <address>} or {@code RESULT REFUSED <exception>: <message>}.
 *
 * <pre>
 *   plain-bind tcp|udp PORT   bind 0.0.0.0:PORT without any token
 *   reserved-bind             acquire a runtime TCP reservation of 4 ports and bind port 0 through it
 * </pre>
 */
public final class WindowsQuestionProbe {
    private WindowsQuestionProbe() {
    }

    /** Entry point of the child JVM. */
    public static void main(String[] args) throws IOException {
        System.out.println("sun.net.useExclusiveBind=" + System.getProperty("sun.net.useExclusiveBind"));
        switch (args[0]) {
            case "plain-bind":
                try (NetworkChannel channel = "udp".equals(args[1]) ? DatagramChannel.open()
                        : ServerSocketChannel.open()) {
                    channel.bind(new InetSocketAddress(Integer.parseInt(args[2])));
                    System.out.println("RESULT BOUND " + channel.getLocalAddress());
                } catch (IOException | RuntimeException e) {
                    System.out.println("RESULT REFUSED " + e);
                }
                break;
            case "reserved-bind":
                WindowsPortReservationProvider provider = WindowsPortReservationProvider.create();
                try (RuntimeReservation reservation = provider.acquire(Protocol.TCP, 4);
                     ServerSocketChannel server = ServerSocketChannel.open()) {
                    PortBinding binding = reservation.bind(ReservableSocket.of(server, 0), new InetSocketAddress(0));
                    System.out.println("RESULT BOUND " + binding.localAddress() + " in " + reservation.range());
                } catch (RuntimeException e) {
                    System.out.println("RESULT REFUSED " + e);
                }
                break;
            default:
                System.out.println("RESULT REFUSED unknown mode " + args[0]);
        }
    }
}
