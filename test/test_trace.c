/*
 * Tests of usnmp_manager_set_trace(): every datagram sent (resends too) and
 * received (also those then dropped) reaches the callback, in order, with
 * the agent's and the socket's own addresses; nothing does once it is
 * turned off.  The agent is the scripted test agent (test/test_agent.h).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "manager_int.h"
#include "test_agent.h"
#include "test_util.h"
#include "usnmp.h"

#define MAX_SEEN 8

/* One datagram as the callback saw it, copied. */
typedef struct seen_packet {
  int sent;
  uint8_t data[512];
  size_t len;
  struct sockaddr_storage peer, local;
} seen_packet;

typedef struct env {
  usnmp_test_family_env base;
  seen_packet seen[MAX_SEEN];
  size_t n_seen;
  size_t calls;
} env;

static void on_packet(const usnmp_packet *p, void *arg) {
  env *e = arg;
  e->calls++;
  if (e->n_seen == MAX_SEEN)
    return;
  seen_packet *s = &e->seen[e->n_seen++];
  s->sent = p->sent;
  s->len = p->len < sizeof s->data ? p->len : sizeof s->data;
  memcpy(s->data, p->data, s->len);
  memcpy(&s->peer, p->peer,
         p->peer->sa_family == AF_INET6 ? sizeof(struct sockaddr_in6)
                                        : sizeof(struct sockaddr_in));
  memcpy(&s->local, p->local,
         p->local->sa_family == AF_INET6 ? sizeof(struct sockaddr_in6)
                                         : sizeof(struct sockaddr_in));
}

static int setup_family(void **state, int family) {
  env *e = calloc(1, sizeof(*e));
  assert_non_null(e);
  usnmp_test_family_env_init(&e->base, family);
  assert_int_equal(usnmp_target_set_resend(e->base.t, 100), 0);
  assert_int_equal(usnmp_target_set_retries(e->base.t, 1), 0);
  usnmp_manager_set_trace(e->base.m, on_packet, e);
  *state = e;
  return 0;
}

static int setup(void **state) { return setup_family(state, AF_INET); }
static int setup6(void **state) { return setup_family(state, AF_INET6); }

static int teardown(void **state) {
  env *e = *state;
  usnmp_test_family_env_close(&e->base);
  free(e);
  return 0;
}

static uint16_t port_of(const struct sockaddr_storage *ss) {
  if (ss->ss_family == AF_INET6)
    return ntohs(((const struct sockaddr_in6 *)ss)->sin6_port);
  return ntohs(((const struct sockaddr_in *)ss)->sin_port);
}

/* Decodes a traced datagram as a v1/v2c message. */
static usnmp_msg decode(const seen_packet *s) {
  usnmp_msg msg;
  usnmp_varbind vbs[4];
  size_t n;
  assert_int_equal(usnmp_msg_decode(&msg, vbs, 4, &n, s->data, s->len), 0);
  return msg;
}

/* The socket's port as the kernel has it. */
static uint16_t socket_port(const env *e, int family) {
  struct sockaddr_storage ss;
  socklen_t len = sizeof ss;
  int fd = usnmp__transport_fd(e->base.m, family);
  assert_true(fd >= 0);
  assert_int_equal(getsockname(fd, (struct sockaddr *)&ss, &len), 0);
  return port_of(&ss);
}

static void get_sysdescr(env *e, usnmp_test_result *res) {
  usnmp_oid oid = usnmp_test_oid("1.3.6.1.2.1.1.1.0");
  memset(res, 0, sizeof *res);
  assert_int_equal(
      usnmp_get(e->base.t, &oid, 1, NULL, usnmp_test_on_response, res, NULL),
      0);
  usnmp_test_wait_for(&e->base.loop, res);
}

/* A GET and its answer: the request, then the reply, both whole, with the
 * agent as peer and the manager's socket as local address. */
static void check_get(void **state, int family) {
  env *e = *state;
  usnmp_test_result res;
  get_sysdescr(e, &res);
  assert_int_equal(res.status, 0);
  assert_int_equal(e->calls, 2);
  assert_int_equal(e->seen[0].sent, 1);
  assert_int_equal(e->seen[1].sent, 0);
  usnmp_msg req = decode(&e->seen[0]);
  usnmp_msg resp = decode(&e->seen[1]);
  assert_int_equal(req.type, USNMP_PDU_GET);
  assert_int_equal(resp.type, USNMP_PDU_RESPONSE);
  assert_int_equal(req.request_id, resp.request_id);
  for (int i = 0; i < 2; i++) {
    assert_int_equal(e->seen[i].peer.ss_family, family);
    assert_int_equal(port_of(&e->seen[i].peer),
                     usnmp_test_agent_port(e->base.agent));
    assert_int_equal(e->seen[i].local.ss_family, family);
    assert_int_equal(port_of(&e->seen[i].local), socket_port(e, family));
  }
}

static void test_get(void **state) { check_get(state, AF_INET); }
static void test_get_ipv6(void **state) { check_get(state, AF_INET6); }

/* A resend is traced like the first send, with the same bytes. */
static void test_resend(void **state) {
  env *e = *state;
  usnmp_test_result res;
  usnmp_test_agent_push(e->base.agent,
                        (usnmp_test_action){USNMP_TEST_DROP, 0, 0});
  get_sysdescr(e, &res);
  assert_int_equal(res.status, 0);
  assert_int_equal(e->calls, 3);
  assert_int_equal(e->seen[0].sent, 1);
  assert_int_equal(e->seen[1].sent, 1);
  assert_int_equal(e->seen[2].sent, 0);
  assert_int_equal(e->seen[0].len, e->seen[1].len);
  assert_memory_equal(e->seen[0].data, e->seen[1].data, e->seen[0].len);
}

/* A reply the manager drops (wrong request-id) is traced all the same. */
static void test_dropped_reply(void **state) {
  env *e = *state;
  usnmp_test_result res;
  usnmp_stats stats;
  assert_int_equal(usnmp_target_set_retries(e->base.t, 0), 0);
  usnmp_test_agent_push(e->base.agent,
                        (usnmp_test_action){USNMP_TEST_WRONG_ID, 0, 0});
  get_sysdescr(e, &res);
  assert_int_equal(res.status, USNMP_E_TIMEOUT);
  usnmp_manager_stats(e->base.m, &stats);
  assert_int_equal(stats.dropped_unknown_id, 1);
  assert_int_equal(e->calls, 2);
  assert_int_equal(e->seen[1].sent, 0);
  assert_int_equal(decode(&e->seen[1]).request_id,
                   decode(&e->seen[0]).request_id + 1);
}

/* Turned off, nothing more arrives. */
static void test_off(void **state) {
  env *e = *state;
  usnmp_test_result res;
  get_sysdescr(e, &res);
  assert_int_equal(e->calls, 2);
  usnmp_manager_set_trace(e->base.m, NULL, NULL);
  get_sysdescr(e, &res);
  assert_int_equal(res.status, 0);
  assert_int_equal(e->calls, 2);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test_setup_teardown(test_get, setup, teardown),
      cmocka_unit_test_setup_teardown(test_get_ipv6, setup6, teardown),
      cmocka_unit_test_setup_teardown(test_resend, setup, teardown),
      cmocka_unit_test_setup_teardown(test_dropped_reply, setup, teardown),
      cmocka_unit_test_setup_teardown(test_off, setup, teardown),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
