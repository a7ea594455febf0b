/*
 * Copies of varbinds: the one deep copy that the manager (merging a split
 * request's answers), walks (batches, the end varbind), tables (cells)
 * and the blocking layer (owned lists) use to keep what a callback gave
 * them, since decoded names and values point into the datagram and live
 * only for the callback.
 */
#ifndef USNMP_VARBIND_H
#define USNMP_VARBIND_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "pdu.h" /* usnmp__value_has_bytes */
#include "usnmp.h"

/* The most bytes a BER-encoded OID of USNMP_OID_MAX_LEN arcs takes (five
 * per arc of 32 bits): the size of a buffer that holds any name. */
#define USNMP__OID_BER_MAX (USNMP_OID_MAX_LEN * 5)

/* Returns the bytes the value points at (0 for a scalar). */
static inline size_t usnmp__value_extra(const usnmp_value *v) {
  return usnmp__value_has_bytes(v->type) ? v->v.bytes.len : 0;
}

/* Returns the bytes a copy of vb needs besides the struct: its name and
 * its value's bytes. */
static inline size_t usnmp__varbind_extra(const usnmp_varbind *vb) {
  return vb->oid_len + usnmp__value_extra(&vb->value);
}

/* Copies *src into *dst, its bytes (if any) to *space, which advances
 * past them; dst then points there. */
static inline void usnmp__value_copy(usnmp_value *dst, const usnmp_value *src,
                                     uint8_t **space) {
  size_t len = usnmp__value_extra(src);
  *dst = *src;
  if (usnmp__value_has_bytes(src->type)) {
    if (len != 0)
      memcpy(*space, src->v.bytes.data, len);
    dst->v.bytes.data = *space;
    *space += len;
  }
}

/* Copies *src into *dst, its name and value bytes to *space (at least
 * usnmp__varbind_extra(src) bytes), which advances past them. */
static inline void usnmp__varbind_copy(usnmp_varbind *dst,
                                       const usnmp_varbind *src,
                                       uint8_t **space) {
  if (src->oid_len != 0)
    memcpy(*space, src->oid, src->oid_len);
  dst->oid = *space;
  dst->oid_len = src->oid_len;
  *space += src->oid_len;
  usnmp__value_copy(&dst->value, &src->value, space);
}

/* Returns the size of the one block usnmp__varbinds_copy() makes of n
 * varbinds: the array and every byte they point at. */
size_t usnmp__varbinds_size(const usnmp_varbind *vbs, size_t n);

/* Copies n varbinds and what they point to into one block of size bytes
 * (usnmp__varbinds_size()) from a; the array starts the block, so one
 * usnmp__dealloc() frees it.  Returns the copy, or NULL (no memory). */
usnmp_varbind *usnmp__varbinds_copy(const usnmp_allocator *a,
                                    const usnmp_varbind *vbs, size_t n,
                                    size_t size);

/* Re-points n copied varbinds whose bytes moved from old to now (a
 * buffer that grew). */
void usnmp__varbinds_rebase(usnmp_varbind *vbs, size_t n, const uint8_t *old,
                            uint8_t *now);

#endif /* USNMP_VARBIND_H */
