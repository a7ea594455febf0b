/*
 * The manager's life and the receive dispatch: making and closing a
 * manager, its settings and statistics, freeing a target (its requests
 * end first), and each datagram the transport hands up, matched to its
 * request by the message model (usnmp__msgproc) and judged (reply.c)
 * before it completes the request or splits it after tooBig (merge.c).
 * The transport calls up only through the usnmp__transport_ops this file
 * registers.
 *
 * See manager_int.h for the objects, the states of a request and the
 * files of the engine.  The rules every file of the engine keeps:
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
#include "manager_int.h"
#include "pdu.h"
#include "reply.h"
#include "reqid.h"

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
 * Receiving
 * ------------------------------------------------------------------------ */

static void on_answer(usnmp_request *r, const usnmp__inbound *in) {
  usnmp_response resp;
  if (in->msg.error_status == USNMP_ERROR_STATUS_TOOBIG && r->n_vbs > 1 &&
      r->type != USNMP_PDU_GETBULK && r->type != USNMP_PDU_INFORM) {
    usnmp__merge_toobig(r);
    return;
  }
  memset(&resp, 0, sizeof(resp));
  resp.error_status = in->msg.error_status;
  resp.error_index = in->msg.error_index;
  resp.varbinds = in->vbs;
  resp.varbind_count = in->n_vbs;
  resp.rtt_ns = uv_hrtime() - r->sent_ns;
  usnmp__request_complete(r, 0, &resp);
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
    usnmp__request_resend(r);
    return;
  case USNMP__FAIL:
    m->stats.accepted++;
    usnmp__request_complete(r, in.status, NULL);
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

/* ------------------------------------------------------------------------
 * The end of a target and its in-flight cap
 * ------------------------------------------------------------------------ */

void usnmp_target_close(usnmp_target *t) {
  usnmp_manager *m;
  if (t == NULL || t->freeing)
    return;
  m = t->m;
  t->freeing = 1;
  usnmp__target_hold(t);
  while (!usnmp__list_empty(&t->requests)) {
    usnmp_request *r = USNMP__CONTAINER(t->requests.next, usnmp_request, tlink);
    usnmp__request_complete(r, m->closing ? USNMP_E_CLOSED : USNMP_E_CANCELLED,
                            NULL);
  }
  t->freeing = 2;
  usnmp__target_unhold(t);
}

int usnmp_target_set_max_inflight(usnmp_target *t, uint32_t max) {
  if (t == NULL)
    return USNMP_E_INVAL;
  t->max_inflight = max;
  usnmp__pump(t->m, t);
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
    .sent = usnmp__request_sent,
    .resolved = usnmp__target_resolved,
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
  m = alloc->malloc(sizeof *m, alloc->ctx);
  if (m == NULL)
    return USNMP_E_NOMEM;
  memset(m, 0, sizeof *m);
  m->loop = loop;
  m->alloc = *alloc;
  /* One block for the scratch: decoded replies, varbinds and names being
   * encoded, and the message being encoded. */
  m->rx_vbs = usnmp__malloc(m, 2 * vbs_size + 2 * USNMP_MAX_MSG_SIZE);
  m->table = usnmp__malloc(m, 64 * sizeof *m->table);
  if (m->rx_vbs == NULL || m->table == NULL) {
    usnmp__free(m, m->rx_vbs);
    usnmp__free(m, m->table);
    usnmp__free(m, m);
    return USNMP_E_NOMEM;
  }
  m->tx_vbs = m->rx_vbs + USNMP_MAX_VARBINDS;
  m->tx_oids = (uint8_t *)(m->tx_vbs + USNMP_MAX_VARBINDS);
  m->tx_msg = m->tx_oids + USNMP_MAX_MSG_SIZE;
  memset(m->table, 0, 64 * sizeof *m->table);
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
      usnmp__request_complete(r, USNMP_E_CLOSED, NULL);
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
    usnmp__target_destroy(t);
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
  usnmp__pump(m, NULL);
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

void usnmp_manager_set_trace(usnmp_manager *m, usnmp_trace_cb cb, void *arg) {
  m->tp.trace_cb = cb;
  m->tp.trace_arg = arg;
}
