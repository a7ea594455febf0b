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

/* Returns 1 when no octet of p[0..n) has its top bit set, that is when
 * every sub-identifier is a single octet (the common case: most arcs of
 * real OIDs are below 128).  Eight octets at a time. */
static int all_single_octets(const uint8_t *p, size_t n) {
  uint64_t acc = 0;
  size_t i = 0;
  for (; i + 8 <= n; i += 8) {
    uint64_t w;
    memcpy(&w, p + i, 8);
    acc |= w;
  }
  for (; i < n; i++)
    acc |= p[i];
  return (acc & UINT64_C(0x8080808080808080)) == 0;
}

int usnmp__ber_oid_check(const uint8_t *p, size_t n) {
  /* The first sub-identifier carries the first two arcs. */
  size_t arcs = 1;
  size_t i = 0;
  if (n == 0)
    return USNMP_E_BAD_OID;
  if (all_single_octets(p, n))
    return n + 1 > USNMP_OID_MAX_LEN ? USNMP_E_OID_TOO_LONG : 0;
  while (i < n) {
    size_t start = i;
    /* 0x80 as the first octet of a sub-identifier is padding that makes
     * the same number encodable in many ways. */
    if (p[i] == 0x80)
      return USNMP_E_BAD_OID;
    while (i < n && (p[i] & 0x80))
      i++;
    if (i == n)
      return USNMP_E_BAD_OID; /* the last sub-identifier is unterminated */
    i++;
    /* Five octets carry 35 bits; 2^32-1 needs the first to be at most
     * 0x8f.  Six or more octets never fit. */
    if (i - start > 5 || (i - start == 5 && p[start] > 0x8f))
      return USNMP_E_OID_SUBID_OVERFLOW;
    if (++arcs > USNMP_OID_MAX_LEN)
      return USNMP_E_OID_TOO_LONG;
  }
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
