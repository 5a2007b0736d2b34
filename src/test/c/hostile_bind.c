/*
 * A hostile process for HostileMatrixTest: tries to bind a port as another program would, or sends datagrams.
 *   hostile_bind bind tcp|udp PORT ADDRESS REUSEPORT(0|1) V6ONLY(0|1)  -> prints BOUND (exit 0) or REFUSED <error> (exit 1)
 *   hostile_bind send ADDRESS PORT COUNT                                  -> sends COUNT one-byte datagrams, exit 0
 * A TCP socket that binds also listens, as a server would.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

static socklen_t address(const char *text, int port, struct sockaddr_storage *out) {
    memset(out, 0, sizeof *out);
    if (strchr(text, ':') != NULL) {
        struct sockaddr_in6 *a = (struct sockaddr_in6 *) out;
        a->sin6_family = AF_INET6;
        a->sin6_port = htons((unsigned short) port);
        if (inet_pton(AF_INET6, text, &a->sin6_addr) != 1) {
            fprintf(stderr, "bad address %s\n", text);
            exit(2);
        }
        return sizeof *a;
    }
    struct sockaddr_in *a = (struct sockaddr_in *) out;
    a->sin_family = AF_INET;
    a->sin_port = htons((unsigned short) port);
    if (inet_pton(AF_INET, text, &a->sin_addr) != 1) {
        fprintf(stderr, "bad address %s\n", text);
        exit(2);
    }
    return sizeof *a;
}

int main(int argc, char **argv) {
    if (argc == 7 && strcmp(argv[1], "bind") == 0) {
        int udp = strcmp(argv[2], "udp") == 0;
        struct sockaddr_storage sa;
        socklen_t len = address(argv[4], atoi(argv[3]), &sa);
        int reuseport = atoi(argv[5]), v6only = atoi(argv[6]);
        int fd = socket(sa.ss_family, udp ? SOCK_DGRAM : SOCK_STREAM, 0);
        if (fd < 0) {
            printf("REFUSED socket: %s\n", strerror(errno));
            return 1;
        }
        if (sa.ss_family == AF_INET6) {
            setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &v6only, sizeof v6only);
        }
        if (reuseport) {
            setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &reuseport, sizeof reuseport);
        }
        if (bind(fd, (struct sockaddr *) &sa, len) != 0 || (!udp && listen(fd, 1) != 0)) {
            printf("REFUSED %s\n", strerror(errno));
            return 1;
        }
        printf("BOUND\n");
        return 0;
    }
    if (argc == 5 && strcmp(argv[1], "send") == 0) {
        struct sockaddr_storage sa;
        socklen_t len = address(argv[2], atoi(argv[3]), &sa);
        int count = atoi(argv[4]);
        int fd = socket(sa.ss_family, SOCK_DGRAM, 0);
        for (int i = 0; i < count; i++) {
            if (sendto(fd, "x", 1, 0, (struct sockaddr *) &sa, len) != 1) {
                printf("SEND FAILED %s\n", strerror(errno));
                return 1;
            }
        }
        return 0;
    }
    fprintf(stderr, "usage: hostile_bind bind tcp|udp PORT ADDRESS REUSEPORT V6ONLY | send ADDRESS PORT COUNT\n");
    return 2;
}
