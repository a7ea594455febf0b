/*
 * Building a request's datagrams: encode with a fresh request-id through
 * the version's message model, and split a request with more varbinds
 * than fit (the target's max_oids, a datagram, a tooBig answer) into
 * sub-requests whose answers its parent merges (merge.c).
 */
#include <string.h>

#include "manager_int.h"
#include "reqid.h"

/* Encodes vbs into r's own message with a fresh request-id. */
static int encode_into(usnmp_request *r, const usnmp__pdu *tmpl,
                       const usnmp_varbind *vbs, size_t n) {
  usnmp_manager *m = r->m;
  const usnmp__msgproc *proc = m->procs[r->version];
  usnmp__pdu pdu = *tmpl;
  int32_t id;
  int len, rc;

  if (proc == NULL)
    return USNMP_E_UNSUPPORTED;
  rc = usnmp__reqid_draw(m, &id);
  if (rc < 0)
    return rc;
  pdu.request_id = id;
  pdu.vbs = vbs;
  pdu.n_vbs = n;
  len = proc->encode(r, &pdu, m->tx_msg, USNMP_MAX_MSG_SIZE);
  if (len < 0)
    return len == USNMP_E_NOBUFS ? USNMP_E_MSG_TOO_BIG : len;
  if ((size_t)len > sizeof(r->inline_msg)) {
    r->msg = usnmp__malloc(m, (size_t)len);
    if (r->msg == NULL) {
      r->msg = r->inline_msg;
      return USNMP_E_NOMEM;
    }
  }
  memcpy(r->msg, m->tx_msg, (size_t)len);
  r->msg_len = (uint32_t)len;
  r->id = id;
  rc = usnmp__reqid_insert(m, r);
  if (rc < 0) {
    r->id = 0;
    return rc;
  }
  r->n_vbs = (uint32_t)n;
  return 0;
}

int usnmp__req_split(usnmp_request *p, const usnmp__pdu *tmpl,
                     const usnmp_varbind *vbs, size_t n, size_t chunk) {
  usnmp_manager *m = p->m;
  size_t k = (n + chunk - 1) / chunk;
  size_t i;
  usnmp__merge *mg =
      usnmp__malloc(m, sizeof *mg + k * sizeof(usnmp__merge_slot));
  if (mg == NULL)
    return USNMP_E_NOMEM;
  memset(mg, 0, sizeof *mg + k * sizeof(usnmp__merge_slot));
  mg->n_slots = (uint32_t)k;
  mg->pending = (uint32_t)k;
  p->merge = mg;
  p->n_vbs = (uint32_t)n;
  for (i = 0; i < k; i++) {
    usnmp_request *c = usnmp__req_alloc(m);
    size_t first = i * chunk;
    size_t count = n - first < chunk ? n - first : chunk;
    int rc;
    if (c == NULL)
      return USNMP_E_NOMEM;
    c->t = p->t;
    c->parent = p;
    c->slot = (uint32_t)i;
    c->type = p->type;
    c->version = p->version;
    c->resend_ms = p->resend_ms;
    c->timeout_ms = p->timeout_ms;
    c->retries = p->retries;
    c->backoff = p->backoff;
    c->deadline = p->deadline;
    c->interval = p->resend_ms;
    c->retries_left = p->retries;
    mg->slots[i].offset = (uint32_t)first;
    usnmp__list_push(&p->children, &c->tlink);
    rc = usnmp__req_build(c, tmpl, vbs + first, count, chunk);
    if (rc < 0)
      return rc;
  }
  return 0;
}

int usnmp__req_build(usnmp_request *r, const usnmp__pdu *tmpl,
                     const usnmp_varbind *vbs, size_t n, size_t chunk) {
  if (n <= chunk) {
    int rc = encode_into(r, tmpl, vbs, n);
    if (rc != USNMP_E_MSG_TOO_BIG)
      return rc;
    if (n == 1 || tmpl->type == USNMP_PDU_GETBULK ||
        tmpl->type == USNMP_PDU_INFORM)
      return USNMP_E_TOO_BIG;
    chunk = (n + 1) / 2;
  }
  return usnmp__req_split(r, tmpl, vbs, n, chunk);
}
