/*
 * The iterator core of walks and tables (see iter.h): their options,
 * their request in flight, and their guards.
 */
#include <string.h>

#include "alloc.h"
#include "iter.h"

/* Copies the fields of *src that its flags name into *dst (the others
 * zero), never reading a field src's flags do not name, and a copy of its
 * community into *community (from a; the caller frees it), to
 * which dst->community then points.  Walks and tables keep the
 * options for each of their requests.  Returns 0, USNMP_E_INVAL (a flag
 * outside USNMP__OPT_KNOWN) or USNMP_E_NOMEM. */
static int copy_request_opts(const usnmp_allocator *a, usnmp_request_opts *dst,
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
    *community = usnmp__strdup(a, src->community);
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

void usnmp__iter_init(usnmp__iter *it, usnmp_target *t) {
  it->alloc = t->m->alloc;
  it->t = t;
  it->reps = USNMP_WALK_DEFAULT_REPETITIONS;
  it->bulk = t->version != USNMP_VERSION_1;
}

int usnmp__iter_opts(usnmp__iter *it, const usnmp_walk_opts *opts) {
  if (opts->flags & ~USNMP__WALK_KNOWN)
    return USNMP_E_INVAL;
  it->flags = opts->flags;
  if (opts->max_repetitions != 0)
    it->reps = opts->max_repetitions;
  if (opts->method == USNMP_WALK_GETNEXT) {
    it->bulk = 0;
  } else if (opts->method == USNMP_WALK_GETBULK) {
    if (it->t->version == USNMP_VERSION_1)
      return USNMP_E_BAD_VERSION;
    it->bulk = 1;
  } else if (opts->method != USNMP_WALK_AUTO) {
    return USNMP_E_INVAL;
  }
  it->limit = opts->max_varbinds;
  return 0;
}

int usnmp__iter_opts_end(usnmp__iter *it, const usnmp_walk_opts *opts) {
  int rc;
  if (opts != NULL && opts->request != NULL) {
    rc = copy_request_opts(&it->alloc, &it->ropts, &it->community,
                           opts->request);
    if (rc < 0)
      return rc;
    it->ropts_p = &it->ropts;
  }
  if (it->reps > USNMP_MAX_VARBINDS)
    it->reps = USNMP_MAX_VARBINDS;
  return 0;
}

void usnmp__iter_free(usnmp__iter *it) {
  usnmp__dealloc(&it->alloc, it->community);
  it->community = NULL;
}

int usnmp__iter_send(usnmp__iter *it, usnmp_pdu_type type,
                     const usnmp_varbind *vbs, size_t n, int32_t bulk_mr,
                     usnmp_response_cb cb, void *arg) {
  int rc;
  it->sent_bulk = type == USNMP_PDU_GETBULK;
  /* A callback of this iterator (or of another request) may have freed
   * the target or closed the manager since the last answer, with nothing
   * in flight to tell us: the manager holds the target until that
   * callback returns, so ask it before starting anything on it. */
  rc = usnmp__target_gone(it->t);
  if (rc == 0)
    rc = usnmp__request_start(it->t, type, vbs, n, 0, bulk_mr, it->ropts_p, cb,
                              arg, &it->req);
  if (rc < 0)
    it->req = NULL;
  return rc;
}

void usnmp__iter_abort(usnmp__iter *it) {
  usnmp_request *r = it->req;
  if (r == NULL)
    return;
  it->internal_cancel = 1;
  usnmp__cancel(r);
  it->internal_cancel = 0;
  it->req = NULL;
}
