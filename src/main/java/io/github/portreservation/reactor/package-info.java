/**
 * Reactor Netty integration: {@link io.github.portreservation.reactor.ReservedLoopResources} binds server, client and
 * UDP channels from reservations; {@link io.github.portreservation.reactor.ReservedReactorResourceFactory} is the
 * Spring Boot WebFlux recipe with its start-up check. Needs {@code io.projectreactor.netty:reactor-netty-core} 1.x
 * (and, for the factory, Spring Boot 4's {@code spring-boot-reactor-netty}), optional dependencies of this library.
 * See docs/integrations.md.
 */
package io.github.portreservation.reactor;
