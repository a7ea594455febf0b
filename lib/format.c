/*
 * Text forms of values and varbinds.
 *
 * The plain forms are those of net-snmp 5.9's tools run with -On and no MIB
 * modules loaded (MIBS= empty), so a script that parses snmpget's output
 * can parse ours.  Every rule below was found by asking net-snmp 5.9.3's
 * snmpget about crafted replies; test/test_format.c holds the answers.
 *
 * All output goes through a small counting writer: it copies what fits,
 * keeps room for the NUL and goes on counting after the buffer is full, so
 * every function returns the length of the whole text (snprintf's rule)
 * without allocating and without formatting twice.
 */
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "pdu.h"
#include "usnmp.h"

/* A counting writer into the caller's buffer. */
typedef struct text_out {
  char *buf;
  size_t size;
  size_t len; /* length of the whole text so far, written or not */
} text_out;

static void out_init(text_out *o, char *buf, size_t size) {
  o->buf = buf;
  o->size = size;
  o->len = 0;
}

static void out_char(text_out *o, char c) {
  /* The last byte of the buffer is kept for the NUL. */
  if (o->len + 1 < o->size)
    o->buf[o->len] = c;
  o->len++;
}

static void out_mem(text_out *o, const char *s, size_t n) {
  if (n == 0)
    return; /* s may be NULL then */
  if (o->len + 1 < o->size) {
    size_t room = o->size - 1 - o->len;
    memcpy(o->buf + o->len, s, n < room ? n : room);
  }
  o->len += n;
}

static void out_str(text_out *o, const char *s) { out_mem(o, s, strlen(s)); }

static void out_u64(text_out *o, uint64_t v) {
  char digits[20];
  size_t n = 0;
  do {
    digits[sizeof(digits) - 1 - n++] = (char)('0' + v % 10);
    v /= 10;
  } while (v != 0);
  out_mem(o, digits + sizeof(digits) - n, n);
}

static void out_i64(text_out *o, int64_t v) {
  if (v < 0) {
    out_char(o, '-');
    /* Negate in unsigned arithmetic so INT64_MIN works too. */
    out_u64(o, (uint64_t)0 - (uint64_t)v);
  } else {
    out_u64(o, (uint64_t)v);
  }
}

/* Writes v as at least two decimal digits. */
static void out_2digits(text_out *o, uint32_t v) {
  if (v < 10)
    out_char(o, '0');
  out_u64(o, v);
}

/* NUL-terminates and returns the length, or the error: a malformed value
 * leaves an empty string behind rather than half a text. */
static int out_finish(text_out *o, int err) {
  if (o->size > 0) {
    if (err < 0)
      o->buf[0] = '\0';
    else
      o->buf[o->len < o->size ? o->len : o->size - 1] = '\0';
  }
  if (err < 0)
    return err;
  return o->len > INT_MAX ? USNMP_E_INVAL : (int)o->len;
}

/* ------------------------------------------------------------------------
 * Pieces shared by the plain and the JSON forms
 * ------------------------------------------------------------------------ */

/* An IpAddress's four octets in dotted decimal. */
static void out_ipv4(text_out *o, const uint8_t a[4]) {
  for (int i = 0; i < 4; i++) {
    if (i > 0)
      out_char(o, '.');
    out_u64(o, a[i]);
  }
}

/* Writes the content octets of a BER OBJECT IDENTIFIER as ".a.b.c".
 *
 * This reads the octets the way net-snmp 5.9.3 does, so that what its
 * tools print we print too: content 06 00 prints ".0"; leading 0x80 octets
 * in a sub-identifier are accepted (2B 80 01 prints ".1.3.1"); the first
 * sub-identifier may be any 32-bit value (8F FF FF FF 7F prints
 * ".2.4294967215").  What net-snmp refuses (its tools then drop the whole
 * reply) is an error here: a sub-identifier above 2^32-1
 * (USNMP_E_OID_SUBID_OVERFLOW), a last octet with its high bit set
 * (USNMP_E_BAD_OID), more than USNMP_OID_MAX_LEN arcs
 * (USNMP_E_OID_TOO_LONG). */
static int out_oid_ber(text_out *o, const uint8_t *ber, size_t len) {
  size_t i = 0;
  uint32_t arcs = 0;

  if (len == 0) {
    out_str(o, ".0");
    return 0;
  }
  if (ber == NULL)
    return USNMP_E_INVAL;
  while (i < len) {
    uint64_t subid = 0;
    uint8_t b;
    do {
      b = ber[i++];
      subid = (subid << 7) | (b & 0x7fu);
      if (subid > UINT32_MAX)
        return USNMP_E_OID_SUBID_OVERFLOW;
    } while ((b & 0x80u) && i < len);
    if (b & 0x80u)
      return USNMP_E_BAD_OID;
    if (arcs == 0) {
      /* The first sub-identifier carries the first two arcs: X * 40 + Y. */
      uint32_t first = subid < 40 ? 0 : subid < 80 ? 1 : 2;
      out_char(o, '.');
      out_u64(o, first);
      out_char(o, '.');
      out_u64(o, subid - 40u * first);
      arcs = 2;
    } else {
      if (++arcs > USNMP_OID_MAX_LEN)
        return USNMP_E_OID_TOO_LONG;
      out_char(o, '.');
      out_u64(o, subid);
    }
  }
  return 0;
}

/* net-snmp's test for "text": isprint() or isspace() in the C locale (its
 * tools never call setlocale), so bytes 0x09-0x0D and 0x20-0x7E. */
static int netsnmp_printable(uint8_t c) {
  return (c >= 0x20 && c <= 0x7e) || (c >= 0x09 && c <= 0x0d);
}

/* Reads a big-endian IEEE 754 binary32 or binary64. */
static float float_from_be(const uint8_t *p) {
  uint32_t bits =
      (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
  float f;
  memcpy(&f, &bits, sizeof(f));
  return f;
}

static double double_from_be(const uint8_t *p) {
  uint64_t bits = 0;
  double d;
  for (int i = 0; i < 8; i++)
    bits = bits << 8 | p[i];
  memcpy(&d, &bits, sizeof(d));
  return d;
}

/* Writes d as C's "%f" in the C locale, cut to at most max characters.
 *
 * net-snmp prints Opaque floats and doubles with "%f" into a 128-byte
 * buffer, so a huge double is cut after 127 characters ("1e300" prints
 * 127 digits and no point).  snprintf follows LC_NUMERIC, which a program
 * may have changed; the radix character (the only non-digit between the
 * integer digits and the six decimals) is put back to '.' so the text is
 * the same in every locale. */
static void out_fixed(text_out *o, double d, size_t max) {
  char tmp[512];
  char fixed[512];
  int n = snprintf(tmp, sizeof(tmp), "%f", d);
  size_t len = 0;

  if (n < 0)
    return;
  if ((size_t)n >= sizeof(tmp))
    n = (int)sizeof(tmp) - 1;
  if (n >= 1 && tmp[n - 1] >= '0' && tmp[n - 1] <= '9' && n > 7) {
    /* [-]digits RADIX six digits; RADIX may be several bytes. */
    size_t int_end = 0;
    if (tmp[0] == '-')
      int_end = 1;
    while (tmp[int_end] >= '0' && tmp[int_end] <= '9')
      int_end++;
    memcpy(fixed, tmp, int_end);
    len = int_end;
    fixed[len++] = '.';
    memcpy(fixed + len, tmp + n - 6, 6);
    len += 6;
  } else {
    /* nan, -nan, inf, -inf. */
    memcpy(fixed, tmp, (size_t)n);
    len = (size_t)n;
  }
  out_mem(o, fixed, len < max ? len : max);
}

/* net-snmp decodes an Opaque whose content starts with 9F and one of these
 * (the "opaque special types" of its asn1.c) and prints the value. */
enum {
  OPAQUE_TAG1 = 0x9f,
  OPAQUE_COUNTER64 = 0x76,
  OPAQUE_FLOAT = 0x78,
  OPAQUE_DOUBLE = 0x79,
  OPAQUE_I64 = 0x7a,
  OPAQUE_U64 = 0x7b
};

/* Writes "Opaque: Float: 1.500000" and the like if data holds one of the
 * special encodings exactly as net-snmp 5.9.3 accepts it, and returns 1;
 * returns 0 (and writes nothing) otherwise.
 *
 * The rules, checked against snmpget: content 9F, subtype, a BER length,
 * then exactly that many value octets filling the Opaque (net-snmp drops a
 * reply with bytes left over or missing).  Float: 9F 78 04 and four
 * octets; double: 9F 79 08 and eight.  Counter64, UInt64 and Int64: at
 * most twelve content octets, at most nine value octets, and a ninth only
 * after a leading zero; no value octets mean 0.  Int64 is sign-extended
 * from its first octet; the unsigned kinds are not. */
static int out_opaque_special(text_out *o, const uint8_t *data, size_t len,
                              int labels) {
  size_t vlen;
  size_t pos = 3;
  const uint8_t *v;
  uint64_t acc = 0;

  if (len < 3 || data[0] != OPAQUE_TAG1)
    return 0;
  switch (data[1]) {
  case OPAQUE_FLOAT:
    if (len != 7 || data[2] != 4)
      return 0;
    if (labels)
      out_str(o, "Opaque: Float: ");
    out_fixed(o, (double)float_from_be(data + 3), 127);
    return 1;
  case OPAQUE_DOUBLE:
    if (len != 11 || data[2] != 8)
      return 0;
    /* net-snmp labels doubles "Float" too. */
    if (labels)
      out_str(o, "Opaque: Float: ");
    out_fixed(o, double_from_be(data + 3), 127);
    return 1;
  case OPAQUE_COUNTER64:
  case OPAQUE_U64:
  case OPAQUE_I64:
    break;
  default:
    return 0;
  }
  if (len > 12)
    return 0;
  /* The inner length may use the long form (9F 76 81 01 05 is accepted). */
  if (data[2] & 0x80) {
    size_t nlen = data[2] & 0x7fu;
    if (nlen == 0 || nlen > 8 || 3 + nlen > len)
      return 0;
    vlen = 0;
    for (size_t i = 0; i < nlen; i++)
      vlen = vlen << 8 | data[3 + i];
    pos = 3 + nlen;
  } else {
    vlen = data[2];
  }
  if (vlen != len - pos || vlen > 9)
    return 0;
  v = data + pos;
  if (vlen == 9 && v[0] != 0)
    return 0;
  if (data[1] == OPAQUE_I64 && vlen > 0 && (v[0] & 0x80))
    acc = UINT64_MAX;
  for (size_t i = 0; i < vlen; i++)
    acc = acc << 8 | v[i];
  if (data[1] == OPAQUE_I64) {
    int64_t s;
    memcpy(&s, &acc, sizeof(s));
    if (labels)
      out_str(o, "Opaque: Int64: ");
    out_i64(o, s);
  } else {
    if (labels)
      out_str(o, data[1] == OPAQUE_U64 ? "Opaque: UInt64: "
                                       : "Opaque: Counter64: ");
    out_u64(o, acc);
  }
  return 1;
}

/* net-snmp 5.9.3's hex dump: "%02X " per octet and a newline after every
 * sixteenth octet that has more after it.  Each line, the last too, ends
 * in a space. */
static void out_hex_dump(text_out *o, const uint8_t *data, size_t len) {
  static const char digits[] = "0123456789ABCDEF";
  for (size_t i = 0; i < len; i++) {
    char cell[3] = {digits[data[i] >> 4], digits[data[i] & 0x0f], ' '};
    out_mem(o, cell, sizeof(cell));
    if (i % 16 == 15 && i + 1 < len)
      out_char(o, '\n');
  }
}

/* Checks the pointer of a bytes value: NULL is fine only when empty. */
static int bytes_ok(const usnmp_value *v) {
  return v->v.bytes.data != NULL || v->v.bytes.len == 0;
}

/* ------------------------------------------------------------------------
 * The plain form
 * ------------------------------------------------------------------------ */

static int out_octet_string(text_out *o, const uint8_t *data, size_t len) {
  int text = 1;

  /* An empty string prints as "" with no type label: net-snmp tests for
   * the empty case before writing "STRING: ". */
  if (len == 0) {
    out_str(o, "\"\"");
    return 0;
  }
  for (size_t i = 0; i < len && text; i++)
    text = netsnmp_printable(data[i]);
  if (!text) {
    out_str(o, "Hex-STRING: ");
    out_hex_dump(o, data, len);
    return 0;
  }
  /* Printable text goes out as is, CR, LF and tabs included; only the
   * quote and the backslash are escaped. */
  out_str(o, "STRING: \"");
  size_t run = 0;
  for (size_t i = 0; i < len; i++) {
    if (data[i] == '"' || data[i] == '\\') {
      out_mem(o, (const char *)data + run, i - run);
      out_char(o, '\\');
      run = i;
    }
  }
  out_mem(o, (const char *)data + run, len - run);
  out_char(o, '"');
  return 0;
}

static void out_timeticks(text_out *o, uint32_t t) {
  uint32_t centis = t % 100;
  uint32_t secs = t / 100;
  uint32_t days = secs / 86400;
  uint32_t hours = secs % 86400 / 3600;
  uint32_t minutes = secs % 3600 / 60;

  out_str(o, "Timeticks: (");
  out_u64(o, t);
  out_str(o, ") ");
  if (days > 0) {
    out_u64(o, days);
    out_str(o, days == 1 ? " day, " : " days, ");
  }
  out_u64(o, hours);
  out_char(o, ':');
  out_2digits(o, minutes);
  out_char(o, ':');
  out_2digits(o, secs % 60);
  out_char(o, '.');
  out_2digits(o, centis);
}

/* The tag and content of an undecodable value.  Returns 0,
 * USNMP_E_INVAL (bytes NULL with a length) or USNMP_E_BAD_VALUE (not one
 * BER element). */
static int undecodable_of(const usnmp_value *v, uint8_t *tag,
                          const uint8_t **content, size_t *len) {
  if (!bytes_ok(v))
    return USNMP_E_INVAL;
  return usnmp__undecodable_parts(v, tag, content, len);
}

static int out_value(text_out *o, const usnmp_value *v) {
  switch (v->type) {
  case USNMP_TYPE_INTEGER:
    out_str(o, "INTEGER: ");
    out_i64(o, v->v.integer);
    return 0;
  case USNMP_TYPE_OCTET_STRING:
    if (!bytes_ok(v))
      return USNMP_E_INVAL;
    return out_octet_string(o, v->v.bytes.data, v->v.bytes.len);
  case USNMP_TYPE_NULL:
    out_str(o, "NULL");
    return 0;
  case USNMP_TYPE_OID:
    if (!bytes_ok(v))
      return USNMP_E_INVAL;
    out_str(o, "OID: ");
    return out_oid_ber(o, v->v.bytes.data, v->v.bytes.len);
  case USNMP_TYPE_IPADDRESS: {
    const uint8_t *a = v->v.bytes.data;
    /* net-snmp drops a reply whose IpAddress is not four octets long. */
    if (v->v.bytes.len != 4 || a == NULL)
      return USNMP_E_BAD_VALUE;
    out_str(o, "IpAddress: ");
    out_ipv4(o, a);
    return 0;
  }
  case USNMP_TYPE_COUNTER32:
    out_str(o, "Counter32: ");
    out_u64(o, v->v.u32);
    return 0;
  case USNMP_TYPE_GAUGE32:
    out_str(o, "Gauge32: ");
    out_u64(o, v->v.u32);
    return 0;
  case USNMP_TYPE_TIMETICKS:
    out_timeticks(o, v->v.u32);
    return 0;
  case USNMP_TYPE_OPAQUE:
    if (!bytes_ok(v))
      return USNMP_E_INVAL;
    /* An Opaque that is none of net-snmp's special encodings (or one that
     * net-snmp would refuse) is dumped in hex. */
    if (!out_opaque_special(o, v->v.bytes.data, v->v.bytes.len, 1)) {
      out_str(o, "OPAQUE: ");
      out_hex_dump(o, v->v.bytes.data, v->v.bytes.len);
    }
    return 0;
  case USNMP_TYPE_COUNTER64:
    out_str(o, "Counter64: ");
    out_u64(o, v->v.u64);
    return 0;
  case USNMP_TYPE_NOSUCHOBJECT:
    out_str(o, "No Such Object available on this agent at this OID");
    return 0;
  case USNMP_TYPE_NOSUCHINSTANCE:
    out_str(o, "No Such Instance currently exists at this OID");
    return 0;
  case USNMP_TYPE_ENDOFMIBVIEW:
    out_str(o, "No more variables left in this MIB View "
               "(It is past the end of the MIB tree)");
    return 0;
  case USNMP_TYPE_UNDECODABLE: {
    /* net-snmp has no words for it (it drops the whole reply): say what
     * came, tag and content, in Hex-STRING's layout. */
    static const char digits[] = "0123456789ABCDEF";
    const uint8_t *content;
    size_t len;
    uint8_t tag;
    int err = undecodable_of(v, &tag, &content, &len);
    if (err < 0)
      return err;
    out_str(o, "Undecodable value (tag 0x");
    out_char(o, digits[tag >> 4]);
    out_char(o, digits[tag & 0x0f]);
    out_str(o, "): ");
    out_hex_dump(o, content, len);
    return 0;
  }
  }
  return USNMP_E_BAD_VALUE;
}

int usnmp_value_format(char *buf, size_t size, const usnmp_value *v) {
  text_out o;
  if ((buf == NULL && size > 0) || v == NULL)
    return USNMP_E_INVAL;
  out_init(&o, buf, size);
  return out_finish(&o, out_value(&o, v));
}

int usnmp_varbind_format(char *buf, size_t size, const usnmp_varbind *vb) {
  text_out o;
  int err;
  if ((buf == NULL && size > 0) || vb == NULL)
    return USNMP_E_INVAL;
  out_init(&o, buf, size);
  err = out_oid_ber(&o, vb->oid, vb->oid_len);
  if (err == 0) {
    out_str(&o, " = ");
    err = out_value(&o, &vb->value);
  }
  return out_finish(&o, err);
}

/* ------------------------------------------------------------------------
 * The plain form with net-snmp's -O output options
 * ------------------------------------------------------------------------ */

/* net-snmp's -OT dump: each line of up to sixteen "%02X " cells is
 * followed by two spaces and the octets as text in brackets, a byte that
 * is not printable shown as '.'. */
static void out_hex_text_dump(text_out *o, const uint8_t *data, size_t len) {
  for (size_t start = 0; start < len; start += 16) {
    size_t end = len - start > 16 ? start + 16 : len;
    out_hex_dump(o, data + start, end - start);
    out_str(o, "  [");
    for (size_t i = start; i < end; i++)
      out_char(o, netsnmp_printable(data[i]) ? (char)data[i] : '.');
    out_char(o, ']');
    if (end < len)
      out_char(o, '\n');
  }
}

static void out_dump(text_out *o, const uint8_t *data, size_t len,
                     unsigned flags) {
  if (flags & USNMP_FORMAT_HEX_TEXT)
    out_hex_text_dump(o, data, len);
  else
    out_hex_dump(o, data, len);
}

/* An OCTET STRING under -Oa (text, '.' for what is not printable), -Ox
 * (always hex) or net-snmp's guess, with -Oq's quotes around hex. */
static void out_octet_string_flags(text_out *o, const uint8_t *data, size_t len,
                                   unsigned flags) {
  int quick = (flags & USNMP_FORMAT_QUICK) != 0;
  int hex = 0;
  if (len == 0) {
    out_str(o, "\"\"");
    return;
  }
  if (flags & USNMP_FORMAT_HEX)
    hex = 1;
  else if (!(flags & USNMP_FORMAT_ASCII))
    for (size_t i = 0; i < len && !hex; i++)
      hex = !netsnmp_printable(data[i]);
  if (hex) {
    out_str(o, quick ? "\"" : "Hex-STRING: ");
    out_dump(o, data, len, flags);
    if (quick)
      out_char(o, '"');
    return;
  }
  out_str(o, quick ? "\"" : "STRING: \"");
  for (size_t i = 0; i < len; i++) {
    if (!netsnmp_printable(data[i])) {
      out_char(o, '.');
      continue;
    }
    if (data[i] == '"' || data[i] == '\\')
      out_char(o, '\\');
    out_char(o, (char)data[i]);
  }
  out_char(o, '"');
}

static int out_value_flags(text_out *o, const usnmp_value *v, unsigned flags) {
  int quick = (flags & USNMP_FORMAT_QUICK) != 0;
  switch (v->type) {
  case USNMP_TYPE_INTEGER:
    if (!quick)
      break;
    out_i64(o, v->v.integer);
    return 0;
  case USNMP_TYPE_COUNTER32:
  case USNMP_TYPE_GAUGE32:
    if (!quick)
      break;
    out_u64(o, v->v.u32);
    return 0;
  case USNMP_TYPE_COUNTER64:
    if (!quick)
      break;
    out_u64(o, v->v.u64);
    return 0;
  case USNMP_TYPE_TIMETICKS: {
    uint32_t t = v->v.u32;
    if (flags & USNMP_FORMAT_TIMETICKS_RAW) {
      out_u64(o, t);
      return 0;
    }
    if (!quick)
      break;
    /* Quick timeticks always carry the days: "0:0:00:01.23". */
    out_u64(o, t / 8640000u);
    out_char(o, ':');
    out_u64(o, t / 360000u % 24u);
    out_char(o, ':');
    out_2digits(o, t / 6000u % 60u);
    out_char(o, ':');
    out_2digits(o, t / 100u % 60u);
    out_char(o, '.');
    out_2digits(o, t % 100u);
    return 0;
  }
  case USNMP_TYPE_OCTET_STRING:
    if (!bytes_ok(v))
      return USNMP_E_INVAL;
    out_octet_string_flags(o, v->v.bytes.data, v->v.bytes.len, flags);
    return 0;
  case USNMP_TYPE_OID:
    if (!quick)
      break;
    if (!bytes_ok(v))
      return USNMP_E_INVAL;
    return out_oid_ber(o, v->v.bytes.data, v->v.bytes.len);
  case USNMP_TYPE_IPADDRESS:
    if (!quick)
      break;
    if (v->v.bytes.len != 4 || v->v.bytes.data == NULL)
      return USNMP_E_BAD_VALUE;
    for (int i = 0; i < 4; i++) {
      if (i > 0)
        out_char(o, '.');
      out_u64(o, v->v.bytes.data[i]);
    }
    return 0;
  case USNMP_TYPE_OPAQUE:
    if (!bytes_ok(v))
      return USNMP_E_INVAL;
    if (!out_opaque_special(o, v->v.bytes.data, v->v.bytes.len, !quick)) {
      if (!quick)
        out_str(o, "OPAQUE: ");
      out_dump(o, v->v.bytes.data, v->v.bytes.len, flags);
    }
    return 0;
  default:
    break;
  }
  /* NULL and the exceptions print the same under every flag. */
  return out_value(o, v);
}

int usnmp_value_format_flags(char *buf, size_t size, const usnmp_value *v,
                             unsigned flags) {
  text_out o;
  if ((buf == NULL && size > 0) || v == NULL ||
      (flags & ~(unsigned)USNMP_FORMAT_ALL) != 0)
    return USNMP_E_INVAL;
  out_init(&o, buf, size);
  return out_finish(&o, out_value_flags(&o, v, flags));
}

/* ------------------------------------------------------------------------
 * The JSON form
 * ------------------------------------------------------------------------ */

/* Returns the length of the UTF-8 sequence at s[0..len) if it is a valid,
 * shortest-form encoding of a scalar value that is not a C1 control
 * (U+0080..U+009F), else 0.  s[0] >= 0x80. */
static size_t utf8_text_seq(const uint8_t *s, size_t len) {
  uint8_t c = s[0];
  uint8_t lo = 0x80, hi = 0xbf;
  size_t n;

  if (c >= 0xc2 && c <= 0xdf) {
    n = 2;
    if (c == 0xc2)
      lo = 0xa0; /* C2 80..C2 9F are the C1 controls */
  } else if (c >= 0xe0 && c <= 0xef) {
    n = 3;
    if (c == 0xe0)
      lo = 0xa0; /* overlong */
    else if (c == 0xed)
      hi = 0x9f; /* surrogates */
  } else if (c >= 0xf0 && c <= 0xf4) {
    n = 4;
    if (c == 0xf0)
      lo = 0x90; /* overlong */
    else if (c == 0xf4)
      hi = 0x8f; /* above U+10FFFF */
  } else {
    return 0;
  }
  if (len < n || s[1] < lo || s[1] > hi)
    return 0;
  for (size_t i = 2; i < n; i++)
    if (s[i] < 0x80 || s[i] > 0xbf)
      return 0;
  return n;
}

/* Returns 1 if data is text for JSON: valid UTF-8 whose ASCII characters
 * all pass net-snmp's printable test and with no C1 control. */
static int json_is_text(const uint8_t *data, size_t len) {
  size_t i = 0;
  while (i < len) {
    if (data[i] < 0x80) {
      if (!netsnmp_printable(data[i]))
        return 0;
      i++;
    } else {
      size_t n = utf8_text_seq(data + i, len - i);
      if (n == 0)
        return 0;
      i += n;
    }
  }
  return 1;
}

/* Writes text (already known to be json_is_text) as a JSON string. */
static void out_json_string(text_out *o, const uint8_t *data, size_t len) {
  size_t run = 0;
  if (len == 0) {
    out_str(o, "\"\"");
    return; /* data may be NULL */
  }
  out_char(o, '"');
  for (size_t i = 0; i < len; i++) {
    const char *esc = NULL;
    switch (data[i]) {
    case '"':
      esc = "\\\"";
      break;
    case '\\':
      esc = "\\\\";
      break;
    case '\t':
      esc = "\\t";
      break;
    case '\n':
      esc = "\\n";
      break;
    case '\v':
      esc = "\\u000b";
      break;
    case '\f':
      esc = "\\f";
      break;
    case '\r':
      esc = "\\r";
      break;
    default:
      continue;
    }
    out_mem(o, (const char *)data + run, i - run);
    out_str(o, esc);
    run = i + 1;
  }
  out_mem(o, (const char *)data + run, len - run);
  out_char(o, '"');
}

static void out_json_hex(text_out *o, const uint8_t *data, size_t len) {
  static const char digits[] = "0123456789abcdef";
  out_str(o, "{\"hex\":\"");
  for (size_t i = 0; i < len; i++) {
    char pair[2] = {digits[data[i] >> 4], digits[data[i] & 0x0f]};
    out_mem(o, pair, sizeof(pair));
  }
  out_str(o, "\"}");
}

/* Type names of RFC 2578 and RFC 3416, as the "type" member. */
static const char *json_type_name(usnmp_type t) {
  switch (t) {
  case USNMP_TYPE_INTEGER:
    return "INTEGER";
  case USNMP_TYPE_OCTET_STRING:
    return "OCTET STRING";
  case USNMP_TYPE_NULL:
    return "NULL";
  case USNMP_TYPE_OID:
    return "OBJECT IDENTIFIER";
  case USNMP_TYPE_IPADDRESS:
    return "IpAddress";
  case USNMP_TYPE_COUNTER32:
    return "Counter32";
  case USNMP_TYPE_GAUGE32:
    return "Gauge32";
  case USNMP_TYPE_TIMETICKS:
    return "TimeTicks";
  case USNMP_TYPE_OPAQUE:
    return "Opaque";
  case USNMP_TYPE_COUNTER64:
    return "Counter64";
  case USNMP_TYPE_NOSUCHOBJECT:
    return "noSuchObject";
  case USNMP_TYPE_NOSUCHINSTANCE:
    return "noSuchInstance";
  case USNMP_TYPE_ENDOFMIBVIEW:
    return "endOfMibView";
  case USNMP_TYPE_UNDECODABLE:
    return "undecodable";
  }
  return NULL;
}

static int out_json_value(text_out *o, const usnmp_value *v) {
  switch (v->type) {
  case USNMP_TYPE_INTEGER:
    out_i64(o, v->v.integer);
    return 0;
  case USNMP_TYPE_COUNTER32:
  case USNMP_TYPE_GAUGE32:
  case USNMP_TYPE_TIMETICKS:
    out_u64(o, v->v.u32);
    return 0;
  case USNMP_TYPE_COUNTER64:
    /* A double holds every integer up to 2^53 exactly; beyond, a JSON
     * reader could round the number, so it travels as a string. */
    if (v->v.u64 <= (UINT64_C(1) << 53)) {
      out_u64(o, v->v.u64);
    } else {
      out_char(o, '"');
      out_u64(o, v->v.u64);
      out_char(o, '"');
    }
    return 0;
  case USNMP_TYPE_OCTET_STRING:
    if (!bytes_ok(v))
      return USNMP_E_INVAL;
    if (json_is_text(v->v.bytes.data, v->v.bytes.len))
      out_json_string(o, v->v.bytes.data, v->v.bytes.len);
    else
      out_json_hex(o, v->v.bytes.data, v->v.bytes.len);
    return 0;
  case USNMP_TYPE_OPAQUE:
    if (!bytes_ok(v))
      return USNMP_E_INVAL;
    out_json_hex(o, v->v.bytes.data, v->v.bytes.len);
    return 0;
  case USNMP_TYPE_OID: {
    int err;
    if (!bytes_ok(v))
      return USNMP_E_INVAL;
    out_char(o, '"');
    err = out_oid_ber(o, v->v.bytes.data, v->v.bytes.len);
    out_char(o, '"');
    return err;
  }
  case USNMP_TYPE_IPADDRESS: {
    const uint8_t *a = v->v.bytes.data;
    if (v->v.bytes.len != 4 || a == NULL)
      return USNMP_E_BAD_VALUE;
    out_char(o, '"');
    out_ipv4(o, a);
    out_char(o, '"');
    return 0;
  }
  case USNMP_TYPE_NULL:
  case USNMP_TYPE_NOSUCHOBJECT:
  case USNMP_TYPE_NOSUCHINSTANCE:
  case USNMP_TYPE_ENDOFMIBVIEW:
    out_str(o, "null");
    return 0;
  case USNMP_TYPE_UNDECODABLE: {
    /* "tag":N, then the content as the value. */
    const uint8_t *content;
    size_t len;
    uint8_t tag;
    int err = undecodable_of(v, &tag, &content, &len);
    if (err < 0)
      return err;
    out_str(o, "\"tag\":");
    out_u64(o, tag);
    out_str(o, ",\"value\":");
    out_json_hex(o, content, len);
    return 0;
  }
  }
  return USNMP_E_BAD_VALUE;
}

int usnmp_varbind_format_json(char *buf, size_t size, const usnmp_varbind *vb) {
  text_out o;
  const char *type_name;
  int err;

  if ((buf == NULL && size > 0) || vb == NULL)
    return USNMP_E_INVAL;
  out_init(&o, buf, size);
  type_name = json_type_name(vb->value.type);
  if (type_name == NULL)
    return out_finish(&o, USNMP_E_BAD_VALUE);
  out_str(&o, "{\"oid\":\"");
  err = out_oid_ber(&o, vb->oid, vb->oid_len);
  if (err == 0) {
    out_str(&o, "\",\"type\":\"");
    out_str(&o, type_name);
    /* An undecodable value writes its "tag" member before "value". */
    out_str(&o,
            vb->value.type == USNMP_TYPE_UNDECODABLE ? "\"," : "\",\"value\":");
    err = out_json_value(&o, &vb->value);
    out_char(&o, '}');
  }
  return out_finish(&o, err);
}

/* ------------------------------------------------------------------------
 * error-status texts
 * ------------------------------------------------------------------------ */

/* net-snmp 5.9.3's snmp_errstring() texts, spelling included ("occured"),
 * so "Reason: ..." lines match its tools. */
static const char *const error_status_texts[] = {
    "(noError) No Error",
    "(tooBig) Response message would have been too large.",
    "(noSuchName) There is no such variable name in this MIB.",
    "(badValue) The value given has the wrong type or length.",
    "(readOnly) The two parties used do not have access to use the "
    "specified SNMP PDU.",
    "(genError) A general failure occured",
    "noAccess",
    "wrongType (The set datatype does not match the data type the agent "
    "expects)",
    "wrongLength (The set value has an illegal length from what the agent "
    "expects)",
    "wrongEncoding",
    "wrongValue (The set value is illegal or unsupported in some way)",
    "noCreation (That table does not support row creation or that object "
    "can not ever be created)",
    "inconsistentValue (The set value is illegal or unsupported in some "
    "way)",
    "resourceUnavailable (This is likely a out-of-memory failure within the "
    "agent)",
    "commitFailed",
    "undoFailed",
    "authorizationError (access denied to that object)",
    "notWritable (That object does not support modification)",
    "inconsistentName (That object can not currently be created)",
};

const char *usnmp_error_status_text(usnmp_error_status error_status) {
  if (error_status >= 0 &&
      (size_t)error_status <
          sizeof(error_status_texts) / sizeof(error_status_texts[0]))
    return error_status_texts[error_status];
  return "Unknown Error";
}

/* RFC 3416's names, as its PDU definition spells them. */
static const char *const error_status_names[] = {"noError",
                                                 "tooBig",
                                                 "noSuchName",
                                                 "badValue",
                                                 "readOnly",
                                                 "genErr",
                                                 "noAccess",
                                                 "wrongType",
                                                 "wrongLength",
                                                 "wrongEncoding",
                                                 "wrongValue",
                                                 "noCreation",
                                                 "inconsistentValue",
                                                 "resourceUnavailable",
                                                 "commitFailed",
                                                 "undoFailed",
                                                 "authorizationError",
                                                 "notWritable",
                                                 "inconsistentName"};

const char *usnmp_error_status_name(usnmp_error_status error_status) {
  if (error_status >= 0 &&
      (size_t)error_status <
          sizeof(error_status_names) / sizeof(error_status_names[0]))
    return error_status_names[error_status];
  return "unknown";
}
