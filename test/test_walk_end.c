/*
 * Tests of usnmp_walk_opts.end (net-snmp's snmpwalk -CE): the walk goes on
 * past its subtree and stops before the end OID, with GETNEXT and with
 * GETBULK; when that leaves nothing to deliver the root is fetched with a
 * GET, as snmpwalk does.  Also how a table fetch says it ran off the end
 * of the agent's MIB over SNMPv1 (snmptable's "End of MIB").  The agent
 * is the scripted test agent (test/test_agent.h) with its default MIB.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "test_agent.h"
#include "test_util.h"
#include "usnmp.h"

typedef struct env {
  usnmp_test_family_env base;
  char names[64][128];
  size_t n;
  usnmp_walk_result result;
  int done;
} env;

static int setup(void **state) {
  env *e = calloc(1, sizeof(*e));
  assert_non_null(e);
  usnmp_test_family_env_init(&e->base, AF_INET);
  *state = e;
  return 0;
}

static int teardown(void **state) {
  env *e = *state;
  usnmp_test_family_env_close(&e->base);
  free(e);
  return 0;
}

static int on_varbind(usnmp_walk *w, const usnmp_varbind *vb,
                      const usnmp_oid *name, void *arg) {
  env *e = arg;
  (void)w;
  (void)vb;
  if (e->n < 64)
    usnmp_oid_format(e->names[e->n++], sizeof e->names[0], name);
  return 0;
}

static void on_done(usnmp_walk *w, const usnmp_walk_result *r, void *arg) {
  env *e = arg;
  (void)w;
  e->result = *r;
  e->done = 1;
}

/* Walks root up to end with method, into e; without USNMP_WALK_END_OID
 * in end_flag the end field is set but must not be read. */
static void walk_flags(env *e, const char *root, const char *end,
                       usnmp_walk_method method, uint32_t end_flag) {
  usnmp_oid root_oid = usnmp_test_oid(root);
  usnmp_oid end_oid = usnmp_test_oid(end);
  usnmp_walk_opts opts;
  memset(&opts, 0, sizeof opts);
  opts.method = method;
  opts.max_repetitions = 3;
  opts.flags = USNMP_WALK_DELIVER_EXCEPTIONS;
  opts.flags |= end_flag;
  opts.end = &end_oid;
  assert_int_equal(usnmp_walk_start(e->base.t, &root_oid, &opts, on_varbind,
                                    on_done, e, NULL),
                   0);
  while (!e->done)
    assert_true(uv_run(&e->base.loop, UV_RUN_ONCE) >= 0);
}

static void walk(env *e, const char *root, const char *end,
                 usnmp_walk_method method) {
  walk_flags(e, root, end, method, USNMP_WALK_END_OID);
}

/* Without its flag the end field is never read (the ABI rule for
 * appended fields): the walk stays in its subtree. */
static void test_end_needs_flag(void **state) {
  env *e = *state;
  walk_flags(e, ".1.3.6.1.2.1.1.1", ".1.3.6.1.2.1.1.3", USNMP_WALK_GETNEXT, 0);
  assert_int_equal(e->result.status, 0);
  assert_int_equal(e->result.end, USNMP_WALK_END_SUBTREE);
  assert_int_equal(e->n, 1);
  assert_string_equal(e->names[0], ".1.3.6.1.2.1.1.1.0");
}

/* Past the subtree of sysDescr up to, not including, sysUpTime. */
static void check_past_subtree(void **state, usnmp_walk_method method) {
  env *e = *state;
  walk(e, ".1.3.6.1.2.1.1.1", ".1.3.6.1.2.1.1.3", method);
  assert_int_equal(e->result.status, 0);
  assert_int_equal(e->result.end, USNMP_WALK_END_SUBTREE);
  assert_int_equal(e->n, 2);
  assert_string_equal(e->names[0], ".1.3.6.1.2.1.1.1.0");
  assert_string_equal(e->names[1], ".1.3.6.1.2.1.1.2.0");
  assert_int_equal(e->result.root_get, 0);
}

static void test_getnext_past_subtree(void **state) {
  check_past_subtree(state, USNMP_WALK_GETNEXT);
}

static void test_getbulk_past_subtree(void **state) {
  check_past_subtree(state, USNMP_WALK_GETBULK);
}

/* An end inside the subtree cuts it short; a GETBULK answer running past
 * the end delivers nothing after it. */
static void test_getbulk_inside(void **state) {
  env *e = *state;
  walk(e, ".1.3.6.1.4.1.99999.1", ".1.3.6.1.4.1.99999.1.5", USNMP_WALK_GETBULK);
  assert_int_equal(e->result.status, 0);
  assert_int_equal(e->n, 4);
  assert_string_equal(e->names[3], ".1.3.6.1.4.1.99999.1.4");
}

/* Nothing before the end: the root is fetched with a GET. */
static void test_nothing_then_root_get(void **state) {
  env *e = *state;
  walk(e, ".1.3.6.1.2.1.1", ".1.3.6.1.2.1.1.1.0", USNMP_WALK_GETNEXT);
  assert_int_equal(e->result.status, 0);
  assert_int_equal(e->result.root_get, 1);
  assert_int_equal(e->n, 1);
  assert_string_equal(e->names[0], ".1.3.6.1.2.1.1");
}

/* An end of one arc cannot be encoded. */
static void test_bad_end(void **state) {
  env *e = *state;
  usnmp_oid root = usnmp_test_oid(".1.3.6.1.2.1.1");
  usnmp_oid end = usnmp_test_oid(".1");
  usnmp_walk_opts opts;
  memset(&opts, 0, sizeof opts);
  opts.flags |= USNMP_WALK_END_OID;
  opts.end = &end;
  assert_int_equal(
      usnmp_walk_start(e->base.t, &root, &opts, on_varbind, on_done, e, NULL),
      USNMP_E_INVAL);
}

typedef struct table_state {
  usnmp_table_result result;
  uint64_t rows;
  int done;
} table_state;

static int on_row(usnmp_table *tb, const usnmp_table_row *row, void *arg) {
  (void)tb;
  (void)row;
  ((table_state *)arg)->rows++;
  return 0;
}

static void on_table_done(usnmp_table *tb, const usnmp_table_result *r,
                          void *arg) {
  table_state *st = arg;
  (void)tb;
  st->result = *r;
  st->done = 1;
}

/* Fetches the table whose entry is entry over version; returns its end. */
static usnmp_walk_end table_end(env *e, const char *entry,
                                usnmp_version version, uint64_t rows) {
  usnmp_oid entry_oid = usnmp_test_oid(entry);
  table_state st;
  memset(&st, 0, sizeof st);
  assert_int_equal(usnmp_target_set_version(e->base.t, version), 0);
  assert_int_equal(usnmp_table_start(e->base.t, &entry_oid, NULL, 0, NULL,
                                     on_row, on_table_done, &st, NULL),
                   0);
  while (!st.done)
    assert_true(uv_run(&e->base.loop, UV_RUN_ONCE) >= 0);
  assert_int_equal(st.result.status, 0);
  assert_int_equal(st.rows, rows);
  return st.result.end;
}

/* The numbered subtree is the agent's last object: a v1 table of it runs
 * off the MIB (noSuchName); over v2c, and for a table followed by more
 * objects, it ends as a subtree. */
static void test_table_end_of_mib(void **state) {
  env *e = *state;
  assert_int_equal(table_end(e, ".1.3.6.1.4.1.99999", USNMP_VERSION_1, 40),
                   USNMP_WALK_END_NO_SUCH_NAME);
  assert_int_equal(table_end(e, ".1.3.6.1.4.1.99999", USNMP_VERSION_2C, 40),
                   USNMP_WALK_END_SUBTREE);
  assert_int_equal(table_end(e, ".1.3.6.1.2.1", USNMP_VERSION_1, 6),
                   USNMP_WALK_END_SUBTREE);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test_setup_teardown(test_getnext_past_subtree, setup,
                                      teardown),
      cmocka_unit_test_setup_teardown(test_getbulk_past_subtree, setup,
                                      teardown),
      cmocka_unit_test_setup_teardown(test_getbulk_inside, setup, teardown),
      cmocka_unit_test_setup_teardown(test_nothing_then_root_get, setup,
                                      teardown),
      cmocka_unit_test_setup_teardown(test_bad_end, setup, teardown),
      cmocka_unit_test_setup_teardown(test_end_needs_flag, setup, teardown),
      cmocka_unit_test_setup_teardown(test_table_end_of_mib, setup, teardown),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
