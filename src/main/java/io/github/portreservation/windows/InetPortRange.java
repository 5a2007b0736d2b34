package io.github.portreservation.windows;

import com.sun.jna.Structure;

import java.nio.ByteOrder;

/**
 * {@code INET_PORT_RANGE} (alias {@code INET_PORT_RESERVATION}) from {@code mstcpip.h}: {@code USHORT StartPort} in
 * network byte order, {@code USHORT NumberOfPorts} in host byte order. 4 bytes, 2-byte aligned.
 */
@Structure.FieldOrder({"StartPort", "NumberOfPorts"})
public final class InetPortRange extends Structure {
    /** The structure's size in bytes. */
    public static final int SIZE = 4;

    /** First port, network byte order ({@link #toNetworkOrder}); 0 in SIO_ACQUIRE means "any block". */
    public short StartPort;
    /** Number of ports, host byte order. */
    public short NumberOfPorts;

    /** An empty range; JNA needs this constructor. */
    public InetPortRange() {
        super(ALIGN_MSVC);
    }

    /** The range of {@code count} ports from {@code start} (both host order, 0..65535). */
    public InetPortRange(int start, int count) {
        this();
        StartPort = toNetworkOrder(start);
        NumberOfPorts = (short) count;
    }

    /** First port in host order. */
    public int start() {
        return fromNetworkOrder(StartPort);
    }

    /** Number of ports, 0..65535. */
    public int count() {
        return NumberOfPorts & 0xFFFF;
    }

    /** {@code htons}: a host-order port as the USHORT Windows expects in network byte order. */
    public static short toNetworkOrder(int port) {
        short value = (short) port;
        return ByteOrder.nativeOrder() == ByteOrder.BIG_ENDIAN ? value : Short.reverseBytes(value);
    }

    /** {@code ntohs}: a network-order USHORT as a host-order port 0..65535. */
    public static int fromNetworkOrder(short networkOrder) {
        short value = ByteOrder.nativeOrder() == ByteOrder.BIG_ENDIAN ? networkOrder : Short.reverseBytes(networkOrder);
        return value & 0xFFFF;
    }
}
