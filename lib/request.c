/*
 * Request structs: taking one from the manager's free list (or
 * allocating it with its timer), unlinking it from every structure of the
 * manager (id table, send batch, queues, slots), recycling it; and the end
 * of the manager's memory, once the last of its handles (request timers
 * among them) has closed.  The request engine (schedule.c and the files
 * above it) calls these;
 * they call nothing above them.
 */
#include <stddef.h>
#include <string.h>

#include "alloc.h"
#include "handle.h"
#include "manager_int.h"
#include "reqid.h"

static void finalize(usnmp_manager *m) {
  void (*cb)(void *) = m->close_cb;
  void *arg = m->close_arg;
  if (m->ext_manager_free != NULL)
    m->ext_manager_free(m);
  for (size_t v = 0; v < sizeof m->procs / sizeof m->procs[0]; v++)
    if (m->procs[v] != NULL && m->procs[v]->manager_free != NULL)
      m->procs[v]->manager_free(m);
  usnmp__transport_free(&m->tp);
  usnmp__free(m, m->rx_vbs);
  usnmp__free(m, m->table);
  usnmp__free(m, m->handles);
  usnmp__free(m, m);
  if (cb != NULL)
    cb(arg);
}

void usnmp__manager_handle_closed(usnmp_manager *m) {
  if (--m->open_handles == 0 && m->closing)
    finalize(m);
}

static void on_request_closed(uv_handle_t *h) {
  usnmp_request *r = USNMP__CONTAINER(h, usnmp_request, timer);
  usnmp_manager *m = r->m;
  usnmp__free(m, r);
  usnmp__manager_handle_closed(m);
}

usnmp_request *usnmp__req_alloc(usnmp_manager *m) {
  usnmp_request *r;
  if (!usnmp__list_empty(&m->free_reqs)) {
    usnmp__link *l = m->free_reqs.next;
    usnmp__list_del(l);
    m->free_count--;
    r = USNMP__CONTAINER(l, usnmp_request, qlink);
  } else {
    r = usnmp__malloc(m, sizeof *r);
    if (r == NULL)
      return NULL;
    /* A timer's init cannot fail on a live loop; it is initialised once
     * and reused for as long as the struct lives. */
    uv_timer_init(m->loop, &r->timer);
    m->open_handles++;
  }
  memset((char *)r + offsetof(usnmp_request, m), 0,
         sizeof *r - offsetof(usnmp_request, m));
  r->m = m;
  usnmp__list_init(&r->tlink);
  usnmp__list_init(&r->qlink);
  usnmp__list_init(&r->children);
  r->msg = r->inline_msg;
  return r;
}

/* wipe: the answers were decrypted by the request's security model
 * (SNMPv3 privacy), as secret as the request in clear. */
static void merge_free(usnmp_manager *m, usnmp__merge *mg, int wipe) {
  uint32_t i;
  if (mg == NULL)
    return;
  for (i = 0; i < mg->n_slots; i++) {
    if (wipe && mg->slots[i].block != NULL)
      usnmp__wipe(mg->slots[i].block, mg->slots[i].block_size);
    usnmp__free(m, mg->slots[i].block);
  }
  usnmp__free(m, mg->out);
  usnmp__free(m, mg);
}

/* Returns r's memory to the free list (or closes its timer when the
 * manager is closing or the list is long enough). */
void usnmp__req_release(usnmp_request *r) {
  usnmp_manager *m = r->m;
  uint32_t cap = m->max_inflight > 1024 ? m->max_inflight : 1024;
  if (r->merge != NULL) {
    merge_free(m, r->merge, m->procs[r->version]->plain_free != NULL);
    r->merge = NULL;
  }
  if (r->plain != NULL)
    m->procs[r->version]->plain_free(r);
  if (r->msg != r->inline_msg)
    usnmp__free(m, r->msg);
  r->msg = r->inline_msg;
  r->state = USNMP__RS_FREE;
  if (m->closing || m->free_count >= cap) {
    uv_close((uv_handle_t *)&r->timer, on_request_closed);
    return;
  }
  usnmp__list_push(&m->free_reqs, &r->qlink);
  m->free_count++;
}

/* Takes r out of the table, its queue and its timer, and gives back its
 * slots.  A parent's children go too, silently.  Leaves r->tlink alone. */
void usnmp__req_unlink(usnmp_request *r) {
  usnmp_manager *m = r->m;
  if (r->id != 0)
    usnmp__reqid_remove(m, r);
  if (r->t->probe == r)
    r->t->probe = NULL; /* the target's next request is the gate */
  if (r->txq_slot != 0) {
    usnmp__transport_unqueue(&m->tp, r->txq_slot);
    r->txq_slot = 0;
  }
  switch (r->state) {
  case USNMP__RS_WAIT_TARGET:
  case USNMP__RS_WAIT_MANAGER:
    usnmp__list_del(&r->qlink);
    m->queued--;
    uv_timer_stop(&r->timer); /* its deadline, if it has one */
    break;
  case USNMP__RS_INFLIGHT:
  case USNMP__RS_DEFERRED:
    uv_timer_stop(&r->timer);
    break;
  case USNMP__RS_WAIT_ORDER:
    usnmp__list_del(&r->qlink); /* held: no timer, no slot */
    break;
  case USNMP__RS_PARENT:
    while (!usnmp__list_empty(&r->children)) {
      usnmp_request *c =
          USNMP__CONTAINER(r->children.next, usnmp_request, tlink);
      usnmp__list_del(&c->tlink);
      usnmp__req_unlink(c);
      usnmp__req_release(c);
    }
    break;
  default:
    break;
  }
  if (r->holds_manager_slot) {
    r->holds_manager_slot = 0;
    m->inflight--;
  }
  if (r->holds_target_slot) {
    r->holds_target_slot = 0;
    r->t->inflight--;
  }
  r->state = USNMP__RS_DONE;
}

/* Frees a request tree that never started (a failed build): no callback. */
void usnmp__req_discard(usnmp_request *r) {
  while (!usnmp__list_empty(&r->children)) {
    usnmp_request *c = USNMP__CONTAINER(r->children.next, usnmp_request, tlink);
    usnmp__list_del(&c->tlink);
    usnmp__req_discard(c);
  }
  if (r->id != 0)
    usnmp__reqid_remove(r->m, r);
  usnmp__list_del(&r->tlink);
  usnmp__req_release(r);
}

void usnmp__req_close_free(usnmp_manager *m) {
  while (!usnmp__list_empty(&m->free_reqs)) {
    usnmp_request *r =
        USNMP__CONTAINER(m->free_reqs.next, usnmp_request, qlink);
    usnmp__list_del(&r->qlink);
    m->free_count--;
    uv_close((uv_handle_t *)&r->timer, on_request_closed);
  }
}
