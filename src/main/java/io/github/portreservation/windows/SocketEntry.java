package io.github.portreservation.windows;

import io.github.portreservation.Protocol;

import java.net.InetAddress;

/**
 * One row of {@code GetExtendedTcpTable} / {@code GetExtendedUdpTable}: a socket of some process and its local port.
 *
 * @param protocol     TCP or UDP
 * @param localAddress the local address (0.0.0.0 or :: for a wildcard bind)
 * @param port         the local port, host order
 * @param pid          the owning process id (0 for TCP connections in TIME_WAIT, which no process owns)
 * @param tcpState     the {@code MIB_TCP_STATE}, or 0 for UDP
 */
record SocketEntry(Protocol protocol, InetAddress localAddress, int port, long pid, int tcpState) {

    /** The TCP state's name as netstat prints it ({@code LISTENING}, {@code ESTABLISHED}, ...), or "" for UDP. */
    String stateName() {
        switch (tcpState) {
            case 0: return "";
            case 1: return "CLOSED";
            case 2: return "LISTENING";
            case 3: return "SYN_SENT";
            case 4: return "SYN_RCVD";
            case 5: return "ESTABLISHED";
            case 6: return "FIN_WAIT_1";
            case 7: return "FIN_WAIT_2";
            case 8: return "CLOSE_WAIT";
            case 9: return "CLOSING";
            case 10: return "LAST_ACK";
            case 11: return "TIME_WAIT";
            case 12: return "DELETE_TCB";
            default: return "state " + tcpState;
        }
    }

    /** "TCP 0.0.0.0:8080 LISTENING, pid 1234". */
    @Override
    public String toString() {
        String address = localAddress.getHostAddress();
        String host = address.indexOf(':') >= 0 ? "[" + address + "]" : address;
        String state = stateName();
        return protocol + " " + host + ":" + port + (state.isEmpty() ? "" : " " + state) + ", pid " + pid;
    }
}
