package io.github.portreservation.internal;

import java.util.function.Supplier;

/**
 * The library's logging: {@link System.Logger} (the JDK's platform logging, routed to java.util.logging by default,
 * or to SLF4J / Log4j 2 by their {@code System.LoggerFinder} bridges), so that no layer needs a logging framework.
 * Messages use SLF4J-style {@code {}} placeholders; a last argument that is a {@link Throwable} and has no placeholder
 * is logged as the exception. The message is built only when the level is enabled.
 */
public final class Log {
    private final String name;
    /**
     * Made on first use: the first {@code System.getLogger} of a JVM starts the JDK's logger finder (a dozen classes,
     * measured by StartupSteps), which a start that logs nothing should not pay.
     */
    private volatile System.Logger logger;

    private Log(String name) {
        this.name = name;
    }

    /** The log of {@code owner}, named after its class. */
    public static Log of(Class<?> owner) {
        return new Log(owner.getName());
    }

    /** Logs at DEBUG. */
    public void debug(String format, Object... args) {
        log(System.Logger.Level.DEBUG, format, args);
    }

    /** Logs at INFO. */
    public void info(String format, Object... args) {
        log(System.Logger.Level.INFO, format, args);
    }

    /** Logs at WARNING. */
    public void warn(String format, Object... args) {
        log(System.Logger.Level.WARNING, format, args);
    }

    /** Whether DEBUG is enabled. */
    public boolean isDebugEnabled() {
        return logger().isLoggable(System.Logger.Level.DEBUG);
    }

    private System.Logger logger() {
        System.Logger l = logger;
        if (l == null) { // a race makes two, both the JDK's logger of this name
            l = System.getLogger(name);
            logger = l;
        }
        return l;
    }

    private void log(System.Logger.Level level, String format, Object[] args) {
        System.Logger logger = logger();
        if (!logger.isLoggable(level)) {
            return;
        }
        Throwable thrown = null;
        int placeholders = count(format);
        if (args.length > placeholders && args[args.length - 1] instanceof Throwable) {
            thrown = (Throwable) args[args.length - 1];
        }
        Supplier<String> message = () -> format(format, args);
        if (thrown != null) {
            logger.log(level, message, thrown);
        } else {
            logger.log(level, message);
        }
    }

    /** {@code format} with each {@code {}} replaced by the next argument. */
    static String format(String format, Object... args) {
        StringBuilder sb = new StringBuilder(format.length() + 16 * args.length);
        int from = 0;
        int arg = 0;
        for (int at; (at = format.indexOf("{}", from)) >= 0; from = at + 2) {
            sb.append(format, from, at).append(arg < args.length ? String.valueOf(args[arg++]) : "{}");
        }
        return sb.append(format, from, format.length()).toString();
    }

    private static int count(String format) {
        int n = 0;
        for (int at = format.indexOf("{}"); at >= 0; at = format.indexOf("{}", at + 2)) {
            n++;
        }
        return n;
    }
}
