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
#include "test_util.h"

#define SYSDESCR_TEXT                                                          \
  ".1.3.6.1.2.1.1.1.0 = STRING: \"usnmp test agent (net-snmp snmpd)\""

typedef usnmp_test_result result;

typedef usnmp_test_snmpd_env env;

static usnmp_target *target(env *e, const char *agent, usnmp_version v) {
  usnmp_target *t;
  assert_int_equal(usnmp_target_init(e->m, &t, agent), 0);
  assert_int_equal(usnmp_target_set_version(t, v), 0);
  /* snmpd answers in milliseconds; a lost datagram on a loaded machine
   * is resent soon. */
  assert_int_equal(usnmp_target_set_resend(t, 500), 0);
  assert_int_equal(usnmp_target_set_retries(t, 6), 0);
  return t;
}

static void get_sysdescr(env *e, const char *agent, usnmp_version v) {
  usnmp_target *t = target(e, agent, v);
  usnmp_oid o = usnmp_test_oid("1.3.6.1.2.1.1.1.0");
  result res = {0};
  assert_int_equal(
      usnmp_get(t, &o, 1, NULL, usnmp_test_on_response, &res, NULL), 0);
  usnmp_test_wait_for(&e->loop, &res);
  assert_int_equal(res.calls, 1);
  assert_int_equal(res.status, 0);
  assert_int_equal(res.error_status, 0);
  assert_int_equal(res.n, 1);
  assert_string_equal(res.text[0], SYSDESCR_TEXT);
  usnmp_target_close(t);
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
  usnmp_oid oids[2] = {usnmp_test_oid("1.3.6.1.2.1.1.1.0"),
                       usnmp_test_oid("1.3.6.1.2.1.1.1.99")};
  result v2 = {0}, v1 = {0};
  usnmp_target *t2 = target(e, e->agent.agent4, USNMP_VERSION_2C);
  usnmp_target *t1 = target(e, e->agent.agent6, USNMP_VERSION_1);
  assert_int_equal(
      usnmp_get(t2, oids, 2, NULL, usnmp_test_on_response, &v2, NULL), 0);
  assert_int_equal(
      usnmp_get(t1, oids, 2, NULL, usnmp_test_on_response, &v1, NULL), 0);
  usnmp_test_wait_for(&e->loop, &v2);
  usnmp_test_wait_for(&e->loop, &v1);
  assert_int_equal(v2.status, 0);
  assert_int_equal(v2.error_status, 0);
  assert_int_equal(v2.n, 2);
  assert_string_equal(v2.text[0], SYSDESCR_TEXT);
  assert_string_equal(v2.text[1],
                      ".1.3.6.1.2.1.1.1.99 = No Such Instance currently "
                      "exists at this OID");
  assert_int_equal(v1.status, 0);
  assert_int_equal(v1.error_status, USNMP_ERROR_STATUS_NOSUCHNAME);
  assert_int_equal(v1.error_index, 2);
  usnmp_target_close(t1);
  usnmp_target_close(t2);
}

static void test_getnext_getbulk(void **state) {
  env *e = *state;
  usnmp_target *t = target(e, e->agent.agent4, USNMP_VERSION_2C);
  usnmp_oid sys = usnmp_test_oid("1.3.6.1.2.1.1");
  result next = {0}, bulk = {0};
  assert_int_equal(
      usnmp_getnext(t, &sys, 1, NULL, usnmp_test_on_response, &next, NULL), 0);
  assert_int_equal(usnmp_getbulk(t, &sys, 1, 0, 3, NULL, usnmp_test_on_response,
                                 &bulk, NULL),
                   0);
  usnmp_test_wait_for(&e->loop, &next);
  usnmp_test_wait_for(&e->loop, &bulk);
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
  usnmp_target_close(t);
}

static void set_location(env *e, const char *agent, usnmp_version v,
                         const char *value) {
  usnmp_target *t = target(e, agent, v);
  usnmp_oid loc = usnmp_test_oid("1.3.6.1.2.1.1.6.0");
  usnmp_value val = usnmp_value_string(value);
  result ro = {0}, set = {0}, get = {0};
  char want[128];
  /* The read-only community may not write. */
  assert_int_equal(
      usnmp_set(t, &loc, &val, 1, NULL, usnmp_test_on_response, &ro, NULL), 0);
  usnmp_test_wait_for(&e->loop, &ro);
  assert_int_equal(ro.status, 0);
  assert_int_equal(ro.error_status, v == USNMP_VERSION_1
                                        ? USNMP_ERROR_STATUS_NOSUCHNAME
                                        : USNMP_ERROR_STATUS_NOACCESS);
  assert_int_equal(ro.error_index, 1);

  assert_int_equal(usnmp_target_set_write_community(t, "private"), 0);
  assert_int_equal(
      usnmp_set(t, &loc, &val, 1, NULL, usnmp_test_on_response, &set, NULL), 0);
  usnmp_test_wait_for(&e->loop, &set);
  snprintf(want, sizeof(want), ".1.3.6.1.2.1.1.6.0 = STRING: \"%s\"", value);
  assert_int_equal(set.status, 0);
  assert_int_equal(set.error_status, 0);
  assert_int_equal(set.n, 1);
  assert_string_equal(set.text[0], want);
  assert_int_equal(
      usnmp_get(t, &loc, 1, NULL, usnmp_test_on_response, &get, NULL), 0);
  usnmp_test_wait_for(&e->loop, &get);
  assert_int_equal(get.status, 0);
  assert_string_equal(get.text[0], want);
  usnmp_target_close(t);
}

static void test_set_then_get(void **state) {
  env *e = *state;
  set_location(e, e->agent.agent4, USNMP_VERSION_2C, "room 101 (v2c)");
  set_location(e, e->agent.agent6, USNMP_VERSION_1, "room 102 (v1, IPv6)");
}

static void test_wrong_community_times_out(void **state) {
  env *e = *state;
  usnmp_target *t = target(e, e->agent.agent4, USNMP_VERSION_2C);
  usnmp_oid o = usnmp_test_oid("1.3.6.1.2.1.1.1.0");
  result res = {0};
  usnmp_stats s;
  assert_int_equal(usnmp_target_set_community(t, "not-the-community"), 0);
  assert_int_equal(usnmp_target_set_resend(t, 100), 0);
  assert_int_equal(usnmp_target_set_retries(t, 1), 0);
  assert_int_equal(
      usnmp_get(t, &o, 1, NULL, usnmp_test_on_response, &res, NULL), 0);
  usnmp_test_wait_for(&e->loop, &res);
  usnmp_manager_stats(e->m, &s);
  assert_int_equal(res.calls, 1);
  assert_int_equal(res.status, USNMP_E_TIMEOUT);
  assert_int_equal(s.sent, 2);
  assert_int_equal(s.received, 0);
  assert_int_equal(s.timeouts, 1);
  usnmp_target_close(t);
}

static void test_split(void **state) {
  env *e = *state;
  usnmp_target *t = target(e, e->agent.agent4, USNMP_VERSION_2C);
  usnmp_oid oids[25];
  result res = {0};
  usnmp_stats s;
  int i;
  for (i = 0; i < 25; i++)
    oids[i] = usnmp_test_oid(i % 2 ? "1.3.6.1.2.1.1.2.0" : "1.3.6.1.2.1.1.1.0");
  assert_int_equal(
      usnmp_get(t, oids, 25, NULL, usnmp_test_on_response, &res, NULL), 0);
  usnmp_test_wait_for(&e->loop, &res);
  usnmp_manager_stats(e->m, &s);
  assert_int_equal(res.status, 0);
  assert_int_equal(res.error_status, 0);
  assert_int_equal(res.n, 25);
  for (i = 0; i < 25; i++)
    assert_string_equal(res.text[i], i % 2 ? ".1.3.6.1.2.1.1.2.0 = OID: "
                                             ".1.3.6.1.4.1.8072.3.2.10"
                                           : SYSDESCR_TEXT);
  assert_int_equal(s.accepted, 3);
  usnmp_target_close(t);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      USNMP_TEST_SNMPD_ENV_TEST(test_get_ipv4_ipv6_localhost),
      USNMP_TEST_SNMPD_ENV_TEST(test_missing_object),
      USNMP_TEST_SNMPD_ENV_TEST(test_getnext_getbulk),
      USNMP_TEST_SNMPD_ENV_TEST(test_set_then_get),
      USNMP_TEST_SNMPD_ENV_TEST(test_wrong_community_times_out),
      USNMP_TEST_SNMPD_ENV_TEST(test_split),
  };
  return cmocka_run_group_tests(tests, usnmp_test_snmpd_env_group_setup,
                                usnmp_test_snmpd_env_group_teardown);
}
