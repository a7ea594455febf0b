/*
 * The transport's platform choices: socket buffers past the system's limit
 * only when the caller asks (usnmp_manager_set_socket_buffer_force), never
 * by silently using root's privilege; and whichever path moves the
 * datagrams (sendmmsg on Linux, libuv's portable path with
 * -Dportable_transport=true), requests and answers in both families and
 * bursts larger than one send batch arrive.
 */
#include <netinet/in.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cmocka.h>

#include "manager_int.h"
#include "test_agent.h"
#include "test_util.h"

typedef usnmp_test_agent_env env;

static long read_long(const char *path) {
  long v = -1;
  FILE *f = fopen(path, "r");
  if (f != NULL) {
    if (fscanf(f, "%ld", &v) != 1)
      v = -1;
    fclose(f);
  }
  return v;
}

/* Opens e->m's IPv4 socket with one GET and returns its SO_RCVBUF. */
static int rcvbuf_after_get(env *e) {
  usnmp_test_result res = {0};
  usnmp_oid o = usnmp_test_oid("1.3.6.1.2.1.1.3.0");
  int val = 0;
  socklen_t len = sizeof val;
  assert_int_equal(
      usnmp_get(e->t, &o, 1, NULL, usnmp_test_on_response, &res, NULL), 0);
  usnmp_test_wait_for(&e->loop, &res);
  assert_int_equal(res.status, 0);
  assert_int_equal(getsockopt(usnmp__transport_fd(e->m, AF_INET), SOL_SOCKET,
                              SO_RCVBUF, &val, &len),
                   0);
  return val;
}

/* Asked for twice the system's limit, the buffer gets the limit, also
 * when the process is root: the library does not use SO_RCVBUFFORCE on
 * its own.  (Linux reports twice the size it sets.) */
static void buffer_clamped_without_force(void **state) {
  env *e = *state;
  long rmem_max = read_long("/proc/sys/net/core/rmem_max");
  if (rmem_max <= 0 || rmem_max > (1L << 28))
    skip(); /* not Linux, or no limit to pass */
  assert_int_equal(usnmp_manager_set_socket_buffer(e->m, (int)(2 * rmem_max)),
                   0);
  assert_true(rcvbuf_after_get(e) <= 2 * rmem_max);
}

/* With force, root passes the limit; anyone else falls back to it. */
static void buffer_forced_on_request(void **state) {
  env *e = *state;
  long rmem_max = read_long("/proc/sys/net/core/rmem_max");
  int val;
  if (rmem_max <= 0 || rmem_max > (1L << 28))
    skip();
  assert_int_equal(usnmp_manager_set_socket_buffer_force(NULL, 1),
                   USNMP_E_INVAL);
  assert_int_equal(usnmp_manager_set_socket_buffer_force(e->m, 1), 0);
  assert_int_equal(usnmp_manager_set_socket_buffer(e->m, (int)(2 * rmem_max)),
                   0);
  val = rcvbuf_after_get(e);
  if (geteuid() == 0)
    assert_true(val >= 4 * rmem_max);
  else
    assert_true(val <= 2 * rmem_max);
  /* Turning it off again is always possible. */
  assert_int_equal(usnmp_manager_set_socket_buffer_force(e->m, 0), 0);
}

/* More requests than one send batch (USNMP__TXQ), to both families at
 * once: every one is answered, with no resend, through whichever path
 * this build uses. */
static void burst_both_families(void **state) {
  env *e = *state;
  enum { N = 3 * USNMP__TXQ };
  usnmp_target *t4 = e->t, *t6;
  /* 8 KiB each: on the heap, not the stack. */
  usnmp_test_result *res = test_calloc(2 * N, sizeof *res);
  usnmp_oid o = usnmp_test_oid("1.3.6.1.2.1.1.3.0");
  usnmp_stats st;
  assert_non_null(res);
  assert_int_equal(
      usnmp_target_init(e->m, &t6, usnmp_test_agent_address(e->agent6)), 0);
  assert_int_equal(usnmp_target_set_max_inflight(t4, 0), 0);
  assert_int_equal(usnmp_target_set_max_inflight(t6, 0), 0);
  for (int i = 0; i < N; i++) {
    assert_int_equal(
        usnmp_get(t4, &o, 1, NULL, usnmp_test_on_response, &res[i], NULL), 0);
    assert_int_equal(
        usnmp_get(t6, &o, 1, NULL, usnmp_test_on_response, &res[N + i], NULL),
        0);
  }
  for (int i = 0; i < 2 * N; i++) {
    usnmp_test_wait_for(&e->loop, &res[i]);
    assert_int_equal(res[i].status, 0);
    assert_int_equal(res[i].n, 1);
  }
  assert_int_equal(usnmp_manager_stats(e->m, &st), 0);
  assert_int_equal(st.accepted, 2 * N);
  assert_int_equal(st.sent, 2 * N);
  assert_int_equal(st.send_errors, 0);
  test_free(res);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      USNMP_TEST_AGENT_ENV_TEST(buffer_clamped_without_force),
      USNMP_TEST_AGENT_ENV_TEST(buffer_forced_on_request),
      USNMP_TEST_AGENT_ENV_TEST(burst_both_families),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
