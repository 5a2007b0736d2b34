/**
 * gRPC-java integration: {@link io.github.portreservation.grpc.ReservedGrpcTransport} gives grpc-netty's server and
 * channel builders reserved ports with matching event loop groups, and refuses grpc-netty-shaded builders. Needs
 * {@code io.grpc:grpc-netty} (an optional dependency of this library; tested: 1.85.1 on Netty 4.2, 1.82.4 on Netty
 * 4.1). See docs/integrations.md.
 */
package io.github.portreservation.grpc;
