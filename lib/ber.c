/*
 * BER reading: the out-of-line parts of ber.h (long-form lengths, OID
 * content checks, walking constructed values of unknown meaning).
 */
#include "ber.h"

int usnmp__ber_long_length(const uint8_t *p, size_t avail, uint8_t first,
                           size_t *len, size_t *used) {
  size_t n = first & 0x7f;
  size_t v = 0;
  size_t i;
  if (n == 0)
    return USNMP_E_INDEFINITE_LENGTH;
  /* 0xff is reserved by X.690; five or more octets would describe more
   * than any datagram holds. */
  if (n > 4)
    return USNMP_E_BAD_LENGTH;
  if (n > avail)
    return USNMP_E_TRUNCATED;
  /* Minimal only: no leading zero octet, and no long form for a length
   * the short form can carry.  net-snmp 5.9 never sends either, and
   * refusing them keeps decode-then-encode byte-identical. */
  if (p[0] == 0)
    return USNMP_E_BAD_LENGTH;
  for (i = 0; i < n; i++)
    v = (v << 8) | p[i];
  if (v < 0x80)
    return USNMP_E_BAD_LENGTH;
  *len = v;
  *used = n;
  return 0;
}

int usnmp__ber_oid_check_general(const uint8_t *p, size_t n) {
  size_t subids = 0;
  size_t start = 0; /* first octet of the current sub-identifier */
  size_t i;
  if (n == 0 || (p[n - 1] & 0x80))
    return USNMP_E_BAD_OID; /* empty, or the last sub-identifier is
                               unterminated */
  /* One pass; the work is done at each sub-identifier's last octet (the
   * one with the top bit clear). */
  for (i = 0; i < n; i++) {
    size_t len;
    if (p[i] & 0x80)
      continue;
    len = i - start + 1;
    if (len > 1) {
      /* A leading 0x80 is padding that would make the same number
       * encodable in many ways.  Five octets carry 35 bits, and 2^32-1
       * needs the first of them to be at most 0x8f; six never fit. */
      if (p[start] == 0x80)
        return USNMP_E_BAD_OID;
      if (len > 5 || (len == 5 && p[start] > 0x8f))
        return USNMP_E_OID_SUBID_OVERFLOW;
    }
    subids++;
    start = i + 1;
  }
  /* The first sub-identifier carries the first two arcs. */
  if (subids + 1 > USNMP_OID_MAX_LEN)
    return USNMP_E_OID_TOO_LONG;
  return 0;
}

int usnmp__ber_walk(const usnmp__slice *body) {
  usnmp__slice in = *body;
  while (in.len) {
    usnmp__slice child;
    uint8_t tag;
    int rc = usnmp__ber_get_any(&in, &tag, &child);
    if (rc < 0)
      return rc;
    /* Recursion is bounded: every level adds one to the depth, which
     * usnmp__ber_get_any() caps at USNMP_MAX_DEPTH. */
    if (tag & USNMP__TAG_CONSTRUCTED) {
      rc = usnmp__ber_walk(&child);
      if (rc < 0)
        return rc;
    }
  }
  return 0;
}
