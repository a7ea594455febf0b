/*
 * The notification receiver's protocol core: one datagram in, at most one
 * notification delivered and one answer (a Response to an inform, a v3
 * Report) out.  No I/O: lib/notify_udp.c reads and sends, the fuzzer
 * calls usnmp__notify_process() directly.
 *
 * Every datagram ends in exactly one counter of usnmp_receiver_stats:
 * delivered, duplicates, or a dropped_* reason.  Nothing read from the
 * network is believed before it decoded strictly and, for v3 above
 * noAuthNoPriv, its digest checked out.
 *
 * v3 keys (usnmp.h explains the policy): the header is read without keys
 * (usnmp__msg3_decode with no target stops at the digest), then the key
 * cache is asked for (engine ID, user); an engine seen for the first time
 * with a user is tried against each credential of that name, whose keys
 * are localised to the engine for the try, and the first that
 * authenticates is kept in the cache.  So an attacker who cannot
 * authenticate never adds to the cache: its size bounds memory, not the
 * senders' good will.
 */
#include <stdlib.h>
#include <string.h>

#include "notify_int.h"
#include "pdu.h"

/* BER content octets of the OIDs the receiver writes or reads. */
static const uint8_t oid_sysuptime[] = {0x2b, 6, 1, 2, 1, 1, 3, 0};
static const uint8_t oid_trapoid[] = {0x2b, 6, 1, 6, 3, 1, 1, 4, 1, 0};
static const uint8_t oid_snmptraps[] = {0x2b, 6, 1, 6, 3, 1, 1, 5};
static const uint8_t oid_trapaddress[] = {0x2b, 6, 1, 6, 3, 18, 1, 3, 0};
static const uint8_t oid_trapcommunity[] = {0x2b, 6, 1, 6, 3, 18, 1, 4, 0};
static const uint8_t oid_trapenterprise[] = {0x2b, 6, 1, 6, 3, 1, 1, 4, 3, 0};
/* usmStats 1.3.6.1.6.3.15.1.1.N.0 */
#define USM_STATS_NOT_IN_TIME 2
#define USM_STATS_UNKNOWN_USER 3
#define USM_STATS_UNKNOWN_ENGINE 4

/* ------------------------------------------------------------------------
 * Allocation and hashing
 * ------------------------------------------------------------------------ */

static void *nmalloc(usnmp__notify *nc, size_t size) {
  return nc->alloc.malloc(size, nc->alloc.ctx);
}

static void nfree(usnmp__notify *nc, void *p) {
  if (p != NULL)
    nc->alloc.free(p, nc->alloc.ctx);
}

static void *default_malloc(size_t size, void *ctx) {
  (void)ctx;
  return malloc(size);
}
static void *default_realloc(void *p, size_t size, void *ctx) {
  (void)ctx;
  return realloc(p, size);
}
static void default_free(void *p, void *ctx) {
  (void)ctx;
  free(p);
}

/* FNV-1a over several pieces, seeded with a random value so that nobody
 * outside can aim collisions at the cache or the dedupe table. */
static uint64_t hash_bytes(uint64_t h, const void *data, size_t len) {
  const uint8_t *p = data;
  size_t i;
  for (i = 0; i < len; i++) {
    h ^= p[i];
    h *= 0x100000001b3ull;
  }
  return h;
}

static uint64_t hash_addr(uint64_t h, const struct sockaddr *sa) {
  if (sa == NULL)
    return h;
  if (sa->sa_family == AF_INET) {
    const struct sockaddr_in *a = (const struct sockaddr_in *)sa;
    h = hash_bytes(h, &a->sin_addr, sizeof(a->sin_addr));
    return hash_bytes(h, &a->sin_port, sizeof(a->sin_port));
  }
  if (sa->sa_family == AF_INET6) {
    const struct sockaddr_in6 *a = (const struct sockaddr_in6 *)sa;
    h = hash_bytes(h, &a->sin6_addr, sizeof(a->sin6_addr));
    h = hash_bytes(h, &a->sin6_scope_id, sizeof(a->sin6_scope_id));
    return hash_bytes(h, &a->sin6_port, sizeof(a->sin6_port));
  }
  return h;
}

#if USNMP_HAVE_SNMPV3
static uint64_t entry_hash(const usnmp__notify *nc, const uint8_t *engine,
                           size_t engine_len, const uint8_t *user,
                           size_t user_len) {
  uint8_t sep[2] = {(uint8_t)engine_len, (uint8_t)user_len};
  uint64_t h = nc->seed;
  h = hash_bytes(h, sep, sizeof(sep));
  h = hash_bytes(h, engine, engine_len);
  return hash_bytes(h, user, user_len);
}
#endif

/* ------------------------------------------------------------------------
 * Set-up
 * ------------------------------------------------------------------------ */

#if USNMP_HAVE_SNMPV3
int usnmp__notify_random_engine_id(usnmp__crypto *c, uint8_t *id) {
  int rc;
  /* RFC 3411 SnmpEngineID, format 5 (octets, administratively assigned),
   * under enterprise 0. */
  id[0] = 0x80;
  id[1] = id[2] = id[3] = 0;
  id[4] = 5;
  rc = usnmp__crypto_random(c, id + 5, 8);
  return rc < 0 ? rc : 13;
}
#endif

int usnmp__notify_init(usnmp__notify *nc, const usnmp_allocator *alloc,
                       uint64_t now_ms) {
  size_t buckets = 1024;
  int rc;

  if (alloc != NULL) {
    if (alloc->malloc == NULL || alloc->free == NULL)
      return USNMP_E_INVAL;
    nc->alloc = *alloc;
  } else {
    nc->alloc.malloc = default_malloc;
    nc->alloc.realloc = default_realloc;
    nc->alloc.free = default_free;
  }
  usnmp__list_init(&nc->fifo);
  nc->max_entries = USNMP__NOTIFY_DEFAULT_CACHE;
  nc->window_ms = USNMP__NOTIFY_DEFAULT_WINDOW_MS;
  nc->boots_set_ms = now_ms;
#if USNMP_HAVE_SNMPV3
  rc = usnmp__crypto_new(&nc->crypto, &nc->alloc);
  if (rc < 0)
    return rc;
  rc = usnmp__crypto_random(nc->crypto, &nc->seed, sizeof(nc->seed));
  if (rc < 0)
    return rc;
  rc = usnmp__notify_random_engine_id(nc->crypto, nc->engine_id);
  if (rc < 0)
    return rc;
  nc->engine_id_len = (size_t)rc;
#else
  /* No SNMPv3: no crypto, no engine; the dedupe seed from libuv. */
  rc = uv_random(NULL, NULL, &nc->seed, sizeof(nc->seed), 0, NULL);
  if (rc < 0)
    return rc;
#endif
  nc->buckets = nmalloc(nc, buckets * sizeof *nc->buckets);
  nc->dedupe = nmalloc(nc, USNMP__NOTIFY_DEDUPE_SLOTS * sizeof *nc->dedupe);
  nc->vbs = nmalloc(nc, USNMP_MAX_VARBINDS * sizeof *nc->vbs);
  nc->v2vbs = nmalloc(nc, (USNMP_MAX_VARBINDS + 5) * sizeof *nc->v2vbs);
  nc->decrypt = nmalloc(nc, USNMP_MAX_MSG_SIZE);
  if (nc->buckets == NULL || nc->dedupe == NULL || nc->vbs == NULL ||
      nc->v2vbs == NULL || nc->decrypt == NULL)
    return USNMP_E_NOMEM;
  memset(nc->buckets, 0, buckets * sizeof *nc->buckets);
  memset(nc->dedupe, 0, USNMP__NOTIFY_DEDUPE_SLOTS * sizeof *nc->dedupe);
  nc->bucket_mask = buckets - 1;
  return 0;
}

static void entry_free(usnmp__notify *nc, usnmp__nentry *e) {
#if USNMP_HAVE_SNMPV3
  usnmp__usm_target_wipe(&e->usm);
#endif
  usnmp__wipe(e, sizeof *e);
  nfree(nc, e);
}

void usnmp__notify_free(usnmp__notify *nc) {
  size_t i;
  while (!usnmp__list_empty(&nc->fifo)) {
    usnmp__nentry *e = USNMP__CONTAINER(nc->fifo.next, usnmp__nentry, fifo);
    usnmp__list_del(&e->fifo);
    entry_free(nc, e);
  }
  for (i = 0; i < nc->n_communities; i++)
    nfree(nc, nc->communities[i]);
  nfree(nc, nc->communities);
  if (nc->creds != NULL) {
    usnmp__wipe(nc->creds, nc->n_creds * sizeof *nc->creds);
    nfree(nc, nc->creds);
  }
  nfree(nc, nc->allowed);
  nfree(nc, nc->buckets);
  nfree(nc, nc->dedupe);
  nfree(nc, nc->vbs);
  nfree(nc, nc->v2vbs);
  if (nc->decrypt != NULL) {
    usnmp__wipe(nc->decrypt, USNMP_MAX_MSG_SIZE);
    nfree(nc, nc->decrypt);
  }
#if USNMP_HAVE_SNMPV3
  usnmp__crypto_free(nc->crypto);
#endif
  nc->crypto = NULL;
}

/* Grows an array of n elements of size by one, with the allocator (no
 * realloc is required of it). */
static void *grow(usnmp__notify *nc, void *old, size_t n, size_t size) {
  uint8_t *p = nmalloc(nc, (n + 1) * size);
  if (p == NULL)
    return NULL;
  if (n > 0)
    memcpy(p, old, n * size);
  if (old != NULL) {
    usnmp__wipe(old, n * size);
    nfree(nc, old);
  }
  return p;
}

int usnmp__notify_add_community(usnmp__notify *nc, const char *community) {
  size_t len;
  char *copy, **list;
  if (community == NULL || (len = strlen(community)) == 0 || len > 255)
    return USNMP_E_INVAL;
  copy = nmalloc(nc, len + 1);
  if (copy == NULL)
    return USNMP_E_NOMEM;
  memcpy(copy, community, len + 1);
  list = grow(nc, nc->communities, nc->n_communities, sizeof *list);
  if (list == NULL) {
    nfree(nc, copy);
    return USNMP_E_NOMEM;
  }
  list[nc->n_communities++] = copy;
  nc->communities = list;
  return 0;
}

#if USNMP_HAVE_SNMPV3
int usnmp__notify_add_user(usnmp__notify *nc, const char *user,
                           usnmp_auth_proto auth, const char *authpass,
                           usnmp_priv_proto priv, const char *privpass,
                           const uint8_t *engine_id, size_t engine_id_len) {
  usnmp__ncred cred, *list;
  int rc;

  if (engine_id_len != 0 &&
      (engine_id == NULL || engine_id_len < USNMP__USM_ENGINE_ID_MIN ||
       engine_id_len > USNMP__USM_ENGINE_ID_MAX))
    return USNMP_E_INVAL;
  memset(&cred, 0, sizeof(cred));
  rc = usnmp__usm_target_set_user(nc->crypto, &cred.base, user, auth, authpass,
                                  priv, privpass);
  if (rc == 0) {
    if (engine_id_len)
      memcpy(cred.pin, engine_id, engine_id_len);
    cred.pin_len = engine_id_len;
    list = grow(nc, nc->creds, nc->n_creds, sizeof *list);
    if (list == NULL) {
      rc = USNMP_E_NOMEM;
    } else {
      list[nc->n_creds++] = cred;
      nc->creds = list;
    }
  }
  usnmp__wipe(&cred, sizeof(cred));
  return rc;
}

int usnmp__notify_allow_engine(usnmp__notify *nc, const uint8_t *engine_id,
                               size_t len) {
  uint8_t(*list)[USNMP__USM_ENGINE_ID_MAX + 1];
  if (engine_id == NULL || len < USNMP__USM_ENGINE_ID_MIN ||
      len > USNMP__USM_ENGINE_ID_MAX)
    return USNMP_E_INVAL;
  list = grow(nc, nc->allowed, nc->n_allowed, sizeof *list);
  if (list == NULL)
    return USNMP_E_NOMEM;
  list[nc->n_allowed][0] = (uint8_t)len;
  memcpy(list[nc->n_allowed] + 1, engine_id, len);
  nc->n_allowed++;
  nc->allowed = list;
  return 0;
}

int usnmp__notify_set_engine_id(usnmp__notify *nc, const uint8_t *engine_id,
                                size_t len) {
  if (engine_id == NULL || len < USNMP__USM_ENGINE_ID_MIN ||
      len > USNMP__USM_ENGINE_ID_MAX)
    return USNMP_E_INVAL;
  memcpy(nc->engine_id, engine_id, len);
  nc->engine_id_len = len;
  return 0;
}
#else
/* Without SNMPv3 (-Dsnmpv3=false) the receiver takes v1 and v2c only. */
int usnmp__notify_add_user(usnmp__notify *nc, const char *user,
                           usnmp_auth_proto auth, const char *authpass,
                           usnmp_priv_proto priv, const char *privpass,
                           const uint8_t *engine_id, size_t engine_id_len) {
  (void)nc, (void)user, (void)auth, (void)authpass, (void)priv, (void)privpass,
      (void)engine_id, (void)engine_id_len;
  return USNMP_E_UNSUPPORTED;
}

int usnmp__notify_allow_engine(usnmp__notify *nc, const uint8_t *engine_id,
                               size_t len) {
  (void)nc, (void)engine_id, (void)len;
  return USNMP_E_UNSUPPORTED;
}

int usnmp__notify_set_engine_id(usnmp__notify *nc, const uint8_t *engine_id,
                                size_t len) {
  (void)nc, (void)engine_id, (void)len;
  return USNMP_E_UNSUPPORTED;
}
#endif

static void cache_evict_oldest(usnmp__notify *nc);

int usnmp__notify_set_cache_limit(usnmp__notify *nc, size_t entries) {
  if (entries == 0)
    return USNMP_E_INVAL;
  nc->max_entries = entries;
  while (nc->n_entries > nc->max_entries)
    cache_evict_oldest(nc);
  return 0;
}

/* ------------------------------------------------------------------------
 * The key cache
 * ------------------------------------------------------------------------ */

#if USNMP_HAVE_SNMPV3
static usnmp__nentry *cache_find(usnmp__notify *nc, uint64_t hash,
                                 const uint8_t *engine, size_t engine_len,
                                 const uint8_t *user, size_t user_len) {
  usnmp__nentry *e = nc->buckets[hash & nc->bucket_mask];
  for (; e != NULL; e = e->hnext)
    if (e->hash == hash && e->usm.engine_id_len == engine_len &&
        memcmp(e->usm.engine_id, engine, engine_len) == 0 &&
        e->usm.user_len == user_len && memcmp(e->usm.user, user, user_len) == 0)
      return e;
  return NULL;
}
#endif

static void cache_unlink(usnmp__notify *nc, usnmp__nentry *e) {
  usnmp__nentry **pp = &nc->buckets[e->hash & nc->bucket_mask];
  while (*pp != e)
    pp = &(*pp)->hnext;
  *pp = e->hnext;
  usnmp__list_del(&e->fifo);
  nc->n_entries--;
}

static void cache_evict_oldest(usnmp__notify *nc) {
  usnmp__nentry *e;
  if (usnmp__list_empty(&nc->fifo))
    return;
  e = USNMP__CONTAINER(nc->fifo.next, usnmp__nentry, fifo);
  cache_unlink(nc, e);
  entry_free(nc, e);
  nc->stats.key_cache_evictions++;
}

/* Doubles the buckets while the chains grow past two entries on average
 * (a failed allocation keeps the old table: only slower). */
#if USNMP_HAVE_SNMPV3
static void cache_rehash(usnmp__notify *nc) {
  size_t n = (nc->bucket_mask + 1) * 2, i;
  usnmp__nentry **b;
  if (nc->n_entries < 2 * (nc->bucket_mask + 1) || n > ((size_t)1 << 24))
    return;
  b = nmalloc(nc, n * sizeof *b);
  if (b == NULL)
    return;
  memset(b, 0, n * sizeof *b);
  for (i = 0; i <= nc->bucket_mask; i++) {
    usnmp__nentry *e = nc->buckets[i], *next;
    for (; e != NULL; e = next) {
      next = e->hnext;
      e->hnext = b[e->hash & (n - 1)];
      b[e->hash & (n - 1)] = e;
    }
  }
  nfree(nc, nc->buckets);
  nc->buckets = b;
  nc->bucket_mask = n - 1;
}

static usnmp__nentry *cache_add(usnmp__notify *nc, uint64_t hash,
                                const usnmp__usm_target *usm, size_t cred) {
  usnmp__nentry *e;
  while (nc->n_entries >= nc->max_entries)
    cache_evict_oldest(nc);
  e = nmalloc(nc, sizeof *e);
  if (e == NULL)
    return NULL;
  memset(e, 0, sizeof *e);
  e->hash = hash;
  e->cred = cred;
  e->usm = *usm;
  e->hnext = nc->buckets[hash & nc->bucket_mask];
  nc->buckets[hash & nc->bucket_mask] = e;
  usnmp__list_push(&nc->fifo, &e->fifo);
  nc->n_entries++;
  cache_rehash(nc);
  return e;
}
#endif

/* ------------------------------------------------------------------------
 * The dedupe table
 * ------------------------------------------------------------------------ */

/* Returns 1 when key was seen within the window (a repeat), else records
 * it and returns 0.  One slot per hash: a collision replaces the older
 * key, so the table stays fixed in size (a repeat may then go unnoticed,
 * never a new message be taken for one). */
static int dedupe_seen(usnmp__notify *nc, uint64_t key, uint64_t now_ms) {
  usnmp__ndedupe *d;
  if (nc->window_ms == 0)
    return 0;
  if (key == 0)
    key = 1; /* 0 marks an empty slot */
  d = &nc->dedupe[key % USNMP__NOTIFY_DEDUPE_SLOTS];
  if (d->key == key && d->expires_ms > now_ms)
    return 1;
  d->key = key;
  d->expires_ms = now_ms + nc->window_ms;
  return 0;
}

/* ------------------------------------------------------------------------
 * Delivery
 * ------------------------------------------------------------------------ */

/* Records an answer of len bytes in reply and sends it at once. */
static void answer(usnmp__notify *nc, const uint8_t *reply, int len,
                   size_t *reply_len) {
  if (len <= 0) {
    nc->stats.send_errors++;
    return;
  }
  *reply_len = (size_t)len;
  if (nc->send != NULL)
    nc->send(nc->send_ctx, reply, (size_t)len);
}

static void deliver(usnmp__notify *nc, usnmp_notification *n) {
  nc->stats.delivered++;
  if (nc->cb != NULL && !nc->stopped)
    nc->cb(nc->rx, n, nc->cb_arg);
}

/* An inform's end: its Response (rc: the encoded length, or an error)
 * goes back, and the inform is delivered unless key (its source and
 * request-id) was seen within the dedupe window. */
static void inform_done(usnmp__notify *nc, const uint8_t *reply, int rc,
                        size_t *reply_len, uint64_t key, uint64_t now_ms,
                        usnmp_notification *n) {
  if (rc > 0)
    nc->stats.informs_answered++;
  answer(nc, reply, rc, reply_len);
  if (dedupe_seen(nc, key, now_ms)) {
    nc->stats.duplicates++;
    return;
  }
  deliver(nc, n);
}

static void set_vb(usnmp_varbind *vb, const uint8_t *oid, size_t len) {
  memset(vb, 0, sizeof *vb);
  vb->oid = oid;
  vb->oid_len = len;
}

/* RFC 3584 3.1: the SNMPv2 form of a v1 Trap-PDU, into nc->v2vbs. */
static size_t translate_v1(usnmp__notify *nc, const usnmp_msg *msg,
                           const usnmp_varbind *vbs, size_t n) {
  usnmp_varbind *out = nc->v2vbs;
  size_t k = 0, i;
  const usnmp_msg *kept = &nc->v1msg;

  set_vb(&out[k], oid_sysuptime, sizeof(oid_sysuptime));
  out[k++].value = usnmp_value_timeticks(msg->trap.time_stamp);
  set_vb(&out[k], oid_trapoid, sizeof(oid_trapoid));
  out[k].value.type = USNMP_TYPE_OID;
  if (msg->trap.generic_trap >= 0 && msg->trap.generic_trap < 6) {
    memcpy(nc->trap_oid, oid_snmptraps, sizeof(oid_snmptraps));
    nc->trap_oid[sizeof(oid_snmptraps)] = (uint8_t)(msg->trap.generic_trap + 1);
    out[k].value.v.bytes.data = nc->trap_oid;
    out[k].value.v.bytes.len = sizeof(oid_snmptraps) + 1;
  } else {
    usnmp_oid oid;
    int len = usnmp_oid_from_ber(&oid, msg->trap.enterprise,
                                 msg->trap.enterprise_len);
    if (len == 0 && oid.len + 2 <= USNMP_OID_MAX_LEN) {
      oid.arcs[oid.len++] = 0;
      oid.arcs[oid.len++] = (uint32_t)msg->trap.specific_trap;
      len = usnmp_oid_to_ber(nc->trap_oid, sizeof(nc->trap_oid), &oid);
    } else {
      len = -1;
    }
    if (len > 0) {
      out[k].value.v.bytes.data = nc->trap_oid;
      out[k].value.v.bytes.len = (size_t)len;
    } else {
      /* An enterprise too long to extend: the enterprise itself. */
      out[k].value.v.bytes.data = msg->trap.enterprise;
      out[k].value.v.bytes.len = msg->trap.enterprise_len;
    }
  }
  k++;
  for (i = 0; i < n; i++)
    out[k++] = vbs[i];
  set_vb(&out[k], oid_trapaddress, sizeof(oid_trapaddress));
  out[k++].value = usnmp_value_ipaddress(kept->trap.agent_addr);
  set_vb(&out[k], oid_trapcommunity, sizeof(oid_trapcommunity));
  out[k++].value = usnmp_value_octets(msg->community, msg->community_len);
  set_vb(&out[k], oid_trapenterprise, sizeof(oid_trapenterprise));
  out[k].value.type = USNMP_TYPE_OID;
  out[k].value.v.bytes.data = msg->trap.enterprise;
  out[k++].value.v.bytes.len = msg->trap.enterprise_len;
  return k;
}

static int community_ok(usnmp__notify *nc, const usnmp_msg *msg,
                        const struct sockaddr *source) {
  size_t i;
  for (i = 0; i < nc->n_communities; i++)
    if (strlen(nc->communities[i]) == msg->community_len &&
        memcmp(nc->communities[i], msg->community, msg->community_len) == 0)
      return 1;
  return nc->community_cb != NULL &&
         nc->community_cb(msg->community, msg->community_len, source,
                          nc->community_arg) != 0;
}

static void process_community(usnmp__notify *nc, const uint8_t *data,
                              size_t len, const struct sockaddr *source,
                              const struct sockaddr *local, uint64_t now_ms,
                              uint8_t *reply, size_t size, size_t *reply_len) {
  usnmp_msg *msg = &nc->v1msg;
  usnmp_notification n;
  size_t nvb = 0;
  int rc;

  rc = usnmp_msg_decode(msg, nc->vbs, USNMP_MAX_VARBINDS, &nvb, data, len);
  if (rc == USNMP_E_BAD_VERSION) {
    nc->stats.dropped_version++;
    return;
  }
  if (rc < 0) {
    nc->stats.dropped_malformed++;
    return;
  }
  if (msg->version == USNMP_VERSION_1
          ? msg->type != USNMP_PDU_TRAP_V1
          : msg->type != USNMP_PDU_TRAP_V2 && msg->type != USNMP_PDU_INFORM) {
    nc->stats.dropped_pdu++;
    return;
  }
  if (!community_ok(nc, msg, source)) {
    nc->stats.dropped_community++;
    return;
  }
  memset(&n, 0, sizeof(n));
  n.version = msg->version;
  n.pdu = msg->type;
  n.source = source;
  n.local = local;
  n.community = msg->community;
  n.community_len = msg->community_len;
  n.request_id = msg->request_id;
  n.varbinds = nc->vbs;
  n.varbind_count = nvb;
  if (msg->type == USNMP_PDU_TRAP_V1) {
    n.v1 = msg;
    n.v1_varbinds = nc->vbs;
    n.v1_varbind_count = nvb;
    n.varbinds = nc->v2vbs;
    n.varbind_count = translate_v1(nc, msg, nc->vbs, nvb);
  }
  if (msg->type == USNMP_PDU_INFORM) {
    usnmp_msg resp = *msg;
    uint8_t tag = (uint8_t)msg->version;
    uint64_t key = hash_addr(nc->seed, source);
    key = hash_bytes(key, &tag, 1);
    key = hash_bytes(key, &msg->request_id, sizeof(msg->request_id));
    resp.type = USNMP_PDU_RESPONSE;
    resp.error_status = 0;
    resp.error_index = 0;
    rc = usnmp_msg_encode(reply, size, &resp, nc->vbs, nvb);
    inform_done(nc, reply, rc, reply_len, key, now_ms, &n);
    return;
  }
  deliver(nc, &n);
}

#if USNMP_HAVE_SNMPV3
/* ------------------------------------------------------------------------
 * SNMPv3
 * ------------------------------------------------------------------------ */

static int engine_allowed(const usnmp__notify *nc, const uint8_t *id,
                          size_t len) {
  size_t i;
  if (nc->n_allowed == 0)
    return 1;
  for (i = 0; i < nc->n_allowed; i++)
    if (nc->allowed[i][0] == len && memcmp(nc->allowed[i] + 1, id, len) == 0)
      return 1;
  return 0;
}

static int cred_applies(const usnmp__ncred *c, const usnmp__msg3 *m) {
  return c->base.user_len == m->user_len &&
         memcmp(c->base.user, m->user, m->user_len) == 0 &&
         (c->pin_len == 0 || (c->pin_len == m->engine_id_len &&
                              memcmp(c->pin, m->engine_id, c->pin_len) == 0));
}

static usnmp_sec_level msg_level(uint8_t flags) {
  if (flags & USNMP__MSG3_FLAG_PRIV)
    return USNMP_SEC_AUTHPRIV;
  return (flags & USNMP__MSG3_FLAG_AUTH) ? USNMP_SEC_AUTHNOPRIV
                                         : USNMP_SEC_NOAUTHNOPRIV;
}

static uint32_t our_time(const usnmp__notify *nc, uint64_t now_ms) {
  uint64_t s = (now_ms - nc->boots_set_ms) / 1000;
  return s > USNMP__USM_TIME_MAX ? USNMP__USM_TIME_MAX : (uint32_t)s;
}

/* Writes a Report of usmStats.which.0 answering m, as our engine, at
 * usm's level (noAuthNoPriv when usm is NULL). */
static void send_report(usnmp__notify *nc, const usnmp__msg3 *m,
                        const usnmp__usm_target *usm, int which,
                        uint64_t now_ms, uint8_t *reply, size_t size,
                        size_t *reply_len) {
  static uint8_t oid[] = {0x2b, 6, 1, 6, 3, 15, 1, 1, 0, 0};
  uint8_t name[sizeof(oid)];
  usnmp__usm_target t;
  usnmp_varbind vb;
  usnmp_msg pdu;
  int rc;

  if (!(m->flags & USNMP__MSG3_FLAG_REPORTABLE))
    return;
  memcpy(name, oid, sizeof(oid));
  name[8] = (uint8_t)which;
  if (usm != NULL) {
    t = *usm;
    t.level = USNMP_SEC_AUTHNOPRIV;
  } else {
    memset(&t, 0, sizeof(t));
    t.level = USNMP_SEC_NOAUTHNOPRIV;
    memcpy(t.user, m->user, m->user_len);
    t.user_len = m->user_len;
  }
  memcpy(t.engine_id, nc->engine_id, nc->engine_id_len);
  t.engine_id_len = nc->engine_id_len;
  t.context_engine_id_len = 0;
  t.context_name_len = 0;
  usnmp__usm_target_resync(&t, nc->boots, our_time(nc, now_ms), now_ms, 1);
  set_vb(&vb, name, sizeof(name));
  vb.value =
      usnmp_value_counter32((uint32_t)(which == USM_STATS_UNKNOWN_ENGINE
                                           ? nc->stats.dropped_unknown_engine
                                       : which == USM_STATS_UNKNOWN_USER
                                           ? nc->stats.dropped_unknown_user
                                           : nc->stats.dropped_time_window));
  memset(&pdu, 0, sizeof(pdu));
  pdu.version = USNMP_VERSION_3;
  pdu.type = USNMP_PDU_REPORT;
  pdu.request_id = m->pdu.request_id;
  rc = usnmp__msg3_encode(nc->crypto, &t, now_ms, m->msg_id,
                          USNMP__MSG3_MAX_SIZE_DEFAULT, &pdu, &vb, 1, reply,
                          size);
  usnmp__usm_target_wipe(&t);
  if (rc > 0)
    nc->stats.reports_sent++;
  answer(nc, reply, rc, reply_len);
}

/* Authenticates (and decrypts) the message with the cached keys of its
 * engine and user, or with each credential of that name in turn.
 * Returns the entry that authenticated it (*m and the varbinds decoded),
 * or NULL with *why the drop reason: 1 unknown user, 2 auth, 3 decrypt,
 * 4 out of memory. */
static usnmp__nentry *authenticate(usnmp__notify *nc, const uint8_t *data,
                                   size_t len, usnmp__msg3 *m, size_t *nvb,
                                   int *why) {
  usnmp_sec_level level = msg_level(m->flags);
  const uint8_t *engine = m->engine_id, *user = m->user;
  size_t engine_len = m->engine_id_len, user_len = m->user_len;
  uint8_t engine_copy[USNMP__USM_ENGINE_ID_MAX], user_copy[USNMP__USM_USER_MAX];
  uint64_t hash;
  usnmp__nentry *e;
  usnmp__usm_target try;
  size_t i;
  int rc, any = 0, decrypt_failed = 0;

  /* The header fields point into data, which decoding does not change;
   * copies keep them simple to compare after m is overwritten. */
  memcpy(engine_copy, engine, engine_len);
  memcpy(user_copy, user, user_len);
  engine = engine_copy;
  user = user_copy;
  hash = entry_hash(nc, engine, engine_len, user, user_len);
  e = cache_find(nc, hash, engine, engine_len, user, user_len);
  if (e != NULL && nc->creds[e->cred].base.level >= level) {
    e->usm.level = level;
    rc = usnmp__msg3_decode(nc->crypto, &e->usm, data, len, nc->decrypt,
                            USNMP_MAX_MSG_SIZE, m, nc->vbs, USNMP_MAX_VARBINDS,
                            nvb);
    if (rc == 0)
      return e;
    decrypt_failed = rc == USNMP_E_DECRYPTION_ERROR;
  }
  memset(&try, 0, sizeof(try));
  for (i = 0; i < nc->n_creds; i++) {
    usnmp__msg3 probe = *m;
    if (e != NULL && i == e->cred)
      continue;
    probe.user = user;
    probe.engine_id = engine;
    if (!cred_applies(&nc->creds[i], &probe))
      continue;
    any = 1;
    if (nc->creds[i].base.level < level)
      continue;
    try = nc->creds[i].base;
    if (usnmp__usm_target_set_engine(nc->crypto, &try, engine, engine_len, 0) <
        0)
      continue;
    try.level = level;
    rc = usnmp__msg3_decode(nc->crypto, &try, data, len, nc->decrypt,
                            USNMP_MAX_MSG_SIZE, m, nc->vbs, USNMP_MAX_VARBINDS,
                            nvb);
    if (rc == 0) {
      if (e != NULL) {
        /* Another credential of the name now matches: keep the engine's
         * clock, take the new keys. */
        usnmp__usm_target clock = e->usm;
        e->usm = try;
        e->usm.boots = clock.boots;
        e->usm.time = clock.time;
        e->usm.synced_ms = clock.synced_ms;
        e->usm.time_known = clock.time_known;
        e->usm.time_authentic = clock.time_authentic;
        e->cred = i;
        usnmp__usm_target_wipe(&clock);
      } else {
        e = cache_add(nc, hash, &try, i);
      }
      usnmp__usm_target_wipe(&try);
      if (e == NULL)
        *why = 4;
      return e;
    }
    if (rc == USNMP_E_DECRYPTION_ERROR)
      decrypt_failed = 1;
  }
  usnmp__usm_target_wipe(&try);
  *why = e == NULL && !any ? 1 : decrypt_failed ? 3 : 2;
  return NULL;
}

static void count_auth_drop(usnmp__notify *nc, int why) {
  if (why == 1)
    nc->stats.dropped_unknown_user++;
  else if (why == 3)
    nc->stats.dropped_decrypt++;
  else
    nc->stats.dropped_auth++;
}

static void process_v3(usnmp__notify *nc, const uint8_t *data, size_t len,
                       const struct sockaddr *source,
                       const struct sockaddr *local, uint64_t now_ms,
                       uint8_t *reply, size_t size, size_t *reply_len) {
  usnmp__msg3 m;
  usnmp__nentry *e = NULL;
  usnmp_notification n;
  size_t nvb = 0, i;
  int rc, ours, why = 0;

  /* The header without keys: decoding stops at the digest of an
   * authenticated message (USNMP_E_AUTH_FAILURE with the header read);
   * a noAuthNoPriv message decodes whole. */
  rc = usnmp__msg3_decode(nc->crypto, NULL, data, len, nc->decrypt,
                          USNMP_MAX_MSG_SIZE, &m, nc->vbs, USNMP_MAX_VARBINDS,
                          &nvb);
  if (rc == USNMP_E_UNSUPPORTED_SEC_LEVEL) {
    nc->stats.dropped_auth++;
    return;
  }
  if (rc == USNMP_E_BAD_VERSION) {
    nc->stats.dropped_version++; /* another security model */
    return;
  }
  if (rc < 0 &&
      !(rc == USNMP_E_AUTH_FAILURE && (m.flags & USNMP__MSG3_FLAG_AUTH))) {
    nc->stats.dropped_malformed++;
    return;
  }
  ours = m.engine_id_len == nc->engine_id_len &&
         memcmp(m.engine_id, nc->engine_id, nc->engine_id_len) == 0;

  if (!ours) {
    /* Discovery (an empty engine ID) or an inform for another engine. */
    if (m.engine_id_len == 0 || (rc == 0 && m.pdu.type == USNMP_PDU_INFORM)) {
      nc->stats.dropped_unknown_engine++;
      send_report(nc, &m, NULL, USM_STATS_UNKNOWN_ENGINE, now_ms, reply, size,
                  reply_len);
      return;
    }
    if (!engine_allowed(nc, m.engine_id, m.engine_id_len)) {
      nc->stats.dropped_unknown_engine++;
      return;
    }
  }

  if (!(m.flags & USNMP__MSG3_FLAG_AUTH)) {
    /* noAuthNoPriv: a user of that name without authentication. */
    for (i = 0; i < nc->n_creds; i++)
      if (cred_applies(&nc->creds[i], &m) &&
          nc->creds[i].base.auth == USNMP_AUTH_NONE)
        break;
    if (i == nc->n_creds) {
      nc->stats.dropped_unknown_user++;
      if (ours)
        send_report(nc, &m, NULL, USM_STATS_UNKNOWN_USER, now_ms, reply, size,
                    reply_len);
      return;
    }
  } else {
    e = authenticate(nc, data, len, &m, &nvb, &why);
    if (e == NULL) {
      count_auth_drop(nc, why);
      if (ours && why == 1)
        send_report(nc, &m, NULL, USM_STATS_UNKNOWN_USER, now_ms, reply, size,
                    reply_len);
      return;
    }
  }

  if (ours ? m.pdu.type != USNMP_PDU_INFORM && m.pdu.type != USNMP_PDU_TRAP_V2
           : m.pdu.type != USNMP_PDU_TRAP_V2) {
    nc->stats.dropped_pdu++;
    return;
  }

  if (e != NULL && ours) {
    /* RFC 3414 3.2.7 a: we are authoritative. */
    uint32_t now = our_time(nc, now_ms);
    if (nc->boots >= USNMP__USM_TIME_MAX || m.boots != nc->boots ||
        (m.time > now ? m.time - now : now - m.time) > USNMP__USM_TIME_WINDOW) {
      nc->stats.dropped_time_window++;
      send_report(nc, &m, &e->usm, USM_STATS_NOT_IN_TIME, now_ms, reply, size,
                  reply_len);
      return;
    }
  } else if (e != NULL) {
    /* RFC 3414 3.2.7 b: the sender is. */
    uint64_t key;
    if (usnmp__usm_target_check_time(&e->usm, m.boots, m.time, now_ms) < 0) {
      nc->stats.dropped_time_window++;
      return;
    }
    key = hash_bytes(nc->seed ^ 0x5a, m.engine_id, m.engine_id_len);
    key = hash_bytes(key, m.user, m.user_len);
    key = hash_bytes(key, &m.msg_id, sizeof(m.msg_id));
    key = hash_bytes(key, &m.boots, sizeof(m.boots));
    key = hash_bytes(key, &m.time, sizeof(m.time));
    key = hash_bytes(key, m.auth_params, m.auth_params_len);
    if (dedupe_seen(nc, key, now_ms)) {
      nc->stats.dropped_replay++;
      return;
    }
  }

  memset(&n, 0, sizeof(n));
  n.version = USNMP_VERSION_3;
  n.pdu = m.pdu.type;
  n.source = source;
  n.local = local;
  n.user = m.user;
  n.user_len = m.user_len;
  n.security_level = msg_level(m.flags);
  n.engine_id = m.engine_id;
  n.engine_id_len = m.engine_id_len;
  n.context_engine_id = m.context_engine_id;
  n.context_engine_id_len = m.context_engine_id_len;
  n.context_name = m.context_name;
  n.context_name_len = m.context_name_len;
  n.request_id = m.pdu.request_id;
  n.varbinds = nc->vbs;
  n.varbind_count = nvb;

  if (m.pdu.type == USNMP_PDU_INFORM) {
    usnmp__usm_target t;
    usnmp__msg3_context ctx;
    usnmp_msg resp = m.pdu;
    /* A retransmission keeps its request-id; its msgID may be new (RFC
     * 3412 gives each message its own), so the msgID is not part of the
     * key. */
    uint64_t key = hash_addr(nc->seed ^ 0xa5, source);
    key = hash_bytes(key, m.user, m.user_len);
    key = hash_bytes(key, &m.pdu.request_id, sizeof(m.pdu.request_id));
    if (e != NULL) {
      t = e->usm;
      t.level = msg_level(m.flags);
    } else {
      memset(&t, 0, sizeof(t));
      memcpy(t.user, m.user, m.user_len);
      t.user_len = m.user_len;
      memcpy(t.engine_id, nc->engine_id, nc->engine_id_len);
      t.engine_id_len = nc->engine_id_len;
      t.level = USNMP_SEC_NOAUTHNOPRIV;
    }
    usnmp__usm_target_resync(&t, nc->boots, our_time(nc, now_ms), now_ms, 1);
    memset(&ctx, 0, sizeof(ctx));
    ctx.engine_id = m.context_engine_id;
    ctx.engine_id_len = m.context_engine_id_len;
    ctx.name = m.context_name != NULL ? m.context_name : (const uint8_t *)"";
    ctx.name_len = m.context_name_len;
    resp.type = USNMP_PDU_RESPONSE;
    resp.error_status = 0;
    resp.error_index = 0;
    rc = usnmp__msg3_encode_ctx(nc->crypto, &t, now_ms, m.msg_id,
                                USNMP__MSG3_MAX_SIZE_DEFAULT, &ctx, &resp,
                                nc->vbs, nvb, reply, size);
    if (e != NULL)
      e->usm.salt = t.salt; /* never reuse an IV */
    usnmp__usm_target_wipe(&t);
    inform_done(nc, reply, rc, reply_len, key, now_ms, &n);
    return;
  }
  deliver(nc, &n);
}

#endif /* USNMP_HAVE_SNMPV3 */

void usnmp__notify_process(usnmp__notify *nc, const uint8_t *data, size_t len,
                           const struct sockaddr *source,
                           const struct sockaddr *local, uint64_t now_ms,
                           uint8_t *reply, size_t size, size_t *reply_len) {
  usnmp__slice in, body;
  int32_t version = -1;

  *reply_len = 0;
  nc->stats.received++;
  usnmp__slice_init(&in, data, len);
  if (usnmp__ber_get_asn1(&in, &body, USNMP__TAG_SEQUENCE) < 0 ||
      usnmp__ber_get_int32(&body, USNMP_TYPE_INTEGER, &version) < 0) {
    nc->stats.dropped_malformed++;
    return;
  }
  if (version == 0 || version == 1)
    process_community(nc, data, len, source, local, now_ms, reply, size,
                      reply_len);
#if USNMP_HAVE_SNMPV3
  else if (version == 3) {
    process_v3(nc, data, len, source, local, now_ms, reply, size, reply_len);
    /* Whatever path the message took after a decryption (delivered,
     * dropped for its PDU, its time, a replay), the plaintext goes. */
    usnmp__wipe(nc->decrypt,
                len < USNMP_MAX_MSG_SIZE ? len : USNMP_MAX_MSG_SIZE);
  }
#endif
  else
    nc->stats.dropped_version++;
  nc->stats.key_cache_entries = nc->n_entries;
}
