/*
 * The values of `usnmp set`: net-snmp's TYPE letters and VALUE notations,
 * encoded as snmpset encodes them (test/test_cli.sh compares the requests
 * byte for byte).
 */
#include "cli.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

/* Parses a whole decimal number in [min, max]; returns 0 or -1. */
static int parse_integer(const char *s, long long min, long long max,
                         long long *out) {
  char *end;
  errno = 0;
  long long v = strtoll(s, &end, 10);
  if (end == s || *end != '\0' || errno == ERANGE || v < min || v > max)
    return -1;
  *out = v;
  return 0;
}

static int parse_unsigned64(const char *s, uint64_t *out) {
  char *end;
  while (*s == ' ' || *s == '\t')
    s++;
  if (*s == '-')
    return -1;
  errno = 0;
  unsigned long long v = strtoull(s, &end, 10);
  if (end == s || *end != '\0' || errno == ERANGE)
    return -1;
  *out = v;
  return 0;
}

static int hex_digit(int ch) {
  if (ch >= '0' && ch <= '9')
    return ch - '0';
  if (ch >= 'a' && ch <= 'f')
    return ch - 'a' + 10;
  if (ch >= 'A' && ch <= 'F')
    return ch - 'A' + 10;
  return -1;
}

/* 'x': an optional 0x, then pairs of hex digits; blanks may separate the
 * pairs, as net-snmp accepts ("41 42 43", "0x414243"). */
static int parse_hex(const char *s, uint8_t *out, size_t *len) {
  size_t n = 0;
  if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X'))
    s += 2;
  while (*s) {
    if (*s == ' ' || *s == '\t') {
      s++;
      continue;
    }
    int hi = hex_digit((unsigned char)s[0]);
    int lo = hi < 0 ? -1 : hex_digit((unsigned char)s[1]);
    if (lo < 0)
      return -1;
    out[n++] = (uint8_t)(hi << 4 | lo);
    s += 2;
  }
  *len = n;
  return 0;
}

/* 'd': decimal octets separated by dots or blanks ("65.66.67"). */
static int parse_decimal_string(const char *s, uint8_t *out, size_t *len) {
  size_t n = 0;
  while (*s) {
    if (*s == '.' || *s == ' ' || *s == '\t') {
      s++;
      continue;
    }
    if (*s < '0' || *s > '9')
      return -1;
    unsigned v = 0;
    while (*s >= '0' && *s <= '9') {
      v = v * 10 + (unsigned)(*s++ - '0');
      if (v > 255)
        return -1;
    }
    out[n++] = (uint8_t)v;
  }
  *len = n;
  return 0;
}

/* 'b': bit numbers separated by blanks or commas; bit 0 is the high bit
 * of the first octet (the BITS construct of RFC 2578). */
#define BITS_MAX 65535
static int parse_bits(const char *s, uint8_t *out, size_t *len) {
  size_t n = 0;
  while (*s) {
    if (*s == ' ' || *s == '\t' || *s == ',') {
      s++;
      continue;
    }
    char *end;
    errno = 0;
    long bit = strtol(s, &end, 10);
    if (end == s || errno == ERANGE || bit < 0 || bit > BITS_MAX ||
        (*end != '\0' && *end != ' ' && *end != '\t' && *end != ','))
      return -1;
    size_t byte = (size_t)bit / 8;
    while (n <= byte)
      out[n++] = 0;
    out[byte] |= (uint8_t)(0x80u >> (bit % 8));
    s = end;
  }
  *len = n;
  return 0;
}

/* net-snmp's Opaque-wrapped special types (U, I, F, D): the value is an
 * Opaque whose content is a BER item with a two-octet tag 9f 7x. */
static size_t opaque_special(uint8_t *out, uint8_t tag2, const uint8_t *body,
                             size_t body_len) {
  out[0] = 0x9f;
  out[1] = tag2;
  out[2] = (uint8_t)body_len;
  memcpy(out + 3, body, body_len);
  return 3 + body_len;
}

/* Minimal two's-complement content octets of v. */
static size_t int64_octets(uint8_t *out, int64_t v) {
  uint8_t tmp[8];
  for (int i = 0; i < 8; i++)
    tmp[i] = (uint8_t)((uint64_t)v >> (56 - 8 * i));
  size_t skip = 0;
  while (skip < 7 && ((tmp[skip] == 0x00 && !(tmp[skip + 1] & 0x80)) ||
                      (tmp[skip] == 0xff && (tmp[skip + 1] & 0x80))))
    skip++;
  memcpy(out, tmp + skip, 8 - skip);
  return 8 - skip;
}

/* Minimal unsigned content octets of v (a leading zero when the high bit
 * is set). */
static size_t uint64_octets(uint8_t *out, uint64_t v) {
  uint8_t tmp[9];
  tmp[0] = 0;
  for (int i = 0; i < 8; i++)
    tmp[1 + i] = (uint8_t)(v >> (56 - 8 * i));
  size_t skip = 0;
  while (skip < 8 && tmp[skip] == 0x00 && !(tmp[skip + 1] & 0x80))
    skip++;
  memcpy(out, tmp + skip, 9 - skip);
  return 9 - skip;
}

size_t usnmp__cli_value_storage(const char *text) {
  /* A string, hex or decimal octets (never more than the text), bits (at
   * most BITS_MAX / 8 + 1 octets), an OID, an Opaque: all fit. */
  return strlen(text) + 5 * USNMP_OID_MAX_LEN + BITS_MAX / 8 + 32;
}

int usnmp__cli_value_parse(usnmp_value *v, uint8_t *storage, size_t size,
                           const char *type, const char *text) {
  size_t vlen = strlen(text);
  size_t len = 0;
  long long n;
  uint64_t u;
  if (strlen(type) != 1)
    return USNMP_CLI_BAD_TYPE;
  if (size < usnmp__cli_value_storage(text))
    return USNMP_CLI_BAD_NOTATION;
  switch (type[0]) {
  case 'i':
    if (text[0] == '\0')
      return USNMP_CLI_BAD_NOTATION;
    if (parse_integer(text, INT32_MIN, INT32_MAX, &n) < 0)
      return USNMP_CLI_OUT_OF_RANGE;
    *v = usnmp_value_integer((int32_t)n);
    break;
  case 'u':
  case 't':
    if (parse_unsigned64(text, &u) < 0 || u > UINT32_MAX)
      return USNMP_CLI_OUT_OF_RANGE;
    *v = type[0] == 'u' ? usnmp_value_gauge32((uint32_t)u)
                        : usnmp_value_timeticks((uint32_t)u);
    break;
  case 'a': {
    struct in_addr a;
    if (inet_pton(AF_INET, text, &a) != 1)
      return USNMP_CLI_BAD_NOTATION;
    memcpy(storage, &a, 4);
    *v = usnmp_value_ipaddress(storage);
    break;
  }
  case 'o': {
    usnmp_oid o;
    int rc = usnmp_oid_parse(&o, text);
    if (rc < 0)
      return USNMP_CLI_BAD_OID;
    if (usnmp_value_oid(v, storage, size, &o) < 0)
      return USNMP_CLI_BAD_OID;
    break;
  }
  case 's':
    memcpy(storage, text, vlen);
    *v = usnmp_value_octets(storage, vlen);
    break;
  case 'x':
    if (parse_hex(text, storage, &len) < 0)
      return USNMP_CLI_BAD_NOTATION;
    *v = usnmp_value_octets(storage, len);
    break;
  case 'd':
    if (parse_decimal_string(text, storage, &len) < 0)
      return USNMP_CLI_BAD_NOTATION;
    *v = usnmp_value_octets(storage, len);
    break;
  case 'b':
    if (parse_bits(text, storage, &len) < 0)
      return USNMP_CLI_OUT_OF_RANGE;
    *v = usnmp_value_octets(storage, len);
    break;
  case 'n':
    *v = usnmp_value_null();
    break;
  case 'U': {
    uint8_t body[9];
    if (parse_unsigned64(text, &u) < 0)
      return USNMP_CLI_OUT_OF_RANGE;
    len = opaque_special(storage, 0x7b, body, uint64_octets(body, u));
    *v = usnmp_value_opaque(storage, len);
    break;
  }
  case 'I': {
    uint8_t body[8];
    if (parse_integer(text, INT64_MIN, INT64_MAX, &n) < 0)
      return USNMP_CLI_OUT_OF_RANGE;
    len = opaque_special(storage, 0x7a, body, int64_octets(body, n));
    *v = usnmp_value_opaque(storage, len);
    break;
  }
  case 'F':
  case 'D': {
    char *end;
    errno = 0;
    double d = strtod(text, &end);
    uint8_t body[8];
    if (end == text || *end != '\0' || errno == ERANGE)
      return USNMP_CLI_OUT_OF_RANGE;
    /* IEEE 754 in network order, as net-snmp sends them. */
    if (type[0] == 'F') {
      union {
        float f;
        uint32_t bits;
      } pun = {.f = (float)d};
      for (int k = 0; k < 4; k++)
        body[k] = (uint8_t)(pun.bits >> (24 - 8 * k));
      len = opaque_special(storage, 0x78, body, 4);
    } else {
      union {
        double d;
        uint64_t bits;
      } pun = {.d = d};
      for (int k = 0; k < 8; k++)
        body[k] = (uint8_t)(pun.bits >> (56 - 8 * k));
      len = opaque_special(storage, 0x79, body, 8);
    }
    *v = usnmp_value_opaque(storage, len);
    break;
  }
  default:
    return USNMP_CLI_BAD_TYPE;
  }
  return USNMP_CLI_VALUE_OK;
}

int usnmp__cli_version_parse(const char *text, usnmp_version *version) {
  if (strcmp(text, "1") == 0)
    *version = USNMP_VERSION_1;
  else if (strcmp(text, "2c") == 0)
    *version = USNMP_VERSION_2C;
  else if (strcmp(text, "3") == 0)
    *version = USNMP_VERSION_3;
  else
    return -1;
  return 0;
}
