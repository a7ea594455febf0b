/*
 * GET/SET ordering of a target's requests (order.c), as the manager sees
 * it: the manager asks before a request goes, tells when one completes,
 * and asks which held requests may go now.  The ordering calls nothing of
 * the manager's.
 */
#ifndef USNMP_ORDER_H
#define USNMP_ORDER_H

#include "manager_int.h"

/* Returns 1 when r (a top-level request of t, built, not yet queued) may
 * go now, counted as in flight; 0 when the ordering holds it (r->qlink in
 * one of t's order lists, r->state USNMP__RS_WAIT_ORDER). */
int usnmp__order_admit(usnmp_target *t, usnmp_request *r);

/* r, which the ordering let go or held (r->ordered != 0), completes; a
 * held r has already left its list (the manager unlinks its qlink). */
void usnmp__order_done(usnmp_target *t, usnmp_request *r);

/* Returns a held request of t that may go now (taken off its list and
 * counted as in flight), or NULL. */
usnmp_request *usnmp__order_next(usnmp_target *t);

#endif /* USNMP_ORDER_H */
