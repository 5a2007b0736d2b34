package io.github.portreservation.windows;

import io.github.portreservation.PortReservationException;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** {@link CommandRunner#system(Duration)}: a child process, its output read on a daemon thread, killed at a timeout. */
final class SystemCommandRunner implements CommandRunner {
    private final Duration timeout;

    SystemCommandRunner(Duration timeout) {
        if (timeout == null || timeout.isNegative() || timeout.isZero()) {
            throw PortReservationException.invalidArgument("command timeout " + timeout, "must be positive",
                    "pass a timeout such as Duration.ofSeconds(5)");
        }
        this.timeout = timeout;
    }

    @Override
    public Result run(List<String> command) throws IOException {
        Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
        process.getOutputStream().close();
        ByteArrayOutputStream output = new ByteArrayOutputStream();
        Thread reader = new Thread(() -> copy(process.getInputStream(), output), "port-doctor-output");
        reader.setDaemon(true);
        reader.start();
        try {
            if (!process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
                process.destroyForcibly();
                throw new IOException(String.join(" ", command) + " did not finish within " + timeout.toMillis()
                        + " ms and was killed");
            }
            reader.join(timeout.toMillis());
        } catch (InterruptedException e) {
            process.destroyForcibly();
            Thread.currentThread().interrupt();
            throw new IOException("interrupted while waiting for " + String.join(" ", command), e);
        }
        synchronized (output) {
            return new Result(process.exitValue(), output.toString(StandardCharsets.ISO_8859_1));
        }
    }

    private static void copy(InputStream in, ByteArrayOutputStream out) {
        byte[] buffer = new byte[4096];
        try (in) {
            int n;
            while ((n = in.read(buffer)) > 0) {
                synchronized (out) {
                    out.write(buffer, 0, n);
                }
            }
        } catch (IOException ignored) {
            // the process ended or was killed; what was read is kept
        }
    }

    @Override
    public String toString() {
        return "CommandRunner.system(" + timeout + ")";
    }
}
