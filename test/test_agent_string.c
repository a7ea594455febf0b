/*
 * IPv6 zones in agent strings (lib/transport.c): "[fe80::1%eth0]",
 * "udp6:[::1%lo]:port", numeric zones; the zone is kept in sin6_scope_id
 * and replies are compared with it (usnmp__sockaddr_equal), and a target
 * with a zone talks to the test agent on ::1.
 */
#include <net/if.h>
#include <netinet/in.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <cmocka.h>

#include "manager_int.h"
#include "test_agent.h"
#include "test_util.h"
#include "usnmp.h"

/* Parses agent and returns its IPv6 address (fails the test otherwise). */
static struct sockaddr_in6 parse6(const char *agent, uint16_t port) {
  struct sockaddr_storage ss;
  struct sockaddr_in6 a6;
  char host[256];
  const char *name = NULL;
  int family = -1;
  int rc = usnmp__agent_parse_port(agent, port, &ss, host, sizeof host, &name,
                                   &family);
  if (rc != 0)
    fail_msg("%s: %s", agent, usnmp_err_name(rc));
  assert_null(name);
  assert_int_equal(family, AF_INET6);
  memcpy(&a6, &ss, sizeof a6);
  assert_int_equal(a6.sin6_family, AF_INET6);
  return a6;
}

static void test_parse_zones(void **state) {
  unsigned lo = if_nametoindex("lo");
  struct sockaddr_in6 a;
  static const char *const bad[] = {
      "[::1%]",           "[::1%nosuchif0]",
      "fe80::1%",         "[fe80::1%lo]x",
      "127.0.0.1%lo",     "udp:[::1%lo]:161",
      "[::1%4294967296]", "host%lo",
      "[fe80::1%lo%lo]",  "[fe80::1%0123456789abcdefg]",
  };
  (void)state;
  assert_true(lo != 0);
  a = parse6("udp6:[::1%lo]:1161", 161);
  assert_int_equal(a.sin6_scope_id, lo);
  assert_int_equal(ntohs(a.sin6_port), 1161);
  a = parse6("[fe80::1%lo]", 161);
  assert_int_equal(a.sin6_scope_id, lo);
  assert_int_equal(ntohs(a.sin6_port), 161);
  a = parse6("fe80::1%lo", 1161);
  assert_int_equal(a.sin6_scope_id, lo);
  assert_int_equal(ntohs(a.sin6_port), 1161);
  a = parse6("udp6:fe80::1%7", 161);
  assert_int_equal(a.sin6_scope_id, 7);
  a = parse6("[fe80::1%4294967295]:2", 161);
  assert_int_equal(a.sin6_scope_id, 4294967295u);
  a = parse6("[fe80::1]:2", 161);
  assert_int_equal(a.sin6_scope_id, 0);
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    struct sockaddr_storage ss;
    char host[256];
    const char *name = NULL;
    int family;
    if (usnmp__agent_parse(bad[i], &ss, host, sizeof host, &name, &family) !=
        USNMP_E_INVAL)
      fail_msg("%s: accepted", bad[i]);
  }
}

/* Link-local addresses on two links are two peers; the zone of other
 * addresses means nothing to the kernel, which reports 0 for them. */
static void test_compare_zones(void **state) {
  struct sockaddr_in6 a = parse6("[fe80::1%1]:161", 161);
  struct sockaddr_in6 b = parse6("[fe80::1%2]:161", 161);
  struct sockaddr_in6 c = parse6("[fe80::1]:161", 161);
  struct sockaddr_in6 d = parse6("[::1%1]:161", 161);
  struct sockaddr_in6 e = parse6("[::1]:161", 161);
  struct sockaddr_in6 f = parse6("[ff02::1%1]:161", 161);
  struct sockaddr_in6 g = parse6("[ff02::1%2]:161", 161);
  (void)state;
  assert_true(
      usnmp__sockaddr_equal((struct sockaddr *)&a, (struct sockaddr *)&a));
  assert_false(
      usnmp__sockaddr_equal((struct sockaddr *)&a, (struct sockaddr *)&b));
  assert_false(
      usnmp__sockaddr_equal((struct sockaddr *)&a, (struct sockaddr *)&c));
  assert_true(
      usnmp__sockaddr_equal((struct sockaddr *)&d, (struct sockaddr *)&e));
  assert_false(
      usnmp__sockaddr_equal((struct sockaddr *)&f, (struct sockaddr *)&g));
}

/* A target with a zone, by name and by number, reaches the agent on ::1,
 * and its replies are accepted. */
static void test_zone_traffic(void **state) {
  uv_loop_t loop;
  usnmp_test_agent *agent;
  usnmp_manager *m;
  usnmp_target *t[2];
  usnmp_test_result res[2];
  usnmp_oid oid = usnmp_test_oid(".1.3.6.1.2.1.1.1.0");
  char name[2][64];
  int closed = 0;
  (void)state;
  memset(res, 0, sizeof res);
  assert_int_equal(uv_loop_init(&loop), 0);
  assert_int_equal(usnmp_test_agent_new(&agent, &loop, AF_INET6), 0);
  assert_int_equal(usnmp_manager_init(&m, &loop, NULL), 0);
  snprintf(name[0], sizeof name[0], "udp6:[::1%%lo]:%u",
           (unsigned)usnmp_test_agent_port(agent));
  snprintf(name[1], sizeof name[1], "[::1%%%u]:%u", if_nametoindex("lo"),
           (unsigned)usnmp_test_agent_port(agent));
  for (int i = 0; i < 2; i++) {
    assert_int_equal(usnmp_target_init(m, &t[i], name[i]), 0);
    assert_int_equal(usnmp_target_set_retries(t[i], 1), 0);
    assert_int_equal(
        usnmp_get(t[i], &oid, 1, NULL, usnmp_test_on_response, &res[i], NULL),
        0);
  }
  for (int i = 0; i < 2; i++) {
    usnmp_test_wait_for(&loop, &res[i]);
    assert_int_equal(res[i].status, 0);
    assert_int_equal(res[i].n, 1);
  }
  usnmp_manager_close(m, usnmp_test_set_flag, &closed);
  usnmp_test_agent_close(agent);
  uv_run(&loop, UV_RUN_DEFAULT);
  assert_true(closed);
  assert_int_equal(uv_loop_close(&loop), 0);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_parse_zones),
      cmocka_unit_test(test_compare_zones),
      cmocka_unit_test(test_zone_traffic),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
