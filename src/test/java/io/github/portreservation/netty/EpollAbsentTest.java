package io.github.portreservation.netty;

import io.github.portreservation.PortReservationException;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

import java.io.File;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.lang.reflect.Proxy;
import java.net.URL;
import java.net.URLClassLoader;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Without netty-transport-native-epoll (an optional dependency) the library still loads, the NIO factories work, and
 * the Epoll factories fail with UNSUPPORTED naming the missing jar, not with NoClassDefFoundError. Runs the library
 * in a class loader that hides every Epoll jar of the test class path.
 */
@Tag("netty")
class EpollAbsentTest {

    @Test
    void epollFactoriesSayWhatIsMissing() throws Exception {
        try (URLClassLoader withoutEpoll = new URLClassLoader(classPathWithoutEpoll(),
                ClassLoader.getPlatformClassLoader())) {
            assertThrows(ClassNotFoundException.class,
                    () -> Class.forName("io.netty.channel.epoll.Epoll", false, withoutEpoll));
            Class<?> factories = Class.forName(ReservedChannelFactories.class.getName(), true, withoutEpoll);
            assertEquals(Boolean.FALSE, factories.getMethod("isEpollAvailable").invoke(null));

            Class<?> binderType = Class.forName("io.github.portreservation.PortBinder", false, withoutEpoll);
            Object binder = Proxy.newProxyInstance(withoutEpoll, new Class<?>[] {binderType}, (proxy, method, args) -> {
                if (method.getName().equals("toString")) {
                    return "test binder";
                }
                throw new AssertionError("never bound");
            });
            assertTrue(factories.getMethod("nioServer", binderType).invoke(null, binder).toString()
                    .contains("NioServerSocketChannel"), "NIO factories still work");
            for (String name : new String[] {"epollServer", "epollClient", "epollDatagram"}) {
                Method m = factories.getMethod(name, binderType);
                InvocationTargetException e = assertThrows(InvocationTargetException.class,
                        () -> m.invoke(null, binder));
                Throwable cause = e.getCause();
                assertEquals(PortReservationException.class.getName(), cause.getClass().getName(), name + ": " + cause);
                assertEquals("UNSUPPORTED", cause.getClass().getMethod("reason").invoke(cause).toString());
                assertTrue(cause.getMessage().contains("netty-transport-native-epoll"), cause.getMessage());
            }
        }
    }

    @Test
    void epollFactoriesWorkWhenEpollIsPresent() {
        if (!ReservedChannelFactories.isEpollAvailable()) {
            PortReservationException e = assertThrows(PortReservationException.class,
                    () -> ReservedChannelFactories.epollServer((socket, requested) -> null));
            assertEquals(PortReservationException.Reason.UNSUPPORTED, e.reason());
            return;
        }
        Object factory = ReservedChannelFactories.epollServer((socket, requested) -> null);
        assertInstanceOf(NamedChannelFactory.class, factory);
        assertFalse(factory.toString().isEmpty());
    }

    private static URL[] classPathWithoutEpoll() throws Exception {
        String path = System.getProperty("surefire.test.class.path", System.getProperty("java.class.path"));
        List<URL> urls = new ArrayList<>();
        for (String entry : path.split(File.pathSeparator)) {
            if (!entry.isEmpty() && !entry.contains("epoll")) {
                urls.add(new File(entry).toURI().toURL());
            }
        }
        return urls.toArray(new URL[0]);
    }
}
