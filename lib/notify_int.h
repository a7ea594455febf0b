/*
 * The notification receiver's internals: lib/notify_recv.c (the protocol
 * core: bytes in, a notification and an answer out, no I/O) and
 * lib/notify_udp.c (the libuv sockets around it).  The fuzzer
 * (test/fuzz/fuzz_notify.c) drives the core alone.
 */
#ifndef USNMP_NOTIFY_INT_H
#define USNMP_NOTIFY_INT_H

#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "manager_int.h"
#include "usm.h"
#include "usnmp.h"

#define USNMP__NOTIFY_MAX_BINDS 16
#define USNMP__NOTIFY_DEDUPE_SLOTS 8192
#define USNMP__NOTIFY_DEFAULT_CACHE 16384
#define USNMP__NOTIFY_DEFAULT_WINDOW_MS 30000u

/* A v3 user as configured: name, protocols and master keys (in a
 * usm_target with no engine), and the engine it is pinned to (len 0:
 * any). */
typedef struct usnmp__ncred {
  usnmp__usm_target base;
  uint8_t pin[USNMP__USM_ENGINE_ID_MAX];
  size_t pin_len;
} usnmp__ncred;

/* A key cache entry: one (engine ID, user name) pair seen authenticated,
 * with the keys of the credential that matched, localised to the engine,
 * and (in usm) the engine's boots and time as last seen. */
typedef struct usnmp__nentry {
  struct usnmp__nentry *hnext;
  usnmp__link fifo;
  uint64_t hash;
  size_t cred; /* index of the matched credential */
  usnmp__usm_target usm;
} usnmp__nentry;

typedef struct usnmp__ndedupe {
  uint64_t key;
  uint64_t expires_ms;
} usnmp__ndedupe;

typedef struct usnmp__notify {
  usnmp_allocator alloc;
  usnmp__crypto *crypto;
  usnmp_receiver *rx; /* passed to the callback */
  usnmp_notification_cb cb;
  void *cb_arg;
  int stopped; /* 1: deliver nothing more (closing) */
  /* Sends an answer (set by the caller of usnmp__notify_process for each
   * datagram; NULL: the answer is only left in reply).  It runs before
   * the notification is delivered, so a callback that closes the
   * receiver cannot hold the answer back. */
  void (*send)(void *ctx, const uint8_t *data, size_t len);
  void *send_ctx;
  /* Communities: NUL-separated copies. */
  char **communities;
  size_t n_communities;
  usnmp_community_cb community_cb;
  void *community_arg;
  /* v3 users and the allow list. */
  usnmp__ncred *creds;
  size_t n_creds;
  uint8_t (*allowed)[USNMP__USM_ENGINE_ID_MAX + 1]; /* [0] = length */
  size_t n_allowed;
  /* Our own engine (authoritative for informs). */
  uint8_t engine_id[USNMP__USM_ENGINE_ID_MAX];
  size_t engine_id_len;
  uint32_t boots;
  uint64_t boots_set_ms; /* our snmpEngineTime counts from here */
  /* The key cache: chained hash of 2^k buckets, FIFO for eviction. */
  usnmp__nentry **buckets;
  size_t bucket_mask;
  usnmp__link fifo;
  size_t n_entries;
  size_t max_entries;
  uint64_t seed; /* keys the hashes (cache and dedupe) */
  /* The dedupe table (informs, v3 trap replays). */
  usnmp__ndedupe *dedupe;
  uint32_t window_ms;
  /* Scratch, one datagram at a time. */
  usnmp_varbind *vbs;   /* USNMP_MAX_VARBINDS */
  usnmp_varbind *v2vbs; /* USNMP_MAX_VARBINDS + 5: v1 translated */
  uint8_t *decrypt;     /* USNMP_MAX_MSG_SIZE */
  usnmp_msg v1msg;
  uint8_t trap_oid[5 * USNMP_OID_MAX_LEN + 16];
  usnmp_notify_stats stats;
} usnmp__notify;

/* Sets up nc (zeroed by the caller) with alloc (NULL: malloc).  Returns
 * 0, USNMP_E_NOMEM or USNMP_E_UNSUPPORTED. */
int usnmp__notify_init(usnmp__notify *nc, const usnmp_allocator *alloc,
                       uint64_t now_ms);
/* Wipes keys and frees what nc owns (not nc). */
void usnmp__notify_free(usnmp__notify *nc);

/* Processes one datagram that arrived from source on local at now_ms:
 * delivers it through nc->cb when it is an accepted notification, and
 * writes the answer to send back (a Response to an inform, a v3 Report)
 * into reply[0..size), storing its length in *reply_len (0: none).
 * Every datagram is counted in nc->stats, once, by what became of it. */
void usnmp__notify_process(usnmp__notify *nc, const uint8_t *data, size_t len,
                           const struct sockaddr *source,
                           const struct sockaddr *local, uint64_t now_ms,
                           uint8_t *reply, size_t size, size_t *reply_len);

/* The configuration calls behind usnmp_receiver_* (same returns; in a
 * build without SNMPv3 the v3 ones return USNMP_E_UNSUPPORTED). */
int usnmp__notify_add_community(usnmp__notify *nc, const char *community);
int usnmp__notify_add_user(usnmp__notify *nc, const char *user,
                           usnmp_auth_proto auth, const char *authpass,
                           usnmp_priv_proto priv, const char *privpass,
                           const uint8_t *engine_id, size_t engine_id_len);
int usnmp__notify_allow_engine(usnmp__notify *nc, const uint8_t *engine_id,
                               size_t len);
int usnmp__notify_set_engine_id(usnmp__notify *nc, const uint8_t *engine_id,
                                size_t len);
int usnmp__notify_set_cache_limit(usnmp__notify *nc, size_t entries);

/* Fills id[0..13) with an RFC 3411 format 5 engine ID (enterprise 0,
 * 8 random octets) and returns 13, or a negative code.  SNMPv3 builds
 * only. */
int usnmp__notify_random_engine_id(usnmp__crypto *c, uint8_t *id);

/* Returns the socket of the receiver's i-th bound address, or -1 (tests
 * check the buffer sizes with it). */
int usnmp__receiver_fd(const usnmp_receiver *rx, size_t i);

#endif
