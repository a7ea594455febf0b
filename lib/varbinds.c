/*
 * Deep copies of values and varbinds: the varbinds and values of a reply
 * point into its datagram; these copy them, with their bytes, into a
 * block the caller allocated (one allocation per list), or into one block
 * they allocate, and re-point a copy whose bytes moved.
 */
#include <string.h>

#include "alloc.h"
#include "varbinds.h"

size_t usnmp__varbinds_bytes(const usnmp_varbind *vbs, size_t n) {
  size_t size = 0;
  for (size_t i = 0; i < n; i++)
    size += usnmp__varbind_bytes(&vbs[i]);
  return size;
}

void usnmp__varbinds_copy(usnmp_varbind *dst, const usnmp_varbind *src,
                          size_t n, uint8_t **cursor) {
  for (size_t i = 0; i < n; i++)
    usnmp__varbind_copy(&dst[i], &src[i], cursor);
}

usnmp_varbind *usnmp__varbinds_dup(const usnmp_allocator *a,
                                   const usnmp_varbind *vbs, size_t n,
                                   size_t size) {
  usnmp_varbind *copy = usnmp__alloc(a, size);
  uint8_t *cursor;
  if (copy == NULL)
    return NULL;
  cursor = (uint8_t *)(copy + n);
  usnmp__varbinds_copy(copy, vbs, n, &cursor);
  return copy;
}

void usnmp__varbinds_rebase(usnmp_varbind *vbs, size_t n, const uint8_t *old,
                            uint8_t *now) {
  for (size_t i = 0; i < n; i++) {
    usnmp_varbind *v = &vbs[i];
    v->oid = now + (v->oid - old);
    if (usnmp__value_has_bytes(v->value.type))
      v->value.v.bytes.data = now + (v->value.v.bytes.data - old);
  }
}
