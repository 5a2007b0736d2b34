package consumer;

import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;

import java.util.Map;

/**
 * A Netty 4.2 application: checks that it runs on one Netty 4.2 version (a patch version other than the library's
 * compile-time one) and without JNA, echoes through a Netty server on a reserved port (its event loops made the 4.2
 * way), and prints "consumer OK ...".
 */
public final class Netty42App {
    private Netty42App() {
    }

    /** {@code args[0]}: the Netty version the application declares. */
    public static void main(String[] args) throws Exception {
        Map<String, String> versions = ReservedEcho.oneNettyVersion(args[0]);
        ReservedEcho.withoutJna();
        String echoed = ReservedEcho.echoThroughReservedPort(
                new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory()));
        System.out.println("consumer OK: Netty " + args[0] + " (" + versions.size() + " Netty jars, one version), "
                + "no JNA, " + echoed);
    }
}
