/**
 * gRPC-java integration: {@link io.github.portreservation.grpc.ReservedGrpcTransport} gives grpc-netty's server and
 * channel builders reserved ports with matching event loop groups, and refuses grpc-netty-shaded builders. Needs
 * {@code io.grpc:grpc-netty} (an optional dependency of this library). See docs/integrations.md.
 */
package io.github.portreservation.grpc;
