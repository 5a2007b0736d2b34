package consumer;

import io.github.portreservation.PortReservationException;
import io.github.portreservation.PortReservations;
import io.github.portreservation.ReservableSocket;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;

import java.nio.channels.SocketChannel;

import static consumer.ReservedEcho.check;

/**
 * Runs as module {@code consumer} on the module path: checks the library's module, the socket-handle access with
 * ({@code opened}) or without ({@code closed}) {@code --add-opens java.base/sun.nio.ch=io.github.portreservation},
 * then echoes through a Netty server on a reserved port and prints "consumer OK ...".
 */
public final class ModuleApp {
    private ModuleApp() {
    }

    /** {@code args[0]}: the Netty version the application declares; {@code args[1]}: {@code opened} or {@code closed}. */
    public static void main(String[] args) throws Exception {
        boolean opened = args[1].equals("opened");
        check(ModuleApp.class.getModule().isNamed(), "this class runs in a named module");
        Module library = PortReservations.class.getModule();
        check(library.isNamed() && library.getName().equals("io.github.portreservation")
                && library.getDescriptor().isAutomatic(), "the library is the automatic module "
                + "io.github.portreservation, not " + library.getDescriptor());
        ReservedEcho.oneNettyVersion(args[0]);
        ReservedEcho.withoutJna();
        try (SocketChannel jdk = SocketChannel.open()) {
            try {
                long handle = ReservableSocket.of(jdk).nativeHandle();
                check(opened && handle >= 0, "the socket handle " + handle + " is readable only with the flag");
            } catch (PortReservationException e) {
                check(!opened && e.reason() == PortReservationException.Reason.UNSUPPORTED
                        && e.getMessage().contains("start java with --add-opens java.base/sun.nio.ch="
                        + "io.github.portreservation") && !e.getMessage().contains("ALL-UNNAMED"),
                        "without the flag: UNSUPPORTED naming the module-path flag, got " + e);
            }
        }
        String echoed = ReservedEcho.echoThroughReservedPort(
                new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory()));
        System.out.println("consumer OK: module " + library.getName() + " (socket handle " + (opened ? "read"
                : "refused with the flag to add") + "), Netty " + args[0] + ", no JNA, " + echoed);
    }
}
