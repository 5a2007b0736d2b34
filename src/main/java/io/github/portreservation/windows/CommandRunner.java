package io.github.portreservation.windows;

import java.io.IOException;
import java.time.Duration;
import java.util.List;

/**
 * Runs an external command (the port doctor runs {@code netsh}) and returns what it printed. Tests replace it with
 * canned outputs; {@link #system(Duration)} runs real processes.
 */
@FunctionalInterface
public interface CommandRunner {

    /**
     * Runs {@code command} (program and arguments) to its end.
     *
     * @throws IOException when the program cannot be started, or does not finish in time
     */
    Result run(List<String> command) throws IOException;

    /**
     * What a finished command returned.
     *
     * @param exitCode its exit code
     * @param output   its standard output and error, merged
     */
    record Result(int exitCode, String output) {
        /**
         * Checks that the output is not null.
         *
         * @throws io.github.portreservation.PortReservationException INVALID_ARGUMENT for a null output
         */
        public Result {
            AssociatedBind.present(output, "command output");
        }
    }

    /**
     * Runs real processes, killing them after {@code timeout}. Output is decoded as ISO-8859-1, which keeps every byte:
     * the netsh table rows are ASCII digits, blanks, dashes and {@code *} in every console code page, so only the
     * localized headings (which nothing parses) may show wrong characters.
     */
    static CommandRunner system(Duration timeout) {
        return new SystemCommandRunner(timeout);
    }
}
