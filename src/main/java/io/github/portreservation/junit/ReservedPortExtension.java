package io.github.portreservation.junit;

import io.github.portreservation.PortRange;
import io.github.portreservation.PortReservationException;
import io.github.portreservation.PortReservations;
import io.github.portreservation.Protocol;
import io.github.portreservation.RuntimeReservation;
import io.github.portreservation.pool.PortLease;
import io.github.portreservation.pool.ReservationPool;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.ExtensionContext.Namespace;
import org.junit.jupiter.api.extension.ParameterContext;
import org.junit.jupiter.api.extension.ParameterResolutionException;
import org.junit.jupiter.api.extension.ParameterResolver;

/**
 * Resolves {@link ReservedPort} parameters of type {@link RuntimeReservation} (a block acquired for the parameter) and
 * {@link PortLease} (a port leased from one pool per protocol, shared by the whole test run and closed at its end),
 * through {@link PortReservations#provider()}. Each one is closed when the scope it was resolved in ends: the test for
 * a test method's parameter, the class for a {@code @BeforeAll} method's. Safe with parallel test execution and
 * across forks: the ports are held by the operating system, not by a bookkeeping file.
 *
 * <p>Registered by the {@link ReservedPort} annotation; {@code @ExtendWith(ReservedPortExtension.class)} on a class
 * does the same.
 */
public final class ReservedPortExtension implements ParameterResolver {
    private static final Namespace NAMESPACE = Namespace.create(ReservedPortExtension.class);
    /** Block size of the run's lease pools: small, so that a test run holds few ports it does not use. */
    private static final int POOL_BLOCK_SIZE = 16;

    /** Registered by {@link ReservedPort}. */
    public ReservedPortExtension() {
    }

    /**
     * Whether the parameter is a {@link ReservedPort} this extension resolves.
     *
     * @throws ParameterResolutionException for a {@link ReservedPort} parameter of another type, naming the types
     */
    @Override
    public boolean supportsParameter(ParameterContext parameter, ExtensionContext context) {
        if (!parameter.isAnnotated(ReservedPort.class)) {
            return false;
        }
        Class<?> type = parameter.getParameter().getType();
        if (type != RuntimeReservation.class && type != PortLease.class) {
            throw new ParameterResolutionException("@ReservedPort parameter " + describe(parameter) + " has type "
                    + type.getName() + ": it must be a RuntimeReservation (a block held for the test) or a PortLease "
                    + "(one port); declare one of them and bind the server through it");
        }
        return true;
    }

    /**
     * A reservation or lease held until the end of the scope of {@code context}.
     *
     * @throws ParameterResolutionException with the {@link PortReservationException} (reason and fix) as cause
     */
    @Override
    public Object resolveParameter(ParameterContext parameter, ExtensionContext context) {
        ReservedPort spec = parameter.findAnnotation(ReservedPort.class).orElseThrow();
        try {
            AutoCloseable held = parameter.getParameter().getType() == PortLease.class
                    ? lease(spec, parameter, context)
                    : acquire(spec, parameter);
            context.getStore(NAMESPACE).put(new Object(), new Held(held));
            return held;
        } catch (PortReservationException e) {
            throw new ParameterResolutionException("@ReservedPort parameter " + describe(parameter)
                    + " could not be reserved: " + e.getMessage(), e);
        }
    }

    private static RuntimeReservation acquire(ReservedPort spec, ParameterContext parameter) {
        int count = spec.count();
        if (count < 1 || count > PortRange.MAX_PORT) {
            throw PortReservationException.invalidArgument("@ReservedPort(count = " + count + ") on "
                    + describe(parameter), "a reservation holds 1.." + PortRange.MAX_PORT + " ports",
                    "set count to the number of ports the test binds");
        }
        return PortReservations.provider().acquire(spec.protocol(), count);
    }

    private static PortLease lease(ReservedPort spec, ParameterContext parameter, ExtensionContext context) {
        if (spec.count() != 1) {
            throw PortReservationException.invalidArgument("@ReservedPort(count = " + spec.count() + ") on the "
                    + "PortLease parameter " + describe(parameter), "a lease is one port",
                    "drop count, or declare a RuntimeReservation parameter for a block of ports");
        }
        return runPool(spec.protocol(), context).lease();
    }

    /** The run's pool of {@code protocol} ports, built on first use and closed when the test run ends. */
    private static ReservationPool runPool(Protocol protocol, ExtensionContext context) {
        Held held = context.getRoot().getStore(NAMESPACE).getOrComputeIfAbsent("pool-" + protocol,
                key -> new Held(ReservationPool.builder(PortReservations.provider(), protocol)
                        .blockSize(POOL_BLOCK_SIZE).build()), Held.class);
        return (ReservationPool) held.resource;
    }

    private static String describe(ParameterContext parameter) {
        return parameter.getParameter().getName() + " (#" + parameter.getIndex() + ") of "
                + parameter.getDeclaringExecutable();
    }

    /**
     * A store value that JUnit closes with its scope: as an {@code AutoCloseable} (JUnit 5.13 and later) or as a
     * {@code CloseableResource} (earlier versions). Closing twice is harmless: every resource here is idempotent.
     */
    @SuppressWarnings("deprecation")
    private static final class Held implements ExtensionContext.Store.CloseableResource, AutoCloseable {
        private final AutoCloseable resource;

        Held(AutoCloseable resource) {
            this.resource = resource;
        }

        @Override
        public void close() throws Exception {
            resource.close();
        }
    }
}
