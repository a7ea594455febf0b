/*
 * BER reading: the out-of-line parts of ber.h (long-form lengths, the
 * slow paths of integers, OID content checks and canonical OIDs, walking
 * constructed values of unknown meaning).
 */
#include "ber.h"

int usnmp__ber_long_length(const uint8_t *p, size_t avail, uint8_t first,
                           size_t *len, size_t *used) {
  size_t n = first & 0x7f;
  uint64_t v = 0;
  size_t i;
  /* The usual forms first: 81 xx for 128..255, 82 xx xx up to 65535. */
  if (n == 1 && avail >= 1) {
    *len = p[0];
    *used = 1;
    return p[0] < 0x80 ? USNMP__Q_LENGTH : 0;
  }
  if (n == 2 && avail >= 2) {
    *len = (size_t)p[0] << 8 | p[1];
    *used = 2;
    return p[0] == 0 ? USNMP__Q_LENGTH : 0;
  }
  if (n == 0)
    return USNMP_E_INDEFINITE_LENGTH;
  /* 0xff is reserved by X.690.  RFC 3417 section 8 permits more length
   * octets than needed, so leading zero octets are fine (net-snmp reads up
   * to eight), as long as the value could describe a datagram at all. */
  if (n > 8)
    return USNMP_E_BAD_LENGTH;
  if (n > avail)
    return USNMP_E_TRUNCATED;
  for (i = 0; i < n; i++)
    v = (v << 8) | p[i];
  if (v > UINT32_MAX)
    return USNMP_E_BAD_LENGTH;
  *len = (size_t)v;
  *used = n;
  /* Minimal: no leading zero octet, and no long form for a length the
   * short form can carry. */
  return (p[0] == 0 || v < 0x80) ? USNMP__Q_LENGTH : 0;
}

int usnmp__ber_int32_slow(const uint8_t *p, size_t n, int32_t *out) {
  uint32_t v;
  size_t i;
  int quirks = 0;
  if (n == 0)
    return USNMP_E_BAD_VALUE;
  /* An octet that only repeats the sign bit of the next adds nothing:
   * 02 02 00 05 is 5, 02 05 FF 80 00 00 00 is -2147483648. */
  while (n > 1 && ((p[0] == 0x00 && !(p[1] & 0x80)) ||
                   (p[0] == 0xff && (p[1] & 0x80)))) {
    p++;
    n--;
    quirks = USNMP__Q_INT_PAD;
  }
  if (n > 4)
    return USNMP_E_INT_OVERFLOW;
  v = (p[0] & 0x80) ? UINT32_MAX : 0;
  for (i = 0; i < n; i++)
    v = (v << 8) | p[i];
  *out = (int32_t)v;
  return quirks;
}

int usnmp__ber_uint_slow(const uint8_t *p, size_t n, size_t max_octets,
                         uint64_t *out) {
  uint64_t v = 0;
  size_t i;
  int quirks = 0;
  if (n == 0)
    return USNMP_E_BAD_VALUE;
  if (p[0] & 0x80) {
    /* The top bit set without the 00 octet: as an INTEGER this would be
     * negative, which no unsigned type holds, so the only meaning left is
     * the unsigned one the tag names (41 04 B3 99 9F CB is 3013189579,
     * 41 02 FF FF is 65535). */
    quirks = USNMP__Q_UINT_SIGN;
  } else {
    /* One 00 is needed before a first octet with its top bit set; any
     * other leading 00 is redundant. */
    while (n > 1 && p[0] == 0x00) {
      if (!(p[1] & 0x80))
        quirks = USNMP__Q_INT_PAD;
      p++;
      n--;
    }
  }
  /* Beyond the type's range: net-snmp keeps the low 32 bits of a 5-octet
   * Counter32, a value the agent never sent; we refuse it. */
  if (n > max_octets)
    return USNMP_E_INT_OVERFLOW;
  for (i = 0; i < n; i++)
    v = (v << 8) | p[i];
  *out = v;
  return quirks;
}

int usnmp__ber_oid_check_general(const uint8_t *p, size_t n) {
  size_t subids = 0;
  size_t start = 0; /* first octet of the current sub-identifier */
  size_t i;
  int quirks = 0;
  if (n == 0 || (p[n - 1] & 0x80))
    return USNMP_E_BAD_OID; /* empty, or the last sub-identifier is
                               unterminated */
  /* One pass; the work is done at each sub-identifier's last octet (the
   * one with the top bit clear). */
  for (i = 0; i < n; i++) {
    size_t len;
    if (p[i] & 0x80)
      continue;
    /* A leading 0x80 is padding: it adds no bits to the value, so the
     * sub-identifier still has one meaning (net-snmp reads it).  Skip it
     * before measuring: five octets carry 35 bits, and 2^32-1 needs the
     * first of them to be at most 0x8f; six never fit. */
    while (p[start] == 0x80) {
      start++;
      quirks = USNMP__Q_OID_PAD;
    }
    len = i - start + 1;
    if (len > 5 || (len == 5 && p[start] > 0x8f))
      return USNMP_E_OID_SUBID_OVERFLOW;
    subids++;
    start = i + 1;
  }
  /* The first sub-identifier carries the first two arcs. */
  if (subids + 1 > USNMP_OID_MAX_LEN)
    return USNMP_E_OID_TOO_LONG;
  return quirks;
}

size_t usnmp__ber_oid_canon(uint8_t *dst, const uint8_t *src, size_t n) {
  size_t out = 0;
  int at_start = 1; /* src[i] begins a sub-identifier */
  for (size_t i = 0; i < n; i++) {
    uint8_t b = src[i];
    if (at_start && b == 0x80)
      continue; /* padding: the sub-identifier still starts at i + 1 */
    if (dst != NULL)
      dst[out] = b;
    out++;
    at_start = !(b & 0x80);
  }
  return out;
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
