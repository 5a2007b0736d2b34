package io.github.portreservation.linux;

import io.github.portreservation.PortReservationException;
import io.github.portreservation.PortReservationException.Reason;

import java.io.IOException;
import java.nio.file.AccessDeniedException;
import java.nio.file.FileSystemException;
import java.nio.file.Path;
import java.nio.file.Paths;

/** The exceptions of a {@link ReservedPortsFile} that could not be read or written, naming the kernel's rule. */
final class ReservedPortsErrors {
    private static final int CAP_NET_ADMIN = 12;

    private ReservedPortsErrors() {
    }

    /** The exception for an I/O error of {@code verb} ("read", "write"), naming the kernel's rule for the sysctl. */
    static PortReservationException failure(Path path, String verb, IOException e) {
        String msg = e instanceof AccessDeniedException ? "Permission denied"
                : e instanceof FileSystemException && ((FileSystemException) e).getReason() != null
                ? ((FileSystemException) e).getReason() : String.valueOf(e.getMessage());
        String failed = "cannot " + verb + " " + path + " (" + msg + "): ";
        boolean sysctl = path.toAbsolutePath().normalize().startsWith("/proc/sys");
        if (msg.contains("Read-only file system")) {
            return new PortReservationException(Reason.ACCESS_DENIED, failed + (sysctl
                    ? "/proc/sys is mounted read-only here (as in most containers), which refuses every writer, root "
                    + "or not; set the list from outside, on the host or through the container runtime (docker run "
                    + "--sysctl net.ipv4.ip_local_reserved_ports=...)"
                    : "the file system is mounted read-only; use a file on a writable file system"), e);
        }
        if (msg.contains("Permission denied") || msg.contains("Operation not permitted")) {
            if (!sysctl || verb.equals("read")) {
                return new PortReservationException(Reason.ACCESS_DENIED, failed + "the file's permissions refuse "
                        + "this process (" + credentials() + "); use a file it may " + verb + ", or run it as the "
                        + "file's owner", e);
            }
            return new PortReservationException(Reason.ACCESS_DENIED, failed + "the kernel lets a process write "
                    + "net.ipv4.ip_local_reserved_ports when its effective uid is 0 in the initial user namespace (no "
                    + "capability needed) or when it has CAP_NET_ADMIN in the user namespace that owns this network "
                    + "namespace (any uid); group root and CAP_DAC_OVERRIDE do not count; this process has "
                    + credentials() + "; run it as root, grant it CAP_NET_ADMIN (e.g. AmbientCapabilities="
                    + "CAP_NET_ADMIN in its systemd unit), or have an administrator run 'sysctl -w "
                    + "net.ipv4.ip_local_reserved_ports=...'", e);
        }
        return new PortReservationException(Reason.SYSTEM_ERROR, "cannot " + verb + " " + path + ": " + msg
                + "; check the file with 'cat " + path + "' and repeat the call", e);
    }

    /** This process's effective uid and effective CAP_NET_ADMIN, from {@code /proc/self/status}, for messages. */
    private static String credentials() {
        String euid = "unknown";
        String netAdmin = "unknown";
        try {
            for (String line : ProcFiles.read(Paths.get("/proc/self/status")).split("\n")) {
                String[] f = line.trim().split("\\s+");
                if (f[0].equals("Uid:") && f.length > 2) {
                    euid = f[2];
                } else if (f[0].equals("CapEff:") && f.length > 1) {
                    netAdmin = (Long.parseUnsignedLong(f[1], 16) & (1L << CAP_NET_ADMIN)) != 0 ? "yes" : "no";
                }
            }
        } catch (IOException | RuntimeException e) {
            return "credentials unknown (" + e.getMessage() + ")";
        }
        return "effective uid " + euid + ", effective CAP_NET_ADMIN " + netAdmin;
    }
}
