/*
 * The blocking layer's objects (sync.c, sync_hosts.c): the sync object,
 * its hosts and the agent strings that name them, the re-entrance rule
 * and the allocation helpers both files use.  sync.c calls sync_hosts.c,
 * never the other way.
 */
#ifndef USNMP_SYNC_INT_H
#define USNMP_SYNC_INT_H

#include "alloc.h"
#include "manager_int.h"
#include "usnmp.h"

typedef struct sync_host sync_host;
typedef struct host_alias host_alias;

/* Per-agent state: its async target.  A host is its resolved address and
 * port: "h", "h:161" and "udp:h" are one host, with one cache key and one
 * GET/SET order. */
struct sync_host {
  sync_host *next;
  usnmp_target *target;
  struct sockaddr_storage addr;
  /* usnmp_sync_set_host(): the settings named in flags are this host's
   * own, and the object's setters leave them alone. */
  uint32_t flags;
  usnmp_version version;
  char *community;
  char *write_community;
  uint32_t resend_ms;
  uint32_t timeout_ms;
  char *v3_user; /* USNMP_HOST_V3_USER; passwords wiped */
  usnmp_auth_proto v3_auth;
  char *v3_authpass;
  usnmp_priv_proto v3_priv;
  char *v3_privpass;
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
  usnmp_cache *cache;
  sync_host *hosts;
  host_alias *aliases;
  usnmp_sync_walk *walks; /* live walks, detached by close */
  usnmp_version version;
  char *community;
  char *write_community;
  uint16_t port;
  uint32_t resend_ms;
  uint32_t timeout_ms;
  /* A call of s is on the stack: its private loop or its allocation
   * hook may call back into the application, which must not re-enter s
   * (see GUARD). */
  int running;
  int32_t last_error_status;
  int32_t last_error_index;
  int manager_closed; /* the manager's close callback ran */
  /* SNMPv3, applied to every host without a user of its own (v3_user
   * NULL: none set).  The passwords are kept because hosts are created
   * on first use and each localises the keys to its own agent; they are
   * wiped when replaced and at close. */
  char *v3_user;
  usnmp_auth_proto v3_auth;
  usnmp_priv_proto v3_priv;
  char *v3_authpass;
  char *v3_privpass;
  usnmp_sec_level v3_level; /* 0: the highest the protocols allow */
  char *v3_context;         /* NULL: the default context */
};

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

/* ---- memory: every allocation goes through the sync object's hook ---- */

static inline void *usnmp__sync_alloc(usnmp_sync *s, size_t size) {
  return usnmp__alloc(&s->alloc, size);
}

static inline void usnmp__sync_free(usnmp_sync *s, void *p) {
  usnmp__dealloc(&s->alloc, p);
}

/* ---- sync_hosts.c ---- */

/* Finds the host an agent string names, read with the default port of
 * s.  Returns 0 (*out set), UV_EAGAIN when the name must be resolved first
 * (*resolving: a new target resolving it; resolve it, then pass it to
 * usnmp__sync_host_add, or free it), or a parse error (USNMP_E_INVAL) or
 * USNMP_E_NOMEM. */
int usnmp__sync_host_find(usnmp_sync *s, const char *name,
                          usnmp_target **resolving, sync_host **out);

/* Adds the host of name at addr (or finds the host already there), with
 * target t (NULL: made here; freed when a host already has addr).  Takes
 * t in every case.  Returns 0, USNMP_E_INVAL or USNMP_E_NOMEM. */
int usnmp__sync_host_add(usnmp_sync *s, const char *name,
                         const struct sockaddr_storage *addr, usnmp_target *t,
                         sync_host **out);

/* The call timeout of host h (NULL: the object's). */
uint32_t usnmp__sync_host_timeout(const usnmp_sync *s, const sync_host *h);

/* Gives host h the settings of opts (usnmp_sync_set_host).  Returns 0,
 * USNMP_E_INVAL or USNMP_E_NOMEM (h unchanged). */
int usnmp__sync_host_set(usnmp_sync *s, sync_host *h,
                         const usnmp_host_opts *opts);

/* Frees the hosts, the agent strings and the settings of s (its manager
 * is closed: the targets are gone). */
void usnmp__sync_hosts_free(usnmp_sync *s);

#endif /* USNMP_SYNC_INT_H */
