/*
 * Tests of the BER slice reader and the backwards writer (lib/ber.h,
 * lib/ber.c): lengths, tags, depth, integers both ways, and the writer's
 * overflow behaviour.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "ber.h"
#include "usnmp.h"

/* Reads one element of any tag from bytes; returns the error or 0 and the
 * body length in *body_len and what is left in *rest. */
static int read_one(const uint8_t *bytes, size_t len, uint8_t *tag,
                    size_t *body_len, size_t *rest) {
  usnmp__slice in;
  usnmp__slice body;
  int rc;
  usnmp__slice_init(&in, bytes, len);
  rc = usnmp__ber_get_any(&in, tag, &body);
  if (rc >= 0) {
    *body_len = body.len;
    *rest = in.len;
    assert_ptr_equal(body.data + body.len, in.data);
    assert_int_equal(body.depth, 1);
  } else {
    /* On error the parent is untouched. */
    assert_ptr_equal(in.data, bytes);
    assert_int_equal(in.len, len);
  }
  return rc;
}

static void test_lengths(void **state) {
  static uint8_t buf[0x10010];
  static const struct {
    uint8_t hdr[6];
    size_t hdr_len;
    size_t body;
    int err;
  } cases[] = {
      {{0x04, 0x00}, 2, 0, 0},
      {{0x04, 0x7f}, 2, 0x7f, 0},
      {{0x04, 0x81, 0x80}, 3, 0x80, 0},
      {{0x04, 0x81, 0xff}, 3, 0xff, 0},
      {{0x04, 0x82, 0x01, 0x00}, 4, 0x100, 0},
      {{0x04, 0x82, 0xff, 0xff}, 4, 0xffff, 0},
      {{0x04, 0x83, 0x01, 0x00, 0x00}, 5, 0x10000, 0},
      {{0x04, 0x80}, 2, 0, USNMP_E_INDEFINITE_LENGTH},
      /* RFC 3417 section 8: more length octets than needed are legal;
       * the reader takes them and says so. */
      {{0x04, 0x81, 0x7f}, 3, 0x7f, USNMP__Q_LENGTH},
      {{0x04, 0x81, 0x05}, 3, 5, USNMP__Q_LENGTH},
      {{0x04, 0x81, 0x00}, 3, 0, USNMP__Q_LENGTH},
      {{0x04, 0x82, 0x00, 0xff}, 4, 0xff, USNMP__Q_LENGTH},
      {{0x04, 0x82, 0x00, 0x2e}, 4, 0x2e, USNMP__Q_LENGTH},
      {{0x04, 0x83, 0x00, 0x01, 0x00}, 5, 0x100, USNMP__Q_LENGTH},
      {{0x04, 0x84, 0x00, 0x00, 0x00, 0x2e}, 6, 0x2e, USNMP__Q_LENGTH},
      /* More than eight length octets, and the reserved 0xff: refused. */
      {{0x04, 0x89}, 2, 0, USNMP_E_BAD_LENGTH},
      {{0x04, 0xff}, 2, 0, USNMP_E_BAD_LENGTH},
      {{0x1f, 0x01}, 2, 1, USNMP_E_MULTIBYTE_TAG},
      {{0x7f, 0x01}, 2, 1, USNMP_E_MULTIBYTE_TAG},
      {{0xbf, 0x01}, 2, 1, USNMP_E_MULTIBYTE_TAG},
  };
  (void)state;
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    uint8_t tag = 0;
    size_t body = 0;
    size_t rest = 0;
    size_t total = cases[i].hdr_len + cases[i].body;
    memset(buf, 0x5a, sizeof buf);
    memcpy(buf, cases[i].hdr, cases[i].hdr_len);
    /* Exactly long enough, with one spare byte after it. */
    assert_int_equal(read_one(buf, total + 1, &tag, &body, &rest),
                     cases[i].err);
    if (cases[i].err >= 0) {
      assert_int_equal(tag, cases[i].hdr[0]);
      assert_int_equal(body, cases[i].body);
      assert_int_equal(rest, 1);
      /* One byte short: the body runs past the end. */
      assert_int_equal(read_one(buf, total - 1, &tag, &body, &rest),
                       USNMP_E_TRUNCATED);
    }
  }
  /* Headers cut short. */
  {
    uint8_t tag;
    size_t body;
    size_t rest;
    assert_int_equal(read_one((const uint8_t *)"", 0, &tag, &body, &rest),
                     USNMP_E_TRUNCATED);
    assert_int_equal(read_one((const uint8_t *)"\x04", 1, &tag, &body, &rest),
                     USNMP_E_TRUNCATED);
    assert_int_equal(
        read_one((const uint8_t *)"\x04\x82\x01", 3, &tag, &body, &rest),
        USNMP_E_TRUNCATED);
    assert_int_equal(read_one((const uint8_t *)"\x04\x84\x7f\xff\xff\xff", 6,
                              &tag, &body, &rest),
                     USNMP_E_TRUNCATED);
  }
}

static void test_get_asn1_tags(void **state) {
  static const uint8_t bytes[] = {0x30, 0x06, 0x02, 0x01, 0x05,
                                  0x04, 0x01, 'x',  0x05, 0x00};
  usnmp__slice in;
  usnmp__slice seq;
  usnmp__slice body;
  int32_t v;
  const uint8_t *data;
  size_t len;
  (void)state;
  usnmp__slice_init(&in, bytes, sizeof bytes);
  assert_int_equal(usnmp__ber_peek_tag(&in), 0x30);
  assert_int_equal(usnmp__ber_get_asn1(&in, &seq, 0x31), USNMP_E_BAD_TAG);
  assert_int_equal(in.len, sizeof bytes); /* unchanged */
  assert_int_equal(usnmp__ber_get_asn1(&in, &seq, 0x30), 0);
  assert_int_equal(seq.depth, 1);
  assert_int_equal(usnmp__ber_get_int32(&seq, 0x04, &v), USNMP_E_BAD_TAG);
  assert_int_equal(usnmp__ber_get_int32(&seq, 0x02, &v), 0);
  assert_int_equal(v, 5);
  assert_int_equal(usnmp__ber_get_octets(&seq, 0x04, &data, &len), 0);
  assert_int_equal(len, 1);
  assert_ptr_equal(data, bytes + 7); /* zero-copy */
  assert_int_equal(seq.len, 0);
  assert_int_equal(usnmp__ber_peek_tag(&seq), -1);
  assert_int_equal(usnmp__ber_get_asn1(&seq, &body, 0x05), USNMP_E_TRUNCATED);
  assert_int_equal(usnmp__ber_get_asn1(&in, &body, 0x05), 0);
  assert_int_equal(body.len, 0);
  assert_int_equal(in.len, 0);
}

static void test_depth(void **state) {
  uint8_t buf[2 * (USNMP_MAX_DEPTH + 2)];
  size_t n = USNMP_MAX_DEPTH + 1;
  usnmp__slice in;
  usnmp__slice child;
  uint8_t tag;
  int rc = 0;
  unsigned levels = 0;
  (void)state;
  /* n nested empty-ended SEQUENCEs: 30 2(n-1) 30 2(n-2) ... 30 00 */
  for (size_t i = 0; i < n; i++) {
    buf[2 * i] = 0x30;
    buf[2 * i + 1] = (uint8_t)(2 * (n - 1 - i));
  }
  usnmp__slice_init(&in, buf, 2 * n);
  while (in.len && (rc = usnmp__ber_get_any(&in, &tag, &child)) == 0) {
    levels++;
    in = child;
  }
  assert_int_equal(rc, USNMP_E_DEPTH);
  assert_int_equal(levels, USNMP_MAX_DEPTH);
  /* The generic walk reports the same. */
  usnmp__slice_init(&in, buf, 2 * n);
  assert_int_equal(usnmp__ber_walk(&in), USNMP_E_DEPTH);
  /* One level less is fine. */
  usnmp__slice_init(&in, buf + 2, 2 * (n - 1));
  assert_int_equal(usnmp__ber_walk(&in), 0);
  /* The walk reports malformed content inside. */
  usnmp__slice_init(&in, (const uint8_t *)"\x30\x02\x04\x05", 4);
  assert_int_equal(usnmp__ber_walk(&in), USNMP_E_TRUNCATED);
}

/* Signed integers, both ways: value and its content octets. */
static const struct {
  int32_t v;
  const char *content;
  size_t len;
} int_table[] = {
    {0, "\x00", 1},
    {1, "\x01", 1},
    {127, "\x7f", 1},
    {128, "\x00\x80", 2}, /* the seed manager's bug: never 02 01 80 */
    {255, "\x00\xff", 2},
    {256, "\x01\x00", 2},
    {32767, "\x7f\xff", 2},
    {32768, "\x00\x80\x00", 3},
    {-1, "\xff", 1},
    {-128, "\x80", 1},
    {-129, "\xff\x7f", 2}, /* the seed manager's bug: never 02 01 7f */
    {-256, "\xff\x00", 2},
    {-32768, "\x80\x00", 2},
    {-32769, "\xff\x7f\xff", 3},
    {8388607, "\x7f\xff\xff", 3},
    {-8388609, "\xff\x7f\xff\xff", 4},
    {INT32_MAX, "\x7f\xff\xff\xff", 4},
    {INT32_MIN, "\x80\x00\x00\x00", 4},
};

static void test_int32_table(void **state) {
  (void)state;
  for (size_t i = 0; i < sizeof int_table / sizeof int_table[0]; i++) {
    uint8_t buf[16];
    usnmp__writer w;
    int32_t got = 0;
    int len;
    usnmp__writer_init(&w, buf, sizeof buf);
    usnmp__ber_put_int32(&w, 0x02, int_table[i].v);
    len = usnmp__writer_finish(&w);
    assert_int_equal(len, (int)(2 + int_table[i].len));
    assert_int_equal(buf[0], 0x02);
    assert_int_equal(buf[1], int_table[i].len);
    assert_memory_equal(buf + 2, int_table[i].content, int_table[i].len);
    assert_int_equal(usnmp__ber_int32((const uint8_t *)int_table[i].content,
                                      int_table[i].len, &got),
                     0);
    assert_int_equal(got, int_table[i].v);
  }
}

static const struct {
  uint64_t v;
  size_t max_octets;
  const char *content;
  size_t len;
} uint_table[] = {
    {0, 4, "\x00", 1},
    {127, 4, "\x7f", 1},
    {128, 4, "\x00\x80", 2},
    {65535, 4, "\x00\xff\xff", 3},
    {2147483647, 4, "\x7f\xff\xff\xff", 4},
    {2147483648u, 4, "\x00\x80\x00\x00\x00", 5},
    {4294967295u, 4, "\x00\xff\xff\xff\xff", 5}, /* 41 05 00 FF FF FF FF */
    {4294967296u, 8, "\x01\x00\x00\x00\x00", 5},
    {INT64_MAX, 8, "\x7f\xff\xff\xff\xff\xff\xff\xff", 8},
    {UINT64_MAX, 8, "\x00\xff\xff\xff\xff\xff\xff\xff\xff", 9},
};

static void test_uint_table(void **state) {
  (void)state;
  for (size_t i = 0; i < sizeof uint_table / sizeof uint_table[0]; i++) {
    uint8_t buf[16];
    usnmp__writer w;
    uint64_t got = 0;
    int len;
    usnmp__writer_init(&w, buf, sizeof buf);
    usnmp__ber_put_uint64(&w, 0x46, uint_table[i].v);
    len = usnmp__writer_finish(&w);
    assert_int_equal(len, (int)(2 + uint_table[i].len));
    assert_int_equal(buf[1], uint_table[i].len);
    assert_memory_equal(buf + 2, uint_table[i].content, uint_table[i].len);
    assert_int_equal(usnmp__ber_uint((const uint8_t *)uint_table[i].content,
                                     uint_table[i].len,
                                     uint_table[i].max_octets, &got),
                     0);
    assert_true(got == uint_table[i].v);
  }
}

static void test_integer_errors(void **state) {
  static const struct {
    const char *content;
    size_t len;
    size_t max_octets; /* 0: signed int32 */
    int err;
  } cases[] = {
      {"", 0, 0, USNMP_E_BAD_VALUE},
      {"\x00\x80\x00\x00\x00", 5, 0, USNMP_E_INT_OVERFLOW},
      {"\x01\x00\x00\x00\x00", 5, 0, USNMP_E_INT_OVERFLOW},
      {"\xff\x7f\xff\xff\xff", 5, 0, USNMP_E_INT_OVERFLOW},
      /* net-snmp reads this as 4294966297, a value no INTEGER holds. */
      {"\x00\xff\xff\xfc\x19", 5, 0, USNMP_E_INT_OVERFLOW},
      {"", 0, 4, USNMP_E_BAD_VALUE},
      {"\x01\x00\x00\x00\x00", 5, 4, USNMP_E_INT_OVERFLOW},
      {"\x00\x80\x00\x00\x00\x00", 6, 4, USNMP_E_INT_OVERFLOW},
      /* net-snmp keeps the low 32 bits (5) of this Counter32. */
      {"\x01\x00\x00\x00\x05", 5, 4, USNMP_E_INT_OVERFLOW},
      {"\x80\x00\x00\x00\x01", 5, 4, USNMP_E_INT_OVERFLOW},
      {"\x01\x00\x00\x00\x00\x00\x00\x00\x00", 9, 8, USNMP_E_INT_OVERFLOW},
      {"\x00\x80\x00\x00\x00\x00\x00\x00\x00\x00", 10, 8, USNMP_E_INT_OVERFLOW},
  };
  (void)state;
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    const uint8_t *p = (const uint8_t *)cases[i].content;
    if (cases[i].max_octets == 0) {
      int32_t v = 42;
      assert_int_equal(usnmp__ber_int32(p, cases[i].len, &v), cases[i].err);
      assert_int_equal(v, 42); /* untouched on error */
    } else {
      uint64_t v = 42;
      assert_int_equal(
          usnmp__ber_uint(p, cases[i].len, cases[i].max_octets, &v),
          cases[i].err);
      assert_true(v == 42);
    }
  }
}

/* Encodings with one meaning that are not minimal: read, and reported. */
static void test_integer_tolerated(void **state) {
  static const struct {
    const char *content;
    size_t len;
    size_t max_octets; /* 0: signed int32 */
    int64_t value;
    int quirks;
  } cases[] = {
      {"\x00\x7f", 2, 0, 127, USNMP__Q_INT_PAD},
      {"\xff\x80", 2, 0, -128, USNMP__Q_INT_PAD},
      {"\x00\x00", 2, 0, 0, USNMP__Q_INT_PAD},
      {"\x00\x05", 2, 0, 5, USNMP__Q_INT_PAD},
      {"\x00\x00\x00\x01", 4, 0, 1, USNMP__Q_INT_PAD},
      /* pyasn1-based agents send INT32_MIN in five octets. */
      {"\xff\x80\x00\x00\x00", 5, 0, INT32_MIN, USNMP__Q_INT_PAD},
      /* A request-id FB 6A 65 17 echoed with an extra FF. */
      {"\xff\xfb\x6a\x65\x17", 5, 0, (int32_t)0xfb6a6517u, USNMP__Q_INT_PAD},
      {"\x00\x12\x34\x56\x78", 5, 0, 0x12345678, USNMP__Q_INT_PAD},
      {"\x00\x00\x00\x00\x00\x00\x00\x07", 8, 0, 7, USNMP__Q_INT_PAD},
      /* Unsigned types without their 00: read as unsigned. */
      {"\xb3\x99\x9f\xcb", 4, 4, 3013189579, USNMP__Q_UINT_SIGN},
      {"\xff\xff", 2, 4, 65535, USNMP__Q_UINT_SIGN},
      {"\x80", 1, 4, 128, USNMP__Q_UINT_SIGN},
      {"\xff\xff\xff", 3, 4, 16777215, USNMP__Q_UINT_SIGN},
      {"\xff\xff\xff\xff\xff\xff\xff\xff", 8, 8, -1, USNMP__Q_UINT_SIGN},
      /* Redundant 00 octets. */
      {"\x00\x7f", 2, 4, 127, USNMP__Q_INT_PAD},
      {"\x00\x00\x80", 3, 4, 128, USNMP__Q_INT_PAD},
      {"\x00\x00\x00\x00\x05", 5, 4, 5, USNMP__Q_INT_PAD},
      {"\x00\x00\xff\xff\xff\xff", 6, 4, 4294967295, USNMP__Q_INT_PAD},
  };
  (void)state;
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    const uint8_t *p = (const uint8_t *)cases[i].content;
    if (cases[i].max_octets == 0) {
      int32_t v = 42;
      assert_int_equal(usnmp__ber_int32(p, cases[i].len, &v), cases[i].quirks);
      assert_int_equal(v, (int32_t)cases[i].value);
    } else {
      uint64_t v = 42;
      assert_int_equal(
          usnmp__ber_uint(p, cases[i].len, cases[i].max_octets, &v),
          cases[i].quirks);
      assert_true(v == (uint64_t)cases[i].value);
    }
  }
}

static void test_writer_headers(void **state) {
  static uint8_t body[0x10000];
  static uint8_t buf[0x10010];
  static const struct {
    size_t len;
    const char *hdr;
    size_t hdr_len;
  } cases[] = {
      {0, "\x04\x00", 2},
      {0x7f, "\x04\x7f", 2},
      {0x80, "\x04\x81\x80", 3},
      {0xff, "\x04\x81\xff", 3},
      {0x100, "\x04\x82\x01\x00", 4},
      {0xffff, "\x04\x82\xff\xff", 4},
  };
  (void)state;
  memset(body, 0x33, sizeof body);
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    usnmp__writer w;
    int len;
    usnmp__slice in;
    usnmp__slice got;
    usnmp__writer_init(&w, buf, sizeof buf);
    usnmp__ber_put_octets(&w, 0x04, body, cases[i].len);
    len = usnmp__writer_finish(&w);
    if (cases[i].len + cases[i].hdr_len > USNMP_MAX_MSG_SIZE) {
      assert_int_equal(len, USNMP_E_MSG_TOO_BIG);
      continue;
    }
    assert_int_equal(len, (int)(cases[i].len + cases[i].hdr_len));
    assert_memory_equal(buf, cases[i].hdr, cases[i].hdr_len);
    /* What the writer writes, the reader reads. */
    usnmp__slice_init(&in, buf, (size_t)len);
    assert_int_equal(usnmp__ber_get_asn1(&in, &got, 0x04), 0);
    assert_int_equal(got.len, cases[i].len);
  }
}

static void test_writer_nobufs(void **state) {
  /* SEQUENCE { INTEGER 128, OCTET STRING "abc", NULL } */
  static const uint8_t want[] = {0x30, 0x0b, 0x02, 0x02, 0x00, 0x80, 0x04,
                                 0x03, 'a',  'b',  'c',  0x05, 0x00};
  (void)state;
  for (size_t size = 0; size <= sizeof want + 2; size++) {
    uint8_t buf[32];
    usnmp__writer w;
    size_t mark;
    int len;
    memset(buf, 0xee, sizeof buf);
    usnmp__writer_init(&w, size ? buf : NULL, size);
    mark = usnmp__writer_len(&w);
    usnmp__ber_put_header(&w, 0x05, 0);
    usnmp__ber_put_octets(&w, 0x04, "abc", 3);
    usnmp__ber_put_int32(&w, 0x02, 128);
    usnmp__ber_put_wrap(&w, 0x30, mark);
    /* Lengths are counted even when the bytes did not fit. */
    assert_int_equal(usnmp__writer_len(&w), sizeof want);
    len = usnmp__writer_finish(&w);
    if (size < sizeof want) {
      assert_int_equal(len, USNMP_E_NOBUFS);
    } else {
      assert_int_equal(len, (int)sizeof want);
      assert_memory_equal(buf, want, sizeof want);
    }
    /* Nothing is ever written past size. */
    for (size_t k = size; k < sizeof buf; k++)
      assert_int_equal(buf[k], 0xee);
  }
}

/* Offsets counted from the end stay valid after finish() (v3 relies on it
 * to patch its digest). */
static void test_writer_positions(void **state) {
  uint8_t buf[64];
  usnmp__writer w;
  size_t m0;
  size_t m1;
  int total;
  (void)state;
  usnmp__writer_init(&w, buf, sizeof buf);
  usnmp__ber_put_int32(&w, 0x02, 7);
  m0 = usnmp__writer_len(&w);
  usnmp__ber_put_octets(&w, 0x04, "digest", 6);
  m1 = usnmp__writer_len(&w);
  usnmp__ber_put_wrap(&w, 0x30, 0);
  total = usnmp__writer_finish(&w);
  assert_int_equal(total, 13);
  assert_memory_equal(buf + (size_t)total - m1,
                      "\x04\x06"
                      "digest",
                      m1 - m0);
}

/* The inline OID check (bit masks over 8 to 16 octets) must agree with
 * the general one on every input: valid names with sub-identifiers of one
 * to five octets, padding octets, overflows, unterminated ends. */
static void test_oid_check_fast_path(void **state) {
  uint64_t x = 88172645463325252u; /* xorshift64 state */
  size_t valid = 0;
  (void)state;
  for (int it = 0; it < 200000; it++) {
    uint8_t buf[16];
    size_t n;
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    n = 8 + (size_t)(x % 9);
    for (size_t i = 0; i < n; i++) {
      unsigned r;
      x ^= x << 13;
      x ^= x >> 7;
      x ^= x << 17;
      r = (unsigned)(x >> 32);
      switch (r % 8) {
      case 0:
      case 1:
      case 2:
        buf[i] = (uint8_t)(r >> 8 & 0x7f);
        break;
      case 3:
      case 4:
      case 5:
        buf[i] = (uint8_t)(0x80 | (r >> 8 & 0x7f));
        break;
      case 6:
        buf[i] = 0x80;
        break;
      default:
        buf[i] = (uint8_t)(0x81 + (r >> 8) % 15);
        break;
      }
    }
    {
      int general = usnmp__ber_oid_check_general(buf, n);
      assert_int_equal(usnmp__ber_oid_check(buf, n), general);
      valid += general == 0;
    }
  }
  /* The inputs do exercise both outcomes. */
  assert_true(valid > 1000);
  assert_true(valid < 150000);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_lengths),
      cmocka_unit_test(test_get_asn1_tags),
      cmocka_unit_test(test_depth),
      cmocka_unit_test(test_int32_table),
      cmocka_unit_test(test_uint_table),
      cmocka_unit_test(test_integer_errors),
      cmocka_unit_test(test_integer_tolerated),
      cmocka_unit_test(test_writer_headers),
      cmocka_unit_test(test_writer_nobufs),
      cmocka_unit_test(test_writer_positions),
      cmocka_unit_test(test_oid_check_fast_path),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
