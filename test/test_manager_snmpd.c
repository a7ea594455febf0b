/*
 * The async manager against net-snmp's real snmpd (test/snmpd_fixture.h):
 * GET, GETNEXT, GETBULK and SET over IPv4, IPv6 and a host name, v1 and
 * v2c, error answers, a wrong community, and a split request.  One agent
 * serves the whole group.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "manager_int.h"
#include "snmpd_fixture.h"

#define SYSDESCR_TEXT                                                          \
  ".1.3.6.1.2.1.1.1.0 = STRING: \"usnmp test agent (net-snmp snmpd)\""

typedef struct result {
  int calls;
  int status;
  int32_t error_status;
  int32_t error_index;
  size_t n;
  char text[32][256];
} result;

static void on_response(const usnmp_response *resp, void *arg) {
  result *res = arg;
  size_t i;
  res->calls++;
  res->status = resp->status;
  res->error_status = resp->error_status;
  res->error_index = resp->error_index;
  res->n = resp->varbind_count;
  for (i = 0; i < resp->varbind_count && i < 32; i++)
    usnmp_varbind_format(res->text[i], sizeof(res->text[i]),
                         &resp->varbinds[i]);
}

typedef struct env {
  usnmp_test_snmpd agent;
  uv_loop_t loop;
  usnmp_manager *m;
} env;

static int group_setup(void **state) {
  env *e = calloc(1, sizeof(*e));
  if (e == NULL || usnmp_test_snmpd_start(&e->agent) != 0) {
    free(e);
    return -1;
  }
  *state = e;
  return 0;
}

static int group_teardown(void **state) {
  env *e = *state;
  int rc = usnmp_test_snmpd_stop(&e->agent);
  free(e);
  return rc;
}

static int setup(void **state) {
  env *e = *state;
  if (uv_loop_init(&e->loop) != 0 ||
      usnmp_manager_new(&e->m, &e->loop, NULL) != 0)
    return -1;
  return 0;
}

static int teardown(void **state) {
  env *e = *state;
  usnmp_manager_close(e->m, NULL, NULL);
  uv_run(&e->loop, UV_RUN_DEFAULT);
  assert_int_equal(uv_loop_close(&e->loop), 0);
  return 0;
}

static usnmp_oid oid_of(const char *text) {
  usnmp_oid o;
  assert_int_equal(usnmp_oid_parse(&o, text), 0);
  return o;
}

static usnmp_target *target(env *e, const char *agent, usnmp_version v) {
  usnmp_target *t;
  assert_int_equal(usnmp_target_new(e->m, &t, agent), 0);
  assert_int_equal(usnmp_target_set_version(t, v), 0);
  /* snmpd answers in milliseconds; a lost datagram on a loaded machine
   * is resent soon. */
  assert_int_equal(usnmp_target_set_resend(t, 500), 0);
  assert_int_equal(usnmp_target_set_retries(t, 6), 0);
  return t;
}

/* Runs the loop until the callback ran (the request bounds the time). */
static void wait_for(env *e, result *res) {
  while (res->calls == 0)
    assert_int_equal(uv_run(&e->loop, UV_RUN_ONCE) >= 0, 1);
}

static void get_sysdescr(env *e, const char *agent, usnmp_version v) {
  usnmp_target *t = target(e, agent, v);
  usnmp_oid o = oid_of("1.3.6.1.2.1.1.1.0");
  result res = {0};
  assert_int_equal(usnmp_get(t, &o, 1, NULL, on_response, &res, NULL), 0);
  wait_for(e, &res);
  assert_int_equal(res.calls, 1);
  assert_int_equal(res.status, 0);
  assert_int_equal(res.error_status, 0);
  assert_int_equal(res.n, 1);
  assert_string_equal(res.text[0], SYSDESCR_TEXT);
  usnmp_target_free(t);
}

static void test_get_ipv4_ipv6_localhost(void **state) {
  env *e = *state;
  char name[64];
  get_sysdescr(e, e->agent.agent4, USNMP_VERSION_2C);
  get_sysdescr(e, e->agent.agent4, USNMP_VERSION_1);
  get_sysdescr(e, e->agent.agent6, USNMP_VERSION_2C);
  get_sysdescr(e, e->agent.agent6, USNMP_VERSION_1);
  snprintf(name, sizeof(name), "localhost:%u", e->agent.port);
  get_sysdescr(e, name, USNMP_VERSION_2C);
  snprintf(name, sizeof(name), "[::1]:%u", e->agent.port);
  get_sysdescr(e, name, USNMP_VERSION_2C);
}

static void test_missing_object(void **state) {
  env *e = *state;
  usnmp_oid oids[2] = {oid_of("1.3.6.1.2.1.1.1.0"),
                       oid_of("1.3.6.1.2.1.1.1.99")};
  result v2 = {0}, v1 = {0};
  usnmp_target *t2 = target(e, e->agent.agent4, USNMP_VERSION_2C);
  usnmp_target *t1 = target(e, e->agent.agent6, USNMP_VERSION_1);
  assert_int_equal(usnmp_get(t2, oids, 2, NULL, on_response, &v2, NULL), 0);
  assert_int_equal(usnmp_get(t1, oids, 2, NULL, on_response, &v1, NULL), 0);
  wait_for(e, &v2);
  wait_for(e, &v1);
  assert_int_equal(v2.status, 0);
  assert_int_equal(v2.error_status, 0);
  assert_int_equal(v2.n, 2);
  assert_string_equal(v2.text[0], SYSDESCR_TEXT);
  assert_string_equal(v2.text[1],
                      ".1.3.6.1.2.1.1.1.99 = No Such Instance currently "
                      "exists at this OID");
  assert_int_equal(v1.status, 0);
  assert_int_equal(v1.error_status, USNMP_ERR_NOSUCHNAME);
  assert_int_equal(v1.error_index, 2);
  usnmp_target_free(t1);
  usnmp_target_free(t2);
}

static void test_getnext_getbulk(void **state) {
  env *e = *state;
  usnmp_target *t = target(e, e->agent.agent4, USNMP_VERSION_2C);
  usnmp_oid sys = oid_of("1.3.6.1.2.1.1");
  result next = {0}, bulk = {0};
  assert_int_equal(usnmp_getnext(t, &sys, 1, NULL, on_response, &next, NULL),
                   0);
  assert_int_equal(
      usnmp_getbulk(t, &sys, 1, 0, 3, NULL, on_response, &bulk, NULL), 0);
  wait_for(e, &next);
  wait_for(e, &bulk);
  assert_int_equal(next.status, 0);
  assert_int_equal(next.n, 1);
  assert_string_equal(next.text[0], SYSDESCR_TEXT);
  assert_int_equal(bulk.status, 0);
  assert_int_equal(bulk.error_status, 0);
  assert_int_equal(bulk.n, 3);
  assert_string_equal(bulk.text[0], SYSDESCR_TEXT);
  assert_string_equal(bulk.text[1],
                      ".1.3.6.1.2.1.1.2.0 = OID: .1.3.6.1.4.1.8072.3.2.10");
  assert_memory_equal(bulk.text[2], ".1.3.6.1.2.1.1.3.0 = Timeticks: (",
                      strlen(".1.3.6.1.2.1.1.3.0 = Timeticks: ("));
  usnmp_target_free(t);
}

static void set_location(env *e, const char *agent, usnmp_version v,
                         const char *value) {
  usnmp_target *t = target(e, agent, v);
  usnmp_oid loc = oid_of("1.3.6.1.2.1.1.6.0");
  usnmp_value val = usnmp_value_string(value);
  result ro = {0}, set = {0}, get = {0};
  char want[128];
  /* The read-only community may not write. */
  assert_int_equal(usnmp_set(t, &loc, &val, 1, NULL, on_response, &ro, NULL),
                   0);
  wait_for(e, &ro);
  assert_int_equal(ro.status, 0);
  assert_int_equal(ro.error_status, v == USNMP_VERSION_1
                                        ? USNMP_ERR_NOSUCHNAME
                                        : USNMP_ERR_NOACCESS);
  assert_int_equal(ro.error_index, 1);

  assert_int_equal(usnmp_target_set_write_community(t, "private"), 0);
  assert_int_equal(usnmp_set(t, &loc, &val, 1, NULL, on_response, &set, NULL),
                   0);
  wait_for(e, &set);
  snprintf(want, sizeof(want), ".1.3.6.1.2.1.1.6.0 = STRING: \"%s\"", value);
  assert_int_equal(set.status, 0);
  assert_int_equal(set.error_status, 0);
  assert_int_equal(set.n, 1);
  assert_string_equal(set.text[0], want);
  assert_int_equal(usnmp_get(t, &loc, 1, NULL, on_response, &get, NULL), 0);
  wait_for(e, &get);
  assert_int_equal(get.status, 0);
  assert_string_equal(get.text[0], want);
  usnmp_target_free(t);
}

static void test_set_then_get(void **state) {
  env *e = *state;
  set_location(e, e->agent.agent4, USNMP_VERSION_2C, "room 101 (v2c)");
  set_location(e, e->agent.agent6, USNMP_VERSION_1, "room 102 (v1, IPv6)");
}

static void test_wrong_community_times_out(void **state) {
  env *e = *state;
  usnmp_target *t = target(e, e->agent.agent4, USNMP_VERSION_2C);
  usnmp_oid o = oid_of("1.3.6.1.2.1.1.1.0");
  result res = {0};
  usnmp_stats s;
  assert_int_equal(usnmp_target_set_community(t, "not-the-community"), 0);
  assert_int_equal(usnmp_target_set_resend(t, 100), 0);
  assert_int_equal(usnmp_target_set_retries(t, 1), 0);
  assert_int_equal(usnmp_get(t, &o, 1, NULL, on_response, &res, NULL), 0);
  wait_for(e, &res);
  usnmp_manager_stats(e->m, &s);
  assert_int_equal(res.calls, 1);
  assert_int_equal(res.status, USNMP_E_TIMEOUT);
  assert_int_equal(s.sent, 2);
  assert_int_equal(s.received, 0);
  assert_int_equal(s.timeouts, 1);
  usnmp_target_free(t);
}

static void test_split(void **state) {
  env *e = *state;
  usnmp_target *t = target(e, e->agent.agent4, USNMP_VERSION_2C);
  usnmp_oid oids[25];
  result res = {0};
  usnmp_stats s;
  int i;
  for (i = 0; i < 25; i++)
    oids[i] = oid_of(i % 2 ? "1.3.6.1.2.1.1.2.0" : "1.3.6.1.2.1.1.1.0");
  assert_int_equal(usnmp_get(t, oids, 25, NULL, on_response, &res, NULL), 0);
  wait_for(e, &res);
  usnmp_manager_stats(e->m, &s);
  assert_int_equal(res.status, 0);
  assert_int_equal(res.error_status, 0);
  assert_int_equal(res.n, 25);
  for (i = 0; i < 25; i++)
    assert_string_equal(res.text[i],
                        i % 2 ? ".1.3.6.1.2.1.1.2.0 = OID: "
                                ".1.3.6.1.4.1.8072.3.2.10"
                              : SYSDESCR_TEXT);
  assert_int_equal(s.accepted, 3);
  usnmp_target_free(t);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test_setup_teardown(test_get_ipv4_ipv6_localhost, setup,
                                      teardown),
      cmocka_unit_test_setup_teardown(test_missing_object, setup, teardown),
      cmocka_unit_test_setup_teardown(test_getnext_getbulk, setup, teardown),
      cmocka_unit_test_setup_teardown(test_set_then_get, setup, teardown),
      cmocka_unit_test_setup_teardown(test_wrong_community_times_out, setup,
                                      teardown),
      cmocka_unit_test_setup_teardown(test_split, setup, teardown),
  };
  return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
