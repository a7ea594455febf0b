/*
 * Split requests and their merged answers: a request larger than its
 * target's max_oids, or one answered tooBig, becomes a parent whose
 * children carry the datagrams.  Each child answers its parent through
 * its callback like any other request (usnmp__merge_adopt() installs
 * it); the parent keeps each child's answer in its slot and delivers them
 * in the caller's order once all have come.  Starting requests (start.c)
 * and the receive dispatch (manager.c) call this file; it calls the
 * schedule (schedule.c) and the encoder (build.c).
 */
#include <string.h>

#include "manager_int.h"
#include "pdu.h"
#include "varbinds.h"

static void on_child_answer(const usnmp_response *answer, void *arg);

/* The children of r's tree (all of them, at any depth) answer their
 * parent through on_child_answer(). */
void usnmp__merge_adopt(usnmp_request *r) {
  usnmp__link *l;
  for (l = r->children.next; l != &r->children; l = l->next) {
    usnmp_request *c = USNMP__CONTAINER(l, usnmp_request, tlink);
    c->cb = on_child_answer;
    c->arg = NULL;
    usnmp__merge_adopt(c);
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
    usnmp__request_complete(p, USNMP_E_NOMEM, NULL);
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
  usnmp__request_complete(p, 0, &resp);
}

/* A child's callback: store its answer in its parent's slot, or end the
 * parent at once when it failed.  The child is out of its parent's list
 * already, and is recycled when this returns (usnmp__request_complete). */
static void on_child_answer(const usnmp_response *answer, void *arg) {
  usnmp_request *c = answer->request;
  usnmp_request *p = c->parent;
  usnmp_manager *m = c->m;
  usnmp__merge *mg = p->merge;
  usnmp__merge_slot *slot = &mg->slots[c->slot];
  int status = answer->status;

  (void)arg;
  if (status == 0) {
    /* Each part's answer is one datagram at most, but a hostile agent
     * could fill each of up to USNMP_MAX_VARBINDS parts: the merge holds
     * USNMP__MERGE_MAX bytes at most. */
    size_t size =
        answer->varbind_count * sizeof(usnmp_varbind) +
        usnmp__varbinds_bytes(answer->varbinds, answer->varbind_count);
    if (size > USNMP__MERGE_MAX - mg->bytes)
      status = USNMP_E_TOO_BIG;
    else if ((slot->vbs = usnmp__varbinds_dup(&m->alloc, answer->varbinds,
                                              answer->varbind_count, size)) ==
             NULL)
      status = USNMP_E_NOMEM;
    else {
      slot->block_size = size ? size : 1;
      mg->bytes += size;
    }
  }
  if (status != 0) {
    usnmp__request_complete(p, status, NULL);
    return;
  }
  slot->block = slot->vbs;
  slot->n_vbs = answer->varbind_count;
  /* The first error in the caller's order wins; its index is turned into
   * the caller's numbering. */
  if (answer->error_status != 0 &&
      (mg->error_status == 0 || c->slot < mg->error_slot)) {
    mg->error_status = answer->error_status;
    mg->error_index = answer->error_index > 0
                          ? answer->error_index + (int32_t)slot->offset
                          : 0;
    mg->error_slot = c->slot;
  }
  mg->rtt_ns = answer->rtt_ns;
  if (--mg->pending == 0)
    finish_parent(p);
}

/* r (in flight, several varbinds) was answered tooBig: ask again in two
 * halves, each of which may be halved again.  The varbinds come back out
 * of r's own message, which outlives the split. */
void usnmp__merge_toobig(usnmp_request *r) {
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
  rc = usnmp_msg_decode(&sent, m->tx_vbs, USNMP_MAX_VARBINDS, &n, msg, msg_len);
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
    usnmp__request_complete(r, rc, NULL);
    return;
  }
  usnmp__merge_adopt(r);
  usnmp__enqueue_tree(r);
  usnmp__pump(m, r->t);
  usnmp__arm_queued(r, uv_now(m->loop));
}
