/*
 * The round-trip property shared by the libFuzzer harness (fuzz_msg.c) and
 * the corpus driver (test/test_fuzz_corpus.c); test/test_value.c uses its
 * value comparison.  The functions are static inline so that a file using
 * only some of them is not warned about the others.
 *
 * usnmp's decoder reads every encoding that has one meaning and its
 * encoder writes only the minimal one, so: what decodes re-encodes to
 * bytes that decode to the same message (OIDs compared by their arcs,
 * values by their meaning) and need no tolerance but for undecodable
 * values; and a message that needed no tolerance re-encodes to its very
 * bytes.
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

/* Returns 1 when two BER OIDs (either may carry padding octets) have the
 * same arcs. */
static inline int roundtrip_oid_equal(const uint8_t *a, size_t alen,
                                      const uint8_t *b, size_t blen) {
  usnmp_oid x;
  usnmp_oid y;
  if (roundtrip_bytes_equal(a, alen, b, blen))
    return 1;
  return usnmp_oid_from_ber(&x, a, alen) == 0 &&
         usnmp_oid_from_ber(&y, b, blen) == 0 && usnmp_oid_cmp(&x, &y) == 0;
}

/* Returns 1 when two undecodable values came with the same tag and
 * content. */
static inline int roundtrip_undecodable_equal(const usnmp_value *a,
                                              const usnmp_value *b) {
  const uint8_t *ac;
  const uint8_t *bc;
  size_t alen;
  size_t blen;
  uint8_t atag;
  uint8_t btag;
  return usnmp_value_get_undecodable(a, &atag, &ac, &alen) == 0 &&
         usnmp_value_get_undecodable(b, &btag, &bc, &blen) == 0 &&
         atag == btag && roundtrip_bytes_equal(ac, alen, bc, blen);
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
    return roundtrip_bytes_equal(a->v.bytes.data, a->v.bytes.len,
                                 b->v.bytes.data, b->v.bytes.len);
  case USNMP_TYPE_OID:
    return roundtrip_oid_equal(a->v.bytes.data, a->v.bytes.len, b->v.bytes.data,
                               b->v.bytes.len);
  case USNMP_TYPE_NULL:
  case USNMP_TYPE_NOSUCHOBJECT:
  case USNMP_TYPE_NOSUCHINSTANCE:
  case USNMP_TYPE_ENDOFMIBVIEW:
    return 1;
  case USNMP_TYPE_UNDECODABLE:
    return roundtrip_undecodable_equal(a, b);
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

/* Decodes data; when it decodes, re-encodes it, decodes that again and
 * compares every field and varbind; checks that the re-encoding needed no
 * tolerance (but for undecodable values) and that it is data itself when
 * data needed none.  Returns the (negative) decode error for input that
 * does not decode, 0 when the round trip holds, ROUNDTRIP_MISMATCH when it
 * does not. */
static inline int roundtrip_check(roundtrip_state *st, const uint8_t *data,
                                  size_t len) {
  usnmp_msg m1;
  usnmp_msg m2;
  size_t n1;
  size_t n2;
  uint32_t tol1;
  uint32_t tol2;
  int enc;
  int rc = usnmp_msg_decode_ex(&m1, st->vbs1, USNMP_MAX_VARBINDS, &n1, data,
                               len, 0, &tol1);
  if (rc < 0)
    return rc;
  if (rc != 0)
    return ROUNDTRIP_MISMATCH;
  /* Strict decoding accepts exactly what needed no tolerance. */
  rc = usnmp_msg_decode_ex(&m2, st->vbs2, USNMP_MAX_VARBINDS, &n2, data, len,
                           USNMP_DECODE_STRICT, NULL);
  if ((rc == 0) != (tol1 == 0))
    return ROUNDTRIP_MISMATCH;
  enc = usnmp_msg_encode(st->out, sizeof st->out, &m1, st->vbs1, n1);
  /* The minimal form is shorter, except where a missing 00 octet comes
   * back: near the size limit that may no longer fit in a datagram. */
  if (enc == USNMP_E_MSG_TOO_BIG && (tol1 & USNMP_TOLERATED_UNSIGNED_SIGN))
    return 0;
  if (enc < 0 || ((tol1 & ~USNMP_TOLERATED_UNDECODABLE) == 0 &&
                  !roundtrip_bytes_equal(st->out, (size_t)enc, data, len)))
    return ROUNDTRIP_MISMATCH;
  if (usnmp_msg_decode_ex(&m2, st->vbs2, USNMP_MAX_VARBINDS, &n2, st->out,
                          (size_t)enc, 0, &tol2) != 0 ||
      (tol2 & ~USNMP_TOLERATED_UNDECODABLE) != 0 ||
      tol2 != (tol1 & USNMP_TOLERATED_UNDECODABLE))
    return ROUNDTRIP_MISMATCH;
  if (m1.version != m2.version || m1.type != m2.type ||
      m1.request_id != m2.request_id || m1.error_status != m2.error_status ||
      m1.error_index != m2.error_index || n1 != n2 ||
      !roundtrip_bytes_equal(m1.community, m1.community_len, m2.community,
                             m2.community_len) ||
      !roundtrip_oid_equal(m1.trap.enterprise, m1.trap.enterprise_len,
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
    int has_bytes =
        v->type == USNMP_TYPE_OCTET_STRING || v->type == USNMP_TYPE_OPAQUE ||
        v->type == USNMP_TYPE_IPADDRESS || v->type == USNMP_TYPE_OID ||
        v->type == USNMP_TYPE_UNDECODABLE;
    if (!roundtrip_inside(st->vbs1[i].oid, st->vbs1[i].oid_len, data, len) ||
        (has_bytes &&
         !roundtrip_inside(v->v.bytes.data, v->v.bytes.len, data, len)))
      return ROUNDTRIP_MISMATCH;
    if (!roundtrip_oid_equal(st->vbs1[i].oid, st->vbs1[i].oid_len,
                             st->vbs2[i].oid, st->vbs2[i].oid_len) ||
        !roundtrip_value_equal(&st->vbs1[i].value, &st->vbs2[i].value))
      return ROUNDTRIP_MISMATCH;
  }
  return 0;
}

#endif /* USNMP_FUZZ_ROUNDTRIP_H */
