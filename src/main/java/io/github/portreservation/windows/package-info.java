/**
 * The Windows provider: runtime reservations ({@code SIO_ACQUIRE/ASSOCIATE/RELEASE_PORT_RESERVATION} through
 * {@code WSAIoctl}) and persistent ones ({@code Create/Lookup/DeletePersistent{Tcp,Udp}PortReservation}) through JNA,
 * and the port doctor ({@link io.github.portreservation.windows.WindowsPortDoctor}: in use by which process, inside
 * which excluded range, or free), whose diagnosis ends the message of every bind the provider fails.
 * Start from {@link io.github.portreservation.windows.WindowsPortReservationProvider#create()}; see
 * {@code docs/windows.md} for requirements (build 17763+, {@code --add-opens}, elevation) and for what was verified
 * (through a native test double on Linux) and what was not (anything on real Windows).
 */
package io.github.portreservation.windows;
