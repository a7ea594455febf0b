/*
 * Request handles (usnmp_request_ref): a table of slots, each naming a
 * request and counting the requests it named, so that a handle kept after
 * its request completed (and its struct went to another request) matches
 * nothing.  Taking and releasing a slot are on the path of every request
 * that asks for a handle, so they are inline; growing the table and
 * finding a handle's request are in handle.c.
 */
#ifndef USNMP_HANDLE_H
#define USNMP_HANDLE_H

#include <stdint.h>

#include "manager_int.h"

/* Makes sure a slot is free, so that taking one after the request started
 * cannot fail.  Returns 0 or USNMP_E_NOMEM. */
int usnmp__handle_reserve(usnmp_manager *m);

/* Finds the request ref names: stores it in *out and returns 0, or returns
 * USNMP_E_INVAL (not a handle of a manager) or USNMP_E_STALE (its request
 * completed). */
int usnmp__handle_find(const usnmp_request_ref *ref, usnmp_request **out);

/* Gives r a slot (one is free: usnmp__handle_reserve()) and names it in
 * *out. */
static inline void usnmp__handle_take(usnmp_request *r,
                                      usnmp_request_ref *out) {
  usnmp_manager *m = r->m;
  uint32_t i = m->handles_free;
  usnmp__handle_slot *slot = &m->handles[i];
  m->handles_free = slot->next_free;
  slot->r = r;
  r->handle = i + 1;
  out->manager = m;
  out->slot = i;
  out->generation = slot->gen;
}

/* r completes: its handle goes stale.  (A slot would have to serve 2^32
 * requests before an old handle matched again.) */
static inline void usnmp__handle_release(usnmp_request *r) {
  usnmp_manager *m = r->m;
  usnmp__handle_slot *slot;
  if (r->handle == 0)
    return;
  slot = &m->handles[r->handle - 1];
  slot->r = NULL;
  slot->gen++;
  slot->next_free = m->handles_free;
  m->handles_free = r->handle - 1;
  r->handle = 0;
}

#endif /* USNMP_HANDLE_H */
