/*
 * Tests of object identifiers (lib/oid.c): text both ways, BER content
 * octets both ways, ordering, and every rejection.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "ber.h"
#include "usnmp.h"

/* Known OIDs: dotted text (as formatted) and BER content octets. */
static const struct {
  const char *text;
  const char *ber;
  size_t ber_len;
} known[] = {
    {".1.3.6.1.2.1.1.1.0", "\x2b\x06\x01\x02\x01\x01\x01\x00", 8},
    {".1.3.6.1.4.1.8072.3.2.10", "\x2b\x06\x01\x04\x01\xbf\x08\x03\x02\x0a",
     10},
    {".2.999.1", "\x88\x37\x01", 3}, /* the seed manager's bug */
    {".0.0", "\x00", 1},
    {".0.39", "\x27", 1},
    {".1.0", "\x28", 1},
    {".1.39", "\x4f", 1},
    {".2.0", "\x50", 1},
    {".2.47", "\x7f", 1},
    {".2.48", "\x81\x00", 2},
    {".1.3.127.128.16383.16384", "\x2b\x7f\x81\x00\xff\x7f\x81\x80\x00", 9},
    {".1.3.4294967295", "\x2b\x8f\xff\xff\xff\x7f", 6},
    {".2.4294967215", "\x8f\xff\xff\xff\x7f", 5}, /* 80 + arc = 2^32-1 */
};

static void test_known_both_ways(void **state) {
  (void)state;
  for (size_t i = 0; i < sizeof known / sizeof known[0]; i++) {
    usnmp_oid oid;
    usnmp_oid back;
    uint8_t ber[USNMP_OID_MAX_LEN * 5];
    char text[512];
    int n;
    assert_int_equal(usnmp_oid_parse(&oid, known[i].text), 0);
    n = usnmp_oid_to_ber(ber, sizeof ber, &oid);
    assert_int_equal(n, (int)known[i].ber_len);
    assert_memory_equal(ber, known[i].ber, known[i].ber_len);
    assert_int_equal(usnmp_oid_from_ber(&back, (const uint8_t *)known[i].ber,
                                        known[i].ber_len),
                     0);
    assert_int_equal(usnmp_oid_cmp(&oid, &back), 0);
    n = usnmp_oid_format(text, sizeof text, &back);
    assert_int_equal(n, (int)strlen(known[i].text));
    assert_string_equal(text, known[i].text);
    /* Without the leading dot parses the same. */
    assert_int_equal(usnmp_oid_parse(&back, known[i].text + 1), 0);
    assert_int_equal(usnmp_oid_cmp(&oid, &back), 0);
  }
}

static void test_parse_errors(void **state) {
  static const struct {
    const char *text;
    int err;
  } cases[] = {
      {"", USNMP_E_BAD_OID},
      {".", USNMP_E_BAD_OID},
      {"1..3", USNMP_E_BAD_OID},
      {"1.3.", USNMP_E_BAD_OID},
      {"..1.3", USNMP_E_BAD_OID},
      {"1.3.6.x", USNMP_E_MIB_NAME},
      {"1.3.6.1x", USNMP_E_BAD_OID},
      {"1.3.6.0x1", USNMP_E_BAD_OID},
      {"sysDescr.0", USNMP_E_MIB_NAME},
      {".sysDescr.0", USNMP_E_MIB_NAME},
      {"IF-MIB::ifDescr.1", USNMP_E_MIB_NAME},
      {"SNMPv2-MIB::sysDescr", USNMP_E_MIB_NAME},
      {"1.3.6.1.2.1.1.sysDescr.0", USNMP_E_MIB_NAME},
      {"iso.org.dod", USNMP_E_MIB_NAME},
      {"ISO.3.6", USNMP_E_MIB_NAME}, /* net-snmp's names are case-sensitive */
      {"isox.3", USNMP_E_MIB_NAME},
      {"iso.40", USNMP_E_BAD_OID},
      {"iso.", USNMP_E_BAD_OID},
      {"iso..3", USNMP_E_BAD_OID},
      {".iso.3.6.x", USNMP_E_MIB_NAME},
      {"1.iso.3", USNMP_E_MIB_NAME},
      {"1.3.-6", USNMP_E_BAD_OID},
      {" 1.3", USNMP_E_BAD_OID},
      {"1.3 ", USNMP_E_BAD_OID},
      {"0.40", USNMP_E_BAD_OID},
      {"1.40", USNMP_E_BAD_OID},
      {"3.0.1", USNMP_E_BAD_OID},
      {"1.3.4294967296", USNMP_E_OID_SUBID_OVERFLOW},
      {"1.3.99999999999999999999999", USNMP_E_OID_SUBID_OVERFLOW},
      {"2.4294967216", USNMP_E_OID_SUBID_OVERFLOW},
  };
  usnmp_oid oid;
  (void)state;
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
    assert_int_equal(usnmp_oid_parse(&oid, cases[i].text), cases[i].err);
  assert_int_equal(usnmp_oid_parse(NULL, "1.3"), USNMP_E_INVAL);
  assert_int_equal(usnmp_oid_parse(&oid, NULL), USNMP_E_INVAL);
  /* One arc parses (a walk may start at .1) but has no BER form. */
  assert_int_equal(usnmp_oid_parse(&oid, ".1"), 0);
  assert_int_equal(oid.len, 1);
  assert_int_equal(usnmp_oid_to_ber((uint8_t[8]){0}, 8, &oid), USNMP_E_BAD_OID);
}

/* The top-level names net-snmp knows without MIB modules, as it prints
 * them (-OS: "iso.3.6...", -Of: ".iso.3.6..."). */
static void test_parse_top_names(void **state) {
  static const struct {
    const char *text;
    const char *numeric;
  } cases[] = {
      {"iso.3.6.1.2.1.1.1.0", ".1.3.6.1.2.1.1.1.0"},
      {".iso.3.6.1.2.1.1.1.0", ".1.3.6.1.2.1.1.1.0"},
      {"iso", ".1"},
      {".iso", ".1"},
      {"ccitt.1", ".0.1"},
      {"joint-iso-ccitt.5.9", ".2.5.9"},
      {".joint-iso-ccitt.5", ".2.5"},
  };
  usnmp_oid oid;
  char text[64];
  (void)state;
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    assert_int_equal(usnmp_oid_parse(&oid, cases[i].text), 0);
    assert_int_equal(usnmp_oid_format(text, sizeof text, &oid),
                     (int)strlen(cases[i].numeric));
    assert_string_equal(text, cases[i].numeric);
  }
  assert_string_equal(usnmp_strerror(USNMP_E_MIB_NAME),
                      "MIB names are not supported; use numeric OIDs");
  assert_string_equal(usnmp_err_name(USNMP_E_MIB_NAME), "USNMP_E_MIB_NAME");
}

static void test_length_limit(void **state) {
  char text[USNMP_OID_MAX_LEN * 2 + 8];
  usnmp_oid oid;
  uint8_t ber[USNMP_OID_MAX_LEN * 5];
  usnmp_oid back;
  size_t at = 0;
  int n;
  (void)state;
  at += (size_t)snprintf(text, sizeof text, "1.3");
  for (int i = 2; i < USNMP_OID_MAX_LEN; i++)
    at += (size_t)snprintf(text + at, sizeof text - at, ".1");
  assert_int_equal(usnmp_oid_parse(&oid, text), 0);
  assert_int_equal(oid.len, USNMP_OID_MAX_LEN);
  n = usnmp_oid_to_ber(ber, sizeof ber, &oid);
  assert_int_equal(n, USNMP_OID_MAX_LEN - 1);
  assert_int_equal(usnmp_oid_from_ber(&back, ber, (size_t)n), 0);
  assert_int_equal(usnmp_oid_cmp(&oid, &back), 0);
  /* 129 arcs. */
  snprintf(text + at, sizeof text - at, ".1");
  assert_int_equal(usnmp_oid_parse(&oid, text), USNMP_E_OID_TOO_LONG);
  ber[n] = 0x01;
  assert_int_equal(usnmp_oid_from_ber(&back, ber, (size_t)n + 1),
                   USNMP_E_OID_TOO_LONG);
  /* 129 arcs again, with a multi-octet sub-identifier among them (the
   * check's general path rather than its single-octet fast path). */
  ber[1] = 0x81;
  ber[2] = 0x00;
  ber[n + 1] = 0x01;
  assert_int_equal(usnmp_oid_from_ber(&back, ber, (size_t)n + 2),
                   USNMP_E_OID_TOO_LONG);
  assert_int_equal(usnmp_oid_from_ber(&back, ber, (size_t)n + 1), 0);
  assert_int_equal(back.len, USNMP_OID_MAX_LEN);
  assert_int_equal(back.arcs[2], 128);
  oid.len = USNMP_OID_MAX_LEN + 1;
  assert_int_equal(usnmp_oid_to_ber(ber, sizeof ber, &oid),
                   USNMP_E_OID_TOO_LONG);
  assert_int_equal(usnmp_oid_format(text, sizeof text, &oid), USNMP_E_INVAL);
}

/* A sub-identifier with leading 0x80 octets has one meaning (they add no
 * bits): it decodes to the same arcs as the minimal form, and the check
 * says it was padded; the canonical form drops exactly the padding. */
static void test_from_ber_padding(void **state) {
  static const struct {
    const char *ber;
    size_t len;
    const char *text;
    const char *minimal;
    size_t minimal_len;
  } cases[] = {
      {"\x2b\x80\x01", 3, ".1.3.1", "\x2b\x01", 2},
      {"\x80\x2b", 2, ".1.3", "\x2b", 1},
      {"\x2b\x80\x80\x86\x03\x80\x00", 7, ".1.3.771.0", "\x2b\x86\x03\x00", 4},
      {"\x2b\x80\x8f\xff\xff\xff\x7f", 7, ".1.3.4294967295",
       "\x2b\x8f\xff\xff\xff\x7f", 6},
  };
  (void)state;
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    const uint8_t *ber = (const uint8_t *)cases[i].ber;
    usnmp_oid got;
    usnmp_oid want;
    uint8_t canon[16];
    assert_int_equal(usnmp_oid_parse(&want, cases[i].text), 0);
    assert_int_equal(usnmp_oid_from_ber(&got, ber, cases[i].len), 0);
    assert_int_equal(usnmp_oid_cmp(&got, &want), 0);
    assert_int_equal(usnmp__ber_oid_check(ber, cases[i].len), USNMP__Q_OID_PAD);
    assert_int_equal(usnmp__ber_oid_canon(canon, ber, cases[i].len),
                     cases[i].minimal_len);
    assert_memory_equal(canon, cases[i].minimal, cases[i].minimal_len);
    assert_int_equal(usnmp__ber_oid_canon(NULL, ber, cases[i].len),
                     cases[i].minimal_len);
  }
}

static void test_from_ber_errors(void **state) {
  static const struct {
    const char *ber;
    size_t len;
    int err;
  } cases[] = {
      {"", 0, USNMP_E_BAD_OID},
      {"\x2b\x86", 2, USNMP_E_BAD_OID}, /* unterminated */
      {"\x86", 1, USNMP_E_BAD_OID},
      {"\x2b\x90\x80\x80\x80\x00", 6, USNMP_E_OID_SUBID_OVERFLOW}, /* 2^32 */
      {"\x2b\x81\x80\x80\x80\x80\x00", 7, USNMP_E_OID_SUBID_OVERFLOW},
      {"\x90\x80\x80\x80\x00", 5, USNMP_E_OID_SUBID_OVERFLOW},
      /* Padding does not make room: still 2^32 after it. */
      {"\x2b\x80\x90\x80\x80\x80\x00", 7, USNMP_E_OID_SUBID_OVERFLOW},
      {"\x2b\x80\x80", 3, USNMP_E_BAD_OID}, /* padding, unterminated */
  };
  usnmp_oid oid;
  (void)state;
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    assert_int_equal(
        usnmp_oid_from_ber(&oid, (const uint8_t *)cases[i].ber, cases[i].len),
        cases[i].err);
    assert_int_equal(
        usnmp__ber_oid_check((const uint8_t *)cases[i].ber, cases[i].len),
        cases[i].err);
  }
  assert_int_equal(usnmp_oid_from_ber(NULL, (const uint8_t *)"\x2b", 1),
                   USNMP_E_INVAL);
}

static void test_to_ber_errors(void **state) {
  usnmp_oid oid;
  uint8_t ber[16];
  (void)state;
  oid.len = 3;
  oid.arcs[0] = 3;
  oid.arcs[1] = 0;
  oid.arcs[2] = 1;
  assert_int_equal(usnmp_oid_to_ber(ber, sizeof ber, &oid), USNMP_E_BAD_OID);
  oid.arcs[0] = 0;
  oid.arcs[1] = 40;
  assert_int_equal(usnmp_oid_to_ber(ber, sizeof ber, &oid), USNMP_E_BAD_OID);
  oid.arcs[0] = 2;
  oid.arcs[1] = UINT32_MAX - 79;
  assert_int_equal(usnmp_oid_to_ber(ber, sizeof ber, &oid),
                   USNMP_E_OID_SUBID_OVERFLOW);
  oid.len = 0;
  assert_int_equal(usnmp_oid_to_ber(ber, sizeof ber, &oid), USNMP_E_BAD_OID);
  assert_int_equal(usnmp_oid_to_ber(ber, sizeof ber, NULL), USNMP_E_INVAL);
}

/* Too small a buffer, at every size. */
static void test_to_ber_nobufs(void **state) {
  usnmp_oid oid;
  uint8_t ber[32];
  int need;
  (void)state;
  assert_int_equal(usnmp_oid_parse(&oid, "1.3.6.1.4.1.8072.4294967295.0"), 0);
  need = usnmp_oid_to_ber(ber, sizeof ber, &oid);
  assert_int_equal(need, 13);
  for (int size = 0; size < need; size++) {
    memset(ber, 0xee, sizeof ber);
    assert_int_equal(usnmp_oid_to_ber(size ? ber : NULL, (size_t)size, &oid),
                     USNMP_E_NOBUFS);
    for (size_t k = (size_t)size; k < sizeof ber; k++)
      assert_int_equal(ber[k], 0xee);
  }
}

static void test_format_snprintf(void **state) {
  usnmp_oid oid;
  char buf[32];
  (void)state;
  assert_int_equal(usnmp_oid_parse(&oid, "1.3.6.1"), 0);
  for (size_t size = 0; size <= 10; size++) {
    memset(buf, 'x', sizeof buf);
    assert_int_equal(usnmp_oid_format(size ? buf : NULL, size, &oid), 8);
    if (size) {
      assert_int_equal(strlen(buf), size - 1 < 8 ? size - 1 : 8);
      assert_memory_equal(buf, ".1.3.6.1", strlen(buf));
    }
    /* Nothing is written at or past size. */
    assert_int_equal(buf[size], 'x');
  }
  oid.len = 0;
  assert_int_equal(usnmp_oid_format(buf, sizeof buf, &oid), 0);
  assert_string_equal(buf, "");
  assert_int_equal(usnmp_oid_format(buf, sizeof buf, NULL), USNMP_E_INVAL);
}

static void test_cmp_and_prefix(void **state) {
  /* In SNMP order. */
  static const char *const sorted[] = {
      "0.0",
      "1.3",
      "1.3.0",
      "1.3.6",
      "1.3.6.1",
      "1.3.6.1.2.1",
      "1.3.6.1.2.1.1.1",
      "1.3.6.1.2.2",
      "1.3.7",
      "1.3.4294967295",
      "2.999",
      "2.999.1",
  };
  size_t n = sizeof sorted / sizeof sorted[0];
  usnmp_oid a;
  usnmp_oid b;
  (void)state;
  for (size_t i = 0; i < n; i++) {
    for (size_t j = 0; j < n; j++) {
      int c;
      assert_int_equal(usnmp_oid_parse(&a, sorted[i]), 0);
      assert_int_equal(usnmp_oid_parse(&b, sorted[j]), 0);
      c = usnmp_oid_cmp(&a, &b);
      if (i < j)
        assert_true(c < 0);
      else if (i > j)
        assert_true(c > 0);
      else
        assert_int_equal(c, 0);
    }
  }
  assert_int_equal(usnmp_oid_parse(&a, "1.3.6.1"), 0);
  assert_int_equal(usnmp_oid_parse(&b, "1.3.6.1.2.1"), 0);
  assert_int_equal(usnmp_oid_is_prefix(&a, &b), 1);
  assert_int_equal(usnmp_oid_is_prefix(&a, &a), 1);
  assert_int_equal(usnmp_oid_is_prefix(&b, &a), 0);
  assert_int_equal(usnmp_oid_parse(&b, "1.3.6.2.1"), 0);
  assert_int_equal(usnmp_oid_is_prefix(&a, &b), 0);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_known_both_ways),
      cmocka_unit_test(test_parse_errors),
      cmocka_unit_test(test_parse_top_names),
      cmocka_unit_test(test_length_limit),
      cmocka_unit_test(test_from_ber_errors),
      cmocka_unit_test(test_from_ber_padding),
      cmocka_unit_test(test_to_ber_errors),
      cmocka_unit_test(test_to_ber_nobufs),
      cmocka_unit_test(test_format_snprintf),
      cmocka_unit_test(test_cmp_and_prefix),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
