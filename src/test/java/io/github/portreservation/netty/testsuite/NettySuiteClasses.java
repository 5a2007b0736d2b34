package io.github.portreservation.netty.testsuite;

import io.netty.testsuite.transport.socket.AbstractClientSocketTest;
import io.netty.testsuite.transport.socket.AbstractDatagramTest;
import io.netty.testsuite.transport.socket.AbstractServerSocketTest;
import io.netty.testsuite.transport.socket.AbstractSocketTest;
import io.netty.util.NetUtil;
import net.bytebuddy.ByteBuddy;
import net.bytebuddy.dynamic.loading.ClassLoadingStrategy;
import net.bytebuddy.implementation.MethodDelegation;
import net.bytebuddy.implementation.bind.annotation.RuntimeType;
import net.bytebuddy.implementation.bind.annotation.This;

import java.lang.invoke.MethodHandles;
import java.lang.reflect.Method;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

import static net.bytebuddy.matcher.ElementMatchers.named;
import static net.bytebuddy.matcher.ElementMatchers.takesArguments;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Netty's socket and datagram test classes ({@code io.netty:netty-testsuite}, package
 * {@code io.netty.testsuite.transport.socket}) and the Epoll transport's own datagram classes (the test jar of
 * {@code netty-transport-native-epoll}), each run through a generated subclass ({@link #testClass}) that takes its
 * bootstraps from the running permutation ({@link SuiteFixture#current()}) instead of Netty's
 * {@code SocketTestPermutation}: Netty's own Epoll module runs the testsuite the same way, with one hand-written
 * subclass per class.
 *
 * <p>These classes are run by {@link NamespaceSuiteRun} inside a network namespace, never by Surefire.
 * {@link #CLASSES} and {@link #EPOLL_CLASSES} name them in run order; a class that the running testsuite version
 * lacks does not load and is reported as absent. {@link #NOT_RUN} says why each other class of the testsuite's socket
 * package is left out; {@code NettyTestsuiteTest} fails when the testsuite has a class that neither list names.
 */
final class NettySuiteClasses {
    /** Simple names of the classes run on every permutation, in run order. */
    static final List<String> CLASSES = List.of(
            // the channel's config and data path (the NIO channels' forwarding config serves these); first, so that
            // the JVM's warm-up does not fall on the 3 s timeouts of SocketConnectTest's fast-open tests
            "SocketEchoTest", "SocketFixedLengthEchoTest", "SocketStringEchoTest", "SocketGatheringWriteTest",
            "CompositeBufferGatheringWriteTest", "SocketFileRegionTest", "SocketAutoReadTest", "SocketReadPendingTest",
            "SocketDataReadInitialStateTest", "SocketExceptionHandlingTest", "SocketConditionalWritabilityTest",
            "SocketCancelWriteTest", "SocketBufReleaseTest",
            // bind, connect, local and remote addresses
            "SocketConnectTest", "SocketAddressesTest", "SocketMultipleConnectTest", "SocketConnectionAttemptTest",
            "SocketChannelNotYetConnectedTest", "WriteBeforeRegisteredTest", "ServerSocketSuspendTest",
            // close, half-close, reset, descriptor reuse
            "SocketCloseForciblyTest", "SocketHalfClosedTest", "SocketShutdownOutputBySelfTest",
            "SocketShutdownOutputByPeerTest", "SocketRstTest", "SocketReuseFdTest",
            // datagram
            "DatagramUnicastInetTest", "DatagramUnicastIPv6Test", "DatagramUnicastIPv6MappedTest",
            "DatagramConnectNotExistsTest", "DatagramConnectedWriteExceptionTest", "DatagramMulticastTest",
            "DatagramMulticastIPv6Test");

    /**
     * Simple names of the classes run on the Epoll permutations only: the classes of Netty's Epoll test jar that
     * have tests of their own and take the permutation's bootstraps (segmented datagrams and GRO, scattering reads
     * with recvmmsg). On NIO they return early. Not run from that jar: EpollDatagramMulticastIpv6WithIpv4AddrTest,
     * which fails on stock Epoll in the namespace (ENETUNREACH sending to an IPv4 group from an IPv6 socket); the
     * {@code Epoll*} subclasses of the testsuite's classes (the same tests, which run here on the Epoll permutations);
     * the classes that build their own bootstraps in private methods (EpollReuseAddrTest, EpollSocketTcpMd5Test,
     * EpollSpliceTest, EpollSocketChannelTest, the config tests) or test domain sockets and event loops.
     */
    static final List<String> EPOLL_CLASSES = List.of("EpollDatagramUnicastTest", "EpollDatagramScatteringReadTest");

    /** The classes adapted here before the permutation is added (nested classes of this one). */
    private static final Set<String> ADAPTED = Set.of("SocketAddressesTest", "SocketReuseFdTest");

    /** Client-socket tests whose bootstraps are datagram ones ({@code SocketTestPermutation.datagramSocket()}). */
    private static final Set<String> DATAGRAM_CLIENT_CLASSES = Set.of("DatagramConnectNotExistsTest",
            "DatagramConnectedWriteExceptionTest");

    private static final String TLS = "TLS above the transport (it would need tcnative, pkitesting and BouncyCastle "
            + "as test dependencies)";

    /**
     * The test classes of the testsuite's socket package that are not run, and why (docs/netty.md lists them too).
     * They test what runs above the transport (TLS, codecs, a traffic-shaping handler), over channels that differ from
     * stock only in bind, connect and close, which the classes run cover.
     */
    static final Map<String, String> NOT_RUN = orderedMap(
            "SocketSslEchoTest", "TLS engines: 192 parameter sets (engine pairs, renegotiation, delegated tasks...), "
                    + "40 s per permutation, more than all the classes run together",
            "SocketSslGreetingTest", TLS,
            "SocketSslSessionReuseTest", TLS,
            "SocketSslClientRenegotiateTest", TLS,
            "SocketSslLargeCertificateTest", TLS + " (4.2 only; it builds its own bootstraps)",
            "SocketStartTlsTest", TLS,
            "SocketSpdyEchoTest", "a codec (SPDY, netty-codec-http) above the transport",
            "SocketObjectEchoTest", "a codec (Java serialization) above the echo that SocketEchoTest runs",
            "TrafficShapingHandlerTest", "a handler's timing: it asserts throughput bounds in wall-clock time; on a "
                    + "loaded machine it failed on NIO option (2.40, bound 3) while stock passed in the same run, and "
                    + "it cannot run twice in one JVM (its @AfterAll shuts its static executor down); 9 s per "
                    + "permutation");

    private NettySuiteClasses() {
    }

    /** The classes a permutation runs: {@link #CLASSES}, and {@link #EPOLL_CLASSES} on Epoll. */
    static List<String> classesFor(Permutation permutation) {
        List<String> classes = new ArrayList<>(CLASSES);
        if (permutation.isEpoll()) {
            classes.addAll(EPOLL_CLASSES);
        }
        return classes;
    }

    private static Map<String, String> orderedMap(String... pairs) {
        Map<String, String> map = new LinkedHashMap<>();
        for (int i = 0; i < pairs.length; i += 2) {
            map.put(pairs[i], pairs[i + 1]);
        }
        return Collections.unmodifiableMap(map);
    }

    /**
     * The class that runs {@code simpleName} on the current permutation: a subclass of Netty's class (or of its
     * adaptation in {@link #ADAPTED}), generated once per JVM, whose {@code newFactories()} and {@code newAllocators()}
     * return the running permutation's ({@link Permutation}). Named {@code ...netty.testsuite.Suite$<simpleName>} and
     * defined in this package's class loader, so that JUnit finds it again by name (the retry selects unique ids).
     *
     * @throws ClassNotFoundException when the running testsuite version has no such class
     */
    static Class<?> testClass(String simpleName) throws ClassNotFoundException, IllegalAccessException {
        String adapted = NettySuiteClasses.class.getName() + "$" + simpleName;
        String base = ADAPTED.contains(simpleName) ? adapted : (EPOLL_CLASSES.contains(simpleName)
                ? "io.netty.channel.epoll." : "io.netty.testsuite.transport.socket.") + simpleName;
        Class<?> nettyClass = Class.forName(base);
        MethodHandles.Lookup lookup = MethodHandles.privateLookupIn(NettySuiteClasses.class, MethodHandles.lookup());
        return new ByteBuddy().subclass(nettyClass)
                .name(NettySuiteClasses.class.getPackageName() + ".Suite$" + simpleName)
                .method(named("newFactories").and(takesArguments(0))).intercept(MethodDelegation.to(OnPermutation.class))
                .method(named("newAllocators").and(takesArguments(0))).intercept(MethodDelegation.to(OnPermutation.class))
                .make()
                .load(NettySuiteClasses.class.getClassLoader(), ClassLoadingStrategy.UsingLookup.of(lookup))
                .getLoaded();
    }

    /**
     * What the generated classes' {@code newFactories()} and {@code newAllocators()} return: the list that Netty's
     * base class would have taken from {@code SocketTestPermutation} ({@code socket()}, {@code clientSocket()},
     * {@code serverSocket()}, {@code datagramSocket()} or {@code datagram(family)}), from the running permutation.
     */
    public static final class OnPermutation {
        private OnPermutation() {
        }

        /** The bootstrap factories for {@code test}, chosen by its base class as Netty's base classes choose. */
        @RuntimeType
        public static List<?> newFactories(@This Object test) {
            SuiteFixture fixture = SuiteFixture.current();
            if (test instanceof AbstractDatagramTest) {
                return fixture.datagram(isIpv6((AbstractDatagramTest) test));
            }
            if (test instanceof AbstractSocketTest) {
                return fixture.socket();
            }
            if (test instanceof AbstractServerSocketTest) {
                return fixture.serverSocket();
            }
            if (test instanceof AbstractClientSocketTest) {
                String name = test.getClass().getSimpleName();
                return DATAGRAM_CLIENT_CLASSES.contains(name.substring(name.lastIndexOf('$') + 1))
                        ? fixture.datagramSocket() : fixture.clientSocket();
            }
            throw new AssertionError("no permutation list for " + test.getClass());
        }

        /** The permutation's allocators. */
        @RuntimeType
        public static List<?> newAllocators() {
            return SuiteFixture.current().allocators();
        }
    }

    /**
     * Whether a datagram test's sockets are IPv6. Its {@code socketInternetProtocalFamily()} returns
     * {@code SocketProtocolFamily} on 4.2 and {@code InternetProtocolFamily} on 4.1, so it is called by name; both
     * enums name the IPv6 constant with a 6 (INET6, IPv6).
     */
    private static boolean isIpv6(AbstractDatagramTest test) {
        try {
            Method family = AbstractDatagramTest.class.getDeclaredMethod("socketInternetProtocalFamily");
            family.setAccessible(true);
            return ((Enum<?>) family.invoke(test)).name().contains("6");
        } catch (ReflectiveOperationException e) {
            throw new AssertionError("socketInternetProtocalFamily() of " + test.getClass(), e);
        }
    }

    // --- adaptations, as Netty's Epoll module makes them; the generated subclass adds the permutation ---

    /** As Netty's EpollSocketAddressesTest: a real port and a real (not wildcard) address. */
    abstract static class SocketAddressesTest extends io.netty.testsuite.transport.socket.SocketAddressesTest {
        @Override
        protected void assertAddress(SocketAddress address) {
            assertTrue(((InetSocketAddress) address).getPort() > 0, () -> "port of " + address);
            assertFalse(((InetSocketAddress) address).getAddress().isAnyLocalAddress(), () -> "address " + address);
        }
    }

    /** Netty's base class has no concrete subclass for TCP in the testsuite: this is one, on loopback. */
    abstract static class SocketReuseFdTest extends io.netty.testsuite.transport.socket.AbstractSocketReuseFdTest {
        @Override
        protected SocketAddress newSocketAddress() {
            return new InetSocketAddress(NetUtil.LOCALHOST, 0);
        }
    }
}
