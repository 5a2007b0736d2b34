package io.github.portreservation.reactor;

import io.github.portreservation.PortBinder;
import io.github.portreservation.PortReservationException;
import io.github.portreservation.PortReservationException.Reason;
import org.springframework.boot.web.server.context.WebServerInitializedEvent;
import org.springframework.context.ApplicationListener;
import org.springframework.http.client.ReactorResourceFactory;
import reactor.netty.resources.LoopResources;

import java.util.Set;
import java.util.function.Supplier;

/**
 * The Spring Boot WebFlux recipe: a {@link ReactorResourceFactory} bean whose loop resources bind the Reactor Netty
 * web server from a reservation, and that fails the start-up when the server listens anywhere else.
 *
 * <pre>{@code
 * @Bean(destroyMethod = "close")
 * RuntimeReservation httpPorts() {
 *     return PortReservations.provider().acquire(Protocol.TCP, 16);
 * }
 *
 * @Bean
 * ReservedReactorResourceFactory reactorResourceFactory(RuntimeReservation httpPorts) {
 *     return new ReservedReactorResourceFactory(httpPorts);     // server.port=0: any port of the reservation
 * }
 * }</pre>
 *
 * <p>Why a resource factory: Spring Boot 4's {@code NettyWebServer} applies {@code runOn(resourceFactory's loop
 * resources)} after every {@code NettyServerCustomizer}, so a customizer's {@code runOn(...)} is silently replaced.
 * Boot's own {@code ReactorResourceFactory} bean backs off when this one is declared. A client binder given here
 * reserves the source ports of the clients that run on this factory's loop resources.
 *
 * <p>The start-up check: this bean listens for every {@link WebServerInitializedEvent} of its context; when the web
 * server's port is not one its reserved server channels hold (another {@code ReactorResourceFactory} or
 * {@code ReactiveWebServerFactory} bean won, a factory was configured by hand...), it throws a
 * {@link PortReservationException} OUTSIDE_RESERVATION, which fails the application's start-up.
 */
public class ReservedReactorResourceFactory extends ReactorResourceFactory
        implements ApplicationListener<WebServerInitializedEvent> {

    /** A factory whose web servers bind from {@code serverPorts} (a reservation, a pool, a lease...). */
    public ReservedReactorResourceFactory(PortBinder serverPorts) {
        this(serverLoops(PortReservationException.checkNotNull(serverPorts, "serverPorts")));
    }

    /**
     * A factory over the loop resources {@code loops} makes when the factory starts (disposed when it stops), e.g.
     * {@code () -> ReservedLoopResources.builder(LoopResources.create("webflux-http")).servers(tcp)
     * .clients(pool).build()}.
     */
    public ReservedReactorResourceFactory(Supplier<ReservedLoopResources> loops) {
        PortReservationException.checkNotNull(loops, "loops");
        setUseGlobalResources(false);
        setLoopResourcesSupplier(loops::get);
    }

    private static Supplier<ReservedLoopResources> serverLoops(PortBinder serverPorts) {
        return () -> ReservedLoopResources.builder(LoopResources.create("webflux-http")).servers(serverPorts).build();
    }

    /**
     * Checks that the web server that has just started listens on a port of a reserved server channel of this
     * factory.
     *
     * @throws PortReservationException OUTSIDE_RESERVATION naming the port, the reserved ports and the usual causes
     */
    @Override
    public void onApplicationEvent(WebServerInitializedEvent event) {
        LoopResources loops = isRunning() ? getLoopResources() : null;
        if (!(loops instanceof ReservedLoopResources)) {
            throw outside(event, "this factory's loop resources were replaced by " + loops, Set.of());
        }
        ReservedLoopResources reserved = (ReservedLoopResources) loops;
        if (!reserved.reservesServers()) {
            return; // client-only reservations: the server is none of this factory's business
        }
        Set<Integer> ports = reserved.boundServerPorts();
        if (!ports.contains(event.getWebServer().getPort())) {
            throw outside(event, "no reserved server channel of this factory holds it", ports);
        }
    }

    private static PortReservationException outside(WebServerInitializedEvent event, String why, Set<Integer> ports) {
        String namespace = event.getApplicationContext().getServerNamespace();
        return new PortReservationException(Reason.OUTSIDE_RESERVATION, "the web server "
                + (namespace == null ? "" : "'" + namespace + "' ") + event.getWebServer().getClass().getSimpleName()
                + " listens on port " + event.getWebServer().getPort() + ", which is not reserved: " + why
                + " (reserved server ports: " + ports + "); the server must run on this ReactorResourceFactory's loop "
                + "resources: declare no other ReactorResourceFactory or ReactiveWebServerFactory bean, and set no "
                + "LoopResources on this one");
    }
}
