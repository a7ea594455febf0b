/*
 * The blocking layer: the minimal Python manager's semantics on top of the
 * async manager, which runs on a private loop.
 *
 * Every blocking call follows the same steps: look each OID up in the
 * per-host cache, start one async request for the OIDs that have neither a
 * value nor a request in flight, then run the private loop until every
 * OID of the call has an answer, a failure, or the call's deadline passes.
 * Nothing here blocks except uv_run() on the private loop, so requests that
 * earlier non-blocking calls started make progress during any later call.
 *
 * Cache entries have three states.  PENDING belongs to a request in flight;
 * READY holds a copy of the agent's varbind; FAILED holds the status of a
 * request that failed and is handed to the first call that collects it,
 * then dropped, so errors and timeouts are never served from the cache.
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "alloc.h"
#include "manager_int.h"
#include "pdu.h"
#include "usnmp.h"

enum op_kind { KIND_GET = 0, KIND_GETNEXT = 1, KIND_SET = 2 };
enum entry_state { ENTRY_PENDING, ENTRY_READY, ENTRY_FAILED };

typedef struct sync_host sync_host;
typedef struct entry entry;
typedef struct op op;
typedef struct host_alias host_alias;

/* One cached (host, kind, OID) answer. */
struct entry {
  entry *hash_next;
  entry *age_prev, *age_next; /* insertion order, for the cache bound */
  sync_host *host;
  int kind;                   /* KIND_GET or KIND_GETNEXT */
  int state;
  op *op;                     /* PENDING: the request that will answer */
  int status;                 /* FAILED: the request's status */
  int32_t error_status;       /* FAILED with USNMP_E_SNMP_ERROR */
  int failed_object;          /* FAILED: this OID was the error-index */
  uint32_t hash;
  size_t key_len;
  uint8_t *key;               /* BER content octets of the asked OID */
  usnmp_varbind vb;           /* READY: copy of the answer */
  uint8_t *vb_storage;
};

/* One request the layer started (or queued behind a SET). */
struct op {
  op *queue_next;
  sync_host *host;
  int kind;
  size_t n;
  usnmp_oid *oids;
  usnmp_value *values;        /* SET only: deep copies */
  uint8_t *value_storage;
  entry **entries;            /* entries[i] answers oids[i]; NULL if gone */
  usnmp_request_opts ropts;
  char *community;
};

/* Per-agent state: the async target and the GET/SET ordering.  A host is
 * its resolved address and port: "h", "h:161" and "udp:h" are one host,
 * with one cache and one GET/SET order. */
struct sync_host {
  sync_host *next;
  usnmp_sync *sync;
  usnmp_target *target;
  struct sockaddr_storage addr;
  unsigned active_gets;       /* GET/GETNEXT requests in flight */
  size_t getnext_entries;     /* cache entries of kind KIND_GETNEXT */
  int set_active;
  op *set_head, *set_tail;    /* SETs waiting for the GETs to drain */
  op *get_head, *get_tail;    /* GETs waiting for a SET */
};

/* An agent string a caller used, read with the default port of that
 * time, and the host it names: later calls with the same string skip the
 * parser and the resolver. */
struct host_alias {
  host_alias *next;
  char *name;
  uint16_t port;
  sync_host *host;
};

struct usnmp_sync {
  usnmp_allocator alloc;
  uv_loop_t loop;
  usnmp_manager *manager;
  sync_host *hosts;
  host_alias *aliases;
  usnmp_sync_walk *walks;     /* live walks, detached by close */
  usnmp_version version;
  char *community;
  char *write_community;
  uint16_t port;
  uint32_t resend_ms;
  uint32_t timeout_ms;
  size_t cache_limit;
  size_t cache_count;
  size_t bucket_count;
  entry **buckets;
  entry *age_head, *age_tail;
  /* A call of s is on the stack: its private loop or its allocation
   * hook may call back into the application, which must not re-enter s
   * (see enter()). */
  int running;
  int32_t last_error_status;
  int32_t last_error_index;
  int manager_closed; /* the manager's close callback ran */
  /* SNMPv3, applied to every host (v3_user NULL: none set).  The
   * passwords are kept because hosts are created on first use and each
   * localises the keys to its own agent; they are wiped when replaced and
   * at close. */
  char *v3_user;
  usnmp_auth_proto v3_auth;
  usnmp_priv_proto v3_priv;
  char *v3_authpass;
  char *v3_privpass;
  usnmp_sec_level v3_level; /* 0: the highest the protocols allow */
  char *v3_context;         /* NULL: the default context */
};

struct usnmp_vblist {
  usnmp_allocator alloc; /* the sync object's, to free the list with */
  size_t n;
  usnmp_varbind *vbs;
};

/* ---- memory: every allocation goes through the sync object's hook ---- */

static void *mem_alloc(usnmp_sync *s, size_t size) {
  return s->alloc.malloc(size ? size : 1, s->alloc.ctx);
}

static void *mem_calloc(usnmp_sync *s, size_t n, size_t size) {
  void *p;
  size_t total;
  if (size && n > SIZE_MAX / size)
    return NULL;
  total = n * size;
  p = mem_alloc(s, total);
  if (p && total)
    memset(p, 0, total);
  return p;
}

static void mem_free(usnmp_sync *s, void *p) {
  if (p)
    s->alloc.free(p, s->alloc.ctx);
}

/* ---- owned varbind lists ---- */

static size_t value_extra(const usnmp_value *v) {
  return usnmp__value_has_bytes(v->type) ? v->v.bytes.len : 0;
}

/* Copies a value's bytes to *cursor and points the copy at them. */
static void value_copy(usnmp_value *dst, const usnmp_value *src,
                       uint8_t **cursor) {
  *dst = *src;
  size_t extra = value_extra(src);
  if (extra) {
    memcpy(*cursor, src->v.bytes.data, extra);
    dst->v.bytes.data = *cursor;
    *cursor += extra;
  }
}

/* Copies vb into one allocation stored in *storage. */
static int varbind_copy(usnmp_sync *s, usnmp_varbind *dst, uint8_t **storage,
                        const usnmp_varbind *src) {
  size_t size = src->oid_len + value_extra(&src->value);
  uint8_t *p = mem_alloc(s, size ? size : 1);
  if (!p)
    return USNMP_E_NOMEM;
  *storage = p;
  memcpy(p, src->oid, src->oid_len);
  dst->oid = p;
  dst->oid_len = src->oid_len;
  p += src->oid_len;
  value_copy(&dst->value, &src->value, &p);
  return 0;
}

static usnmp_vblist *vblist_build(usnmp_sync *s, entry **entries,
                                  size_t n) {
  size_t size = sizeof(usnmp_vblist) + n * sizeof(usnmp_varbind);
  for (size_t i = 0; i < n; i++)
    size += entries[i]->vb.oid_len + value_extra(&entries[i]->vb.value);
  usnmp_vblist *l = mem_alloc(s, size);
  if (!l)
    return NULL;
  l->alloc = s->alloc;
  l->n = n;
  l->vbs = (usnmp_varbind *)(l + 1);
  uint8_t *cursor = (uint8_t *)(l->vbs + n);
  for (size_t i = 0; i < n; i++) {
    const usnmp_varbind *src = &entries[i]->vb;
    memcpy(cursor, src->oid, src->oid_len);
    l->vbs[i].oid = cursor;
    l->vbs[i].oid_len = src->oid_len;
    cursor += src->oid_len;
    value_copy(&l->vbs[i].value, &src->value, &cursor);
  }
  return l;
}

size_t usnmp_vblist_count(const usnmp_vblist *l) { return l ? l->n : 0; }

const usnmp_varbind *usnmp_vblist_get(const usnmp_vblist *l, size_t i) {
  return l && i < l->n ? &l->vbs[i] : NULL;
}

void usnmp_vblist_free(usnmp_vblist *l) {
  if (l)
    l->alloc.free(l, l->alloc.ctx);
}

/* ---- re-entrance ----
 *
 * The rule: while a call of s runs, the application is called back only
 * from inside it (callbacks of requests started on usnmp_sync_manager(s),
 * which run in the private loop, and the allocation hook), and from there
 * no function of s that changes it or runs its loop may run: they return
 * USNMP_E_IN_CALLBACK and do nothing.  The cache entries, hosts and walks
 * the running call holds therefore never change under it, and the private
 * loop never runs inside itself.  GUARD wraps every such function. */
#define GUARD(s, expr)                                                         \
  do {                                                                         \
    int guard_rc_;                                                             \
    if (!(s))                                                                  \
      return USNMP_E_INVAL;                                                    \
    if ((s)->running)                                                          \
      return USNMP_E_IN_CALLBACK;                                              \
    (s)->running = 1;                                                          \
    guard_rc_ = (expr);                                                        \
    (s)->running = 0;                                                          \
    return guard_rc_;                                                          \
  } while (0)

/* ---- the cache ---- */

static uint32_t key_hash(const sync_host *h, int kind, const uint8_t *key,
                         size_t len) {
  /* FNV-1a over the host pointer, the kind and the OID bytes. */
  uint32_t x = 2166136261u;
  uintptr_t hp = (uintptr_t)h;
  for (size_t i = 0; i < sizeof hp; i++) {
    x = (x ^ (uint8_t)(hp >> (8 * i))) * 16777619u;
  }
  x = (x ^ (uint8_t)kind) * 16777619u;
  for (size_t i = 0; i < len; i++)
    x = (x ^ key[i]) * 16777619u;
  return x;
}

static entry *cache_find(usnmp_sync *s, sync_host *h, int kind, const uint8_t *key,
                         size_t len, uint32_t hash) {
  for (entry *e = s->buckets[hash & (s->bucket_count - 1)]; e;
       e = e->hash_next) {
    if (e->hash == hash && e->host == h && e->kind == kind &&
        e->key_len == len && memcmp(e->key, key, len) == 0)
      return e;
  }
  return NULL;
}

static int cache_grow(usnmp_sync *s) {
  size_t count = s->bucket_count * 2;
  entry **buckets = mem_calloc(s, count, sizeof *buckets);
  if (!buckets)
    return USNMP_E_NOMEM;
  for (size_t i = 0; i < s->bucket_count; i++) {
    entry *e = s->buckets[i];
    while (e) {
      entry *next = e->hash_next;
      e->hash_next = buckets[e->hash & (count - 1)];
      buckets[e->hash & (count - 1)] = e;
      e = next;
    }
  }
  mem_free(s, s->buckets);
  s->buckets = buckets;
  s->bucket_count = count;
  return 0;
}

static entry *cache_insert(usnmp_sync *s, sync_host *h, int kind,
                           const uint8_t *key, size_t len, uint32_t hash) {
  if (s->cache_count + 1 > s->bucket_count && cache_grow(s) != 0)
    return NULL;
  entry *e = mem_calloc(s, 1, sizeof *e);
  if (!e)
    return NULL;
  e->key = mem_alloc(s, len ? len : 1);
  if (!e->key) {
    mem_free(s, e);
    return NULL;
  }
  memcpy(e->key, key, len);
  e->key_len = len;
  e->host = h;
  e->kind = kind;
  if (kind == KIND_GETNEXT)
    h->getnext_entries++;
  e->hash = hash;
  e->state = ENTRY_PENDING;
  entry **bucket = &s->buckets[hash & (s->bucket_count - 1)];
  e->hash_next = *bucket;
  *bucket = e;
  e->age_prev = s->age_tail;
  if (s->age_tail)
    s->age_tail->age_next = e;
  else
    s->age_head = e;
  s->age_tail = e;
  s->cache_count++;
  return e;
}

/* Detaches e from the request that would have answered it. */
static void entry_detach_op(entry *e) {
  if (e->state != ENTRY_PENDING || !e->op)
    return;
  for (size_t i = 0; i < e->op->n; i++) {
    if (e->op->entries[i] == e)
      e->op->entries[i] = NULL;
  }
  e->op = NULL;
}

static void cache_remove(usnmp_sync *s, entry *e) {
  entry **p = &s->buckets[e->hash & (s->bucket_count - 1)];
  while (*p != e)
    p = &(*p)->hash_next;
  *p = e->hash_next;
  if (e->age_prev)
    e->age_prev->age_next = e->age_next;
  else
    s->age_head = e->age_next;
  if (e->age_next)
    e->age_next->age_prev = e->age_prev;
  else
    s->age_tail = e->age_prev;
  entry_detach_op(e);
  if (e->kind == KIND_GETNEXT)
    e->host->getnext_entries--;
  s->cache_count--;
  mem_free(s, e->vb_storage);
  mem_free(s, e->key);
  mem_free(s, e);
}

/* Drops the oldest answered entries beyond the limit; entries still in
 * flight are never dropped, so a call always finds its own answers. */
static void cache_trim(usnmp_sync *s) {
  if (!s->cache_limit)
    return;
  entry *e = s->age_head;
  while (e && s->cache_count > s->cache_limit) {
    entry *next = e->age_next;
    if (e->state == ENTRY_READY)
      cache_remove(s, e);
    e = next;
  }
}

static int cache_clear(usnmp_sync *s) {
  while (s->age_head)
    cache_remove(s, s->age_head);
  return 0;
}

int usnmp_sync_cache_clear(usnmp_sync *s) { GUARD(s, cache_clear(s)); }

size_t usnmp_sync_cache_size(const usnmp_sync *s) {
  size_t n = 0;
  for (const entry *e = s->age_head; e; e = e->age_next)
    n += e->state == ENTRY_READY;
  return n;
}

static int set_cache_limit(usnmp_sync *s, size_t max) {
  s->cache_limit = max;
  cache_trim(s);
  return 0;
}

int usnmp_sync_set_cache_limit(usnmp_sync *s, size_t max) {
  GUARD(s, set_cache_limit(s, max));
}

/* ---- hosts ---- */

static char *dup_string(usnmp_sync *s, const char *text) {
  size_t len = strlen(text) + 1;
  char *copy = mem_alloc(s, len);
  if (copy)
    memcpy(copy, text, len);
  return copy;
}

/* Overwrites a secret before freeing it (OPENSSL_cleanse: a plain loop
 * or memset before free() may be dropped by the compiler as a dead
 * store). */
static void free_secret(usnmp_sync *s, char *p) {
  if (p) {
    OPENSSL_cleanse(p, strlen(p));
    mem_free(s, p);
  }
}

/* Gives target t the layer's v3 user, level and context. */
static int apply_v3(usnmp_sync *s, usnmp_target *t) {
  int rc = usnmp_target_set_v3_user(t, s->v3_user, s->v3_auth,
                                    s->v3_authpass, s->v3_priv,
                                    s->v3_privpass);
  if (rc == 0 && s->v3_level != 0)
    rc = usnmp_target_set_v3_level(t, s->v3_level);
  if (rc == 0)
    rc = usnmp_target_set_v3_context(t, NULL, 0, s->v3_context);
  return rc;
}

static sync_host *host_find_addr(usnmp_sync *s,
                                 const struct sockaddr_storage *addr) {
  for (sync_host *h = s->hosts; h; h = h->next) {
    if (usnmp__sockaddr_equal((const struct sockaddr *)&h->addr,
                              (const struct sockaddr *)addr))
      return h;
  }
  return NULL;
}

static int alias_add(usnmp_sync *s, const char *name, sync_host *h) {
  host_alias *a = mem_calloc(s, 1, sizeof *a);
  if (!a)
    return USNMP_E_NOMEM;
  a->name = dup_string(s, name);
  if (!a->name) {
    mem_free(s, a);
    return USNMP_E_NOMEM;
  }
  a->port = s->port;
  a->host = h;
  a->next = s->aliases;
  s->aliases = a;
  return 0;
}

static int run_until(usnmp_sync *s, int (*done)(void *), void *arg,
                     uint32_t timeout_ms);

static int target_resolved(void *arg) {
  return ((usnmp_target *)arg)->resolve_status != 1;
}

/* Gives the new host's target the layer's settings. */
static int host_setup(usnmp_sync *s, usnmp_target *t) {
  int rc = 0;
  if (s->v3_user != NULL)
    rc = apply_v3(s, t);
  if (rc == 0)
    rc = usnmp_target_set_version(t, s->version);
  if (rc == 0)
    rc = usnmp_target_set_community(t, s->community);
  if (rc == 0)
    rc = usnmp_target_set_write_community(
        t, s->write_community ? s->write_community : s->community);
  if (rc == 0)
    rc = usnmp_target_set_resend(t, s->resend_ms);
  if (rc == 0)
    rc = usnmp_target_set_retries(t, -1);
  usnmp_target_set_data(t, s);
  return rc;
}

/* Finds or makes the host an agent string names.  The string goes through
 * the manager's parser with the layer's default port; a host name is
 * resolved now (within timeout_ms), so that every string naming one
 * address and port finds one host.  Returns 0, USNMP_E_INVAL,
 * USNMP_E_RESOLVE, USNMP_E_TIMEOUT (the resolver did not answer in time)
 * or USNMP_E_NOMEM. */
static int host_get(usnmp_sync *s, const char *name, uint32_t timeout_ms,
                    sync_host **out) {
  struct sockaddr_storage addr;
  char host_name[256];
  const char *to_resolve = NULL;
  int family;
  usnmp_target *t = NULL;
  sync_host *h;
  int rc;

  for (host_alias *a = s->aliases; a; a = a->next) {
    if (a->port == s->port && strcmp(a->name, name) == 0) {
      *out = a->host;
      return 0;
    }
  }
  rc = usnmp__agent_parse_port(name, s->port, &addr, host_name,
                               sizeof host_name, &to_resolve, &family);
  if (rc)
    return rc;
  if (to_resolve) {
    rc = usnmp__target_new_port(s->manager, &t, name, s->port);
    if (rc)
      return rc;
    rc = run_until(s, target_resolved, t, timeout_ms);
    if (rc == 0 && t->resolve_status < 0)
      rc = USNMP_E_RESOLVE;
    if (rc) {
      usnmp_target_free(t);
      return rc;
    }
    addr = t->addr;
  }
  h = host_find_addr(s, &addr);
  if (h) {
    usnmp_target_free(t);
    rc = alias_add(s, name, h);
    if (rc == 0)
      *out = h;
    return rc;
  }
  h = mem_calloc(s, 1, sizeof *h);
  if (!h) {
    usnmp_target_free(t);
    return USNMP_E_NOMEM;
  }
  h->sync = s;
  h->addr = addr;
  if (!t)
    rc = usnmp__target_new_port(s->manager, &t, name, s->port);
  if (rc == 0)
    rc = host_setup(s, t);
  if (rc != 0) {
    usnmp_target_free(t);
    mem_free(s, h);
    return rc;
  }
  h->target = t;
  h->next = s->hosts;
  s->hosts = h;
  rc = alias_add(s, name, h);
  if (rc == 0)
    *out = h;
  return rc;
}

/* ---- requests ---- */

static void op_free(op *o) {
  usnmp_sync *s = o->host->sync;
  mem_free(s, o->oids);
  mem_free(s, o->values);
  mem_free(s, o->value_storage);
  mem_free(s, o->entries);
  mem_free(s, o->community);
  mem_free(s, o);
}

static void pump(usnmp_sync *s, sync_host *h);

/* Marks every entry of o failed with status, and which one the agent's
 * error-index named. */
static void op_fail(op *o, int status, int32_t error_status,
                    int32_t error_index) {
  for (size_t i = 0; i < o->n; i++) {
    entry *e = o->entries[i];
    if (!e)
      continue;
    e->state = ENTRY_FAILED;
    e->op = NULL;
    e->status = status;
    e->error_status = error_status;
    e->failed_object = error_index == (int32_t)(i + 1);
  }
}

static void op_done(const usnmp_response *resp, void *arg) {
  op *o = arg;
  sync_host *h = o->host;
  usnmp_sync *s = usnmp_target_data(h->target);
  /* The waiting call re-checks its entries after every uv_run(); stopping
   * the loop makes that run return even when this completion came from a
   * timer that ran before the loop's poll, which would otherwise block
   * until the next event. */
  if (resp->status == USNMP_E_CLOSED) {
    /* The sync object is going away; its entries are freed by close. */
    op_free(o);
    return;
  }
  uv_stop(&s->loop);
  if (resp->status != 0) {
    op_fail(o, resp->status, 0, 0);
  } else if (resp->error_status != 0) {
    op_fail(o, USNMP_E_SNMP_ERROR, resp->error_status, resp->error_index);
  } else if (resp->varbind_count != o->n) {
    op_fail(o, USNMP_E_BAD_VALUE, 0, 0);
  } else {
    for (size_t i = 0; i < o->n; i++) {
      entry *e = o->entries[i];
      if (!e)
        continue;
      e->op = NULL;
      if (varbind_copy(s, &e->vb, &e->vb_storage, &resp->varbinds[i]) != 0) {
        e->state = ENTRY_FAILED;
        e->status = USNMP_E_NOMEM;
        continue;
      }
      e->state = ENTRY_READY;
    }
  }
  if (o->kind == KIND_SET)
    h->set_active = 0;
  else
    h->active_gets--;
  op_free(o);
  pump(s, h);
}

static void op_start(usnmp_sync *s, op *o) {
  sync_host *h = o->host;
  int rc;
  if (o->kind == KIND_SET) {
    h->set_active = 1;
    rc = usnmp_set(h->target, o->oids, o->values, o->n, &o->ropts, op_done, o,
                   NULL);
  } else {
    h->active_gets++;
    rc = (o->kind == KIND_GET ? usnmp_get : usnmp_getnext)(
        h->target, o->oids, o->n, &o->ropts, op_done, o, NULL);
  }
  if (rc != 0) {
    if (o->kind == KIND_SET)
      h->set_active = 0;
    else
      h->active_gets--;
    op_fail(o, rc, 0, 0);
    op_free(o);
  }
  (void)s;
}

/* Writer-preferred ordering: a SET goes once no GET of its host is in
 * flight; GETs queued behind a SET go once no SET is active or waiting. */
static void pump(usnmp_sync *s, sync_host *h) {
  for (;;) {
    if (h->set_active)
      return;
    if (h->set_head) {
      if (h->active_gets)
        return;
      op *o = h->set_head;
      h->set_head = o->queue_next;
      if (!h->set_head)
        h->set_tail = NULL;
      op_start(s, o);
      continue;
    }
    if (!h->get_head)
      return;
    op *o = h->get_head;
    h->get_head = o->queue_next;
    if (!h->get_head)
      h->get_tail = NULL;
    op_start(s, o);
  }
}

static void op_enqueue(usnmp_sync *s, op *o) {
  sync_host *h = o->host;
  if (o->kind == KIND_SET) {
    if (h->set_tail)
      h->set_tail->queue_next = o;
    else
      h->set_head = o;
    h->set_tail = o;
  } else if (h->set_active || h->set_head) {
    if (h->get_tail)
      h->get_tail->queue_next = o;
    else
      h->get_head = o;
    h->get_tail = o;
  } else {
    op_start(s, o);
    return;
  }
  pump(s, h);
}

static op *op_new(sync_host *h, int kind, size_t n, const usnmp_call_opts *opts,
                  uint32_t timeout_ms) {
  usnmp_sync *s = h->sync;
  op *o = mem_calloc(s, 1, sizeof *o);
  if (!o)
    return NULL;
  o->host = h;
  o->kind = kind;
  o->oids = mem_alloc(s, n * sizeof *o->oids);
  o->entries = mem_calloc(s, n, sizeof *o->entries);
  if (!o->oids || !o->entries) {
    op_free(o);
    return NULL;
  }
  o->ropts.flags = USNMP_OPT_TIMEOUT;
  o->ropts.timeout_ms = timeout_ms;
  if (opts && (opts->flags & USNMP_CALL_COMMUNITY) && opts->community) {
    o->community = dup_string(s, opts->community);
    if (!o->community) {
      op_free(o);
      return NULL;
    }
    o->ropts.flags |= USNMP_OPT_COMMUNITY;
    o->ropts.community = o->community;
  }
  return o;
}

/* ---- the blocking calls ---- */

/* A flag this version does not know may guard a field our struct lacks
 * (see "ABI" in usnmp.h): refuse it rather than ignore what it asks. */
static int call_flags_known(const usnmp_call_opts *o) {
  return !o || !(o->flags & ~(USNMP_CALL_TIMEOUT | USNMP_CALL_COMMUNITY |
                              USNMP_CALL_NONBLOCK | USNMP_CALL_REFRESH));
}

static uint32_t call_timeout(const usnmp_sync *s, const usnmp_call_opts *o) {
  return o && (o->flags & USNMP_CALL_TIMEOUT) ? o->timeout_ms : s->timeout_ms;
}

static void deadline_cb(uv_timer_t *timer) {
  int *expired = timer->data;
  *expired = 1;
}

static void close_timer_cb(uv_handle_t *handle) { (void)handle; }

static int any_pending(entry **entries, size_t n) {
  for (size_t i = 0; i < n; i++) {
    if (entries[i]->state == ENTRY_PENDING)
      return 1;
  }
  return 0;
}

/* Runs the private loop until done(arg) or the deadline passes.  Returns
 * 0 or USNMP_E_TIMEOUT. */
static int run_until(usnmp_sync *s, int (*done)(void *), void *arg,
                     uint32_t timeout_ms) {
  if (done(arg))
    return 0;
  uv_timer_t deadline;
  int expired = 0;
  uv_timer_init(&s->loop, &deadline);
  deadline.data = &expired;
  /* A small grace lets the request's own timeout, which has the same
   * length, report first. */
  uv_timer_start(&deadline, deadline_cb, (uint64_t)timeout_ms + 50, 0);
  while (!expired && !done(arg))
    uv_run(&s->loop, UV_RUN_ONCE);
  uv_timer_stop(&deadline);
  uv_close((uv_handle_t *)&deadline, close_timer_cb);
  uv_run(&s->loop, UV_RUN_NOWAIT);
  return done(arg) ? 0 : USNMP_E_TIMEOUT;
}

typedef struct wait_set {
  entry **entries;
  size_t n;
} wait_set;

static int entries_answered(void *arg) {
  const wait_set *w = arg;
  return !any_pending(w->entries, w->n);
}

/* Runs the private loop until no entry of the call is pending or the
 * deadline passes.  Returns 0 or USNMP_E_TIMEOUT. */
static int wait_entries(usnmp_sync *s, entry **entries, size_t n,
                        uint32_t timeout_ms) {
  wait_set w = {entries, n};
  return run_until(s, entries_answered, &w, timeout_ms);
}

/* Collects the answers of a call: a list, or the first failure (which is
 * consumed, so it is never served again). */
static int collect(usnmp_sync *s, entry **entries, size_t n,
                   usnmp_vblist **result) {
  int status = 0;
  for (size_t i = 0; i < n && !status; i++) {
    if (entries[i]->state != ENTRY_FAILED)
      continue;
    status = entries[i]->status;
    if (status == USNMP_E_SNMP_ERROR) {
      s->last_error_status = entries[i]->error_status;
      for (size_t j = 0; j < n; j++) {
        if (entries[j]->state == ENTRY_FAILED && entries[j]->failed_object) {
          s->last_error_index = (int32_t)(j + 1);
          break;
        }
      }
    }
  }
  if (status) {
    for (size_t i = 0; i < n; i++) {
      /* The same entry can stand twice in one call: remove it once. */
      entry *e = entries[i];
      if (!e)
        continue;
      for (size_t j = i + 1; j < n; j++) {
        if (entries[j] == e)
          entries[j] = NULL;
      }
      if (e->state == ENTRY_FAILED)
        cache_remove(s, e);
    }
    return status;
  }
  if (result) {
    *result = vblist_build(s, entries, n);
    if (!*result)
      return USNMP_E_NOMEM;
  }
  return 0;
}

static int encode_key(uint8_t *buf, size_t size, const usnmp_oid *oid) {
  return usnmp_oid_to_ber(buf, size, oid);
}

/* The common body of get, get_next and set. */
static int call(usnmp_sync *s, const char *hostname, int kind,
                const usnmp_oid *oids, const usnmp_value *values, size_t n,
                const usnmp_call_opts *opts, usnmp_vblist **result) {
  if (result)
    *result = NULL;
  if (!s || !hostname || !oids || n == 0 || n > USNMP_MAX_VARBINDS ||
      (kind == KIND_SET && !values) || !call_flags_known(opts))
    return USNMP_E_INVAL;
  s->last_error_status = 0;
  s->last_error_index = 0;
  cache_trim(s);
  sync_host *h;
  uint32_t timeout_ms = call_timeout(s, opts);
  int rc = host_get(s, hostname, timeout_ms, &h);
  if (rc)
    return rc;
  int cache_kind = kind == KIND_GETNEXT ? KIND_GETNEXT : KIND_GET;
  int refresh = kind == KIND_SET || (opts && (opts->flags & USNMP_CALL_REFRESH));
  entry **entries = mem_calloc(s, n, sizeof *entries);
  op *o = op_new(h, kind, n, opts, timeout_ms);
  if (!entries || !o) {
    mem_free(s, entries);
    if (o)
      op_free(o);
    return USNMP_E_NOMEM;
  }
  size_t missing = 0;
  uint8_t key[5 * USNMP_OID_MAX_LEN];
  for (size_t i = 0; i < n && rc == 0; i++) {
    int len = encode_key(key, sizeof key, &oids[i]);
    if (len < 0) {
      rc = len;
      break;
    }
    uint32_t hash = key_hash(h, cache_kind, key, (size_t)len);
    entry *e = cache_find(s, h, cache_kind, key, (size_t)len, hash);
    /* A refresh drops what is known, but a request already in flight for
     * the OID answers it (a SET always replaces it: it writes). */
    if (e && e->op != o && refresh &&
        (e->state != ENTRY_PENDING || kind == KIND_SET)) {
      cache_remove(s, e);
      e = NULL;
    }
    if (!e) {
      e = cache_insert(s, h, cache_kind, key, (size_t)len, hash);
      if (!e) {
        rc = USNMP_E_NOMEM;
        break;
      }
      e->op = o;
      o->entries[missing] = e;
      o->oids[missing] = oids[i];
      missing++;
    }
    entries[i] = e;
  }
  if (rc == 0 && kind == KIND_SET) {
    size_t extra = 0;
    for (size_t i = 0; i < n; i++)
      extra += value_extra(&values[i]);
    o->values = mem_alloc(s, n * sizeof *o->values);
    o->value_storage = mem_alloc(s, extra ? extra : 1);
    if (!o->values || !o->value_storage) {
      rc = USNMP_E_NOMEM;
    } else {
      uint8_t *cursor = o->value_storage;
      for (size_t i = 0; i < n; i++)
        value_copy(&o->values[i], &values[i], &cursor);
    }
  }
  if (rc != 0) {
    for (size_t i = 0; i < missing; i++)
      cache_remove(s, o->entries[i]);
    op_free(o);
    mem_free(s, entries);
    return rc;
  }
  if (kind == KIND_SET && h->getnext_entries) {
    /* Whatever a SET writes makes earlier GETNEXT answers of the host
     * suspect: drop them.  (The count spares hosts that have none a walk
     * over the whole cache.) */
    for (entry *e = s->age_head; e;) {
      entry *next = e->age_next;
      if (e->host == h && e->kind == KIND_GETNEXT &&
          e->state != ENTRY_PENDING)
        cache_remove(s, e);
      e = next;
    }
  }
  if (missing) {
    o->n = missing;
    op_enqueue(s, o);
  } else {
    op_free(o);
  }
  if (opts && (opts->flags & USNMP_CALL_NONBLOCK)) {
    uv_run(&s->loop, UV_RUN_NOWAIT);
    mem_free(s, entries);
    return 0;
  }
  rc = wait_entries(s, entries, n, timeout_ms);
  if (rc == 0)
    rc = collect(s, entries, n, result);
  mem_free(s, entries);
  cache_trim(s);
  return rc;
}

int usnmp_sync_get(usnmp_sync *s, const char *agent, const usnmp_oid *oids,
                   size_t n, const usnmp_call_opts *opts,
                   usnmp_vblist **result) {
  GUARD(s, call(s, agent, KIND_GET, oids, NULL, n, opts, result));
}

int usnmp_sync_get_next(usnmp_sync *s, const char *agent,
                        const usnmp_oid *oids, size_t n,
                        const usnmp_call_opts *opts, usnmp_vblist **result) {
  GUARD(s, call(s, agent, KIND_GETNEXT, oids, NULL, n, opts, result));
}

int usnmp_sync_set(usnmp_sync *s, const char *agent, const usnmp_oid *oid,
                   const usnmp_value *value, const usnmp_call_opts *opts,
                   usnmp_vblist **result) {
  GUARD(s, call(s, agent, KIND_SET, oid, value, 1, opts, result));
}

int usnmp_sync_set_many(usnmp_sync *s, const char *agent,
                        const usnmp_oid *oids, const usnmp_value *values,
                        size_t n, const usnmp_call_opts *opts,
                        usnmp_vblist **result) {
  GUARD(s, call(s, agent, KIND_SET, oids, values, n, opts, result));
}

int32_t usnmp_sync_error_status(const usnmp_sync *s) {
  return s->last_error_status;
}

int32_t usnmp_sync_error_index(const usnmp_sync *s) {
  return s->last_error_index;
}

/* ---- life cycle and settings ---- */

int usnmp_sync_new(usnmp_sync **out) { return usnmp_sync_new_ex(out, NULL); }

int usnmp_sync_new_ex(usnmp_sync **out, const usnmp_allocator *alloc) {
  if (!out)
    return USNMP_E_INVAL;
  *out = NULL;
  if (!alloc)
    alloc = &usnmp__default_allocator;
  if (!alloc->malloc || !alloc->free)
    return USNMP_E_INVAL;
  usnmp_sync *s = alloc->malloc(sizeof *s, alloc->ctx);
  if (!s)
    return USNMP_E_NOMEM;
  memset(s, 0, sizeof *s);
  s->alloc = *alloc;
  s->version = USNMP_VERSION_2C;
  s->port = 161;
  s->resend_ms = 1000;
  s->timeout_ms = 10000;
  s->bucket_count = 64;
  s->buckets = mem_calloc(s, s->bucket_count, sizeof *s->buckets);
  s->community = dup_string(s, "public");
  int rc = s->buckets && s->community ? 0 : USNMP_E_NOMEM;
  if (rc == 0)
    rc = uv_loop_init(&s->loop);
  if (rc == 0) {
    /* The manager allocates through the same hook. */
    rc = usnmp_manager_new(&s->manager, &s->loop, &s->alloc);
    if (rc != 0)
      uv_loop_close(&s->loop);
  }
  if (rc != 0) {
    mem_free(s, s->buckets);
    mem_free(s, s->community);
    mem_free(s, s);
    return rc;
  }
  *out = s;
  return 0;
}

static void walk_detach(usnmp_sync_walk *sw);

static void free_queue(op *o) {
  while (o) {
    op *next = o->queue_next;
    op_free(o);
    o = next;
  }
}

static void set_flag(void *arg) { *(int *)arg = 1; }

/* The end of a close that found name lookups still on the thread pool:
 * on a thread of its own, runs the private loop until they come back and
 * the manager is gone, then frees the loop's owner. */
static void *close_later(void *arg) {
  usnmp_sync *s = arg;
  usnmp_allocator a = s->alloc;
  while (uv_run(&s->loop, UV_RUN_DEFAULT) != 0)
    ;
  uv_loop_close(&s->loop);
  a.free(s, a.ctx);
  return NULL;
}

int usnmp_sync_close(usnmp_sync *s) {
  if (!s)
    return 0;
  if (s->running)
    return USNMP_E_IN_CALLBACK;
  /* Hooks called from here on find s busy. */
  s->running = 1;
  /* Live walks are detached: their requests go now, and what the caller
   * still holds answers USNMP_E_CLOSED until usnmp_sync_walk_free(). */
  while (s->walks)
    walk_detach(s->walks);
  /* Entries go first so that requests completing with "closed" below
   * find nothing to update. */
  cache_clear(s);
  usnmp_manager_close(s->manager, set_flag, &s->manager_closed);
  /* Run until the manager's handles are closed.  What can keep it after
   * that is a name lookup already running on the thread pool, which
   * cannot be cancelled and may take as long as the system's resolver
   * likes: it is not waited for (see close_later). */
  while (!s->manager_closed &&
         s->manager->open_handles != s->manager->resolutions)
    uv_run(&s->loop, UV_RUN_ONCE);
  while (s->hosts) {
    sync_host *h = s->hosts;
    s->hosts = h->next;
    free_queue(h->set_head);
    free_queue(h->get_head);
    mem_free(s, h);
  }
  while (s->aliases) {
    host_alias *a = s->aliases;
    s->aliases = a->next;
    mem_free(s, a->name);
    mem_free(s, a);
  }
  mem_free(s, s->buckets);
  mem_free(s, s->community);
  mem_free(s, s->write_community);
  mem_free(s, s->v3_user);
  free_secret(s, s->v3_authpass);
  free_secret(s, s->v3_privpass);
  mem_free(s, s->v3_context);
  if (!s->manager_closed) {
    pthread_t thread;
    pthread_attr_t attr;
    int rc = pthread_attr_init(&attr);
    if (rc == 0) {
      rc = pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
      if (rc == 0)
        rc = pthread_create(&thread, &attr, close_later, s);
      pthread_attr_destroy(&attr);
    }
    if (rc == 0)
      return 0;
    /* No thread: wait here after all. */
  }
  while (uv_run(&s->loop, UV_RUN_DEFAULT) != 0)
    ;
  uv_loop_close(&s->loop);
  mem_free(s, s);
  return 0;
}

static int set_version(usnmp_sync *s, usnmp_version v) {
  if (v != USNMP_VERSION_1 && v != USNMP_VERSION_2C &&
      !(v == USNMP_VERSION_3 && s->v3_user != NULL))
    return USNMP_E_INVAL;
  s->version = v;
  for (sync_host *h = s->hosts; h; h = h->next)
    usnmp_target_set_version(h->target, v);
  return 0;
}

static int replace_string(usnmp_sync *s, char **slot, const char *value) {
  char *copy = NULL;
  if (value) {
    copy = dup_string(s, value);
    if (!copy)
      return USNMP_E_NOMEM;
  }
  mem_free(s, *slot);
  *slot = copy;
  return 0;
}

static void apply_communities(usnmp_sync *s) {
  for (sync_host *h = s->hosts; h; h = h->next) {
    usnmp_target_set_community(h->target, s->community);
    usnmp_target_set_write_community(
        h->target, s->write_community ? s->write_community : s->community);
  }
}

static int set_community(usnmp_sync *s, const char *c) {
  if (!c)
    return USNMP_E_INVAL;
  int rc = replace_string(s, &s->community, c);
  if (rc == 0)
    apply_communities(s);
  return rc;
}

static int set_write_community(usnmp_sync *s, const char *c) {
  int rc = replace_string(s, &s->write_community, c);
  if (rc == 0)
    apply_communities(s);
  return rc;
}

static int set_port(usnmp_sync *s, uint16_t port) {
  if (port == 0)
    return USNMP_E_INVAL;
  s->port = port;
  return 0;
}

static int set_resend(usnmp_sync *s, uint32_t resend_ms) {
  if (resend_ms == 0)
    return USNMP_E_INVAL;
  s->resend_ms = resend_ms;
  for (sync_host *h = s->hosts; h; h = h->next)
    usnmp_target_set_resend(h->target, resend_ms);
  return 0;
}

static int set_timeout(usnmp_sync *s, uint32_t timeout_ms) {
  if (timeout_ms == 0)
    return USNMP_E_INVAL;
  s->timeout_ms = timeout_ms;
  return 0;
}

usnmp_manager *usnmp_sync_manager(usnmp_sync *s) { return s->manager; }

static int set_v3_user(usnmp_sync *s, const char *user,
                           usnmp_auth_proto auth, const char *authpass,
                           usnmp_priv_proto priv, const char *privpass) {
  if (!s)
    return USNMP_E_INVAL;
  int checked = usnmp__usm_user_check(user, auth, authpass, priv, privpass);
  if (checked < 0)
    return checked;
  char *u = dup_string(s, user);
  char *ap = auth != USNMP_AUTH_NONE ? dup_string(s, authpass) : NULL;
  char *pp = priv != USNMP_PRIV_NONE ? dup_string(s, privpass) : NULL;
  if (!u || (auth != USNMP_AUTH_NONE && !ap) ||
      (priv != USNMP_PRIV_NONE && !pp)) {
    mem_free(s, u);
    free_secret(s, ap);
    free_secret(s, pp);
    return USNMP_E_NOMEM;
  }
  mem_free(s, s->v3_user);
  free_secret(s, s->v3_authpass);
  free_secret(s, s->v3_privpass);
  s->v3_user = u;
  s->v3_auth = auth;
  s->v3_priv = priv;
  s->v3_authpass = ap;
  s->v3_privpass = pp;
  s->v3_level = 0;
  s->version = USNMP_VERSION_3;
  int first = 0;
  for (sync_host *h = s->hosts; h; h = h->next) {
    int rc = apply_v3(s, h->target);
    if (rc == 0)
      rc = usnmp_target_set_version(h->target, USNMP_VERSION_3);
    if (rc != 0 && first == 0)
      first = rc;
  }
  return first;
}

static int set_v3_level(usnmp_sync *s, usnmp_sec_level level) {
  if (!s || !s->v3_user || level < USNMP_SEC_NOAUTHNOPRIV ||
      level > USNMP_SEC_AUTHPRIV ||
      (level >= USNMP_SEC_AUTHNOPRIV && s->v3_auth == USNMP_AUTH_NONE) ||
      (level == USNMP_SEC_AUTHPRIV && s->v3_priv == USNMP_PRIV_NONE))
    return USNMP_E_INVAL;
  s->v3_level = level;
  for (sync_host *h = s->hosts; h; h = h->next)
    usnmp_target_set_v3_level(h->target, level);
  return 0;
}

static int set_v3_context(usnmp_sync *s, const char *context_name) {
  if (!s || (context_name && strlen(context_name) > 255))
    return USNMP_E_INVAL;
  int rc = replace_string(s, &s->v3_context, context_name);
  if (rc != 0)
    return rc;
  for (sync_host *h = s->hosts; h; h = h->next)
    if (s->v3_user)
      usnmp_target_set_v3_context(h->target, NULL, 0, context_name);
  return 0;
}

/* The setters, each under GUARD. */
int usnmp_sync_set_version(usnmp_sync *s, usnmp_version v) {
  GUARD(s, set_version(s, v));
}
int usnmp_sync_set_community(usnmp_sync *s, const char *c) {
  GUARD(s, set_community(s, c));
}
int usnmp_sync_set_write_community(usnmp_sync *s, const char *c) {
  GUARD(s, set_write_community(s, c));
}
int usnmp_sync_set_port(usnmp_sync *s, uint16_t port) {
  GUARD(s, set_port(s, port));
}
int usnmp_sync_set_resend(usnmp_sync *s, uint32_t resend_ms) {
  GUARD(s, set_resend(s, resend_ms));
}
int usnmp_sync_set_timeout(usnmp_sync *s, uint32_t timeout_ms) {
  GUARD(s, set_timeout(s, timeout_ms));
}
int usnmp_sync_set_v3_user(usnmp_sync *s, const char *user,
                           usnmp_auth_proto auth, const char *authpass,
                           usnmp_priv_proto priv, const char *privpass) {
  GUARD(s, set_v3_user(s, user, auth, authpass, priv, privpass));
}
int usnmp_sync_set_v3_level(usnmp_sync *s, usnmp_sec_level level) {
  GUARD(s, set_v3_level(s, level));
}
int usnmp_sync_set_v3_context(usnmp_sync *s, const char *context_name) {
  GUARD(s, set_v3_context(s, context_name));
}

/* ---- walks as pull iterators ---- */

struct usnmp_sync_walk {
  usnmp_sync_walk *prev, *next; /* in the sync object's live walks */
  usnmp_allocator alloc; /* to free a walk that outlived its sync object */
  usnmp_sync *sync;      /* NULL once usnmp_sync_close() detached it */
  usnmp_walk *walk;
  usnmp_request_opts ropts;
  char *community;
};

static int walk_start(usnmp_sync *s, const char *agent, const usnmp_oid *root,
                      const usnmp_call_opts *opts, usnmp_sync_walk **out) {
  sync_host *h;
  int rc = host_get(s, agent, call_timeout(s, opts), &h);
  if (rc)
    return rc;
  usnmp_sync_walk *sw = mem_calloc(s, 1, sizeof *sw);
  if (!sw)
    return USNMP_E_NOMEM;
  sw->alloc = s->alloc;
  sw->sync = s;
  sw->ropts.flags = USNMP_OPT_TIMEOUT;
  sw->ropts.timeout_ms = call_timeout(s, opts);
  if (opts && (opts->flags & USNMP_CALL_COMMUNITY) && opts->community) {
    sw->community = dup_string(s, opts->community);
    if (!sw->community) {
      mem_free(s, sw);
      return USNMP_E_NOMEM;
    }
    sw->ropts.flags |= USNMP_OPT_COMMUNITY;
    sw->ropts.community = sw->community;
  }
  usnmp_walk_opts wopts = {0};
  wopts.request = &sw->ropts;
  rc = usnmp_walk_open(h->target, root, &wopts, &sw->walk);
  if (rc) {
    mem_free(s, sw->community);
    mem_free(s, sw);
    return rc;
  }
  sw->next = s->walks;
  if (s->walks)
    s->walks->prev = sw;
  s->walks = sw;
  *out = sw;
  return 0;
}

int usnmp_sync_walk_start(usnmp_sync *s, const char *agent,
                          const usnmp_oid *root, const usnmp_call_opts *opts,
                          usnmp_sync_walk **out) {
  if (!s || !agent || !root || !out)
    return USNMP_E_INVAL;
  *out = NULL;
  if (!call_flags_known(opts))
    return USNMP_E_INVAL;
  GUARD(s, walk_start(s, agent, root, opts, out));
}

static int walk_next(usnmp_sync_walk *sw, const usnmp_varbind **vb) {
  usnmp_sync *s = sw->sync;
  int rc;
  s->last_error_status = 0;
  s->last_error_index = 0;
  /* Each request of the walk carries the call's timeout, so this loop
   * ends: with a varbind, the end, or the walk's failure. */
  while ((rc = usnmp_walk_next(sw->walk, vb)) == UV_EAGAIN)
    uv_run(&s->loop, UV_RUN_ONCE);
  if (rc == USNMP_E_SNMP_ERROR) {
    usnmp_walk_result result;
    if (usnmp_walk_result_get(sw->walk, &result) == 0) {
      s->last_error_status = result.error_status;
      s->last_error_index = result.error_index;
    }
  }
  return rc;
}

int usnmp_sync_walk_next(usnmp_sync_walk *sw, const usnmp_varbind **vb) {
  if (!sw || !vb)
    return USNMP_E_INVAL;
  if (!sw->sync)
    return USNMP_E_CLOSED;
  GUARD(sw->sync, walk_next(sw, vb));
}

/* Closes the async walk of sw and takes sw off its sync object's list. */
static void walk_detach(usnmp_sync_walk *sw) {
  usnmp_sync *s = sw->sync;
  usnmp_walk_close(sw->walk);
  sw->walk = NULL;
  if (sw->prev)
    sw->prev->next = sw->next;
  else
    s->walks = sw->next;
  if (sw->next)
    sw->next->prev = sw->prev;
  sw->prev = sw->next = NULL;
  sw->sync = NULL;
}

static int walk_free(usnmp_sync_walk *sw) {
  usnmp_allocator a = sw->alloc;
  if (sw->sync)
    walk_detach(sw);
  if (sw->community)
    a.free(sw->community, a.ctx);
  a.free(sw, a.ctx);
  return 0;
}

int usnmp_sync_walk_free(usnmp_sync_walk *sw) {
  if (!sw)
    return 0;
  usnmp_sync *s = sw->sync;
  if (!s)
    return walk_free(sw);
  GUARD(s, walk_free(sw));
}
