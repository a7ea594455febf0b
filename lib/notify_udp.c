/*
 * The notification receiver on libuv: one UDP socket per bound address,
 * read in batches with recvmmsg (UV_UDP_RECVMMSG), each datagram handed
 * to the protocol core (notify_recv.c), and its answer sent back from the
 * socket it arrived on, so a receiver bound per local address answers
 * from the address the sender used.
 */
#include <stdlib.h>
#include <string.h>

#include "notify_int.h"

#define RECV_CHUNK (64 * 1024)
#define RECV_CHUNKS 16

typedef struct rx_socket {
  uv_udp_t handle;
  usnmp_receiver *rx;
  struct sockaddr_storage local;
  int open;
} rx_socket;

typedef struct reply_copy {
  uv_udp_send_t req;
  usnmp_receiver *rx;
  size_t len;
  uint8_t data[];
} reply_copy;

struct usnmp_receiver {
  usnmp__notify core;
  uv_loop_t *loop;
  /* One allocation per bound socket, freed from its close callback (a
   * socket that failed to bind is closed and freed on its own). */
  rx_socket *socks[USNMP__NOTIFY_MAX_BINDS];
  size_t n_socks;
  int sockbuf;
  int sockbuf_force;
  int started;
  int closing;
  uint32_t open_handles; /* sockets and sends not yet called back */
  uint8_t *recv_buf;
  uint8_t *reply;
  void (*close_cb)(void *arg);
  void *close_arg;
};

static void rx_free(usnmp_receiver *rx) {
  usnmp_allocator a = rx->core.alloc;
  void (*cb)(void *) = rx->close_cb;
  void *arg = rx->close_arg;
  if (rx->recv_buf != NULL)
    a.free(rx->recv_buf, a.ctx);
  if (rx->reply != NULL)
    a.free(rx->reply, a.ctx);
  usnmp__notify_free(&rx->core);
  a.free(rx, a.ctx);
  if (cb != NULL)
    cb(arg);
}

static void handle_done(usnmp_receiver *rx) {
  if (--rx->open_handles == 0 && rx->closing)
    rx_free(rx);
}

int usnmp_receiver_init(usnmp_receiver **out, uv_loop_t *loop,
                        const usnmp_allocator *alloc) {
  usnmp_receiver *rx;
  int rc;
  if (out == NULL || loop == NULL ||
      (alloc != NULL && (alloc->malloc == NULL || alloc->free == NULL)))
    return USNMP_E_INVAL;
  rx = alloc != NULL ? alloc->malloc(sizeof *rx, alloc->ctx)
                     : malloc(sizeof *rx);
  if (rx == NULL)
    return USNMP_E_NOMEM;
  memset(rx, 0, sizeof *rx);
  rx->loop = loop;
  rx->sockbuf = USNMP__DEFAULT_SOCKBUF;
  rc = usnmp__notify_init(&rx->core, alloc, uv_now(loop));
  rx->core.rx = rx;
  if (rc == 0) {
    rx->recv_buf =
        rx->core.alloc.malloc(RECV_CHUNK * RECV_CHUNKS, rx->core.alloc.ctx);
    rx->reply = rx->core.alloc.malloc(USNMP_MAX_MSG_SIZE, rx->core.alloc.ctx);
    if (rx->recv_buf == NULL || rx->reply == NULL)
      rc = USNMP_E_NOMEM;
  }
  if (rc < 0) {
    rx_free(rx);
    return rc;
  }
  *out = rx;
  return 0;
}

static void set_buffers(uv_udp_t *h, int bytes, int force) {
  uv_os_fd_t fd;
  if (uv_fileno((uv_handle_t *)h, &fd) == 0)
    usnmp__socket_set_buffers(fd, bytes, force);
}

/* Returns 1 when an address in the agent syntax names a port: "[v6]:p",
 * or "host:p" with one colon (a bare IPv6 literal has several). */
static int names_port(const char *address) {
  const char *p = address, *c;
  size_t colons = 0;
  if (strncmp(p, "udp6:", 5) == 0)
    p += 5;
  else if (strncmp(p, "udp:", 4) == 0)
    p += 4;
  if (*p == '[')
    return strstr(p, "]:") != NULL;
  for (c = p; *c; c++)
    colons += *c == ':';
  return colons == 1;
}

static void on_sock_closed(uv_handle_t *h) {
  rx_socket *s = h->data;
  usnmp_receiver *rx = s->rx;
  rx->core.alloc.free(s, rx->core.alloc.ctx);
  handle_done(rx);
}

int usnmp_receiver_bind(usnmp_receiver *rx, const char *address) {
  struct sockaddr_storage addr;
  char host[256], text[300];
  const char *name = NULL;
  int family = AF_UNSPEC, rc, len, zero;
  rx_socket *s;

  if (rx == NULL || address == NULL || rx->closing ||
      rx->n_socks == USNMP__NOTIFY_MAX_BINDS)
    return USNMP_E_INVAL;
  /* Port 0 (any free port, which the agent syntax refuses) is parsed as
   * port 1 and set back afterwards. */
  len = (int)strlen(address);
  zero = names_port(address) && len >= 2 && len < (int)sizeof(text) &&
         strcmp(address + len - 2, ":0") == 0;
  if (zero) {
    memcpy(text, address, (size_t)len + 1);
    text[len - 1] = '1';
    address = text;
  }
  rc = usnmp__agent_parse(address, &addr, host, sizeof(host), &name, &family);
  if (rc < 0 || name != NULL)
    return USNMP_E_INVAL;
  if (zero) {
    if (addr.ss_family == AF_INET)
      ((struct sockaddr_in *)&addr)->sin_port = 0;
    else
      ((struct sockaddr_in6 *)&addr)->sin6_port = 0;
  }
  /* The agent syntax defaults to port 161; a receiver listens on 162
   * unless the address names a port. */
  if (!names_port(address)) {
    if (addr.ss_family == AF_INET)
      ((struct sockaddr_in *)&addr)->sin_port = htons(162);
    else
      ((struct sockaddr_in6 *)&addr)->sin6_port = htons(162);
  }
  s = rx->core.alloc.malloc(sizeof *s, rx->core.alloc.ctx);
  if (s == NULL)
    return USNMP_E_NOMEM;
  memset(s, 0, sizeof *s);
  s->rx = rx;
  rc = uv_udp_init_ex(rx->loop, &s->handle,
                      (unsigned)addr.ss_family | UV_UDP_RECVMMSG);
  if (rc < 0) {
    rx->core.alloc.free(s, rx->core.alloc.ctx);
    return rc;
  }
  s->handle.data = s;
  rx->open_handles++;
  rc = uv_udp_bind(&s->handle, (const struct sockaddr *)&addr,
                   addr.ss_family == AF_INET6 ? UV_UDP_IPV6ONLY : 0);
  if (rc == 0) {
    len = (int)sizeof(s->local);
    rc = uv_udp_getsockname(&s->handle, (struct sockaddr *)&s->local, &len);
  }
  if (rc < 0) {
    uv_close((uv_handle_t *)&s->handle, on_sock_closed);
    return rc;
  }
  set_buffers(&s->handle, rx->sockbuf, rx->sockbuf_force);
  s->open = 1;
  rx->socks[rx->n_socks++] = s;
  return 0;
}

int usnmp_receiver_port(const usnmp_receiver *rx, size_t i) {
  const struct sockaddr_storage *a;
  if (rx == NULL || i >= rx->n_socks)
    return USNMP_E_INVAL;
  a = &rx->socks[i]->local;
  return ntohs(a->ss_family == AF_INET
                   ? ((const struct sockaddr_in *)a)->sin_port
                   : ((const struct sockaddr_in6 *)a)->sin6_port);
}

int usnmp__receiver_fd(const usnmp_receiver *rx, size_t i) {
  uv_os_fd_t fd;
  if (rx == NULL || i >= rx->n_socks ||
      uv_fileno((const uv_handle_t *)&rx->socks[i]->handle, &fd) != 0)
    return -1;
  return fd;
}

int usnmp_receiver_set_socket_buffer(usnmp_receiver *rx, int bytes) {
  if (rx == NULL || bytes <= 0)
    return USNMP_E_INVAL;
  rx->sockbuf = bytes;
  return 0;
}

int usnmp_receiver_set_socket_buffer_force(usnmp_receiver *rx, int force) {
  if (rx == NULL)
    return USNMP_E_INVAL;
  if (force && !usnmp__transport_can_force())
    return USNMP_E_UNSUPPORTED;
  rx->sockbuf_force = force != 0;
  return 0;
}

int usnmp_receiver_add_community(usnmp_receiver *rx, const char *community) {
  if (rx == NULL)
    return USNMP_E_INVAL;
  return usnmp__notify_add_community(&rx->core, community);
}

int usnmp_receiver_set_community_cb(usnmp_receiver *rx, usnmp_community_cb cb,
                                    void *arg) {
  if (rx == NULL)
    return USNMP_E_INVAL;
  rx->core.community_cb = cb;
  rx->core.community_arg = arg;
  return 0;
}

int usnmp_receiver_add_v3_user(usnmp_receiver *rx, const char *user,
                               usnmp_auth_proto auth, const char *authpass,
                               usnmp_priv_proto priv, const char *privpass,
                               const uint8_t *engine_id, size_t engine_id_len) {
  if (rx == NULL)
    return USNMP_E_INVAL;
  return usnmp__notify_add_user(&rx->core, user, auth, authpass, priv, privpass,
                                engine_id, engine_id_len);
}

int usnmp_receiver_allow_engine_id(usnmp_receiver *rx, const uint8_t *engine_id,
                                   size_t len) {
  if (rx == NULL)
    return USNMP_E_INVAL;
  return usnmp__notify_allow_engine(&rx->core, engine_id, len);
}

int usnmp_receiver_set_engine_id(usnmp_receiver *rx, const uint8_t *engine_id,
                                 size_t len) {
  if (rx == NULL)
    return USNMP_E_INVAL;
  return usnmp__notify_set_engine_id(&rx->core, engine_id, len);
}

int usnmp_receiver_engine_id(const usnmp_receiver *rx, uint8_t *buf,
                             size_t size) {
  if (rx == NULL || buf == NULL)
    return USNMP_E_INVAL;
  if (!USNMP_HAVE_SNMPV3)
    return USNMP_E_UNSUPPORTED;
  if (size < rx->core.engine_id_len)
    return USNMP_E_NOBUFS;
  memcpy(buf, rx->core.engine_id, rx->core.engine_id_len);
  return (int)rx->core.engine_id_len;
}

int usnmp_receiver_set_engine_boots(usnmp_receiver *rx, uint32_t boots) {
  if (rx == NULL || boots >= USNMP__USM_TIME_MAX)
    return USNMP_E_INVAL;
  if (!USNMP_HAVE_SNMPV3)
    return USNMP_E_UNSUPPORTED;
  rx->core.boots = boots;
  rx->core.boots_set_ms = uv_now(rx->loop);
  return 0;
}

int usnmp_receiver_set_cache_limit(usnmp_receiver *rx, size_t entries) {
  if (rx == NULL)
    return USNMP_E_INVAL;
  return usnmp__notify_set_cache_limit(&rx->core, entries);
}

int usnmp_receiver_set_dedupe_window(usnmp_receiver *rx, uint32_t ms) {
  if (rx == NULL)
    return USNMP_E_INVAL;
  rx->core.window_ms = ms;
  return 0;
}

static void on_alloc(uv_handle_t *h, size_t suggested, uv_buf_t *buf) {
  rx_socket *s = h->data;
  (void)suggested;
  *buf = uv_buf_init((char *)s->rx->recv_buf, RECV_CHUNK * RECV_CHUNKS);
}

static void on_reply_sent(uv_udp_send_t *req, int status) {
  reply_copy *c = USNMP__CONTAINER(req, reply_copy, req);
  usnmp_receiver *rx = c->rx;
  if (status < 0)
    rx->core.stats.send_errors++;
  rx->core.alloc.free(c, rx->core.alloc.ctx);
  handle_done(rx);
}

typedef struct reply_to {
  rx_socket *s;
  const struct sockaddr *to;
} reply_to;

static void send_reply(void *ctx, const uint8_t *data, size_t len) {
  reply_to *rt = ctx;
  rx_socket *s = rt->s;
  const struct sockaddr *to = rt->to;
  usnmp_receiver *rx = s->rx;
  uv_buf_t buf = uv_buf_init((char *)(uintptr_t)data, (unsigned)len);
  reply_copy *c;
  int rc = uv_udp_try_send(&s->handle, &buf, 1, to);
  if (rc >= 0)
    return;
  if (rc != UV_EAGAIN) {
    rx->core.stats.send_errors++;
    return;
  }
  /* The socket is full: let libuv queue a copy. */
  c = rx->core.alloc.malloc(sizeof *c + len, rx->core.alloc.ctx);
  if (c == NULL) {
    rx->core.stats.send_errors++;
    return;
  }
  c->rx = rx;
  c->len = len;
  memcpy(c->data, data, len);
  buf = uv_buf_init((char *)c->data, (unsigned)len);
  if (uv_udp_send(&c->req, &s->handle, &buf, 1, to, on_reply_sent) < 0) {
    rx->core.stats.send_errors++;
    rx->core.alloc.free(c, rx->core.alloc.ctx);
    return;
  }
  rx->open_handles++;
}

static void on_recv(uv_udp_t *h, ssize_t nread, const uv_buf_t *buf,
                    const struct sockaddr *addr, unsigned flags) {
  rx_socket *s = h->data;
  usnmp_receiver *rx = s->rx;
  size_t reply_len = 0;
  reply_to rt;

  if (flags & UV_UDP_MMSG_FREE)
    return;
  if (nread < 0 || addr == NULL || rx->closing)
    return;
  if (flags & UV_UDP_PARTIAL) {
    rx->core.stats.received++;
    rx->core.stats.dropped_malformed++;
    return;
  }
  rt.s = s;
  rt.to = addr;
  rx->core.send = send_reply;
  rx->core.send_ctx = &rt;
  usnmp__notify_process(&rx->core, (const uint8_t *)buf->base, (size_t)nread,
                        addr, (const struct sockaddr *)&s->local,
                        uv_now(rx->loop), rx->reply, USNMP_MAX_MSG_SIZE,
                        &reply_len);
  rx->core.send = NULL;
}

int usnmp_receiver_start(usnmp_receiver *rx, usnmp_notification_cb cb,
                         void *arg) {
  size_t i;
  int rc;
  if (rx == NULL || cb == NULL || rx->n_socks == 0 || rx->closing)
    return USNMP_E_INVAL;
  rx->core.cb = cb;
  rx->core.cb_arg = arg;
  for (i = 0; i < rx->n_socks; i++) {
    rc = uv_udp_recv_start(&rx->socks[i]->handle, on_alloc, on_recv);
    if (rc < 0 && rc != UV_EALREADY)
      return rc;
  }
  rx->started = 1;
  return 0;
}

int usnmp_receiver_stop(usnmp_receiver *rx) {
  size_t i;
  if (rx == NULL)
    return USNMP_E_INVAL;
  for (i = 0; i < rx->n_socks; i++)
    uv_udp_recv_stop(&rx->socks[i]->handle);
  rx->started = 0;
  return 0;
}

void usnmp_receiver_close(usnmp_receiver *rx, void (*close_cb)(void *arg),
                          void *arg) {
  size_t i;
  if (rx == NULL || rx->closing)
    return;
  rx->closing = 1;
  rx->core.stopped = 1;
  rx->close_cb = close_cb;
  rx->close_arg = arg;
  if (rx->open_handles == 0) {
    rx_free(rx);
    return;
  }
  for (i = 0; i < rx->n_socks; i++)
    uv_close((uv_handle_t *)&rx->socks[i]->handle, on_sock_closed);
}

int usnmp_receiver_stats_ex(const usnmp_receiver *rx, usnmp_notify_stats *stats,
                            size_t size) {
  if (rx == NULL || stats == NULL)
    return USNMP_E_INVAL;
  usnmp__copy_out(stats, size, &rx->core.stats, sizeof rx->core.stats);
  return 0;
}
