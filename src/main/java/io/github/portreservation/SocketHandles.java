package io.github.portreservation;

import java.lang.reflect.Field;
import java.nio.channels.Channel;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;

/**
 * Reads the operating system handle (fd on Unix, SOCKET on Windows) of a JDK NIO channel. The JDK has no public API
 * for it: its channel implementations keep it in a private {@code int fdVal} field, readable only with
 * {@code --add-opens java.base/sun.nio.ch=ALL-UNNAMED} on the class path, {@code =io.github.portreservation} when this
 * library is a module (or, on the class path, {@code Add-Opens: java.base/sun.nio.ch} in the manifest of the jar
 * started with {@code java -jar}). This is the library's only reflective access to the JDK.
 */
final class SocketHandles {
    /** The JVM flag that makes the handle readable: opens sun.nio.ch to this library's module, or to the class path. */
    static final String ADD_OPENS_FLAG = "--add-opens java.base/sun.nio.ch=" + openTarget();

    private static final ConcurrentMap<Class<?>, Field> FIELDS = new ConcurrentHashMap<>();

    private SocketHandles() {
    }

    /**
     * The handle of {@code channel}, widened to 64 bits (sign-extended, as a pointer-sized SOCKET needs).
     *
     * @throws PortReservationException UNSUPPORTED when the JVM does not open {@code sun.nio.ch}, or the channel
     *         class has no handle field; CLOSED when the channel is closed
     */
    static long handleOf(Channel channel) {
        if (!channel.isOpen()) {
            throw new PortReservationException(PortReservationException.Reason.CLOSED,
                    "channel " + channel + " is closed: it has no socket handle any more; open a new channel");
        }
        Field field = FIELDS.computeIfAbsent(channel.getClass(), SocketHandles::findField);
        try {
            return field.getInt(channel);
        } catch (IllegalAccessException e) {
            throw notAccessible(channel.getClass(), e);
        }
    }

    private static Field findField(Class<?> type) {
        for (Class<?> c = type; c != null; c = c.getSuperclass()) {
            Field f;
            try {
                f = c.getDeclaredField("fdVal");
            } catch (NoSuchFieldException e) {
                continue;
            }
            try {
                f.setAccessible(true);
            } catch (RuntimeException e) { // InaccessibleObjectException
                throw notAccessible(type, e);
            }
            return f;
        }
        throw new PortReservationException(PortReservationException.Reason.UNSUPPORTED,
                "channel class " + type.getName() + " has no fdVal field, so its socket handle cannot be read; "
                        + "use a channel from java.nio.channels (ServerSocketChannel, SocketChannel, DatagramChannel) "
                        + "opened by the default SelectorProvider");
    }

    /** The module name this library runs as, or ALL-UNNAMED on the class path (the target of --add-opens). */
    private static String openTarget() {
        Module module = SocketHandles.class.getModule();
        return module.isNamed() ? module.getName() : "ALL-UNNAMED";
    }

    private static PortReservationException notAccessible(Class<?> type, Exception cause) {
        boolean named = SocketHandles.class.getModule().isNamed();
        return new PortReservationException(PortReservationException.Reason.UNSUPPORTED,
                "the socket handle of " + type.getName() + " is not readable: the JVM does not open java.base/sun.nio.ch "
                        + "to this library; start java with " + ADD_OPENS_FLAG + (named ? ""
                        : " (or start the application with java -jar from a jar whose manifest has "
                        + "'Add-Opens: java.base/sun.nio.ch')"), cause);
    }
}
