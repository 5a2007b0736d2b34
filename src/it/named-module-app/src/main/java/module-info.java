/** A named-module consumer of netty-port-reservation (an automatic module named by its manifest). */
module consumer {
    requires io.github.portreservation;
    requires io.netty.common;
    requires io.netty.transport;
}
