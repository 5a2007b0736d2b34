package io.github.portreservation.junit;

import io.github.portreservation.Protocol;
import org.junit.jupiter.api.extension.ExtendWith;

import java.lang.annotation.Documented;
import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/**
 * Injects reserved ports into a JUnit Jupiter test: a {@code RuntimeReservation} (a block of {@link #count()} ports)
 * or a {@code PortLease} (one port of a pool shared by the test run), held by the operating system from before the
 * test until after it, then released. The server under test binds through it
 * ({@code ReservedChannelFactories.nioServer(reservation)}, {@code lease.bind(...)}), so no other test, fork or
 * process can take the port in between, unlike "find a free port, close it, hand over the number".
 *
 * <pre>{@code
 * @Test
 * void echoes(@ReservedPort(count = 4) RuntimeReservation ports) { ... bind(0) from ports ... }
 *
 * @Test
 * void serves(@ReservedPort PortLease lease) { ... nioServer(lease) ... bind(lease.port()) ... }
 *
 * @BeforeAll
 * static void start(@ReservedPort RuntimeReservation ports) { ... }   // held until the class has run
 * }</pre>
 *
 * <p>A parameter of a test method (or {@code @BeforeEach}/{@code @AfterEach}) is held for that test; a parameter of a
 * {@code @BeforeAll} method for the test class. The annotation registers {@link ReservedPortExtension} itself.
 */
@Documented
@Target(ElementType.PARAMETER)
@Retention(RetentionPolicy.RUNTIME)
@ExtendWith(ReservedPortExtension.class)
public @interface ReservedPort {

    /** How many consecutive ports a {@code RuntimeReservation} parameter holds (1..65535); a lease is one port. */
    int count() default 1;

    /** The protocol of the ports. */
    Protocol protocol() default Protocol.TCP;
}
