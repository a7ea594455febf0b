/*
 * Copies of varbinds into one block (see varbind.h): the size, the copy
 * and the re-pointing after a move.
 */
#include "varbind.h"

#include "alloc.h"

size_t usnmp__varbinds_size(const usnmp_varbind *vbs, size_t n) {
  size_t size = n * sizeof *vbs;
  for (size_t i = 0; i < n; i++)
    size += usnmp__varbind_extra(&vbs[i]);
  return size;
}

usnmp_varbind *usnmp__varbinds_copy(const usnmp_allocator *a,
                                    const usnmp_varbind *vbs, size_t n,
                                    size_t size) {
  usnmp_varbind *copy = usnmp__alloc(a, size);
  uint8_t *space;
  if (copy == NULL)
    return NULL;
  space = (uint8_t *)(copy + n);
  for (size_t i = 0; i < n; i++)
    usnmp__varbind_copy(&copy[i], &vbs[i], &space);
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
