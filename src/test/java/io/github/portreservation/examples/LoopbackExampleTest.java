package io.github.portreservation.examples;

import io.github.portreservation.PortReservations;
import io.github.portreservation.testing.RequiresProvider;
import io.github.portreservation.PortReservationProvider;
import io.netty.channel.EventLoopGroup;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;

import java.util.concurrent.TimeUnit;

/** Base of the example tests: the platform's provider (skipped where there is none) and an event loop group. */
@RequiresProvider
abstract class LoopbackExampleTest {
    /** The platform's provider. */
    PortReservationProvider provider;
    /** Two NIO event loops, shut down after each test. */
    EventLoopGroup group;

    @BeforeEach
    void startGroup() {
        provider = PortReservations.provider();
        group = ExampleSupport.newGroup(2);
    }

    @AfterEach
    void stopGroup() {
        if (group != null) {
            group.shutdownGracefully(50, 2_000, TimeUnit.MILLISECONDS).syncUninterruptibly();
        }
    }
}
