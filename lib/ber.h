/*
 * BER reading and writing for the SNMP codec (internal).
 *
 * Reading works on a bounded, non-owning slice in the style of BoringSSL's
 * CBS: usnmp__ber_get_asn1(&in, &child, tag) checks the next element's tag,
 * returns its content octets as a child slice and advances the parent past
 * the element.  A slice never reads outside [data, data + len), so hostile
 * lengths can only produce an error, never an out-of-bounds read.  Each
 * slice carries its nesting depth; a child deeper than USNMP_MAX_DEPTH is
 * refused with USNMP_E_DEPTH.
 *
 * The reader takes every encoding that has exactly one meaning, and
 * reports what it tolerated (RFC 3417 section 8 allows long-form lengths
 * longer than needed; real agents send the rest): a function that read a
 * valid but non-minimal encoding returns a positive mask of USNMP__Q_*
 * bits instead of 0, so callers that test rc < 0 accept it and callers
 * that care OR the bits together (the message decoders turn them into
 * usnmp_msg_decode_ex()'s tolerated mask, and refuse them in strict
 * mode).  The minimal encodings stay on the inline fast paths; the
 * others take an out-of-line slow path.  Refused everywhere:
 *   - multi-byte tags (low five bits 0x1f: USNMP_E_MULTIBYTE_TAG);
 *   - indefinite lengths (0x80: USNMP_E_INDEFINITE_LENGTH);
 *   - long-form lengths of more than eight octets, the reserved 0xff, and
 *     values above 2^32-1 (USNMP_E_BAD_LENGTH); leading zero octets and a
 *     long form for a length below 128 are tolerated (USNMP__Q_LENGTH);
 *   - a length past the end of the enclosing slice: USNMP_E_TRUNCATED;
 *   - integers outside the range of their type once redundant sign octets
 *     are dropped (USNMP_E_INT_OVERFLOW), and empty ones
 *     (USNMP_E_BAD_VALUE).  Redundant sign octets (USNMP__Q_INT_PAD) and
 *     unsigned values whose top bit is set without the 00 octet
 *     (USNMP__Q_UINT_SIGN: read as unsigned, 41 04 B3 99 9F CB is
 *     3013189579) are tolerated.
 *
 * Writing has one strategy: backwards.  A usnmp__writer fills the caller's
 * buffer from its end towards its start, so an element's content is written
 * before its header and every length is known when the header is written.
 * To encode SEQUENCE { a, b }, write b, then a, then the header:
 *
 *   size_t mark = usnmp__writer_len(&w);
 *   usnmp__ber_put_int32(&w, USNMP_TYPE_INTEGER, b);
 *   usnmp__ber_put_int32(&w, USNMP_TYPE_INTEGER, a);
 *   usnmp__ber_put_header(&w, 0x30, usnmp__writer_len(&w) - mark);
 *
 * usnmp__writer_finish() then moves the finished bytes to the start of the
 * buffer.  Positions are stable counted from the end: bytes written while
 * usnmp__writer_len() went from m0 to m1 end up at offsets [total - m1,
 * total - m0) of the finished message (v3 uses this to find its
 * msgAuthenticationParameters and fill in the digest afterwards).
 *
 * Running out of room is sticky: the writer stops writing but keeps
 * counting, so finish() can tell a message that can never be sent
 * (USNMP_E_MSG_TOO_BIG) from one that needs a larger buffer
 * (USNMP_E_NOBUFS), and callers check for errors once, at the end.
 *
 * Within one reservation bytes go front to back: a small element (or a
 * whole varbind, in lib/pdu.c) has its size worked out first, takes one
 * reservation and is filled inside it.  That is still writing backwards,
 * element by element; it only saves a bounds check per header.
 *
 * The hot helpers are static inline here so the message codec compiles
 * into straight-line code without a call per element.
 */
#ifndef USNMP_BER_H
#define USNMP_BER_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "usnmp.h"

/* The reading helpers on the per-varbind path are forced inline: with
 * their slow paths called out of line they are small, and a call per
 * element would cost more than the work. */
#define USNMP__HOT static inline __attribute__((always_inline))

/* Universal and SNMP tags the codec reads and writes. */
#define USNMP__TAG_SEQUENCE 0x30
#define USNMP__TAG_CONSTRUCTED 0x20

/* What a decoder tolerated, one bit per kind: the positive return values
 * of the reading functions below.  They are the public USNMP_TOLERATED_*
 * bits of usnmp_msg_decode_ex(). */
#define USNMP__Q_LENGTH USNMP_TOLERATED_LENGTH
#define USNMP__Q_INT_PAD USNMP_TOLERATED_INT_PADDING
#define USNMP__Q_UINT_SIGN USNMP_TOLERATED_UNSIGNED_SIGN
#define USNMP__Q_OID_PAD USNMP_TOLERATED_OID_PADDING
#define USNMP__Q_NULL_CONTENT USNMP_TOLERATED_NULL_CONTENT
#define USNMP__Q_TRAILING USNMP_TOLERATED_TRAILING
#define USNMP__Q_UNDECODABLE USNMP_TOLERATED_UNDECODABLE
#define USNMP__Q_PRIV_PAD USNMP_TOLERATED_PRIV_PADDING

/* ------------------------------------------------------------------------
 * Reading
 * ------------------------------------------------------------------------ */

typedef struct usnmp__slice {
  const uint8_t *data;
  size_t len;
  /* Nesting depth of the element whose content this slice is: 0 for a
   * whole datagram, 1 for the content of its outer SEQUENCE, and so on. */
  uint32_t depth;
} usnmp__slice;

/* Points *s at len bytes of data at depth 0. */
static inline void usnmp__slice_init(usnmp__slice *s, const uint8_t *data,
                                     size_t len) {
  s->data = data;
  s->len = len;
  s->depth = 0;
}

/* Decodes a long-form length (the octet 0x81..0x88 and what follows) for
 * usnmp__ber_get_any(); out of line because short lengths are the rule.
 * On success stores the length and the number of octets consumed after the
 * first.  Returns 0, USNMP__Q_LENGTH (a valid length in more octets than
 * needed), USNMP_E_INDEFINITE_LENGTH, USNMP_E_BAD_LENGTH or
 * USNMP_E_TRUNCATED. */
int usnmp__ber_long_length(const uint8_t *p, size_t avail, uint8_t first,
                           size_t *len, size_t *used);

/* The part of usnmp__ber_get_any() after the tag: reads the length at
 * in->data[1] (the caller has checked in->len >= 2), checks it against the
 * room left and the depth, and splits off the body. */
USNMP__HOT int usnmp__ber_take_body(usnmp__slice *in, usnmp__slice *body) {
  const uint8_t *p = in->data;
  size_t avail = in->len;
  size_t len = p[1];
  size_t hdr = 2;
  int quirks = 0;
  if (len & 0x80) {
    size_t used;
    quirks = usnmp__ber_long_length(p + 2, avail - 2, p[1], &len, &used);
    if (quirks < 0)
      return quirks;
    hdr += used;
  }
  if (len > avail - hdr)
    return USNMP_E_TRUNCATED;
  if (in->depth >= USNMP_MAX_DEPTH)
    return USNMP_E_DEPTH;
  body->data = p + hdr;
  body->len = len;
  body->depth = in->depth + 1;
  in->data = p + hdr + len;
  in->len = avail - hdr - len;
  return quirks;
}

/* Reads one element of any single-byte tag from the front of *in: stores
 * its tag in *tag and its content octets in *body (one level deeper than
 * *in), and advances *in past it.  Returns 0, USNMP__Q_LENGTH (a long
 * form longer than needed), USNMP_E_TRUNCATED (no room
 * for the header, or the length runs past the end of *in),
 * USNMP_E_MULTIBYTE_TAG, USNMP_E_INDEFINITE_LENGTH, USNMP_E_BAD_LENGTH or
 * USNMP_E_DEPTH.  On error *in is left unchanged. */
USNMP__HOT int usnmp__ber_get_any(usnmp__slice *in, uint8_t *tag,
                                  usnmp__slice *body) {
  if (in->len < 2)
    return USNMP_E_TRUNCATED;
  if ((in->data[0] & 0x1f) == 0x1f)
    return USNMP_E_MULTIBYTE_TAG;
  *tag = in->data[0];
  return usnmp__ber_take_body(in, body);
}

/* Like usnmp__ber_get_any(), but the element's tag must be tag (a
 * single-byte tag): another tag gives USNMP_E_BAD_TAG, or
 * USNMP_E_MULTIBYTE_TAG when it is the first octet of a multi-byte tag.
 * The tag is checked before the length.  *in is left unchanged on error. */
USNMP__HOT int usnmp__ber_get_asn1(usnmp__slice *in, usnmp__slice *body,
                                   uint8_t tag) {
  if (in->len < 2)
    return USNMP_E_TRUNCATED;
  if (in->data[0] != tag)
    return (in->data[0] & 0x1f) == 0x1f ? USNMP_E_MULTIBYTE_TAG
                                        : USNMP_E_BAD_TAG;
  return usnmp__ber_take_body(in, body);
}

/* Returns the tag of the next element of *in without consuming it, or -1
 * when *in is empty. */
static inline int usnmp__ber_peek_tag(const usnmp__slice *in) {
  return in->len ? in->data[0] : -1;
}

/* The slow paths of usnmp__ber_int32() and usnmp__ber_uint(): empty
 * content, redundant sign octets, a missing 00 octet, values out of
 * range.  Same returns. */
int usnmp__ber_int32_slow(const uint8_t *p, size_t n, int32_t *out);
int usnmp__ber_uint_slow(const uint8_t *p, size_t n, size_t max_octets,
                         uint64_t *out);

/* Decodes INTEGER content octets as a signed 32-bit value.  Returns 0,
 * USNMP__Q_INT_PAD (redundant leading sign octets, 02 05 FF 80 00 00 00
 * is -2147483648), USNMP_E_BAD_VALUE (no content) or USNMP_E_INT_OVERFLOW
 * (more than 32 bits once the redundant octets are dropped). */
USNMP__HOT int usnmp__ber_int32(const uint8_t *p, size_t n, int32_t *out) {
  uint32_t v;
  size_t i;
  if (n == 0 || n > 4 ||
      (n > 1 &&
       ((p[0] == 0x00 && !(p[1] & 0x80)) || (p[0] == 0xff && (p[1] & 0x80)))))
    return usnmp__ber_int32_slow(p, n, out);
  /* Sign-extend the first octet, then shift the rest in.  Unsigned
   * arithmetic keeps the shifts defined; the final conversion relies on
   * two's complement, which C23 requires and every target of ours has. */
  v = (p[0] & 0x80) ? UINT32_MAX : 0;
  for (i = 0; i < n; i++)
    v = (v << 8) | p[i];
  *out = (int32_t)v;
  return 0;
}

/* Decodes unsigned content octets (Counter32, Gauge32, TimeTicks,
 * Counter64) as a value of at most max_octets significant octets (4 or
 * 8).  The encoding is a non-negative two's-complement INTEGER, so values
 * with the top bit set carry a leading 00 octet.  Returns 0,
 * USNMP__Q_INT_PAD (redundant leading 00 octets), USNMP__Q_UINT_SIGN (the
 * top bit set without the 00: read as unsigned, as the type says),
 * USNMP_E_BAD_VALUE (no content) or USNMP_E_INT_OVERFLOW (more than
 * max_octets significant octets, or redundant FF octets: a negative
 * number, which no unsigned type holds). */
USNMP__HOT int usnmp__ber_uint(const uint8_t *p, size_t n, size_t max_octets,
                               uint64_t *out) {
  uint64_t v = 0;
  size_t i;
  if (n == 0 || (p[0] & 0x80) || n > max_octets + 1 ||
      (n > 1 && p[0] == 0x00 && !(p[1] & 0x80)) ||
      (n == max_octets + 1 && p[0] != 0))
    return usnmp__ber_uint_slow(p, n, max_octets, out);
  if (n == max_octets + 1) {
    p++;
    n--;
  }
  for (i = 0; i < n; i++)
    v = (v << 8) | p[i];
  *out = v;
  return 0;
}

/* Reads an element tagged tag holding a signed 32-bit integer.  Returns 0,
 * the USNMP__Q_* bits of what it tolerated, a usnmp__ber_get_asn1() error
 * or a usnmp__ber_int32() error. */
USNMP__HOT int usnmp__ber_get_int32(usnmp__slice *in, uint8_t tag,
                                    int32_t *out) {
  usnmp__slice body;
  int q = usnmp__ber_get_asn1(in, &body, tag);
  int rc;
  if (q < 0)
    return q;
  rc = usnmp__ber_int32(body.data, body.len, out);
  return rc < 0 ? rc : rc | q;
}

/* Reads an element tagged tag holding an unsigned 32-bit integer (the
 * encoding of Counter32, Gauge32, TimeTicks; also usable for v3's
 * non-negative INTEGER fields).  Returns 0, the USNMP__Q_* bits of what it
 * tolerated, or the errors of usnmp__ber_get_asn1() and usnmp__ber_uint(). */
USNMP__HOT int usnmp__ber_get_uint32(usnmp__slice *in, uint8_t tag,
                                     uint32_t *out) {
  usnmp__slice body;
  uint64_t v;
  int q = usnmp__ber_get_asn1(in, &body, tag);
  int rc;
  if (q < 0)
    return q;
  rc = usnmp__ber_uint(body.data, body.len, 4, &v);
  if (rc < 0)
    return rc;
  *out = (uint32_t)v;
  return rc | q;
}

/* Reads an element tagged tag and returns its content octets zero-copy in
 * *data and *len.  Returns 0, USNMP__Q_LENGTH or a usnmp__ber_get_asn1()
 * error. */
USNMP__HOT int usnmp__ber_get_octets(usnmp__slice *in, uint8_t tag,
                                     const uint8_t **data, size_t *len) {
  usnmp__slice body;
  int rc = usnmp__ber_get_asn1(in, &body, tag);
  if (rc < 0)
    return rc;
  *data = body.data;
  *len = body.len;
  return rc;
}

/* Checks that n content octets form a valid OBJECT IDENTIFIER: at least
 * one sub-identifier, each terminated (last octet < 0x80), none above
 * 2^32-1, and at most USNMP_OID_MAX_LEN arcs (the first sub-identifier
 * carries two).  Returns 0, USNMP__Q_OID_PAD (valid, but a sub-identifier
 * starts with the padding octet 0x80, which adds nothing to its value),
 * USNMP_E_BAD_OID, USNMP_E_OID_SUBID_OVERFLOW or USNMP_E_OID_TOO_LONG. */
static inline int usnmp__ber_oid_check(const uint8_t *p, size_t n);

/* The same check for any input, out of line (usnmp__ber_oid_check() calls
 * it for what its inline fast path does not settle). */
int usnmp__ber_oid_check_general(const uint8_t *p, size_t n);

/* Returns a mask of the octets of the 8-octet word x (loaded from memory
 * in host order: little-endian here) whose top bit is set: bit i for octet
 * i.  The multiplication gathers the eight top bits into the top octet. */
static inline unsigned usnmp__ber_top_bits(uint64_t x) {
  uint64_t t = x & UINT64_C(0x8080808080808080);
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
  t = __builtin_bswap64(t);
#endif
  return (unsigned)((t * UINT64_C(0x0002040810204081)) >> 56);
}

/* Returns the top-bit mask of the octets of x that equal 0x80. */
static inline unsigned usnmp__ber_padding_octets(uint64_t x) {
  const uint64_t low7 = UINT64_C(0x7f7f7f7f7f7f7f7f);
  uint64_t z = x ^ UINT64_C(0x8080808080808080); /* 0x80 becomes 00 */
  /* An octet of z is zero exactly when its top bit stays clear here. */
  uint64_t t = ((z & low7) + low7) | z;
  return usnmp__ber_top_bits(~t);
}

static inline int usnmp__ber_oid_check(const uint8_t *p, size_t n) {
  /* Inline fast path for the usual varbind name of 8 to 16 octets (so at
   * most 17 arcs), read as two possibly overlapping 8-octet words and
   * checked with bit masks, one bit per octet: the last octet ends a
   * sub-identifier, no sub-identifier starts with the padding octet 0x80,
   * and none is longer than four octets (so none exceeds 28 bits).
   * Whatever fails here, including longer valid sub-identifiers, goes to
   * the general check, which also names the error. */
  if (n >= 8 && n <= 16) {
    uint64_t a;
    uint64_t b;
    unsigned all = (1u << n) - 1;
    unsigned cont; /* octets with the top bit set: more octets follow */
    unsigned starts;
    unsigned padding;
    memcpy(&a, p, 8);
    memcpy(&b, p + n - 8, 8);
    cont = usnmp__ber_top_bits(a) | (usnmp__ber_top_bits(b) << (n - 8));
    if (cont == 0)
      return 0;
    starts = ~(cont << 1) & all;
    padding = usnmp__ber_padding_octets(a) |
              (usnmp__ber_padding_octets(b) << (n - 8));
    if (!(cont >> (n - 1)) && !(starts & padding) &&
        !(cont & (cont >> 1) & (cont >> 2) & (cont >> 3)))
      return 0;
  }
  return usnmp__ber_oid_check_general(p, n);
}

/* Writes the n content octets of a checked OID at src to dst without
 * their padding octets (a 0x80 that starts a sub-identifier), which gives
 * the minimal encoding of the same OID, and returns its length (at most
 * n).  dst may be src: the copy then runs in place; dst NULL only
 * counts. */
size_t usnmp__ber_oid_canon(uint8_t *dst, const uint8_t *src, size_t n);

/* Walks the content of a constructed element of unknown meaning, element
 * by element and into nested constructed elements, so that hostile nesting
 * is reported as USNMP_E_DEPTH like anywhere else.  Returns 0 when the
 * content is well-formed BER, else the first reading error. */
int usnmp__ber_walk(const usnmp__slice *body);

/* ------------------------------------------------------------------------
 * Writing (backwards)
 * ------------------------------------------------------------------------ */

typedef struct usnmp__writer {
  uint8_t *buf; /* start of the caller's buffer */
  uint8_t *pos; /* first written byte: the output is [pos, end) */
  uint8_t *end; /* end of the caller's buffer */
  size_t lost;  /* bytes counted but not written, once the buffer ran out */
  int err;      /* 0, or USNMP_E_NOBUFS once the buffer ran out */
} usnmp__writer;

/* Starts writing backwards into buf[0..size). */
static inline void usnmp__writer_init(usnmp__writer *w, uint8_t *buf,
                                      size_t size) {
  w->buf = buf;
  /* NULL + 0 is undefined in C, so an empty buffer stays NULL. */
  w->end = buf ? buf + size : buf;
  w->pos = w->end;
  w->lost = 0;
  w->err = 0;
}

/* Returns the number of bytes written so far (counting those that did not
 * fit); the difference of two values is the length of what was written in
 * between. */
static inline size_t usnmp__writer_len(const usnmp__writer *w) {
  return (size_t)(w->end - w->pos) + w->lost;
}

/* The out-of-room path of usnmp__writer_reserve(): the writer gives up
 * what room is left, counts the rest as lost, and stays failed (with no
 * room, every later reservation fails too; an empty one returns a pointer
 * nobody writes through). */
static inline uint8_t *usnmp__writer_overflow(usnmp__writer *w, size_t n) {
  w->lost += n - (size_t)(w->pos - w->buf);
  w->pos = w->buf;
  w->err = USNMP_E_NOBUFS;
  return NULL;
}

/* Reserves n bytes in front of the output and returns where to write them,
 * or NULL when they do not fit (the writer is then failed, and keeps only
 * counting). */
static inline uint8_t *usnmp__writer_reserve(usnmp__writer *w, size_t n) {
  if (n > (size_t)(w->pos - w->buf))
    return usnmp__writer_overflow(w, n);
  w->pos -= n;
  return w->pos;
}

/* Copies n bytes; names and small values take two overlapping fixed-size
 * copies (plain loads and stores) instead of a call to memcpy. */
static inline void usnmp__ber_copy(uint8_t *p, const uint8_t *src, size_t n) {
  if (n >= 8 && n <= 16) {
    uint64_t a;
    uint64_t b;
    memcpy(&a, src, 8);
    memcpy(&b, src + n - 8, 8);
    memcpy(p, &a, 8);
    memcpy(p + n - 8, &b, 8);
  } else if (n >= 4 && n < 8) {
    uint32_t a;
    uint32_t b;
    memcpy(&a, src, 4);
    memcpy(&b, src + n - 4, 4);
    memcpy(p, &a, 4);
    memcpy(p + n - 4, &b, 4);
  } else if (n < 4) {
    for (size_t i = 0; i < n; i++)
      p[i] = src[i];
  } else {
    memcpy(p, src, n);
  }
}

/* Prepends n bytes. */
static inline void usnmp__ber_put_bytes(usnmp__writer *w, const void *data,
                                        size_t n) {
  uint8_t *p = usnmp__writer_reserve(w, n);
  if (p == NULL || n == 0)
    return;
  usnmp__ber_copy(p, data, n);
}

/* Sizes and fills.  An element's size is known before it is written, so
 * a small element (or a whole varbind) takes one reservation and is then
 * filled front to back inside it; the put functions below do exactly that
 * for one element. */

/* Returns the number of octets of the header of an element with len
 * content octets: tag, and a minimal definite length (short form below
 * 128, else 0x81..0x84 and the length in big-endian octets). */
static inline size_t usnmp__ber_header_size(size_t len) {
  return len < 0x80        ? 2
         : len <= 0xff     ? 3
         : len <= 0xffff   ? 4
         : len <= 0xffffff ? 5
                           : 6;
}

/* Writes the header of an element at p (usnmp__ber_header_size(len)
 * octets) and returns the position after it. */
static inline uint8_t *usnmp__ber_fill_header(uint8_t *p, uint8_t tag,
                                              size_t len) {
  size_t n;
  p[0] = tag;
  if (len < 0x80) {
    p[1] = (uint8_t)len;
    return p + 2;
  }
  n = usnmp__ber_header_size(len) - 2;
  p[1] = (uint8_t)(0x80 | n);
  for (size_t i = 0; i < n; i++)
    p[2 + i] = (uint8_t)(len >> (8 * (n - 1 - i)));
  return p + 2 + n;
}

/* Returns the content octets of v as a minimal two's-complement INTEGER:
 * leading octets that only repeat the sign bit of the next are dropped. */
static inline size_t usnmp__ber_int32_size(int32_t v) {
  uint32_t u = (uint32_t)v;
  size_t n = 4;
  while (n > 1) {
    uint32_t top9 = (u >> (8 * n - 9)) & 0x1ff;
    if (top9 != 0 && top9 != 0x1ff)
      break;
    n--;
  }
  return n;
}

/* Returns the content octets of the unsigned v (Counter32, Gauge32,
 * TimeTicks, Counter64): its significant octets, plus a leading 00 when
 * the top bit of the first is set (4294967295 takes 00 FF FF FF FF). */
static inline size_t usnmp__ber_uint64_size(uint64_t v) {
  /* Significant bits, at least one: whole octets of them need the 00. */
  size_t bits = 64 - (size_t)__builtin_clzll(v | 1);
  return bits / 8 + 1;
}

/* Writes the n low-order octets of v at p, most significant first: the
 * content of an integer of usnmp__ber_int32_size() or
 * usnmp__ber_uint64_size() octets (a leading 00 is one of them). */
static inline void usnmp__ber_fill_be(uint8_t *p, uint64_t v, size_t n) {
  for (size_t i = 0; i < n; i++)
    p[i] = (uint8_t)(v >> (8 * (n - 1 - i)));
}

/* Prepends a tag and a minimal definite length. */
static inline void usnmp__ber_put_header(usnmp__writer *w, uint8_t tag,
                                         size_t len) {
  uint8_t *p = usnmp__writer_reserve(w, usnmp__ber_header_size(len));
  if (p)
    usnmp__ber_fill_header(p, tag, len);
}

/* Prepends a complete element: header and n content octets. */
static inline void usnmp__ber_put_octets(usnmp__writer *w, uint8_t tag,
                                         const void *data, size_t n) {
  uint8_t *p = usnmp__writer_reserve(w, usnmp__ber_header_size(n) + n);
  if (p == NULL)
    return;
  p = usnmp__ber_fill_header(p, tag, n);
  if (n)
    usnmp__ber_copy(p, data, n);
}

/* Prepends the header of a constructed element whose content is what was
 * written since mark (a usnmp__writer_len() taken before its content). */
static inline void usnmp__ber_put_wrap(usnmp__writer *w, uint8_t tag,
                                       size_t mark) {
  usnmp__ber_put_header(w, tag, usnmp__writer_len(w) - mark);
}

/* Prepends a signed INTEGER-like element in minimal two's complement. */
static inline void usnmp__ber_put_int32(usnmp__writer *w, uint8_t tag,
                                        int32_t v) {
  size_t n = usnmp__ber_int32_size(v);
  uint8_t *p = usnmp__writer_reserve(w, 2 + n);
  if (p == NULL)
    return;
  p[0] = tag;
  p[1] = (uint8_t)n;
  usnmp__ber_fill_be(p + 2, (uint32_t)v, n);
}

/* Prepends an unsigned integer element (Counter32, Gauge32, TimeTicks,
 * Counter64), so 4294967295 becomes 41 05 00 FF FF FF FF. */
static inline void usnmp__ber_put_uint64(usnmp__writer *w, uint8_t tag,
                                         uint64_t v) {
  size_t n = usnmp__ber_uint64_size(v);
  uint8_t *p = usnmp__writer_reserve(w, 2 + n);
  if (p == NULL)
    return;
  p[0] = tag;
  p[1] = (uint8_t)n;
  /* Nine octets only for values of 2^63 and up: the 00, then all eight. */
  if (n == 9) {
    p[2] = 0;
    usnmp__ber_fill_be(p + 3, v, 8);
  } else {
    usnmp__ber_fill_be(p + 2, v, n);
  }
}

/* Finishes the output: moves it to buf[0] and returns its length; the
 * writer is spent afterwards.  Returns
 * USNMP_E_MSG_TOO_BIG when the output is larger than USNMP_MAX_MSG_SIZE
 * (whatever the buffer), else USNMP_E_NOBUFS when it did not fit. */
static inline int usnmp__writer_finish(usnmp__writer *w) {
  size_t len = usnmp__writer_len(w);
  if (len > USNMP_MAX_MSG_SIZE)
    return USNMP_E_MSG_TOO_BIG;
  if (w->err)
    return w->err;
  if (w->pos != w->buf)
    memmove(w->buf, w->pos, len);
  return (int)len;
}

#endif /* USNMP_BER_H */
