package consumer;

import io.github.portreservation.netty.ReservedChannelFactories;
import io.grpc.netty.NettyServerBuilder;
import io.netty.channel.epoll.Epoll;
import reactor.netty.http.server.HttpServer;

import java.util.Map;

import static consumer.ReservedEcho.absent;
import static consumer.ReservedEcho.check;

/**
 * A Netty 4.1 application with gRPC-java and Reactor Netty of that line: checks the versions it runs on (every Netty
 * jar one 4.1 version, nothing of 4.2; the frameworks' own) and the absence of JNA, then runs a gRPC health check and a Reactor Netty HTTP
 * request through the adapters on NIO and on Epoll (linux-x86_64), each from a reserved source port to a reserved server port, and
 * prints "consumer OK ...".
 */
public final class AdaptersNetty41App {
    private AdaptersNetty41App() {
    }

    /** {@code args}: the Netty, gRPC and Reactor Netty versions the application declares. */
    public static void main(String[] args) throws Exception {
        Map<String, String> versions = ReservedEcho.oneNettyVersion(args[0]);
        check(args[0].startsWith("4.1."), "a Netty 4.1 application: " + args[0]);
        absent("io.netty.util.concurrent.ThreadAwareExecutor"); // 4.2-only: its absence is a 4.1 netty-common
        ReservedEcho.withoutJna();
        check(args[1].equals(NettyServerBuilder.class.getPackage().getImplementationVersion()), "grpc-netty "
                + args[1] + ": " + NettyServerBuilder.class.getPackage().getImplementationVersion());
        check(args[2].equals(HttpServer.class.getPackage().getImplementationVersion()), "reactor-netty-http "
                + args[2] + ": " + HttpServer.class.getPackage().getImplementationVersion());
        // Reactor Netty brings the Epoll jar of linux-x86_64: there it must load, elsewhere the run is NIO only.
        boolean x86 = System.getProperty("os.arch").equals("amd64");
        check(ReservedChannelFactories.isEpollAvailable() == x86, "Epoll available on " + System.getProperty("os.arch")
                + ": " + ReservedChannelFactories.isEpollAvailable() + " (" + Epoll.unavailabilityCause() + ")");
        StringBuilder done = new StringBuilder();
        for (boolean epoll : x86 ? new boolean[] {false, true} : new boolean[] {false}) {
            done.append("; gRPC ").append(GrpcHealthCheck.overReservedPorts(epoll));
            done.append("; Reactor Netty ").append(ReactorHttpRequest.overReservedPorts(epoll));
        }
        System.out.println("consumer OK: Netty " + args[0] + " (" + versions.size() + " Netty jars, one version), "
                + "no JNA, gRPC " + args[1] + ", Reactor Netty " + args[2] + done);
    }
}
