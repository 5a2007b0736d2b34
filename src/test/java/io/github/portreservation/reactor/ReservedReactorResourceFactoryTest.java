package io.github.portreservation.reactor;

import io.github.portreservation.PortReservationException;
import io.github.portreservation.PortReservationException.Reason;
import io.github.portreservation.PortReservations;
import io.github.portreservation.Protocol;
import io.github.portreservation.RuntimeReservation;
import io.github.portreservation.testing.ExternalProcess;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.springframework.boot.WebApplicationType;
import org.springframework.boot.autoconfigure.EnableAutoConfiguration;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.boot.reactor.netty.NettyServerCustomizer;
import org.springframework.boot.web.server.reactive.context.ReactiveWebServerApplicationContext;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.context.annotation.Primary;
import org.springframework.http.client.ReactorResourceFactory;
import org.springframework.web.reactive.function.server.RouterFunction;
import org.springframework.web.reactive.function.server.RouterFunctions;
import org.springframework.web.reactive.function.server.ServerResponse;
import reactor.netty.http.client.HttpClient;
import reactor.netty.resources.LoopResources;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * The Spring Boot 4 WebFlux recipe in real application contexts (auto-configuration, Reactor Netty server, HttpClient
 * and curl as clients): the server listens on a port of the reservation; a customizer's runOn cannot move it; a
 * ReactorResourceFactory that wins over the recipe's fails the start-up.
 */
@Tag("adapters")
class ReservedReactorResourceFactoryTest {

    @BeforeEach
    void provider() {
        assumeTrue(PortReservations.isAvailable(), () -> "no provider: " + PortReservations.unavailabilityCause());
    }

    @Test
    void theWebServerListensOnAReservedPortAndAnswers() throws Exception {
        try (ConfigurableApplicationContext context = start(App.class)) {
            RuntimeReservation ports = context.getBean(RuntimeReservation.class);
            int port = ((ReactiveWebServerApplicationContext) context).getWebServer().getPort();
            assertTrue(ports.range().contains(port), port + " in " + ports.range());
            assertEquals(1, ports.boundPorts());
            assertEquals("hello", ReservedLoopResourcesTest.get(HttpClient.create(), port, "/hello"));
            if (ExternalProcess.isInstalled("curl")) {
                assertEquals("exit 0: hello", ExternalProcess.run(30, "curl", "-sS", "--max-time", "10",
                        "http://127.0.0.1:" + port + "/hello").toString());
            }
        }
    }

    @Test
    void aCustomizersRunOnDoesNotMoveTheServerOffTheReservation() {
        try (ConfigurableApplicationContext context = start(App.class, CustomizerRunsOnPlainLoops.class)) {
            RuntimeReservation ports = context.getBean(RuntimeReservation.class);
            int port = ((ReactiveWebServerApplicationContext) context).getWebServer().getPort();
            assertTrue(ports.range().contains(port), port + " in " + ports.range());
        }
    }

    @Test
    void anotherResourceFactoryThatWinsFailsTheStartUp() {
        Exception e = assertThrows(Exception.class, () -> start(App.class, PrimaryPlainFactory.class).close());
        PortReservationException cause = ReservedLoopResourcesTest.rootCause(e, PortReservationException.class);
        assertEquals(Reason.OUTSIDE_RESERVATION, cause.reason());
        assertTrue(cause.getMessage().contains("which is not reserved: no reserved server channel of this factory "
                + "holds it (reserved server ports: [])"), cause.getMessage());
    }

    @Test
    void aServerPortOutsideTheReservationFailsTheStartUp() {
        Exception e = assertThrows(Exception.class, () -> new SpringApplicationBuilder(App.class)
                .web(WebApplicationType.REACTIVE)
                .properties("server.address=127.0.0.1", "server.port=" + App.outsidePort, "spring.main.banner-mode=off")
                .run().close());
        assertEquals(Reason.OUTSIDE_RESERVATION,
                ReservedLoopResourcesTest.rootCause(e, PortReservationException.class).reason());
    }

    private static ConfigurableApplicationContext start(Class<?>... sources) {
        return new SpringApplicationBuilder(sources).web(WebApplicationType.REACTIVE)
                .properties("server.address=127.0.0.1", "server.port=0", "spring.main.banner-mode=off").run();
    }

    /** The recipe of docs/integrations.md, as an application declares it. */
    @Configuration(proxyBeanMethods = false)
    @EnableAutoConfiguration
    static class App {
        /** A port just past the block the last App reserved: outside it. */
        static volatile int outsidePort = 1;

        @Bean(destroyMethod = "close")
        RuntimeReservation httpPorts() {
            RuntimeReservation r = PortReservations.provider().acquire(Protocol.TCP, 4);
            outsidePort = r.range().end() < 65535 ? r.range().end() + 1 : r.range().start() - 1;
            return r;
        }

        @Bean
        ReservedReactorResourceFactory reactorResourceFactory(RuntimeReservation httpPorts) {
            return new ReservedReactorResourceFactory(httpPorts);
        }

        @Bean
        RouterFunction<ServerResponse> routes() {
            return RouterFunctions.route().GET("/hello", request -> ServerResponse.ok().bodyValue("hello")).build();
        }
    }

    @Configuration(proxyBeanMethods = false)
    static class CustomizerRunsOnPlainLoops {
        @Bean
        NettyServerCustomizer plainLoops() {
            return server -> server.runOn(LoopResources.create("plain-customizer", 1, true));
        }
    }

    @Configuration(proxyBeanMethods = false)
    static class PrimaryPlainFactory {
        @Bean
        @Primary
        ReactorResourceFactory plainFactory() {
            ReactorResourceFactory factory = new ReactorResourceFactory();
            factory.setUseGlobalResources(false);
            return factory;
        }
    }
}
