package io.github.portreservation.architecture;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.spi.ToolProvider;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The package graph of the library jar, read from its bytecode with {@code jdeps}: it runs one way, API (JDK only) ←
 * internal ← platform providers / pool ← Netty integration, and nothing imports Netty's internal-use-only
 * {@code io.netty.util.internal}; the framework adapters sit on top and use the API, the pool and the Netty integration
 * only. A new edge fails this test: draw it in docs/architecture.md and here first.
 */
class PackageGraphTest {
    private static final String BASE = "io.github.portreservation";
    /** Each package of the library and the packages of the library it may use. */
    private static final Map<String, Set<String>> ALLOWED = Map.of(
            BASE, Set.of(),
            BASE + ".internal", Set.of(BASE),
            BASE + ".linux", Set.of(BASE, BASE + ".internal"),
            BASE + ".windows", Set.of(BASE, BASE + ".internal"),
            BASE + ".pool", Set.of(BASE, BASE + ".internal"),
            BASE + ".netty", Set.of(BASE, BASE + ".internal", BASE + ".pool"),
            // Framework adapters (docs/integrations.md): on top, each using the API, the pool and Netty only.
            BASE + ".junit", Set.of(BASE, BASE + ".pool"),
            BASE + ".micrometer", Set.of(BASE, BASE + ".pool"),
            BASE + ".reactor", Set.of(BASE, BASE + ".netty"),
            BASE + ".grpc", Set.of(BASE, BASE + ".netty"));
    /** Foreign packages each library package may use besides the JDK's ({@code java.*}). */
    private static final Map<String, String> FOREIGN = Map.of(
            BASE, "",
            BASE + ".internal", "",
            BASE + ".linux", "",
            BASE + ".windows", "com\\.sun\\.jna(\\..*)?",
            BASE + ".pool", "",
            BASE + ".netty", "io\\.netty\\.(channel|util|bootstrap|buffer)(\\..*)?",
            BASE + ".junit", "org\\.junit\\.jupiter\\.api(\\..*)?",
            BASE + ".micrometer", "io\\.micrometer\\.core\\.instrument(\\..*)?",
            BASE + ".reactor", "(reactor\\.(core|netty)|io\\.netty\\.(channel|util\\.concurrent)"
                    + "|org\\.springframework\\.(boot\\.web\\.server|context|http\\.client))(\\..*)?",
            BASE + ".grpc", "(io\\.grpc|io\\.netty\\.(channel|util\\.concurrent))(\\..*)?");

    private static Map<String, Set<String>> edges;

    @BeforeAll
    static void readGraph() {
        Path classes = Paths.get("target/classes");
        assertTrue(Files.isDirectory(classes), "run after compile: " + classes.toAbsolutePath());
        ToolProvider jdeps = ToolProvider.findFirst("jdeps").orElseThrow();
        StringWriter out = new StringWriter();
        int rc = jdeps.run(new PrintWriter(out), new PrintWriter(out), "-verbose:package", "-filter:none",
                classes.toString());
        assertEquals(0, rc, out.toString());
        edges = new TreeMap<>();
        Matcher m = Pattern.compile("^\\s+(\\S+)\\s+->\\s+(\\S+)", Pattern.MULTILINE).matcher(out.toString());
        while (m.find()) {
            if (!m.group(1).equals(m.group(2))) {
                edges.computeIfAbsent(m.group(1), k -> new TreeSet<>()).add(m.group(2));
            }
        }
    }

    @Test
    void everyPackageUsesOnlyThePackagesBelowIt() {
        List<String> wrong = new ArrayList<>();
        for (Map.Entry<String, Set<String>> e : edges.entrySet()) {
            Set<String> allowed = ALLOWED.get(e.getKey());
            if (allowed == null) {
                wrong.add(e.getKey() + " is not in the package graph");
                continue;
            }
            for (String target : e.getValue()) {
                boolean ours = target.equals(BASE) || target.startsWith(BASE + ".");
                boolean ok = ours ? allowed.contains(target)
                        : target.startsWith("java.") || target.matches(FOREIGN.get(e.getKey()));
                if (!ok) {
                    wrong.add(e.getKey() + " -> " + target);
                }
            }
        }
        assertEquals(List.of(), wrong, "edges outside the graph of docs/architecture.md");
    }

    @Test
    void nothingUsesNettyInternals() {
        List<String> users = new ArrayList<>();
        edges.forEach((from, to) -> to.stream().filter(t -> t.startsWith("io.netty.util.internal"))
                .forEach(t -> users.add(from + " -> " + t)));
        assertEquals(List.of(), users, "io.netty.util.internal is internal-use-only (Netty's package-info)");
    }

    @Test
    void theGraphKnowsEveryPackage() {
        assertEquals(new TreeSet<>(ALLOWED.keySet()), new TreeSet<>(edges.keySet()));
    }
}
