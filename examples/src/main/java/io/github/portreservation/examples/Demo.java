package io.github.portreservation.examples;

import io.github.portreservation.PortBinding;
import io.github.portreservation.PortReservationProvider;
import io.github.portreservation.PortReservations;
import io.github.portreservation.Protocol;
import io.github.portreservation.ReservableSocket;
import io.github.portreservation.RuntimeReservation;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.channels.ServerSocketChannel;

/**
 * The main job (first README command): acquires a runtime reservation, binds a listener from it, and shows that a
 * plain socket cannot take a reserved port. (The full Netty demo replaces this body.)
 */
public final class Demo {
    private Demo() {
    }

    /** Runs the demo; exits 0 on success. */
    public static void main(String[] args) throws Exception {
        PortReservationProvider provider = PortReservations.provider();
        try (RuntimeReservation reservation = provider.acquire(Protocol.TCP, 8);
             ServerSocketChannel server = ServerSocketChannel.open()) {
            System.out.println("provider " + provider.name() + ": reserved TCP ports " + reservation.range()
                    + " as " + reservation.token());
            PortBinding binding = reservation.bind(ReservableSocket.of(server, 0),
                    new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
            System.out.println("listener bound from the reservation on " + binding.localAddress());
            try (ServerSocketChannel intruder = ServerSocketChannel.open()) {
                intruder.bind(new InetSocketAddress(reservation.range().end()));
                throw new IllegalStateException("a plain socket took reserved port " + reservation.range().end());
            } catch (java.net.BindException expected) {
                System.out.println("a plain socket binding reserved port " + reservation.range().end()
                        + " was refused: " + expected.getMessage());
            }
        }
    }
}
