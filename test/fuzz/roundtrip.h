/*
 * The round-trip property shared by the libFuzzer harness (fuzz_msg.c) and
 * the corpus driver (test/test_fuzz_corpus.c); test/test_value.c uses its
 * value comparison.  The functions are static inline so that a file using
 * only some of them is not warned about the others.
 *
 * usnmp's decoder accepts exactly one encoding of each message (minimal
 * lengths and integers, checked OIDs), so a message that decodes must
 * re-encode to the very same bytes, and decoding those must give the same
 * fields and varbinds.
 */
#ifndef USNMP_FUZZ_ROUNDTRIP_H
#define USNMP_FUZZ_ROUNDTRIP_H

#include <stdint.h>
#include <string.h>

#include "usnmp.h"

/* Working memory for one check; large, so callers allocate it once. */
typedef struct roundtrip_state {
  usnmp_varbind vbs1[USNMP_MAX_VARBINDS];
  usnmp_varbind vbs2[USNMP_MAX_VARBINDS];
  uint8_t out[USNMP_MAX_MSG_SIZE];
} roundtrip_state;

#define ROUNDTRIP_MISMATCH 1

static inline int roundtrip_bytes_equal(const uint8_t *a, size_t alen,
                                        const uint8_t *b, size_t blen) {
  return alen == blen && (alen == 0 || memcmp(a, b, alen) == 0);
}

static inline int roundtrip_value_equal(const usnmp_value *a,
                                        const usnmp_value *b) {
  if (a->type != b->type)
    return 0;
  switch (a->type) {
  case USNMP_TYPE_INTEGER:
    return a->v.integer == b->v.integer;
  case USNMP_TYPE_COUNTER32:
  case USNMP_TYPE_GAUGE32:
  case USNMP_TYPE_TIMETICKS:
    return a->v.u32 == b->v.u32;
  case USNMP_TYPE_COUNTER64:
    return a->v.u64 == b->v.u64;
  case USNMP_TYPE_OCTET_STRING:
  case USNMP_TYPE_OPAQUE:
  case USNMP_TYPE_IPADDRESS:
  case USNMP_TYPE_OID:
    return roundtrip_bytes_equal(a->v.bytes.data, a->v.bytes.len,
                                 b->v.bytes.data, b->v.bytes.len);
  case USNMP_TYPE_NULL:
  case USNMP_TYPE_NOSUCHOBJECT:
  case USNMP_TYPE_NOSUCHINSTANCE:
  case USNMP_TYPE_ENDOFMIBVIEW:
    return 1;
  }
  return 0;
}

/* Returns 1 when the n bytes at p lie inside data[0..len) (zero-copy
 * results must never point elsewhere). */
static inline int roundtrip_inside(const uint8_t *p, size_t n,
                                   const uint8_t *data, size_t len) {
  uintptr_t a = (uintptr_t)p;
  uintptr_t lo = (uintptr_t)data;
  return n == 0 || (a >= lo && n <= len && a - lo <= len - n);
}

/* Decodes data; when it decodes, re-encodes it, compares the bytes, decodes
 * again and compares every field and varbind.  Returns the (negative)
 * decode error for input that does not decode, 0 when the round trip
 * holds, ROUNDTRIP_MISMATCH when it does not. */
static inline int roundtrip_check(roundtrip_state *st, const uint8_t *data,
                                  size_t len) {
  usnmp_msg m1;
  usnmp_msg m2;
  size_t n1;
  size_t n2;
  int enc;
  int rc = usnmp_msg_decode(&m1, st->vbs1, USNMP_MAX_VARBINDS, &n1, data, len);
  if (rc < 0)
    return rc;
  if (rc != 0)
    return ROUNDTRIP_MISMATCH;
  enc = usnmp_msg_encode(st->out, sizeof st->out, &m1, st->vbs1, n1);
  if (enc < 0 || !roundtrip_bytes_equal(st->out, (size_t)enc, data, len))
    return ROUNDTRIP_MISMATCH;
  if (usnmp_msg_decode(&m2, st->vbs2, USNMP_MAX_VARBINDS, &n2, st->out,
                       (size_t)enc) != 0)
    return ROUNDTRIP_MISMATCH;
  if (m1.version != m2.version || m1.type != m2.type ||
      m1.request_id != m2.request_id || m1.error_status != m2.error_status ||
      m1.error_index != m2.error_index || n1 != n2 ||
      !roundtrip_bytes_equal(m1.community, m1.community_len, m2.community,
                             m2.community_len) ||
      !roundtrip_bytes_equal(m1.trap.enterprise, m1.trap.enterprise_len,
                             m2.trap.enterprise, m2.trap.enterprise_len) ||
      memcmp(m1.trap.agent_addr, m2.trap.agent_addr, 4) != 0 ||
      m1.trap.generic_trap != m2.trap.generic_trap ||
      m1.trap.specific_trap != m2.trap.specific_trap ||
      m1.trap.time_stamp != m2.trap.time_stamp)
    return ROUNDTRIP_MISMATCH;
  if (!roundtrip_inside(m1.community, m1.community_len, data, len) ||
      !roundtrip_inside(m1.trap.enterprise, m1.trap.enterprise_len, data, len))
    return ROUNDTRIP_MISMATCH;
  for (size_t i = 0; i < n1; i++) {
    const usnmp_value *v = &st->vbs1[i].value;
    int has_bytes = v->type == USNMP_TYPE_OCTET_STRING ||
                    v->type == USNMP_TYPE_OPAQUE ||
                    v->type == USNMP_TYPE_IPADDRESS || v->type == USNMP_TYPE_OID;
    if (!roundtrip_inside(st->vbs1[i].oid, st->vbs1[i].oid_len, data, len) ||
        (has_bytes &&
         !roundtrip_inside(v->v.bytes.data, v->v.bytes.len, data, len)))
      return ROUNDTRIP_MISMATCH;
    if (!roundtrip_bytes_equal(st->vbs1[i].oid, st->vbs1[i].oid_len,
                               st->vbs2[i].oid, st->vbs2[i].oid_len) ||
        !roundtrip_value_equal(&st->vbs1[i].value, &st->vbs2[i].value))
      return ROUNDTRIP_MISMATCH;
  }
  return 0;
}

#endif /* USNMP_FUZZ_ROUNDTRIP_H */
