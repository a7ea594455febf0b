/*
 * Deadlines of queued requests (usnmp.h, "Timing" and "Flow control"): a
 * request's overall timeout counts from the call that started it, time in
 * the queues included, for the v1/v2c flow-control queues and for SNMPv3
 * requests waiting for discovery; and a failed discovery fails every
 * request that waited for it, with its status.  Completion times are
 * measured from the start and bounded loosely (a slow machine only makes
 * them later, never earlier), the point being that they no longer pile
 * up one budget after another.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "manager_int.h"
#include "test_agent.h"
#include "test_util.h"
#include "v3_responder.h"

#define N 5

static const uint8_t engine_a[] = {0x80, 0x00, 0x1f, 0x88, 0x04,
                                   'd',  'e',  'a',  'd'};

typedef struct env {
  uv_loop_t loop;
  usnmp_manager *m;
  usnmp_test_agent *agent; /* v2c */
  v3_responder *v3;
  usnmp_target *t2c, *t3;
} env;

static int setup(void **state) {
  env *e = calloc(1, sizeof(*e));
  assert_non_null(e);
  assert_int_equal(uv_loop_init(&e->loop), 0);
  assert_int_equal(usnmp_manager_init(&e->m, &e->loop, NULL), 0);
  assert_int_equal(usnmp_test_agent_new(&e->agent, &e->loop, AF_INET), 0);
  usnmp_test_agent_set_default(e->agent,
                               (usnmp_test_action){USNMP_TEST_DROP, 0, 0});
  assert_int_equal(
      usnmp_target_init(e->m, &e->t2c, usnmp_test_agent_address(e->agent)), 0);
  e->v3 = v3_responder_new(&e->loop, engine_a, sizeof(engine_a), engine_a,
                           sizeof(engine_a), 1, 100);
  e->v3->mode = V3R_SILENT;
  e->t3 = v3_responder_target(e->v3, e->m);
  *state = e;
  return 0;
}

static int teardown(void **state) {
  env *e = *state;
  usnmp_test_agent_close(e->agent);
  v3_responder_finish(&e->loop, e->m, e->v3);
  free(e);
  return 0;
}

typedef struct done {
  int calls;
  int status;
  uint64_t at; /* uv_now() when the callback ran */
  uv_loop_t *loop;
} done;

static void on_done(const usnmp_response *resp, void *arg) {
  done *d = arg;
  d->calls++;
  d->status = resp->status;
  d->at = uv_now(d->loop);
}

/* Starts N GETs on t with opts, runs the loop until all completed, and
 * returns the start time (uv_now). */
static uint64_t run_n(env *e, usnmp_target *t, const usnmp_request_opts *opts,
                      done d[N]) {
  usnmp_oid o = usnmp_test_oid("1.3.6.1.2.1.1.1.0");
  const int *c[N];
  uint64_t start;
  int i;
  uv_update_time(&e->loop);
  start = uv_now(&e->loop);
  for (i = 0; i < N; i++) {
    memset(&d[i], 0, sizeof(d[i]));
    d[i].loop = &e->loop;
    c[i] = &d[i].calls;
    assert_int_equal(usnmp_get(t, &o, 1, opts, on_done, &d[i], NULL), 0);
  }
  usnmp_test_run_until_all(&e->loop, c, N);
  return start;
}

/* Every request completed once, with want, no earlier than lo ms after
 * start and well before hi. */
static void assert_all(const done d[N], uint64_t start, int want, uint64_t lo,
                       uint64_t hi) {
  int i;
  for (i = 0; i < N; i++) {
    assert_int_equal(d[i].calls, 1);
    assert_int_equal(d[i].status, want);
    assert_true(d[i].at + 1 >= start + lo);
    if (d[i].at - start >= hi)
      fail_msg("request %d completed after %llu ms (bound %llu)", i,
               (unsigned long long)(d[i].at - start), (unsigned long long)hi);
  }
}

static usnmp_request_opts budget(uint32_t ms) {
  usnmp_request_opts o = {0};
  o.flags =
      USNMP_REQUEST_TIMEOUT | USNMP_REQUEST_RESEND | USNMP_REQUEST_RETRIES;
  o.timeout_ms = ms;
  o.resend_ms = 100;
  o.retries = -1;
  return o;
}

/* The case: five GETs with a 400 ms budget to a dead v3 agent
 * used to time out at 400, 800, 1200, 1600 and 2000 ms.  Here 600 ms,
 * all done well before twice that. */
static void test_v3_dead_agent_budget(void **state) {
  env *e = *state;
  usnmp_request_opts o = budget(600);
  usnmp_stats st;
  done d[N];
  uint64_t start = run_n(e, e->t3, &o, d);
  assert_all(d, start, USNMP_E_TIMEOUT, 600, 1200);
  /* Only the probe was sent (at 0, 100, ... 500, fewer when late). */
  assert_true(e->v3->probes >= 1 && e->v3->probes <= 6);
  assert_int_equal(e->v3->requests, 0);
  usnmp_manager_stats(e->m, &st);
  assert_int_equal(st.timeouts, N);
  assert_int_equal(st.queued, 0);
  assert_int_equal(st.inflight, 0);
}

/* Without an overall timeout the probe's schedule (resend 200 ms, two
 * retries: 600 ms) bounds discovery, and its failure ends every request
 * that waited for it: with the defaults, a hundred requests to a dead v3
 * agent no longer take a hundred times six seconds. */
static void test_v3_dead_agent_retries(void **state) {
  env *e = *state;
  done d[N];
  uint64_t start;
  assert_int_equal(usnmp_target_set_resend(e->t3, 200), 0);
  assert_int_equal(usnmp_target_set_retries(e->t3, 2), 0);
  start = run_n(e, e->t3, NULL, d);
  assert_all(d, start, USNMP_E_TIMEOUT, 600, 1200);
  assert_int_equal(e->v3->probes, 3);
}

/* Discovery answered with a report other than unknownEngineID: the probe
 * and every request behind it end with the report's status, after one
 * probe. */
static void test_v3_discovery_report(void **state) {
  env *e = *state;
  done d[N];
  uint64_t start;
  e->v3->mode = V3R_PROBE_REPORT;
  e->v3->probe_report = 1; /* usmStatsUnsupportedSecLevels */
  assert_int_equal(usnmp_target_set_resend(e->t3, 100), 0);
  assert_int_equal(usnmp_target_set_retries(e->t3, 2), 0);
  start = run_n(e, e->t3, NULL, d);
  assert_all(d, start, USNMP_E_UNSUPPORTED_SEC_LEVEL, 0, 1000);
  assert_int_equal(e->v3->probes, 1);
}

/* A cancelled probe is not a failed discovery: the next request probes,
 * and the others are answered. */
static void test_v3_probe_cancelled(void **state) {
  env *e = *state;
  usnmp_oid o = usnmp_test_oid("1.3.6.1.2.1.1.1.0");
  usnmp_request_ref probe;
  done d[N];
  const int *c[N - 1];
  int i;
  for (i = 0; i < N; i++) {
    memset(&d[i], 0, sizeof(d[i]));
    d[i].loop = &e->loop;
    assert_int_equal(
        usnmp_get(e->t3, &o, 1, NULL, on_done, &d[i], i == 0 ? &probe : NULL),
        0);
    if (i > 0)
      c[i - 1] = &d[i].calls;
  }
  assert_ptr_equal(e->t3->probe, e->m->handles[probe.slot].r);
  assert_int_equal(usnmp_cancel(&probe), 0);
  assert_int_equal(d[0].status, USNMP_E_CANCELLED);
  e->v3->mode = V3R_ANSWER;
  usnmp_test_run_until_all(&e->loop, c, N - 1);
  for (i = 1; i < N; i++) {
    assert_int_equal(d[i].calls, 1);
    assert_int_equal(d[i].status, 0);
  }
  assert_int_equal(e->v3->probes, 1);
}

/* v1/v2c: five GETs behind a target cap of one, to a silent agent, with a
 * 600 ms budget: all time out at 600 ms (used to be 600, 1200, ... 3000),
 * the waiting ones unsent. */
static void test_v2c_target_queue(void **state) {
  env *e = *state;
  usnmp_request_opts o = budget(600);
  usnmp_stats st;
  done d[N];
  uint64_t start;
  assert_int_equal(usnmp_target_set_max_inflight(e->t2c, 1), 0);
  start = run_n(e, e->t2c, &o, d);
  assert_all(d, start, USNMP_E_TIMEOUT, 600, 1200);
  usnmp_manager_stats(e->m, &st);
  assert_int_equal(st.timeouts, N);
  assert_int_equal(st.queued, 0);
}

/* The same behind the manager's cap (requests holding a target slot). */
static void test_v2c_manager_queue(void **state) {
  env *e = *state;
  usnmp_request_opts o = budget(600);
  done d[N];
  uint64_t start;
  assert_int_equal(usnmp_manager_set_max_inflight(e->m, 1), 0);
  start = run_n(e, e->t2c, &o, d);
  assert_all(d, start, USNMP_E_TIMEOUT, 600, 1200);
}

/* Queued requests answered in time are answered: the agent takes 60 ms
 * per answer, one at a time; with a 2 s budget all five complete. */
static void test_v2c_queue_answered(void **state) {
  env *e = *state;
  usnmp_request_opts o = budget(2000);
  done d[N];
  uint64_t start;
  usnmp_test_agent_set_default(e->agent,
                               (usnmp_test_action){USNMP_TEST_DELAY, 60, 0});
  assert_int_equal(usnmp_target_set_max_inflight(e->t2c, 1), 0);
  start = run_n(e, e->t2c, &o, d);
  assert_all(d, start, 0, 60, 2000);
}

/* A queued request that is cancelled gives its timer back: the struct is
 * recycled by the next request, which has no deadline, and must not be
 * timed out by the old one's. */
static void test_cancelled_queued_deadline(void **state) {
  env *e = *state;
  usnmp_oid o = usnmp_test_oid("1.3.6.1.2.1.1.1.0");
  usnmp_request_opts o1 = budget(150), o2 = {0};
  usnmp_request_ref queued;
  done first, second, third;
  const int *c[1] = {&third.calls};
  memset(&first, 0, sizeof(first));
  memset(&second, 0, sizeof(second));
  memset(&third, 0, sizeof(third));
  first.loop = second.loop = third.loop = &e->loop;
  assert_int_equal(usnmp_target_set_max_inflight(e->t2c, 1), 0);
  assert_int_equal(usnmp_get(e->t2c, &o, 1, &o1, on_done, &first, NULL), 0);
  assert_int_equal(usnmp_get(e->t2c, &o, 1, &o1, on_done, &second, &queued), 0);
  assert_int_equal(usnmp_cancel(&queued), 0);
  assert_int_equal(second.status, USNMP_E_CANCELLED);
  /* Resend 100 ms, 4 retries: times out at 500 ms, after being sent. */
  o2.flags = USNMP_REQUEST_RESEND | USNMP_REQUEST_RETRIES;
  o2.resend_ms = 100;
  o2.retries = 4;
  uv_update_time(&e->loop);
  {
    uint64_t start = uv_now(&e->loop);
    assert_int_equal(usnmp_get(e->t2c, &o, 1, &o2, on_done, &third, NULL), 0);
    usnmp_test_run_until_all(&e->loop, c, 1);
    assert_int_equal(third.status, USNMP_E_TIMEOUT);
    assert_true(third.at + 1 >= start + 500);
  }
  assert_int_equal(first.status, USNMP_E_TIMEOUT);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test_setup_teardown(test_v3_dead_agent_budget, setup,
                                      teardown),
      cmocka_unit_test_setup_teardown(test_v3_dead_agent_retries, setup,
                                      teardown),
      cmocka_unit_test_setup_teardown(test_v3_discovery_report, setup,
                                      teardown),
      cmocka_unit_test_setup_teardown(test_v3_probe_cancelled, setup, teardown),
      cmocka_unit_test_setup_teardown(test_v2c_target_queue, setup, teardown),
      cmocka_unit_test_setup_teardown(test_v2c_manager_queue, setup, teardown),
      cmocka_unit_test_setup_teardown(test_v2c_queue_answered, setup, teardown),
      cmocka_unit_test_setup_teardown(test_cancelled_queued_deadline, setup,
                                      teardown),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
