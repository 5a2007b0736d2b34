/**
 * Reactor Netty integration: {@link io.github.portreservation.reactor.ReservedLoopResources} binds server, client and
 * UDP channels from reservations; {@link io.github.portreservation.reactor.ReservedReactorResourceFactory} is the
 * Spring Boot WebFlux recipe with its start-up check. Needs {@code io.projectreactor.netty:reactor-netty-core}
 * 1.2 or 1.3 (tested: 1.3.7 on Netty 4.2, 1.2.18 on Netty 4.1) and, for the factory, Spring Boot 4's
 * {@code spring-boot-reactor-netty} (Netty 4.2 only), optional dependencies of this library. See docs/integrations.md.
 */
package io.github.portreservation.reactor;
