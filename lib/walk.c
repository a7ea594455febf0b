/*
 * Walks: the varbinds of a subtree, fetched with GETNEXT or GETBULK one
 * request at a time on the async manager.
 *
 * A walk is a small state machine:
 *
 *   IDLE        a pull walk before its first usnmp_walk_next();
 *   ROOT_FIRST  USNMP_WALK_INCLUDE_ROOT: GET of the root before walking;
 *   WALK        GETNEXT / GETBULK from the cursor (the last OID received);
 *   ROOT_LAST   the walk delivered nothing: GET of the root, as net-snmp's
 *               snmpwalk does, so a scalar instance still shows;
 *   DONE        the result is final.
 *
 * Each answer is first scanned for the point where the walk ends, before
 * anything is delivered.  The scan compares names as BER content octets
 * (see "Names" below), so no name is turned into arcs except to hand it
 * over.  When the walk goes on, the callback form sends the next request
 * *before* delivering the varbinds, so the agent works
 * while the caller does, and a request is in flight while the caller's
 * callbacks run: if the caller frees the target or closes the manager from
 * there, that request completes at once and the walk learns it is over.
 *
 * The pull form copies what it delivers into one of two batches: the one
 * the caller reads from and the one the next answer fills.  It asks for
 * more only when the caller has taken the last buffered varbind, so it
 * never holds more than one answer ahead.
 */
#include <stdlib.h>
#include <string.h>

#include "alloc.h"
#include "iter.h"
#include "manager_int.h"
#include "pdu.h"
#include "usnmp.h"
#include "varbinds.h"

enum { PH_IDLE = 0, PH_ROOT_FIRST, PH_WALK, PH_ROOT_LAST, PH_DONE };

/* Copies of varbinds handed out by the pull form. */
typedef struct batch {
  usnmp_varbind *vbs;
  size_t n, cap;
  uint8_t *bytes;
  size_t used, size;
} batch;

struct usnmp_walk {
  usnmp__iter it; /* the life, options and request shared with tables */
  usnmp_walk_varbind_cb on_varbind;
  usnmp_walk_done_cb on_done;
  void *arg;
  uint8_t phase;
  uint8_t want_send;  /* pull: send when the caller drains the batch */
  int pending_status; /* the walk phase's status, kept across ROOT_LAST */
  uint64_t seen;      /* what net-snmp would have printed so far */
  usnmp_oid root;
  /* The name to ask next: the last OID received inside the subtree, at
   * first the root (".X.0" for a one-arc root ".X"). */
  uint8_t cursor[USNMP__OID_BER_MAX];
  size_t cursor_len;
  uint8_t root_ber[USNMP__OID_BER_MAX];
  size_t root_ber_len; /* 0 when the root cannot be encoded (one arc) */
  uint8_t end_ber[USNMP__OID_BER_MAX]; /* usnmp_walk_opts.end */
  size_t end_ber_len;                  /* 0: the walk ends with its subtree */
  /* The last name delivered, turned into arcs for the result at the end. */
  uint8_t last[USNMP__OID_BER_MAX];
  size_t last_len;
  /* Brent's cycle detection over cursors (ALLOW_NOT_INCREASING only). */
  uint8_t brent_saved[USNMP__OID_BER_MAX];
  size_t brent_saved_len;
  uint64_t brent_power, brent_steps;
  usnmp_oid name; /* the name handed to the varbind callback */
  usnmp_walk_result result;
  usnmp_varbind end_vb;
  uint8_t *end_bytes;
  size_t end_bytes_cap;
  /* Pull form. */
  batch b[2];
  int cur;     /* batch the caller reads */
  size_t read; /* next varbind of b[cur] to hand out */
};

/* ------------------------------------------------------------------------
 * Memory
 * ------------------------------------------------------------------------ */

/* Grows *buf (elements of elem bytes, *cap of them) to hold at least need;
 * contents are kept.  Returns 0 or USNMP_E_NOMEM. */
static int grow(const usnmp_allocator *a, void **buf, size_t *cap, size_t need,
                size_t elem) {
  size_t n = *cap != 0 ? *cap : 16;
  void *p;
  if (need <= *cap)
    return 0;
  while (n < need)
    n *= 2;
  p = usnmp__alloc(a, n * elem);
  if (p == NULL)
    return USNMP_E_NOMEM;
  if (*cap != 0)
    memcpy(p, *buf, *cap * elem);
  usnmp__dealloc(a, *buf);
  *buf = p;
  *cap = n;
  return 0;
}

static void walk_free(usnmp_walk *w) {
  usnmp_allocator a = w->it.alloc;
  usnmp__iter_free(&w->it);
  usnmp__dealloc(&a, w->end_bytes);
  for (int i = 0; i < 2; i++) {
    usnmp__dealloc(&a, w->b[i].vbs);
    usnmp__dealloc(&a, w->b[i].bytes);
  }
  usnmp__dealloc(&a, w);
}

/* Frees a finished callback walk once no frame of ours uses it. */
static void leave(usnmp_walk *w) {
  if (usnmp__iter_leave(&w->it))
    walk_free(w);
}

/* ------------------------------------------------------------------------
 * Names
 *
 * Names arrive as BER content octets that the codec has checked: minimal
 * sub-identifiers, at most USNMP_OID_MAX_LEN arcs, none above 2^32-1.  The
 * walk compares them as they are; it turns a name into arcs only to hand
 * it to the caller.  Each function stays within its bounds whatever the
 * bytes, so an unchecked name can only be misjudged, never overrun.
 * ------------------------------------------------------------------------ */

/* Orders two names: <0, 0 or >0 as a comes before, equals or follows b,
 * arc by arc.  Bytes are not enough on their own (0xFF 0x00 encodes 16256
 * and 0x81 0x80 0x00 the larger 16384), but the first byte that differs
 * lies in the first sub-identifier that differs, and of two minimal
 * encodings the shorter is the smaller number. */
static int name_cmp(const uint8_t *a, size_t alen, const uint8_t *b,
                    size_t blen) {
  size_t n = alen < blen ? alen : blen;
  size_t d = 0, start, ea, eb;
  while (d < n && a[d] == b[d])
    d++;
  if (d == n)
    return (alen > blen) - (alen < blen); /* one is a prefix */
  start = d;
  while (start > 0 && (a[start - 1] & 0x80))
    start--;
  ea = d;
  while (ea < alen && (a[ea] & 0x80))
    ea++;
  eb = d;
  while (eb < blen && (b[eb] & 0x80))
    eb++;
  if (ea - start != eb - start)
    return ea < eb ? -1 : 1;
  return a[d] < b[d] ? -1 : 1;
}

/* Returns 1 if the name lies in the walk's subtree (the root itself
 * included), else 0. */
static int in_subtree(const usnmp_walk *w, const uint8_t *name, size_t len) {
  uint64_t first = 0;
  uint32_t arc0;
  if (w->end_ber_len != 0)
    return name_cmp(name, len, w->end_ber, w->end_ber_len) < 0;
  if (w->root_ber_len != 0)
    return len >= w->root_ber_len &&
           memcmp(name, w->root_ber, w->root_ber_len) == 0;
  /* A one-arc root: compare the arc the first sub-identifier starts with
   * (40 * arc0 + arc1). */
  for (size_t i = 0; i < len && i < 5; i++) {
    first = (first << 7) | (name[i] & 0x7f);
    if (!(name[i] & 0x80))
      break;
  }
  arc0 = first < 40 ? 0 : first < 80 ? 1 : 2;
  return len > 0 && arc0 == w->root.arcs[0];
}

/* Turns a name into arcs.  Returns 0 or USNMP_E_BAD_OID. */
static int name_arcs(usnmp_oid *oid, const uint8_t *p, size_t len) {
  uint64_t v = 0;
  uint32_t n = 0;
  if (len == 0 || (p[len - 1] & 0x80))
    return USNMP_E_BAD_OID;
  for (size_t i = 0; i < len; i++) {
    v = (v << 7) | (p[i] & 0x7f);
    if (v > UINT32_MAX)
      return USNMP_E_BAD_OID;
    if (p[i] & 0x80)
      continue;
    if (n == 0) {
      oid->arcs[0] = v < 40 ? 0 : v < 80 ? 1 : 2;
      oid->arcs[1] = (uint32_t)(v - 40u * oid->arcs[0]);
      n = 2;
    } else {
      if (n == USNMP_OID_MAX_LEN)
        return USNMP_E_BAD_OID;
      oid->arcs[n++] = (uint32_t)v;
    }
    v = 0;
  }
  oid->len = n;
  return 0;
}

/* Keeps a copy of the varbind that ended the walk for the result. */
static void keep_end_varbind(usnmp_walk *w, const usnmp_varbind *vb) {
  size_t need = usnmp__varbind_bytes(vb);
  uint8_t *space;
  if (need > w->end_bytes_cap) {
    uint8_t *p = usnmp__alloc(&w->it.alloc, need);
    if (p == NULL)
      return; /* the result then simply has no end_varbind */
    usnmp__dealloc(&w->it.alloc, w->end_bytes);
    w->end_bytes = p;
    w->end_bytes_cap = need;
  }
  space = w->end_bytes;
  usnmp__varbind_copy(&w->end_vb, vb, &space);
  w->result.end_varbind = &w->end_vb;
}

/* Appends a copy of vb to the batch the next answer fills. */
static int batch_add(usnmp_walk *w, const usnmp_varbind *vb) {
  batch *f = &w->b[!w->cur];
  size_t need = usnmp__varbind_bytes(vb);
  int rc;
  uint8_t *space;
  if (f->n == f->cap) {
    rc = grow(&w->it.alloc, (void **)&f->vbs, &f->cap, f->n + 1,
              sizeof(usnmp_varbind));
    if (rc < 0)
      return rc;
  }
  if (f->used + need > f->size) {
    /* The bytes move: re-point the varbinds already copied. */
    uint8_t *old = f->bytes;
    rc = grow(&w->it.alloc, (void **)&f->bytes, &f->size, f->used + need, 1);
    if (rc < 0)
      return rc;
    if (old != f->bytes)
      usnmp__varbinds_rebase(f->vbs, f->n, old, f->bytes);
  }
  space = f->bytes + f->used;
  usnmp__varbind_copy(&f->vbs[f->n], vb, &space);
  f->used = (size_t)(space - f->bytes);
  f->n++;
  return 0;
}

/* ------------------------------------------------------------------------
 * Ending
 * ------------------------------------------------------------------------ */

static void complete(usnmp_walk *w, int status) {
  if (!usnmp__iter_finish(&w->it))
    return;
  w->phase = PH_DONE;
  w->want_send = 0;
  w->result.status = status;
  if (status < 0)
    w->result.end = USNMP_WALK_END_ERROR;
  w->result.max_repetitions = w->it.bulk ? w->it.reps : 0;
  if (w->last_len != 0 &&
      name_arcs(&w->result.last_oid, w->last, w->last_len) < 0)
    w->result.last_oid.len = 0;
  if (w->it.pull)
    return;
  usnmp__iter_enter(&w->it);
  w->on_done(w, &w->result, w->arg);
  usnmp__iter_fired(&w->it);
}

/* ------------------------------------------------------------------------
 * Requests
 * ------------------------------------------------------------------------ */

static void on_response(const usnmp_response *resp, void *arg);

static int send_request(usnmp_walk *w, usnmp_pdu_type type, const uint8_t *name,
                        size_t name_len) {
  usnmp_varbind vb;
  memset(&vb, 0, sizeof vb);
  vb.oid = name;
  vb.oid_len = name_len;
  vb.value.type = USNMP_TYPE_NULL;
  return usnmp__iter_send(&w->it, type, &vb, 1,
                          type == USNMP_PDU_GETBULK ? (int32_t)w->it.reps : 0,
                          on_response, w);
}

static int send_walk_request(usnmp_walk *w) {
  w->want_send = 0;
  return send_request(w, w->it.bulk ? USNMP_PDU_GETBULK : USNMP_PDU_GETNEXT,
                      w->cursor, w->cursor_len);
}

/* The next walk request is due: the callback form sends it now; the pull
 * form waits until the caller has taken what is buffered.  Returns 0 or
 * the error of a request that could not start. */
static int continue_walk(usnmp_walk *w) {
  if (w->it.pull && w->b[!w->cur].n > 0) {
    w->want_send = 1;
    return 0;
  }
  return send_walk_request(w);
}

/* Hands one varbind (its name at most USNMP__OID_BER_MAX bytes) to the
 * caller: callback or pull batch.  Returns 0, 1 when the caller asked to
 * stop, or a negative code. */
static int deliver(usnmp_walk *w, const usnmp_varbind *vb) {
  int rc = 0;
  w->result.count++;
  w->seen++;
  memcpy(w->last, vb->oid, vb->oid_len);
  w->last_len = vb->oid_len;
  if (w->it.pull)
    return batch_add(w, vb);
  if (w->on_varbind != NULL) {
    rc = name_arcs(&w->name, vb->oid, vb->oid_len);
    if (rc < 0)
      return rc;
    w->it.depth++;
    rc = w->on_varbind(w, vb, &w->name, w->arg) != 0;
    w->it.depth--;
  }
  return rc;
}

/* The walk phase is over with status.  Unless something was found (or the
 * caller opted out), fetch the root with a GET first, as net-snmp does. */
static void end_walk_phase(usnmp_walk *w, int status) {
  int rc;
  if (!(w->it.flags & USNMP_WALK_NO_ROOT_GET) && w->seen == 0 &&
      w->root_ber_len != 0) {
    w->pending_status = status;
    w->phase = PH_ROOT_LAST;
    w->result.root_get = 1;
    rc = send_request(w, USNMP_PDU_GET, w->root_ber, w->root_ber_len);
    if (rc == 0)
      return;
  }
  complete(w, status);
}

/* Treats the answer to a GET of the root (either end).  Returns 0, or
 * non-zero when the caller stopped the walk or it ended. */
static int take_root_answer(usnmp_walk *w, const usnmp_response *resp) {
  const usnmp_varbind *vb;
  int rc;
  if (resp->status < 0 || resp->error_status != 0 || resp->varbind_count == 0)
    return 0;
  w->result.requests++;
  vb = &resp->varbinds[0];
  if (vb->oid_len != w->root_ber_len ||
      memcmp(vb->oid, w->root_ber, w->root_ber_len) != 0)
    return 0;
  if (usnmp_value_is_exception(&vb->value) &&
      !(w->it.flags & USNMP_WALK_DELIVER_EXCEPTIONS)) {
    w->seen++; /* net-snmp prints it */
    return 0;
  }
  rc = deliver(w, vb);
  if (rc < 0) {
    complete(w, rc);
    return 1;
  }
  if (rc > 0) {
    w->result.end = USNMP_WALK_END_STOPPED;
    complete(w, 0);
    return 1;
  }
  if (w->it.limit != 0 && w->result.count >= w->it.limit) {
    w->result.end = USNMP_WALK_END_LIMIT;
    complete(w, 0);
    return 1;
  }
  return w->it.finished;
}

/* Lowers max-repetitions after a tooBig or an empty answer.  Returns 1 if
 * it did (the request is then to be sent again), 0 if it cannot. */
static int lower_repetitions(usnmp_walk *w) {
  if (!w->it.sent_bulk || (w->it.flags & USNMP_WALK_FIXED_REPETITIONS) ||
      w->it.reps <= 1)
    return 0;
  w->it.reps /= 2;
  return 1;
}

/* ------------------------------------------------------------------------
 * The walk phase
 * ------------------------------------------------------------------------ */

/* Outcome of scanning an answer. */
typedef struct scan {
  size_t k;   /* varbinds to deliver */
  int end;    /* an end was found (then the fields below) */
  int status; /* its status (0 or negative) */
  usnmp_walk_end reason;
  const usnmp_varbind *end_vb; /* the varbind that ended it, or NULL */
  int exception_inside;        /* end_vb is an exception inside the subtree */
} scan;

/* Finds where the walk ends in vbs[0..n). */
static void scan_answer(usnmp_walk *w, const usnmp_varbind *vbs, size_t n,
                        scan *s) {
  int check = !(w->it.flags & USNMP_WALK_ALLOW_NOT_INCREASING);
  const uint8_t *prev = w->cursor;
  size_t prev_len = w->cursor_len;
  memset(s, 0, sizeof *s);
  for (size_t i = 0; i < n; i++) {
    const usnmp_varbind *vb = &vbs[i];
    if (vb->oid_len == 0 || vb->oid_len > USNMP__OID_BER_MAX) {
      s->end = 1;
      s->status = USNMP_E_BAD_OID;
      break;
    }
    if (usnmp_value_is_exception(&vb->value)) {
      s->end = 1;
      s->reason = vb->value.type == USNMP_TYPE_ENDOFMIBVIEW
                      ? USNMP_WALK_END_OF_MIB_VIEW
                      : USNMP_WALK_END_EXCEPTION;
      s->end_vb = vb;
      s->exception_inside = in_subtree(w, vb->oid, vb->oid_len);
      break;
    }
    if (check && name_cmp(vb->oid, vb->oid_len, prev, prev_len) <= 0) {
      s->end = 1;
      s->status = USNMP_E_NOT_INCREASING;
      s->end_vb = vb;
      w->seen++; /* net-snmp prints it before its error */
      break;
    }
    if (!in_subtree(w, vb->oid, vb->oid_len)) {
      s->end = 1;
      s->reason = USNMP_WALK_END_SUBTREE;
      s->end_vb = vb;
      break;
    }
    if (w->it.limit != 0 && w->result.count + i >= w->it.limit) {
      s->end = 1;
      s->reason = USNMP_WALK_END_LIMIT;
      break;
    }
    prev = vb->oid;
    prev_len = vb->oid_len;
    s->k = i + 1;
  }
  /* Reaching the limit exactly at the end of an answer ends the walk now
   * rather than after one more request. */
  if (!s->end && w->it.limit != 0 && w->result.count + s->k >= w->it.limit) {
    s->end = 1;
    s->reason = USNMP_WALK_END_LIMIT;
  }
}

/* With ALLOW_NOT_INCREASING, detects an answer sequence that repeats
 * (Brent's algorithm over the cursors: constant memory, finds any cycle
 * within twice its length plus its start).  Returns 1 on a cycle. */
static int cycle_detected(usnmp_walk *w) {
  if (!(w->it.flags & USNMP_WALK_ALLOW_NOT_INCREASING))
    return 0;
  if (w->cursor_len == w->brent_saved_len &&
      memcmp(w->cursor, w->brent_saved, w->cursor_len) == 0)
    return 1;
  if (++w->brent_steps == w->brent_power) {
    memcpy(w->brent_saved, w->cursor, w->cursor_len);
    w->brent_saved_len = w->cursor_len;
    w->brent_power *= 2;
    w->brent_steps = 0;
  }
  return 0;
}

static void on_walk_answer(usnmp_walk *w, const usnmp_response *resp) {
  size_t n = resp->varbind_count;
  int send_rc = 0;
  int sent = 0;
  scan s;
  int rc;

  if (resp->status < 0) {
    if (resp->status == USNMP_E_TOO_BIG && lower_repetitions(w)) {
      rc = send_walk_request(w);
      if (rc < 0)
        complete(w, rc);
      return;
    }
    complete(w, resp->status);
    return;
  }
  w->result.requests++;
  w->result.error_status = resp->error_status;
  w->result.error_index = resp->error_index;
  if (resp->error_status == USNMP_ERROR_STATUS_NOSUCHNAME) {
    w->result.end = USNMP_WALK_END_NO_SUCH_NAME;
    end_walk_phase(w, 0);
    return;
  }
  if (resp->error_status == USNMP_ERROR_STATUS_TOOBIG && lower_repetitions(w)) {
    w->result.error_status = 0;
    w->result.error_index = 0;
    rc = send_walk_request(w);
    if (rc < 0)
      complete(w, rc);
    return;
  }
  if (resp->error_status != 0) {
    end_walk_phase(w, USNMP_E_SNMP_ERROR);
    return;
  }
  /* Only what we asked for counts: one varbind per repetition of our one
   * repeater, one varbind for a GETNEXT. */
  if (w->it.sent_bulk ? n > w->it.reps : n > 1)
    n = w->it.sent_bulk ? w->it.reps : 1;
  if (n == 0) {
    /* An agent that cannot fit even one repetition should say tooBig;
     * some send nothing.  Ask for less, then step once with GETNEXT. */
    if (lower_repetitions(w)) {
      rc = send_walk_request(w);
    } else if (w->it.sent_bulk &&
               !(w->it.flags & USNMP_WALK_FIXED_REPETITIONS)) {
      w->it.bulk = 0;
      rc = send_walk_request(w);
    } else {
      rc = USNMP_E_NOT_INCREASING; /* no progress is possible */
    }
    if (rc < 0)
      complete(w, rc);
    return;
  }

  scan_answer(w, resp->varbinds, n, &s);
  if (!s.end) {
    /* Remember where to go on from. */
    const usnmp_varbind *last = &resp->varbinds[s.k - 1];
    memcpy(w->cursor, last->oid, last->oid_len);
    w->cursor_len = last->oid_len;
    if (cycle_detected(w)) {
      s.end = 1;
      s.status = USNMP_E_NOT_INCREASING;
      s.end_vb = last;
      s.k = 0;
    } else {
      /* Adapt, and (callback form) ask the agent for more before the
       * caller sees this answer. */
      if (w->it.sent_bulk && resp->varbind_count < w->it.reps &&
          !(w->it.flags & USNMP_WALK_FIXED_REPETITIONS))
        w->it.reps = (uint32_t)resp->varbind_count;
      if (!w->it.pull) {
        send_rc = send_walk_request(w);
        sent = send_rc == 0;
      }
    }
  }

  for (size_t i = 0; i < s.k; i++) {
    rc = deliver(w, &resp->varbinds[i]);
    if (w->it.finished)
      return; /* cancelled, or the manager went away, meanwhile */
    if (rc != 0) {
      if (sent)
        usnmp__iter_abort(&w->it);
      if (rc > 0)
        w->result.end = USNMP_WALK_END_STOPPED;
      complete(w, rc > 0 ? 0 : rc);
      return;
    }
  }

  if (!s.end) {
    if (w->it.pull) {
      rc = continue_walk(w);
      if (rc < 0)
        complete(w, rc);
    } else if (send_rc < 0) {
      complete(w, send_rc);
    }
    return;
  }

  if (s.end_vb != NULL)
    keep_end_varbind(w, s.end_vb);
  if (s.status < 0) {
    complete(w, s.status);
    return;
  }
  w->result.end = s.reason;
  if (s.reason == USNMP_WALK_END_LIMIT) {
    complete(w, 0);
    return;
  }
  if (s.exception_inside) {
    if (w->it.flags & USNMP_WALK_DELIVER_EXCEPTIONS) {
      const usnmp_varbind *vb = s.end_vb;
      const usnmp_varbind *end = resp->varbinds + n;
      /* Some agents fill every remaining repetition of a GETBULK answer
       * with the same exception (RFC 3416 allows it): snmpbulkwalk prints
       * each one inside the subtree, and so do we. */
      do {
        rc = deliver(w, vb);
        if (w->it.finished)
          return;
      } while (rc == 0 && ++vb < end && usnmp_value_is_exception(&vb->value) &&
               in_subtree(w, vb->oid, vb->oid_len));
      if (rc != 0) {
        if (rc > 0)
          w->result.end = USNMP_WALK_END_STOPPED;
        complete(w, rc > 0 ? 0 : rc);
        return;
      }
    } else {
      w->seen++; /* net-snmp prints it */
    }
  }
  end_walk_phase(w, 0);
}

static void on_response(const usnmp_response *resp, void *arg) {
  usnmp_walk *w = arg;
  int rc;
  if (!usnmp__iter_answer(&w->it))
    return;
  if (resp->status == USNMP_E_CANCELLED || resp->status == USNMP_E_CLOSED) {
    /* The walk, its target or the manager went away: whatever the phase,
     * the walk is over. */
    complete(w, resp->status);
    leave(w);
    return;
  }
  switch (w->phase) {
  case PH_ROOT_FIRST:
    if (take_root_answer(w, resp) == 0) {
      w->phase = PH_WALK;
      rc = continue_walk(w);
      if (rc < 0)
        complete(w, rc);
    }
    break;
  case PH_WALK:
    on_walk_answer(w, resp);
    break;
  case PH_ROOT_LAST:
    if (take_root_answer(w, resp) == 0)
      complete(w, w->pending_status);
    break;
  default:
    break;
  }
  /* A pull walk's caller runs the loop once per UV_EAGAIN.  An answer that
   * completes from a timer due when that run began (a deferred error, say)
   * would otherwise leave the run blocked in its poll with nothing left to
   * wake it.  The loop is the caller's, shared maybe: wake it rather than
   * stop it, so the run returns and the caller looks. */
  if (w->it.pull)
    usnmp__manager_wake(w->it.t->m);
  leave(w);
}

/* ------------------------------------------------------------------------
 * Public API
 * ------------------------------------------------------------------------ */

static int walk_new(usnmp_walk **out, usnmp_target *t, const usnmp_oid *root,
                    const usnmp_walk_opts *opts) {
  usnmp_walk *w;
  usnmp_allocator a;
  usnmp_oid start;
  int rc;

  if (t == NULL || root == NULL || root->len == 0 ||
      root->len > USNMP_OID_MAX_LEN)
    return USNMP_E_INVAL;
  a = usnmp_target_manager(t)->alloc;
  w = usnmp__calloc(&a, 1, sizeof *w);
  if (w == NULL)
    return USNMP_E_NOMEM;
  usnmp__iter_init(&w->it, t);
  w->root = *root;
  w->brent_power = 1;
  if (opts != NULL) {
    rc = usnmp__iter_opts(&w->it, opts);
    if (rc < 0)
      goto fail;
    if ((opts->flags & USNMP_WALK_END_OID) && opts->end != NULL) {
      rc = opts->end->len >= 2
               ? usnmp_oid_to_ber(w->end_ber, sizeof w->end_ber, opts->end)
               : USNMP_E_INVAL;
      if (rc < 0)
        goto fail;
      w->end_ber_len = (size_t)rc;
    }
  }
  rc = usnmp__iter_opts_end(&w->it, opts);
  if (rc < 0)
    goto fail;
  if (w->it.limit == 0 && (w->it.flags & USNMP_WALK_ALLOW_NOT_INCREASING))
    w->it.limit = USNMP_WALK_DEFAULT_LOOP_LIMIT;

  /* A one-arc root (".1") cannot be encoded; start from its first child,
   * which only skips the OID "1.0" itself. */
  start = *root;
  if (start.len == 1)
    start.arcs[start.len++] = 0;
  rc = usnmp_oid_to_ber(w->cursor, sizeof w->cursor, &start);
  if (rc < 0)
    goto fail;
  w->cursor_len = (size_t)rc;
  memcpy(w->brent_saved, w->cursor, w->cursor_len);
  w->brent_saved_len = w->cursor_len;
  if (root->len >= 2) {
    memcpy(w->root_ber, w->cursor, w->cursor_len);
    w->root_ber_len = w->cursor_len;
  }
  *out = w;
  return 0;
fail:
  walk_free(w);
  return rc;
}

/* Sends a walk's first request: the GET of the root with INCLUDE_ROOT,
 * else the first GETNEXT / GETBULK. */
static int walk_begin(usnmp_walk *w) {
  if ((w->it.flags & USNMP_WALK_INCLUDE_ROOT) && w->root_ber_len != 0) {
    w->phase = PH_ROOT_FIRST;
    return send_request(w, USNMP_PDU_GET, w->root_ber, w->root_ber_len);
  }
  w->phase = PH_WALK;
  return send_walk_request(w);
}

int usnmp_walk_start(usnmp_target *t, const usnmp_oid *root,
                     const usnmp_walk_opts *opts,
                     usnmp_walk_varbind_cb on_varbind,
                     usnmp_walk_done_cb on_done, void *arg, usnmp_walk **out) {
  usnmp_walk *w;
  int rc;
  if (on_done == NULL)
    return USNMP_E_INVAL;
  rc = walk_new(&w, t, root, opts);
  if (rc < 0)
    return rc;
  w->on_varbind = on_varbind;
  w->on_done = on_done;
  w->arg = arg;
  rc = walk_begin(w);
  if (rc < 0) {
    walk_free(w);
    return rc;
  }
  if (out != NULL)
    *out = w;
  return 0;
}

int usnmp_walk_cancel(usnmp_walk *w) {
  if (w == NULL)
    return USNMP_E_INVAL;
  if (w->it.finished)
    return 0;
  usnmp__iter_enter(&w->it);
  /* Our answer callback sees USNMP_E_CANCELLED and completes the walk. */
  usnmp__iter_cancel_request(&w->it);
  complete(w, USNMP_E_CANCELLED);
  leave(w);
  return 0;
}

int usnmp_walk_init(usnmp_target *t, const usnmp_oid *root,
                    const usnmp_walk_opts *opts, usnmp_walk **out) {
  usnmp_walk *w;
  int rc;
  if (out == NULL)
    return USNMP_E_INVAL;
  rc = walk_new(&w, t, root, opts);
  if (rc < 0)
    return rc;
  rc = usnmp__manager_wake_init(t->m);
  if (rc < 0) {
    walk_free(w);
    return rc;
  }
  w->it.pull = 1;
  w->phase = PH_IDLE;
  *out = w;
  return 0;
}

int usnmp_walk_next(usnmp_walk *w, const usnmp_varbind **vb) {
  batch *c;
  int rc;
  if (w == NULL || vb == NULL || !w->it.pull)
    return USNMP_E_INVAL;
  c = &w->b[w->cur];
  if (w->read >= c->n) {
    batch *f = &w->b[!w->cur];
    if (f->n == 0) {
      if (w->it.finished)
        return w->result.status;
      if (w->phase == PH_IDLE) {
        rc = walk_begin(w);
        if (rc < 0) {
          complete(w, rc);
          return rc;
        }
      } else if (w->want_send && w->it.req == NULL) {
        rc = send_walk_request(w);
        if (rc < 0) {
          complete(w, rc);
          return rc;
        }
      }
      return UV_EAGAIN;
    }
    /* The caller is done with the old batch: recycle it. */
    c->n = 0;
    c->used = 0;
    w->cur = !w->cur;
    w->read = 0;
    c = f;
  }
  *vb = &c->vbs[w->read++];
  if (w->read == c->n && w->want_send && w->it.req == NULL && !w->it.finished) {
    rc = send_walk_request(w);
    if (rc < 0)
      complete(w, rc);
  }
  return 1;
}

int usnmp_walk_result_get_ex(const usnmp_walk *w, usnmp_walk_result *result,
                             size_t size) {
  if (w == NULL || result == NULL || !w->it.pull)
    return USNMP_E_INVAL;
  if (!w->it.finished)
    return UV_EAGAIN;
  usnmp__copy_out(result, size, &w->result, sizeof w->result);
  return 0;
}

void usnmp_walk_close(usnmp_walk *w) {
  if (w == NULL || !w->it.pull)
    return;
  if (!w->it.finished)
    usnmp__iter_abort(&w->it);
  walk_free(w);
}
