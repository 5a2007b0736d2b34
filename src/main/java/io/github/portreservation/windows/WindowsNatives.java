package io.github.portreservation.windows;

import com.sun.jna.Function;
import com.sun.jna.Library;
import com.sun.jna.Memory;
import com.sun.jna.Native;
import com.sun.jna.NativeLibrary;
import com.sun.jna.Platform;
import com.sun.jna.Pointer;
import com.sun.jna.ptr.IntByReference;
import com.sun.jna.ptr.LongByReference;
import com.sun.jna.win32.StdCallLibrary;
import io.github.portreservation.PortRange;
import io.github.portreservation.PortReservationException;
import io.github.portreservation.PortReservationException.Reason;
import io.github.portreservation.Protocol;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;

import static io.github.portreservation.windows.WindowsConstants.AF_INET;
import static io.github.portreservation.windows.WindowsConstants.AF_INET6;
import static io.github.portreservation.windows.WindowsConstants.ERROR_INSUFFICIENT_BUFFER;
import static io.github.portreservation.windows.WindowsConstants.ERROR_NOT_FOUND;
import static io.github.portreservation.windows.WindowsConstants.NO_ERROR;
import static io.github.portreservation.windows.WindowsConstants.SIO_ACQUIRE_PORT_RESERVATION;
import static io.github.portreservation.windows.WindowsConstants.SIO_ASSOCIATE_PORT_RESERVATION;
import static io.github.portreservation.windows.WindowsConstants.SIO_RELEASE_PORT_RESERVATION;
import static io.github.portreservation.windows.WindowsConstants.SOCKET_ERROR;
import static io.github.portreservation.windows.WindowsConstants.TCP_TABLE_OWNER_PID_ALL;
import static io.github.portreservation.windows.WindowsConstants.UDP_TABLE_OWNER_PID;
import static io.github.portreservation.PortReservationException.checkNotNull;

/**
 * The loaded Windows reservation functions ({@link Winsock2Library}, {@link IpHelperLibrary}) and typed calls over
 * them that marshal the structures and turn every error into a {@link PortReservationException}.
 *
 * <p>{@link #load()} loads {@code ws2_32} and {@code iphlpapi}; {@link #load(String, String)} loads libraries of other
 * names with the same exports (the project's tests load a native test double that way). Every reservation function is
 * resolved at load time, so a library that lacks one fails at once with {@link Reason#UNSUPPORTED}. The functions the
 * port doctor uses ({@link IpHelperTableLibrary} from the IP Helper library, {@link Shell32Library} from
 * {@code shell32} or the library named in {@link #load(String, String, String)}) are loaded at their first use, so
 * that a library without them still serves reservations; a missing one fails that call with UNSUPPORTED. The calling
 * convention is stdcall on 32-bit Windows (WINAPI) and the platform's C convention elsewhere (on x64 Windows they are
 * the same). Thread-safe.
 */
public final class WindowsNatives {
    /** Name of the Winsock library. */
    public static final String WINSOCK_LIBRARY = "ws2_32";
    /** Name of the IP Helper library. */
    public static final String IP_HELPER_LIBRARY = "iphlpapi";
    /** Name of the Shell library ({@code IsUserAnAdmin}). */
    public static final String SHELL_LIBRARY = "shell32";
    /** How often a socket table is asked for again when it grew between the size query and the read. */
    private static final int TABLE_ATTEMPTS = 4;

    private static final List<String> WINSOCK_FUNCTIONS = List.of("WSAIoctl", "WSAGetLastError");
    private static final List<String> IP_HELPER_FUNCTIONS = List.of(
            "CreatePersistentTcpPortReservation", "CreatePersistentUdpPortReservation",
            "LookupPersistentTcpPortReservation", "LookupPersistentUdpPortReservation",
            "DeletePersistentTcpPortReservation", "DeletePersistentUdpPortReservation");

    private final Winsock2Library winsock;
    private final IpHelperLibrary ipHelper;
    private final String ipHelperLibrary;
    private final String shellLibrary;
    private final Map<String, Object> options;
    private final Object lazyLock = new Object();
    private IpHelperTableLibrary tables;
    private Shell32Library shell;

    private WindowsNatives(Winsock2Library winsock, IpHelperLibrary ipHelper, String ipHelperLibrary,
                           String shellLibrary, Map<String, Object> options) {
        this.winsock = winsock;
        this.ipHelper = ipHelper;
        this.ipHelperLibrary = ipHelperLibrary;
        this.shellLibrary = shellLibrary;
        this.options = options;
    }

    /**
     * Loads {@code ws2_32.dll} and {@code iphlpapi.dll}.
     *
     * @throws PortReservationException UNSUPPORTED when a library or one of its functions cannot be loaded
     */
    public static WindowsNatives load() {
        return load(WINSOCK_LIBRARY, IP_HELPER_LIBRARY);
    }

    /**
     * Loads the functions from libraries named {@code winsockLibrary} and {@code ipHelperLibrary} (names or paths, as
     * {@link Native#load(String, Class, Map)} takes them; both may be the same library).
     *
     * @throws PortReservationException UNSUPPORTED naming the library or function that cannot be loaded
     */
    public static WindowsNatives load(String winsockLibrary, String ipHelperLibrary) {
        return load(winsockLibrary, ipHelperLibrary, SHELL_LIBRARY);
    }

    /**
     * As {@link #load(String, String)}, with {@code IsUserAnAdmin} taken from {@code shellLibrary} (loaded at its first
     * use).
     *
     * @throws PortReservationException UNSUPPORTED naming the library or function that cannot be loaded
     */
    public static WindowsNatives load(String winsockLibrary, String ipHelperLibrary, String shellLibrary) {
        checkNotNull(winsockLibrary, "winsockLibrary");
        checkNotNull(ipHelperLibrary, "ipHelperLibrary");
        AssociatedBind.present(shellLibrary, "shellLibrary");
        Map<String, Object> options = Map.of(Library.OPTION_CALLING_CONVENTION, callingConvention());
        try {
            resolve(winsockLibrary, WINSOCK_FUNCTIONS, options);
            resolve(ipHelperLibrary, IP_HELPER_FUNCTIONS, options);
            return new WindowsNatives(Native.load(winsockLibrary, Winsock2Library.class, options),
                    Native.load(ipHelperLibrary, IpHelperLibrary.class, options), ipHelperLibrary, shellLibrary,
                    options);
        } catch (LinkageError e) { // UnsatisfiedLinkError, or JNA's own native part missing
            throw new PortReservationException(Reason.UNSUPPORTED, "cannot load the Windows port reservation "
                    + "functions from '" + winsockLibrary + "' and '" + ipHelperLibrary + "': " + e.getMessage()
                    + "; they exist on Windows Vista and later (not in Wine), and JNA must be able to load its "
                    + "native library", e);
        }
    }

    private static int callingConvention() {
        return Platform.isWindows() && !Platform.is64Bit() ? StdCallLibrary.STDCALL_CONVENTION
                : Function.C_CONVENTION;
    }

    private static void resolve(String library, List<String> functions, Map<String, Object> options) {
        NativeLibrary loaded = NativeLibrary.getInstance(library, options);
        for (String function : functions) {
            try {
                loaded.getFunction(function);
            } catch (UnsatisfiedLinkError e) {
                throw new UnsatisfiedLinkError("library '" + library + "' has no function " + function
                        + " (" + e.getMessage() + ")");
            }
        }
    }

    /** The raw Winsock functions. */
    public Winsock2Library winsock() {
        return winsock;
    }

    /** The raw IP Helper functions. */
    public IpHelperLibrary ipHelper() {
        return ipHelper;
    }

    /**
     * {@code SIO_ACQUIRE_PORT_RESERVATION} on {@code socket}: reserves {@code count} ports from {@code start}, or a
     * block Windows chooses when {@code start} is 0, for as long as {@code socket} stays open.
     */
    AcquiredBlock acquire(long socket, Protocol protocol, int start, int count) {
        return acquire(socket, protocol, start, count, () -> "");
    }

    /**
     * As {@link #acquire(long, Protocol, int, int)}; when a specific block fails with WSAEADDRINUSE or WSAEACCES,
     * {@code diagnosis} is called and its text appended to the message.
     */
    AcquiredBlock acquire(long socket, Protocol protocol, int start, int count, Supplier<String> diagnosis) {
        InetPortRange range = new InetPortRange(start, count);
        range.write();
        InetPortReservationInstance instance = new InetPortReservationInstance();
        instance.write();
        IntByReference returned = new IntByReference();
        if (winsock.WSAIoctl(new SocketHandle(socket), SIO_ACQUIRE_PORT_RESERVATION, range.getPointer(),
                InetPortRange.SIZE, instance.getPointer(), InetPortReservationInstance.SIZE, returned,
                Pointer.NULL, Pointer.NULL) == SOCKET_ERROR) {
            throw WindowsErrors.acquireFailed(lastSocketError(), protocol, start, count, diagnosis);
        }
        instance.read();
        return new AcquiredBlock(instance.Reservation.start(), instance.Reservation.count(), instance.Token.Token);
    }

    /** {@code SIO_ASSOCIATE_PORT_RESERVATION}: the next bind of {@code socket} takes its port from {@code token}. */
    void associate(long socket, Protocol protocol, long token) {
        associate(socket, protocol, token, () -> "");
    }

    /**
     * As {@link #associate(long, Protocol, long)}; when it fails with WSAEACCES, {@code elevation} is called and its
     * text appended to the message.
     */
    void associate(long socket, Protocol protocol, long token, Supplier<String> elevation) {
        if (tokenIoctl(socket, SIO_ASSOCIATE_PORT_RESERVATION, token) == SOCKET_ERROR) {
            throw WindowsErrors.associateFailed(lastSocketError(), protocol, token, socket, elevation);
        }
    }

    /** {@code SIO_RELEASE_PORT_RESERVATION} of the runtime reservation {@code token}. */
    void release(long socket, Protocol protocol, long token) {
        if (tokenIoctl(socket, SIO_RELEASE_PORT_RESERVATION, token) == SOCKET_ERROR) {
            throw WindowsErrors.releaseFailed(lastSocketError(), protocol, token, socket);
        }
    }

    private int tokenIoctl(long socket, int code, long token) {
        InetPortReservationToken in = new InetPortReservationToken(token);
        in.write();
        return winsock.WSAIoctl(new SocketHandle(socket), code, in.getPointer(), InetPortReservationToken.SIZE,
                Pointer.NULL, 0, new IntByReference(), Pointer.NULL, Pointer.NULL);
    }

    /**
     * The error of the Winsock call that just failed. JNA records the thread's last error (GetLastError, which
     * WSAGetLastError returns) right after every call; calling WSAGetLastError afterwards through JNA could see a value
     * the JVM overwrote in between, so it is only the fallback when JNA recorded nothing.
     */
    private int lastSocketError() {
        int error = Native.getLastError();
        return error != 0 ? error : winsock.WSAGetLastError();
    }

    /** {@code CreatePersistent{Tcp,Udp}PortReservation}: the new reservation's token. */
    long createPersistent(Protocol protocol, PortRange range) {
        return tokenCall("Create", protocol, range, ipHelper::CreatePersistentTcpPortReservation,
                ipHelper::CreatePersistentUdpPortReservation);
    }

    /** {@code LookupPersistent{Tcp,Udp}PortReservation}: the token, or 0 for ERROR_NOT_FOUND. */
    long lookupPersistent(Protocol protocol, PortRange range) {
        return tokenCall("Lookup", protocol, range, ipHelper::LookupPersistentTcpPortReservation,
                ipHelper::LookupPersistentUdpPortReservation);
    }

    /** Signature shared by the create and lookup functions. */
    @FunctionalInterface
    private interface TokenFunction {
        int call(short startPort, short numberOfPorts, LongByReference token);
    }

    private static long tokenCall(String verb, Protocol protocol, PortRange range, TokenFunction tcp,
                                  TokenFunction udp) {
        LongByReference token = new LongByReference();
        int status = (protocol == Protocol.TCP ? tcp : udp).call(InetPortRange.toNetworkOrder(range.start()),
                (short) range.count(), token);
        if (status == ERROR_NOT_FOUND && "Lookup".equals(verb)) {
            return WindowsConstants.INVALID_PORT_RESERVATION_TOKEN;
        }
        if (status != NO_ERROR) {
            throw WindowsErrors.persistentFailed(status, persistentFunction(verb, protocol), protocol, range);
        }
        return token.getValue();
    }

    /** {@code DeletePersistent{Tcp,Udp}PortReservation}. */
    void deletePersistent(Protocol protocol, PortRange range) {
        short start = InetPortRange.toNetworkOrder(range.start());
        short count = (short) range.count();
        int status = protocol == Protocol.TCP ? ipHelper.DeletePersistentTcpPortReservation(start, count)
                : ipHelper.DeletePersistentUdpPortReservation(start, count);
        if (status != NO_ERROR) {
            throw WindowsErrors.persistentFailed(status, persistentFunction("Delete", protocol),
                    protocol, range);
        }
    }

    /** The IP Helper function name for {@code verb} ("Create", "Lookup", "Delete") and {@code protocol}. */
    static String persistentFunction(String verb, Protocol protocol) {
        return verb + "Persistent" + (protocol == Protocol.TCP ? "Tcp" : "Udp") + "PortReservation";
    }

    /**
     * Every TCP or UDP socket of every process, IPv4 and IPv6, from {@code GetExtendedTcpTable} /
     * {@code GetExtendedUdpTable} with the owner-PID table classes.
     *
     * @throws PortReservationException UNSUPPORTED when the functions cannot be loaded, SYSTEM_ERROR with the Win32 code
     *         when a call fails
     */
    List<SocketEntry> sockets(Protocol protocol) {
        IpHelperTableLibrary library = tables();
        List<SocketEntry> rows = new ArrayList<>();
        for (int af : new int[] {AF_INET, AF_INET6}) {
            rows.addAll(table(library, protocol, af));
        }
        return rows;
    }

    private List<SocketEntry> table(IpHelperTableLibrary library, Protocol protocol, int af) {
        String function = protocol == Protocol.TCP ? "GetExtendedTcpTable" : "GetExtendedUdpTable";
        IntByReference size = new IntByReference(0);
        for (int attempt = 0; attempt < TABLE_ATTEMPTS; attempt++) {
            int wanted = size.getValue();
            Memory buffer = wanted > 0 ? new Memory(wanted) : null;
            int status;
            try {
                status = protocol == Protocol.TCP
                        ? library.GetExtendedTcpTable(buffer, size, 0, af, TCP_TABLE_OWNER_PID_ALL, 0)
                        : library.GetExtendedUdpTable(buffer, size, 0, af, UDP_TABLE_OWNER_PID, 0);
            } catch (UnsatisfiedLinkError e) {
                throw missing(function, ipHelperLibrary, e);
            }
            if (status == NO_ERROR && buffer != null) {
                return SocketTables.read(protocol, af, buffer, buffer.size());
            }
            if (status != ERROR_INSUFFICIENT_BUFFER || size.getValue() <= wanted) {
                throw new PortReservationException(Reason.SYSTEM_ERROR, function + " (address family " + af
                        + ") failed with status " + status + " and size " + size.getValue() + " for a buffer of "
                        + wanted + " bytes; look the code up with 'net helpmsg " + status + "'", status,
                        WindowsErrors.nameOf(status), null);
            }
        }
        throw new PortReservationException(Reason.SYSTEM_ERROR, function + " (address family " + af + ") still wanted a "
                + "larger buffer after " + TABLE_ATTEMPTS + " attempts (the table grows faster than it is read); retry");
    }

    /**
     * {@code IsUserAnAdmin()} of the Shell library.
     *
     * @throws PortReservationException UNSUPPORTED when the function cannot be loaded
     */
    boolean isUserAnAdmin() {
        Shell32Library library;
        synchronized (lazyLock) {
            if (shell == null) {
                try {
                    shell = Native.load(shellLibrary, Shell32Library.class, options);
                } catch (UnsatisfiedLinkError e) {
                    throw missing("IsUserAnAdmin", shellLibrary, e);
                }
            }
            library = shell;
        }
        try {
            return library.IsUserAnAdmin() != 0;
        } catch (UnsatisfiedLinkError e) {
            throw missing("IsUserAnAdmin", shellLibrary, e);
        }
    }

    private IpHelperTableLibrary tables() {
        synchronized (lazyLock) {
            if (tables == null) {
                try {
                    tables = Native.load(ipHelperLibrary, IpHelperTableLibrary.class, options);
                } catch (UnsatisfiedLinkError e) {
                    throw missing("GetExtendedTcpTable", ipHelperLibrary, e);
                }
            }
            return tables;
        }
    }

    private static PortReservationException missing(String function, String library, UnsatisfiedLinkError e) {
        return new PortReservationException(Reason.UNSUPPORTED, "cannot call " + function + " from '" + library + "': "
                + e.getMessage() + "; the port doctor works without it, with less to say", e);
    }
}
