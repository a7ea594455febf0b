/*
 * lib/varbinds.c: the one deep copy of varbinds.  A copy holds every byte
 * it points at, survives the source being overwritten, and follows its
 * bytes when they move.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "alloc.h"
#include "varbinds.h"

static void test_has_bytes(void **state) {
  (void)state;
  assert_true(usnmp__value_has_bytes(USNMP_TYPE_OCTET_STRING));
  assert_true(usnmp__value_has_bytes(USNMP_TYPE_OPAQUE));
  assert_true(usnmp__value_has_bytes(USNMP_TYPE_IPADDRESS));
  assert_true(usnmp__value_has_bytes(USNMP_TYPE_OID));
  assert_false(usnmp__value_has_bytes(USNMP_TYPE_INTEGER));
  assert_false(usnmp__value_has_bytes(USNMP_TYPE_COUNTER64));
  assert_false(usnmp__value_has_bytes(USNMP_TYPE_NULL));
  assert_false(usnmp__value_has_bytes(USNMP_TYPE_NOSUCHOBJECT));
}

static void test_copy_block(void **state) {
  uint8_t name1[] = {0x2b, 6, 1, 2, 1, 1, 5, 0};
  uint8_t name2[] = {0x2b, 6, 1, 2, 1, 1, 3, 0};
  char text[] = "router-7";
  usnmp_varbind src[3];
  usnmp_varbind *copy;
  size_t size;
  (void)state;
  src[0].oid = name1;
  src[0].oid_len = sizeof name1;
  src[0].value = usnmp_value_string(text);
  src[1].oid = name2;
  src[1].oid_len = sizeof name2;
  src[1].value = usnmp_value_integer(42);
  src[2].oid = name2;
  src[2].oid_len = sizeof name2;
  src[2].value = usnmp_value_string(""); /* empty bytes */
  size = 3 * sizeof(usnmp_varbind) + usnmp__varbinds_bytes(src, 3);
  assert_int_equal(usnmp__varbinds_bytes(src, 3), 3 * 8 + 8);
  copy = usnmp__varbinds_dup(&usnmp__default_allocator, src, 3, size);
  assert_non_null(copy);
  memset(name1, 0, sizeof name1);
  memset(text, 'x', sizeof text - 1);
  assert_int_equal(copy[0].oid_len, 8);
  assert_int_equal(copy[0].oid[6], 5);
  assert_memory_equal(copy[0].value.v.bytes.data, "router-7", 8);
  assert_int_equal(copy[1].value.v.integer, 42);
  assert_int_equal(copy[2].value.v.bytes.len, 0);
  /* Every pointer lies inside the block. */
  for (int i = 0; i < 3; i++) {
    assert_true(copy[i].oid >= (const uint8_t *)(copy + 3));
    assert_true(copy[i].oid + copy[i].oid_len <= (const uint8_t *)copy + size);
  }
  usnmp__dealloc(&usnmp__default_allocator, copy);
}

static void test_rebase(void **state) {
  uint8_t name[] = {0x2b, 6, 1};
  uint8_t space[64], moved[64];
  uint8_t *p = space;
  usnmp_varbind src, dst;
  (void)state;
  src.oid = name;
  src.oid_len = sizeof name;
  src.value = usnmp_value_opaque("\x01\x02", 2);
  assert_int_equal(usnmp__varbind_bytes(&src), 5);
  usnmp__varbind_copy(&dst, &src, &p);
  assert_int_equal(p - space, 5);
  memcpy(moved, space, sizeof space);
  memset(space, 0, sizeof space);
  usnmp__varbinds_rebase(&dst, 1, space, moved);
  assert_ptr_equal(dst.oid, moved);
  assert_ptr_equal(dst.value.v.bytes.data, moved + 3);
  assert_memory_equal(dst.value.v.bytes.data, "\x01\x02", 2);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_has_bytes),
      cmocka_unit_test(test_copy_block),
      cmocka_unit_test(test_rebase),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
