/*
 * A target's address: (re)starting the lookup of its host name, and what
 * the end of the lookup does to the requests waiting on it (they go on,
 * or end with the lookup's error).  Starting requests (start.c) and the
 * manager (manager.c, which registers usnmp__target_resolved with the
 * transport) call these; they call the schedule (schedule.c) below.
 */
#include <netinet/in.h>
#include <string.h>

#include "manager_int.h"

/* (Re)starts resolving the target's host name; on failure to even start,
 * the waiting requests end with USNMP_E_RESOLVE from zero timers. */
void usnmp__target_resolve(usnmp_target *t) {
  struct sockaddr_storage addr;
  char host[256];
  const char *name = NULL;
  int family = AF_UNSPEC;
  int rc;
  if (t->resolving != NULL)
    return;
  rc = usnmp__agent_parse_port(t->agent, t->default_port, &addr, host,
                               sizeof(host), &name, &family);
  if (rc == 0 && name != NULL)
    rc = usnmp__resolve_start(&t->m->tp, t, name,
                              ntohs(((struct sockaddr_in *)&addr)->sin_port),
                              family, &t->resolving);
  if (rc == 0) {
    t->resolve_status = 1;
    return;
  }
  /* Could not start: fail what waits, without running callbacks here. */
  while (!usnmp__list_empty(&t->queue)) {
    usnmp_request *r = USNMP__CONTAINER(t->queue.next, usnmp_request, qlink);
    while (r->parent != NULL)
      r = r->parent;
    /* Takes the queued leaves of r's tree off the queue. */
    usnmp__req_unlink(r);
    usnmp__req_defer(r, USNMP_E_RESOLVE);
  }
}

/* The transport's lookup for t ended: status 0 with its address, or a
 * negative code. */
void usnmp__target_resolved(void *owner, void *token, int status,
                            const struct sockaddr *addr) {
  usnmp_manager *m = owner;
  usnmp_target *t = token;
  t->resolving = NULL;
  if (status == 0) {
    memset(&t->addr, 0, sizeof t->addr);
    memcpy(&t->addr, addr,
           addr->sa_family == AF_INET6 ? sizeof(struct sockaddr_in6)
                                       : sizeof(struct sockaddr_in));
  }
  t->resolve_status = status;
  if (status == 0) {
    usnmp__pump(m, t);
    return;
  }
  usnmp__target_hold(t);
  /* Stop when a callback started a new lookup (a request made from it
   * retries the name) or closed the manager. */
  while (!usnmp__list_empty(&t->queue) && !m->closing &&
         t->resolve_status < 0) {
    usnmp_request *r = USNMP__CONTAINER(t->queue.next, usnmp_request, qlink);
    while (r->parent != NULL)
      r = r->parent;
    usnmp__request_complete(r, status, NULL);
  }
  usnmp__target_unhold(t);
}
