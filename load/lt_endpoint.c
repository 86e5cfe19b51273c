/*
** lt_endpoint.c - the per-group endpoint relay of the real-library
** clients (see lt_endpoint.h for why it exists and what it emulates).
**
** One thread, one poll over the listeners and both sockets of every open
** pair. Each direction of a pair has one buffer: read from its source
** only when empty, written to its destination as that takes it, so a slow
** side stalls its peer through TCP as a direct connection would. A pair
** ends when either side reaches EOF or fails and what it sent has been
** passed on (the close frame of a server-side close reaches the client
** before its socket closes). Upstream connects are non-blocking with a
** bound (UPSTREAM_TIMEOUT_MS); a refused one closes the client at once,
** which the library sees as a failed attempt.
*/
#define _GNU_SOURCE /* accept4 */
#include "load/lt_endpoint.h"
#include "load/lt_client_int.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define EP_MAX_PAIRS (2 * LT_MAX_CLIENTS)
#define EP_BUF 16384
#define UPSTREAM_TIMEOUT_MS 1000
#define POLL_MS 50

typedef struct dir {
    char buf[EP_BUF];
    size_t len, off;
    bool eof;
} dir;

typedef struct pair {
    int fd[2];          /* [0] client side, [1] broker side; -1 = free slot */
    dir d[2];           /* d[0]: client -> broker, d[1]: broker -> client */
    int client_port, upstream_port, node;
} pair;

struct lt_endpoint {
    lt_ctx *x;
    size_t nslots;
    int *lfd, *lport;
    pair *pairs;
    pthread_mutex_t mu; /* guards pairs[].fd, client_port, upstream_port, node */
    pthread_t th;
    bool th_ok;
    volatile int stop;
};

static int port_of(int fd, bool peer)
{
    struct sockaddr_in a;
    socklen_t n = sizeof a;
    if ((peer ? getpeername : getsockname)(fd, (struct sockaddr *)&a, &n) || a.sin_family != AF_INET)
        return 0;
    return ntohs(a.sin_port);
}

static int listen_loopback(int *port)
{
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0) return -1;
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    if (bind(fd, (struct sockaddr *)&a, sizeof a) || listen(fd, 64)) {
        close(fd);
        return -1;
    }
    *port = port_of(fd, false);
    return fd;
}

/* A connection to 127.0.0.1:port within UPSTREAM_TIMEOUT_MS, or -1. */
static int connect_upstream(const lt_url *u)
{
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0) return -1;
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)u->port)};
    if (inet_pton(AF_INET, u->host, &a.sin_addr) != 1) a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (connect(fd, (struct sockaddr *)&a, sizeof a) && errno != EINPROGRESS) {
        close(fd);
        return -1;
    }
    struct pollfd p = {.fd = fd, .events = POLLOUT};
    int soerr = 0;
    socklen_t n = sizeof soerr;
    if (poll(&p, 1, UPSTREAM_TIMEOUT_MS) != 1 || getsockopt(fd, SOL_SOCKET, SO_ERROR, &soerr, &n) ||
        soerr) {
        close(fd);
        return -1;
    }
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    return fd;
}

static void pair_close(lt_endpoint *e, pair *p)
{
    pthread_mutex_lock(&e->mu);
    for (int i = 0; i < 2; i++)
        if (p->fd[i] >= 0) close(p->fd[i]);
    p->fd[0] = p->fd[1] = -1;
    pthread_mutex_unlock(&e->mu);
}

/* A client of slot connected: refuse it (the group is blocked, no free
** pair, the node does not answer) or pair it with the routed node. */
static void admit(lt_endpoint *e, int slot)
{
    int cfd = accept4(e->lfd[slot], NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (cfd < 0) return;
    lt_ctx *x = e->x;
    double now = lt_now(x);
    pthread_mutex_lock(&x->mu);
    bool blocked = lt_slot_blocked(x, (size_t)slot, now);
    pthread_mutex_unlock(&x->mu);
    pair *p = NULL;
    for (size_t i = 0; !blocked && i < EP_MAX_PAIRS && !p; i++)
        if (e->pairs[i].fd[0] < 0) p = &e->pairs[i];
    int node = lt_route_node(x);
    int ufd = blocked || !p ? -1 : connect_upstream(&x->nodes[node]);
    if (ufd < 0) {
        close(cfd);
        return;
    }
    int one = 1;
    setsockopt(cfd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    pthread_mutex_lock(&e->mu);
    memset(p->d, 0, sizeof p->d);
    p->fd[0] = cfd;
    p->fd[1] = ufd;
    p->client_port = port_of(cfd, true);
    p->upstream_port = port_of(ufd, false);
    p->node = node;
    pthread_mutex_unlock(&e->mu);
}

/* Move what direction k of p can move now; false when the pair ends. */
static bool step(pair *p, int k, short rev_src, short rev_dst)
{
    dir *d = &p->d[k];
    int src = p->fd[k], dst = p->fd[1 - k];
    if (d->len == 0 && !d->eof && (rev_src & (POLLIN | POLLHUP | POLLERR))) {
        ssize_t n = read(src, d->buf, sizeof d->buf);
        if (n > 0) d->len = (size_t)n, d->off = 0;
        else if (n == 0 || (errno != EAGAIN && errno != EINTR)) d->eof = true;
    }
    if (d->len > 0 && (rev_dst & POLLOUT)) {
        ssize_t n = send(dst, d->buf + d->off, d->len - d->off, MSG_NOSIGNAL);
        if (n > 0) {
            d->off += (size_t)n;
            if (d->off == d->len) d->len = d->off = 0;
        } else if (n < 0 && errno != EAGAIN && errno != EINTR) {
            return false; /* the other side is gone */
        }
    }
    return !(d->eof && d->len == 0);
}

static void *relay_main(void *arg)
{
    lt_endpoint *e = arg;
    size_t cap = e->nslots + 2 * EP_MAX_PAIRS;
    struct pollfd *pf = calloc(cap, sizeof *pf);
    int *who = calloc(cap, sizeof *who); /* pair index, or -1 - slot for a listener */
    SIM_NEED(pf && who, "out of memory for the endpoint relay");
    while (!e->stop) {
        nfds_t n = 0;
        for (size_t s = 0; s < e->nslots; s++) {
            pf[n] = (struct pollfd){.fd = e->lfd[s], .events = POLLIN};
            who[n++] = -1 - (int)s;
        }
        for (size_t i = 0; i < EP_MAX_PAIRS; i++) {
            pair *p = &e->pairs[i];
            if (p->fd[0] < 0) continue;
            for (int k = 0; k < 2; k++) {
                short ev = 0;
                if (p->d[k].len == 0 && !p->d[k].eof) ev |= POLLIN;     /* k reads */
                if (p->d[1 - k].len > 0) ev |= POLLOUT;                 /* k is written */
                pf[n] = (struct pollfd){.fd = p->fd[k], .events = ev};
                who[n++] = (int)i;
            }
        }
        if (poll(pf, n, POLL_MS) <= 0) continue;
        for (nfds_t j = 0; j < n; j++) {
            if (who[j] < 0) {
                if (pf[j].revents & POLLIN) admit(e, -1 - who[j]);
                continue;
            }
            /* a pair's two entries are adjacent: handle it at its first */
            if (j + 1 >= n || who[j + 1] != who[j]) continue;
            pair *p = &e->pairs[who[j]];
            short r0 = pf[j].revents, r1 = pf[j + 1].revents;
            bool alive = step(p, 0, r0, r1) && step(p, 1, r1, r0);
            if (!alive) pair_close(e, p);
            j++;
        }
    }
    free(pf);
    free(who);
    return NULL;
}

int lt_endpoint_start(lt_ctx *x, size_t nslots, lt_endpoint **out, sim_err *err)
{
    *out = NULL;
    lt_endpoint *e = calloc(1, sizeof *e);
    SIM_NEED(e != NULL, "out of memory");
    e->x = x;
    e->nslots = nslots;
    e->lfd = malloc((nslots ? nslots : 1) * sizeof *e->lfd);
    e->lport = calloc(nslots ? nslots : 1, sizeof *e->lport);
    e->pairs = malloc(EP_MAX_PAIRS * sizeof *e->pairs);
    pthread_mutex_init(&e->mu, NULL);
    SIM_NEED(e->lfd && e->lport && e->pairs, "out of memory");
    for (size_t i = 0; i < EP_MAX_PAIRS; i++) e->pairs[i].fd[0] = e->pairs[i].fd[1] = -1;
    for (size_t s = 0; s < nslots; s++) e->lfd[s] = -1;
    for (size_t s = 0; s < nslots; s++) {
        e->lfd[s] = listen_loopback(&e->lport[s]);
        if (e->lfd[s] < 0) {
            sim_err_set(err, "cannot listen on loopback for the clients' endpoint: %s", strerror(errno));
            lt_endpoint_free(e);
            return -1;
        }
    }
    e->th_ok = pthread_create(&e->th, NULL, relay_main, e) == 0;
    if (!e->th_ok) {
        lt_endpoint_free(e);
        return sim_err_set(err, "cannot start the clients' endpoint relay");
    }
    *out = e;
    return 0;
}

int lt_endpoint_port(const lt_endpoint *e, int slot)
{
    return slot >= 0 && (size_t)slot < e->nslots ? e->lport[slot] : 0;
}

int lt_endpoint_lookup(lt_endpoint *e, int client_port, int *node, int *upstream_port)
{
    int rc = -1;
    pthread_mutex_lock(&e->mu);
    for (size_t i = 0; i < EP_MAX_PAIRS && rc; i++) {
        const pair *p = &e->pairs[i];
        if (p->fd[0] < 0 || p->client_port != client_port) continue;
        *node = p->node;
        *upstream_port = p->upstream_port;
        rc = 0;
    }
    pthread_mutex_unlock(&e->mu);
    return rc;
}

void lt_endpoint_free(lt_endpoint *e)
{
    if (!e) return;
    e->stop = 1;
    if (e->th_ok) pthread_join(e->th, NULL);
    for (size_t i = 0; e->pairs && i < EP_MAX_PAIRS; i++)
        for (int k = 0; k < 2; k++)
            if (e->pairs[i].fd[k] >= 0) close(e->pairs[i].fd[k]);
    for (size_t s = 0; e->lfd && s < e->nslots; s++)
        if (e->lfd[s] >= 0) close(e->lfd[s]);
    pthread_mutex_destroy(&e->mu);
    free(e->lfd);
    free(e->lport);
    free(e->pairs);
    free(e);
}
