package io.github.portreservation.netty.testsuite;

/**
 * The permutations Netty's testsuite runs over: stock Netty channels as Netty's own testsuite makes them, and the
 * library's factories in each way a user gives them a reservation. Server, client and datagram channels of one
 * permutation all come from it (one TCP and one UDP reservation, or pool, per permutation). Declared in report
 * order: each transport's stock permutation before its reserved ones.
 */
enum Permutation {
    /** Netty's channels, NIO transport: {@code .channel(NioServerSocketChannel.class)}, {@code NioDatagramChannel(family)}. */
    STOCK_NIO("stock NIO"),
    /**
     * {@code ReservedChannelFactories.nioServer()/nioClient()} with {@code .option(RESERVATION_TOKEN, tcp.token())};
     * UDP (a final Netty class, which reads no option of the library) {@code nioDatagram()} with
     * {@code .attr(RESERVATION, udp.token())}.
     */
    NIO_OPTION("NIO option"),
    /** {@code ReservedChannelFactories.nioServer/nioClient/nioDatagram(pool)} over a {@code ReservationPool} each. */
    NIO_POOL("NIO pool"),
    /** Netty's channels, Epoll transport. */
    STOCK_EPOLL("stock Epoll"),
    /** {@code ReservedChannelFactories.epollServer/epollClient/epollDatagram(reservation)}. */
    EPOLL_RESERVED("Epoll reserved");

    private final String label;

    Permutation(String label) {
        this.label = label;
    }

    String label() {
        return label;
    }

    boolean isStock() {
        return this == STOCK_NIO || this == STOCK_EPOLL;
    }

    boolean isEpoll() {
        return this == STOCK_EPOLL || this == EPOLL_RESERVED;
    }

    /** The stock permutation a reserved one is compared with (same transport); itself for a stock one. */
    Permutation stock() {
        return isEpoll() ? STOCK_EPOLL : STOCK_NIO;
    }
}
