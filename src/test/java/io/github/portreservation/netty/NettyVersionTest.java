package io.github.portreservation.netty;

import io.netty.util.Version;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Proves which Netty the Netty tests ran on: the build runs them on the 4.2 dependencies and again (surefire
 * execution "netty-4.1", system property {@code netty.expected.version}) on 4.1 jars; a class path mistake that left
 * 4.2 in place would otherwise pass unnoticed.
 */
@Tag("netty")
class NettyVersionTest {

    @Test
    void runsOnTheExpectedNettyVersion() {
        Version transport = Version.identify(Version.class.getClassLoader()).get("netty-transport");
        assertNotNull(transport, "netty-transport version metadata");
        String expected = System.getProperty("netty.expected.version", "4.2");
        assertTrue(transport.artifactVersion().startsWith(expected + "."),
                "running on netty-transport " + transport.artifactVersion() + ", expected " + expected + ".x");
        assertTrue(Transport.isNetty42() == expected.equals("4.2"), "IoHandler event loops iff 4.2");
    }
}
