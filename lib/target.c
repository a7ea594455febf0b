/*
 * A target's settings and its memory: version, communities, timeouts,
 * resends and split size, the caller's data, and what it was made with
 * (each setting takes effect for requests started afterwards: a request
 * keeps its own copy); making a target and destroying it.  Resolving its
 * name is resolve.c's; freeing it, which ends its requests first, and the
 * setter that moves queues (usnmp_target_set_max_inflight) are the
 * manager's (manager.c).  This file calls only the transport and the
 * message models' table below it.
 */
#include <string.h>

#include "alloc.h"
#include "manager_int.h"

int usnmp_target_set_version(usnmp_target *t, usnmp_version v) {
  if (t == NULL || (v != USNMP_VERSION_1 && v != USNMP_VERSION_2C &&
                    !(v == USNMP_VERSION_3 && t->m->procs[3] != NULL)))
    return USNMP_E_INVAL;
  t->version = v;
  return 0;
}

static int set_string(usnmp_target *t, char **slot, const char *s,
                      int nullable) {
  char *d = NULL;
  if (t == NULL || (s == NULL && !nullable) || (s != NULL && strlen(s) > 255))
    return USNMP_E_INVAL;
  if (s != NULL) {
    d = usnmp__strdup(&t->m->alloc, s);
    if (d == NULL)
      return USNMP_E_NOMEM;
  }
  /* Requests in flight compare replies with the community inside their
   * own message, so the old string may go now. */
  usnmp__free(t->m, *slot);
  *slot = d;
  return 0;
}

int usnmp_target_set_community(usnmp_target *t, const char *community) {
  return set_string(t, t ? &t->community : NULL, community, 0);
}

int usnmp_target_set_write_community(usnmp_target *t, const char *community) {
  return set_string(t, t ? &t->write_community : NULL, community, 1);
}

int usnmp_target_set_timeout(usnmp_target *t, uint32_t timeout_ms) {
  if (t == NULL)
    return USNMP_E_INVAL;
  t->timeout_ms = timeout_ms;
  return 0;
}

int usnmp_target_set_resend(usnmp_target *t, uint32_t resend_ms) {
  if (t == NULL || resend_ms == 0)
    return USNMP_E_INVAL;
  t->resend_ms = resend_ms;
  return 0;
}

int usnmp_target_set_retries(usnmp_target *t, int32_t retries) {
  if (t == NULL)
    return USNMP_E_INVAL;
  t->retries = retries;
  return 0;
}

int usnmp_target_set_backoff(usnmp_target *t, double factor) {
  if (t == NULL || !(factor >= 1.0 && factor <= 100.0))
    return USNMP_E_INVAL;
  t->backoff = factor;
  return 0;
}

int usnmp_target_set_max_oids(usnmp_target *t, uint32_t max) {
  if (t == NULL || max == 0 || max > USNMP_MAX_VARBINDS)
    return USNMP_E_INVAL;
  t->max_oids = max;
  return 0;
}

void *usnmp_target_data(const usnmp_target *t) { return t ? t->data : NULL; }

void usnmp_target_set_data(usnmp_target *t, void *data) {
  if (t != NULL)
    t->data = data;
}

const char *usnmp_target_agent(const usnmp_target *t) {
  return t ? t->agent : NULL;
}

usnmp_manager *usnmp_target_manager(const usnmp_target *t) {
  return t ? t->m : NULL;
}
void usnmp__target_destroy(usnmp_target *t) {
  usnmp_manager *m = t->m;
  if (t->resolving != NULL) {
    usnmp__resolve_abandon(t->resolving);
    t->resolving = NULL;
  }
  for (size_t v = 0; v < sizeof m->procs / sizeof m->procs[0]; v++)
    if (m->procs[v] != NULL && m->procs[v]->target_free != NULL)
      m->procs[v]->target_free(t);
  if (m->ext_target_free != NULL)
    m->ext_target_free(t);
  usnmp__list_del(&t->mlink);
  usnmp__free(m, t->agent);
  usnmp__free(m, t->community);
  usnmp__free(m, t->write_community);
  usnmp__free(m, t);
}

int usnmp_target_init(usnmp_manager *m, usnmp_target **out, const char *agent) {
  return usnmp__target_new_port(m, out, agent, 161);
}

int usnmp__target_new_port(usnmp_manager *m, usnmp_target **out,
                           const char *agent, uint16_t default_port) {
  struct sockaddr_storage addr;
  char host[256];
  const char *name = NULL;
  int family = AF_UNSPEC;
  usnmp_target *t;
  int rc;

  if (m == NULL || out == NULL || agent == NULL)
    return USNMP_E_INVAL;
  if (m->closing)
    return USNMP_E_CLOSED;
  rc = usnmp__agent_parse_port(agent, default_port, &addr, host, sizeof(host),
                               &name, &family);
  if (rc < 0)
    return rc;
  t = usnmp__malloc(m, sizeof *t);
  if (t == NULL)
    return USNMP_E_NOMEM;
  memset(t, 0, sizeof *t);
  t->m = m;
  usnmp__list_init(&t->mlink);
  usnmp__list_init(&t->requests);
  usnmp__list_init(&t->queue);
  usnmp__list_init(&t->order_writes);
  usnmp__list_init(&t->order_held_reads);
  t->agent = usnmp__strdup(&m->alloc, agent);
  t->community = usnmp__strdup(&m->alloc, "public");
  if (t->agent == NULL || t->community == NULL) {
    usnmp__target_destroy(t);
    return USNMP_E_NOMEM;
  }
  t->version = USNMP_VERSION_2C;
  t->resend_ms = 1000;
  t->retries = 5;
  t->backoff = 1.0;
  t->max_oids = 10;
  t->max_inflight = 64;
  t->default_port = default_port;
  if (name != NULL) {
    t->resolve_status = 1;
    rc = usnmp__resolve_start(&t->m->tp, t, name,
                              ntohs(((struct sockaddr_in *)&addr)->sin_port),
                              family, &t->resolving);
    if (rc < 0) {
      usnmp__target_destroy(t);
      return rc;
    }
  } else {
    t->addr = addr;
  }
  usnmp__list_push(&m->targets, &t->mlink);
  *out = t;
  return 0;
}
