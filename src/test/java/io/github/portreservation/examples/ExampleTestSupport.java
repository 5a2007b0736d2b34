package io.github.portreservation.examples;


import java.io.IOException;
import java.io.InputStream;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.util.Arrays;


/** Real JDK clients for the example tests. */
final class ExampleTestSupport {
    static final InetAddress LOOPBACK = InetAddress.getLoopbackAddress();

    private ExampleTestSupport() {
    }

    /** Sends {@code message} over a new TCP connection and returns exactly as many bytes read back. */
    static byte[] tcpRoundTrip(InetSocketAddress server, byte[] message) throws IOException {
        try (Socket s = new Socket()) {
            s.setSoTimeout(5_000);
            s.connect(server, 5_000);
            s.getOutputStream().write(message);
            return readFully(s.getInputStream(), message.length);
        }
    }

    /** Reads exactly {@code n} bytes. */
    static byte[] readFully(InputStream in, int n) throws IOException {
        byte[] buf = new byte[n];
        int read = 0;
        while (read < n) {
            int r = in.read(buf, read, n - read);
            if (r < 0) {
                throw new IOException("closed after " + read + " of " + n + " bytes");
            }
            read += r;
        }
        return buf;
    }

    /**
     * Sends a datagram and returns the first reply, sending again every second as a UDP client does (a server JVM that
     * just started may answer its first datagram late); fails after 10 s.
     */
    static byte[] udpRoundTrip(InetSocketAddress server, byte[] message) throws IOException {
        try (DatagramSocket s = new DatagramSocket(new InetSocketAddress(LOOPBACK, 0))) {
            s.setSoTimeout(1_000);
            DatagramPacket reply = new DatagramPacket(new byte[65_536], 65_536);
            for (int attempt = 1; ; attempt++) {
                s.send(new DatagramPacket(message, message.length, server));
                try {
                    s.receive(reply);
                    return Arrays.copyOf(reply.getData(), reply.getLength());
                } catch (java.net.SocketTimeoutException e) {
                    if (attempt == 10) {
                        throw new java.net.SocketTimeoutException("no reply from " + server + " to 10 datagrams, one a "
                                + "second");
                    }
                }
            }
        }
    }

    /** {@code size} bytes of a repeating pattern. */
    static byte[] pattern(int size, int seed) {
        byte[] b = new byte[size];
        for (int i = 0; i < size; i++) {
            b[i] = (byte) (i * 31 + seed);
        }
        return b;
    }
}
