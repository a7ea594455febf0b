/*
 * SMI values: builders and native readers.  The wire encoding of values is
 * part of the PDU codec (lib/pdu.c), where it runs inline per varbind.
 */
#include <string.h>

#include "ber.h"
#include "pdu.h"
#include "usnmp.h"

usnmp_value usnmp_value_integer(int32_t v) {
  usnmp_value value = {.type = USNMP_TYPE_INTEGER};
  value.v.integer = v;
  return value;
}

/* The three 32-bit unsigned types differ only in their tag. */
static usnmp_value unsigned32(usnmp_type type, uint32_t v) {
  usnmp_value value = {.type = type};
  value.v.u32 = v;
  return value;
}

usnmp_value usnmp_value_counter32(uint32_t v) {
  return unsigned32(USNMP_TYPE_COUNTER32, v);
}

usnmp_value usnmp_value_gauge32(uint32_t v) {
  return unsigned32(USNMP_TYPE_GAUGE32, v);
}

usnmp_value usnmp_value_timeticks(uint32_t v) {
  return unsigned32(USNMP_TYPE_TIMETICKS, v);
}

usnmp_value usnmp_value_counter64(uint64_t v) {
  usnmp_value value = {.type = USNMP_TYPE_COUNTER64};
  value.v.u64 = v;
  return value;
}

usnmp_value usnmp_value_null(void) {
  usnmp_value value = {.type = USNMP_TYPE_NULL};
  return value;
}

static usnmp_value bytes_of(usnmp_type type, const void *data, size_t len) {
  usnmp_value value = {.type = type};
  value.v.bytes.data = data;
  value.v.bytes.len = len;
  return value;
}

usnmp_value usnmp_value_octets(const void *data, size_t len) {
  return bytes_of(USNMP_TYPE_OCTET_STRING, data, len);
}

usnmp_value usnmp_value_string(const char *s) {
  return bytes_of(USNMP_TYPE_OCTET_STRING, s, s ? strlen(s) : 0);
}

usnmp_value usnmp_value_opaque(const void *data, size_t len) {
  return bytes_of(USNMP_TYPE_OPAQUE, data, len);
}

usnmp_value usnmp_value_ipaddress(const uint8_t addr[4]) {
  return bytes_of(USNMP_TYPE_IPADDRESS, addr, 4);
}

int usnmp_value_oid(usnmp_value *value, uint8_t *storage, size_t size,
                    const usnmp_oid *oid) {
  int n;
  if (value == NULL)
    return USNMP_E_INVAL;
  n = usnmp_oid_to_ber(storage, size, oid);
  if (n < 0)
    return n;
  *value = bytes_of(USNMP_TYPE_OID, storage, (size_t)n);
  return 0;
}

int usnmp_value_get_int(const usnmp_value *v, int32_t *out) {
  if (v == NULL || out == NULL || v->type != USNMP_TYPE_INTEGER)
    return USNMP_E_INVAL;
  *out = v->v.integer;
  return 0;
}

int usnmp_value_get_uint64(const usnmp_value *v, uint64_t *out) {
  if (v == NULL || out == NULL)
    return USNMP_E_INVAL;
  switch (v->type) {
  case USNMP_TYPE_COUNTER32:
  case USNMP_TYPE_GAUGE32:
  case USNMP_TYPE_TIMETICKS:
    *out = v->v.u32;
    return 0;
  case USNMP_TYPE_COUNTER64:
    *out = v->v.u64;
    return 0;
  default:
    return USNMP_E_INVAL;
  }
}

int usnmp_value_get_bytes(const usnmp_value *v, const uint8_t **data,
                          size_t *len) {
  if (v == NULL || data == NULL || len == NULL)
    return USNMP_E_INVAL;
  /* The types whose content is raw octets; an OID's content octets are
   * read with usnmp_value_get_oid(). */
  if (v->type != USNMP_TYPE_OCTET_STRING && v->type != USNMP_TYPE_OPAQUE &&
      v->type != USNMP_TYPE_IPADDRESS)
    return USNMP_E_INVAL;
  *data = v->v.bytes.data;
  *len = v->v.bytes.len;
  return 0;
}

int usnmp_value_get_oid(const usnmp_value *v, usnmp_oid *out) {
  if (v == NULL || out == NULL || v->type != USNMP_TYPE_OID)
    return USNMP_E_INVAL;
  return usnmp_oid_from_ber(out, v->v.bytes.data, v->v.bytes.len);
}

int usnmp_value_get_ipaddress(const usnmp_value *v, uint8_t out[4]) {
  if (v == NULL || out == NULL || v->type != USNMP_TYPE_IPADDRESS)
    return USNMP_E_INVAL;
  if (v->v.bytes.len != 4)
    return USNMP_E_BAD_VALUE;
  memcpy(out, v->v.bytes.data, 4);
  return 0;
}

int usnmp_value_is_exception(const usnmp_value *v) {
  return v != NULL && (v->type == USNMP_TYPE_NOSUCHOBJECT ||
                       v->type == USNMP_TYPE_NOSUCHINSTANCE ||
                       v->type == USNMP_TYPE_ENDOFMIBVIEW);
}

int usnmp__undecodable_parts(const usnmp_value *v, uint8_t *tag,
                             const uint8_t **content, size_t *len) {
  usnmp__slice in, body;
  if (v->v.bytes.data == NULL)
    return USNMP_E_BAD_VALUE;
  usnmp__slice_init(&in, v->v.bytes.data, v->v.bytes.len);
  if (usnmp__ber_get_any(&in, tag, &body) < 0 || in.len != 0)
    return USNMP_E_BAD_VALUE;
  *content = body.data;
  *len = body.len;
  return 0;
}

int usnmp_value_get_undecodable(const usnmp_value *v, uint8_t *tag,
                                const uint8_t **content, size_t *len) {
  if (v == NULL || tag == NULL || content == NULL || len == NULL ||
      v->type != USNMP_TYPE_UNDECODABLE)
    return USNMP_E_INVAL;
  return usnmp__undecodable_parts(v, tag, content, len);
}
