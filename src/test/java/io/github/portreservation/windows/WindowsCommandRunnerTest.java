package io.github.portreservation.windows;

import io.github.portreservation.PortRange;
import io.github.portreservation.PortReservationException;
import io.github.portreservation.PortReservationException.Reason;
import io.github.portreservation.Protocol;
import io.github.portreservation.windows.ExcludedRange.IpVersion;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledOnOs;
import org.junit.jupiter.api.condition.OS;

import java.io.IOException;
import java.time.Duration;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@link CommandRunner#system(Duration)} (the doctor's netsh runner) with real Linux processes, and the argument checks
 * of the doctor's value types. Nothing here runs netsh.
 */
class WindowsCommandRunnerTest {

    @Test
    @EnabledOnOs(OS.LINUX)
    void exitCodeAndMergedOutputOfARealProcess() throws IOException {
        CommandRunner.Result result = CommandRunner.system(Duration.ofSeconds(10))
                .run(List.of("sh", "-c", "echo out; echo err >&2; exit 3"));
        assertEquals(3, result.exitCode());
        assertEquals("out\nerr\n", result.output());
    }

    @Test
    @EnabledOnOs(OS.LINUX)
    void bytesAreKeptWhateverTheCodePage() throws IOException {
        // "Portausschlüsse" in CP850 (ü = 0x81): the row digits survive, the heading byte is kept as is
        CommandRunner.Result result = CommandRunner.system(Duration.ofSeconds(10))
                .run(List.of("sh", "-c", "printf 'Portausschl\\201sse\\n----------    --------\\n   80   80\\n'"));
        assertEquals("Portausschl\u0081sse\n----------    --------\n   80   80\n", result.output());
        assertEquals(List.of(new ExcludedRange(Protocol.TCP, IpVersion.IPV4, PortRange.single(80), false)),
                NetshExclusions.parse(result.output(), Protocol.TCP, IpVersion.IPV4));
    }

    @Test
    @EnabledOnOs(OS.LINUX)
    void aCommandThatDoesNotFinishIsKilled() {
        IOException e = assertThrows(IOException.class,
                () -> CommandRunner.system(Duration.ofMillis(300)).run(List.of("sleep", "30")));
        assertEquals("sleep 30 did not finish within 300 ms and was killed", e.getMessage());
    }

    @Test
    void aMissingProgramIsAnIOException() {
        assertThrows(IOException.class, () -> CommandRunner.system(Duration.ofSeconds(5))
                .run(List.of("no-such-program-of-this-project")));
    }

    @Test
    void badValuesNameTheValueAndTheRule() {
        PortReservationException timeout = assertThrows(PortReservationException.class,
                () -> CommandRunner.system(Duration.ZERO));
        assertEquals(Reason.INVALID_ARGUMENT, timeout.reason());
        assertEquals("INVALID_ARGUMENT: command timeout PT0S is invalid: must be positive; pass a timeout such as "
                + "Duration.ofSeconds(5)", timeout.getMessage());
        PortReservationException output = assertThrows(PortReservationException.class,
                () -> new CommandRunner.Result(0, null));
        assertEquals("INVALID_ARGUMENT: command output null is invalid: must not be null; pass a command output",
                output.getMessage());
        PortReservationException range = assertThrows(PortReservationException.class,
                () -> new ExcludedRange(Protocol.TCP, IpVersion.IPV6, null, false));
        assertEquals("INVALID_ARGUMENT: range null is invalid: must not be null; pass a range", range.getMessage());
        PortReservationException runner = assertThrows(PortReservationException.class,
                () -> WindowsPortReservationProvider.create(null, new FakeNetsh()));
        assertTrue(runner.getMessage().startsWith("INVALID_ARGUMENT: natives null is invalid"), runner.getMessage());
    }
}
