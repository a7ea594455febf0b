/*
 * Object identifiers: dotted text, BER content octets, ordering.
 */
#include <string.h>

#include "ber.h"
#include "usnmp.h"

/* The first BER sub-identifier is 40 * arc0 + arc1, so under arc 2 the
 * second arc may go up to 2^32-1 - 80 before that sum overflows. */
#define SECOND_ARC_MAX_UNDER_2 (UINT32_MAX - 80u)

/* Checks the first-arc rules of X.690 8.19.4 on an OID's first two arcs:
 * arc0 is 0, 1 or 2; under 0 and 1 arc1 is below 40. */
static int check_first_arcs(const usnmp_oid *oid) {
  if (oid->arcs[0] > 2)
    return USNMP_E_BAD_OID;
  if (oid->len < 2)
    return 0;
  if (oid->arcs[0] < 2 && oid->arcs[1] >= 40)
    return USNMP_E_BAD_OID;
  if (oid->arcs[0] == 2 && oid->arcs[1] > SECOND_ARC_MAX_UNDER_2)
    return USNMP_E_OID_SUBID_OVERFLOW;
  return 0;
}

/* The three top-level arcs that net-snmp names without any MIB module
 * loaded: "iso.3.6.1" and ".iso.3.6.1" (what it prints with -OS and -Of)
 * parse like "1.3.6.1". */
static const struct {
  const char *name;
  size_t len;
  uint32_t arc;
} top_arcs[] = {
    {"ccitt", 5, 0},
    {"iso", 3, 1},
    {"joint-iso-ccitt", 15, 2},
};

/* Tells whether text, which did not parse, names a MIB object
 * ("sysDescr.0", "IF-MIB::ifDescr.1", "1.3.6.1.2.1.1.sysDescr"): a
 * module-qualified name, or an arc that starts with a letter as MIB
 * labels do.  "1.3.6.1x" is a typo, not a name. */
static int is_mib_name(const char *text) {
  const char *p = text;
  if (strstr(text, "::") != NULL)
    return 1;
  for (;;) {
    if (*p == '.')
      p++;
    if ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z'))
      return 1;
    p = strchr(p, '.');
    if (p == NULL)
      return 0;
  }
}

int usnmp_oid_parse(usnmp_oid *oid, const char *text) {
  const char *p = text;
  uint32_t n = 0;
  if (oid == NULL || text == NULL)
    return USNMP_E_INVAL;
  if (*p == '.')
    p++;
  /* rest: what follows a top-level name, the text to blame on failure
   * ("iso." is a syntax error, "iso.org" a name). */
  const char *rest = text;
  for (size_t i = 0; i < sizeof top_arcs / sizeof top_arcs[0]; i++)
    if (strncmp(p, top_arcs[i].name, top_arcs[i].len) == 0 &&
        (p[top_arcs[i].len] == '.' || p[top_arcs[i].len] == '\0')) {
      oid->arcs[n++] = top_arcs[i].arc;
      p += top_arcs[i].len;
      if (*p == '\0') {
        oid->len = n;
        return 0;
      }
      p++;
      rest = p;
      break;
    }
  for (;;) {
    uint64_t v = 0;
    const char *start = p;
    while (*p >= '0' && *p <= '9') {
      v = v * 10 + (uint64_t)(*p - '0');
      /* Stop accumulating before uint64_t could wrap on absurd input. */
      if (v > UINT32_MAX)
        return USNMP_E_OID_SUBID_OVERFLOW;
      p++;
    }
    if (p == start) /* empty arc: "", "1..3", "1.3."; or a name */
      return is_mib_name(rest) ? USNMP_E_MIB_NAME : USNMP_E_BAD_OID;
    if (n == USNMP_OID_MAX_LEN)
      return USNMP_E_OID_TOO_LONG;
    oid->arcs[n++] = (uint32_t)v;
    if (*p == '\0')
      break;
    if (*p != '.')
      return is_mib_name(rest) ? USNMP_E_MIB_NAME : USNMP_E_BAD_OID;
    p++;
  }
  oid->len = n;
  return check_first_arcs(oid);
}

/* Writes the decimal digits of v backwards ending at end; returns the
 * number of digits. */
static size_t put_decimal(char *end, uint32_t v) {
  size_t n = 0;
  do {
    *--end = (char)('0' + v % 10);
    v /= 10;
    n++;
  } while (v);
  return n;
}

int usnmp_oid_format(char *buf, size_t size, const usnmp_oid *oid) {
  size_t total = 0;
  uint32_t i;
  if (oid == NULL || oid->len > USNMP_OID_MAX_LEN || (buf == NULL && size))
    return USNMP_E_INVAL;
  for (i = 0; i < oid->len; i++) {
    char digits[10];
    size_t n = put_decimal(digits + sizeof digits, oid->arcs[i]);
    /* Copy what still fits, keeping room for the NUL; keep counting. */
    if (total + 1 < size)
      buf[total] = '.';
    for (size_t k = 0; k < n; k++)
      if (total + 1 + k + 1 < size)
        buf[total + 1 + k] = digits[sizeof digits - n + k];
    total += 1 + n;
  }
  if (size)
    buf[total < size ? total : size - 1] = '\0';
  return (int)total;
}

int usnmp_oid_cmp(const usnmp_oid *a, const usnmp_oid *b) {
  uint32_t n = a->len < b->len ? a->len : b->len;
  uint32_t i;
  for (i = 0; i < n; i++)
    if (a->arcs[i] != b->arcs[i])
      return a->arcs[i] < b->arcs[i] ? -1 : 1;
  return a->len < b->len ? -1 : a->len > b->len ? 1 : 0;
}

int usnmp_oid_is_prefix(const usnmp_oid *prefix, const usnmp_oid *oid) {
  if (prefix->len > oid->len)
    return 0;
  return memcmp(prefix->arcs, oid->arcs, prefix->len * sizeof(uint32_t)) == 0;
}

int usnmp_oid_from_ber(usnmp_oid *oid, const uint8_t *ber, size_t len) {
  uint32_t n = 0;
  size_t i = 0;
  int rc;
  if (oid == NULL || (ber == NULL && len))
    return USNMP_E_INVAL;
  /* After the check every sub-identifier is terminated, fits 32 bits and
   * there are at most USNMP_OID_MAX_LEN arcs, so the loop needs no more
   * bounds tests than its own. */
  rc = usnmp__ber_oid_check(ber, len);
  if (rc < 0)
    return rc;
  while (i < len) {
    uint32_t v = 0;
    while (ber[i] & 0x80)
      v = (v << 7) | (ber[i++] & 0x7f);
    v = (v << 7) | ber[i++];
    if (n == 0) {
      uint32_t first = v < 40 ? 0 : v < 80 ? 1 : 2;
      oid->arcs[0] = first;
      oid->arcs[1] = v - 40 * first;
      n = 2;
    } else {
      oid->arcs[n++] = v;
    }
  }
  oid->len = n;
  return 0;
}

int usnmp_oid_to_ber(uint8_t *buf, size_t size, const usnmp_oid *oid) {
  size_t out = 0;
  uint32_t i;
  int rc;
  if (oid == NULL || (buf == NULL && size))
    return USNMP_E_INVAL;
  if (oid->len > USNMP_OID_MAX_LEN)
    return USNMP_E_OID_TOO_LONG;
  if (oid->len < 2)
    return USNMP_E_BAD_OID;
  rc = check_first_arcs(oid);
  if (rc < 0)
    return rc;
  for (i = 1; i < oid->len; i++) {
    uint32_t v = i == 1 ? oid->arcs[0] * 40 + oid->arcs[1] : oid->arcs[i];
    uint8_t tmp[5];
    size_t n = 0;
    /* Base 128, most significant group first, continuation bit on all
     * groups but the last. */
    do {
      tmp[4 - n] = (uint8_t)((v & 0x7f) | (n ? 0x80 : 0));
      v >>= 7;
      n++;
    } while (v);
    if (n > size - out)
      return USNMP_E_NOBUFS;
    memcpy(buf + out, tmp + 5 - n, n);
    out += n;
  }
  return (int)out;
}
