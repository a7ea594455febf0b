/*
 * Starting requests: checking a request against its target and options,
 * building its datagrams (build.c; a split request's children answer it
 * through merge.c), admitting it to the target's ordering and queueing
 * it (schedule.c); the public GET, GETNEXT, GETBULK and SET calls and
 * cancelling.  Walks, tables and the blocking layer call
 * usnmp__request_start(); this file calls only what lies below it.
 */
#include <string.h>

#include "handle.h"
#include "manager_int.h"
#include "order.h"
#include "pdu.h"
#include "reply.h"

int usnmp__request_start(usnmp_target *t, usnmp_pdu_type type,
                         const usnmp_varbind *vbs, size_t n, int32_t bulk_nr,
                         int32_t bulk_mr, const usnmp_request_opts *opts,
                         usnmp_response_cb cb, void *arg, usnmp_request **out) {
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
  if (r->merge != NULL)
    usnmp__merge_adopt(r);
  usnmp__list_push(&t->requests, &r->tlink);
  m->stats.requests++;
  if (t->ordering != USNMP_ORDER_NONE && !usnmp__order_admit(t, r)) {
    /* Held by the ordering; order_release() queues it. */
    if (out != NULL)
      *out = r;
    if (t->resolve_status < 0)
      usnmp__target_resolve(t);
    return 0;
  }
  usnmp__enqueue_tree(r);
  if (out != NULL)
    *out = r;
  if (t->resolve_status < 0)
    usnmp__target_resolve(t); /* a failed name is tried again */
  usnmp__pump(m, t);
  if (r->deadline != 0)
    usnmp__arm_queued(r, uv_now(m->loop));
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
    int len =
        usnmp_oid_to_ber(m->tx_oids + off, USNMP_MAX_MSG_SIZE - off, &oids[i]);
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
static inline __attribute__((always_inline)) int
start_public(usnmp_target *t, usnmp_pdu_type type, size_t n, int32_t bulk_nr,
             int32_t bulk_mr, const usnmp_request_opts *opts,
             usnmp_response_cb cb, void *arg, usnmp_request_ref *out) {
  usnmp_request *r;
  int rc;
  if (out != NULL) {
    memset(out, 0, sizeof *out);
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

int usnmp_set(usnmp_target *t, const usnmp_oid *oids, const usnmp_value *values,
              size_t n, const usnmp_request_opts *opts, usnmp_response_cb cb,
              void *arg, usnmp_request_ref *out) {
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
  usnmp__request_complete(r, USNMP_E_CANCELLED, NULL);
  return 0;
}

int usnmp_cancel(const usnmp_request_ref *ref) {
  usnmp_request *r;
  int rc = usnmp__handle_find(ref, &r);
  if (rc < 0)
    return rc;
  return usnmp__cancel(r);
}
