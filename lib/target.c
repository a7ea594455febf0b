/*
 * A target's settings: version, communities, timeouts, resends and
 * split size, the caller's data, and what it was made with.  Each takes
 * effect for requests started afterwards (a request keeps its own copy).
 * The life of a target (making, resolving, freeing) and the setters that
 * move queues (usnmp_target_set_max_inflight) are the manager's
 * (manager.c).
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
  if (t == NULL || (s == NULL && !nullable) ||
      (s != NULL && strlen(s) > 255))
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
