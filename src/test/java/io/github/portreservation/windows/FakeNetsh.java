package io.github.portreservation.windows;

import io.github.portreservation.Protocol;
import io.github.portreservation.windows.ExcludedRange.IpVersion;

import java.io.IOException;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * A {@link CommandRunner} with canned netsh answers, per protocol and context; a command without an answer fails as
 * on Linux ("Cannot run program netsh"). Records every command it was asked to run. Test code, public for the
 * examples' tests.
 */
public final class FakeNetsh implements CommandRunner {
    private final Map<List<String>, Object> answers = new ConcurrentHashMap<>();
    private final List<List<String>> calls = new CopyOnWriteArrayList<>();

    /** netsh prints {@code output} and exits with 0 for that protocol and context. */
    public FakeNetsh answer(Protocol protocol, IpVersion ipVersion, String output) {
        answers.put(NetshExclusions.command(protocol, ipVersion), new Result(0, output));
        return this;
    }

    /** netsh prints {@code output} and exits with {@code exitCode}. */
    public FakeNetsh exit(Protocol protocol, IpVersion ipVersion, int exitCode, String output) {
        answers.put(NetshExclusions.command(protocol, ipVersion), new Result(exitCode, output));
        return this;
    }

    /** The public sample {@code name} of src/test/resources/netsh/. */
    public static String sample(String name) {
        return WindowsNetshParserTest.sample(name);
    }

    /** Every command run so far. */
    public List<List<String>> calls() {
        return List.copyOf(calls);
    }

    @Override
    public Result run(List<String> command) throws IOException {
        calls.add(List.copyOf(command));
        Object answer = answers.get(command);
        if (answer == null) {
            throw new IOException("Cannot run program \"netsh\": error=2, No such file or directory");
        }
        return (Result) answer;
    }
}
