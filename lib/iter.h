/*
 * The core that walks and tables share: an iterator runs one request at a
 * time on a target and ends once, with a done callback.  It owns the
 * walk options both read (usnmp_walk_opts: flags, method, repetitions,
 * limit, the request options they copy), the request in flight, and the
 * rules of its life:
 *
 *   - it completes once (usnmp__iter_finish());
 *   - it is freed by whoever leaves its last frame on the stack after its
 *     done callback ran (depth counts the frames of ours that use it:
 *     usnmp__iter_enter() / usnmp__iter_leave()), so a callback may cancel
 *     it or free the target under it;
 *   - an answer to a request it cancelled itself is ignored
 *     (usnmp__iter_abort(), usnmp__iter_answer());
 *   - before each request it asks whether its target is gone
 *     (usnmp__iter_send(); the re-entrancy guard of issue 11).
 *
 * walk.c and table.c embed a usnmp__iter as their first member and build
 * their state machines on it; iter.c calls only usnmp__request_start()
 * and usnmp__cancel() (start.c) below it.
 */
#ifndef USNMP_ITER_H
#define USNMP_ITER_H

#include <stdint.h>

#include "manager_int.h"
#include "usnmp.h"

typedef struct usnmp__iter {
  usnmp_allocator alloc; /* a copy: a pull walk may outlive its manager */
  usnmp_target *t;
  usnmp_request *req; /* in flight, or NULL */
  usnmp_request_opts ropts;
  const usnmp_request_opts *ropts_p; /* &ropts, or NULL */
  char *community;                   /* copy of ropts.community */
  uint32_t flags;                    /* usnmp_walk_opts.flags */
  uint64_t limit;                    /* most varbinds to deliver; 0 = none */
  uint32_t reps;                     /* GETBULK max-repetitions */
  uint8_t bulk;                      /* GETBULK (else GETNEXT) */
  uint8_t sent_bulk;                 /* the request in flight is a GETBULK */
  uint8_t pull;                      /* a pull walk: freed by its caller only */
  uint8_t finished;                  /* result final */
  uint8_t done_fired;                /* the done callback ran */
  uint8_t internal_cancel; /* ignore the answer of a request we cancel */
  int depth;               /* our frames on the stack that use it */
} usnmp__iter;

/* Sets it up for t with the defaults (GETBULK but on SNMPv1, the default
 * repetitions); it must be zeroed. */
void usnmp__iter_init(usnmp__iter *it, usnmp_target *t);

/* Reads opts (not NULL) but for its end OID and its request options:
 * flags, method, repetitions, limit.  Returns 0, USNMP_E_INVAL (an
 * unknown flag or method) or USNMP_E_BAD_VERSION (GETBULK on SNMPv1). */
int usnmp__iter_opts(usnmp__iter *it, const usnmp_walk_opts *opts);

/* Copies opts's request options (opts may be NULL) and caps the
 * repetitions.  Returns 0, USNMP_E_INVAL (an unknown request flag) or
 * USNMP_E_NOMEM. */
int usnmp__iter_opts_end(usnmp__iter *it, const usnmp_walk_opts *opts);

/* Frees what usnmp__iter_opts_end() copied. */
void usnmp__iter_free(usnmp__iter *it);

/* Starts the iterator's next request (n varbinds with BER names; bulk_mr
 * is GETBULK's max-repetitions), unless its target is gone.  Returns 0 or
 * the error; it->req is the request or NULL. */
int usnmp__iter_send(usnmp__iter *it, usnmp_pdu_type type,
                     const usnmp_varbind *vbs, size_t n, int32_t bulk_mr,
                     usnmp_response_cb cb, void *arg);

/* Cancels its own request in flight without treating the answer. */
void usnmp__iter_abort(usnmp__iter *it);

/* Cancels the request in flight; the answer callback sees
 * USNMP_E_CANCELLED (usnmp_walk_cancel, usnmp_table_cancel). */
static inline void usnmp__iter_cancel_request(usnmp__iter *it) {
  if (it->req != NULL)
    usnmp__cancel(it->req);
}

/* The first step of an answer callback: returns 1 (a frame entered) when
 * the answer is to be treated, 0 when it is ignored. */
static inline int usnmp__iter_answer(usnmp__iter *it) {
  it->req = NULL;
  if (it->internal_cancel || it->finished)
    return 0;
  it->depth++;
  return 1;
}

static inline void usnmp__iter_enter(usnmp__iter *it) { it->depth++; }

/* Leaves a frame: returns 1 when the caller must free the iterator now
 * (a callback iterator whose done callback ran, with no frame left). */
static inline int usnmp__iter_leave(usnmp__iter *it) {
  it->depth--;
  return !it->pull && it->done_fired && it->depth == 0;
}

/* Returns 1 the first time (the result becomes final), else 0. */
static inline int usnmp__iter_finish(usnmp__iter *it) {
  if (it->finished)
    return 0;
  it->finished = 1;
  return 1;
}

/* The done callback returned (it ran inside a frame of its own). */
static inline void usnmp__iter_fired(usnmp__iter *it) {
  it->depth--;
  it->done_fired = 1;
}

#endif /* USNMP_ITER_H */
