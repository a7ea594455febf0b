/*
 * The async manager: requests, request-ids, the id table, timers, resend,
 * dispatch of replies, targets, flow control, split/merge and tooBig.
 *
 * See manager_int.h for the objects and the states of a request.  The
 * rules every function here keeps:
 *
 *   - a request leaves every structure (table, queues, timer, slots)
 *     before its callback runs, and is recycled only after it returns;
 *   - no user callback runs inside a call that starts a request: errors
 *     found later (a failed first send) go through a zero timer;
 *   - a loop over a target that runs callbacks holds the target (busy), and
 *     so does every request's callback, so usnmp_target_close() from a
 *     callback only marks it, and the holder destroys it when done (walks
 *     and tables read usnmp__target_gone() in between); loops over the
 *     manager restart from the head of their list after every callback;
 *   - a handle given out (usnmp_request_ref) names a slot and its
 *     generation, never the recycled struct itself.
 */
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>

#include "alloc.h"
#include "ber.h"
#include "handle.h"
#include "manager_int.h"
#include "notify_int.h"
#include "order.h"
#include "pdu.h"
#include "reply.h"
#include "reqid.h"
#include "varbinds.h"

/* The budget of the design: well under 1 KiB per request in flight for a
 * small GET (struct, timer and message together). */
_Static_assert(sizeof(usnmp_request) <= 640, "usnmp_request grew");


/* ------------------------------------------------------------------------
 * Dispatch by version (the models: community.c, manager_v3.c)
 * ------------------------------------------------------------------------ */

/* Reads the version of a message: SEQUENCE { INTEGER version, ... }. */
static int peek_version(const uint8_t *data, size_t len, int32_t *version) {
  usnmp__slice in, body;
  int rc;
  usnmp__slice_init(&in, data, len);
  rc = usnmp__ber_get_asn1(&in, &body, USNMP__TAG_SEQUENCE);
  if (rc < 0)
    return rc;
  return usnmp__ber_get_int32(&body, USNMP_TYPE_INTEGER, version);
}

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
static void req_defer(usnmp_request *r, int status) {
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
      req_defer(r, rc);
      return;
    }
  }
  rc = send_queue(r);
  if (rc < 0) {
    m->stats.send_errors++;
    req_defer(r, rc);
    return;
  }
  r->sent_ns = uv_hrtime();
  r->unreadable_mark = m->unreadable_seq;
  now = uv_now(m->loop);
  arm_timer(r, now);
}

/* The transport sent (status 0) or failed a datagram of the batch; token
 * NULL: a copy libuv had queued failed later.  Runs no user callback. */
static void on_sent(void *owner, void *token, int status) {
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
      req_defer(r, status);
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
static void pump(usnmp_manager *m, usnmp_target *t) {
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
static void arm_queued(usnmp_request *r, uint64_t now) {
  usnmp__link *l;
  if (r->deadline == 0)
    return;
  if (r->state == USNMP__RS_PARENT) {
    for (l = r->children.next; l != &r->children; l = l->next)
      arm_queued(USNMP__CONTAINER(l, usnmp_request, tlink), now);
    return;
  }
  if (r->state == USNMP__RS_WAIT_TARGET || r->state == USNMP__RS_WAIT_MANAGER)
    uv_timer_start(&r->timer, on_timer,
                   r->deadline > now ? r->deadline - now : 0, 0);
}

/* Queues the leaves of a freshly built request tree on their target. */
static void enqueue_tree(usnmp_request *r) {
  usnmp__link *l;
  if (r->merge != NULL) {
    r->state = USNMP__RS_PARENT;
    for (l = r->children.next; l != &r->children; l = l->next)
      enqueue_tree(USNMP__CONTAINER(l, usnmp_request, tlink));
    return;
  }
  r->state = USNMP__RS_WAIT_TARGET;
  usnmp__list_push(&r->t->queue, &r->qlink);
  r->m->queued++;
}

/* ------------------------------------------------------------------------
 * Completion and merging
 * ------------------------------------------------------------------------ */

static void complete(usnmp_request *r, int status,
                     const usnmp_response *answer);

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
    req_defer(root, status);
  }
}

static void finish_parent(usnmp_request *p) {
  usnmp_manager *m = p->m;
  usnmp__merge *mg = p->merge;
  usnmp_response resp;
  size_t total = 0, k = 0;
  uint32_t i;
  for (i = 0; i < mg->n_slots; i++)
    total += mg->slots[i].n_vbs;
  mg->out = usnmp__malloc(m, total ? total * sizeof(usnmp_varbind) : 1);
  if (mg->out == NULL) {
    complete(p, USNMP_E_NOMEM, NULL);
    return;
  }
  for (i = 0; i < mg->n_slots; i++) {
    if (mg->slots[i].n_vbs)
      memcpy(mg->out + k, mg->slots[i].vbs,
             mg->slots[i].n_vbs * sizeof(usnmp_varbind));
    k += mg->slots[i].n_vbs;
  }
  memset(&resp, 0, sizeof(resp));
  resp.error_status = mg->error_status;
  resp.error_index = mg->error_index;
  resp.varbinds = mg->out;
  resp.varbind_count = total;
  resp.rtt_ns = mg->rtt_ns;
  complete(p, 0, &resp);
}

/* A sub-request ended: store its answer in its parent's slot, or end the
 * parent at once when it failed. */
static void child_done(usnmp_request *c, int status,
                       const usnmp_response *answer) {
  usnmp_request *p = c->parent;
  usnmp_manager *m = c->m;
  usnmp__merge *mg = p->merge;
  usnmp__merge_slot *slot = &mg->slots[c->slot];

  usnmp__list_del(&c->tlink);
  if (status == 0) {
    /* Each part's answer is one datagram at most, but a hostile agent
     * could fill each of up to USNMP_MAX_VARBINDS parts: the merge holds
     * USNMP__MERGE_MAX bytes at most. */
    size_t size = answer->varbind_count * sizeof(usnmp_varbind) +
                  usnmp__varbinds_bytes(answer->varbinds,
                                        answer->varbind_count);
    if (size > USNMP__MERGE_MAX - mg->bytes)
      status = USNMP_E_TOO_BIG;
    else if ((slot->vbs = usnmp__varbinds_dup(&m->alloc, answer->varbinds,
                                              answer->varbind_count,
                                              size)) == NULL)
      status = USNMP_E_NOMEM;
    else {
      slot->block_size = size ? size : 1;
      mg->bytes += size;
    }
  }
  usnmp__req_release(c);
  if (status != 0) {
    complete(p, status, NULL);
    return;
  }
  slot->block = slot->vbs;
  slot->n_vbs = answer->varbind_count;
  /* The first error in the caller's order wins; its index is turned into
   * the caller's numbering. */
  if (answer->error_status != 0 &&
      (mg->error_status == 0 || c->slot < mg->error_slot)) {
    mg->error_status = answer->error_status;
    mg->error_index =
        answer->error_index > 0
            ? answer->error_index + (int32_t)slot->offset
            : 0;
    mg->error_slot = c->slot;
  }
  mg->rtt_ns = answer->rtt_ns;
  if (--mg->pending == 0)
    finish_parent(p);
}

static void target_hold(usnmp_target *t);
static void target_unhold(usnmp_target *t);

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
    enqueue_tree(r);
    arm_queued(r, now);
  }
  pump(m, t);
}

/* The one way out of a request: unlink, then answer its parent or call
 * its callback, then recycle it.  The target is held across the callback,
 * so that a walk or table whose callback freed it (or closed the manager)
 * can still read t->freeing and m->closing before it asks again. */
static void complete(usnmp_request *r, int status,
                     const usnmp_response *answer) {
  usnmp_manager *m = r->m;
  usnmp_target *t = r->t;
  usnmp_response resp;
  /* The target's ordering may let held requests go once r is out. */
  int reorder = r->ordered;
  /* The gate failed (not merely cancelled) when it ends with an error
   * while its work is still undone (SNMPv3: the engine is unknown). */
  int discovery_failed = t->probe == r && status < 0 &&
                         status != USNMP_E_CANCELLED &&
                         status != USNMP_E_CLOSED &&
                         m->procs[r->version]->gate_failed(r);

  usnmp__req_unlink(r);
  if (reorder)
    usnmp__order_done(t, r);
  if (discovery_failed)
    fail_discovery_waiters(t, r, status);
  pump(m, t);
  if (r->parent != NULL) {
    child_done(r, status, answer);
    return;
  }
  usnmp__list_del(&r->tlink);
  usnmp__handle_release(r); /* a handle of r is stale from its callback on */
  if (answer != NULL)
    resp = *answer;
  else
    memset(&resp, 0, sizeof(resp));
  resp.status = status;
  resp.target = t;
  resp.request = r;
  target_hold(t);
  r->cb(&resp, r->arg);
  usnmp__req_release(r);
  if (reorder)
    order_release(t);
  target_unhold(t);
}

/* r (in flight, several varbinds) was answered tooBig: ask again in two
 * halves, each of which may be halved again.  The varbinds come back out
 * of r's own message, which outlives the split. */
static void split_after_toobig(usnmp_request *r) {
  usnmp_manager *m = r->m;
  usnmp_msg sent;
  usnmp__pdu tmpl;
  usnmp__msg3_context ctx;
  const uint8_t *msg = r->msg;
  size_t msg_len = r->msg_len, n = 0;
  int has_ctx = 0, rc;

  /* A request encrypted on the wire: split what it keeps in clear. */
  if (r->plain != NULL)
    m->procs[r->version]->plain(r, &msg, &msg_len, &ctx, &has_ctx);
  rc = usnmp_msg_decode(&sent, m->tx_vbs, USNMP_MAX_VARBINDS, &n, msg,
                        msg_len);
  usnmp__req_unlink(r);
  if (rc == 0) {
    memset(&tmpl, 0, sizeof(tmpl));
    tmpl.type = (usnmp_pdu_type)r->type;
    tmpl.community = r->msg + r->comm_off;
    tmpl.community_len = r->comm_len;
    tmpl.context = has_ctx ? &ctx : NULL;
    rc = n > 1 ? usnmp__req_split(r, &tmpl, m->tx_vbs, n, (n + 1) / 2)
               : USNMP_E_TOO_BIG;
  }
  if (rc < 0) {
    while (!usnmp__list_empty(&r->children)) {
      usnmp_request *c =
          USNMP__CONTAINER(r->children.next, usnmp_request, tlink);
      usnmp__req_discard(c);
    }
    complete(r, rc, NULL);
    return;
  }
  enqueue_tree(r);
  pump(m, r->t);
  arm_queued(r, uv_now(m->loop));
}

/* ------------------------------------------------------------------------
 * Receiving
 * ------------------------------------------------------------------------ */

static void resend_new_id(usnmp_request *r);

static void on_answer(usnmp_request *r, const usnmp__inbound *in) {
  usnmp_response resp;
  if (in->msg.error_status == USNMP_ERROR_STATUS_TOOBIG && r->n_vbs > 1 &&
      r->type != USNMP_PDU_GETBULK && r->type != USNMP_PDU_INFORM) {
    split_after_toobig(r);
    return;
  }
  memset(&resp, 0, sizeof(resp));
  resp.error_status = in->msg.error_status;
  resp.error_index = in->msg.error_index;
  resp.varbinds = in->vbs;
  resp.varbind_count = in->n_vbs;
  resp.rtt_ns = uv_hrtime() - r->sent_ns;
  complete(r, 0, &resp);
}

/* The transport received a datagram. */
static void on_datagram(void *owner, const uint8_t *data, size_t len,
                        const struct sockaddr *from, int partial) {
  usnmp_manager *m = owner;
  usnmp__inbound in;
  const usnmp__msgproc *proc;
  usnmp_request *r;
  int32_t version;
  int rc;

  m->stats.received++;
  if (partial) {
    usnmp__unreadable_note(m, from, USNMP_E_MSG_TOO_BIG);
    return;
  }
  rc = peek_version(data, len, &version);
  if (rc < 0) {
    usnmp__unreadable_note(m, from, rc);
    return;
  }
  if (version < 0 || version > 3 || (proc = m->procs[version]) == NULL) {
    m->stats.dropped_wrong_version++;
    return;
  }
  memset(&in, 0, sizeof(in));
  in.data = data;
  in.len = len;
  in.from = from;
  in.version = version;
  in.vbs = m->rx_vbs;
  rc = proc->decode(m, &in);
  if (rc < 0) {
    usnmp__unreadable_note(m, from, rc);
    return;
  }
  r = usnmp__reqid_find(m, in.key);
  if (r == NULL || r->state != USNMP__RS_INFLIGHT) {
    m->stats.dropped_unknown_id++;
    return;
  }
  if (!usnmp__sockaddr_equal(from, (const struct sockaddr *)&r->t->addr)) {
    m->stats.dropped_wrong_source++;
    return;
  }
  if (m->procs[r->version] != proc) {
    m->stats.dropped_wrong_version++;
    return;
  }
  rc = proc->accept(r, &in);
  if (rc == USNMP__ACCEPT && m->strict && in.tolerated)
    rc = USNMP__DROP_STRICT;
  switch (rc) {
  case USNMP__ACCEPT:
    break;
  case USNMP__DROP_VERSION:
    m->stats.dropped_wrong_version++;
    return;
  case USNMP__DROP_COMMUNITY:
    m->stats.dropped_wrong_community++;
    return;
  case USNMP__DROP_PDU:
    m->stats.dropped_wrong_pdu++;
    return;
  case USNMP__DROP_AUTH:
    m->stats.dropped_auth++;
    return;
  case USNMP__DROP_STRICT:
    m->stats.dropped_strict++;
    usnmp__unreadable_note(m, from, usnmp__strict_error(in.tolerated));
    return;
  case USNMP__RETRY:
    m->stats.accepted++;
    resend_new_id(r);
    return;
  case USNMP__FAIL:
    m->stats.accepted++;
    complete(r, in.status, NULL);
    return;
  default:
    usnmp__unreadable_note(m, from,
                           in.status < 0 ? in.status : USNMP_E_BAD_VALUE);
    return;
  }
  if (in.tolerated & USNMP__Q_OID_PAD)
    usnmp__reply_canon_oids(&in);
  if (!usnmp__reply_answers(r, &in)) {
    m->stats.dropped_mismatch++;
    return;
  }
  m->stats.accepted++;
  if (in.tolerated)
    usnmp__reply_note_tolerated(m, &in);
  on_answer(r, &in);
  if (m->v3_scratch_dirty != 0) {
    /* A decrypted answer, once delivered. */
    usnmp__wipe(m->v3_scratch, m->v3_scratch_dirty);
    m->v3_scratch_dirty = 0;
  }
}

/* The model asked for USNMP__RETRY (SNMPv3: r's target learnt its agent's
 * engine or clock from a Report to r): send r again, with a new id (the
 * old one was answered) and a fresh schedule, and let the requests that
 * waited for the gate go. */
static void resend_new_id(usnmp_request *r) {
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
    complete(r, rc, NULL);
    return;
  }
  r->sent_ns = uv_hrtime();
  r->retries_left = r->retries;
  r->interval = r->resend_ms;
  uv_timer_stop(&r->timer);
  arm_timer(r, now);
  pump(m, t);
}

static void on_timer(uv_timer_t *h) {
  usnmp_request *r = USNMP__CONTAINER(h, usnmp_request, timer);
  usnmp_manager *m = r->m;
  uint64_t now;
  int rc;

  if (r->state == USNMP__RS_DEFERRED) {
    complete(r, r->deferred_status, NULL);
    return;
  }
  if (r->state == USNMP__RS_WAIT_TARGET ||
      r->state == USNMP__RS_WAIT_MANAGER) {
    /* Its deadline came while it waited in a queue: never sent. */
    m->stats.timeouts++;
    complete(r, USNMP_E_TIMEOUT, NULL);
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
    complete(r, rc, NULL);
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

/* ------------------------------------------------------------------------
 * Starting requests
 * ------------------------------------------------------------------------ */

static void target_hold(usnmp_target *t) { t->busy++; }
static void target_start_resolve(usnmp_target *t);

int usnmp__request_start(usnmp_target *t, usnmp_pdu_type type,
                         const usnmp_varbind *vbs, size_t n, int32_t bulk_nr,
                         int32_t bulk_mr, const usnmp_request_opts *opts,
                         usnmp_response_cb cb, void *arg,
                         usnmp_request **out) {
  usnmp_manager *m;
  usnmp_request *r;
  usnmp__pdu tmpl;
  usnmp__msg3_context ctx;
  const char *community;
  uint32_t timeout_ms, resend_ms;
  int32_t retries;
  double backoff;
  int rc;

  if (t == NULL || cb == NULL || vbs == NULL || n == 0 ||
      n > USNMP_MAX_VARBINDS)
    return USNMP_E_INVAL;
  m = t->m;
  if (m->closing)
    return USNMP_E_CLOSED;
  if (t->freeing)
    return USNMP_E_INVAL;
  if (type == USNMP_PDU_GETBULK && t->version == USNMP_VERSION_1)
    return USNMP_E_BAD_VERSION;
  if (type == USNMP_PDU_INFORM && t->version == USNMP_VERSION_1)
    return USNMP_E_BAD_VERSION;
  if (type != USNMP_PDU_GET && type != USNMP_PDU_GETNEXT &&
      type != USNMP_PDU_SET && type != USNMP_PDU_GETBULK &&
      type != USNMP_PDU_INFORM)
    return USNMP_E_INVAL;
  if (opts != NULL && (opts->flags & ~USNMP__OPT_KNOWN))
    return USNMP_E_INVAL;
  if (type == USNMP_PDU_GETBULK &&
      usnmp__bulk_answer_max(n, bulk_nr, bulk_mr) > USNMP_MAX_VARBINDS)
    return USNMP_E_TOO_MANY_VARBINDS; /* the answer could not be decoded */

  timeout_ms = t->timeout_ms;
  resend_ms = t->resend_ms;
  retries = t->retries;
  backoff = t->backoff;
  community = type == USNMP_PDU_SET && t->write_community != NULL
                  ? t->write_community
                  : t->community;
  if (opts != NULL) {
    if (opts->flags & USNMP_REQUEST_TIMEOUT)
      timeout_ms = opts->timeout_ms;
    if (opts->flags & USNMP_REQUEST_RESEND)
      resend_ms = opts->resend_ms;
    if (opts->flags & USNMP_REQUEST_RETRIES)
      retries = opts->retries;
    if (opts->flags & USNMP_REQUEST_BACKOFF)
      backoff = opts->backoff;
    if (opts->flags & USNMP_REQUEST_COMMUNITY)
      community = opts->community;
  }
  if (resend_ms == 0 || !(backoff >= 1.0 && backoff <= 100.0) ||
      community == NULL || strlen(community) > 255 ||
      (retries < 0 && timeout_ms == 0))
    return USNMP_E_INVAL;

  r = usnmp__req_alloc(m);
  if (r == NULL)
    return USNMP_E_NOMEM;
  r->t = t;
  r->cb = cb;
  r->arg = arg;
  r->type = (uint8_t)type;
  r->version = (uint8_t)t->version;
  r->resend_ms = resend_ms;
  r->timeout_ms = timeout_ms;
  r->retries = retries;
  r->backoff = backoff;
  r->interval = resend_ms;
  r->retries_left = retries;
  r->deadline = timeout_ms ? uv_now(m->loop) + timeout_ms : 0;

  memset(&tmpl, 0, sizeof(tmpl));
  tmpl.type = type;
  tmpl.community = (const uint8_t *)community;
  tmpl.community_len = strlen(community);
  if (type == USNMP_PDU_GETBULK) {
    tmpl.error_status = bulk_nr;
    tmpl.error_index = bulk_mr;
  }
  if (opts != NULL && (opts->flags & USNMP_REQUEST_CONTEXT) &&
      m->procs[r->version] != NULL &&
      m->procs[r->version]->request_context != NULL) {
    m->procs[r->version]->request_context(t, opts, &ctx);
    tmpl.context = &ctx;
  }
  /* A GETBULK or an inform is one PDU: never split. */
  rc = usnmp__req_build(r, &tmpl, vbs, n,
                        type == USNMP_PDU_GETBULK || type == USNMP_PDU_INFORM
                            ? n
                            : (size_t)t->max_oids);
  if (rc < 0) {
    usnmp__req_discard(r);
    return rc;
  }
  usnmp__list_push(&t->requests, &r->tlink);
  m->stats.requests++;
  if (t->ordering != USNMP_ORDER_NONE && !usnmp__order_admit(t, r)) {
    /* Held by the ordering; order_release() queues it. */
    if (out != NULL)
      *out = r;
    if (t->resolve_status < 0)
      target_start_resolve(t);
    return 0;
  }
  enqueue_tree(r);
  if (out != NULL)
    *out = r;
  if (t->resolve_status < 0)
    target_start_resolve(t); /* a failed name is tried again */
  pump(m, t);
  if (r->deadline != 0)
    arm_queued(r, uv_now(m->loop));
  return 0;
}

/* Turns the caller's OIDs (and values) into varbinds with BER names in the
 * manager's encode scratch. */
static int prepare_varbinds(usnmp_target *t, const usnmp_oid *oids,
                            const usnmp_value *values, size_t n) {
  usnmp_manager *m;
  size_t off = 0, i;
  if (t == NULL || oids == NULL || n == 0 || n > USNMP_MAX_VARBINDS)
    return USNMP_E_INVAL;
  m = t->m;
  for (i = 0; i < n; i++) {
    int len = usnmp_oid_to_ber(m->tx_oids + off, USNMP_MAX_MSG_SIZE - off,
                               &oids[i]);
    if (len < 0)
      return USNMP_E_INVAL; /* a malformed OID, or names over 64 KiB */
    m->tx_vbs[i].oid = m->tx_oids + off;
    m->tx_vbs[i].oid_len = (size_t)len;
    if (values != NULL)
      m->tx_vbs[i].value = values[i];
    else
      m->tx_vbs[i].value = usnmp_value_null();
    off += (size_t)len;
  }
  return 0;
}

/* usnmp__request_start() for the public calls, with a handle in *out.
 * Inlined: a call with ten arguments costs the hot path of usnmp_get()
 * some thirty instructions (callgrind, bench/poll). */
static inline __attribute__((always_inline)) int start_public(usnmp_target *t, usnmp_pdu_type type, size_t n,
                        int32_t bulk_nr, int32_t bulk_mr,
                        const usnmp_request_opts *opts, usnmp_response_cb cb,
                        void *arg, usnmp_request_ref *out) {
  usnmp_request *r;
  int rc;
  if (out != NULL) {
    memset(out, 0, sizeof(*out));
    rc = usnmp__handle_reserve(t->m);
    if (rc < 0)
      return rc;
  }
  rc = usnmp__request_start(t, type, t->m->tx_vbs, n, bulk_nr, bulk_mr, opts,
                            cb, arg, &r);
  if (rc == 0 && out != NULL)
    usnmp__handle_take(r, out);
  return rc;
}

int usnmp_get(usnmp_target *t, const usnmp_oid *oids, size_t n,
              const usnmp_request_opts *opts, usnmp_response_cb cb, void *arg,
              usnmp_request_ref *out) {
  int rc = prepare_varbinds(t, oids, NULL, n);
  if (rc < 0)
    return rc;
  return start_public(t, USNMP_PDU_GET, n, 0, 0, opts, cb, arg, out);
}

int usnmp_getnext(usnmp_target *t, const usnmp_oid *oids, size_t n,
                  const usnmp_request_opts *opts, usnmp_response_cb cb,
                  void *arg, usnmp_request_ref *out) {
  int rc = prepare_varbinds(t, oids, NULL, n);
  if (rc < 0)
    return rc;
  return start_public(t, USNMP_PDU_GETNEXT, n, 0, 0, opts, cb, arg, out);
}

int usnmp_getbulk(usnmp_target *t, const usnmp_oid *oids, size_t n,
                  uint32_t non_repeaters, uint32_t max_repetitions,
                  const usnmp_request_opts *opts, usnmp_response_cb cb,
                  void *arg, usnmp_request_ref *out) {
  int rc;
  if (non_repeaters > INT32_MAX || max_repetitions > INT32_MAX)
    return USNMP_E_INVAL;
  rc = prepare_varbinds(t, oids, NULL, n);
  if (rc < 0)
    return rc;
  return start_public(t, USNMP_PDU_GETBULK, n, (int32_t)non_repeaters,
                      (int32_t)max_repetitions, opts, cb, arg, out);
}

int usnmp_set(usnmp_target *t, const usnmp_oid *oids,
              const usnmp_value *values, size_t n,
              const usnmp_request_opts *opts, usnmp_response_cb cb, void *arg,
              usnmp_request_ref *out) {
  int rc;
  if (values == NULL)
    return USNMP_E_INVAL;
  rc = prepare_varbinds(t, oids, values, n);
  if (rc < 0)
    return rc;
  return start_public(t, USNMP_PDU_SET, n, 0, 0, opts, cb, arg, out);
}

int usnmp__cancel(usnmp_request *r) {
  if (r == NULL || r->parent != NULL || r->state == USNMP__RS_FREE ||
      r->state == USNMP__RS_DONE)
    return USNMP_E_INVAL;
  complete(r, USNMP_E_CANCELLED, NULL);
  return 0;
}

int usnmp_cancel(const usnmp_request_ref *ref) {
  usnmp_request *r;
  int rc = usnmp__handle_find(ref, &r);
  if (rc < 0)
    return rc;
  return usnmp__cancel(r);
}

/* ------------------------------------------------------------------------
 * Targets
 * ------------------------------------------------------------------------ */

static void target_destroy(usnmp_target *t) {
  usnmp_manager *m = t->m;
  if (t->resolving != NULL) {
    usnmp__resolve_abandon(t->resolving);
    t->resolving = NULL;
  }
  for (size_t v = 0; v < sizeof m->procs / sizeof m->procs[0]; v++)
    if (m->procs[v] != NULL && m->procs[v]->target_free != NULL)
      m->procs[v]->target_free(t);
  usnmp__notify_target_free(t);
  usnmp__list_del(&t->mlink);
  usnmp__free(m, t->agent);
  usnmp__free(m, t->community);
  usnmp__free(m, t->write_community);
  usnmp__free(m, t);
}

static void target_unhold(usnmp_target *t) {
  if (--t->busy == 0 && t->freeing == 2)
    target_destroy(t);
}

/* (Re)starts resolving the target's host name; on failure to even start,
 * the waiting requests end with USNMP_E_RESOLVE from zero timers. */
static void target_start_resolve(usnmp_target *t) {
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
    req_defer(r, USNMP_E_RESOLVE);
  }
}

/* The transport's lookup for t ended: status 0 with its address, or a
 * negative code. */
static void on_resolved(void *owner, void *token, int status,
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
    pump(m, t);
    return;
  }
  target_hold(t);
  /* Stop when a callback started a new lookup (a request made from it
   * retries the name) or closed the manager. */
  while (!usnmp__list_empty(&t->queue) && !m->closing &&
         t->resolve_status < 0) {
    usnmp_request *r = USNMP__CONTAINER(t->queue.next, usnmp_request, qlink);
    while (r->parent != NULL)
      r = r->parent;
    complete(r, status, NULL);
  }
  target_unhold(t);
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
  rc = usnmp__agent_parse_port(agent, default_port, &addr, host,
                               sizeof(host), &name, &family);
  if (rc < 0)
    return rc;
  t = usnmp__malloc(m, sizeof(*t));
  if (t == NULL)
    return USNMP_E_NOMEM;
  memset(t, 0, sizeof(*t));
  t->m = m;
  usnmp__list_init(&t->mlink);
  usnmp__list_init(&t->requests);
  usnmp__list_init(&t->queue);
  usnmp__list_init(&t->order_writes);
  usnmp__list_init(&t->order_held_reads);
  t->agent = usnmp__strdup(&m->alloc, agent);
  t->community = usnmp__strdup(&m->alloc, "public");
  if (t->agent == NULL || t->community == NULL) {
    target_destroy(t);
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
      target_destroy(t);
      return rc;
    }
  } else {
    t->addr = addr;
  }
  usnmp__list_push(&m->targets, &t->mlink);
  *out = t;
  return 0;
}

void usnmp_target_close(usnmp_target *t) {
  usnmp_manager *m;
  if (t == NULL || t->freeing)
    return;
  m = t->m;
  t->freeing = 1;
  target_hold(t);
  while (!usnmp__list_empty(&t->requests)) {
    usnmp_request *r = USNMP__CONTAINER(t->requests.next, usnmp_request, tlink);
    complete(r, m->closing ? USNMP_E_CLOSED : USNMP_E_CANCELLED, NULL);
  }
  t->freeing = 2;
  target_unhold(t);
}

int usnmp_target_set_max_inflight(usnmp_target *t, uint32_t max) {
  if (t == NULL)
    return USNMP_E_INVAL;
  t->max_inflight = max;
  pump(t->m, t);
  return 0;
}


/* ------------------------------------------------------------------------
 * The manager
 * ------------------------------------------------------------------------ */

/* What the transport calls when one of its handles or lookups closed. */
static void on_transport_closed(void *owner) {
  usnmp__manager_handle_closed(owner);
}

/* What the transport calls (usnmp__transport_ops). */
static const usnmp__transport_ops transport_ops = {
    .received = on_datagram,
    .sent = on_sent,
    .resolved = on_resolved,
    .closed = on_transport_closed,
};

int usnmp_manager_init(usnmp_manager **out, uv_loop_t *loop,
                       const usnmp_allocator *alloc) {
  usnmp_manager *m;
  size_t vbs_size = USNMP_MAX_VARBINDS * sizeof(usnmp_varbind);

  if (out == NULL || loop == NULL)
    return USNMP_E_INVAL;
  if (alloc == NULL)
    alloc = &usnmp__default_allocator;
  if (alloc->malloc == NULL || alloc->free == NULL)
    return USNMP_E_INVAL;
  m = alloc->malloc(sizeof(*m), alloc->ctx);
  if (m == NULL)
    return USNMP_E_NOMEM;
  memset(m, 0, sizeof(*m));
  m->loop = loop;
  m->alloc = *alloc;
  /* One block for the scratch: decoded replies, varbinds and names being
   * encoded, and the message being encoded. */
  m->rx_vbs = usnmp__malloc(m, 2 * vbs_size + 2 * USNMP_MAX_MSG_SIZE);
  m->table = usnmp__malloc(m, 64 * sizeof(*m->table));
  if (m->rx_vbs == NULL || m->table == NULL) {
    usnmp__free(m, m->rx_vbs);
    usnmp__free(m, m->table);
    usnmp__free(m, m);
    return USNMP_E_NOMEM;
  }
  m->tx_vbs = m->rx_vbs + USNMP_MAX_VARBINDS;
  m->tx_oids = (uint8_t *)(m->tx_vbs + USNMP_MAX_VARBINDS);
  m->tx_msg = m->tx_oids + USNMP_MAX_MSG_SIZE;
  memset(m->table, 0, 64 * sizeof(*m->table));
  m->table_mask = 63;
  usnmp__list_init(&m->targets);
  usnmp__list_init(&m->queue);
  usnmp__list_init(&m->free_reqs);
  m->procs[USNMP_VERSION_1] = &usnmp__community_proc;
  m->procs[USNMP_VERSION_2C] = &usnmp__community_proc;
  m->max_inflight = 4096;
  usnmp__transport_init(&m->tp, loop, &m->alloc, &transport_ops, m,
                        &m->open_handles);
  m->handles_free = UINT32_MAX;
  uv_timer_init(loop, &m->sentinel);
  m->sentinel.data = m;
  m->open_handles = 1;
  *out = m;
  return 0;
}

static void on_sentinel_closed(uv_handle_t *h) {
  usnmp__manager_handle_closed(h->data);
}

static void on_wake(uv_async_t *h) { (void)h; }

int usnmp__manager_wake_init(usnmp_manager *m) {
  int rc;
  if (m->wake_open)
    return 0;
  if (m->closing)
    return USNMP_E_CLOSED;
  rc = uv_async_init(m->loop, &m->wake, on_wake);
  if (rc < 0)
    return rc;
  m->wake.data = m;
  uv_unref((uv_handle_t *)&m->wake);
  m->wake_open = 1;
  m->open_handles++;
  return 0;
}

void usnmp__manager_wake(usnmp_manager *m) {
  if (m->wake_open)
    uv_async_send(&m->wake);
}

void usnmp_manager_close(usnmp_manager *m, void (*close_cb)(void *arg),
                         void *arg) {
  usnmp__link *l;
  if (m == NULL || m->closing)
    return;
  m->closing = 1;
  m->close_cb = close_cb;
  m->close_arg = arg;
  /* Complete every request; callbacks may free targets, so restart from
   * the head after each. */
  l = m->targets.next;
  while (l != &m->targets) {
    usnmp_target *t = USNMP__CONTAINER(l, usnmp_target, mlink);
    if (!usnmp__list_empty(&t->requests)) {
      usnmp_request *r =
          USNMP__CONTAINER(t->requests.next, usnmp_request, tlink);
      complete(r, USNMP_E_CLOSED, NULL);
      l = m->targets.next;
      continue;
    }
    l = l->next;
  }
  /* Free the targets, except those a usnmp_target_close() up the stack is
   * still draining: it destroys them when it returns. */
  l = m->targets.next;
  while (l != &m->targets) {
    usnmp_target *t = USNMP__CONTAINER(l, usnmp_target, mlink);
    l = l->next;
    if (t->busy != 0) {
      t->freeing = 2;
      continue;
    }
    target_destroy(t);
  }
  usnmp__req_close_free(m);
  usnmp__transport_close(&m->tp);
  if (m->wake_open) {
    m->wake_open = 0;
    uv_close((uv_handle_t *)&m->wake, on_sentinel_closed);
  }
  uv_close((uv_handle_t *)&m->sentinel, on_sentinel_closed);
}

int usnmp_manager_set_max_inflight(usnmp_manager *m, uint32_t max) {
  if (m == NULL)
    return USNMP_E_INVAL;
  m->max_inflight = max;
  pump(m, NULL);
  return 0;
}

int usnmp_manager_set_socket_buffer(usnmp_manager *m, int bytes) {
  if (m == NULL || bytes <= 0)
    return USNMP_E_INVAL;
  m->tp.sockbuf = bytes;
  return 0;
}

int usnmp_manager_set_strict(usnmp_manager *m, int strict) {
  if (m == NULL)
    return USNMP_E_INVAL;
  m->strict = strict != 0;
  return 0;
}

int usnmp_manager_set_socket_buffer_force(usnmp_manager *m, int force) {
  if (m == NULL)
    return USNMP_E_INVAL;
  if (force && !usnmp__transport_can_force())
    return USNMP_E_UNSUPPORTED;
  m->tp.sockbuf_force = force != 0;
  return 0;
}

int usnmp_manager_stats_ex(const usnmp_manager *m, usnmp_stats *stats,
                           size_t size) {
  usnmp_stats now;
  if (m == NULL || stats == NULL)
    return USNMP_E_INVAL;
  now = m->stats;
  now.inflight = m->inflight;
  now.queued = m->queued;
  usnmp__copy_out(stats, size, &now, sizeof now);
  return 0;
}

uv_loop_t *usnmp_manager_loop(const usnmp_manager *m) {
  return m ? m->loop : NULL;
}

void usnmp_manager_set_trace(usnmp_manager *m, usnmp_trace_cb cb,
                             void *arg) {
  m->tp.trace_cb = cb;
  m->tp.trace_arg = arg;
}

int usnmp__request_opts_copy(usnmp_manager *m, usnmp_request_opts *dst,
                             char **community, const usnmp_request_opts *src) {
  memset(dst, 0, sizeof *dst);
  *community = NULL;
  if (src->flags & ~USNMP__OPT_KNOWN)
    return USNMP_E_INVAL;
  dst->flags = src->flags;
  if (src->flags & USNMP_REQUEST_TIMEOUT)
    dst->timeout_ms = src->timeout_ms;
  if (src->flags & USNMP_REQUEST_RESEND)
    dst->resend_ms = src->resend_ms;
  if (src->flags & USNMP_REQUEST_RETRIES)
    dst->retries = src->retries;
  if (src->flags & USNMP_REQUEST_BACKOFF)
    dst->backoff = src->backoff;
  if ((src->flags & USNMP_REQUEST_COMMUNITY) && src->community != NULL) {
    *community = usnmp__strdup(&m->alloc, src->community);
    if (*community == NULL)
      return USNMP_E_NOMEM;
    dst->community = *community;
  }
  if (src->flags & USNMP_REQUEST_CONTEXT) {
    dst->context_engine_id = src->context_engine_id;
    dst->context_engine_id_len = src->context_engine_id_len;
    dst->context_name = src->context_name;
  }
  return 0;
}
