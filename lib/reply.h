/*
 * Judging a reply once its message model accepted it: does it answer the
 * question its request asked (names, count), what did it need the
 * tolerant reader for, which unreadable datagrams came from a request's
 * agent.  The answer check runs on every reply, so it is inline (a call
 * cost bench/poll 22 instructions per GET); the rest is in reply.c.  The
 * engine (manager.c, start.c, schedule.c) calls these; they call nothing
 * above them.
 */
#ifndef USNMP_REPLY_H
#define USNMP_REPLY_H

#include <stdint.h>
#include <string.h>

#include "ber.h"
#include "manager_int.h"
#include "pdu.h"

/* The most varbinds an answer to a GETBULK of n names may hold (RFC 3416
 * section 4.2.3): the non-repeaters, then max-repetitions of each other
 * name (negative values count as 0). */
static inline uint64_t usnmp__bulk_answer_max(size_t n, int32_t non_repeaters,
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
static inline const uint8_t *
usnmp__own_element(const uint8_t *p, const uint8_t *end, size_t *len) {
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
static inline int usnmp__reply_answers(usnmp_request *r,
                                       const usnmp__inbound *in) {
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
    r->m->procs[r->version]->plain(r, &data, &len, &ctx, &has_ctx);
    end = data + len;
    p = usnmp__own_element(data, end, &n); /* Message SEQUENCE: into it */
    for (i = 0; p != NULL && i < 2; i++)   /* version, community: over */
      if ((p = usnmp__own_element(p, end, &n)) != NULL)
        p += n;
  } else {
    /* v1/v2c: the PDU follows the community, whose place we know. */
    end = data + len;
    p = data + r->comm_off + r->comm_len;
  }
  p = p ? usnmp__own_element(p, end, &n) : NULL; /* the PDU: into it */
  for (i = 0; p != NULL && i < 3; i++)           /* request-id, error fields */
    if ((p = usnmp__own_element(p, end, &n)) != NULL)
      p += n;
  p = p ? usnmp__own_element(p, end, &n) : NULL; /* the varbind list: into it */
  for (i = 0; p != NULL && i < in->n_vbs; i++) {
    const uint8_t *vb = usnmp__own_element(p, end, &n), *name;
    name = vb ? usnmp__own_element(vb, end, &len) : NULL;
    if (name == NULL || len != in->vbs[i].oid_len ||
        memcmp(name, in->vbs[i].oid, len) != 0)
      return 0;
    p = vb + n;
  }
  return p != NULL;
}

#endif /* USNMP_REPLY_H */
