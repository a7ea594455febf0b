/*
 * Writer-preferred ordering of a target's GETs and SETs
 * (usnmp_target_set_ordering): a SET goes once no read (GET, GETNEXT,
 * GETBULK) of the target is in flight, one SET at a time; a read made
 * while a SET is in flight or waiting is held until no SET is in flight
 * or waiting.  So a SET never races the reads made before it, and the
 * reads made after it see what it wrote, without starving SETs behind a
 * stream of reads.
 *
 * The manager calls usnmp__order_admit() before a request is queued,
 * usnmp__order_done() when it completes, and usnmp__order_next() to learn
 * which held requests may go; a held request has no timer running (its
 * deadline starts when it goes, as if it had been made then).  This file
 * is bookkeeping only: it calls nothing of the manager's.
 */
#include "order.h"

static int is_write(const usnmp_request *r) { return r->type == USNMP_PDU_SET; }

int usnmp_target_set_ordering(usnmp_target *t, usnmp_ordering mode) {
  if (t == NULL ||
      (mode != USNMP_ORDER_NONE && mode != USNMP_ORDER_WRITER_PREFERRED))
    return USNMP_E_INVAL;
  /* Requests held under the old mode still go by its rule as the ones in
   * flight complete; only new requests see the new mode. */
  t->ordering = (uint8_t)mode;
  return 0;
}

static void go(usnmp_target *t, usnmp_request *r) {
  r->ordered = 1;
  if (is_write(r))
    t->order_write_active = 1;
  else
    t->order_reads++;
}

static void hold(usnmp_request *r, usnmp__link *list) {
  r->ordered = 2;
  r->state = USNMP__RS_WAIT_ORDER;
  usnmp__list_push(list, &r->qlink);
}

int usnmp__order_admit(usnmp_target *t, usnmp_request *r) {
  int writes_ahead =
      t->order_write_active || !usnmp__list_empty(&t->order_writes);
  if (is_write(r)) {
    if (writes_ahead || t->order_reads != 0) {
      hold(r, &t->order_writes);
      return 0;
    }
  } else if (writes_ahead) {
    hold(r, &t->order_held_reads);
    return 0;
  }
  go(t, r);
  return 1;
}

void usnmp__order_done(usnmp_target *t, usnmp_request *r) {
  int counted = r->ordered == 1;
  r->ordered = 0;
  if (!counted)
    return;
  if (is_write(r))
    t->order_write_active = 0;
  else
    t->order_reads--;
}

static usnmp_request *take(usnmp_target *t, usnmp__link *list) {
  usnmp_request *r = USNMP__CONTAINER(list->next, usnmp_request, qlink);
  usnmp__list_del(&r->qlink);
  go(t, r);
  return r;
}

usnmp_request *usnmp__order_next(usnmp_target *t) {
  if (t->order_write_active)
    return NULL;
  if (!usnmp__list_empty(&t->order_writes))
    return t->order_reads == 0 ? take(t, &t->order_writes) : NULL;
  if (!usnmp__list_empty(&t->order_held_reads))
    return take(t, &t->order_held_reads);
  return NULL;
}
