/*
 * The value cache (usnmp_cache): answers of GET, GETNEXT and SET requests
 * kept per (target, kind, OID), in front of the async manager.
 *
 * A program starts requests through the cache (usnmp_cache_start) and
 * later collects the answers by the same OIDs (usnmp_cache_collect).
 * Starting asks the agent only for OIDs that have neither a value nor a
 * request in flight, so two callers asking for one OID share one request.
 *
 * Entries have three states.  PENDING belongs to a request in flight;
 * READY holds a copy of the agent's varbind; FAILED holds the status of a
 * request that failed and is handed to the first collect that asks, then
 * dropped, so errors and timeouts are never served from the cache.
 * GETNEXT answers are kept apart from GET answers (their key differs by
 * kind); a SET stores what the agent answered as the GET value of its
 * OIDs, and drops the target's GETNEXT answers, which it may have made
 * wrong.  The bound drops the oldest READY entries first (FIFO), never
 * one in flight, so a caller always finds its own answers.
 *
 * A READY entry is fresh for the cache's time-to-live after its answer
 * came; a start that finds it older asks again, as a refresh would.  An
 * entry some collect has served ("served") may go once it is stale or
 * beyond the bound; one never served stays for the collect of the call
 * that asked (a limit of USNMP_CACHE_OFF drops only served entries, and
 * a time-to-live of USNMP_CACHE_OFF makes every entry stale at once, so
 * either turns the cache off without losing an answer in transit).  Time
 * is uv_hrtime(), not the loop's clock, which a blocking layer's private
 * loop leaves stale between calls.
 */
#include <string.h>

#include "alloc.h"
#include "usnmp.h"
#include "varbinds.h"

enum entry_state { ENTRY_PENDING, ENTRY_READY, ENTRY_FAILED };

typedef struct entry entry;
typedef struct op op;

/* One cached (target, kind, OID) answer. */
struct entry {
  entry *hash_next;
  entry *age_prev, *age_next; /* insertion order, for the bound */
  usnmp_target *target;
  int kind; /* USNMP_CACHE_GET or USNMP_CACHE_GETNEXT */
  int state;
  op *op;               /* PENDING: the request that will answer */
  int status;           /* FAILED: the request's status */
  int32_t error_status; /* FAILED with USNMP_E_SNMP_ERROR */
  int failed_object;    /* FAILED: this OID was the error-index */
  uint32_t hash;
  size_t key_len;
  uint8_t *key;     /* BER content octets of the asked OID */
  usnmp_varbind vb; /* READY: copy of the answer */
  uint8_t *vb_storage;
  uint64_t stored_ms; /* READY: when the answer came */
  int served;         /* READY: a collect has handed it out */
};

/* One request the cache started. */
struct op {
  op *prev, *next; /* the cache's requests in flight */
  usnmp_cache *cache;
  usnmp_target *target;
  int kind;
  size_t n;
  usnmp_oid *oids;
  usnmp_value *values; /* SET only: deep copies */
  uint8_t *value_storage;
  entry **entries; /* entries[i] answers oids[i]; NULL if gone */
  usnmp_request_opts ropts;
  char *community;
  usnmp_request_ref ref; /* to cancel it when the cache goes */
};

struct usnmp_cache {
  usnmp_allocator alloc;
  usnmp_manager *manager;
  size_t limit;           /* SIZE_MAX: unbounded */
  uint32_t ttl_ms;        /* USNMP_CACHE_UNLIMITED: never stale */
  size_t count;           /* entries, every state */
  size_t getnext_entries; /* entries of kind GETNEXT */
  size_t bucket_count;    /* a power of two */
  entry **buckets;
  entry *age_head, *age_tail;
  op *ops; /* requests in flight */
  usnmp_cache_notify_cb notify;
  void *notify_arg;
  int in_notify;
  int freeing;
};

/* ---- the table ---- */

static uint32_t key_hash(const usnmp_target *t, int kind, const uint8_t *key,
                         size_t len) {
  /* FNV-1a over the target pointer, the kind and the OID bytes. */
  uint32_t x = 2166136261u;
  uintptr_t tp = (uintptr_t)t;
  for (size_t i = 0; i < sizeof tp; i++)
    x = (x ^ (uint8_t)(tp >> (8 * i))) * 16777619u;
  x = (x ^ (uint8_t)kind) * 16777619u;
  for (size_t i = 0; i < len; i++)
    x = (x ^ key[i]) * 16777619u;
  return x;
}

static entry *find(const usnmp_cache *c, const usnmp_target *t, int kind,
                   const uint8_t *key, size_t len, uint32_t hash) {
  for (entry *e = c->buckets[hash & (c->bucket_count - 1)]; e;
       e = e->hash_next) {
    if (e->hash == hash && e->target == t && e->kind == kind &&
        e->key_len == len && memcmp(e->key, key, len) == 0)
      return e;
  }
  return NULL;
}

static int grow(usnmp_cache *c) {
  size_t count = c->bucket_count * 2;
  entry **buckets = usnmp__calloc(&c->alloc, count, sizeof *buckets);
  if (buckets == NULL)
    return USNMP_E_NOMEM;
  for (size_t i = 0; i < c->bucket_count; i++) {
    entry *e = c->buckets[i];
    while (e) {
      entry *next = e->hash_next;
      e->hash_next = buckets[e->hash & (count - 1)];
      buckets[e->hash & (count - 1)] = e;
      e = next;
    }
  }
  usnmp__dealloc(&c->alloc, c->buckets);
  c->buckets = buckets;
  c->bucket_count = count;
  return 0;
}

static entry *insert(usnmp_cache *c, usnmp_target *t, int kind,
                     const uint8_t *key, size_t len, uint32_t hash) {
  if (c->count + 1 > c->bucket_count && grow(c) != 0)
    return NULL;
  entry *e = usnmp__calloc(&c->alloc, 1, sizeof *e);
  if (e == NULL)
    return NULL;
  e->key = usnmp__alloc(&c->alloc, len);
  if (e->key == NULL) {
    usnmp__dealloc(&c->alloc, e);
    return NULL;
  }
  memcpy(e->key, key, len);
  e->key_len = len;
  e->target = t;
  e->kind = kind;
  if (kind == USNMP_CACHE_GETNEXT)
    c->getnext_entries++;
  e->hash = hash;
  e->state = ENTRY_PENDING;
  entry **bucket = &c->buckets[hash & (c->bucket_count - 1)];
  e->hash_next = *bucket;
  *bucket = e;
  e->age_prev = c->age_tail;
  if (c->age_tail)
    c->age_tail->age_next = e;
  else
    c->age_head = e;
  c->age_tail = e;
  c->count++;
  return e;
}

/* Detaches e from the request that would have answered it. */
static void detach_op(entry *e) {
  if (e->state != ENTRY_PENDING || !e->op)
    return;
  for (size_t i = 0; i < e->op->n; i++) {
    if (e->op->entries[i] == e)
      e->op->entries[i] = NULL;
  }
  e->op = NULL;
}

static void remove_entry(usnmp_cache *c, entry *e) {
  entry **p = &c->buckets[e->hash & (c->bucket_count - 1)];
  while (*p != e)
    p = &(*p)->hash_next;
  *p = e->hash_next;
  if (e->age_prev)
    e->age_prev->age_next = e->age_next;
  else
    c->age_head = e->age_next;
  if (e->age_next)
    e->age_next->age_prev = e->age_prev;
  else
    c->age_tail = e->age_prev;
  detach_op(e);
  if (e->kind == USNMP_CACHE_GETNEXT)
    c->getnext_entries--;
  c->count--;
  usnmp__dealloc(&c->alloc, e->vb_storage);
  usnmp__dealloc(&c->alloc, e->key);
  usnmp__dealloc(&c->alloc, e);
}

static uint64_t now_ms(void) { return uv_hrtime() / 1000000u; }

/* A READY entry older than the time-to-live. */
static int stale(const usnmp_cache *c, const entry *e, uint64_t now) {
  return c->ttl_ms != USNMP_CACHE_UNLIMITED && now - e->stored_ms >= c->ttl_ms;
}

/* Drops served entries gone stale, then the oldest answered entries
 * beyond the bound (with a bound of USNMP_CACHE_OFF, only served ones);
 * entries still in flight are never dropped, so a caller always finds its
 * own answers. */
static void trim(usnmp_cache *c) {
  uint64_t now = now_ms();
  for (entry *e = c->age_head; e && c->ttl_ms != USNMP_CACHE_UNLIMITED;) {
    entry *next = e->age_next;
    if (e->state == ENTRY_READY && e->served && stale(c, e, now))
      remove_entry(c, e);
    e = next;
  }
  entry *e = c->age_head;
  while (e && c->count > c->limit) {
    entry *next = e->age_next;
    if (e->state == ENTRY_READY && (c->limit != 0 || e->served))
      remove_entry(c, e);
    e = next;
  }
}

/* The key of an OID: its BER content octets.  Returns the length or an
 * OID error. */
static int encode_key(uint8_t *buf, size_t size, const usnmp_oid *oid) {
  return usnmp_oid_to_ber(buf, size, oid);
}

#define KEY_MAX USNMP__OID_BER_MAX

/* ---- requests ---- */

static void op_free(op *o) {
  usnmp_cache *c = o->cache;
  usnmp__dealloc(&c->alloc, o->oids);
  usnmp__dealloc(&c->alloc, o->values);
  usnmp__dealloc(&c->alloc, o->value_storage);
  usnmp__dealloc(&c->alloc, o->entries);
  usnmp__dealloc(&c->alloc, o->community);
  usnmp__dealloc(&c->alloc, o);
}

static void op_unlink(op *o) {
  usnmp_cache *c = o->cache;
  if (o->prev)
    o->prev->next = o->next;
  else if (c->ops == o)
    c->ops = o->next;
  if (o->next)
    o->next->prev = o->prev;
  o->prev = o->next = NULL;
}

/* Marks every entry of o failed with status, and which one the agent's
 * error-index named. */
static void op_fail(op *o, int status, int32_t error_status,
                    int32_t error_index) {
  for (size_t i = 0; i < o->n; i++) {
    entry *e = o->entries[i];
    if (e == NULL)
      continue;
    e->state = ENTRY_FAILED;
    e->op = NULL;
    e->status = status;
    e->error_status = error_status;
    e->failed_object = error_index == (int32_t)(i + 1);
  }
}

/* Keeps a copy of src as e's value. */
static int entry_store(usnmp_cache *c, entry *e, const usnmp_varbind *src) {
  uint8_t *p = usnmp__alloc(&c->alloc, usnmp__varbinds_bytes(src, 1));
  if (p == NULL)
    return USNMP_E_NOMEM;
  e->vb_storage = p;
  usnmp__varbinds_copy(&e->vb, src, 1, &p);
  return 0;
}

static void op_done(const usnmp_response *resp, void *arg) {
  op *o = arg;
  usnmp_cache *c = o->cache;
  op_unlink(o);
  if (c->freeing) {
    /* usnmp_cache_close() cancels it; its entries are already gone. */
    op_free(o);
    return;
  }
  if (resp->status != 0) {
    op_fail(o, resp->status, 0, 0);
  } else if (resp->error_status != 0) {
    op_fail(o, USNMP_E_SNMP_ERROR, resp->error_status, resp->error_index);
  } else if (resp->varbind_count != o->n) {
    op_fail(o, USNMP_E_BAD_VALUE, 0, 0);
  } else {
    for (size_t i = 0; i < o->n; i++) {
      entry *e = o->entries[i];
      if (e == NULL)
        continue;
      e->op = NULL;
      if (entry_store(c, e, &resp->varbinds[i]) != 0) {
        e->state = ENTRY_FAILED;
        e->status = USNMP_E_NOMEM;
        continue;
      }
      e->state = ENTRY_READY;
      e->stored_ms = now_ms();
    }
  }
  op_free(o);
  if (c->notify) {
    c->in_notify = 1;
    c->notify(c, c->notify_arg);
    c->in_notify = 0;
  }
}

static void op_start(usnmp_cache *c, op *o) {
  int rc;
  o->next = c->ops;
  if (c->ops)
    c->ops->prev = o;
  c->ops = o;
  if (o->kind == USNMP_CACHE_SET)
    rc = usnmp_set(o->target, o->oids, o->values, o->n, &o->ropts, op_done, o,
                   &o->ref);
  else
    rc = (o->kind == USNMP_CACHE_GET ? usnmp_get : usnmp_getnext)(
        o->target, o->oids, o->n, &o->ropts, op_done, o, &o->ref);
  if (rc != 0) {
    /* Failed like a request on the wire: collected later. */
    op_unlink(o);
    op_fail(o, rc, 0, 0);
    op_free(o);
  }
}

static op *op_new(usnmp_cache *c, usnmp_target *t, int kind, size_t n,
                  const usnmp_request_opts *ropts) {
  op *o = usnmp__calloc(&c->alloc, 1, sizeof *o);
  if (o == NULL)
    return NULL;
  o->cache = c;
  o->target = t;
  o->kind = kind;
  o->oids = usnmp__alloc(&c->alloc, n * sizeof *o->oids);
  o->entries = usnmp__calloc(&c->alloc, n, sizeof *o->entries);
  if (!o->oids || !o->entries) {
    op_free(o);
    return NULL;
  }
  if (ropts)
    o->ropts = *ropts;
  if (ropts && (ropts->flags & USNMP_REQUEST_COMMUNITY) && ropts->community) {
    o->community = usnmp__strdup(&c->alloc, ropts->community);
    if (o->community == NULL) {
      op_free(o);
      return NULL;
    }
    o->ropts.community = o->community;
  }
  return o;
}

/* Keeps deep copies of the n values a SET writes in o. */
static int op_keep_values(op *o, const usnmp_value *values, size_t n) {
  usnmp_cache *c = o->cache;
  size_t bytes = 0;
  for (size_t i = 0; i < n; i++)
    bytes += usnmp__value_bytes(&values[i]);
  o->values = usnmp__alloc(&c->alloc, n * sizeof *o->values);
  o->value_storage = usnmp__alloc(&c->alloc, bytes);
  if (!o->values || !o->value_storage)
    return USNMP_E_NOMEM;
  uint8_t *cursor = o->value_storage;
  for (size_t i = 0; i < n; i++)
    usnmp__value_copy(&o->values[i], &values[i], &cursor);
  return 0;
}

/* Drops t's GETNEXT answers (a SET may have made them wrong).  The count
 * spares caches that have none a walk over every entry. */
static void drop_getnext(usnmp_cache *c, const usnmp_target *t) {
  if (!c->getnext_entries)
    return;
  for (entry *e = c->age_head; e;) {
    entry *next = e->age_next;
    if (e->target == t && e->kind == USNMP_CACHE_GETNEXT &&
        e->state != ENTRY_PENDING)
      remove_entry(c, e);
    e = next;
  }
}

/* ---- the API ---- */

static int kind_valid(usnmp_cache_kind kind) {
  return kind == USNMP_CACHE_GET || kind == USNMP_CACHE_GETNEXT ||
         kind == USNMP_CACHE_SET;
}

int usnmp_cache_start(usnmp_cache *c, usnmp_target *t, usnmp_cache_kind kind,
                      const usnmp_oid *oids, const usnmp_value *values,
                      size_t n, unsigned flags,
                      const usnmp_request_opts *ropts) {
  if (!c || !t || !oids || n == 0 || n > USNMP_MAX_VARBINDS ||
      !kind_valid(kind) || (kind == USNMP_CACHE_SET && !values) ||
      (flags & ~USNMP_CACHE_REFRESH) || c->freeing ||
      usnmp_target_manager(t) != c->manager)
    return USNMP_E_INVAL;
  trim(c);
  uint64_t now = now_ms();
  int entry_kind =
      kind == USNMP_CACHE_GETNEXT ? USNMP_CACHE_GETNEXT : USNMP_CACHE_GET;
  int refresh = kind == USNMP_CACHE_SET || (flags & USNMP_CACHE_REFRESH);
  op *o = op_new(c, t, kind, n, ropts);
  if (o == NULL)
    return USNMP_E_NOMEM;
  int rc = 0;
  size_t missing = 0;
  uint8_t key[KEY_MAX];
  for (size_t i = 0; i < n; i++) {
    int len = encode_key(key, sizeof key, &oids[i]);
    if (len < 0) {
      rc = len;
      break;
    }
    uint32_t hash = key_hash(t, entry_kind, key, (size_t)len);
    entry *e = find(c, t, entry_kind, key, (size_t)len, hash);
    /* A refresh drops what is known, but a request already in flight for
     * the OID answers it (a SET always replaces it: it writes).  A stale
     * value goes too, unless no collect has had it yet: then it is the
     * answer a start asked for, and the collect it waits for takes it. */
    if (e && e->op != o &&
        ((refresh && (e->state != ENTRY_PENDING || kind == USNMP_CACHE_SET)) ||
         (e->state == ENTRY_READY && e->served && stale(c, e, now)))) {
      remove_entry(c, e);
      e = NULL;
    }
    if (e == NULL) {
      e = insert(c, t, entry_kind, key, (size_t)len, hash);
      if (e == NULL) {
        rc = USNMP_E_NOMEM;
        break;
      }
      e->op = o;
      o->entries[missing] = e;
      o->oids[missing] = oids[i];
      missing++;
    }
  }
  if (rc == 0 && kind == USNMP_CACHE_SET)
    rc = op_keep_values(o, values, n);
  if (rc != 0) {
    for (size_t i = 0; i < missing; i++)
      remove_entry(c, o->entries[i]);
    op_free(o);
    return rc;
  }
  if (kind == USNMP_CACHE_SET)
    drop_getnext(c, t);
  if (missing) {
    o->n = missing;
    op_start(c, o);
  } else {
    op_free(o);
  }
  return 0;
}

/* Finds the entries of a collect: 0, UV_ENOENT or an OID error. */
static int lookup(const usnmp_cache *c, const usnmp_target *t, int kind,
                  const usnmp_oid *oids, size_t n, entry **entries) {
  uint8_t key[KEY_MAX];
  for (size_t i = 0; i < n; i++) {
    int len = encode_key(key, sizeof key, &oids[i]);
    if (len < 0)
      return len;
    entries[i] =
        find(c, t, kind, key, (size_t)len, key_hash(t, kind, key, (size_t)len));
    if (!entries[i])
      return UV_ENOENT;
  }
  return 0;
}

/* Hands out the first failure of a collect, and drops the failed
 * entries: a failure is never served twice. */
static int take_failure(usnmp_cache *c, entry **entries, size_t n,
                        usnmp_cache_result *result) {
  int status = 0;
  for (size_t i = 0; i < n && !status; i++) {
    if (entries[i]->state != ENTRY_FAILED)
      continue;
    status = entries[i]->status;
    if (status == USNMP_E_SNMP_ERROR) {
      result->error_status = entries[i]->error_status;
      for (size_t j = 0; j < n; j++) {
        if (entries[j]->state == ENTRY_FAILED && entries[j]->failed_object) {
          result->error_index = (int32_t)(j + 1);
          break;
        }
      }
    }
  }
  if (!status)
    return 0;
  for (size_t i = 0; i < n; i++) {
    /* The same entry can stand twice in one collect: remove it once. */
    entry *e = entries[i];
    if (e == NULL)
      continue;
    for (size_t j = i + 1; j < n; j++) {
      if (entries[j] == e)
        entries[j] = NULL;
    }
    if (e->state == ENTRY_FAILED)
      remove_entry(c, e);
  }
  return status;
}

int usnmp_cache_collect(usnmp_cache *c, usnmp_target *t, usnmp_cache_kind kind,
                        const usnmp_oid *oids, size_t n,
                        usnmp_cache_result *result) {
  if (!c || !t || !oids || n == 0 || n > USNMP_MAX_VARBINDS ||
      !kind_valid(kind) || !result || !result->varbinds)
    return USNMP_E_INVAL;
  result->error_status = 0;
  result->error_index = 0;
  int entry_kind =
      kind == USNMP_CACHE_GETNEXT ? USNMP_CACHE_GETNEXT : USNMP_CACHE_GET;
  /* A caller polls until the answers are in: small collects allocate
   * nothing. */
  entry *few[16];
  entry **entries =
      n <= 16 ? few : usnmp__alloc(&c->alloc, n * sizeof *entries);
  if (entries == NULL)
    return USNMP_E_NOMEM;
  int rc = lookup(c, t, entry_kind, oids, n, entries);
  for (size_t i = 0; i < n && rc == 0; i++) {
    if (entries[i]->state == ENTRY_PENDING)
      rc = UV_EAGAIN;
  }
  if (rc == 0)
    rc = take_failure(c, entries, n, result);
  if (rc == 0) {
    for (size_t i = 0; i < n; i++) {
      result->varbinds[i] = entries[i]->vb;
      entries[i]->served = 1;
    }
  }
  if (entries != few)
    usnmp__dealloc(&c->alloc, entries);
  return rc;
}

int usnmp_cache_init(usnmp_manager *m, const usnmp_allocator *alloc,
                     usnmp_cache **out) {
  if (!m || !out)
    return USNMP_E_INVAL;
  *out = NULL;
  if (alloc == NULL)
    alloc = &usnmp__default_allocator;
  if (!alloc->malloc || !alloc->free)
    return USNMP_E_INVAL;
  usnmp_cache *c = usnmp__calloc(alloc, 1, sizeof *c);
  if (c == NULL)
    return USNMP_E_NOMEM;
  c->alloc = *alloc;
  c->manager = m;
  c->limit = SIZE_MAX;
  c->ttl_ms = USNMP_CACHE_UNLIMITED;
  c->bucket_count = 64;
  c->buckets = usnmp__calloc(alloc, c->bucket_count, sizeof *c->buckets);
  if (c->buckets == NULL) {
    usnmp__dealloc(alloc, c);
    return USNMP_E_NOMEM;
  }
  *out = c;
  return 0;
}

int usnmp_cache_clear(usnmp_cache *c) {
  if (c == NULL)
    return USNMP_E_INVAL;
  while (c->age_head)
    remove_entry(c, c->age_head);
  return 0;
}

int usnmp_cache_forget(usnmp_cache *c, const usnmp_target *t) {
  if (!c || !t)
    return USNMP_E_INVAL;
  for (entry *e = c->age_head; e;) {
    entry *next = e->age_next;
    if (e->target == t)
      remove_entry(c, e);
    e = next;
  }
  return 0;
}

int usnmp_cache_close(usnmp_cache *c) {
  if (c == NULL)
    return 0;
  if (c->in_notify || c->freeing)
    return USNMP_E_IN_CALLBACK;
  c->freeing = 1;
  /* Entries go first, so that the cancelled requests find nothing to
   * update. */
  usnmp_cache_clear(c);
  while (c->ops) {
    op *o = c->ops;
    if (usnmp_cancel(&o->ref) != 0) {
      /* Cannot happen: a listed request has not reached its callback
       * (op_done unlinks first).  Were it to, its callback would still
       * come: leave it allocated rather than free what it will use. */
      op_unlink(o);
    }
  }
  usnmp__dealloc(&c->alloc, c->buckets);
  usnmp__dealloc(&c->alloc, c);
  return 0;
}

int usnmp_cache_set_limit(usnmp_cache *c, size_t max) {
  if (c == NULL)
    return USNMP_E_INVAL;
  c->limit = max >= USNMP_CACHE_UNLIMITED ? SIZE_MAX : max;
  trim(c);
  return 0;
}

int usnmp_cache_set_ttl(usnmp_cache *c, uint32_t ttl_ms) {
  if (c == NULL)
    return USNMP_E_INVAL;
  c->ttl_ms = ttl_ms;
  trim(c);
  return 0;
}

int usnmp_cache_trim(usnmp_cache *c) {
  if (c == NULL)
    return USNMP_E_INVAL;
  trim(c);
  return 0;
}

size_t usnmp_cache_size(const usnmp_cache *c) {
  size_t n = 0;
  if (c == NULL)
    return 0;
  for (const entry *e = c->age_head; e; e = e->age_next)
    n += e->state == ENTRY_READY;
  return n;
}

void usnmp_cache_set_notify(usnmp_cache *c, usnmp_cache_notify_cb cb,
                            void *arg) {
  if (c == NULL)
    return;
  c->notify = cb;
  c->notify_arg = arg;
}
