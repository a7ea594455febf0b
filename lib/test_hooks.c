/*
 * Hooks for the test suite alone: they read or replace internals that no
 * program needs (the id table's size, a socket, the resolver, a message
 * model, the key cache's counters).  This file is built into a static
 * library of its own that only the tests link (meson.build,
 * usnmp_internal_dep), so the library that is installed has none of them.
 * Their declarations stay beside the structures they reach
 * (manager_int.h, usm.h).
 */
#include <sys/socket.h>

#include "manager_int.h"
#if USNMP_HAVE_SNMPV3
#include "usm_crypto.h"
#endif

uint32_t usnmp__manager_pending(const usnmp_manager *m) {
  return m->table_count;
}

int usnmp__manager_set_msgproc(usnmp_manager *m, usnmp_version v,
                               const usnmp__msgproc *proc) {
  if (m == NULL ||
      (v != USNMP_VERSION_1 && v != USNMP_VERSION_2C && v != USNMP_VERSION_3))
    return USNMP_E_INVAL;
  m->procs[v] = proc;
  return 0;
}

void usnmp__manager_set_resolver(usnmp_manager *m, usnmp__resolver_fn fn,
                                 void *arg) {
  m->tp.resolver = fn;
  m->tp.resolver_arg = arg;
}

int usnmp__transport_fd(const usnmp_manager *m, int family) {
  const usnmp__udp *u = family == AF_INET6 ? &m->tp.udp6 : &m->tp.udp4;
  uv_os_fd_t fd;
  if (u->state != 1 || uv_fileno((const uv_handle_t *)&u->handle, &fd) != 0)
    return -1;
  return fd;
}

#if USNMP_HAVE_SNMPV3
void usnmp__crypto_cache_stats(const usnmp__crypto *c, uint64_t *hits,
                               uint64_t *misses) {
  *hits = c->cache_hits;
  *misses = c->cache_misses;
}
#endif
