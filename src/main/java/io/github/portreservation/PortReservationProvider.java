package io.github.portreservation;

import java.net.InetSocketAddress;
import java.util.Optional;

/**
 * What one platform offers: runtime reservations, persistent reservations, and binding a socket from a token.
 * Obtain the running platform's provider from {@link PortReservations#provider()}. Thread-safe.
 */
public interface PortReservationProvider {

    /** Short name: "linux", "windows", ... */
    String name();

    /**
     * Reserves exactly {@code range} for this process.
     *
     * @throws PortReservationException IN_USE naming the first port that could not be held, ACCESS_DENIED,
     *         RESOURCE_LIMIT, UNSUPPORTED...; on failure nothing stays reserved
     */
    RuntimeReservation acquire(Protocol protocol, PortRange range);

    /**
     * Reserves a block of {@code count} consecutive ports that the provider chooses.
     *
     * @throws PortReservationException INVALID_ARGUMENT for a count outside 1..65535, IN_USE when no free block was
     *         found, RESOURCE_LIMIT...
     */
    RuntimeReservation acquire(Protocol protocol, int count);

    /**
     * Whether {@code acquire} may block its caller on the system for long: Windows' acquire IOCTL does, even on a
     * non-blocking socket. A {@code ReservationPool} never grows on a thread that must not block when this is true;
     * it acquires on its scheduler instead.
     */
    default boolean acquireMayBlock() {
        return false;
    }

    /**
     * Creates a persistent reservation of {@code range} (it survives this process).
     *
     * @throws PortReservationException ACCESS_DENIED without administrator/root rights, IN_USE when the block
     *         overlaps an existing persistent reservation
     */
    ReservationToken createPersistent(Protocol protocol, PortRange range);

    /** The token of the persistent reservation of exactly {@code range}, or empty when there is none. */
    Optional<ReservationToken> lookupPersistent(Protocol protocol, PortRange range);

    /**
     * Deletes the persistent reservation of {@code range}.
     *
     * @throws PortReservationException NOT_FOUND when there is none, ACCESS_DENIED without rights
     */
    void deletePersistent(Protocol protocol, PortRange range);

    /**
     * Binds {@code socket} from the reservation named by {@code token}: a runtime reservation of this process, or a
     * persistent reservation created or looked up through this provider.
     *
     * @param requested local address; port 0 = any free port of the block; another port must be inside the block
     * @throws PortReservationException UNKNOWN_TOKEN, OUTSIDE_RESERVATION, IN_USE, EXHAUSTED, CLOSED...
     */
    PortBinding bind(ReservationToken token, ReservableSocket socket, InetSocketAddress requested);

    /** The open runtime reservation of this process named by {@code token}, if any. */
    Optional<RuntimeReservation> runtimeReservation(ReservationToken token);
}
