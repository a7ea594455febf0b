/*
 * Values of every kind that net-snmp prints differently under its -O
 * output flags, shared by test/cli_agent.c (which serves value N at
 * .1.3.6.1.4.1.99999.2.N for test/test_cli.sh) and test/test_format_flags.c
 * (which holds what net-snmp 5.9.3's snmpget printed for each of them):
 * text, text with quotes, backslashes and line breaks, binary strings
 * shorter and longer than a 16-octet dump line, exactly 16 octets, every
 * integer type at its limits, TimeTicks of less than a day, one day and
 * many days, IpAddress, OIDs, NULL, a raw Opaque and each of net-snmp's
 * Opaque-wrapped Float, Double, Counter64, Int64 and UInt64.
 */
#ifndef USNMP_TEST_TYPED_VALUES_H
#define USNMP_TEST_TYPED_VALUES_H

#include <stddef.h>
#include <stdint.h>

#include "usnmp.h"

typedef struct usnmp_test_typed_value {
  usnmp_type type;
  const char *bytes; /* strings, IpAddress, Opaque; the OID in text */
  size_t len;
  uint64_t num; /* numbers (INTEGER as two's complement) */
} usnmp_test_typed_value;

/* Entry N - 1 is value N. */
static const usnmp_test_typed_value usnmp_test_typed_values[] = {
    {USNMP_TYPE_OCTET_STRING, "plain text", 10, 0},
    {USNMP_TYPE_OCTET_STRING, "a \"quoted\" \\ back", 17, 0},
    {USNMP_TYPE_OCTET_STRING, "line1\r\nline2\ttab", 16, 0},
    {USNMP_TYPE_OCTET_STRING, "", 0, 0},
    {USNMP_TYPE_OCTET_STRING, "\x00\x01\xff\x7f", 4, 0},
    {USNMP_TYPE_OCTET_STRING,
     "\x80\x00\x1f\x88"
     "abcdefghijkl",
     16, 0},
    {USNMP_TYPE_OCTET_STRING,
     "binary \x01 with \"quotes\" and more than 16 octets", 45, 0},
    {USNMP_TYPE_OCTET_STRING,
     "\x00\x11\x22\x33\x44\x55\x66\x77\x88\x99\xaa\xbb\xcc\xdd\xee\xff"
     "\x00\x11\x22\x33\x44\x55\x66\x77\x88\x99\xaa\xbb\xcc\xdd\xee\xff\x42",
     33, 0},
    {USNMP_TYPE_OCTET_STRING, "caf\xc3\xa9", 5, 0},
    {USNMP_TYPE_INTEGER, NULL, 0, 0},
    {USNMP_TYPE_INTEGER, NULL, 0, (uint64_t)INT64_C(-2147483648)},
    {USNMP_TYPE_INTEGER, NULL, 0, 2147483647},
    {USNMP_TYPE_COUNTER32, NULL, 0, 4294967295u},
    {USNMP_TYPE_GAUGE32, NULL, 0, 42},
    {USNMP_TYPE_COUNTER64, NULL, 0, UINT64_MAX},
    {USNMP_TYPE_TIMETICKS, NULL, 0, 123},
    {USNMP_TYPE_TIMETICKS, NULL, 0, 8640000 + 360000 * 3 + 6000 * 4 + 505},
    {USNMP_TYPE_TIMETICKS, NULL, 0, 4294967295u},
    {USNMP_TYPE_IPADDRESS, "\x0a\x01\x02\xfe", 4, 0},
    {USNMP_TYPE_OID, "1.3.6.1.4.1.8072.3.2.10", 0, 0},
    {USNMP_TYPE_OID, "0.0", 0, 0},
    {USNMP_TYPE_NULL, NULL, 0, 0},
    {USNMP_TYPE_OPAQUE, "\x01\x02\x41\x42", 4, 0},
    {USNMP_TYPE_OPAQUE, "\x9f\x78\x04\x3f\xc0\x00\x00", 7, 0},
    {USNMP_TYPE_OPAQUE, "\x9f\x79\x08\xc0\x04\x00\x00\x00\x00\x00\x00", 11, 0},
    {USNMP_TYPE_OPAQUE, "\x9f\x76\x02\x01\x00", 5, 0},
    {USNMP_TYPE_OPAQUE, "\x9f\x7a\x01\xfb", 4, 0},
    {USNMP_TYPE_OPAQUE, "\x9f\x7b\x09\x00\xff\xff\xff\xff\xff\xff\xff\xff", 12,
     0},
    {USNMP_TYPE_OPAQUE, "opaque bytes longer than sixteen", 32, 0},
};

#define USNMP_TEST_TYPED_VALUES                                                \
  (sizeof usnmp_test_typed_values / sizeof usnmp_test_typed_values[0])

/* Makes value i (0-based) of the table; an OID's BER goes into oid_buf
 * (oid_size bytes).  Returns 0, or -1 when the OID does not fit. */
static inline int usnmp_test_typed_value_make(size_t i, usnmp_value *v,
                                              uint8_t *oid_buf,
                                              size_t oid_size) {
  const usnmp_test_typed_value *t = &usnmp_test_typed_values[i];
  memset(v, 0, sizeof *v);
  v->type = t->type;
  switch (t->type) {
  case USNMP_TYPE_INTEGER:
    v->v.integer = (int32_t)(int64_t)t->num;
    return 0;
  case USNMP_TYPE_COUNTER32:
  case USNMP_TYPE_GAUGE32:
  case USNMP_TYPE_TIMETICKS:
    v->v.u32 = (uint32_t)t->num;
    return 0;
  case USNMP_TYPE_COUNTER64:
    v->v.u64 = t->num;
    return 0;
  case USNMP_TYPE_OID: {
    usnmp_oid oid;
    if (usnmp_oid_parse(&oid, t->bytes) < 0)
      return -1;
    return usnmp_value_oid(v, oid_buf, oid_size, &oid) < 0 ? -1 : 0;
  }
  case USNMP_TYPE_NULL:
    return 0;
  default:
    v->v.bytes.data = (const uint8_t *)t->bytes;
    v->v.bytes.len = t->len;
    return 0;
  }
}

#endif /* USNMP_TEST_TYPED_VALUES_H */
