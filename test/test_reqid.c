/*
 * lib/reqid.{h,c}: the id table finds every request under its id through
 * growth and backward-shift deletion (ids chosen to collide), and draws
 * ids that are never 0 and never in use.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "reqid.h"
#include "test_util.h"

#define N 1000

typedef struct env {
  uv_loop_t loop;
  usnmp_manager *m;
} env;

static int setup(void **state) {
  env *e = calloc(1, sizeof *e);
  assert_non_null(e);
  assert_int_equal(uv_loop_init(&e->loop), 0);
  assert_int_equal(usnmp_manager_init(&e->m, &e->loop, NULL), 0);
  *state = e;
  return 0;
}

static int teardown(void **state) {
  env *e = *state;
  int closed = 0;
  usnmp_manager_close(e->m, usnmp_test_set_flag, &closed);
  while (!closed)
    uv_run(&e->loop, UV_RUN_ONCE);
  assert_int_equal(uv_loop_close(&e->loop), 0);
  free(e);
  return 0;
}

static void test_insert_find_remove(void **state) {
  env *e = *state;
  usnmp_manager *m = e->m;
  usnmp_request *rs = calloc(N, sizeof *rs);
  uint32_t base = m->table_count;
  assert_non_null(rs);
  /* Ids that share their low bits, so that they probe past each other. */
  for (int i = 0; i < N; i++) {
    rs[i].id = (int32_t)(1 + (uint32_t)(i % 7) + (uint32_t)i * 4096u);
    assert_int_equal(usnmp__reqid_insert(m, &rs[i]), 0);
  }
  assert_int_equal(m->table_count, base + N);
  assert_true((m->table_mask + 1) >= 2 * (base + N)); /* at most half full */
  for (int i = 0; i < N; i++)
    assert_ptr_equal(usnmp__reqid_find(m, rs[i].id), &rs[i]);
  /* Remove every other one: the rest stay reachable past the holes. */
  for (int i = 0; i < N; i += 2) {
    int32_t id = rs[i].id;
    usnmp__reqid_remove(m, &rs[i]);
    assert_int_equal(rs[i].id, 0);
    assert_null(usnmp__reqid_find(m, id));
  }
  for (int i = 1; i < N; i += 2)
    assert_ptr_equal(usnmp__reqid_find(m, rs[i].id), &rs[i]);
  usnmp__reqid_remove(m, &rs[0]); /* not in the table: nothing happens */
  for (int i = 1; i < N; i += 2)
    usnmp__reqid_remove(m, &rs[i]);
  assert_int_equal(m->table_count, base);
  free(rs);
}

static void test_draw(void **state) {
  env *e = *state;
  usnmp_manager *m = e->m;
  usnmp_request r;
  int32_t id = 0;
  memset(&r, 0, sizeof r);
  for (int i = 0; i < 3 * USNMP__ID_POOL; i++) { /* refills the pool */
    assert_int_equal(usnmp__reqid_draw(m, &id), 0);
    assert_true(id > 0);
    assert_null(usnmp__reqid_find(m, id));
  }
  r.id = id;
  assert_int_equal(usnmp__reqid_insert(m, &r), 0);
  for (int i = 0; i < 1000; i++) {
    int32_t other;
    assert_int_equal(usnmp__reqid_draw(m, &other), 0);
    assert_true(other != id);
  }
  usnmp__reqid_remove(m, &r);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test_setup_teardown(test_insert_find_remove, setup, teardown),
      cmocka_unit_test_setup_teardown(test_draw, setup, teardown),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
