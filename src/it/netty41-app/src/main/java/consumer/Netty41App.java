package consumer;

import io.netty.channel.nio.NioEventLoopGroup;

import java.util.Map;

import static consumer.ReservedEcho.absent;
import static consumer.ReservedEcho.check;

/**
 * A Netty 4.1 application: checks that it runs on one Netty 4.1 version (nothing of 4.2) and without JNA, echoes
 * through a Netty server on a reserved port (its event loops made the 4.1 way), and prints "consumer OK ...".
 */
public final class Netty41App {
    private Netty41App() {
    }

    /** {@code args[0]}: the Netty version the application declares. */
    public static void main(String[] args) throws Exception {
        Map<String, String> versions = ReservedEcho.oneNettyVersion(args[0]);
        check(!versions.containsKey("netty-codec-base"), "no 4.2-only netty-codec-base: " + versions);
        absent("io.netty.util.concurrent.ThreadAwareExecutor"); // 4.2-only: its absence is a 4.1 netty-common
        ReservedEcho.withoutJna();
        String echoed = ReservedEcho.echoThroughReservedPort(new NioEventLoopGroup(1));
        System.out.println("consumer OK: Netty " + args[0] + " (" + versions.size() + " Netty jars, one version), "
                + "no JNA, " + echoed);
    }
}
