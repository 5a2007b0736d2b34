package io.github.portreservation.linux;

import io.github.portreservation.PortReservationException;
import io.github.portreservation.Protocol;
import io.github.portreservation.RuntimeReservation;
import io.github.portreservation.testing.ExternalProcess;
import io.github.portreservation.testing.ExternalProcess.Result;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;
import org.junit.jupiter.api.condition.EnabledOnOs;
import org.junit.jupiter.api.condition.OS;

import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Which placeholders hold ports: the native helper where it loads (linux-x86_64, as built here), and without it JDK
 * placeholders only where they hold every address; otherwise UNSUPPORTED unless the partial hold is accepted.
 */
@EnabledOnOs(OS.LINUX)
class PlaceholderStrategyTest {

    @Test
    @EnabledIfSystemProperty(named = "os.arch", matches = "amd64")
    void theNativeHelperLoadsOnLinuxX8664() {
        assertNull(LinuxNative.unavailabilityCause());
        assertTrue(LinuxNative.isAvailable());
        LinuxNative.ensureAvailability();
        assertEquals(NativePlaceholders.INSTANCE, PlaceholderStrategies.of(Protocol.TCP));
        assertEquals(NativePlaceholders.INSTANCE, PlaceholderStrategies.of(Protocol.UDP));
    }

    @Test
    void resourceNamesFollowTheArchitecture() {
        assertEquals("META-INF/native/libnetty_port_reservation_linux_x86_64.so", LinuxNative.resourceName("amd64"));
        assertEquals("META-INF/native/libnetty_port_reservation_linux_aarch64.so", LinuxNative.resourceName("arm64"));
    }

    @Test
    void withoutTheHelperTcpUsesJdkPlaceholdersAndUdpIsRefused() throws Exception {
        Result r = child("-D" + LinuxNative.DISABLE_PROPERTY + "=false");
        assertEquals(0, r.exitCode, r.output);
        assertTrue(r.output.contains("HELPER disabled by -Dio.github.portreservation.native=false"), r.output);
        assertTrue(r.output.contains("TCP held"), r.output);
        assertTrue(r.output.contains("UDP UNSUPPORTED: UNSUPPORTED: cannot hold UDP ports"), r.output);
        assertTrue(r.output.contains("every address but the loopback address unheld"), r.output);
        assertTrue(r.output.contains("-Dio.github.portreservation.linux.partialHold=true"), r.output);
    }

    @Test
    void withoutTheHelperAnIpv4OnlyJvmIsRefusedTcpToo() throws Exception {
        Result r = child("-D" + LinuxNative.DISABLE_PROPERTY + "=false", "-Djava.net.preferIPv4Stack=true");
        assertEquals(0, r.exitCode, r.output);
        assertTrue(r.output.contains("TCP UNSUPPORTED: UNSUPPORTED: cannot hold TCP ports"), r.output);
        assertTrue(r.output.contains("every IPv6 address unheld (-Djava.net.preferIPv4Stack=true"), r.output);
    }

    @Test
    void thePartialHoldIsAcceptedWhenAskedFor() throws Exception {
        Result r = child("-D" + LinuxNative.DISABLE_PROPERTY + "=false",
                "-D" + Placeholders.PARTIAL_HOLD_PROPERTY + "=true");
        assertEquals(0, r.exitCode, r.output);
        assertTrue(r.output.contains("TCP held"), r.output);
        assertTrue(r.output.contains("UDP held"), r.output);
    }

    private static Result child(String... jvmFlags) throws Exception {
        List<String> cmd = new ArrayList<>();
        cmd.add(Paths.get(System.getProperty("java.home"), "bin", "java").toString());
        cmd.addAll(List.of(jvmFlags));
        cmd.addAll(List.of("-cp", System.getProperty("java.class.path"), Child.class.getName()));
        return ExternalProcess.run(60, cmd.toArray(new String[0]));
    }

    /** Acquires one port of each protocol and prints what happened. */
    public static final class Child {
        public static void main(String[] args) {
            System.out.println("HELPER " + (LinuxNative.isAvailable() ? "loaded"
                    : LinuxNative.unavailabilityCause().getMessage()));
            LinuxPortReservationProvider provider = LinuxPortReservationProvider.create();
            for (Protocol p : Protocol.values()) {
                try (RuntimeReservation r = provider.acquire(p, 1)) {
                    System.out.println(p + " held " + r.range());
                } catch (PortReservationException e) {
                    System.out.println(p + " " + e.reason() + ": " + e.getMessage());
                }
            }
        }
    }
}
