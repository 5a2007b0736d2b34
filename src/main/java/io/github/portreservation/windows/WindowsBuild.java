package io.github.portreservation.windows;

import com.sun.jna.Native;
import com.sun.jna.platform.win32.WinNT;
import com.sun.jna.win32.StdCallLibrary;

/**
 * The minimum Windows build this provider accepts, and the running build.
 *
 * <p>The reservation IOCTLs exist since Windows Vista, but the one production user of runtime reservations, msquic,
 * enables them only from build {@value #MINIMUM_BUILD} (Windows 10 1809 / Windows Server 2019, "RS5": "only RS5 and
 * newer can use the port reservation feature safely"). This provider follows it: older builds are reported as
 * unsupported rather than risking behaviour nobody has observed.
 */
final class WindowsBuild {
    /** Windows 10 1809 / Windows Server 2019. */
    static final int MINIMUM_BUILD = 17763;

    private WindowsBuild() {
    }

    /** Null when {@code build} is supported, else the reason it is not. */
    static String unsupportedCause(int build) {
        if (build >= MINIMUM_BUILD) {
            return null;
        }
        return "Windows build " + build + " is older than build " + MINIMUM_BUILD + " (Windows 10 1809 / Windows "
                + "Server 2019), the first on which port reservations are used in production (msquic); "
                + "upgrade Windows to use this provider";
    }

    /**
     * The running Windows build number, from {@code RtlGetVersion} (which, unlike {@code GetVersionEx}, does not
     * depend on the executable's compatibility manifest). Windows only.
     *
     * @throws UnsatisfiedLinkError when ntdll cannot be loaded
     * @throws IllegalStateException when RtlGetVersion fails
     */
    static int current() {
        NtDll ntdll = Native.load("ntdll", NtDll.class);
        WinNT.OSVERSIONINFOEX info = new WinNT.OSVERSIONINFOEX();
        int status = ntdll.RtlGetVersion(info);
        if (status != 0) {
            throw new IllegalStateException("RtlGetVersion failed with NTSTATUS 0x" + Integer.toHexString(status));
        }
        return info.getBuildNumber();
    }

    /** The one ntdll function this class needs (NTAPI: stdcall on 32-bit Windows). */
    interface NtDll extends StdCallLibrary {
        /** {@code NTSTATUS RtlGetVersion(PRTL_OSVERSIONINFOW lpVersionInformation)}, here with the EX structure. */
        int RtlGetVersion(WinNT.OSVERSIONINFOEX info);
    }
}
