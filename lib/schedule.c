/*
 * The schedule of requests: the target's and the manager's queues and
 * in-flight caps (flow control), the timers (resends, timeouts, deferred
 * ends), the send of each datagram and the one way out of a request,
 * usnmp__request_complete(), with the target ordering's release and a
 * failed SNMPv3 gate's waiters.  A request's answer goes to whoever asked
 * through r->cb only: the caller, or the parent that merges a split
 * request (merge.c).  Everything above (start.c, merge.c, resolve.c,
 * manager.c) calls down into this file; it calls request.c, reqid.c,
 * order.c, target.c and the transport below it.
 */
#include <string.h>

#include "handle.h"
#include "manager_int.h"
#include "order.h"
#include "reqid.h"

/* ------------------------------------------------------------------------
 * Sending, timers, flow control
 * ------------------------------------------------------------------------ */

static void on_timer(uv_timer_t *h);

static void arm_timer(usnmp_request *r, uint64_t now) {
  uint64_t due = (uint64_t)r->interval;
  if (r->deadline != 0) {
    uint64_t left = r->deadline > now ? r->deadline - now : 0;
    if (due > left)
      due = left;
  }
  uv_timer_start(&r->timer, on_timer, due, 0);
}

/* Ends r with status from a zero timer: used where a callback must not
 * run at once. */
void usnmp__req_defer(usnmp_request *r, int status) {
  r->state = USNMP__RS_DEFERRED;
  r->deferred_status = status;
  uv_timer_start(&r->timer, on_timer, 0, 0);
}

/* Hands r's message to the transport's send batch (once per batch). */
static inline int send_queue(usnmp_request *r) {
  usnmp__dgram d;
  int slot;
  d.to = (const struct sockaddr *)&r->t->addr;
  d.data = r->msg;
  d.len = r->msg_len;
  d.token = r;
  slot = usnmp__transport_queue(&r->m->tp, &d, r->txq_slot);
  if (slot < 0)
    return slot;
  r->txq_slot = (uint8_t)slot;
  return 0;
}

static void launch(usnmp_request *r) {
  usnmp_manager *m = r->m;
  uint64_t now;
  int rc;
  r->state = USNMP__RS_INFLIGHT;
  r->holds_manager_slot = 1;
  m->inflight++;
  if (r->plain != NULL) {
    /* The model makes the datagram now (SNMPv3: so that its engine time
     * is fresh). */
    rc = m->procs[r->version]->launch(r);
    if (rc < 0) {
      usnmp__req_defer(r, rc);
      return;
    }
  }
  rc = send_queue(r);
  if (rc < 0) {
    m->stats.send_errors++;
    usnmp__req_defer(r, rc);
    return;
  }
  r->sent_ns = uv_hrtime();
  r->unreadable_mark = m->unreadable_seq;
  now = uv_now(m->loop);
  arm_timer(r, now);
}

/* The transport sent (status 0) or failed a datagram of the batch; token
 * NULL: a copy libuv had queued failed later.  Runs no user callback. */
void usnmp__request_sent(void *owner, void *token, int status) {
  usnmp_manager *m = owner;
  usnmp_request *r = token;
  if (r == NULL) {
    m->stats.send_errors++;
    return;
  }
  r->txq_slot = 0;
  if (r->state != USNMP__RS_INFLIGHT)
    return;
  if (status < 0) {
    m->stats.send_errors++;
    /* A first send that fails ends the request (an address the kernel
     * refuses will not improve); a failed resend waits for the next. */
    if (r->sends == 0)
      usnmp__req_defer(r, status);
    return;
  }
  m->stats.sent++;
  if (r->sends > 0)
    m->stats.resent++;
  if (r->sends < UINT8_MAX)
    r->sends++;
}

static int manager_has_slot(const usnmp_manager *m) {
  return m->max_inflight == 0 || m->inflight < m->max_inflight;
}

/* Moves waiting requests forward: first those holding a target slot and
 * waiting for the manager's cap (in order), then t's own queue. */
void usnmp__pump(usnmp_manager *m, usnmp_target *t) {
  if (m->closing)
    return;
  while (!usnmp__list_empty(&m->queue) && manager_has_slot(m)) {
    usnmp_request *r = USNMP__CONTAINER(m->queue.next, usnmp_request, qlink);
    usnmp__list_del(&r->qlink);
    m->queued--;
    launch(r);
  }
  if (t == NULL || t->freeing || t->resolve_status != 0)
    return;
  while (!usnmp__list_empty(&t->queue) &&
         (t->max_inflight == 0 || t->inflight < t->max_inflight)) {
    usnmp_request *r = USNMP__CONTAINER(t->queue.next, usnmp_request, qlink);
    /* A model that builds datagrams at send time may hold the queue
     * (SNMPv3: while the agent's engine is unknown, one request probes
     * and the others wait behind it). */
    if (r->plain != NULL && !m->procs[r->version]->may_send(r))
      break;
    usnmp__list_del(&r->qlink);
    r->holds_target_slot = 1;
    t->inflight++;
    if (manager_has_slot(m)) {
      m->queued--;
      launch(r);
    } else {
      r->state = USNMP__RS_WAIT_MANAGER;
      usnmp__list_push(&m->queue, &r->qlink);
    }
  }
}

/* Arms the overall timeout of r's leaves that still wait in a queue: a
 * deadline counts from the start of the request, time in the queues
 * included (launch() re-arms the timer for the resend schedule). */
void usnmp__arm_queued(usnmp_request *r, uint64_t now) {
  usnmp__link *l;
  if (r->deadline == 0)
    return;
  if (r->state == USNMP__RS_PARENT) {
    for (l = r->children.next; l != &r->children; l = l->next)
      usnmp__arm_queued(USNMP__CONTAINER(l, usnmp_request, tlink), now);
    return;
  }
  if (r->state == USNMP__RS_WAIT_TARGET || r->state == USNMP__RS_WAIT_MANAGER)
    uv_timer_start(&r->timer, on_timer,
                   r->deadline > now ? r->deadline - now : 0, 0);
}

/* Queues the leaves of a freshly built request tree on their target. */
void usnmp__enqueue_tree(usnmp_request *r) {
  usnmp__link *l;
  if (r->merge != NULL) {
    r->state = USNMP__RS_PARENT;
    for (l = r->children.next; l != &r->children; l = l->next)
      usnmp__enqueue_tree(USNMP__CONTAINER(l, usnmp_request, tlink));
    return;
  }
  r->state = USNMP__RS_WAIT_TARGET;
  usnmp__list_push(&r->t->queue, &r->qlink);
  r->m->queued++;
}

/* ------------------------------------------------------------------------
 * Completion
 * ------------------------------------------------------------------------ */

/* The target's gate request (SNMPv3: the discovery probe) failed.  Every
 * request of its version queued on the target waits for it, so each fails
 * with the gate's status, from a zero timer (no callback runs here),
 * except those of the gate's own tree, which fail with it. */
static void fail_discovery_waiters(usnmp_target *t, usnmp_request *probe,
                                   int status) {
  usnmp_request *own = probe;
  usnmp__link *pos = &t->queue; /* the entries up to pos are skipped */
  while (own->parent != NULL)
    own = own->parent;
  while (pos->next != &t->queue) {
    usnmp_request *q = USNMP__CONTAINER(pos->next, usnmp_request, qlink);
    usnmp_request *root = q;
    while (root->parent != NULL)
      root = root->parent;
    if (root == own || q->version != probe->version) {
      pos = pos->next;
      continue;
    }
    /* Takes every queued leaf of root off the queue, never pos. */
    usnmp__req_unlink(root);
    if (status == USNMP_E_TIMEOUT)
      t->m->stats.timeouts++;
    usnmp__req_defer(root, status);
  }
}

/* Gives r's tree a deadline d (0: none). */
static void set_deadline(usnmp_request *r, uint64_t d) {
  usnmp__link *l;
  r->deadline = d;
  for (l = r->children.next; l != &r->children; l = l->next)
    set_deadline(USNMP__CONTAINER(l, usnmp_request, tlink), d);
}

/* Queues the requests t's ordering (order.c) lets go now.  A held request
 * had no timer: its deadline counts from now, as if it were made now. */
static void order_release(usnmp_target *t) {
  usnmp_manager *m = t->m;
  usnmp_request *r;
  uint64_t now;
  if (m->closing || t->freeing)
    return;
  now = uv_now(m->loop);
  while ((r = usnmp__order_next(t)) != NULL) {
    set_deadline(r, r->timeout_ms ? now + r->timeout_ms : 0);
    usnmp__enqueue_tree(r);
    usnmp__arm_queued(r, now);
  }
  usnmp__pump(m, t);
}

/* The one way out of a request: unlink, then call its callback (a
 * child's answers its parent, merge.c), then recycle it.  The target is
 * held across the callback, so that a walk or table whose callback freed
 * it (or closed the manager) can still read t->freeing and m->closing
 * before it asks again. */
void usnmp__request_complete(usnmp_request *r, int status,
                             const usnmp_response *answer) {
  usnmp_manager *m = r->m;
  usnmp_target *t = r->t;
  usnmp_response resp;
  /* The target's ordering may let held requests go once r is out. */
  int reorder = r->ordered;
  /* The gate failed (not merely cancelled) when it ends with an error
   * while its work is still undone (SNMPv3: the engine is unknown). */
  int discovery_failed =
      t->probe == r && status < 0 && status != USNMP_E_CANCELLED &&
      status != USNMP_E_CLOSED && m->procs[r->version]->gate_failed(r);

  usnmp__req_unlink(r);
  if (reorder)
    usnmp__order_done(t, r);
  if (discovery_failed)
    fail_discovery_waiters(t, r, status);
  usnmp__pump(m, t);
  /* A child of a split request answers its parent the same way
   * (merge.c). */
  usnmp__list_del(&r->tlink);
  usnmp__handle_release(r); /* a handle of r is stale from its callback on */
  if (answer != NULL)
    resp = *answer;
  else
    memset(&resp, 0, sizeof(resp));
  resp.status = status;
  resp.target = t;
  resp.request = r;
  usnmp__target_hold(t);
  r->cb(&resp, r->arg);
  usnmp__req_release(r);
  if (reorder)
    order_release(t);
  usnmp__target_unhold(t);
}

/* ------------------------------------------------------------------------
 * Resending and timers
 * ------------------------------------------------------------------------ */

/* The model asked for USNMP__RETRY (SNMPv3: r's target learnt its agent's
 * engine or clock from a Report to r): send r again, with a new id (the
 * old one was answered) and a fresh schedule, and let the requests that
 * waited for the gate go. */
void usnmp__request_resend(usnmp_request *r) {
  usnmp_manager *m = r->m;
  usnmp_target *t = r->t;
  uint64_t now = uv_now(m->loop);
  int32_t id;
  int rc;

  if (t->probe == r)
    t->probe = NULL;
  usnmp__reqid_remove(m, r);
  rc = usnmp__reqid_draw(m, &id);
  if (rc == 0) {
    r->id = id;
    rc = usnmp__reqid_insert(m, r);
    if (rc < 0)
      r->id = 0;
  }
  if (rc == 0)
    rc = m->procs[r->version]->launch(r);
  if (rc == 0)
    rc = send_queue(r);
  if (rc < 0) {
    usnmp__request_complete(r, rc, NULL);
    return;
  }
  r->sent_ns = uv_hrtime();
  r->retries_left = r->retries;
  r->interval = r->resend_ms;
  uv_timer_stop(&r->timer);
  arm_timer(r, now);
  usnmp__pump(m, t);
}

static void on_timer(uv_timer_t *h) {
  usnmp_request *r = USNMP__CONTAINER(h, usnmp_request, timer);
  usnmp_manager *m = r->m;
  uint64_t now;
  int rc;

  if (r->state == USNMP__RS_DEFERRED) {
    usnmp__request_complete(r, r->deferred_status, NULL);
    return;
  }
  if (r->state == USNMP__RS_WAIT_TARGET || r->state == USNMP__RS_WAIT_MANAGER) {
    /* Its deadline came while it waited in a queue: never sent. */
    m->stats.timeouts++;
    usnmp__request_complete(r, USNMP_E_TIMEOUT, NULL);
    return;
  }
  if (r->state != USNMP__RS_INFLIGHT)
    return;
  now = uv_now(m->loop);
  if ((r->deadline != 0 && now >= r->deadline) || r->retries_left == 0) {
    m->stats.timeouts++;
    /* A v3 request whose only replies failed authentication most likely
     * has a wrong password or key: say so rather than "timeout".  One
     * whose target sent what we could not read answered, badly: say that.
     * Either is decided only now, so no such datagram, forged or not,
     * ends a request before its time. */
    if (r->v3 & USNMP__V3R_AUTH_FAILED) {
      rc = USNMP_E_AUTH_FAILURE;
    } else if (usnmp__unreadable_since(r)) {
      rc = USNMP_E_UNREADABLE_REPLY;
      m->stats.unreadable++;
    } else {
      rc = USNMP_E_TIMEOUT;
    }
    usnmp__request_complete(r, rc, NULL);
    return;
  }
  /* Resend the same bytes.  A failed resend is only counted: the next
   * one, or the timeout, follows on schedule. */
  rc = send_queue(r);
  if (rc < 0)
    m->stats.send_errors++;
  else
    r->sent_ns = uv_hrtime();
  if (r->retries_left > 0)
    r->retries_left--;
  r->interval *= r->backoff;
  if (r->interval > 86400000.0)
    r->interval = 86400000.0;
  arm_timer(r, now);
}
