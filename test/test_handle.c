/*
 * lib/handle.{h,c}: a handle names its request until the request
 * completes, then is stale, even when its slot names a later request;
 * the table grows and reuses slots.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "handle.h"
#include "test_util.h"

static void test_take_find_release(void **state) {
  uv_loop_t loop;
  usnmp_manager *m;
  usnmp_request *rs;
  usnmp_request_ref *refs;
  usnmp_request_ref bogus;
  usnmp_request *found;
  int closed = 0;
  const int n = 200; /* past the first table of 64 slots */
  (void)state;
  assert_int_equal(uv_loop_init(&loop), 0);
  assert_int_equal(usnmp_manager_init(&m, &loop, NULL), 0);
  rs = calloc((size_t)n, sizeof *rs);
  refs = calloc((size_t)n, sizeof *refs);
  assert_non_null(rs);
  assert_non_null(refs);
  for (int i = 0; i < n; i++) {
    rs[i].m = m;
    assert_int_equal(usnmp__handle_reserve(m), 0);
    usnmp__handle_take(&rs[i], &refs[i]);
    assert_true(rs[i].handle != 0);
  }
  for (int i = 0; i < n; i++) {
    assert_int_equal(usnmp__handle_find(&refs[i], &found), 0);
    assert_ptr_equal(found, &rs[i]);
  }
  /* Released: stale, also once the slot names another request. */
  usnmp__handle_release(&rs[5]);
  assert_int_equal(rs[5].handle, 0);
  assert_int_equal(usnmp__handle_find(&refs[5], &found), USNMP_E_STALE);
  usnmp__handle_release(&rs[5]); /* twice: nothing */
  assert_int_equal(usnmp__handle_reserve(m), 0);
  usnmp__handle_take(&rs[5], &bogus);
  assert_int_equal(bogus.slot, refs[5].slot); /* the slot is reused */
  assert_int_equal(usnmp__handle_find(&refs[5], &found), USNMP_E_STALE);
  assert_int_equal(usnmp__handle_find(&bogus, &found), 0);
  /* Not handles of this manager's table. */
  memset(&bogus, 0, sizeof bogus);
  assert_int_equal(usnmp__handle_find(&bogus, &found), USNMP_E_INVAL);
  assert_int_equal(usnmp__handle_find(NULL, &found), USNMP_E_INVAL);
  bogus.manager = m;
  bogus.slot = UINT32_MAX;
  assert_int_equal(usnmp__handle_find(&bogus, &found), USNMP_E_INVAL);
  for (int i = 0; i < n; i++)
    usnmp__handle_release(&rs[i]);
  free(rs);
  free(refs);
  usnmp_manager_close(m, usnmp_test_set_flag, &closed);
  while (!closed)
    uv_run(&loop, UV_RUN_ONCE);
  assert_int_equal(uv_loop_close(&loop), 0);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_take_find_release),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
