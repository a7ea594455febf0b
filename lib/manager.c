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
 *     so does every request's callback, so usnmp_target_free() from a
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
#include "notify_int.h"
#include "order.h"
#include "pdu.h"

/* The budget of the design: well under 1 KiB per request in flight for a
 * small GET (struct, timer and message together). */
_Static_assert(sizeof(usnmp_request) <= 640, "usnmp_request grew");

/* ------------------------------------------------------------------------
 * Allocation
 * ------------------------------------------------------------------------ */

void *usnmp__malloc(usnmp_manager *m, size_t size) {
  return m->alloc.malloc(size, m->alloc.ctx);
}

void usnmp__free(usnmp_manager *m, void *ptr) {
  if (ptr != NULL)
    m->alloc.free(ptr, m->alloc.ctx);
}

static char *dup_string(usnmp_manager *m, const char *s) {
  size_t n = strlen(s) + 1;
  char *d = usnmp__malloc(m, n);
  if (d != NULL)
    memcpy(d, s, n);
  return d;
}

/* ------------------------------------------------------------------------
 * Request-ids and the id table
 * ------------------------------------------------------------------------ */

static usnmp_request *table_find(const usnmp_manager *m, int32_t id) {
  uint32_t i = (uint32_t)id & m->table_mask;
  usnmp_request *r;
  while ((r = m->table[i]) != NULL) {
    if (r->id == id)
      return r;
    i = (i + 1) & m->table_mask;
  }
  return NULL;
}

static void table_put(usnmp_request **table, uint32_t mask,
                      usnmp_request *r) {
  uint32_t i = (uint32_t)r->id & mask;
  while (table[i] != NULL)
    i = (i + 1) & mask;
  table[i] = r;
}

/* Keeps the table at most half full; the ids are uniform random bits, so
 * their low bits index it directly. */
static int table_insert(usnmp_manager *m, usnmp_request *r) {
  if ((m->table_count + 1) * 2 > m->table_mask + 1) {
    uint32_t size = (m->table_mask + 1) * 2;
    usnmp_request **t = usnmp__malloc(m, size * sizeof(*t));
    uint32_t i;
    if (t == NULL)
      return USNMP_E_NOMEM;
    memset(t, 0, size * sizeof(*t));
    for (i = 0; i <= m->table_mask; i++)
      if (m->table[i] != NULL)
        table_put(t, size - 1, m->table[i]);
    usnmp__free(m, m->table);
    m->table = t;
    m->table_mask = size - 1;
  }
  table_put(m->table, m->table_mask, r);
  m->table_count++;
  return 0;
}

/* Removes r with backward-shift deletion, so no tombstones accumulate. */
static void table_remove(usnmp_manager *m, usnmp_request *r) {
  uint32_t mask = m->table_mask;
  uint32_t i = (uint32_t)r->id & mask;
  uint32_t j, k;
  while (m->table[i] != r) {
    if (m->table[i] == NULL)
      return;
    i = (i + 1) & mask;
  }
  m->table_count--;
  r->id = 0;
  for (;;) {
    m->table[i] = NULL;
    j = i;
    for (;;) {
      j = (j + 1) & mask;
      if (m->table[j] == NULL)
        return;
      k = (uint32_t)m->table[j]->id & mask;
      /* Move the entry at j back to i unless its home k lies cyclically
       * in (i, j]. */
      if (i <= j ? (k <= i || k > j) : (k <= i && k > j))
        break;
    }
    m->table[i] = m->table[j];
    i = j;
  }
}

/* Draws a fresh request-id: 31 random bits from the manager's pool of
 * CSPRNG output (refilled in batches), never 0, never one in use. */
static int id_draw(usnmp_manager *m, int32_t *out) {
  int tries;
  for (tries = 0; tries < 64; tries++) {
    int32_t id;
    if (m->id_pool_left == 0) {
      int rc = uv_random(NULL, NULL, m->id_pool, sizeof(m->id_pool), 0, NULL);
      if (rc < 0)
        return rc;
      m->id_pool_left = USNMP__ID_POOL;
    }
    id = (int32_t)(m->id_pool[--m->id_pool_left] & 0x7fffffffu);
    if (id != 0 && table_find(m, id) == NULL) {
      *out = id;
      return 0;
    }
  }
  return USNMP_E_BUSY;
}

uint32_t usnmp__manager_pending(const usnmp_manager *m) {
  return m->table_count;
}

/* ------------------------------------------------------------------------
 * The community model (v1, v2c)
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

static int community_encode(usnmp_request *r, const usnmp__pdu *pdu,
                            uint8_t *buf, size_t size) {
  usnmp_msg msg;
  usnmp__slice in, body;
  int32_t version;
  const uint8_t *comm;
  size_t comm_len;
  int len, rc;

  usnmp__pdu_to_msg(&msg, pdu, (usnmp_version)r->version);
  len = usnmp_msg_encode(buf, size, &msg, pdu->vbs, pdu->n_vbs);
  if (len < 0)
    return len;
  /* Remember where the community sits, to compare replies with it. */
  usnmp__slice_init(&in, buf, (size_t)len);
  rc = usnmp__ber_get_asn1(&in, &body, USNMP__TAG_SEQUENCE);
  if (rc >= 0)
    rc = usnmp__ber_get_int32(&body, USNMP_TYPE_INTEGER, &version);
  if (rc >= 0)
    rc = usnmp__ber_get_octets(&body, USNMP_TYPE_OCTET_STRING, &comm,
                               &comm_len);
  if (rc < 0)
    return rc;
  r->comm_off = (uint16_t)(comm - buf);
  r->comm_len = (uint16_t)comm_len;
  return len;
}

static int community_decode(usnmp_manager *m, usnmp__inbound *in) {
  uint32_t tolerated;
  int rc = usnmp_msg_decode_ex(&in->msg, in->vbs, USNMP_MAX_VARBINDS,
                               &in->n_vbs, in->data, in->len, 0, &tolerated);
  (void)m;
  if (rc < 0)
    return rc;
  in->tolerated = tolerated;
  in->key = in->msg.request_id;
  return 0;
}

static int community_accept(usnmp_request *r, usnmp__inbound *in) {
  if ((int)in->msg.version != (int)r->version)
    return USNMP__DROP_VERSION;
  if (in->msg.community_len != r->comm_len ||
      memcmp(in->msg.community, r->msg + r->comm_off, r->comm_len) != 0)
    return USNMP__DROP_COMMUNITY;
  if (in->msg.type != USNMP_PDU_RESPONSE)
    return USNMP__DROP_PDU;
  return USNMP__ACCEPT;
}

static const usnmp__msgproc community_proc = {
    community_encode, community_decode, community_accept};

int usnmp__manager_set_msgproc(usnmp_manager *m, usnmp_version v,
                               const usnmp__msgproc *proc) {
  if (m == NULL || (v != USNMP_VERSION_1 && v != USNMP_VERSION_2C &&
                    v != USNMP_VERSION_3))
    return USNMP_E_INVAL;
  m->procs[v] = proc;
  return 0;
}

/* ------------------------------------------------------------------------
 * Request structs: allocation and recycling
 * ------------------------------------------------------------------------ */

static void on_request_closed(uv_handle_t *h) {
  usnmp_request *r = USNMP__CONTAINER(h, usnmp_request, timer);
  usnmp_manager *m = r->m;
  usnmp__free(m, r);
  usnmp__manager_handle_closed(m);
}

static usnmp_request *req_alloc(usnmp_manager *m) {
  usnmp_request *r;
  if (!usnmp__list_empty(&m->free_reqs)) {
    usnmp__link *l = m->free_reqs.next;
    usnmp__list_del(l);
    m->free_count--;
    r = USNMP__CONTAINER(l, usnmp_request, qlink);
  } else {
    r = usnmp__malloc(m, sizeof(*r));
    if (r == NULL)
      return NULL;
    /* A timer's init cannot fail on a live loop; it is initialised once
     * and reused for as long as the struct lives. */
    uv_timer_init(m->loop, &r->timer);
    m->open_handles++;
  }
  memset((char *)r + offsetof(usnmp_request, m), 0,
         sizeof(*r) - offsetof(usnmp_request, m));
  r->m = m;
  usnmp__list_init(&r->tlink);
  usnmp__list_init(&r->qlink);
  usnmp__list_init(&r->children);
  r->msg = r->inline_msg;
  return r;
}

/* wipe: the answers were decrypted SNMPv3 data, as secret as the request
 * in clear. */
static void merge_free(usnmp_manager *m, usnmp__merge *mg, int wipe) {
  uint32_t i;
  if (mg == NULL)
    return;
  for (i = 0; i < mg->n_slots; i++) {
    if (wipe && mg->slots[i].block != NULL)
      usnmp__v3_wipe(mg->slots[i].block, mg->slots[i].block_size);
    usnmp__free(m, mg->slots[i].block);
  }
  usnmp__free(m, mg->out);
  usnmp__free(m, mg);
}

/* Returns r's memory to the free list (or closes its timer when the
 * manager is closing or the list is long enough). */
static void req_release(usnmp_request *r) {
  usnmp_manager *m = r->m;
  uint32_t cap = m->max_inflight > 1024 ? m->max_inflight : 1024;
  if (r->merge != NULL) {
    merge_free(m, r->merge, r->version == USNMP_VERSION_3);
    r->merge = NULL;
  }
  if (r->plain != NULL)
    usnmp__v3_plain_free(r);
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
static void req_unlink(usnmp_request *r) {
  usnmp_manager *m = r->m;
  if (r->id != 0)
    table_remove(m, r);
  if (r->version == USNMP_VERSION_3 && r->t->probe == r)
    r->t->probe = NULL; /* the target's next request probes */
  if (r->txq_slot != 0)
    usnmp__transport_unqueue(m, r);
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
      req_unlink(c);
      req_release(c);
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
static void req_discard(usnmp_request *r) {
  while (!usnmp__list_empty(&r->children)) {
    usnmp_request *c = USNMP__CONTAINER(r->children.next, usnmp_request,
                                        tlink);
    usnmp__list_del(&c->tlink);
    req_discard(c);
  }
  if (r->id != 0)
    table_remove(r->m, r);
  usnmp__list_del(&r->tlink);
  req_release(r);
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

static void launch(usnmp_request *r) {
  usnmp_manager *m = r->m;
  uint64_t now;
  int rc;
  r->state = USNMP__RS_INFLIGHT;
  r->holds_manager_slot = 1;
  m->inflight++;
  if (r->plain != NULL) {
    /* The v3 datagram is made now, so its engine time is fresh. */
    rc = usnmp__v3_launch(r);
    if (rc < 0) {
      req_defer(r, rc);
      return;
    }
  }
  rc = usnmp__transport_queue(m, r);
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

void usnmp__request_flushed(usnmp_request *r, int status) {
  usnmp_manager *m = r->m;
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
    /* SNMPv3: while the agent's engine is unknown, one request probes
     * and the others wait behind it. */
    if (r->version == USNMP_VERSION_3 && !usnmp__v3_may_send(r))
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

/* SNMPv3: the target's discovery probe failed.  Every v3 request queued
 * on the target waits for discovery, so each fails with the probe's
 * status, from a zero timer (no callback runs here), except those of the
 * probe's own tree, which fail with it. */
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
    if (root == own || q->version != USNMP_VERSION_3) {
      pos = pos->next;
      continue;
    }
    /* Takes every queued leaf of root off the queue, never pos. */
    req_unlink(root);
    if (status == USNMP_E_TIMEOUT)
      t->m->stats.timeouts++;
    req_defer(root, status);
  }
}

/* Returns the size of the block copy_varbinds() makes of vbs. */
static size_t varbinds_size(const usnmp_varbind *vbs, size_t n) {
  size_t size = n * sizeof(usnmp_varbind);
  for (size_t i = 0; i < n; i++) {
    size += vbs[i].oid_len;
    if (usnmp__value_has_bytes(vbs[i].value.type))
      size += vbs[i].value.v.bytes.len;
  }
  return size;
}

/* Copies varbinds and what they point to into one block of size bytes
 * (varbinds_size()). */
static void *copy_varbinds(usnmp_manager *m, const usnmp_varbind *vbs,
                           size_t n, size_t size, usnmp_varbind **out) {
  size_t i;
  usnmp_varbind *arr;
  uint8_t *p;
  arr = usnmp__malloc(m, size ? size : 1);
  if (arr == NULL)
    return NULL;
  p = (uint8_t *)(arr + n);
  for (i = 0; i < n; i++) {
    arr[i] = vbs[i];
    if (vbs[i].oid_len)
      memcpy(p, vbs[i].oid, vbs[i].oid_len);
    arr[i].oid = p;
    p += vbs[i].oid_len;
    if (usnmp__value_has_bytes(vbs[i].value.type)) {
      size_t len = vbs[i].value.v.bytes.len;
      if (len)
        memcpy(p, vbs[i].value.v.bytes.data, len);
      arr[i].value.v.bytes.data = p;
      p += len;
    }
  }
  *out = arr;
  return arr;
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
    size_t size = varbinds_size(answer->varbinds, answer->varbind_count);
    if (size > USNMP__MERGE_MAX - mg->bytes)
      status = USNMP_E_TOOBIG;
    else if (copy_varbinds(m, answer->varbinds, answer->varbind_count, size,
                           &slot->vbs) == NULL)
      status = USNMP_E_NOMEM;
    else {
      slot->block_size = size ? size : 1;
      mg->bytes += size;
    }
  }
  req_release(c);
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
static void handle_release(usnmp_request *r);

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
  /* SNMPv3: discovery failed (not merely cancelled) when its probe ends
   * with an error while the engine is still unknown. */
  int discovery_failed = r->version == USNMP_VERSION_3 && t->probe == r &&
                         status < 0 && status != USNMP_E_CANCELLED &&
                         status != USNMP_E_CLOSED &&
                         !usnmp__usm_target_ready(t->usm);

  req_unlink(r);
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
  handle_release(r); /* a handle of r is stale from its callback on */
  if (answer != NULL)
    resp = *answer;
  else
    memset(&resp, 0, sizeof(resp));
  resp.status = status;
  resp.target = t;
  resp.request = r;
  target_hold(t);
  r->cb(&resp, r->arg);
  req_release(r);
  if (reorder)
    order_release(t);
  target_unhold(t);
}

/* ------------------------------------------------------------------------
 * Building requests: encode, split, tooBig
 * ------------------------------------------------------------------------ */

static int build(usnmp_request *r, const usnmp__pdu *tmpl,
                 const usnmp_varbind *vbs, size_t n, size_t chunk);

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
  rc = id_draw(m, &id);
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
  rc = table_insert(m, r);
  if (rc < 0) {
    r->id = 0;
    return rc;
  }
  r->n_vbs = (uint32_t)n;
  return 0;
}

/* Makes p the parent of sub-requests of at most chunk varbinds each. */
static int make_parent(usnmp_request *p, const usnmp__pdu *tmpl,
                       const usnmp_varbind *vbs, size_t n, size_t chunk) {
  usnmp_manager *m = p->m;
  size_t k = (n + chunk - 1) / chunk;
  size_t i;
  usnmp__merge *mg =
      usnmp__malloc(m, sizeof(*mg) + k * sizeof(usnmp__merge_slot));
  if (mg == NULL)
    return USNMP_E_NOMEM;
  memset(mg, 0, sizeof(*mg) + k * sizeof(usnmp__merge_slot));
  mg->n_slots = (uint32_t)k;
  mg->pending = (uint32_t)k;
  p->merge = mg;
  p->n_vbs = (uint32_t)n;
  for (i = 0; i < k; i++) {
    usnmp_request *c = req_alloc(m);
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
    rc = build(c, tmpl, vbs + first, count, chunk);
    if (rc < 0)
      return rc;
  }
  return 0;
}

/* Encodes r with n varbinds, splitting it into sub-requests of at most
 * chunk varbinds, and halving any part that cannot fit in a datagram. */
static int build(usnmp_request *r, const usnmp__pdu *tmpl,
                 const usnmp_varbind *vbs, size_t n, size_t chunk) {
  if (n <= chunk) {
    int rc = encode_into(r, tmpl, vbs, n);
    if (rc != USNMP_E_MSG_TOO_BIG)
      return rc;
    if (n == 1 || tmpl->type == USNMP_PDU_GETBULK ||
        tmpl->type == USNMP_PDU_INFORM)
      return USNMP_E_TOOBIG;
    chunk = (n + 1) / 2;
  }
  return make_parent(r, tmpl, vbs, n, chunk);
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

  /* A v3 request is encrypted on the wire: split what it keeps in clear. */
  if (r->plain != NULL)
    usnmp__v3_plain(r, &msg, &msg_len, &ctx, &has_ctx);
  rc = usnmp_msg_decode(&sent, m->tx_vbs, USNMP_MAX_VARBINDS, &n, msg,
                        msg_len);
  req_unlink(r);
  if (rc == 0) {
    memset(&tmpl, 0, sizeof(tmpl));
    tmpl.type = (usnmp_pdu_type)r->type;
    tmpl.community = r->msg + r->comm_off;
    tmpl.community_len = r->comm_len;
    tmpl.context = has_ctx ? &ctx : NULL;
    rc = n > 1 ? make_parent(r, &tmpl, m->tx_vbs, n, (n + 1) / 2)
               : USNMP_E_TOOBIG;
  }
  if (rc < 0) {
    while (!usnmp__list_empty(&r->children)) {
      usnmp_request *c =
          USNMP__CONTAINER(r->children.next, usnmp_request, tlink);
      req_discard(c);
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

static void v3_resend(usnmp_request *r);

/* The most varbinds an answer to a GETBULK of n names may hold (RFC 3416
 * section 4.2.3): the non-repeaters, then max-repetitions of each other
 * name (negative values count as 0). */
static uint64_t bulk_answer_max(size_t n, int32_t non_repeaters,
                                int32_t max_repetitions) {
  uint64_t nr = non_repeaters > 0 ? (uint64_t)non_repeaters : 0;
  uint64_t mr = max_repetitions > 0 ? (uint64_t)max_repetitions : 0;
  if (nr > n)
    nr = n;
  return nr + (n - nr) * mr;
}

/* Steps into the element at p of a message we encoded ourselves (one-byte
 * tags, minimal definite lengths): returns where its content starts and
 * stores its length in *len, or NULL when it does not fit before end. */
static inline const uint8_t *own_element(const uint8_t *p,
                                         const uint8_t *end, size_t *len) {
  size_t n, k;
  if (end - p < 2)
    return NULL;
  n = p[1];
  p += 2;
  if (n & 0x80) {
    k = n & 0x7f;
    if (k > 4 || (size_t)(end - p) < k)
      return NULL;
    for (n = 0; k > 0; k--)
      n = (n << 8) | *p++;
  }
  if (n > (size_t)(end - p))
    return NULL;
  *len = n;
  return p;
}

/* Returns 1 when the answer in `in` answers r's question (RFC 3416 section
 * 4.2): GET and SET get the same names in order, GETNEXT as many
 * varbinds; an error-status may come without varbinds (tooBig must) and
 * its error-index names one of r's varbinds or none.  Anything else would
 * put values under the wrong names or an error on the wrong varbind of a
 * split request.  A GETBULK answer is taken as it comes: the walks ignore
 * what goes beyond the repetitions asked. */
static int answers_question(usnmp_request *r, const usnmp__inbound *in) {
  usnmp__msg3_context ctx;
  const uint8_t *data = r->msg, *end, *p;
  size_t len = r->msg_len, n, i;
  int has_ctx = 0;

  if (in->msg.error_status != 0) {
    if (in->msg.error_index < 0 || (uint32_t)in->msg.error_index > r->n_vbs)
      return 0;
    if (in->n_vbs == 0)
      return 1;
  }
  if (r->type == USNMP_PDU_GETBULK)
    return 1;
  if (in->n_vbs != r->n_vbs)
    return 0;
  if (r->type == USNMP_PDU_GETNEXT)
    return 1;
  /* The names asked are in the request's own message (in clear for v3),
   * which we encoded: step to its varbind list and compare each name. */
  if (r->plain != NULL) {
    usnmp__v3_plain(r, &data, &len, &ctx, &has_ctx);
    end = data + len;
    p = own_element(data, end, &n);      /* Message SEQUENCE: into it */
    for (i = 0; p != NULL && i < 2; i++) /* version, community: over */
      if ((p = own_element(p, end, &n)) != NULL)
        p += n;
  } else {
    /* v1/v2c: the PDU follows the community, whose place we know. */
    end = data + len;
    p = data + r->comm_off + r->comm_len;
  }
  p = p ? own_element(p, end, &n) : NULL; /* the PDU: into it */
  for (i = 0; p != NULL && i < 3; i++)    /* request-id, error fields */
    if ((p = own_element(p, end, &n)) != NULL)
      p += n;
  p = p ? own_element(p, end, &n) : NULL; /* the varbind list: into it */
  for (i = 0; p != NULL && i < in->n_vbs; i++) {
    const uint8_t *vb = own_element(p, end, &n), *name;
    name = vb ? own_element(vb, end, &len) : NULL;
    if (name == NULL || len != in->vbs[i].oid_len ||
        memcmp(name, in->vbs[i].oid, len) != 0)
      return 0;
    p = vb + n;
  }
  return p != NULL;
}

static void on_answer(usnmp_request *r, const usnmp__inbound *in) {
  usnmp_response resp;
  if (in->msg.error_status == USNMP_ERR_TOOBIG && r->n_vbs > 1 &&
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

/* A datagram from `from` could not be read (rc says why): count it and
 * remember its source for requests that time out. */
static void unreadable(usnmp_manager *m, const struct sockaddr *from, int rc) {
  uint32_t seq = ++m->unreadable_seq;
  size_t size = from->sa_family == AF_INET6 ? sizeof(struct sockaddr_in6)
                                            : sizeof(struct sockaddr_in);
  m->stats.dropped_malformed++;
  m->stats.last_malformed_error = rc;
  memcpy(&m->unreadable[seq % USNMP__UNREADABLE_RING].from, from, size);
  m->unreadable[seq % USNMP__UNREADABLE_RING].seq = seq;
}

/* Returns 1 when a datagram from r's target could not be read since r was
 * sent first. */
static int unreadable_since(const usnmp_request *r) {
  const usnmp_manager *m = r->m;
  uint32_t since = m->unreadable_seq - r->unreadable_mark;
  size_t i;
  if (since == 0)
    return 0;
  for (i = 0; i < USNMP__UNREADABLE_RING; i++) {
    /* Sequence numbers wrap: compare by distance from the newest. */
    if (m->unreadable_seq - m->unreadable[i].seq < since &&
        usnmp__sockaddr_equal((const struct sockaddr *)&m->unreadable[i].from,
                              (const struct sockaddr *)&r->t->addr))
      return 1;
  }
  return 0;
}

/* Puts the names and OID values of a reply whose OIDs came padded in
 * their minimal form: they lie in the manager's own buffers (the receive
 * buffer, or the v3 plaintext), so the answer check and every layer above
 * compare and re-send canonical bytes. */
static void canon_oids(usnmp__inbound *in) {
  size_t i;
  for (i = 0; i < in->n_vbs; i++) {
    usnmp_varbind *vb = &in->vbs[i];
    vb->oid_len = usnmp__ber_oid_canon((uint8_t *)(uintptr_t)vb->oid, vb->oid,
                                       vb->oid_len);
    if (vb->value.type == USNMP_TYPE_OID)
      vb->value.v.bytes.len =
          usnmp__ber_oid_canon((uint8_t *)(uintptr_t)vb->value.v.bytes.data,
                               vb->value.v.bytes.data, vb->value.v.bytes.len);
  }
}

/* Counts what an accepted reply needed, by kind. */
static void note_tolerated(usnmp_manager *m, const usnmp__inbound *in) {
  unsigned q = in->tolerated;
  size_t i;
  m->stats.tolerated_length += (q & USNMP__Q_LENGTH) != 0;
  m->stats.tolerated_int_padding += (q & USNMP__Q_INT_PAD) != 0;
  m->stats.tolerated_unsigned_sign += (q & USNMP__Q_UINT_SIGN) != 0;
  m->stats.tolerated_oid_padding += (q & USNMP__Q_OID_PAD) != 0;
  m->stats.tolerated_null_content += (q & USNMP__Q_NULL_CONTENT) != 0;
  m->stats.tolerated_trailing += (q & USNMP__Q_TRAILING) != 0;
  m->stats.tolerated_priv_padding += (q & USNMP__Q_PRIV_PAD) != 0;
  for (i = 0; i < in->n_vbs; i++)
    if (in->vbs[i].value.type == USNMP_TYPE_UNDECODABLE)
      m->stats.undecodable_values++;
}

void usnmp__manager_on_datagram(usnmp_manager *m, const uint8_t *data,
                                size_t len, const struct sockaddr *from,
                                int partial) {
  usnmp__inbound in;
  const usnmp__msgproc *proc;
  usnmp_request *r;
  int32_t version;
  int rc;

  m->stats.received++;
  if (partial) {
    unreadable(m, from, USNMP_E_MSG_TOO_BIG);
    return;
  }
  rc = peek_version(data, len, &version);
  if (rc < 0) {
    unreadable(m, from, rc);
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
    unreadable(m, from, rc);
    return;
  }
  r = table_find(m, in.key);
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
    unreadable(m, from, usnmp__strict_error(in.tolerated));
    return;
  case USNMP__RETRY:
    m->stats.accepted++;
    v3_resend(r);
    return;
  case USNMP__FAIL:
    m->stats.accepted++;
    complete(r, in.status, NULL);
    return;
  default:
    unreadable(m, from, in.status < 0 ? in.status : USNMP_E_BAD_VALUE);
    return;
  }
  if (in.tolerated & USNMP__Q_OID_PAD)
    canon_oids(&in);
  if (!answers_question(r, &in)) {
    m->stats.dropped_mismatch++;
    return;
  }
  m->stats.accepted++;
  if (in.tolerated)
    note_tolerated(m, &in);
  on_answer(r, &in);
  if (m->v3_scratch_dirty != 0)
    usnmp__v3_scratch_wipe(m); /* a decrypted answer, once delivered */
}

/* SNMPv3: r's target learnt its agent's engine or clock from a Report to
 * r: send r again, with a new id (the old one was answered) and a fresh
 * schedule, and let the requests that waited for discovery go. */
static void v3_resend(usnmp_request *r) {
  usnmp_manager *m = r->m;
  usnmp_target *t = r->t;
  uint64_t now = uv_now(m->loop);
  int32_t id;
  int rc;

  if (t->probe == r)
    t->probe = NULL;
  table_remove(m, r);
  rc = id_draw(m, &id);
  if (rc == 0) {
    r->id = id;
    rc = table_insert(m, r);
    if (rc < 0)
      r->id = 0;
  }
  if (rc == 0)
    rc = usnmp__v3_launch(r);
  if (rc == 0)
    rc = usnmp__transport_queue(m, r);
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
    } else if (unreadable_since(r)) {
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
  rc = usnmp__transport_queue(m, r);
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
      bulk_answer_max(n, bulk_nr, bulk_mr) > USNMP_MAX_VARBINDS)
    return USNMP_E_TOO_MANY_VARBINDS; /* the answer could not be decoded */

  timeout_ms = t->timeout_ms;
  resend_ms = t->resend_ms;
  retries = t->retries;
  backoff = t->backoff;
  community = type == USNMP_PDU_SET && t->write_community != NULL
                  ? t->write_community
                  : t->community;
  if (opts != NULL) {
    if (opts->flags & USNMP_OPT_TIMEOUT)
      timeout_ms = opts->timeout_ms;
    if (opts->flags & USNMP_OPT_RESEND)
      resend_ms = opts->resend_ms;
    if (opts->flags & USNMP_OPT_RETRIES)
      retries = opts->retries;
    if (opts->flags & USNMP_OPT_BACKOFF)
      backoff = opts->backoff;
    if (opts->flags & USNMP_OPT_COMMUNITY)
      community = opts->community;
  }
  if (resend_ms == 0 || !(backoff >= 1.0 && backoff <= 100.0) ||
      community == NULL || strlen(community) > 255 ||
      (retries < 0 && timeout_ms == 0))
    return USNMP_E_INVAL;

  r = req_alloc(m);
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
  if (opts != NULL && (opts->flags & USNMP_OPT_CONTEXT) &&
      r->version == USNMP_VERSION_3) {
    memset(&ctx, 0, sizeof(ctx));
    if (opts->context_engine_id != NULL) {
      ctx.engine_id = opts->context_engine_id;
      ctx.engine_id_len = opts->context_engine_id_len;
    }
    if (opts->context_name != NULL) {
      ctx.name = (const uint8_t *)opts->context_name;
      ctx.name_len = strlen(opts->context_name);
    } else if (t->usm != NULL) {
      ctx.name = t->usm->context_name;
      ctx.name_len = t->usm->context_name_len;
    }
    if (ctx.engine_id_len == 0 && t->usm != NULL) {
      ctx.engine_id = t->usm->context_engine_id;
      ctx.engine_id_len = t->usm->context_engine_id_len;
    }
    tmpl.context = &ctx;
  }
  /* A GETBULK or an inform is one PDU: never split. */
  rc = build(r, &tmpl, vbs, n,
             type == USNMP_PDU_GETBULK || type == USNMP_PDU_INFORM
                 ? n
                 : (size_t)t->max_oids);
  if (rc < 0) {
    req_discard(r);
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

/* ------------------------------------------------------------------------
 * Request handles: a table of slots, each naming a request and counting
 * the requests it named, so that a handle kept after its request
 * completed (and its struct went to another request) matches nothing.
 * ------------------------------------------------------------------------ */

/* Makes sure a slot is free, so that taking one after the request started
 * cannot fail.  Returns 0 or USNMP_E_NOMEM. */
static int handle_reserve(usnmp_manager *m) {
  usnmp__handle_slot *h;
  uint32_t cap, i;
  if (m->handles_free != UINT32_MAX)
    return 0;
  cap = m->handles_cap != 0 ? m->handles_cap * 2 : 64;
  if (cap <= m->handles_cap || cap > UINT32_MAX / 2)
    return USNMP_E_NOMEM;
  h = usnmp__malloc(m, cap * sizeof(*h));
  if (h == NULL)
    return USNMP_E_NOMEM;
  if (m->handles_cap != 0)
    memcpy(h, m->handles, m->handles_cap * sizeof(*h));
  for (i = m->handles_cap; i < cap; i++) {
    h[i].r = NULL;
    h[i].gen = 0;
    h[i].next_free = i + 1 < cap ? i + 1 : UINT32_MAX;
  }
  usnmp__free(m, m->handles);
  m->handles_free = m->handles_cap;
  m->handles = h;
  m->handles_cap = cap;
  return 0;
}

static void handle_take(usnmp_request *r, usnmp_request_ref *out) {
  usnmp_manager *m = r->m;
  uint32_t i = m->handles_free;
  usnmp__handle_slot *slot = &m->handles[i];
  m->handles_free = slot->next_free;
  slot->r = r;
  r->handle = i + 1;
  out->manager = m;
  out->slot = i;
  out->generation = slot->gen;
}

/* r completes: its handle goes stale.  (A slot would have to serve 2^32
 * requests before an old handle matched again.) */
static void handle_release(usnmp_request *r) {
  usnmp_manager *m = r->m;
  usnmp__handle_slot *slot;
  if (r->handle == 0)
    return;
  slot = &m->handles[r->handle - 1];
  slot->r = NULL;
  slot->gen++;
  slot->next_free = m->handles_free;
  m->handles_free = r->handle - 1;
  r->handle = 0;
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
    rc = handle_reserve(t->m);
    if (rc < 0)
      return rc;
  }
  rc = usnmp__request_start(t, type, t->m->tx_vbs, n, bulk_nr, bulk_mr, opts,
                            cb, arg, &r);
  if (rc == 0 && out != NULL)
    handle_take(r, out);
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
  usnmp_manager *m;
  const usnmp__handle_slot *slot;
  if (ref == NULL || ref->manager == NULL)
    return USNMP_E_INVAL;
  m = ref->manager;
  if (ref->slot >= m->handles_cap)
    return USNMP_E_INVAL;
  slot = &m->handles[ref->slot];
  if (slot->r == NULL || slot->gen != ref->generation)
    return USNMP_E_STALE;
  return usnmp__cancel(slot->r);
}

/* ------------------------------------------------------------------------
 * Targets
 * ------------------------------------------------------------------------ */

static void target_destroy(usnmp_target *t) {
  usnmp_manager *m = t->m;
  usnmp__resolve_abandon(t);
  usnmp__notify_target_free(t);
  usnmp__v3_target_free(t);
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
    rc = usnmp__resolve_start(t, name,
                              ntohs(((struct sockaddr_in *)&addr)->sin_port),
                              family);
  if (rc == 0) {
    t->resolve_status = 1;
    return;
  }
  /* Could not start: fail what waits, without running callbacks here. */
  while (!usnmp__list_empty(&t->queue)) {
    usnmp_request *r = USNMP__CONTAINER(t->queue.next, usnmp_request, qlink);
    while (r->parent != NULL)
      r = r->parent;
    req_unlink(r); /* takes the queued leaves of r's tree off the queue */
    req_defer(r, USNMP_E_RESOLVE);
  }
}

void usnmp__target_resolved(usnmp_target *t, int status) {
  usnmp_manager *m = t->m;
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

int usnmp_target_new(usnmp_manager *m, usnmp_target **out,
                     const char *agent) {
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
  t->agent = dup_string(m, agent);
  t->community = dup_string(m, "public");
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
    rc = usnmp__resolve_start(t, name,
                              ntohs(((struct sockaddr_in *)&addr)->sin_port),
                              family);
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

void usnmp_target_free(usnmp_target *t) {
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

int usnmp_target_set_version(usnmp_target *t, usnmp_version v) {
  if (t == NULL || (v != USNMP_VERSION_1 && v != USNMP_VERSION_2C &&
                    !(v == USNMP_VERSION_3 && t->m->procs[3] != NULL)))
    return USNMP_E_INVAL;
  t->version = v;
  return 0;
}

static int set_string(usnmp_target *t, char **slot, const char *s,
                      int nullable) {
  char *d = NULL;
  if (t == NULL || (s == NULL && !nullable) ||
      (s != NULL && strlen(s) > 255))
    return USNMP_E_INVAL;
  if (s != NULL) {
    d = dup_string(t->m, s);
    if (d == NULL)
      return USNMP_E_NOMEM;
  }
  /* Requests in flight compare replies with the community inside their
   * own message, so the old string may go now. */
  usnmp__free(t->m, *slot);
  *slot = d;
  return 0;
}

int usnmp_target_set_community(usnmp_target *t, const char *community) {
  return set_string(t, t ? &t->community : NULL, community, 0);
}

int usnmp_target_set_write_community(usnmp_target *t, const char *community) {
  return set_string(t, t ? &t->write_community : NULL, community, 1);
}

int usnmp_target_set_timeout(usnmp_target *t, uint32_t timeout_ms) {
  if (t == NULL)
    return USNMP_E_INVAL;
  t->timeout_ms = timeout_ms;
  return 0;
}

int usnmp_target_set_resend(usnmp_target *t, uint32_t resend_ms) {
  if (t == NULL || resend_ms == 0)
    return USNMP_E_INVAL;
  t->resend_ms = resend_ms;
  return 0;
}

int usnmp_target_set_retries(usnmp_target *t, int32_t retries) {
  if (t == NULL)
    return USNMP_E_INVAL;
  t->retries = retries;
  return 0;
}

int usnmp_target_set_backoff(usnmp_target *t, double factor) {
  if (t == NULL || !(factor >= 1.0 && factor <= 100.0))
    return USNMP_E_INVAL;
  t->backoff = factor;
  return 0;
}

int usnmp_target_set_max_oids(usnmp_target *t, uint32_t max) {
  if (t == NULL || max == 0 || max > USNMP_MAX_VARBINDS)
    return USNMP_E_INVAL;
  t->max_oids = max;
  return 0;
}

int usnmp_target_set_max_inflight(usnmp_target *t, uint32_t max) {
  if (t == NULL)
    return USNMP_E_INVAL;
  t->max_inflight = max;
  pump(t->m, t);
  return 0;
}

void *usnmp_target_data(const usnmp_target *t) { return t ? t->data : NULL; }

void usnmp_target_set_data(usnmp_target *t, void *data) {
  if (t != NULL)
    t->data = data;
}

const char *usnmp_target_agent(const usnmp_target *t) {
  return t ? t->agent : NULL;
}

usnmp_manager *usnmp_target_manager(const usnmp_target *t) {
  return t ? t->m : NULL;
}

/* ------------------------------------------------------------------------
 * The manager
 * ------------------------------------------------------------------------ */

int usnmp_manager_new(usnmp_manager **out, uv_loop_t *loop,
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
  m->procs[USNMP_VERSION_1] = &community_proc;
  m->procs[USNMP_VERSION_2C] = &community_proc;
  m->max_inflight = 4096;
  m->sockbuf = USNMP__DEFAULT_SOCKBUF;
  m->handles_free = UINT32_MAX;
  uv_timer_init(loop, &m->sentinel);
  m->sentinel.data = m;
  m->open_handles = 1;
  *out = m;
  return 0;
}

static void finalize(usnmp_manager *m) {
  void (*cb)(void *) = m->close_cb;
  void *arg = m->close_arg;
  usnmp__notify_manager_free(m);
  usnmp__v3_manager_free(m);
  usnmp__free(m, m->recv_buf);
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

void usnmp__manager_set_resolver(usnmp_manager *m, usnmp__resolver_fn fn,
                                 void *arg) {
  m->resolver = fn;
  m->resolver_arg = arg;
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
  /* Free the targets, except those a usnmp_target_free() up the stack is
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
  while (!usnmp__list_empty(&m->free_reqs)) {
    usnmp_request *r =
        USNMP__CONTAINER(m->free_reqs.next, usnmp_request, qlink);
    usnmp__list_del(&r->qlink);
    m->free_count--;
    uv_close((uv_handle_t *)&r->timer, on_request_closed);
  }
  usnmp__transport_close(m);
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
  m->sockbuf = bytes;
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
  m->sockbuf_force = force != 0;
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
  m->trace_cb = cb;
  m->trace_arg = arg;
}

int usnmp__request_opts_copy(usnmp_manager *m, usnmp_request_opts *dst,
                             char **community, const usnmp_request_opts *src) {
  memset(dst, 0, sizeof *dst);
  *community = NULL;
  if (src->flags & ~USNMP__OPT_KNOWN)
    return USNMP_E_INVAL;
  dst->flags = src->flags;
  if (src->flags & USNMP_OPT_TIMEOUT)
    dst->timeout_ms = src->timeout_ms;
  if (src->flags & USNMP_OPT_RESEND)
    dst->resend_ms = src->resend_ms;
  if (src->flags & USNMP_OPT_RETRIES)
    dst->retries = src->retries;
  if (src->flags & USNMP_OPT_BACKOFF)
    dst->backoff = src->backoff;
  if ((src->flags & USNMP_OPT_COMMUNITY) && src->community != NULL) {
    *community = dup_string(m, src->community);
    if (*community == NULL)
      return USNMP_E_NOMEM;
    dst->community = *community;
  }
  if (src->flags & USNMP_OPT_CONTEXT) {
    dst->context_engine_id = src->context_engine_id;
    dst->context_engine_id_len = src->context_engine_id_len;
    dst->context_name = src->context_name;
  }
  return 0;
}
