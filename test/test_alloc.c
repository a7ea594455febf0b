/*
 * lib/alloc.c: the one allocation wrapper (never a zero-size request, a
 * zeroed array that refuses an overflowing size) and the wipe.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "alloc.h"

typedef struct counting {
  size_t calls, last_size, frees;
} counting;

static void *count_malloc(size_t size, void *ctx) {
  counting *c = ctx;
  c->calls++;
  c->last_size = size;
  return usnmp__default_allocator.malloc(size, NULL);
}

static void count_free(void *p, void *ctx) {
  counting *c = ctx;
  c->frees++;
  usnmp__default_allocator.free(p, NULL);
}

static void test_alloc_wrapper(void **state) {
  counting c = {0, 0, 0};
  usnmp_allocator a = {count_malloc, NULL, count_free, &c};
  uint8_t *p;
  (void)state;
  p = usnmp__alloc(&a, 0);
  assert_non_null(p);
  assert_int_equal(c.last_size, 1); /* never a zero-size request */
  usnmp__dealloc(&a, p);
  usnmp__dealloc(&a, NULL); /* does nothing */
  assert_int_equal(c.frees, 1);
  p = usnmp__calloc(&a, 4, 8);
  assert_non_null(p);
  for (int i = 0; i < 32; i++)
    assert_int_equal(p[i], 0);
  usnmp__dealloc(&a, p);
  assert_null(usnmp__calloc(&a, SIZE_MAX / 2, 4)); /* overflow */
  assert_int_equal(c.calls, 2);
}

static void test_wipe(void **state) {
  uint8_t secret[16];
  (void)state;
  memset(secret, 0xa5, sizeof secret);
  usnmp__wipe(secret, 8);
  for (int i = 0; i < 8; i++)
    assert_int_equal(secret[i], 0);
  assert_int_equal(secret[8], 0xa5);
  usnmp__wipe(NULL, 0);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_alloc_wrapper),
      cmocka_unit_test(test_wipe),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
