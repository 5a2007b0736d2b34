/**
 * The Linux provider: runtime reservations held by placeholder sockets (opened by the native helper,
 * {@link io.github.portreservation.linux.LinuxNative}) and persistent reservations as entries of
 * {@code net.ipv4.ip_local_reserved_ports}. See docs/linux.md for what is held, for whom, on which addresses.
 */
package io.github.portreservation.linux;
