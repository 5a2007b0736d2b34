/*
 * JNI helper of io.github.portreservation.linux.NativePlaceholders: opens the placeholder sockets that hold
 * reserved ports on Linux. Only system calls the JDK cannot make: an AF_INET6 socket whatever the JVM's stack
 * preference, IPV6_V6ONLY off whatever net.ipv6.bindv6only says, and, for UDP, classic BPF programs that keep every
 * datagram away from the placeholder (a program on its reuseport group, and a socket filter on itself). The programs
 * are two eBPF socket filters loaded once per process when the kernel allows it (root or CAP_BPF, or
 * kernel.unprivileged_bpf_disabled=0) and shared by every placeholder; otherwise each placeholder gets its own classic
 * BPF copies, which the kernel compiles one by one (about 9 microseconds each here).
 * Built by the Maven build (see pom.xml, profile "linux-native") into META-INF/native/ of the jar.
 */
#define _GNU_SOURCE
#include <jni.h>
#include <errno.h>
#include <string.h>
#include <pthread.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <linux/bpf.h>
#include <sys/syscall.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <linux/filter.h>

#ifndef SO_REUSEPORT
#define SO_REUSEPORT 15
#endif
#ifndef SO_ATTACH_REUSEPORT_CBPF
#define SO_ATTACH_REUSEPORT_CBPF 51
#endif
#ifndef SO_ATTACH_REUSEPORT_EBPF
#define SO_ATTACH_REUSEPORT_EBPF 52
#endif
#ifndef SO_ATTACH_BPF
#define SO_ATTACH_BPF 50
#endif

/* Reuseport group program: every datagram goes to member 1, the first socket that joined after the placeholder
 * (member 0). With no other member the index is invalid and the kernel falls back to its hash: the placeholder. */
static struct sock_filter select_first_joiner[] = { { BPF_RET | BPF_K, 0, 0, 1 } };
/* Socket filter of the placeholder: keep 0 bytes of every packet, i.e. drop it before it is queued. */
static struct sock_filter drop_all[] = { { BPF_RET | BPF_K, 0, 0, 0 } };

/* The shared eBPF programs (-1 when they could not be loaded: classic copies are attached instead). */
static int shared_select_first_joiner = -1;
static int shared_drop_all = -1;
static pthread_once_t shared_once = PTHREAD_ONCE_INIT;

/* Loads the eBPF socket filter "return ret"; -1 when the kernel refuses. */
static int load_return(int ret) {
    struct bpf_insn insns[2];
    union bpf_attr attr;
    memset(insns, 0, sizeof insns);
    insns[0].code = BPF_ALU64 | BPF_MOV | BPF_K;
    insns[0].dst_reg = BPF_REG_0;
    insns[0].imm = ret;
    insns[1].code = BPF_JMP | BPF_EXIT;
    memset(&attr, 0, sizeof attr);
    attr.prog_type = BPF_PROG_TYPE_SOCKET_FILTER;
    attr.insns = (unsigned long) insns;
    attr.insn_cnt = 2;
    attr.license = (unsigned long) "GPL";
    return (int) syscall(SYS_bpf, BPF_PROG_LOAD, &attr, sizeof attr);
}

static void load_shared(void) {
    int select = load_return(1);
    int drop = select >= 0 ? load_return(0) : -1;
    if (select >= 0 && drop >= 0) {
        shared_select_first_joiner = select;
        shared_drop_all = drop;
    } else if (select >= 0) {
        close(select);
    }
}

/* Attaches the group program and the drop filter to the unbound UDP socket fd; 0 or -1 with errno. */
static int attach_programs(int fd, int shared) {
    pthread_once(&shared_once, load_shared);
    if (shared && shared_select_first_joiner >= 0) {
        if (setsockopt(fd, SOL_SOCKET, SO_ATTACH_REUSEPORT_EBPF, &shared_select_first_joiner,
                       sizeof shared_select_first_joiner) != 0
                || setsockopt(fd, SOL_SOCKET, SO_ATTACH_BPF, &shared_drop_all, sizeof shared_drop_all) != 0) {
            return -1;
        }
        return 0;
    }
    struct sock_fprog group = { 1, select_first_joiner };
    struct sock_fprog self = { 1, drop_all };
    if (setsockopt(fd, SOL_SOCKET, SO_ATTACH_REUSEPORT_CBPF, &group, sizeof group) != 0
            || setsockopt(fd, SOL_SOCKET, SO_ATTACH_FILTER, &self, sizeof self) != 0) {
        return -1;
    }
    return 0;
}

static int fail(int fd) {
    int err = errno;
    if (fd >= 0) {
        close(fd);
    }
    return -err;
}

/* Opens one placeholder bound to the wildcard address and `port`; returns the descriptor or -errno. */
static int open_placeholder(int udp, int ipv6, int shared, int port) {
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
        if (setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof one) != 0 || attach_programs(fd, shared) != 0) {
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
 * Holds ports start..start+count-1 (UDP: with the shared eBPF programs when `shared` and loaded), writing the descriptors into fds[0..count-1]. Returns count, or, when port
 * start+i could not be held (everything held before it is closed again), -(i * 65536 + errno).
 */
JNIEXPORT jlong JNICALL Java_io_github_portreservation_linux_NativePlaceholders_holdRange0(
        JNIEnv *env, jclass cls, jboolean udp, jboolean ipv6, jboolean shared, jint start, jint count, jintArray fds) {
    jint *out = (*env)->GetIntArrayElements(env, fds, NULL);
    if (out == NULL) {
        return -(jlong) ENOMEM;
    }
    jint i;
    for (i = 0; i < count; i++) {
        int fd = open_placeholder(udp, ipv6, shared, start + i);
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

/*
 * Holds one TCP port that the kernel chooses: the placeholder binds port 0, which takes a free port of
 * net.ipv4.ip_local_port_range outside net.ipv4.ip_local_reserved_ports that no socket is bound to on any address.
 * Returns fd * 65536 + port, or -errno.
 */
JNIEXPORT jlong JNICALL Java_io_github_portreservation_linux_NativePlaceholders_holdAnyTcp0(
        JNIEnv *env, jclass cls, jboolean ipv6) {
    int fd = open_placeholder(0, ipv6, 0, 0);
    if (fd < 0) {
        return fd;
    }
    struct sockaddr_storage a;
    socklen_t length = sizeof a;
    if (getsockname(fd, (struct sockaddr *) &a, &length) != 0) {
        return fail(fd);
    }
    int port = a.ss_family == AF_INET6 ? ntohs(((struct sockaddr_in6 *) &a)->sin6_port)
            : ntohs(((struct sockaddr_in *) &a)->sin_port);
    return ((jlong) fd << 16) | port;
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

/* Whether UDP placeholders share two eBPF programs (true) or get classic BPF copies each (false). */
JNIEXPORT jboolean JNICALL Java_io_github_portreservation_linux_NativePlaceholders_sharedPrograms0(
        JNIEnv *env, jclass cls) {
    pthread_once(&shared_once, load_shared);
    return shared_select_first_joiner >= 0 ? JNI_TRUE : JNI_FALSE;
}
