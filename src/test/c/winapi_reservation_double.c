/*
 * Test double of the Windows port-reservation APIs, for testing the JNA layer on Linux. TEST CODE ONLY.
 *
 * It exports the functions of ws2_32.dll and iphlpapi.dll that io.github.portreservation.windows uses, with the
 * Windows signatures (SOCKET = uintptr_t, DWORD/ULONG = uint32_t, USHORT = uint16_t, ULONG64 = uint64_t), so the
 * production JNA interfaces load it unchanged and marshal through real native code: structure layouts, byte order,
 * buffer sizes and pointer-sized handles are checked here, not assumed.
 *
 * Nothing here was observed on Windows. The semantics follow the Microsoft documentation
 * (SIO_ACQUIRE/ASSOCIATE/RELEASE_PORT_RESERVATION, CreatePersistentTcpPortReservation and friends); where the
 * documentation is silent, the choice made is marked ASSUMPTION.
 *
 * Sockets. A SOCKET handle is a Linux file descriptor of a real socket (the JDK channels of the tests). The double
 * identifies a socket by (fd, st_dev, st_ino) so that a closed and reused fd number is a different socket.
 *   - handle above INT_MAX, not an open fd, or not a socket -> WSAENOTSOCK (this also catches a handle truncated
 *     or garbled by wrong marshalling);
 *   - not AF_INET/AF_INET6, or neither SOCK_STREAM (TCP) nor SOCK_DGRAM (UDP) -> WSAEOPNOTSUPP.
 *
 * WSAIoctl (non-overlapped only: lpOverlapped or lpCompletionRoutine non-NULL -> WSAEINVAL, ASSUMPTION: the double
 * does not model overlapped I/O; lpcbBytesReturned NULL -> WSAEFAULT). On failure it returns SOCKET_ERROR (-1) and
 * sets the thread's last error, which WSAGetLastError returns and which is also stored in errno, where JNA captures
 * "the last error" on Linux (on Windows JNA captures GetLastError, which WSAGetLastError aliases).
 *   SIO_ACQUIRE_PORT_RESERVATION: in = INET_PORT_RANGE (cbInBuffer >= 4, StartPort network order, NumberOfPorts host
 *     order), out = INET_PORT_RESERVATION_INSTANCE (cbOutBuffer >= 16, else WSAEINVAL with *lpcbBytesReturned = 0,
 *     as documented). NumberOfPorts 0, or a block passing 65535 -> WSAEINVAL. StartPort 0: the double chooses the
 *     lowest free block inside its "dynamic window" (double_set_dynamic_window), none -> WSAEADDRINUSE (ASSUMPTION).
 *     A specific block that overlaps an excluded range (double_add_excluded_range) or another reservation of the
 *     same protocol (runtime or persistent) -> WSAEADDRINUSE (observed by msquic for excluded ranges). The
 *     protocol of the reservation is the protocol of the socket. The reservation lives as long as the acquiring
 *     socket: once that socket is closed, the reservation is gone (checked lazily at every call).
 *     Output: StartPort (network order), NumberOfPorts, Token (never 0; bits 63 and 32 always set so that a
 *     truncated or sign-mangled token is noticed); *lpcbBytesReturned = 16.
 *   SIO_ASSOCIATE_PORT_RESERVATION: in = INET_PORT_RESERVATION_TOKEN (cbInBuffer >= 8). Unknown token, or a
 *     reservation of the other protocol -> WSAEINVAL; a persistent token while not elevated -> WSAEACCES (as
 *     documented); socket already bound -> WSAEINVAL (ASSUMPTION: association must precede bind). Records the token
 *     for the socket; the socket's next bind (double_bind_port) takes its port from the reservation.
 *   SIO_RELEASE_PORT_RESERVATION: in = token (cbInBuffer >= 8), cbOutBuffer must be 0 (documented) else WSAEINVAL.
 *     Unknown token, a persistent token, or another protocol -> WSAEINVAL. Any socket of the process may release
 *     (ASSUMPTION; the documentation only says "from the issuing process"). Ports already bound stay bound.
 *   Any other control code -> WSAEINVAL (documented: "not a valid command").
 *
 * Binding (test-only, stands for the bind() of Windows): double_bind_port(socket, requested) returns the port the
 * socket gets. Without an association: `requested` unchanged. With one: 0 -> the lowest free port of the block;
 * a free port of the block -> that port; a port of the block in use by another live socket -> WSAEADDRINUSE; a port
 * outside the block -> WSAEINVAL (ASSUMPTION, unverified on Windows); no free port -> WSAEADDRINUSE (ASSUMPTION).
 * The port stays used until that socket closes. The association is consumed by the bind.
 * double_fail_next_bind(error) makes the next double_bind_port fail with `error`, whatever the socket (a test stands
 * for a bind() that Windows refused).
 *
 * Persistent reservations (return NO_ERROR or the Win32 code; StartPort network order):
 *   Create: not elevated -> ERROR_ACCESS_DENIED; Token NULL, StartPort or NumberOfPorts 0, or a block passing
 *     65535 -> ERROR_INVALID_PARAMETER; overlap with any reservation of that protocol -> ERROR_SHARING_VIOLATION.
 *   Lookup: exact start and count only, else ERROR_NOT_FOUND (does not need elevation, ASSUMPTION).
 *   Delete: not elevated -> ERROR_ACCESS_DENIED; exact start and count only, else ERROR_NOT_FOUND.
 * Build with -DDOUBLE_WITHOUT_PERSISTENT to leave the six functions out (like Wine's iphlpapi).
 *
 * Socket tables (iphlpapi, return NO_ERROR or the Win32 code), for the port doctor. The double does not list the real
 * Linux sockets: it keeps its own fake rows, added by tests (double_add_socket_row) and cleared by double_reset.
 *   GetExtendedTcpTable(pTcpTable, pdwSize, bOrder, ulAf, TableClass, Reserved) and GetExtendedUdpTable(...):
 *     pdwSize NULL, ulAf neither AF_INET (2) nor AF_INET6 (23), Reserved not 0 -> ERROR_INVALID_PARAMETER; a
 *     TableClass outside TCP_TABLE_OWNER_PID_LISTENER/CONNECTIONS/ALL (3, 4, 5) or UDP_TABLE_OWNER_PID (1) ->
 *     ERROR_INVALID_PARAMETER (documented for values outside the enum; ASSUMPTION: the double serves no other class);
 *     pTcpTable NULL or *pdwSize too small -> ERROR_INSUFFICIENT_BUFFER with *pdwSize set to the size needed (as
 *     documented). Otherwise writes MIB_TCPTABLE_OWNER_PID / MIB_TCP6TABLE_OWNER_PID / MIB_UDPTABLE_OWNER_PID /
 *     MIB_UDP6TABLE_OWNER_PID: dwNumEntries, then the rows of that family in the order they were added (bOrder is
 *     ignored, ASSUMPTION). Addresses are in network byte order; dwLocalPort holds the port in network byte order in
 *     its low 16 bits and 0xBEEF in its upper 16 bits, which the documentation says "may contain uninitialized data",
 *     so a reader that does not mask them is noticed. LISTENER serves rows in state MIB_TCP_STATE_LISTEN (2) only,
 *     CONNECTIONS the others.
 *   IsUserAnAdmin (shell32): the elevated flag below (double_set_elevated).
 * Build with -DDOUBLE_WITHOUT_TABLES to leave GetExtendedTcpTable, GetExtendedUdpTable and IsUserAnAdmin out.
 *
 * Test-only controls are the double_* functions below. All state is guarded by one mutex.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <limits.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>

#define EXPORT __attribute__((visibility("default")))

typedef uintptr_t SOCKET;

#define SOCKET_ERROR (-1)
#define NO_ERROR 0u
#define SIO_ACQUIRE_PORT_RESERVATION 0x98000064u
#define SIO_RELEASE_PORT_RESERVATION 0x98000065u
#define SIO_ASSOCIATE_PORT_RESERVATION 0x98000066u

#define WSAEACCES 10013
#define WSAEFAULT 10014
#define WSAEINVAL 10022
#define WSAENOTSOCK 10038
#define WSAEOPNOTSUPP 10045
#define WSAEADDRINUSE 10048
#define WSAENOBUFS 10055

#define ERROR_ACCESS_DENIED 5u
#define ERROR_SHARING_VIOLATION 32u
#define ERROR_INVALID_PARAMETER 87u
#define ERROR_INSUFFICIENT_BUFFER 122u
#define ERROR_NOT_FOUND 1168u

#define WIN_AF_INET 2u
#define WIN_AF_INET6 23u
#define TCP_TABLE_OWNER_PID_LISTENER 3
#define TCP_TABLE_OWNER_PID_CONNECTIONS 4
#define TCP_TABLE_OWNER_PID_ALL 5
#define UDP_TABLE_OWNER_PID 1
#define MIB_TCP_STATE_LISTEN 2u

typedef struct {
    uint16_t StartPort;     /* network byte order */
    uint16_t NumberOfPorts; /* host byte order */
} INET_PORT_RANGE;

typedef struct {
    uint64_t Token;
} INET_PORT_RESERVATION_TOKEN;

typedef struct {
    INET_PORT_RANGE Reservation;
    INET_PORT_RESERVATION_TOKEN Token;
} INET_PORT_RESERVATION_INSTANCE;

_Static_assert(sizeof(INET_PORT_RANGE) == 4, "INET_PORT_RANGE is 4 bytes");
_Static_assert(sizeof(INET_PORT_RESERVATION_TOKEN) == 8, "INET_PORT_RESERVATION_TOKEN is 8 bytes");
_Static_assert(sizeof(INET_PORT_RESERVATION_INSTANCE) == 16, "INET_PORT_RESERVATION_INSTANCE is 16 bytes");
_Static_assert(offsetof(INET_PORT_RESERVATION_INSTANCE, Token) == 8, "Token at offset 8");

enum { PROTO_TCP = 1, PROTO_UDP = 2 };

struct sock_id {
    int fd;
    dev_t dev;
    ino_t ino;
};

#define MAX_RESERVATIONS 256
#define MAX_ASSOCIATIONS 1024
#define MAX_EXCLUDED 32

struct reservation {
    int live;
    int persistent;
    int proto;
    uint64_t token;
    int start;
    int count;
    struct sock_id owner;      /* runtime only */
    struct sock_id *users;     /* per port; fd -1 = free */
};

struct association {
    int live;
    struct sock_id sock;
    uint64_t token;
};

struct excluded {
    int proto;
    int start;
    int count;
};

#define MAX_SOCKET_ROWS 64

struct socket_row {
    int proto;
    uint32_t af;          /* WIN_AF_INET or WIN_AF_INET6 */
    uint8_t addr[16];     /* network byte order; 4 bytes for IPv4 */
    int port;             /* host order */
    uint32_t state;       /* MIB_TCP_STATE, TCP only */
    uint32_t pid;
};

/* The documented rows (tcpmib.h, udpmib.h); checked against the sizes the Java side reads. */
typedef struct {
    uint32_t dwState;
    uint32_t dwLocalAddr;
    uint32_t dwLocalPort;
    uint32_t dwRemoteAddr;
    uint32_t dwRemotePort;
    uint32_t dwOwningPid;
} MIB_TCPROW_OWNER_PID;

typedef struct {
    uint8_t ucLocalAddr[16];
    uint32_t dwLocalScopeId;
    uint32_t dwLocalPort;
    uint8_t ucRemoteAddr[16];
    uint32_t dwRemoteScopeId;
    uint32_t dwRemotePort;
    uint32_t dwState;
    uint32_t dwOwningPid;
} MIB_TCP6ROW_OWNER_PID;

typedef struct {
    uint32_t dwLocalAddr;
    uint32_t dwLocalPort;
    uint32_t dwOwningPid;
} MIB_UDPROW_OWNER_PID;

typedef struct {
    uint8_t ucLocalAddr[16];
    uint32_t dwLocalScopeId;
    uint32_t dwLocalPort;
    uint32_t dwOwningPid;
} MIB_UDP6ROW_OWNER_PID;

_Static_assert(sizeof(MIB_TCPROW_OWNER_PID) == 24, "MIB_TCPROW_OWNER_PID is 24 bytes");
_Static_assert(sizeof(MIB_TCP6ROW_OWNER_PID) == 56, "MIB_TCP6ROW_OWNER_PID is 56 bytes");
_Static_assert(sizeof(MIB_UDPROW_OWNER_PID) == 12, "MIB_UDPROW_OWNER_PID is 12 bytes");
_Static_assert(sizeof(MIB_UDP6ROW_OWNER_PID) == 28, "MIB_UDP6ROW_OWNER_PID is 28 bytes");

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static struct reservation reservations[MAX_RESERVATIONS];
static struct association associations[MAX_ASSOCIATIONS];
static struct excluded excluded_ranges[MAX_EXCLUDED];
static int excluded_count;
static int elevated = 1;
static int window_first = 49152;
static int window_last = 65535;
static uint64_t token_counter;
static uint32_t fail_code;
static int fail_error;
static int fail_bind_error;
static struct socket_row socket_rows[MAX_SOCKET_ROWS];
static int socket_row_count;
static unsigned table_calls;
static unsigned ioctl_calls[3];
static unsigned persistent_calls;
/* The acquire hold (double_hold_acquires): its own mutex, so that held acquires do not stop the rest of the double. */
static pthread_mutex_t hold_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t hold_released = PTHREAD_COND_INITIALIZER;
static int hold_acquires;
static int held_acquirers;
static char held_acquirer_name[16];
static __thread int last_error;

/* --- helpers (call with the lock held) ------------------------------------------------------------------------ */

static int identify(SOCKET s, struct sock_id *id, int *proto) {
    struct stat st;
    int type = 0, domain = 0;
    socklen_t len = sizeof(int);
    if (s > (SOCKET) INT_MAX) {
        return WSAENOTSOCK;
    }
    id->fd = (int) s;
    if (fstat(id->fd, &st) != 0 || !S_ISSOCK(st.st_mode)) {
        return WSAENOTSOCK;
    }
    id->dev = st.st_dev;
    id->ino = st.st_ino;
    if (getsockopt(id->fd, SOL_SOCKET, SO_DOMAIN, &domain, &len) != 0 || (domain != AF_INET && domain != AF_INET6)) {
        return WSAEOPNOTSUPP;
    }
    len = sizeof(int);
    if (getsockopt(id->fd, SOL_SOCKET, SO_TYPE, &type, &len) != 0) {
        return WSAENOTSOCK;
    }
    if (type == SOCK_STREAM) {
        *proto = PROTO_TCP;
    } else if (type == SOCK_DGRAM) {
        *proto = PROTO_UDP;
    } else {
        return WSAEOPNOTSUPP;
    }
    return 0;
}

static int alive(const struct sock_id *id) {
    struct stat st;
    return id->fd >= 0 && fstat(id->fd, &st) == 0 && st.st_dev == id->dev && st.st_ino == id->ino;
}

static int same_sock(const struct sock_id *a, const struct sock_id *b) {
    return a->fd == b->fd && a->dev == b->dev && a->ino == b->ino;
}

static void drop_reservation(struct reservation *r) {
    int i;
    for (i = 0; i < MAX_ASSOCIATIONS; i++) {
        if (associations[i].live && associations[i].token == r->token) {
            associations[i].live = 0;
        }
    }
    free(r->users);
    memset(r, 0, sizeof(*r));
}

/* Forgets whatever belongs to sockets closed since the last call: this is how "a runtime reservation lasts as long
 * as the socket that acquired it" and "a bound port is free again when its socket closes" are modelled. */
static void sweep(void) {
    int i, p;
    for (i = 0; i < MAX_RESERVATIONS; i++) {
        struct reservation *r = &reservations[i];
        if (!r->live) {
            continue;
        }
        if (!r->persistent && !alive(&r->owner)) {
            drop_reservation(r);
            continue;
        }
        for (p = 0; p < r->count; p++) {
            if (r->users[p].fd >= 0 && !alive(&r->users[p])) {
                r->users[p].fd = -1;
            }
        }
    }
    for (i = 0; i < MAX_ASSOCIATIONS; i++) {
        if (associations[i].live && !alive(&associations[i].sock)) {
            associations[i].live = 0;
        }
    }
}

static struct reservation *find_token(uint64_t token) {
    int i;
    for (i = 0; i < MAX_RESERVATIONS; i++) {
        if (reservations[i].live && reservations[i].token == token) {
            return &reservations[i];
        }
    }
    return NULL;
}

__attribute__((unused)) static struct reservation *find_persistent(int proto, int start, int count) {
    int i;
    for (i = 0; i < MAX_RESERVATIONS; i++) {
        struct reservation *r = &reservations[i];
        if (r->live && r->persistent && r->proto == proto && r->start == start && r->count == count) {
            return r;
        }
    }
    return NULL;
}

static struct association *find_association(const struct sock_id *sock) {
    int i;
    for (i = 0; i < MAX_ASSOCIATIONS; i++) {
        if (associations[i].live && same_sock(&associations[i].sock, sock)) {
            return &associations[i];
        }
    }
    return NULL;
}

static int overlaps(int a_start, int a_count, int b_start, int b_count) {
    return a_start <= b_start + b_count - 1 && b_start <= a_start + a_count - 1;
}

static int block_taken(int proto, int start, int count) {
    int i;
    for (i = 0; i < MAX_RESERVATIONS; i++) {
        struct reservation *r = &reservations[i];
        if (r->live && r->proto == proto && overlaps(start, count, r->start, r->count)) {
            return 1;
        }
    }
    for (i = 0; i < excluded_count; i++) {
        if (excluded_ranges[i].proto == proto
                && overlaps(start, count, excluded_ranges[i].start, excluded_ranges[i].count)) {
            return 1;
        }
    }
    return 0;
}

static uint64_t new_token(void) {
    uint64_t token;
    do {
        token_counter++;
        token = (token_counter * 0x9E3779B97F4A7C15ULL) | 0x8000000100000000ULL;
    } while (find_token(token) != NULL);
    return token;
}

static struct reservation *add_reservation(int proto, int start, int count, int persistent) {
    int i, p;
    for (i = 0; i < MAX_RESERVATIONS; i++) {
        struct reservation *r = &reservations[i];
        if (!r->live) {
            struct sock_id *users = calloc((size_t) count, sizeof(struct sock_id));
            if (users == NULL) {
                return NULL;
            }
            for (p = 0; p < count; p++) {
                users[p].fd = -1;
            }
            r->live = 1;
            r->persistent = persistent;
            r->proto = proto;
            r->start = start;
            r->count = count;
            r->token = new_token();
            r->owner.fd = -1;
            r->users = users;
            return r;
        }
    }
    return NULL;
}

static int is_bound(int fd) {
    struct sockaddr_storage addr;
    socklen_t len = sizeof(addr);
    memset(&addr, 0, sizeof(addr));
    if (getsockname(fd, (struct sockaddr *) &addr, &len) != 0) {
        return 0;
    }
    if (addr.ss_family == AF_INET) {
        return ((struct sockaddr_in *) &addr)->sin_port != 0;
    }
    if (addr.ss_family == AF_INET6) {
        return ((struct sockaddr_in6 *) &addr)->sin6_port != 0;
    }
    return 0;
}

/* --- ws2_32 -------------------------------------------------------------------------------------------------- */

static int do_acquire(const struct sock_id *sock, int proto, const void *in, uint32_t cb_in, void *out,
                      uint32_t cb_out, uint32_t *returned) {
    INET_PORT_RANGE range;
    INET_PORT_RESERVATION_INSTANCE instance;
    struct reservation *r;
    int start, count;
    if (in == NULL || cb_in < sizeof(INET_PORT_RANGE) || out == NULL
            || cb_out < sizeof(INET_PORT_RESERVATION_INSTANCE)) {
        return WSAEINVAL;
    }
    memcpy(&range, in, sizeof(range));
    start = ntohs(range.StartPort);
    count = range.NumberOfPorts;
    if (count == 0 || start + count - 1 > 65535) {
        return WSAEINVAL;
    }
    if (start == 0) {
        int candidate;
        for (candidate = window_first; candidate >= 1 && candidate + count - 1 <= window_last; candidate++) {
            if (!block_taken(proto, candidate, count)) {
                start = candidate;
                break;
            }
        }
        if (start == 0) {
            return WSAEADDRINUSE;
        }
    } else if (block_taken(proto, start, count)) {
        return WSAEADDRINUSE;
    }
    r = add_reservation(proto, start, count, 0);
    if (r == NULL) {
        return WSAENOBUFS;
    }
    r->owner = *sock;
    memset(&instance, 0, sizeof(instance));
    instance.Reservation.StartPort = htons((uint16_t) start);
    instance.Reservation.NumberOfPorts = (uint16_t) count;
    instance.Token.Token = r->token;
    memcpy(out, &instance, sizeof(instance));
    *returned = sizeof(instance);
    return 0;
}

static int read_token(const void *in, uint32_t cb_in, uint64_t *token) {
    INET_PORT_RESERVATION_TOKEN t;
    if (in == NULL || cb_in < sizeof(INET_PORT_RESERVATION_TOKEN)) {
        return WSAEINVAL;
    }
    memcpy(&t, in, sizeof(t));
    *token = t.Token;
    return 0;
}

static int do_associate(const struct sock_id *sock, int proto, const void *in, uint32_t cb_in) {
    uint64_t token;
    struct reservation *r;
    struct association *a;
    int i, error = read_token(in, cb_in, &token);
    if (error != 0) {
        return error;
    }
    r = find_token(token);
    if (r == NULL || r->proto != proto) {
        return WSAEINVAL;
    }
    if (r->persistent && !elevated) {
        return WSAEACCES;
    }
    if (is_bound(sock->fd)) {
        return WSAEINVAL;
    }
    a = find_association(sock);
    for (i = 0; a == NULL && i < MAX_ASSOCIATIONS; i++) {
        if (!associations[i].live) {
            a = &associations[i];
        }
    }
    if (a == NULL) {
        return WSAENOBUFS;
    }
    a->live = 1;
    a->sock = *sock;
    a->token = token;
    return 0;
}

static int do_release(int proto, const void *in, uint32_t cb_in, uint32_t cb_out) {
    uint64_t token;
    struct reservation *r;
    int error = read_token(in, cb_in, &token);
    if (error != 0) {
        return error;
    }
    if (cb_out != 0) {
        return WSAEINVAL;
    }
    r = find_token(token);
    if (r == NULL || r->persistent || r->proto != proto) {
        return WSAEINVAL;
    }
    drop_reservation(r);
    return 0;
}

/* Blocks the calling acquire while double_hold_acquires(1) is in force, as Windows' acquire IOCTL can block. */
static void wait_while_acquires_held(void) {
    pthread_mutex_lock(&hold_lock);
    if (hold_acquires) {
        held_acquirers++;
        prctl(PR_GET_NAME, held_acquirer_name, 0, 0, 0);
        while (hold_acquires) {
            pthread_cond_wait(&hold_released, &hold_lock);
        }
        held_acquirers--;
    }
    pthread_mutex_unlock(&hold_lock);
}

EXPORT int WSAIoctl(SOCKET s, uint32_t code, void *in, uint32_t cb_in, void *out, uint32_t cb_out,
                    uint32_t *returned, void *overlapped, void *completion) {
    struct sock_id sock;
    int proto = 0, error;
    if (code == SIO_ACQUIRE_PORT_RESERVATION) {
        wait_while_acquires_held();
    }
    pthread_mutex_lock(&lock);
    sweep();
    if (code >= SIO_ACQUIRE_PORT_RESERVATION && code <= SIO_ASSOCIATE_PORT_RESERVATION) {
        ioctl_calls[code - SIO_ACQUIRE_PORT_RESERVATION]++;
    }
    if (returned == NULL) {
        error = WSAEFAULT;
    } else if (overlapped != NULL || completion != NULL) {
        *returned = 0;
        error = WSAEINVAL;
    } else if ((*returned = 0, error = identify(s, &sock, &proto)) != 0) {
        /* error set */
    } else if (fail_code == code && fail_error != 0) {
        error = fail_error;
        fail_code = 0;
        fail_error = 0;
    } else if (code == SIO_ACQUIRE_PORT_RESERVATION) {
        error = do_acquire(&sock, proto, in, cb_in, out, cb_out, returned);
    } else if (code == SIO_ASSOCIATE_PORT_RESERVATION) {
        error = do_associate(&sock, proto, in, cb_in);
    } else if (code == SIO_RELEASE_PORT_RESERVATION) {
        error = do_release(proto, in, cb_in, cb_out);
    } else {
        error = WSAEINVAL;
    }
    pthread_mutex_unlock(&lock);
    if (error != 0) {
        last_error = error;
        errno = error;
        return SOCKET_ERROR;
    }
    return 0;
}

EXPORT int WSAGetLastError(void) {
    return last_error;
}

/* --- iphlpapi ------------------------------------------------------------------------------------------------ */

#ifndef DOUBLE_WITHOUT_PERSISTENT

static uint32_t create_persistent(int proto, uint16_t start_ns, uint16_t count, uint64_t *token) {
    int start = ntohs(start_ns);
    struct reservation *r;
    uint32_t status = NO_ERROR;
    pthread_mutex_lock(&lock);
    sweep();
    persistent_calls++;
    if (!elevated) {
        status = ERROR_ACCESS_DENIED;
    } else if (token == NULL || start == 0 || count == 0 || start + count - 1 > 65535) {
        status = ERROR_INVALID_PARAMETER;
    } else if (block_taken(proto, start, count)) {
        status = ERROR_SHARING_VIOLATION;
    } else if ((r = add_reservation(proto, start, count, 1)) == NULL) {
        status = ERROR_SHARING_VIOLATION;
    } else {
        *token = r->token;
    }
    pthread_mutex_unlock(&lock);
    return status;
}

static uint32_t lookup_persistent(int proto, uint16_t start_ns, uint16_t count, uint64_t *token) {
    struct reservation *r;
    uint32_t status = NO_ERROR;
    pthread_mutex_lock(&lock);
    sweep();
    persistent_calls++;
    if (token == NULL) {
        status = ERROR_INVALID_PARAMETER;
    } else if ((r = find_persistent(proto, ntohs(start_ns), count)) == NULL) {
        status = ERROR_NOT_FOUND;
    } else {
        *token = r->token;
    }
    pthread_mutex_unlock(&lock);
    return status;
}

static uint32_t delete_persistent(int proto, uint16_t start_ns, uint16_t count) {
    struct reservation *r;
    uint32_t status = NO_ERROR;
    pthread_mutex_lock(&lock);
    sweep();
    persistent_calls++;
    if (!elevated) {
        status = ERROR_ACCESS_DENIED;
    } else if ((r = find_persistent(proto, ntohs(start_ns), count)) == NULL) {
        status = ERROR_NOT_FOUND;
    } else {
        drop_reservation(r);
    }
    pthread_mutex_unlock(&lock);
    return status;
}

EXPORT uint32_t CreatePersistentTcpPortReservation(uint16_t start, uint16_t count, uint64_t *token) {
    return create_persistent(PROTO_TCP, start, count, token);
}

EXPORT uint32_t CreatePersistentUdpPortReservation(uint16_t start, uint16_t count, uint64_t *token) {
    return create_persistent(PROTO_UDP, start, count, token);
}

EXPORT uint32_t LookupPersistentTcpPortReservation(uint16_t start, uint16_t count, uint64_t *token) {
    return lookup_persistent(PROTO_TCP, start, count, token);
}

EXPORT uint32_t LookupPersistentUdpPortReservation(uint16_t start, uint16_t count, uint64_t *token) {
    return lookup_persistent(PROTO_UDP, start, count, token);
}

EXPORT uint32_t DeletePersistentTcpPortReservation(uint16_t start, uint16_t count) {
    return delete_persistent(PROTO_TCP, start, count);
}

EXPORT uint32_t DeletePersistentUdpPortReservation(uint16_t start, uint16_t count) {
    return delete_persistent(PROTO_UDP, start, count);
}

#endif

/* --- iphlpapi socket tables and shell32 IsUserAnAdmin ------------------------------------------------------------ */

#ifndef DOUBLE_WITHOUT_TABLES

static uint32_t port_field(int port) {
    return (uint32_t) htons((uint16_t) port) | 0xBEEF0000u;
}

/* Writes the rows of `proto`/`af` that `cls` selects into `table` (NULL: only counts); returns the number of bytes. */
static size_t write_table(int proto, uint32_t af, int cls, uint8_t *table) {
    size_t row_size = proto == PROTO_TCP ? (af == WIN_AF_INET ? sizeof(MIB_TCPROW_OWNER_PID)
                                                               : sizeof(MIB_TCP6ROW_OWNER_PID))
                                          : (af == WIN_AF_INET ? sizeof(MIB_UDPROW_OWNER_PID)
                                                               : sizeof(MIB_UDP6ROW_OWNER_PID));
    uint32_t n = 0;
    int i;
    for (i = 0; i < socket_row_count; i++) {
        const struct socket_row *r = &socket_rows[i];
        uint8_t *row;
        if (r->proto != proto || r->af != af) {
            continue;
        }
        if (proto == PROTO_TCP && ((cls == TCP_TABLE_OWNER_PID_LISTENER && r->state != MIB_TCP_STATE_LISTEN)
                || (cls == TCP_TABLE_OWNER_PID_CONNECTIONS && r->state == MIB_TCP_STATE_LISTEN))) {
            continue;
        }
        row = table == NULL ? NULL : table + sizeof(uint32_t) + n * row_size;
        n++;
        if (row == NULL) {
            continue;
        }
        memset(row, 0, row_size);
        if (proto == PROTO_TCP && af == WIN_AF_INET) {
            MIB_TCPROW_OWNER_PID v = {0};
            v.dwState = r->state;
            memcpy(&v.dwLocalAddr, r->addr, 4);
            v.dwLocalPort = port_field(r->port);
            v.dwOwningPid = r->pid;
            memcpy(row, &v, sizeof(v));
        } else if (proto == PROTO_TCP) {
            MIB_TCP6ROW_OWNER_PID v;
            memset(&v, 0, sizeof(v));
            memcpy(v.ucLocalAddr, r->addr, 16);
            v.dwLocalPort = port_field(r->port);
            v.dwState = r->state;
            v.dwOwningPid = r->pid;
            memcpy(row, &v, sizeof(v));
        } else if (af == WIN_AF_INET) {
            MIB_UDPROW_OWNER_PID v = {0};
            memcpy(&v.dwLocalAddr, r->addr, 4);
            v.dwLocalPort = port_field(r->port);
            v.dwOwningPid = r->pid;
            memcpy(row, &v, sizeof(v));
        } else {
            MIB_UDP6ROW_OWNER_PID v;
            memset(&v, 0, sizeof(v));
            memcpy(v.ucLocalAddr, r->addr, 16);
            v.dwLocalPort = port_field(r->port);
            v.dwOwningPid = r->pid;
            memcpy(row, &v, sizeof(v));
        }
    }
    if (table != NULL) {
        memcpy(table, &n, sizeof(n));
    }
    return sizeof(uint32_t) + n * row_size;
}

static uint32_t extended_table(int proto, void *table, uint32_t *size, uint32_t af, int cls, uint32_t reserved) {
    size_t needed;
    uint32_t status = NO_ERROR;
    int valid_class = proto == PROTO_TCP ? (cls >= TCP_TABLE_OWNER_PID_LISTENER && cls <= TCP_TABLE_OWNER_PID_ALL)
                                         : cls == UDP_TABLE_OWNER_PID;
    pthread_mutex_lock(&lock);
    table_calls++;
    if (size == NULL || (af != WIN_AF_INET && af != WIN_AF_INET6) || reserved != 0 || !valid_class) {
        status = ERROR_INVALID_PARAMETER;
    } else if ((needed = write_table(proto, af, cls, NULL)), table == NULL || *size < needed) {
        *size = (uint32_t) needed;
        status = ERROR_INSUFFICIENT_BUFFER;
    } else {
        write_table(proto, af, cls, table);
    }
    pthread_mutex_unlock(&lock);
    return status;
}

EXPORT uint32_t GetExtendedTcpTable(void *table, uint32_t *size, int32_t order, uint32_t af, int32_t cls,
                                    uint32_t reserved) {
    (void) order;
    return extended_table(PROTO_TCP, table, size, af, cls, reserved);
}

EXPORT uint32_t GetExtendedUdpTable(void *table, uint32_t *size, int32_t order, uint32_t af, int32_t cls,
                                    uint32_t reserved) {
    (void) order;
    return extended_table(PROTO_UDP, table, size, af, cls, reserved);
}

EXPORT int32_t IsUserAnAdmin(void) {
    int32_t result;
    pthread_mutex_lock(&lock);
    result = elevated ? 1 : 0;
    pthread_mutex_unlock(&lock);
    return result;
}

#endif

/* --- test-only controls and queries --------------------------------------------------------------------------- */

EXPORT void double_hold_acquires(int on);

/** Forgets every reservation and association and restores the defaults (elevated, window 49152-65535). */
EXPORT void double_reset(void) {
    int i;
    pthread_mutex_lock(&lock);
    for (i = 0; i < MAX_RESERVATIONS; i++) {
        if (reservations[i].live) {
            drop_reservation(&reservations[i]);
        }
    }
    memset(associations, 0, sizeof(associations));
    excluded_count = 0;
    elevated = 1;
    window_first = 49152;
    window_last = 65535;
    fail_code = 0;
    fail_error = 0;
    fail_bind_error = 0;
    memset(ioctl_calls, 0, sizeof(ioctl_calls));
    persistent_calls = 0;
    socket_row_count = 0;
    table_calls = 0;
    pthread_mutex_unlock(&lock);
    double_hold_acquires(0);
}

/** Whether the caller counts as an elevated administrator (persistent create/delete, persistent associate). */
EXPORT void double_set_elevated(int value) {
    pthread_mutex_lock(&lock);
    elevated = value;
    pthread_mutex_unlock(&lock);
}

/** Where SIO_ACQUIRE with StartPort 0 places blocks (host order, both included). */
EXPORT void double_set_dynamic_window(int first, int last) {
    pthread_mutex_lock(&lock);
    window_first = first;
    window_last = last;
    pthread_mutex_unlock(&lock);
}

/** An administratively excluded range (protocol 1 = TCP, 2 = UDP); SIO_ACQUIRE overlapping it fails. */
EXPORT int double_add_excluded_range(int proto, int start, int count) {
    int ok = 0;
    pthread_mutex_lock(&lock);
    if (excluded_count < MAX_EXCLUDED) {
        excluded_ranges[excluded_count].proto = proto;
        excluded_ranges[excluded_count].start = start;
        excluded_ranges[excluded_count].count = count;
        excluded_count++;
        ok = 1;
    }
    pthread_mutex_unlock(&lock);
    return ok;
}

/**
 * While `on` is 1, every SIO_ACQUIRE_PORT_RESERVATION blocks its caller before doing anything, until a call with 0
 * releases them all (then they run as usual).
 */
EXPORT void double_hold_acquires(int on) {
    pthread_mutex_lock(&hold_lock);
    hold_acquires = on;
    if (!on) {
        pthread_cond_broadcast(&hold_released);
    }
    pthread_mutex_unlock(&hold_lock);
}

/** How many acquires are blocked by the hold now; the native name of the last one's thread goes into `name[16]`. */
EXPORT int double_held_acquirers(char name[16]) {
    int n;
    pthread_mutex_lock(&hold_lock);
    n = held_acquirers;
    memcpy(name, held_acquirer_name, sizeof(held_acquirer_name));
    pthread_mutex_unlock(&hold_lock);
    return n;
}

/** The next WSAIoctl with `code` on a valid socket fails with `error`, before doing anything. */
EXPORT void double_fail_next_ioctl(uint32_t code, int error) {
    pthread_mutex_lock(&lock);
    fail_code = code;
    fail_error = error;
    pthread_mutex_unlock(&lock);
}

/** How many WSAIoctl calls were made with `code` since the last reset. */
EXPORT int double_ioctl_calls(uint32_t code) {
    int n = 0;
    pthread_mutex_lock(&lock);
    if (code >= SIO_ACQUIRE_PORT_RESERVATION && code <= SIO_ASSOCIATE_PORT_RESERVATION) {
        n = (int) ioctl_calls[code - SIO_ACQUIRE_PORT_RESERVATION];
    }
    pthread_mutex_unlock(&lock);
    return n;
}

/** How many persistent-reservation calls were made since the last reset. */
EXPORT int double_persistent_calls(void) {
    int n;
    pthread_mutex_lock(&lock);
    n = (int) persistent_calls;
    pthread_mutex_unlock(&lock);
    return n;
}

/** Number of live runtime reservations (after forgetting those whose socket closed). */
EXPORT int double_runtime_reservations(void) {
    int i, n = 0;
    pthread_mutex_lock(&lock);
    sweep();
    for (i = 0; i < MAX_RESERVATIONS; i++) {
        if (reservations[i].live && !reservations[i].persistent) {
            n++;
        }
    }
    pthread_mutex_unlock(&lock);
    return n;
}

/** Writes the block (host order) of the live reservation `token` to block[0] (start) and block[1] (count);
 * returns 0, or -1 when there is no such reservation. */
EXPORT int double_reservation_block(uint64_t token, int block[2]) {
    struct reservation *r;
    int result = -1;
    pthread_mutex_lock(&lock);
    sweep();
    r = find_token(token);
    if (r != NULL) {
        block[0] = r->start;
        block[1] = r->count;
        result = 0;
    }
    pthread_mutex_unlock(&lock);
    return result;
}

/** Number of ports of `token` bound by live sockets, or -1 when the reservation does not exist. */
EXPORT int double_reservation_ports_in_use(uint64_t token) {
    struct reservation *r;
    int p, n = -1;
    pthread_mutex_lock(&lock);
    sweep();
    r = find_token(token);
    if (r != NULL) {
        n = 0;
        for (p = 0; p < r->count; p++) {
            if (r->users[p].fd >= 0) {
                n++;
            }
        }
    }
    pthread_mutex_unlock(&lock);
    return n;
}

/** The token associated with socket `s` and not yet consumed by a bind, or 0. */
EXPORT uint64_t double_associated_token(SOCKET s) {
    struct sock_id sock;
    struct association *a;
    int proto;
    uint64_t token = 0;
    pthread_mutex_lock(&lock);
    sweep();
    if (identify(s, &sock, &proto) == 0 && (a = find_association(&sock)) != NULL) {
        token = a->token;
    }
    pthread_mutex_unlock(&lock);
    return token;
}

/**
 * A fake row of the socket tables: protocol 1 = TCP, 2 = UDP; af 2 = AF_INET, 23 = AF_INET6; `address` in text form
 * ("127.0.0.1", "::"); `state` a MIB_TCP_STATE (ignored for UDP). Returns 1, or 0 when the address does not parse
 * or the table is full.
 */
EXPORT int double_add_socket_row(int proto, uint32_t af, const char *address, int port, uint32_t state,
                                 uint32_t pid) {
    int ok = 0;
    struct socket_row r;
    memset(&r, 0, sizeof(r));
    r.proto = proto;
    r.af = af;
    r.port = port;
    r.state = state;
    r.pid = pid;
    if (inet_pton(af == WIN_AF_INET ? AF_INET : AF_INET6, address, r.addr) != 1) {
        return 0;
    }
    pthread_mutex_lock(&lock);
    if (socket_row_count < MAX_SOCKET_ROWS) {
        socket_rows[socket_row_count++] = r;
        ok = 1;
    }
    pthread_mutex_unlock(&lock);
    return ok;
}

/** How many GetExtendedTcpTable/GetExtendedUdpTable calls were made since the last reset. */
EXPORT int double_table_calls(void) {
    int n;
    pthread_mutex_lock(&lock);
    n = (int) table_calls;
    pthread_mutex_unlock(&lock);
    return n;
}

/** The next double_bind_port fails with `error` (before anything else), as a refused bind() would. */
EXPORT void double_fail_next_bind(int error) {
    pthread_mutex_lock(&lock);
    fail_bind_error = error;
    pthread_mutex_unlock(&lock);
}

/**
 * What Windows' bind() would give socket `s` asked for port `requested` (host order): the port, or -1 with the
 * error in WSAGetLastError/errno. See the header comment for the rules.
 */
EXPORT int double_bind_port(SOCKET s, int requested) {
    struct sock_id sock;
    struct association *a = NULL;
    struct reservation *r = NULL;
    int proto, p, port = -1, error = 0;
    pthread_mutex_lock(&lock);
    sweep();
    if ((error = identify(s, &sock, &proto)) != 0) {
        /* error set */
    } else if (fail_bind_error != 0) {
        error = fail_bind_error;
        fail_bind_error = 0;
    } else if ((a = find_association(&sock)) == NULL) {
        port = requested;
    } else if ((r = find_token(a->token)) == NULL) {
        error = WSAEINVAL;
    } else if (requested == 0) {
        for (p = 0; p < r->count && port < 0; p++) {
            if (r->users[p].fd < 0) {
                port = r->start + p;
            }
        }
        if (port < 0) {
            error = WSAEADDRINUSE;
        }
    } else if (requested < r->start || requested > r->start + r->count - 1) {
        error = WSAEINVAL;
    } else if (r->users[requested - r->start].fd >= 0) {
        error = WSAEADDRINUSE;
    } else {
        port = requested;
    }
    if (port > 0 && a != NULL && error == 0 && (r = find_token(a->token)) != NULL) {
        r->users[port - r->start] = sock;
        a->live = 0;
    }
    pthread_mutex_unlock(&lock);
    if (error != 0) {
        last_error = error;
        errno = error;
        return -1;
    }
    return port;
}
