/*
 * The transport moves datagrams: agent strings, name resolution with
 * getaddrinfo on libuv's thread pool, and the UDP handles (one per
 * address family, opened on first use) with their send batch and receive
 * path.  It takes datagrams (address, bytes, a token) and gives back
 * datagrams (source, bytes), send results and addresses, through the
 * callbacks its owner registered (usnmp__transport_ops); it knows
 * nothing of requests or targets.
 *
 * Two ways to move datagrams, chosen at build time (meson.build):
 *
 *   - on Linux (USNMP_HAVE_SENDMMSG), receiving uses libuv's recvmmsg
 *     support (UV_UDP_RECVMMSG): alloc_cb hands out the manager's one large
 *     buffer, libuv splits it into 64 KiB chunks, calls recv_cb once per
 *     datagram with UV_UDP_MMSG_CHUNK, and finally once with
 *     UV_UDP_MMSG_FREE so the buffer's owner could free it (the buffer
 *     belongs to the manager for its whole life, so that call has nothing
 *     to do); and sending is batched: datagrams queued during one loop
 *     iteration (usnmp__transport_queue) leave
 *     together with sendmmsg() on the handle's socket, from a prepare
 *     handle (before the loop blocks) and a check handle (right after the
 *     I/O callbacks, so answers that start new requests send them in the
 *     same iteration);
 *   - everywhere else, or with -Dportable_transport=true, libuv's own
 *     path: one datagram per read into a 64 KiB buffer, and the same batch
 *     sent one datagram at a time with uv_udp_try_send().
 *
 * In both, when the socket is full, the remaining datagrams go through
 * uv_udp_send() with a copy, so libuv sends them when the socket is
 * writable again.
 */
/* sendmmsg() and SO_RCVBUFFORCE are Linux extensions, declared only with
 * _GNU_SOURCE: this file alone asks for them (the rest of the library is
 * POSIX C). */
#if defined(__linux__) && !defined(_GNU_SOURCE)
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <net/if.h>
#include <netdb.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>

#include "manager_int.h"

#if USNMP_HAVE_SENDMMSG
/* recvmmsg reads up to this many datagrams per system call. */
#define RECV_CHUNKS USNMP__RECV_CHUNKS
#define UDP_FLAGS UV_UDP_RECVMMSG
#else
#define RECV_CHUNKS 1
#define UDP_FLAGS 0
#endif

/* ------------------------------------------------------------------------
 * Agent strings
 * ------------------------------------------------------------------------ */

static int parse_port(const char *s, size_t len, uint16_t *port) {
  uint32_t v = 0;
  size_t i;
  if (len == 0 || len > 5)
    return USNMP_E_INVAL;
  for (i = 0; i < len; i++) {
    if (s[i] < '0' || s[i] > '9')
      return USNMP_E_INVAL;
    v = v * 10 + (uint32_t)(s[i] - '0');
  }
  if (v == 0 || v > 65535)
    return USNMP_E_INVAL;
  *port = (uint16_t)v;
  return 0;
}

/* Host names: letters, digits, '-', '_' and '.', as getaddrinfo would
 * take them for DNS; anything else is a syntax error rather than a
 * lookup. */
static int valid_hostname(const char *s, size_t len) {
  size_t i;
  if (len == 0 || len > 253)
    return 0;
  for (i = 0; i < len; i++) {
    char c = s[i];
    if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
          (c >= '0' && c <= '9') || c == '-' || c == '_' || c == '.'))
      return 0;
  }
  return 1;
}

/* Parses an IPv6 zone ("eth0", "lo" or a numeric index) into *scope.
 * Returns 0 or USNMP_E_INVAL (empty, unknown interface, index over
 * 2^32-1). */
static int parse_zone(const char *zone, uint32_t *scope) {
  uint64_t v = 0;
  size_t i, len = strlen(zone);
  if (len == 0 || len >= IF_NAMESIZE)
    return USNMP_E_INVAL;
  for (i = 0; i < len && zone[i] >= '0' && zone[i] <= '9'; i++) {
    v = v * 10 + (uint64_t)(zone[i] - '0');
    if (v > UINT32_MAX)
      return USNMP_E_INVAL;
  }
  if (i == len) {
    *scope = (uint32_t)v;
    return 0;
  }
  *scope = if_nametoindex(zone);
  return *scope != 0 ? 0 : USNMP_E_INVAL;
}

int usnmp__agent_parse(const char *agent, struct sockaddr_storage *addr,
                       char *host, size_t host_size, const char **host_out,
                       int *family) {
  return usnmp__agent_parse_port(agent, 161, addr, host, host_size, host_out,
                                 family);
}

int usnmp__agent_parse_port(const char *agent, uint16_t default_port,
                            struct sockaddr_storage *addr, char *host,
                            size_t host_size, const char **host_out,
                            int *family) {
  const char *s = agent;
  const char *h;
  size_t hlen;
  uint16_t port = default_port;
  char *zone;
  int fam = AF_UNSPEC;
  int bracketed = 0;
  char tmp[256];

  if (agent == NULL || default_port == 0)
    return USNMP_E_INVAL;
  if (strncmp(s, "udp6:", 5) == 0) {
    fam = AF_INET6;
    s += 5;
  } else if (strncmp(s, "udp:", 4) == 0) {
    fam = AF_INET;
    s += 4;
  }
  if (*s == '[') {
    const char *end = strchr(s, ']');
    if (end == NULL)
      return USNMP_E_INVAL;
    h = s + 1;
    hlen = (size_t)(end - h);
    if (end[1] == ':') {
      if (parse_port(end + 2, strlen(end + 2), &port) < 0)
        return USNMP_E_INVAL;
    } else if (end[1] != '\0') {
      return USNMP_E_INVAL;
    }
    if (fam == AF_INET)
      return USNMP_E_INVAL;
    fam = AF_INET6;
    bracketed = 1;
  } else {
    const char *colon = strchr(s, ':');
    h = s;
    hlen = strlen(s);
    if (colon != NULL && strchr(colon + 1, ':') == NULL) {
      /* One colon: host:port. */
      hlen = (size_t)(colon - s);
      if (parse_port(colon + 1, strlen(colon + 1), &port) < 0)
        return USNMP_E_INVAL;
    } else if (colon != NULL) {
      /* Two or more colons: a bare IPv6 literal without a port. */
      if (fam == AF_INET)
        return USNMP_E_INVAL;
      fam = AF_INET6;
    }
  }
  if (hlen == 0 || hlen >= sizeof(tmp) || hlen >= host_size)
    return USNMP_E_INVAL;
  memcpy(tmp, h, hlen);
  tmp[hlen] = '\0';

  memset(addr, 0, sizeof *addr);
  if (fam != AF_INET6) {
    struct sockaddr_in *a4 = (struct sockaddr_in *)addr;
    if (uv_inet_pton(AF_INET, tmp, &a4->sin_addr) == 0) {
      a4->sin_family = AF_INET;
      a4->sin_port = htons(port);
      *host_out = NULL;
      *family = AF_INET;
      return 0;
    }
  }
  if (fam != AF_INET) {
    struct sockaddr_in6 *a6 = (struct sockaddr_in6 *)addr;
    uint32_t scope = 0;
    /* A zone ("fe80::1%eth0", "::1%1") names the interface of a scoped
     * address; it is kept in sin6_scope_id. */
    zone = strchr(tmp, '%');
    if (zone != NULL) {
      *zone++ = '\0';
      if (parse_zone(zone, &scope) < 0)
        return USNMP_E_INVAL;
    }
    if (uv_inet_pton(AF_INET6, tmp, &a6->sin6_addr) == 0) {
      a6->sin6_family = AF_INET6;
      a6->sin6_port = htons(port);
      a6->sin6_scope_id = scope;
      *host_out = NULL;
      *family = AF_INET6;
      return 0;
    }
    /* A bracketed or multi-colon form that is not an IPv6 literal, or a
     * zone after something else. */
    if (bracketed || zone != NULL || strchr(tmp, ':') != NULL)
      return USNMP_E_INVAL;
  }
  if (!valid_hostname(tmp, hlen))
    return USNMP_E_INVAL;
  memcpy(host, tmp, hlen + 1);
  *host_out = host;
  /* The port travels in the family-independent place of both layouts. */
  ((struct sockaddr_in *)addr)->sin_port = htons(port);
  *family = fam;
  return 0;
}

int usnmp__sockaddr_equal(const struct sockaddr *a, const struct sockaddr *b) {
  if (a->sa_family != b->sa_family)
    return 0;
  if (a->sa_family == AF_INET) {
    const struct sockaddr_in *x = (const struct sockaddr_in *)a;
    const struct sockaddr_in *y = (const struct sockaddr_in *)b;
    return x->sin_port == y->sin_port &&
           x->sin_addr.s_addr == y->sin_addr.s_addr;
  }
  if (a->sa_family == AF_INET6) {
    const struct sockaddr_in6 *x = (const struct sockaddr_in6 *)a;
    const struct sockaddr_in6 *y = (const struct sockaddr_in6 *)b;
    /* The zone tells apart scoped addresses (fe80::1 on two links are two
     * hosts); the kernel reports 0 for the others, whatever was asked. */
    return x->sin6_port == y->sin6_port &&
           memcmp(&x->sin6_addr, &y->sin6_addr, sizeof(x->sin6_addr)) == 0 &&
           (x->sin6_scope_id == y->sin6_scope_id ||
            !(IN6_IS_ADDR_LINKLOCAL(&x->sin6_addr) ||
              IN6_IS_ADDR_MC_LINKLOCAL(&x->sin6_addr)));
  }
  return 0;
}

/* ------------------------------------------------------------------------
 * Resolution
 * ------------------------------------------------------------------------ */

struct usnmp__resolve {
  uv_work_t req;
  usnmp__transport *tp;
  void *token; /* NULL once abandoned */
  usnmp__resolver_fn resolver;
  void *resolver_arg;
  struct addrinfo hints;
  struct addrinfo *res;
  int status; /* the resolver's: 0 or an EAI_* code */
  uint16_t port;
  int family;
  char host[256];
};

int usnmp__default_resolver(const char *host, const struct addrinfo *hints,
                            struct addrinfo **res, void *arg) {
  (void)arg;
  return getaddrinfo(host, NULL, hints, res);
}

/* On the thread pool: touches only the lookup's own struct, so that the
 * target and even the manager may go meanwhile (the manager waits for
 * resolve_done, or usnmp_sync_close hands the loop on, see sync.c). */
static void resolve_work(uv_work_t *req) {
  usnmp__resolve *rs = USNMP__CONTAINER(req, usnmp__resolve, req);
  rs->res = NULL;
  rs->status = rs->resolver(rs->host, &rs->hints, &rs->res, rs->resolver_arg);
  if (rs->status != 0 && rs->res != NULL) {
    freeaddrinfo(rs->res);
    rs->res = NULL;
  }
}

static void resolve_done(uv_work_t *req, int status) {
  usnmp__resolve *rs = USNMP__CONTAINER(req, usnmp__resolve, req);
  usnmp__transport *tp = rs->tp;
  void *token = rs->token;
  struct addrinfo *res = status == 0 ? rs->res : NULL;
  const struct addrinfo *pick = NULL;
  const struct addrinfo *ai;
  struct sockaddr_storage addr;

  if (token != NULL) {
    /* Without a udp:/udp6: prefix net-snmp means IPv4: prefer an IPv4
     * address, but take IPv6 for a name that has only that. */
    for (ai = res; ai != NULL && pick == NULL; ai = ai->ai_next)
      if (ai->ai_family == AF_INET &&
          ai->ai_addrlen >= sizeof(struct sockaddr_in) &&
          rs->family != AF_INET6)
        pick = ai;
    for (ai = res; ai != NULL && pick == NULL; ai = ai->ai_next)
      if (ai->ai_family == AF_INET6 &&
          ai->ai_addrlen >= sizeof(struct sockaddr_in6) &&
          rs->family != AF_INET)
        pick = ai;
    if (pick != NULL) {
      memset(&addr, 0, sizeof addr);
      memcpy(&addr, pick->ai_addr, pick->ai_addrlen);
      if (pick->ai_family == AF_INET)
        ((struct sockaddr_in *)&addr)->sin_port = htons(rs->port);
      else
        ((struct sockaddr_in6 *)&addr)->sin6_port = htons(rs->port);
    }
  }
  if (rs->res != NULL)
    freeaddrinfo(rs->res);
  usnmp__dealloc(tp->alloc, rs);
  tp->resolutions--;
  if (token != NULL)
    tp->ops->resolved(tp->owner, token, pick != NULL ? 0 : USNMP_E_RESOLVE,
                      pick != NULL ? (const struct sockaddr *)&addr : NULL);
  tp->ops->closed(tp->owner);
}

int usnmp__resolve_start(usnmp__transport *tp, void *token, const char *host,
                         uint16_t port, int family, usnmp__resolve **out) {
  usnmp__resolve *rs;
  size_t len = strlen(host);
  int rc;

  if (len >= sizeof(rs->host))
    return USNMP_E_INVAL;
  rs = usnmp__alloc(tp->alloc, sizeof *rs);
  if (rs == NULL)
    return USNMP_E_NOMEM;
  memset(rs, 0, sizeof *rs);
  rs->tp = tp;
  rs->token = token;
  rs->port = port;
  rs->family = family;
  rs->resolver = tp->resolver != NULL ? tp->resolver : usnmp__default_resolver;
  rs->resolver_arg = tp->resolver_arg;
  memcpy(rs->host, host, len + 1);
  rs->hints.ai_family = family;
  rs->hints.ai_socktype = SOCK_DGRAM;
  rs->hints.ai_protocol = IPPROTO_UDP;
  rc = uv_queue_work(tp->loop, &rs->req, resolve_work, resolve_done);
  if (rc < 0) {
    usnmp__dealloc(tp->alloc, rs);
    return rc;
  }
  *out = rs;
  /* Counted like a handle: the owner's memory must outlive the callback,
   * which always runs (with UV_ECANCELED when cancelled). */
  (*tp->handles)++;
  tp->resolutions++;
  return 0;
}

void usnmp__resolve_abandon(usnmp__resolve *rs) {
  rs->token = NULL;
  /* Fails with UV_EBUSY once the lookup runs on the thread pool; its
   * callback then simply finds no target. */
  uv_cancel((uv_req_t *)&rs->req);
}

/* ------------------------------------------------------------------------
 * UDP handles
 * ------------------------------------------------------------------------ */

static usnmp__transport *transport_of(uv_handle_t *h) { return h->data; }

static void on_alloc(uv_handle_t *h, size_t suggested, uv_buf_t *buf) {
  usnmp__transport *tp = transport_of(h);
  (void)suggested;
  buf->base = (char *)tp->recv_buf;
  buf->len = RECV_CHUNKS * USNMP__RECV_CHUNK;
}

/* Out of line and cold, so on_recv() keeps no frame for it. */
__attribute__((noinline, cold)) static void
deliver_traced(usnmp__transport *tp, const uint8_t *data, size_t len,
               const struct sockaddr *addr, int partial) {
  usnmp__transport_trace(tp, 0, data, len, addr);
  tp->ops->received(tp->owner, data, len, addr, partial);
}

static void on_recv(uv_udp_t *h, ssize_t nread, const uv_buf_t *buf,
                    const struct sockaddr *addr, unsigned flags) {
  usnmp__transport *tp = transport_of((uv_handle_t *)h);
  if (flags & UV_UDP_MMSG_FREE)
    return; /* the buffer is the transport's for good */
  /* addr NULL: nothing more to read (or a socket error that names no
   * sender); an empty datagram still counts, as malformed.  Once closed,
   * the rest of a batch already read is dropped. */
  if (nread < 0 || addr == NULL || tp->closed)
    return;
  /* Two tail calls: a trace call before the delivery would cost every
   * datagram a stack frame, traced or not (callgrind: 18 instructions per
   * GET in bench/poll). */
  if (tp->trace_cb != NULL)
    deliver_traced(tp, (const uint8_t *)buf->base, (size_t)nread, addr,
                   (flags & UV_UDP_PARTIAL) != 0);
  else
    tp->ops->received(tp->owner, (const uint8_t *)buf->base, (size_t)nread,
                      addr, (flags & UV_UDP_PARTIAL) != 0);
}

/* Sets one buffer size: with force (usnmp_manager_set_socket_buffer_force)
 * the privileged option first, so that the system's limit
 * (net.core.rmem_max) does not clamp it, else or when that is refused the
 * ordinary one.  Failures are not errors: the kernel's default buffer
 * still works, only bursts suffer. */
static void set_buffer(int fd, int opt, int force_opt, int bytes, int force) {
  if (force && force_opt >= 0 &&
      setsockopt(fd, SOL_SOCKET, force_opt, &bytes, sizeof(bytes)) == 0)
    return;
  (void)setsockopt(fd, SOL_SOCKET, opt, &bytes, sizeof(bytes));
}

void usnmp__socket_set_buffers(int fd, int bytes, int force) {
#if defined(SO_RCVBUFFORCE) && defined(SO_SNDBUFFORCE)
  set_buffer(fd, SO_RCVBUF, SO_RCVBUFFORCE, bytes, force);
  set_buffer(fd, SO_SNDBUF, SO_SNDBUFFORCE, bytes, force);
#else
  set_buffer(fd, SO_RCVBUF, -1, bytes, force);
  set_buffer(fd, SO_SNDBUF, -1, bytes, force);
#endif
}

int usnmp__transport_can_force(void) {
#if defined(SO_RCVBUFFORCE) && defined(SO_SNDBUFFORCE)
  return 1;
#else
  return 0;
#endif
}

static void on_udp_closed(uv_handle_t *h) {
  usnmp__transport *tp = transport_of(h);
  usnmp__udp *u = h == (uv_handle_t *)&tp->udp4.handle ? &tp->udp4 : &tp->udp6;
  /* A handle closed after a failed open may be opened again. */
  if (u->state == 3)
    u->state = 0;
  tp->ops->closed(tp->owner);
}

static int udp_open(usnmp__transport *tp, usnmp__udp *u, int family) {
  struct sockaddr_storage any;
  uv_os_fd_t fd;
  int rc;

  if (tp->recv_buf == NULL) {
    tp->recv_buf = usnmp__alloc(tp->alloc, RECV_CHUNKS * USNMP__RECV_CHUNK);
    if (tp->recv_buf == NULL)
      return USNMP_E_NOMEM;
  }
  rc = uv_udp_init_ex(tp->loop, &u->handle, (unsigned)family | UDP_FLAGS);
  if (rc < 0)
    return rc;
  u->handle.data = tp;
  u->state = 1;
  (*tp->handles)++;
  memset(&any, 0, sizeof(any));
  if (family == AF_INET) {
    ((struct sockaddr_in *)&any)->sin_family = AF_INET;
  } else {
    ((struct sockaddr_in6 *)&any)->sin6_family = AF_INET6;
  }
  rc = uv_udp_bind(&u->handle, (const struct sockaddr *)&any,
                   family == AF_INET6 ? UV_UDP_IPV6ONLY : 0);
  if (rc == 0 && uv_fileno((uv_handle_t *)&u->handle, &fd) == 0)
    usnmp__socket_set_buffers(fd, tp->sockbuf, tp->sockbuf_force);
  if (rc == 0)
    rc = uv_udp_recv_start(&u->handle, on_alloc, on_recv);
  /* An idle socket must not keep the loop alive: what does is a request
   * in flight (its timer), a queued one (the name lookup or an earlier
   * request's timer) or a send in progress.  So uv_run(UV_RUN_DEFAULT)
   * returns once every request has completed, as with any libuv work. */
  if (rc == 0)
    uv_unref((uv_handle_t *)&u->handle);
  if (rc < 0) {
    /* State 3: closing after a failed open; on_udp_closed() makes the
     * handle available for another attempt. */
    u->state = 3;
    uv_close((uv_handle_t *)&u->handle, on_udp_closed);
    return rc;
  }
  return 0;
}

typedef struct send_copy {
  uv_udp_send_t req;
  usnmp__transport *tp;
  uint8_t data[];
} send_copy;

static void on_sent(uv_udp_send_t *req, int status) {
  send_copy *sc = USNMP__CONTAINER(req, send_copy, req);
  usnmp__transport *tp = sc->tp;
  usnmp__dealloc(tp->alloc, sc);
  if (status < 0 && status != UV_ECANCELED)
    tp->ops->sent(tp->owner, NULL, status);
}

/* Sends one datagram to addr on the handle of its family, opening that
 * handle first if needed.  Returns 0 or a negative code (the datagram was
 * not sent). */
static int send_one(usnmp__transport *tp, const struct sockaddr *addr,
                    const uint8_t *data, size_t len) {
  usnmp__udp *u = addr->sa_family == AF_INET6 ? &tp->udp6 : &tp->udp4;
  uv_buf_t buf;
  send_copy *sc;
  int rc;

  if (u->state == 2)
    return USNMP_E_CLOSED;
  if (u->state == 3)
    return UV_EAGAIN; /* the last open failed and its handle still closes */
  if (u->state == 0) {
    rc = udp_open(tp, u, addr->sa_family);
    if (rc < 0)
      return rc;
  }
  if (tp->trace_cb != NULL)
    usnmp__transport_trace(tp, 1, data, len, addr);
  buf = uv_buf_init((char *)(uintptr_t)data, (unsigned)len);
  rc = uv_udp_try_send(&u->handle, &buf, 1, addr);
  if (rc >= 0)
    return 0;
  if (rc != UV_EAGAIN)
    return rc;
  /* The socket is full (or libuv still queues earlier sends): send a copy
   * so the request may complete, or be recycled, while this one waits. */
  sc = usnmp__alloc(tp->alloc, sizeof *sc + len);
  if (sc == NULL)
    return USNMP_E_NOMEM;
  sc->tp = tp;
  memcpy(sc->data, data, len);
  buf = uv_buf_init((char *)sc->data, (unsigned)len);
  rc = uv_udp_send(&sc->req, &u->handle, &buf, 1, addr, on_sent);
  if (rc < 0) {
    usnmp__dealloc(tp->alloc, sc);
    return rc;
  }
  return 0;
}

int usnmp__transport_send_now(usnmp__transport *tp, const struct sockaddr *to,
                              const uint8_t *data, size_t len) {
  return send_one(tp, to, data, len);
}

/* ------------------------------------------------------------------------
 * The send batch
 * ------------------------------------------------------------------------ */

#if USNMP_HAVE_SENDMMSG
static socklen_t addr_len(const struct sockaddr *sa) {
  return sa->sa_family == AF_INET6 ? sizeof(struct sockaddr_in6)
                                   : sizeof(struct sockaddr_in);
}
#endif

#if USNMP_HAVE_SENDMMSG
/* Sends the batched datagrams of one family with as few sendmmsg() calls
 * as the kernel allows.  When the socket is full, the rest go through
 * send_one(), which lets libuv queue copies. */
static void flush_family(usnmp__transport *tp, const usnmp__dgram **ds,
                         size_t n, usnmp__udp *u) {
  struct mmsghdr msgs[USNMP__TXQ];
  struct iovec iov[USNMP__TXQ];
  uv_os_fd_t fd;
  size_t i, k = 0;

  if (n == 0)
    return;
  if (u->state != 1 || uv_fileno((uv_handle_t *)&u->handle, &fd) != 0) {
    for (i = 0; i < n; i++)
      tp->ops->sent(tp->owner, ds[i]->token,
                    u->state == 2 ? USNMP_E_CLOSED : UV_EBADF);
    return;
  }
  memset(msgs, 0, n * sizeof(msgs[0]));
  for (i = 0; i < n; i++) {
    iov[i].iov_base = (void *)(uintptr_t)ds[i]->data;
    iov[i].iov_len = ds[i]->len;
    msgs[i].msg_hdr.msg_name = (void *)(uintptr_t)ds[i]->to;
    msgs[i].msg_hdr.msg_namelen = addr_len(ds[i]->to);
    msgs[i].msg_hdr.msg_iov = &iov[i];
    msgs[i].msg_hdr.msg_iovlen = 1;
  }
  while (k < n) {
    int rc = sendmmsg(fd, msgs + k, (unsigned)(n - k), 0);
    if (rc > 0) {
      for (i = k; i < k + (size_t)rc; i++) {
        if (tp->trace_cb != NULL)
          usnmp__transport_trace(tp, 1, ds[i]->data, ds[i]->len, ds[i]->to);
        tp->ops->sent(tp->owner, ds[i]->token, 0);
      }
      k += (size_t)rc;
      continue;
    }
    if (rc < 0 && errno == EINTR)
      continue;
    if (rc < 0 &&
        (errno == EAGAIN || errno == EWOULDBLOCK || errno == ENOBUFS)) {
      for (; k < n; k++)
        tp->ops->sent(tp->owner, ds[k]->token,
                      send_one(tp, ds[k]->to, ds[k]->data, ds[k]->len));
      return;
    }
    /* The first datagram failed on its own (EACCES for a broadcast
     * address, EHOSTUNREACH...): report it and go on with the rest. */
    rc = rc < 0 ? -errno : UV_EIO;
    if (tp->trace_cb != NULL)
      usnmp__transport_trace(tp, 1, ds[k]->data, ds[k]->len, ds[k]->to);
    tp->ops->sent(tp->owner, ds[k]->token, rc);
    k++;
  }
}
#else
/* The portable path: each datagram through libuv (uv_udp_try_send, or a
 * queued copy when the socket is full); one that fails is reported on its
 * own and the rest go on. */
static void flush_family(usnmp__transport *tp, const usnmp__dgram **ds,
                         size_t n, usnmp__udp *u) {
  (void)u;
  for (size_t i = 0; i < n; i++)
    tp->ops->sent(tp->owner, ds[i]->token,
                  send_one(tp, ds[i]->to, ds[i]->data, ds[i]->len));
}
#endif

static void flush(usnmp__transport *tp) {
  /* The batch is sent in place and counted empty first; ops->sent() must
   * not queue (the manager's only counts and arms timers), so nothing
   * writes into the batch while it goes. */
  const usnmp__dgram *v4[USNMP__TXQ], *v6[USNMP__TXQ];
  size_t n4 = 0, n6 = 0;
  uint32_t i, n = tp->txq_count;
  if (n == 0)
    return;
  tp->txq_count = 0;
  for (i = 0; i < n; i++) {
    const usnmp__dgram *d = &tp->txq[i];
    if (d->token == NULL)
      continue; /* taken back */
    if (d->to->sa_family == AF_INET6)
      v6[n6++] = d;
    else
      v4[n4++] = d;
  }
  flush_family(tp, v4, n4, &tp->udp4);
  flush_family(tp, v6, n6, &tp->udp6);
}

static void on_flush_prepare(uv_prepare_t *h) { flush(h->data); }
static void on_flush_check(uv_check_t *h) { flush(h->data); }

static void on_flush_closed(uv_handle_t *h) {
  usnmp__transport *tp = h->data;
  tp->ops->closed(tp->owner);
}

int usnmp__transport_queue(usnmp__transport *tp, const usnmp__dgram *d,
                           uint32_t slot) {
  usnmp__udp *u = d->to->sa_family == AF_INET6 ? &tp->udp6 : &tp->udp4;
  int rc;
  if (slot != 0 && slot <= tp->txq_count) {
    tp->txq[slot - 1] = *d; /* already queued: send the latest bytes once */
    return (int)slot;
  }
  if (u->state == 2)
    return USNMP_E_CLOSED;
  if (u->state == 3)
    return UV_EAGAIN;
  if (u->state == 0) {
    rc = udp_open(tp, u, d->to->sa_family);
    if (rc < 0)
      return rc;
  }
  if (!tp->flush_handles) {
    /* Unreferenced: a waiting batch always belongs to a sender whose
     * timer keeps the loop running. */
    uv_prepare_init(tp->loop, &tp->flush_prepare);
    uv_check_init(tp->loop, &tp->flush_check);
    tp->flush_prepare.data = tp;
    tp->flush_check.data = tp;
    uv_prepare_start(&tp->flush_prepare, on_flush_prepare);
    uv_check_start(&tp->flush_check, on_flush_check);
    uv_unref((uv_handle_t *)&tp->flush_prepare);
    uv_unref((uv_handle_t *)&tp->flush_check);
    tp->flush_handles = 1;
    *tp->handles += 2;
  }
  if (tp->txq_count == USNMP__TXQ)
    flush(tp);
  tp->txq[tp->txq_count++] = *d;
  return (int)tp->txq_count;
}

void usnmp__transport_unqueue(usnmp__transport *tp, uint32_t slot) {
  if (slot != 0 && slot <= tp->txq_count)
    tp->txq[slot - 1].token = NULL;
}

void usnmp__transport_init(usnmp__transport *tp, uv_loop_t *loop,
                           const usnmp_allocator *alloc,
                           const usnmp__transport_ops *ops, void *owner,
                           uint32_t *handles) {
  memset(tp, 0, sizeof *tp);
  tp->loop = loop;
  tp->alloc = alloc;
  tp->ops = ops;
  tp->owner = owner;
  tp->handles = handles;
  tp->sockbuf = USNMP__DEFAULT_SOCKBUF;
}

void usnmp__transport_free(usnmp__transport *tp) {
  usnmp__dealloc(tp->alloc, tp->recv_buf);
  tp->recv_buf = NULL;
}

void usnmp__transport_close(usnmp__transport *tp) {
  usnmp__udp *all[2] = {&tp->udp4, &tp->udp6};
  int i;
  tp->closed = 1;
  tp->txq_count = 0;
  if (tp->flush_handles) {
    uv_close((uv_handle_t *)&tp->flush_prepare, on_flush_closed);
    uv_close((uv_handle_t *)&tp->flush_check, on_flush_closed);
    tp->flush_handles = 0;
  }
  for (i = 0; i < 2; i++) {
    if (all[i]->state == 1) {
      uv_udp_recv_stop(&all[i]->handle);
      uv_close((uv_handle_t *)&all[i]->handle, on_udp_closed);
    }
    all[i]->state = 2;
  }
}

void usnmp__transport_trace(usnmp__transport *tp, int sent, const uint8_t *data,
                            size_t len, const struct sockaddr *peer) {
  usnmp__udp *u = peer->sa_family == AF_INET6 ? &tp->udp6 : &tp->udp4;
  struct sockaddr_storage local;
  int local_len = sizeof(local);
  usnmp_packet p;
  memset(&local, 0, sizeof(local));
  /* The socket's own address, asked only while tracing. */
  if (u->state != 1 || uv_udp_getsockname(&u->handle, (struct sockaddr *)&local,
                                          &local_len) != 0)
    local.ss_family = peer->sa_family;
  p.sent = sent;
  p.data = data;
  p.len = len;
  p.peer = peer;
  p.local = (const struct sockaddr *)&local;
  tp->trace_cb(&p, tp->trace_arg);
}
