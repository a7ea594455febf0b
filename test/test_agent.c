/*
 * The scripted test agent: see test_agent.h.
 *
 * The default MIB is a small system group and one numbered subtree:
 *   .1.3.6.1.2.1.1.1.0 sysDescr     STRING "usnmp scripted test agent"
 *   .1.3.6.1.2.1.1.2.0 sysObjectID  OID .1.3.6.1.4.1.8072.3.2.10
 *   .1.3.6.1.2.1.1.3.0 sysUpTime    Timeticks 12345
 *   .1.3.6.1.2.1.1.4.0 sysContact   STRING "root" (writable)
 *   .1.3.6.1.2.1.1.5.0 sysName      STRING "agent" (writable)
 *   .1.3.6.1.2.1.1.6.0 sysLocation  STRING "lab" (writable)
 *   .1.3.6.1.4.1.99999.1.1 .. .1.3.6.1.4.1.99999.1.40  INTEGER 1..40
 */
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "test_agent.h"

#define MIB_MAX 1024
#define SCRIPT_MAX 256
#define STORAGE_SIZE 65536

typedef struct mib_entry {
  usnmp_oid oid;
  uint8_t name[5 * USNMP_OID_MAX_LEN];
  size_t name_len;
  usnmp_value value;
  uint8_t *bytes; /* owned copy of the value's bytes */
  int writable;
} mib_entry;

typedef struct delayed {
  uv_timer_t timer;
  usnmp_test_agent *a;
  struct delayed *next; /* in the agent's list of delayed or held replies */
  struct sockaddr_storage to;
  uv_udp_t *sock;
  size_t len;
  uint8_t data[];
} delayed;

struct usnmp_test_agent {
  uv_loop_t *loop;
  uv_udp_t sock, sock2;
  uv_mutex_t lock;
  char address[64];
  uint16_t port;
  int family;
  int open; /* handles not yet closed */
  /* Threaded mode. */
  uv_loop_t own_loop;
  uv_thread_t thread;
  uv_async_t stop;
  uv_sem_t ready;
  int threaded;
  int start_rc;

  char ro[64], rw[64];
  mib_entry *mib;
  size_t mib_n;
  usnmp_test_action script[SCRIPT_MAX];
  size_t script_head, script_n;
  usnmp_test_action default_action;
  uint32_t toobig_over;
  usnmp_test_agent_hook hook;
  void *hook_arg;
  usnmp_test_agent_stats stats;

  delayed *timers; /* delayed replies with a running timer */
  delayed *held;   /* held replies, oldest first */
  uint8_t rxbuf[65536];
  uint8_t txbuf[USNMP_MAX_MSG_SIZE];
  usnmp_varbind req_vbs[USNMP_MAX_VARBINDS];
  usnmp_varbind rep_vbs[USNMP_MAX_VARBINDS];
  uint8_t storage[STORAGE_SIZE];
};

/* ------------------------------------------------------------------------
 * MIB
 * ------------------------------------------------------------------------ */

static int has_bytes(usnmp_type t) {
  return t == USNMP_TYPE_OCTET_STRING || t == USNMP_TYPE_OPAQUE ||
         t == USNMP_TYPE_IPADDRESS || t == USNMP_TYPE_OID;
}

static int mib_set_locked(usnmp_test_agent *a, const char *text, usnmp_value v,
                          int writable) {
  usnmp_oid oid;
  size_t i;
  int rc = usnmp_oid_parse(&oid, text);
  mib_entry *e = NULL;
  uint8_t *copy = NULL;
  if (rc < 0)
    return rc;
  for (i = 0; i < a->mib_n; i++) {
    int c = usnmp_oid_cmp(&a->mib[i].oid, &oid);
    if (c == 0) {
      e = &a->mib[i];
      break;
    }
    if (c > 0)
      break;
  }
  if (e == NULL) {
    if (a->mib_n == MIB_MAX)
      return -1;
    memmove(&a->mib[i + 1], &a->mib[i], (a->mib_n - i) * sizeof(mib_entry));
    a->mib_n++;
    e = &a->mib[i];
    memset(e, 0, sizeof(*e));
    e->oid = oid;
    rc = usnmp_oid_to_ber(e->name, sizeof(e->name), &oid);
    if (rc < 0)
      return rc;
    e->name_len = (size_t)rc;
  }
  if (has_bytes(v.type)) {
    copy = malloc(v.v.bytes.len ? v.v.bytes.len : 1);
    if (copy == NULL)
      return -1;
    if (v.v.bytes.len)
      memcpy(copy, v.v.bytes.data, v.v.bytes.len);
    v.v.bytes.data = copy;
  }
  free(e->bytes);
  e->bytes = copy;
  e->value = v;
  e->writable = writable;
  return 0;
}

static void mib_clear_locked(usnmp_test_agent *a) {
  size_t i;
  for (i = 0; i < a->mib_n; i++)
    free(a->mib[i].bytes);
  a->mib_n = 0;
}

static int mib_default(usnmp_test_agent *a) {
  usnmp_oid obj;
  uint8_t ber[64];
  usnmp_value v;
  int rc = 0;
  rc |= mib_set_locked(a, "1.3.6.1.2.1.1.1.0",
                       usnmp_value_string("usnmp scripted test agent"), 0);
  usnmp_oid_parse(&obj, "1.3.6.1.4.1.8072.3.2.10");
  usnmp_value_oid(&v, ber, sizeof(ber), &obj);
  rc |= mib_set_locked(a, "1.3.6.1.2.1.1.2.0", v, 0);
  rc |= mib_set_locked(a, "1.3.6.1.2.1.1.3.0", usnmp_value_timeticks(12345), 0);
  rc |= mib_set_locked(a, "1.3.6.1.2.1.1.4.0", usnmp_value_string("root"), 1);
  rc |= mib_set_locked(a, "1.3.6.1.2.1.1.5.0", usnmp_value_string("agent"), 1);
  rc |= mib_set_locked(a, "1.3.6.1.2.1.1.6.0", usnmp_value_string("lab"), 1);
  for (int i = 1; i <= 40 && rc == 0; i++) {
    char name[64];
    snprintf(name, sizeof(name), "1.3.6.1.4.1.99999.1.%d", i);
    rc = mib_set_locked(a, name, usnmp_value_integer(i), 0);
  }
  return rc;
}

/* Index of the entry equal to oid, or -1. */
static long mib_find(const usnmp_test_agent *a, const usnmp_oid *oid) {
  size_t lo = 0, hi = a->mib_n;
  while (lo < hi) {
    size_t mid = (lo + hi) / 2;
    int c = usnmp_oid_cmp(&a->mib[mid].oid, oid);
    if (c == 0)
      return (long)mid;
    if (c < 0)
      lo = mid + 1;
    else
      hi = mid;
  }
  return -1;
}

/* Index of the first entry after oid, or -1. */
static long mib_next(const usnmp_test_agent *a, const usnmp_oid *oid) {
  size_t lo = 0, hi = a->mib_n;
  while (lo < hi) {
    size_t mid = (lo + hi) / 2;
    if (usnmp_oid_cmp(&a->mib[mid].oid, oid) <= 0)
      lo = mid + 1;
    else
      hi = mid;
  }
  return lo < a->mib_n ? (long)lo : -1;
}

static void entry_vb(const mib_entry *e, usnmp_varbind *vb) {
  vb->oid = e->name;
  vb->oid_len = e->name_len;
  vb->value = e->value;
}

/* ------------------------------------------------------------------------
 * Answers
 * ------------------------------------------------------------------------ */

static void answer_get(usnmp_test_agent *a, usnmp_test_exchange *ex, int next) {
  const usnmp_msg *req = ex->request;
  size_t i;
  for (i = 0; i < ex->n_req_vbs; i++) {
    usnmp_oid oid;
    long k = -1;
    if (usnmp_oid_from_ber(&oid, ex->req_vbs[i].oid, ex->req_vbs[i].oid_len) ==
        0)
      k = next ? mib_next(a, &oid) : mib_find(a, &oid);
    if (k >= 0) {
      entry_vb(&a->mib[k], &ex->vbs[i]);
      continue;
    }
    if (req->version == USNMP_VERSION_1) {
      ex->error_status = USNMP_ERROR_STATUS_NOSUCHNAME;
      ex->error_index = (int32_t)i + 1;
      memcpy(ex->vbs, ex->req_vbs, ex->n_req_vbs * sizeof(usnmp_varbind));
      ex->n_vbs = ex->n_req_vbs;
      return;
    }
    ex->vbs[i].oid = ex->req_vbs[i].oid;
    ex->vbs[i].oid_len = ex->req_vbs[i].oid_len;
    memset(&ex->vbs[i].value, 0, sizeof(ex->vbs[i].value));
    ex->vbs[i].value.type =
        next ? USNMP_TYPE_ENDOFMIBVIEW : USNMP_TYPE_NOSUCHOBJECT;
  }
  ex->n_vbs = ex->n_req_vbs;
}

static void answer_bulk(usnmp_test_agent *a, usnmp_test_exchange *ex) {
  const usnmp_msg *req = ex->request;
  size_t n = ex->n_req_vbs;
  size_t nr = req->error_status < 0 ? 0 : (size_t)req->error_status;
  size_t mr = req->error_index < 0 ? 0 : (size_t)req->error_index;
  size_t out = 0, i, r;
  usnmp_oid last[16];
  usnmp_varbind lastvb[16]; /* name of each column's latest answer */
  if (nr > n)
    nr = n;
  for (i = 0; i < nr && out < ex->max_vbs; i++) {
    usnmp_oid oid;
    long k = -1;
    if (usnmp_oid_from_ber(&oid, ex->req_vbs[i].oid, ex->req_vbs[i].oid_len) ==
        0)
      k = mib_next(a, &oid);
    if (k >= 0) {
      entry_vb(&a->mib[k], &ex->vbs[out++]);
    } else {
      ex->vbs[out] = ex->req_vbs[i];
      memset(&ex->vbs[out].value, 0, sizeof(ex->vbs[out].value));
      ex->vbs[out++].value.type = USNMP_TYPE_ENDOFMIBVIEW;
    }
  }
  if (n - nr > 16)
    n = nr + 16; /* the agent walks at most 16 columns */
  for (i = nr; i < n; i++) {
    lastvb[i - nr] = ex->req_vbs[i];
    if (usnmp_oid_from_ber(&last[i - nr], ex->req_vbs[i].oid,
                           ex->req_vbs[i].oid_len) < 0)
      last[i - nr].len = 0;
  }
  for (r = 0; r < mr && n > nr; r++) {
    int all_end = 1;
    for (i = nr; i < n && out < ex->max_vbs; i++) {
      long k = last[i - nr].len ? mib_next(a, &last[i - nr]) : -1;
      if (k >= 0) {
        entry_vb(&a->mib[k], &ex->vbs[out]);
        lastvb[i - nr] = ex->vbs[out++];
        last[i - nr] = a->mib[k].oid;
        all_end = 0;
      } else {
        /* endOfMibView carries the name it could not go past. */
        ex->vbs[out] = lastvb[i - nr];
        memset(&ex->vbs[out].value, 0, sizeof(ex->vbs[out].value));
        ex->vbs[out++].value.type = USNMP_TYPE_ENDOFMIBVIEW;
      }
    }
    if (all_end)
      break;
  }
  ex->n_vbs = out;
}

static void answer_set(usnmp_test_agent *a, usnmp_test_exchange *ex,
                       int writer) {
  const usnmp_msg *req = ex->request;
  int v1 = req->version == USNMP_VERSION_1;
  long idx[USNMP_MAX_VARBINDS];
  size_t i;
  memcpy(ex->vbs, ex->req_vbs, ex->n_req_vbs * sizeof(usnmp_varbind));
  ex->n_vbs = ex->n_req_vbs;
  for (i = 0; i < ex->n_req_vbs; i++) {
    usnmp_oid oid;
    long k = -1;
    if (!writer) {
      ex->error_status =
          v1 ? USNMP_ERROR_STATUS_NOSUCHNAME : USNMP_ERROR_STATUS_NOACCESS;
      ex->error_index = (int32_t)i + 1;
      return;
    }
    if (usnmp_oid_from_ber(&oid, ex->req_vbs[i].oid, ex->req_vbs[i].oid_len) ==
        0)
      k = mib_find(a, &oid);
    if (k < 0 || !a->mib[k].writable) {
      ex->error_status =
          v1 ? USNMP_ERROR_STATUS_NOSUCHNAME : USNMP_ERROR_STATUS_NOTWRITABLE;
      ex->error_index = (int32_t)i + 1;
      return;
    }
    if (a->mib[k].value.type != ex->req_vbs[i].value.type) {
      ex->error_status =
          v1 ? USNMP_ERROR_STATUS_BADVALUE : USNMP_ERROR_STATUS_WRONGTYPE;
      ex->error_index = (int32_t)i + 1;
      return;
    }
    idx[i] = k;
  }
  for (i = 0; i < ex->n_req_vbs; i++) {
    char text[1024];
    usnmp_oid_format(text, sizeof(text), &a->mib[idx[i]].oid);
    mib_set_locked(a, text, ex->req_vbs[i].value, 1);
  }
}

/* ------------------------------------------------------------------------
 * Sending
 * ------------------------------------------------------------------------ */

static void send_now(usnmp_test_agent *a, uv_udp_t *sock,
                     const struct sockaddr *to, const uint8_t *data,
                     size_t len);

static void on_delayed_closed(uv_handle_t *h) {
  delayed *d = h->data;
  usnmp_test_agent *a = d->a;
  free(d);
  a->open--;
  if (a->open == 0 && !a->threaded) {
    uv_mutex_destroy(&a->lock);
    free(a->mib);
    free(a);
  }
}

static void unlink_delayed(delayed **list, delayed *d) {
  while (*list != NULL && *list != d)
    list = &(*list)->next;
  if (*list == d)
    *list = d->next;
}

static void on_delay(uv_timer_t *t) {
  delayed *d = t->data;
  usnmp_test_agent *a = d->a;
  uv_mutex_lock(&a->lock);
  unlink_delayed(&a->timers, d);
  send_now(a, d->sock, (const struct sockaddr *)&d->to, d->data, d->len);
  a->stats.pending--;
  uv_mutex_unlock(&a->lock);
  uv_close((uv_handle_t *)&d->timer, on_delayed_closed);
}

static delayed *make_delayed(usnmp_test_agent *a, uv_udp_t *sock,
                             const struct sockaddr *to, const uint8_t *data,
                             size_t len) {
  delayed *d = malloc(sizeof(*d) + len);
  if (d == NULL)
    return NULL;
  memset(d, 0, sizeof(*d));
  d->a = a;
  d->sock = sock;
  memcpy(&d->to, to,
         to->sa_family == AF_INET6 ? sizeof(struct sockaddr_in6)
                                   : sizeof(struct sockaddr_in));
  d->len = len;
  memcpy(d->data, data, len);
  return d;
}

typedef struct send_copy {
  uv_udp_send_t req;
  uint8_t data[];
} send_copy;

static void on_sent(uv_udp_send_t *req, int status) {
  (void)status;
  free(req->data);
}

static void send_raw(usnmp_test_agent *a, uv_udp_t *sock,
                     const struct sockaddr *to, const uint8_t *data,
                     size_t len) {
  uv_buf_t buf = uv_buf_init((char *)(uintptr_t)data, (unsigned)len);
  int rc = uv_udp_try_send(sock, &buf, 1, to);
  if (rc == UV_EAGAIN) {
    send_copy *sc = malloc(sizeof(*sc) + len);
    if (sc == NULL)
      return;
    memcpy(sc->data, data, len);
    sc->req.data = sc;
    buf = uv_buf_init((char *)sc->data, (unsigned)len);
    if (uv_udp_send(&sc->req, sock, &buf, 1, to, on_sent) < 0)
      free(sc);
    else
      rc = 0;
  }
  if (rc >= 0)
    a->stats.replies++;
}

/* Sends a reply, then the replies held back for reordering. */
static void send_now(usnmp_test_agent *a, uv_udp_t *sock,
                     const struct sockaddr *to, const uint8_t *data,
                     size_t len) {
  send_raw(a, sock, to, data, len);
  while (a->held != NULL) {
    delayed *d = a->held;
    a->held = d->next;
    send_raw(a, d->sock, (const struct sockaddr *)&d->to, d->data, d->len);
    a->stats.pending--;
    free(d);
  }
}

/* ------------------------------------------------------------------------
 * Receiving
 * ------------------------------------------------------------------------ */

int usnmp_test_reply_set(usnmp_test_exchange *ex, size_t i, const char *text,
                         usnmp_value v) {
  usnmp_oid oid;
  int rc = usnmp_oid_parse(&oid, text);
  uint8_t *p;
  if (rc < 0)
    return rc;
  if (i > ex->n_vbs || i >= ex->max_vbs)
    return -1;
  p = ex->storage + ex->storage_used;
  rc = usnmp_oid_to_ber(p, ex->storage_size - ex->storage_used, &oid);
  if (rc < 0)
    return -1;
  ex->vbs[i].oid = p;
  ex->vbs[i].oid_len = (size_t)rc;
  ex->storage_used += (size_t)rc;
  if (has_bytes(v.type)) {
    if (v.v.bytes.len > ex->storage_size - ex->storage_used)
      return -1;
    p = ex->storage + ex->storage_used;
    if (v.v.bytes.len)
      memcpy(p, v.v.bytes.data, v.v.bytes.len);
    v.v.bytes.data = p;
    ex->storage_used += v.v.bytes.len;
  }
  ex->vbs[i].value = v;
  if (i == ex->n_vbs)
    ex->n_vbs++;
  return 0;
}

static void process(usnmp_test_agent *a, const uint8_t *data, size_t len,
                    const struct sockaddr *from) {
  usnmp_msg req, rep;
  usnmp_test_exchange ex;
  size_t n = 0;
  int writer, out_len;
  uv_udp_t *sock = &a->sock;

  a->stats.received++;
  if (a->stats.n_recv_ms < 64)
    a->stats.recv_ms[a->stats.n_recv_ms++] = uv_now(a->loop);
  if (usnmp_msg_decode(&req, a->req_vbs, USNMP_MAX_VARBINDS, &n, data, len) <
      0) {
    a->stats.malformed++;
    return;
  }
  writer = req.community_len == strlen(a->rw) &&
           memcmp(req.community, a->rw, req.community_len) == 0;
  if (!writer && !(req.community_len == strlen(a->ro) &&
                   memcmp(req.community, a->ro, req.community_len) == 0)) {
    a->stats.bad_community++;
    return;
  }
  a->stats.requests++;
  if (req.type >= 0xA0 && req.type <= 0xA8)
    a->stats.by_type[req.type - 0xA0]++;
  if (n > a->stats.max_vbs)
    a->stats.max_vbs = (uint32_t)n;
  a->stats.last_request_id = req.request_id;

  memset(&ex, 0, sizeof(ex));
  ex.request = &req;
  ex.req_vbs = a->req_vbs;
  ex.n_req_vbs = n;
  ex.seq = a->stats.requests - 1;
  ex.vbs = a->rep_vbs;
  ex.max_vbs = USNMP_MAX_VARBINDS;
  ex.storage = a->storage;
  ex.storage_size = sizeof(a->storage);
  switch (req.type) {
  case USNMP_PDU_GET:
    answer_get(a, &ex, 0);
    break;
  case USNMP_PDU_GETNEXT:
    answer_get(a, &ex, 1);
    break;
  case USNMP_PDU_GETBULK:
    answer_bulk(a, &ex);
    break;
  case USNMP_PDU_SET:
    answer_set(a, &ex, writer);
    break;
  default:
    return; /* not a request: ignored */
  }
  if (a->script_n > 0) {
    ex.action = a->script[a->script_head];
    a->script_head = (a->script_head + 1) % SCRIPT_MAX;
    a->script_n--;
  } else {
    ex.action = a->default_action;
  }
  if (a->toobig_over != 0 && n > a->toobig_over)
    ex.action.act = USNMP_TEST_TOOBIG;
  if (a->hook != NULL)
    a->hook(a, &ex, a->hook_arg);

  memset(&rep, 0, sizeof(rep));
  rep.version = req.version;
  rep.community = req.community;
  rep.community_len = req.community_len;
  rep.type = USNMP_PDU_RESPONSE;
  rep.request_id = req.request_id;
  rep.error_status = ex.error_status;
  rep.error_index = ex.error_index;
  switch (ex.action.act) {
  case USNMP_TEST_TOOBIG:
    rep.error_status = USNMP_ERROR_STATUS_TOOBIG;
    rep.error_index = 0;
    ex.n_vbs = 0;
    break;
  case USNMP_TEST_ERROR:
    rep.error_status = (int32_t)ex.action.param;
    rep.error_index = (int32_t)ex.action.param2;
    memcpy(ex.vbs, ex.req_vbs, n * sizeof(usnmp_varbind));
    ex.n_vbs = n;
    break;
  case USNMP_TEST_WRONG_ID:
    rep.request_id = req.request_id + 1;
    break;
  case USNMP_TEST_WRONG_COMMUNITY:
    rep.community = (const uint8_t *)"wrong-community";
    rep.community_len = strlen("wrong-community");
    break;
  case USNMP_TEST_WRONG_VERSION:
    rep.version =
        req.version == USNMP_VERSION_1 ? USNMP_VERSION_2C : USNMP_VERSION_1;
    break;
  case USNMP_TEST_WRONG_PDU:
    rep.type = USNMP_PDU_GET;
    break;
  case USNMP_TEST_OTHER_PORT:
    sock = &a->sock2;
    break;
  default:
    break;
  }
  out_len =
      usnmp_msg_encode(a->txbuf, sizeof(a->txbuf), &rep, ex.vbs, ex.n_vbs);
  if (out_len < 0) {
    /* What a real agent does when the answer does not fit. */
    rep.error_status = USNMP_ERROR_STATUS_TOOBIG;
    rep.error_index = 0;
    out_len = usnmp_msg_encode(a->txbuf, sizeof(a->txbuf), &rep, NULL, 0);
    if (out_len < 0)
      return;
  }
  a->stats.pending++;
  if (a->stats.pending > a->stats.max_pending)
    a->stats.max_pending = a->stats.pending;

  switch (ex.action.act) {
  case USNMP_TEST_DROP:
    a->stats.pending--;
    return;
  case USNMP_TEST_DELAY: {
    delayed *d = make_delayed(a, sock, from, a->txbuf, (size_t)out_len);
    if (d == NULL) {
      a->stats.pending--;
      return;
    }
    uv_timer_init(a->loop, &d->timer);
    d->timer.data = d;
    a->open++;
    d->next = a->timers;
    a->timers = d;
    uv_timer_start(&d->timer, on_delay, ex.action.param, 0);
    return;
  }
  case USNMP_TEST_HOLD: {
    delayed *d = make_delayed(a, sock, from, a->txbuf, (size_t)out_len);
    delayed **tail = &a->held;
    if (d == NULL) {
      a->stats.pending--;
      return;
    }
    while (*tail != NULL)
      tail = &(*tail)->next;
    *tail = d;
    return;
  }
  case USNMP_TEST_TRUNCATE:
    out_len -= (int)(ex.action.param < (uint32_t)out_len ? ex.action.param
                                                         : (uint32_t)out_len);
    break;
  case USNMP_TEST_CORRUPT:
    a->txbuf[ex.action.param % (uint32_t)out_len] ^= 0xff;
    break;
  case USNMP_TEST_DUPLICATE:
    send_raw(a, sock, from, a->txbuf, (size_t)out_len);
    break;
  default:
    break;
  }
  a->stats.pending--;
  send_now(a, sock, from, a->txbuf, (size_t)out_len);
}

static void on_alloc(uv_handle_t *h, size_t suggested, uv_buf_t *buf) {
  usnmp_test_agent *a = h->data;
  (void)suggested;
  buf->base = (char *)a->rxbuf;
  buf->len = sizeof(a->rxbuf);
}

static void on_recv(uv_udp_t *h, ssize_t nread, const uv_buf_t *buf,
                    const struct sockaddr *addr, unsigned flags) {
  usnmp_test_agent *a = h->data;
  (void)flags;
  if (nread <= 0 || addr == NULL)
    return;
  uv_mutex_lock(&a->lock);
  process(a, (const uint8_t *)buf->base, (size_t)nread, addr);
  uv_mutex_unlock(&a->lock);
}

/* ------------------------------------------------------------------------
 * Life cycle
 * ------------------------------------------------------------------------ */

static int bind_loopback(usnmp_test_agent *a, uv_udp_t *sock, int family,
                         uint16_t *port) {
  struct sockaddr_storage ss;
  int len = sizeof(ss);
  int rc;
  memset(&ss, 0, sizeof(ss));
  if (family == AF_INET6)
    rc = uv_ip6_addr("::1", 0, (struct sockaddr_in6 *)&ss);
  else
    rc = uv_ip4_addr("127.0.0.1", 0, (struct sockaddr_in *)&ss);
  if (rc == 0)
    rc = uv_udp_init(a->loop, sock);
  if (rc < 0)
    return rc;
  sock->data = a;
  a->open++;
  rc = uv_udp_bind(sock, (const struct sockaddr *)&ss, 0);
  if (rc == 0) {
    /* Room for a burst of a thousand requests (the kernel may clamp it
     * to net.core.rmem_max; 4 MiB on the test machines). */
    int size = 4 * 1024 * 1024;
    (void)uv_recv_buffer_size((uv_handle_t *)sock, &size);
    size = 4 * 1024 * 1024;
    (void)uv_send_buffer_size((uv_handle_t *)sock, &size);
  }
  if (rc == 0)
    rc = uv_udp_getsockname(sock, (struct sockaddr *)&ss, &len);
  if (rc == 0)
    rc = uv_udp_recv_start(sock, on_alloc, on_recv);
  if (rc == 0)
    *port = ntohs(family == AF_INET6 ? ((struct sockaddr_in6 *)&ss)->sin6_port
                                     : ((struct sockaddr_in *)&ss)->sin_port);
  return rc;
}

static void on_handle_closed(uv_handle_t *h) {
  usnmp_test_agent *a = h->data;
  a->open--;
  if (a->open == 0 && !a->threaded) {
    uv_mutex_destroy(&a->lock);
    free(a->mib);
    free(a);
  }
}

static void close_handles(usnmp_test_agent *a) {
  delayed *d;
  while ((d = a->held) != NULL) {
    a->held = d->next;
    free(d);
  }
  while ((d = a->timers) != NULL) {
    a->timers = d->next;
    uv_close((uv_handle_t *)&d->timer, on_delayed_closed);
  }
  if (!uv_is_closing((uv_handle_t *)&a->sock))
    uv_close((uv_handle_t *)&a->sock, on_handle_closed);
  if (!uv_is_closing((uv_handle_t *)&a->sock2))
    uv_close((uv_handle_t *)&a->sock2, on_handle_closed);
}

static int agent_init(usnmp_test_agent *a, uv_loop_t *loop, int family) {
  uint16_t port2;
  int rc;
  a->loop = loop;
  a->family = family;
  strcpy(a->ro, "public");
  strcpy(a->rw, "private");
  a->mib = calloc(MIB_MAX, sizeof(mib_entry));
  if (a->mib == NULL || uv_mutex_init(&a->lock) != 0)
    return UV_ENOMEM;
  if (mib_default(a) != 0)
    return UV_ENOMEM;
  rc = bind_loopback(a, &a->sock, family, &a->port);
  if (rc == 0)
    rc = bind_loopback(a, &a->sock2, family, &port2);
  if (family == AF_INET6)
    snprintf(a->address, sizeof(a->address), "udp6:[::1]:%u", a->port);
  else
    snprintf(a->address, sizeof(a->address), "127.0.0.1:%u", a->port);
  return rc;
}

int usnmp_test_agent_new(usnmp_test_agent **out, uv_loop_t *loop, int family) {
  usnmp_test_agent *a = calloc(1, sizeof(*a));
  int rc;
  if (a == NULL)
    return UV_ENOMEM;
  rc = agent_init(a, loop, family);
  if (rc < 0) {
    mib_clear_locked(a);
    if (a->open > 0) {
      close_handles(a); /* frees a in the last close callback */
    } else {
      free(a->mib);
      free(a);
    }
    return rc;
  }
  *out = a;
  return 0;
}

void usnmp_test_agent_close(usnmp_test_agent *a) {
  uv_mutex_lock(&a->lock);
  mib_clear_locked(a);
  uv_mutex_unlock(&a->lock);
  close_handles(a);
}

static void on_stop(uv_async_t *h) {
  usnmp_test_agent *a = h->data;
  close_handles(a);
  uv_close((uv_handle_t *)&a->stop, NULL);
}

static void agent_thread(void *arg) {
  usnmp_test_agent *a = arg;
  a->start_rc = uv_loop_init(&a->own_loop);
  if (a->start_rc == 0)
    a->start_rc = agent_init(a, &a->own_loop, a->family);
  if (a->start_rc == 0)
    a->start_rc = uv_async_init(&a->own_loop, &a->stop, on_stop);
  a->stop.data = a;
  if (a->start_rc < 0) {
    close_handles(a);
    uv_run(&a->own_loop, UV_RUN_DEFAULT);
    uv_sem_post(&a->ready);
    return;
  }
  uv_sem_post(&a->ready);
  uv_run(&a->own_loop, UV_RUN_DEFAULT);
}

int usnmp_test_agent_start_thread(usnmp_test_agent **out, int family) {
  usnmp_test_agent *a = calloc(1, sizeof(*a));
  int rc;
  if (a == NULL)
    return UV_ENOMEM;
  a->threaded = 1;
  a->family = family;
  rc = uv_sem_init(&a->ready, 0);
  if (rc == 0)
    rc = uv_thread_create(&a->thread, agent_thread, a);
  if (rc < 0) {
    free(a);
    return rc;
  }
  uv_sem_wait(&a->ready);
  uv_sem_destroy(&a->ready);
  if (a->start_rc < 0) {
    rc = a->start_rc;
    uv_thread_join(&a->thread);
    uv_loop_close(&a->own_loop);
    mib_clear_locked(a);
    free(a->mib);
    free(a);
    return rc;
  }
  *out = a;
  return 0;
}

void usnmp_test_agent_stop_thread(usnmp_test_agent *a) {
  uv_async_send(&a->stop);
  uv_thread_join(&a->thread);
  uv_loop_close(&a->own_loop);
  mib_clear_locked(a);
  uv_mutex_destroy(&a->lock);
  free(a->mib);
  free(a);
}

const char *usnmp_test_agent_address(const usnmp_test_agent *a) {
  return a->address;
}

uint16_t usnmp_test_agent_port(const usnmp_test_agent *a) { return a->port; }

void usnmp_test_agent_set_communities(usnmp_test_agent *a, const char *ro,
                                      const char *rw) {
  uv_mutex_lock(&a->lock);
  snprintf(a->ro, sizeof(a->ro), "%s", ro);
  snprintf(a->rw, sizeof(a->rw), "%s", rw);
  uv_mutex_unlock(&a->lock);
}

int usnmp_test_agent_mib_set(usnmp_test_agent *a, const char *oid,
                             usnmp_value v, int writable) {
  int rc;
  uv_mutex_lock(&a->lock);
  rc = mib_set_locked(a, oid, v, writable);
  uv_mutex_unlock(&a->lock);
  return rc;
}

int usnmp_test_agent_mib_fill(usnmp_test_agent *a, const char *prefix,
                              uint32_t count) {
  uint32_t i;
  for (i = 1; i <= count; i++) {
    char name[512];
    int rc;
    snprintf(name, sizeof(name), "%s.%u", prefix, i);
    rc = usnmp_test_agent_mib_set(a, name, usnmp_value_integer((int32_t)i), 0);
    if (rc != 0)
      return rc;
  }
  return 0;
}

int usnmp_test_agent_mib_format(usnmp_test_agent *a, const char *text,
                                char *buf, size_t size) {
  usnmp_oid oid;
  long k;
  int rc = -1;
  if (usnmp_oid_parse(&oid, text) < 0)
    return -1;
  uv_mutex_lock(&a->lock);
  k = mib_find(a, &oid);
  if (k >= 0 && usnmp_value_format(buf, size, &a->mib[k].value) >= 0)
    rc = 0;
  uv_mutex_unlock(&a->lock);
  return rc;
}

void usnmp_test_agent_mib_clear(usnmp_test_agent *a) {
  uv_mutex_lock(&a->lock);
  mib_clear_locked(a);
  uv_mutex_unlock(&a->lock);
}

void usnmp_test_agent_push(usnmp_test_agent *a, usnmp_test_action action) {
  uv_mutex_lock(&a->lock);
  if (a->script_n < SCRIPT_MAX) {
    a->script[(a->script_head + a->script_n) % SCRIPT_MAX] = action;
    a->script_n++;
  }
  uv_mutex_unlock(&a->lock);
}

void usnmp_test_agent_set_default(usnmp_test_agent *a,
                                  usnmp_test_action action) {
  uv_mutex_lock(&a->lock);
  a->default_action = action;
  uv_mutex_unlock(&a->lock);
}

void usnmp_test_agent_set_toobig_over(usnmp_test_agent *a, uint32_t k) {
  uv_mutex_lock(&a->lock);
  a->toobig_over = k;
  uv_mutex_unlock(&a->lock);
}

void usnmp_test_agent_set_hook(usnmp_test_agent *a, usnmp_test_agent_hook hook,
                               void *arg) {
  uv_mutex_lock(&a->lock);
  a->hook = hook;
  a->hook_arg = arg;
  uv_mutex_unlock(&a->lock);
}

void usnmp_test_agent_get_stats(usnmp_test_agent *a,
                                usnmp_test_agent_stats *out) {
  uv_mutex_lock(&a->lock);
  *out = a->stats;
  uv_mutex_unlock(&a->lock);
}
