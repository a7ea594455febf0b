/*
 * Deep copies of values and varbinds (varbinds.c): a decoded varbind
 * points into a datagram that lives only for a callback; these copy it,
 * with the bytes it points to, into memory the caller owns.  The one copy
 * the manager (merging a split request's answers), walks (batches, the
 * end varbind), tables (cells), the cache and the blocking layer use.
 */
#ifndef USNMP_VARBINDS_H
#define USNMP_VARBINDS_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "pdu.h" /* usnmp__value_has_bytes */
#include "usnmp.h"

/* The most bytes a BER-encoded OID of USNMP_OID_MAX_LEN arcs takes (five
 * per arc of 32 bits): the size of a buffer that holds any name. */
#define USNMP__OID_BER_MAX (USNMP_OID_MAX_LEN * 5)

/* Returns the number of bytes v points to (the types of
 * usnmp__value_has_bytes: strings, Opaque, IpAddress, OID and undecodable
 * values), 0 for the other types. */
static inline size_t usnmp__value_bytes(const usnmp_value *v) {
  return usnmp__value_has_bytes(v->type) ? v->v.bytes.len : 0;
}

/* Copies src to *dst, its bytes to *cursor (which advances past them). */
static inline void usnmp__value_copy(usnmp_value *dst, const usnmp_value *src,
                                     uint8_t **cursor) {
  size_t len = usnmp__value_bytes(src);
  *dst = *src;
  if (usnmp__value_has_bytes(src->type)) {
    if (len != 0)
      memcpy(*cursor, src->v.bytes.data, len);
    dst->v.bytes.data = *cursor;
    *cursor += len;
  }
}

/* Returns the bytes a copy of vb needs besides the struct: its name and
 * its value's bytes. */
static inline size_t usnmp__varbind_bytes(const usnmp_varbind *vb) {
  return vb->oid_len + usnmp__value_bytes(&vb->value);
}

/* Copies *src to *dst, its name and value bytes to *cursor (at least
 * usnmp__varbind_bytes(src) bytes), which advances past them.  Inline:
 * a walk copies every varbind it batches. */
static inline void usnmp__varbind_copy(usnmp_varbind *dst,
                                       const usnmp_varbind *src,
                                       uint8_t **cursor) {
  if (src->oid_len != 0)
    memcpy(*cursor, src->oid, src->oid_len);
  dst->oid = *cursor;
  dst->oid_len = src->oid_len;
  *cursor += src->oid_len;
  usnmp__value_copy(&dst->value, &src->value, cursor);
}

/* Returns the bytes n varbinds point to (names and values). */
size_t usnmp__varbinds_bytes(const usnmp_varbind *vbs, size_t n);

/* Copies n varbinds to dst[] and the bytes they point to to *cursor
 * (usnmp__varbinds_bytes() of them; it advances past them). */
void usnmp__varbinds_copy(usnmp_varbind *dst, const usnmp_varbind *src,
                          size_t n, uint8_t **cursor);

/* Copies n varbinds and what they point to into one block of size bytes
 * (n * sizeof *vbs + usnmp__varbinds_bytes()) from a; the array starts
 * the block, so one usnmp__dealloc() frees it.  Returns the copy, or NULL
 * (no memory). */
usnmp_varbind *usnmp__varbinds_dup(const usnmp_allocator *a,
                                   const usnmp_varbind *vbs, size_t n,
                                   size_t size);

/* Re-points n copied varbinds whose bytes moved from old to now (a
 * buffer that grew). */
void usnmp__varbinds_rebase(usnmp_varbind *vbs, size_t n, const uint8_t *old,
                            uint8_t *now);

#endif /* USNMP_VARBINDS_H */
