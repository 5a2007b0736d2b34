/*
 * JNI helper of io.github.portreservation.linux.NativePlaceholders: opens the placeholder sockets that hold
 * reserved ports on Linux. Only system calls the JDK cannot make: an AF_INET6 socket whatever the JVM's stack
 * preference, IPV6_V6ONLY off whatever net.ipv6.bindv6only says, and, for UDP, classic BPF programs that keep every
 * datagram away from the placeholder (SO_ATTACH_REUSEPORT_CBPF on its reuseport group, SO_ATTACH_FILTER on itself).
 * Built by the Maven build (see pom.xml, profile "linux-native") into META-INF/native/ of the jar.
 */
#define _GNU_SOURCE
#include <jni.h>
#include <errno.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <linux/filter.h>

#ifndef SO_REUSEPORT
#define SO_REUSEPORT 15
#endif
#ifndef SO_ATTACH_REUSEPORT_CBPF
#define SO_ATTACH_REUSEPORT_CBPF 51
#endif

/* Reuseport group program: every datagram goes to member 1, the first socket that joined after the placeholder
 * (member 0). With no other member the index is invalid and the kernel falls back to its hash: the placeholder. */
static struct sock_filter select_first_joiner[] = { { BPF_RET | BPF_K, 0, 0, 1 } };
/* Socket filter of the placeholder: keep 0 bytes of every packet, i.e. drop it before it is queued. */
static struct sock_filter drop_all[] = { { BPF_RET | BPF_K, 0, 0, 0 } };

static int fail(int fd) {
    int err = errno;
    if (fd >= 0) {
        close(fd);
    }
    return -err;
}

/* Opens one placeholder bound to the wildcard address and `port`; returns the descriptor or -errno. */
static int open_placeholder(int udp, int ipv6, int port) {
    int one = 1, zero = 0;
    int fd = socket(ipv6 ? AF_INET6 : AF_INET, (udp ? SOCK_DGRAM : SOCK_STREAM) | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        return fail(-1);
    }
    if (ipv6 && setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &zero, sizeof zero) != 0) {
        return fail(fd);
    }
    if (udp) {
        /* SO_REUSEPORT, then a reuseport group with its program before bind: the bind is then exclusive (the kernel
         * lets a socket share a port only when it has no reuseport group yet), and sockets of this user that join
         * later become members 1, 2... of the group, so the program sends every datagram to them. */
        struct sock_fprog group = { 1, select_first_joiner };
        struct sock_fprog self = { 1, drop_all };
        if (setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof one) != 0
                || setsockopt(fd, SOL_SOCKET, SO_ATTACH_REUSEPORT_CBPF, &group, sizeof group) != 0
                || setsockopt(fd, SOL_SOCKET, SO_ATTACH_FILTER, &self, sizeof self) != 0) {
            return fail(fd);
        }
    }
    int rc;
    if (ipv6) {
        struct sockaddr_in6 a;
        memset(&a, 0, sizeof a);
        a.sin6_family = AF_INET6;
        a.sin6_port = htons((unsigned short) port);
        a.sin6_addr = in6addr_any;
        rc = bind(fd, (struct sockaddr *) &a, sizeof a);
    } else {
        struct sockaddr_in a;
        memset(&a, 0, sizeof a);
        a.sin_family = AF_INET;
        a.sin_port = htons((unsigned short) port);
        a.sin_addr.s_addr = htonl(INADDR_ANY);
        rc = bind(fd, (struct sockaddr *) &a, sizeof a);
    }
    if (rc != 0) {
        return fail(fd);
    }
    /* TCP: bound without SO_REUSEPORT (exclusive), then SO_REUSEPORT so that sockets of this user can share it. */
    if (!udp && setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof one) != 0) {
        return fail(fd);
    }
    return fd;
}

/*
 * Holds ports start..start+count-1, writing the descriptors into fds[0..count-1]. Returns count, or, when port
 * start+i could not be held (everything held before it is closed again), -(i * 65536 + errno).
 */
JNIEXPORT jlong JNICALL Java_io_github_portreservation_linux_NativePlaceholders_holdRange0(
        JNIEnv *env, jclass cls, jboolean udp, jboolean ipv6, jint start, jint count, jintArray fds) {
    jint *out = (*env)->GetIntArrayElements(env, fds, NULL);
    if (out == NULL) {
        return -(jlong) ENOMEM;
    }
    jint i;
    for (i = 0; i < count; i++) {
        int fd = open_placeholder(udp, ipv6, start + i);
        if (fd < 0) {
            jint j;
            for (j = 0; j < i; j++) {
                close(out[j]);
            }
            (*env)->ReleaseIntArrayElements(env, fds, out, JNI_ABORT);
            return -((jlong) i * 65536 + (jlong) -fd);
        }
        out[i] = fd;
    }
    (*env)->ReleaseIntArrayElements(env, fds, out, 0);
    return count;
}

/* Closes fds[0..count-1]; returns the number of close() calls that failed. */
JNIEXPORT jint JNICALL Java_io_github_portreservation_linux_NativePlaceholders_closeAll0(
        JNIEnv *env, jclass cls, jintArray fds, jint count) {
    jint *in = (*env)->GetIntArrayElements(env, fds, NULL);
    if (in == NULL) {
        return count;
    }
    jint failed = 0, i;
    for (i = 0; i < count; i++) {
        if (in[i] >= 0 && close(in[i]) != 0) {
            failed++;
        }
    }
    (*env)->ReleaseIntArrayElements(env, fds, in, JNI_ABORT);
    return failed;
}

/* Whether this kernel creates AF_INET6 sockets (false when IPv6 is compiled out or disabled at boot). */
JNIEXPORT jboolean JNICALL Java_io_github_portreservation_linux_NativePlaceholders_ipv6Supported0(
        JNIEnv *env, jclass cls) {
    int fd = socket(AF_INET6, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        return JNI_FALSE;
    }
    close(fd);
    return JNI_TRUE;
}

/* The C library's text for errno `code` ("Address already in use"). */
JNIEXPORT jstring JNICALL Java_io_github_portreservation_linux_NativePlaceholders_strerror0(
        JNIEnv *env, jclass cls, jint code) {
    char buf[256];
    const char *text = strerror_r(code, buf, sizeof buf);
    return (*env)->NewStringUTF(env, text);
}
