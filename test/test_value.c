/*
 * Tests of SMI values (lib/value.c, and their wire form in lib/pdu.c):
 * every type's encoding checked both ways inside a varbind, the builders,
 * and the native readers with their type checks.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "fuzz/roundtrip.h"
#include "usnmp.h"

static const uint8_t ip[4] = {192, 0, 2, 1};
static const uint8_t oid_2_999_1[] = {0x88, 0x37, 0x01};
static const uint8_t opaque_float[] = {0x9f, 0x78, 0x04, 0x3f,
                                       0xb7, 0xc0, 0x00};

/* Every SMI type: a value and the bytes of its element (tag, length,
 * content) on the wire. */
static const struct {
  const char *what;
  usnmp_value value;
  const char *wire;
  size_t wire_len;
} table[] = {
    {"INTEGER 0", {USNMP_TYPE_INTEGER, {.integer = 0}}, "\x02\x01\x00", 3},
    {"INTEGER 128",
     {USNMP_TYPE_INTEGER, {.integer = 128}},
     "\x02\x02\x00\x80",
     4},
    {"INTEGER -129",
     {USNMP_TYPE_INTEGER, {.integer = -129}},
     "\x02\x02\xff\x7f",
     4},
    {"INTEGER max",
     {USNMP_TYPE_INTEGER, {.integer = INT32_MAX}},
     "\x02\x04\x7f\xff\xff\xff",
     6},
    {"INTEGER min",
     {USNMP_TYPE_INTEGER, {.integer = INT32_MIN}},
     "\x02\x04\x80\x00\x00\x00",
     6},
    {"OCTET STRING",
     {USNMP_TYPE_OCTET_STRING, {.bytes = {(const uint8_t *)"ab", 2}}},
     "\x04\x02"
     "ab",
     4},
    {"empty OCTET STRING",
     {USNMP_TYPE_OCTET_STRING, {.bytes = {NULL, 0}}},
     "\x04\x00",
     2},
    {"NULL", {USNMP_TYPE_NULL, {.integer = 0}}, "\x05\x00", 2},
    {"OID 2.999.1",
     {USNMP_TYPE_OID, {.bytes = {oid_2_999_1, 3}}},
     "\x06\x03\x88\x37\x01",
     5},
    {"IpAddress",
     {USNMP_TYPE_IPADDRESS, {.bytes = {ip, 4}}},
     "\x40\x04\xc0\x00\x02\x01",
     6},
    {"Counter32 0", {USNMP_TYPE_COUNTER32, {.u32 = 0}}, "\x41\x01\x00", 3},
    {"Counter32 max",
     {USNMP_TYPE_COUNTER32, {.u32 = 4294967295u}},
     "\x41\x05\x00\xff\xff\xff\xff",
     7},
    {"Gauge32 128", {USNMP_TYPE_GAUGE32, {.u32 = 128}}, "\x42\x02\x00\x80", 4},
    {"Gauge32 max",
     {USNMP_TYPE_GAUGE32, {.u32 = 4294967295u}},
     "\x42\x05\x00\xff\xff\xff\xff",
     7},
    {"TimeTicks",
     {USNMP_TYPE_TIMETICKS, {.u32 = 12345}},
     "\x43\x02\x30\x39",
     4},
    {"Opaque",
     {USNMP_TYPE_OPAQUE, {.bytes = {opaque_float, 7}}},
     "\x44\x07\x9f\x78\x04\x3f\xb7\xc0\x00",
     9},
    {"Counter64 0", {USNMP_TYPE_COUNTER64, {.u64 = 0}}, "\x46\x01\x00", 3},
    {"Counter64 2^32",
     {USNMP_TYPE_COUNTER64, {.u64 = 4294967296u}},
     "\x46\x05\x01\x00\x00\x00\x00",
     7},
    {"Counter64 max",
     {USNMP_TYPE_COUNTER64, {.u64 = UINT64_MAX}},
     "\x46\x09\x00\xff\xff\xff\xff\xff\xff\xff\xff",
     11},
    {"noSuchObject", {USNMP_TYPE_NOSUCHOBJECT, {.integer = 0}}, "\x80\x00", 2},
    {"noSuchInstance",
     {USNMP_TYPE_NOSUCHINSTANCE, {.integer = 0}},
     "\x81\x00",
     2},
    {"endOfMibView", {USNMP_TYPE_ENDOFMIBVIEW, {.integer = 0}}, "\x82\x00", 2},
};

/* Encodes each value as the only varbind of a Response: the message must
 * end with the value's element; decoding gives the value back. */
static void test_wire_table(void **state) {
  static const uint8_t name[] = {0x2b, 0x06, 0x01};
  (void)state;
  for (size_t i = 0; i < sizeof table / sizeof table[0]; i++) {
    uint8_t buf[128];
    usnmp_msg msg = {.version = USNMP_VERSION_2C,
                     .community = (const uint8_t *)"public",
                     .community_len = 6,
                     .type = USNMP_PDU_RESPONSE,
                     .request_id = 1};
    usnmp_varbind vb = {
        .oid = name, .oid_len = sizeof name, .value = table[i].value};
    usnmp_varbind got;
    usnmp_msg back;
    size_t n;
    int len;
    print_message("%s\n", table[i].what);
    len = usnmp_msg_encode(buf, sizeof buf, &msg, &vb, 1);
    assert_true(len > (int)table[i].wire_len);
    assert_memory_equal(buf + len - (int)table[i].wire_len, table[i].wire,
                        table[i].wire_len);
    /* The varbind is SEQUENCE { name, value } with a short length. */
    assert_int_equal(buf[len - (int)table[i].wire_len - 7], 0x30);
    assert_int_equal(buf[len - (int)table[i].wire_len - 6],
                     5 + table[i].wire_len);
    assert_int_equal(usnmp_msg_decode(&back, &got, 1, &n, buf, (size_t)len), 0);
    assert_int_equal(n, 1);
    assert_true(roundtrip_value_equal(&got.value, &table[i].value));
  }
}

static void test_builders(void **state) {
  usnmp_value v;
  uint8_t storage[5 * USNMP_OID_MAX_LEN];
  usnmp_oid oid;
  (void)state;
  v = usnmp_value_integer(-5);
  assert_int_equal(v.type, USNMP_TYPE_INTEGER);
  assert_int_equal(v.v.integer, -5);
  v = usnmp_value_counter32(7);
  assert_int_equal(v.type, USNMP_TYPE_COUNTER32);
  assert_int_equal(v.v.u32, 7);
  v = usnmp_value_gauge32(8);
  assert_int_equal(v.type, USNMP_TYPE_GAUGE32);
  assert_int_equal(v.v.u32, 8);
  v = usnmp_value_timeticks(9);
  assert_int_equal(v.type, USNMP_TYPE_TIMETICKS);
  assert_int_equal(v.v.u32, 9);
  v = usnmp_value_counter64(UINT64_MAX);
  assert_int_equal(v.type, USNMP_TYPE_COUNTER64);
  assert_true(v.v.u64 == UINT64_MAX);
  v = usnmp_value_null();
  assert_int_equal(v.type, USNMP_TYPE_NULL);
  v = usnmp_value_octets("a\0b", 3);
  assert_int_equal(v.type, USNMP_TYPE_OCTET_STRING);
  assert_int_equal(v.v.bytes.len, 3);
  v = usnmp_value_string("hello");
  assert_int_equal(v.type, USNMP_TYPE_OCTET_STRING);
  assert_int_equal(v.v.bytes.len, 5);
  v = usnmp_value_string(NULL);
  assert_int_equal(v.v.bytes.len, 0);
  v = usnmp_value_opaque(opaque_float, sizeof opaque_float);
  assert_int_equal(v.type, USNMP_TYPE_OPAQUE);
  assert_ptr_equal(v.v.bytes.data, opaque_float);
  v = usnmp_value_ipaddress(ip);
  assert_int_equal(v.type, USNMP_TYPE_IPADDRESS);
  assert_int_equal(v.v.bytes.len, 4);

  assert_int_equal(usnmp_oid_parse(&oid, "2.999.1"), 0);
  assert_int_equal(usnmp_value_oid(&v, storage, sizeof storage, &oid), 0);
  assert_int_equal(v.type, USNMP_TYPE_OID);
  assert_ptr_equal(v.v.bytes.data, storage);
  assert_int_equal(v.v.bytes.len, 3);
  assert_memory_equal(storage, oid_2_999_1, 3);
  assert_int_equal(usnmp_value_oid(&v, storage, 2, &oid), USNMP_E_NOBUFS);
  oid.arcs[0] = 3;
  assert_int_equal(usnmp_value_oid(&v, storage, sizeof storage, &oid),
                   USNMP_E_BAD_OID);
  assert_int_equal(usnmp_value_oid(NULL, storage, sizeof storage, &oid),
                   USNMP_E_INVAL);
}

static void test_readers(void **state) {
  usnmp_value v;
  int32_t i32;
  uint64_t u64;
  const uint8_t *data;
  size_t len;
  usnmp_oid oid;
  uint8_t addr[4];
  (void)state;
  v = usnmp_value_integer(-7);
  assert_int_equal(usnmp_value_get_int(&v, &i32), 0);
  assert_int_equal(i32, -7);
  assert_int_equal(usnmp_value_get_uint64(&v, &u64), USNMP_E_INVAL);
  assert_int_equal(usnmp_value_get_bytes(&v, &data, &len), USNMP_E_INVAL);

  v = usnmp_value_counter32(4294967295u);
  assert_int_equal(usnmp_value_get_uint64(&v, &u64), 0);
  assert_true(u64 == 4294967295u);
  assert_int_equal(usnmp_value_get_int(&v, &i32), USNMP_E_INVAL);
  v = usnmp_value_gauge32(3);
  assert_int_equal(usnmp_value_get_uint64(&v, &u64), 0);
  assert_true(u64 == 3);
  v = usnmp_value_timeticks(4);
  assert_int_equal(usnmp_value_get_uint64(&v, &u64), 0);
  assert_true(u64 == 4);
  v = usnmp_value_counter64(UINT64_MAX);
  assert_int_equal(usnmp_value_get_uint64(&v, &u64), 0);
  assert_true(u64 == UINT64_MAX);

  v = usnmp_value_string("xyz");
  assert_int_equal(usnmp_value_get_bytes(&v, &data, &len), 0);
  assert_int_equal(len, 3);
  assert_memory_equal(data, "xyz", 3);
  assert_int_equal(usnmp_value_get_oid(&v, &oid), USNMP_E_INVAL);
  assert_int_equal(usnmp_value_get_ipaddress(&v, addr), USNMP_E_INVAL);

  v = usnmp_value_ipaddress(ip);
  assert_int_equal(usnmp_value_get_ipaddress(&v, addr), 0);
  assert_memory_equal(addr, ip, 4);
  assert_int_equal(usnmp_value_get_bytes(&v, &data, &len), 0);
  v.v.bytes.len = 3;
  assert_int_equal(usnmp_value_get_ipaddress(&v, addr), USNMP_E_BAD_VALUE);

  v.type = USNMP_TYPE_OID;
  v.v.bytes.data = oid_2_999_1;
  v.v.bytes.len = sizeof oid_2_999_1;
  assert_int_equal(usnmp_value_get_oid(&v, &oid), 0);
  assert_int_equal(oid.len, 3);
  assert_int_equal(oid.arcs[1], 999);
  assert_int_equal(usnmp_value_get_bytes(&v, &data, &len), USNMP_E_INVAL);
  v.v.bytes.len = 1; /* 88: unterminated */
  assert_int_equal(usnmp_value_get_oid(&v, &oid), USNMP_E_BAD_OID);

  assert_int_equal(usnmp_value_get_int(NULL, &i32), USNMP_E_INVAL);
  assert_int_equal(usnmp_value_get_uint64(&v, NULL), USNMP_E_INVAL);

  v.type = USNMP_TYPE_NOSUCHOBJECT;
  assert_int_equal(usnmp_value_is_exception(&v), 1);
  v.type = USNMP_TYPE_NOSUCHINSTANCE;
  assert_int_equal(usnmp_value_is_exception(&v), 1);
  v.type = USNMP_TYPE_ENDOFMIBVIEW;
  assert_int_equal(usnmp_value_is_exception(&v), 1);
  v = usnmp_value_null();
  assert_int_equal(usnmp_value_is_exception(&v), 0);
  assert_int_equal(usnmp_value_is_exception(NULL), 0);
}

/* usnmp_value_get_string: snprintf's convention, octets copied as they
 * are (an embedded NUL included), other types refused. */
static void test_get_string(void **state) {
  (void)state;
  char buf[8];
  usnmp_value v = usnmp_value_string("hello");
  assert_int_equal(usnmp_value_get_string(&v, buf, sizeof buf), 5);
  assert_string_equal(buf, "hello");
  v = usnmp_value_string("0123456789");
  memset(buf, 'x', sizeof buf);
  assert_int_equal(usnmp_value_get_string(&v, buf, sizeof buf), 10);
  assert_string_equal(buf, "0123456");
  assert_int_equal(usnmp_value_get_string(&v, NULL, 0), 10);
  memset(buf, 'x', sizeof buf);
  assert_int_equal(usnmp_value_get_string(&v, buf, 1), 10);
  assert_int_equal(buf[0], '\0');
  assert_int_equal(buf[1], 'x');
  static const uint8_t binary[] = {'a', 0, 'b', 0xff};
  v = usnmp_value_octets(binary, sizeof binary);
  memset(buf, 'x', sizeof buf);
  assert_int_equal(usnmp_value_get_string(&v, buf, sizeof buf), 4);
  assert_memory_equal(buf, "a\0b\xff", 5);
  assert_int_equal(strlen(buf), 1);
  v = usnmp_value_opaque("op", 2);
  assert_int_equal(usnmp_value_get_string(&v, buf, sizeof buf), 2);
  assert_string_equal(buf, "op");
  v = usnmp_value_octets(NULL, 0);
  buf[0] = 'x';
  assert_int_equal(usnmp_value_get_string(&v, buf, sizeof buf), 0);
  assert_string_equal(buf, "");
  v = usnmp_value_integer(5);
  assert_int_equal(usnmp_value_get_string(&v, buf, sizeof buf), USNMP_E_INVAL);
  assert_int_equal(usnmp_value_get_string(NULL, buf, sizeof buf),
                   USNMP_E_INVAL);
  v = usnmp_value_string("x");
  assert_int_equal(usnmp_value_get_string(&v, NULL, 4), USNMP_E_INVAL);
}

/* usnmp_varbind_oid: the name as arcs, and an empty OID for a bad name. */
static void test_varbind_oid(void **state) {
  (void)state;
  static const uint8_t sys_descr[] = {0x2b, 6, 1, 2, 1, 1, 1, 0};
  static const uint8_t bad[] = {0x2b, 0x86}; /* unterminated arc */
  usnmp_varbind vb = {sys_descr, sizeof sys_descr, {0}};
  usnmp_oid oid;
  assert_int_equal(usnmp_varbind_oid(&vb, &oid), 0);
  static const uint32_t want[] = {1, 3, 6, 1, 2, 1, 1, 1, 0};
  assert_int_equal(oid.len, 9);
  assert_memory_equal(oid.arcs, want, sizeof want);
  vb.oid = bad;
  vb.oid_len = sizeof bad;
  assert_int_equal(usnmp_varbind_oid(&vb, &oid), USNMP_E_BAD_OID);
  assert_int_equal(oid.len, 0);
  assert_int_equal(usnmp_varbind_oid(NULL, &oid), USNMP_E_INVAL);
  assert_int_equal(usnmp_varbind_oid(&vb, NULL), USNMP_E_INVAL);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_get_string), cmocka_unit_test(test_varbind_oid),
      cmocka_unit_test(test_wire_table), cmocka_unit_test(test_builders),
      cmocka_unit_test(test_readers),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
