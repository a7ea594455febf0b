/*
 * Deep copies of values and varbinds: the varbinds and values of a reply
 * point into its datagram; these copy them, with their bytes, into a
 * block the caller allocated (one allocation per list).
 */
#include <string.h>

#include "pdu.h"
#include "varbinds.h"

size_t usnmp__value_bytes(const usnmp_value *v) {
  return usnmp__value_has_bytes(v->type) ? v->v.bytes.len : 0;
}

void usnmp__value_copy(usnmp_value *dst, const usnmp_value *src,
                       uint8_t **cursor) {
  size_t len = usnmp__value_bytes(src);
  *dst = *src;
  if (len != 0) {
    memcpy(*cursor, src->v.bytes.data, len);
    dst->v.bytes.data = *cursor;
    *cursor += len;
  }
}

size_t usnmp__varbinds_bytes(const usnmp_varbind *vbs, size_t n) {
  size_t size = 0;
  for (size_t i = 0; i < n; i++)
    size += vbs[i].oid_len + usnmp__value_bytes(&vbs[i].value);
  return size;
}

void usnmp__varbinds_copy(usnmp_varbind *dst, const usnmp_varbind *src,
                          size_t n, uint8_t **cursor) {
  for (size_t i = 0; i < n; i++) {
    if (src[i].oid_len != 0)
      memcpy(*cursor, src[i].oid, src[i].oid_len);
    dst[i].oid = *cursor;
    dst[i].oid_len = src[i].oid_len;
    *cursor += src[i].oid_len;
    usnmp__value_copy(&dst[i].value, &src[i].value, cursor);
  }
}
