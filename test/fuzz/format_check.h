/*
 * The check behind the formatter fuzzer (fuzz_format.c) and the replay of
 * its seed corpus (test/test_fuzz_corpus.c): one input becomes a varbind,
 * and usnmp_value_format(), usnmp_varbind_format() and
 * usnmp_varbind_format_json() must keep snprintf's promises on it.
 *
 * Input layout (test/fuzz/make_corpus_format.py writes the seeds):
 *
 *   byte 0        the value's type, as its BER tag (any byte: types the
 *                 header does not list must fail with USNMP_E_BAD_VALUE)
 *   byte 1        L, the length of the name
 *   L bytes       the name, BER content octets of an OID (any bytes)
 *   the rest      the value: the octets of OCTET STRING, Opaque, IpAddress
 *                 and OBJECT IDENTIFIER; for the numeric types up to 8
 *                 bytes, little-endian (INTEGER takes 4, as a signed
 *                 int32; Counter32, Gauge32, TimeTicks 4; Counter64 8)
 *
 * Every byte the formatters read is in a heap block of its exact size, so
 * AddressSanitizer sees any read past it; every output buffer too.  For
 * each formatter and each output size (measure with NULL/0, exact, one
 * short, half, 1, and 0 with a real buffer) the return value is the same
 * full length, the output is NUL-terminated where snprintf puts the NUL
 * and is a prefix of the full text, nothing is written at size 0, the
 * text holds no NUL, an error leaves "", and a JSON object is valid JSON
 * (RFC 8259) with strings of valid UTF-8.
 *
 * format_check() returns 0 when every formatter succeeded, a negative code
 * (usnmp_varbind_format()'s error) when the input is malformed, or
 * FORMAT_CHECK_MISMATCH when a promise was broken.
 */
#ifndef USNMP_FUZZ_FORMAT_CHECK_H
#define USNMP_FUZZ_FORMAT_CHECK_H

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "usnmp.h"

#define FORMAT_CHECK_MISMATCH 1

/* ---- a strict JSON reader, enough for one value ------------------------ */

typedef struct format_json {
  const char *s;
  size_t len, pos;
  int depth;
} format_json;

/* Reads one UTF-8 sequence (shortest form, no surrogates); 0 or -1. */
static int format_json_utf8(format_json *j) {
  const unsigned char *p = (const unsigned char *)j->s + j->pos;
  size_t left = j->len - j->pos, n;
  uint32_t c;
  if (p[0] < 0x80) {
    j->pos++;
    return 0;
  }
  if (p[0] >= 0xC2 && p[0] <= 0xDF) {
    n = 2;
    c = p[0] & 0x1F;
  } else if (p[0] >= 0xE0 && p[0] <= 0xEF) {
    n = 3;
    c = p[0] & 0x0F;
  } else if (p[0] >= 0xF0 && p[0] <= 0xF4) {
    n = 4;
    c = p[0] & 0x07;
  } else {
    return -1;
  }
  if (left < n)
    return -1;
  for (size_t i = 1; i < n; i++) {
    if ((p[i] & 0xC0) != 0x80)
      return -1;
    c = (c << 6) | (p[i] & 0x3F);
  }
  if ((n == 3 && c < 0x800) || (n == 4 && (c < 0x10000 || c > 0x10FFFF)) ||
      (c >= 0xD800 && c <= 0xDFFF))
    return -1;
  j->pos += n;
  return 0;
}

static int format_json_string(format_json *j) {
  j->pos++; /* the opening quote */
  while (j->pos < j->len) {
    unsigned char c = (unsigned char)j->s[j->pos];
    if (c == '"') {
      j->pos++;
      return 0;
    }
    if (c < 0x20)
      return -1;
    if (c == '\\') {
      if (++j->pos >= j->len)
        return -1;
      c = (unsigned char)j->s[j->pos];
      if (c == 'u') {
        if (j->len - j->pos < 5)
          return -1;
        for (int i = 1; i <= 4; i++) {
          char h = j->s[j->pos + (size_t)i];
          if (!((h >= '0' && h <= '9') || (h >= 'a' && h <= 'f') ||
                (h >= 'A' && h <= 'F')))
            return -1;
        }
        j->pos += 5;
      } else if (strchr("\"\\/bfnrt", c) != NULL && c != 0) {
        j->pos++;
      } else {
        return -1;
      }
      continue;
    }
    if (format_json_utf8(j) < 0)
      return -1;
  }
  return -1;
}

static int format_json_value(format_json *j);

static int format_json_number(format_json *j) {
  size_t start = j->pos;
  if (j->s[j->pos] == '-')
    j->pos++;
  if (j->pos >= j->len)
    return -1;
  if (j->s[j->pos] == '0') {
    j->pos++;
  } else if (j->s[j->pos] >= '1' && j->s[j->pos] <= '9') {
    while (j->pos < j->len && j->s[j->pos] >= '0' && j->s[j->pos] <= '9')
      j->pos++;
  } else {
    return -1;
  }
  /* usnmp writes integers only: no fraction, no exponent. */
  return j->pos > start ? 0 : -1;
}

static int format_json_object(format_json *j) {
  j->pos++;
  if (j->pos < j->len && j->s[j->pos] == '}') {
    j->pos++;
    return 0;
  }
  for (;;) {
    if (j->pos >= j->len || j->s[j->pos] != '"' || format_json_string(j) < 0)
      return -1;
    if (j->pos >= j->len || j->s[j->pos++] != ':')
      return -1;
    if (format_json_value(j) < 0)
      return -1;
    if (j->pos >= j->len)
      return -1;
    if (j->s[j->pos] == '}') {
      j->pos++;
      return 0;
    }
    if (j->s[j->pos++] != ',')
      return -1;
  }
}

static int format_json_value(format_json *j) {
  int rc;
  if (j->pos >= j->len || ++j->depth > 8)
    return -1;
  switch (j->s[j->pos]) {
  case '{':
    rc = format_json_object(j);
    break;
  case '"':
    rc = format_json_string(j);
    break;
  case 'n':
    rc = j->len - j->pos >= 4 && memcmp(j->s + j->pos, "null", 4) == 0 ? 0 : -1;
    j->pos += 4;
    break;
  default:
    rc = format_json_number(j);
    break;
  }
  j->depth--;
  return rc;
}

/* Returns 1 when s[0..len) is exactly one JSON object. */
static int format_json_valid(const char *s, size_t len) {
  format_json j = {s, len, 0, 0};
  if (len == 0 || s[0] != '{')
    return 0;
  return format_json_value(&j) == 0 && j.pos == len;
}

/* ---- the snprintf promises of one formatter ---------------------------- */

typedef int (*format_check_fn)(char *buf, size_t size, const void *what);

static int format_check_value_fn(char *buf, size_t size, const void *what) {
  return usnmp_value_format(buf, size, &((const usnmp_varbind *)what)->value);
}

static int format_check_text_fn(char *buf, size_t size, const void *what) {
  return usnmp_varbind_format(buf, size, what);
}

static int format_check_json_fn(char *buf, size_t size, const void *what) {
  return usnmp_varbind_format_json(buf, size, what);
}

/* Checks f on vb; stores its result (length or error) in *rc.  Returns 0
 * or FORMAT_CHECK_MISMATCH. */
static int format_check_one(format_check_fn f, const usnmp_varbind *vb,
                            int json, int *rc) {
  char *full, *b;
  size_t n, sizes[4];
  int r = f(NULL, 0, vb);

  *rc = r;
  if (r < 0) {
    /* An error leaves "" and says the same whatever the buffer. */
    char small[8];
    memset(small, 'Z', sizeof small);
    if (f(small, sizeof small, vb) != r || small[0] != '\0')
      return FORMAT_CHECK_MISMATCH;
    return 0;
  }
  n = (size_t)r;
  full = malloc(n + 1);
  if (full == NULL)
    abort();
  memset(full, 'Z', n + 1);
  if (f(full, n + 1, vb) != r || full[n] != '\0' || strlen(full) != n ||
      (json && !format_json_valid(full, n))) {
    free(full);
    return FORMAT_CHECK_MISMATCH;
  }
  /* Nothing is written at size 0, even with a buffer. */
  b = malloc(1);
  if (b == NULL)
    abort();
  b[0] = 'Z';
  if (f(b, 0, vb) != r || b[0] != 'Z') {
    free(b);
    free(full);
    return FORMAT_CHECK_MISMATCH;
  }
  free(b);
  /* Shorter buffers: the same length, a NUL at the end, a prefix. */
  sizes[0] = n;
  sizes[1] = n / 2 + 1;
  sizes[2] = 1;
  sizes[3] = n > 1 ? n - 1 : 1;
  for (size_t i = 0; i < 4; i++) {
    size_t s = sizes[i];
    if (s == 0 || s > n)
      continue;
    b = malloc(s);
    if (b == NULL)
      abort();
    memset(b, 'Z', s);
    if (f(b, s, vb) != r || b[s - 1] != '\0' || memcmp(b, full, s - 1) != 0) {
      free(b);
      free(full);
      return FORMAT_CHECK_MISMATCH;
    }
    free(b);
  }
  free(full);
  return 0;
}

static uint64_t format_check_le(const uint8_t *p, size_t len, size_t max) {
  uint64_t x = 0;
  if (len > max)
    len = max;
  for (size_t i = len; i > 0; i--)
    x = (x << 8) | p[i - 1];
  return x;
}

static int format_check(const uint8_t *data, size_t size) {
  usnmp_varbind vb;
  uint8_t *name = NULL, *value = NULL;
  size_t name_len, value_len;
  int rc_value, rc_text, rc_json, bad = 0;

  if (size < 2 || (size_t)data[1] > size - 2)
    return 0; /* not an input of this layout */
  name_len = data[1];
  value_len = size - 2 - name_len;
  /* Exact-size copies: a read one byte past either is caught. */
  name = malloc(name_len ? name_len : 1);
  value = malloc(value_len ? value_len : 1);
  if (name == NULL || value == NULL)
    abort();
  memcpy(name, data + 2, name_len);
  memcpy(value, data + 2 + name_len, value_len);

  memset(&vb, 0, sizeof vb);
  vb.oid = name;
  vb.oid_len = name_len;
  vb.value.type = (usnmp_type)data[0];
  switch (data[0]) {
  case USNMP_TYPE_INTEGER:
    vb.value.v.integer =
        (int32_t)(uint32_t)format_check_le(value, value_len, 4);
    break;
  case USNMP_TYPE_COUNTER32:
  case USNMP_TYPE_GAUGE32:
  case USNMP_TYPE_TIMETICKS:
    vb.value.v.u32 = (uint32_t)format_check_le(value, value_len, 4);
    break;
  case USNMP_TYPE_COUNTER64:
    vb.value.v.u64 = format_check_le(value, value_len, 8);
    break;
  default:
    vb.value.v.bytes.data = value;
    vb.value.v.bytes.len = value_len;
    break;
  }

  bad |= format_check_one(format_check_value_fn, &vb, 0, &rc_value);
  bad |= format_check_one(format_check_text_fn, &vb, 0, &rc_text);
  bad |= format_check_one(format_check_json_fn, &vb, 1, &rc_json);
  /* The two varbind formatters read the same name and value: one fails
   * when the other does (not always with the same code: a bad name and a
   * bad type may be found in either order), and a value that does not
   * format fails both. */
  if ((rc_text < 0) != (rc_json < 0))
    bad = 1;
  if (rc_value < 0 && rc_text >= 0)
    bad = 1;
  free(name);
  free(value);
  if (bad)
    return FORMAT_CHECK_MISMATCH;
  return rc_text < 0 ? rc_text : 0;
}

#endif /* USNMP_FUZZ_FORMAT_CHECK_H */
