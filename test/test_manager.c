/*
 * The async manager against the scripted test agent (test/test_agent.h):
 * requests and answers, every misbehaviour of the agent, the timing model,
 * cancel / target free / close (also from inside callbacks), split and
 * merge, tooBig, flow control, socket buffers, resolution, and many
 * requests at once.  The real snmpd is in test_manager_snmpd.c.
 */
#include <netinet/in.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cmocka.h>

#include "manager_int.h"
#include "test_agent.h"
#include "test_util.h"

/* ------------------------------------------------------------------------
 * Helpers
 * ------------------------------------------------------------------------ */

#define MAX_KEEP 32

typedef struct result {
  int calls;
  int status;
  int32_t error_status;
  int32_t error_index;
  size_t n;
  char text[MAX_KEEP][160];
  usnmp_target *target;
  /* Something to do from inside the callback. */
  usnmp_request_ref *cancel_other;
  usnmp_target *free_target;
  usnmp_manager *close_manager;
  int order; /* value of *order_counter when called */
  int *order_counter;
} result;

static void on_response(const usnmp_response *resp, void *arg) {
  result *res = arg;
  size_t i;
  res->calls++;
  res->status = resp->status;
  res->error_status = resp->error_status;
  res->error_index = resp->error_index;
  res->n = resp->varbind_count;
  res->target = resp->target;
  for (i = 0; i < resp->varbind_count && i < MAX_KEEP; i++)
    usnmp_varbind_format(res->text[i], sizeof(res->text[i]),
                         &resp->varbinds[i]);
  if (res->order_counter != NULL)
    res->order = ++*res->order_counter;
  if (res->cancel_other != NULL)
    assert_int_equal(usnmp_cancel(res->cancel_other), 0);
  if (res->free_target != NULL)
    usnmp_target_close(res->free_target);
  if (res->close_manager != NULL)
    usnmp_manager_close(res->close_manager, NULL, NULL);
}

static void on_stop_timer(uv_timer_t *t) { *(int *)t->data = 1; }

/* Runs the loop until *calls reaches want, or ms milliseconds pass. */
static void run_until(uv_loop_t *loop, const int *calls, int want,
                      uint64_t ms) {
  uv_timer_t timer;
  int expired = 0;
  uv_timer_init(loop, &timer);
  timer.data = &expired;
  uv_timer_start(&timer, on_stop_timer, ms, 0);
  while (!expired && (calls == NULL || *calls < want))
    uv_run(loop, UV_RUN_ONCE);
  uv_close((uv_handle_t *)&timer, NULL);
  uv_run(loop, UV_RUN_NOWAIT);
}

/* Runs the loop for ms milliseconds. */
static void run_for(uv_loop_t *loop, uint64_t ms) {
  run_until(loop, NULL, 0, ms);
}

typedef struct env {
  uv_loop_t loop;
  usnmp_manager *m;
  usnmp_test_agent *agent;
  usnmp_target *t;
  int closed;
} env;

static void on_closed(void *arg) { ((env *)arg)->closed = 1; }

static int setup_family(void **state, int family) {
  env *e = calloc(1, sizeof(*e));
  assert_non_null(e);
  assert_int_equal(uv_loop_init(&e->loop), 0);
  assert_int_equal(usnmp_manager_init(&e->m, &e->loop, NULL), 0);
  assert_int_equal(usnmp_test_agent_new(&e->agent, &e->loop, family), 0);
  assert_int_equal(
      usnmp_target_init(e->m, &e->t, usnmp_test_agent_address(e->agent)), 0);
  *state = e;
  return 0;
}

static int setup(void **state) { return setup_family(state, AF_INET); }
static int setup6(void **state) { return setup_family(state, AF_INET6); }

static int teardown(void **state) {
  env *e = *state;
  if (e->m != NULL)
    usnmp_manager_close(e->m, on_closed, e);
  usnmp_test_agent_close(e->agent);
  uv_run(&e->loop, UV_RUN_DEFAULT);
  assert_int_equal(e->closed, e->m != NULL);
  assert_int_equal(uv_loop_close(&e->loop), 0);
  free(e);
  return 0;
}

static usnmp_stats stats_of(const env *e) {
  usnmp_stats s;
  usnmp_manager_stats(e->m, &s);
  return s;
}

static usnmp_test_agent_stats agent_stats(const env *e) {
  usnmp_test_agent_stats s;
  usnmp_test_agent_get_stats(e->agent, &s);
  return s;
}

static void fast_resend(usnmp_target *t, uint32_t resend_ms, int32_t retries) {
  assert_int_equal(usnmp_target_set_resend(t, resend_ms), 0);
  assert_int_equal(usnmp_target_set_retries(t, retries), 0);
}

static const char *SYSDESCR = "1.3.6.1.2.1.1.1.0";

/* ------------------------------------------------------------------------
 * Basic requests
 * ------------------------------------------------------------------------ */

static void test_get_v2c(void **state) {
  env *e = *state;
  usnmp_oid oids[2] = {usnmp_test_oid(SYSDESCR),
                       usnmp_test_oid("1.3.6.1.2.1.1.99.0")};
  result res = {0};
  usnmp_stats s;
  assert_int_equal(usnmp_get(e->t, oids, 2, NULL, on_response, &res, NULL), 0);
  assert_int_equal(res.calls, 0); /* never from inside the call */
  run_until(&e->loop, &res.calls, 1, 5000);
  assert_int_equal(res.calls, 1);
  assert_int_equal(res.status, 0);
  assert_int_equal(res.error_status, 0);
  assert_int_equal(res.n, 2);
  assert_string_equal(res.text[0], ".1.3.6.1.2.1.1.1.0 = STRING: "
                                   "\"usnmp scripted test agent\"");
  assert_string_equal(res.text[1], ".1.3.6.1.2.1.1.99.0 = No Such Object "
                                   "available on this agent at this OID");
  assert_ptr_equal(res.target, e->t);
  s = stats_of(e);
  assert_int_equal(s.requests, 1);
  assert_int_equal(s.sent, 1);
  assert_int_equal(s.accepted, 1);
  assert_int_equal(s.inflight, 0);
  assert_int_equal(s.queued, 0);
  assert_int_equal(usnmp__manager_pending(e->m), 0);
  /* The request-id was positive and 31-bit. */
  assert_true(agent_stats(e).last_request_id > 0);
}

static void test_get_v1_nosuchname(void **state) {
  env *e = *state;
  usnmp_oid oids[2] = {usnmp_test_oid(SYSDESCR),
                       usnmp_test_oid("1.3.6.1.2.1.1.99.0")};
  result res = {0};
  assert_int_equal(usnmp_target_set_version(e->t, USNMP_VERSION_1), 0);
  assert_int_equal(usnmp_get(e->t, oids, 2, NULL, on_response, &res, NULL), 0);
  run_until(&e->loop, &res.calls, 1, 5000);
  assert_int_equal(res.calls, 1);
  assert_int_equal(res.status, 0);
  assert_int_equal(res.error_status, USNMP_ERROR_STATUS_NOSUCHNAME);
  assert_int_equal(res.error_index, 2);
  /* GETBULK does not exist in v1. */
  assert_int_equal(
      usnmp_getbulk(e->t, oids, 1, 0, 5, NULL, on_response, &res, NULL),
      USNMP_E_BAD_VERSION);
}

static void test_getnext_getbulk(void **state) {
  env *e = *state;
  usnmp_oid up = usnmp_test_oid("1.3.6.1.2.1.1.3.0");
  usnmp_oid bulk[2] = {usnmp_test_oid("1.3.6.1.2.1.1.1.0"),
                       usnmp_test_oid("1.3.6.1.4.1.99999.1.38")};
  result res = {0}, bres = {0};
  assert_int_equal(usnmp_getnext(e->t, &up, 1, NULL, on_response, &res, NULL),
                   0);
  assert_int_equal(
      usnmp_getbulk(e->t, bulk, 2, 1, 4, NULL, on_response, &bres, NULL), 0);
  run_until(&e->loop, &bres.calls, 1, 5000);
  run_until(&e->loop, &res.calls, 1, 5000);
  assert_int_equal(res.calls, 1);
  assert_int_equal(res.n, 1);
  assert_string_equal(res.text[0], ".1.3.6.1.2.1.1.4.0 = STRING: \"root\"");
  /* One non-repeater, then the column from .38: .39, .40, end. */
  assert_int_equal(bres.calls, 1);
  assert_int_equal(bres.status, 0);
  assert_int_equal(bres.n, 4);
  assert_string_equal(bres.text[0],
                      ".1.3.6.1.2.1.1.2.0 = OID: .1.3.6.1.4.1.8072.3.2.10");
  assert_string_equal(bres.text[1], ".1.3.6.1.4.1.99999.1.39 = INTEGER: 39");
  assert_string_equal(bres.text[2], ".1.3.6.1.4.1.99999.1.40 = INTEGER: 40");
  assert_string_equal(bres.text[3], ".1.3.6.1.4.1.99999.1.40 = No more "
                                    "variables left in this MIB View (It is "
                                    "past the end of the MIB tree)");
}

static void test_set_then_get(void **state) {
  env *e = *state;
  usnmp_oid loc = usnmp_test_oid("1.3.6.1.2.1.1.6.0");
  usnmp_value v = usnmp_value_string("rack 42");
  result res = {0}, ro = {0}, get = {0};
  char text[128];
  /* With the read community the agent refuses. */
  assert_int_equal(usnmp_set(e->t, &loc, &v, 1, NULL, on_response, &ro, NULL),
                   0);
  run_until(&e->loop, &ro.calls, 1, 5000);
  assert_int_equal(ro.calls, 1);
  assert_int_equal(ro.error_status, USNMP_ERROR_STATUS_NOACCESS);
  assert_int_equal(ro.error_index, 1);

  assert_int_equal(usnmp_target_set_write_community(e->t, "private"), 0);
  assert_int_equal(usnmp_set(e->t, &loc, &v, 1, NULL, on_response, &res, NULL),
                   0);
  run_until(&e->loop, &res.calls, 1, 5000);
  assert_int_equal(res.calls, 1);
  assert_int_equal(res.status, 0);
  assert_int_equal(res.error_status, 0);
  assert_string_equal(res.text[0], ".1.3.6.1.2.1.1.6.0 = STRING: \"rack 42\"");
  assert_int_equal(usnmp_test_agent_mib_format(e->agent, "1.3.6.1.2.1.1.6.0",
                                               text, sizeof(text)),
                   0);
  assert_string_equal(text, "STRING: \"rack 42\"");
  /* GETs keep the read community. */
  assert_int_equal(usnmp_get(e->t, &loc, 1, NULL, on_response, &get, NULL), 0);
  run_until(&e->loop, &get.calls, 1, 5000);
  assert_string_equal(get.text[0], ".1.3.6.1.2.1.1.6.0 = STRING: \"rack 42\"");
}

static void test_invalid_arguments(void **state) {
  env *e = *state;
  usnmp_oid o = usnmp_test_oid(SYSDESCR);
  usnmp_request_opts opts = {0};
  result res = {0};
  assert_int_equal(usnmp_get(e->t, &o, 0, NULL, on_response, &res, NULL),
                   USNMP_E_INVAL);
  assert_int_equal(usnmp_get(e->t, &o, 1, NULL, NULL, &res, NULL),
                   USNMP_E_INVAL);
  assert_int_equal(usnmp_get(NULL, &o, 1, NULL, on_response, &res, NULL),
                   USNMP_E_INVAL);
  assert_int_equal(usnmp_get(e->t, &o, USNMP_MAX_VARBINDS + 1, NULL,
                             on_response, &res, NULL),
                   USNMP_E_INVAL);
  opts.flags = USNMP_REQUEST_RESEND;
  opts.resend_ms = 0;
  assert_int_equal(usnmp_get(e->t, &o, 1, &opts, on_response, &res, NULL),
                   USNMP_E_INVAL);
  opts.flags = USNMP_REQUEST_RETRIES;
  opts.retries = -1; /* unlimited needs an overall timeout */
  assert_int_equal(usnmp_get(e->t, &o, 1, &opts, on_response, &res, NULL),
                   USNMP_E_INVAL);
  opts.flags = USNMP_REQUEST_BACKOFF;
  opts.backoff = 0.5;
  assert_int_equal(usnmp_get(e->t, &o, 1, &opts, on_response, &res, NULL),
                   USNMP_E_INVAL);
  assert_int_equal(usnmp_target_set_max_oids(e->t, 0), USNMP_E_INVAL);
  assert_int_equal(usnmp_target_set_backoff(e->t, 0.9), USNMP_E_INVAL);
  assert_int_equal(usnmp_target_set_resend(e->t, 0), USNMP_E_INVAL);
  assert_int_equal(usnmp_target_set_version(e->t, (usnmp_version)7),
                   USNMP_E_INVAL);
  assert_int_equal(usnmp_cancel(NULL), USNMP_E_INVAL);
  assert_int_equal(res.calls, 0);
  assert_int_equal(stats_of(e).requests, 0);
}

static void test_request_opts_community(void **state) {
  env *e = *state;
  usnmp_oid name = usnmp_test_oid("1.3.6.1.2.1.1.5.0");
  usnmp_value v = usnmp_value_string("renamed");
  usnmp_request_opts opts = {0};
  result set = {0}, bad = {0};
  opts.flags = USNMP_REQUEST_COMMUNITY;
  opts.community = "private";
  assert_int_equal(
      usnmp_set(e->t, &name, &v, 1, &opts, on_response, &set, NULL), 0);
  run_until(&e->loop, &set.calls, 1, 5000);
  assert_int_equal(set.status, 0);
  assert_int_equal(set.error_status, 0);
  /* An unknown community: the agent stays silent, the request times out
   * after the resends the options ask for. */
  opts.flags =
      USNMP_REQUEST_COMMUNITY | USNMP_REQUEST_RESEND | USNMP_REQUEST_RETRIES;
  opts.community = "guess";
  opts.resend_ms = 20;
  opts.retries = 2;
  assert_int_equal(usnmp_get(e->t, &name, 1, &opts, on_response, &bad, NULL),
                   0);
  run_until(&e->loop, &bad.calls, 1, 5000);
  assert_int_equal(bad.calls, 1);
  assert_int_equal(bad.status, USNMP_E_TIMEOUT);
  assert_int_equal(agent_stats(e).bad_community, 3);
}

/* ------------------------------------------------------------------------
 * Misbehaviour: each bad reply is dropped and counted, and the resend gets
 * the good answer.
 * ------------------------------------------------------------------------ */

typedef struct bad_case {
  usnmp_test_act act;
  uint32_t param;
  size_t counter; /* offsetof(usnmp_stats, ...) that must be 1 */
} bad_case;

static void test_bad_replies(void **state) {
  env *e = *state;
  static const bad_case cases[] = {
      {USNMP_TEST_TRUNCATE, 3, offsetof(usnmp_stats, dropped_malformed)},
      /* Everything cut: an empty datagram. */
      {USNMP_TEST_TRUNCATE, 100000, offsetof(usnmp_stats, dropped_malformed)},
      {USNMP_TEST_CORRUPT, 0, offsetof(usnmp_stats, dropped_malformed)},
      {USNMP_TEST_WRONG_ID, 0, offsetof(usnmp_stats, dropped_unknown_id)},
      {USNMP_TEST_OTHER_PORT, 0, offsetof(usnmp_stats, dropped_wrong_source)},
      {USNMP_TEST_WRONG_COMMUNITY, 0,
       offsetof(usnmp_stats, dropped_wrong_community)},
      {USNMP_TEST_WRONG_VERSION, 0,
       offsetof(usnmp_stats, dropped_wrong_version)},
      {USNMP_TEST_WRONG_PDU, 0, offsetof(usnmp_stats, dropped_wrong_pdu)},
      {USNMP_TEST_DROP, 0, offsetof(usnmp_stats, resent)},
  };
  size_t i;
  fast_resend(e->t, 60, 3);
  for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
    usnmp_oid o = usnmp_test_oid(SYSDESCR);
    result res = {0};
    usnmp_stats before = stats_of(e), after;
    usnmp_test_agent_push(e->agent,
                          (usnmp_test_action){cases[i].act, cases[i].param, 0});
    assert_int_equal(usnmp_get(e->t, &o, 1, NULL, on_response, &res, NULL), 0);
    run_until(&e->loop, &res.calls, 1, 5000);
    run_for(&e->loop, 5); /* nothing else arrives */
    after = stats_of(e);
    assert_int_equal(res.calls, 1);
    assert_int_equal(res.status, 0);
    assert_int_equal(res.n, 1);
    assert_string_equal(res.text[0], ".1.3.6.1.2.1.1.1.0 = STRING: "
                                     "\"usnmp scripted test agent\"");
    assert_int_equal(
        *(const uint64_t *)((const char *)&after + cases[i].counter) -
            *(const uint64_t *)((const char *)&before + cases[i].counter),
        1);
    assert_int_equal(after.resent - before.resent, 1);
    assert_int_equal(after.accepted - before.accepted, 1);
    assert_int_equal(after.received - before.received,
                     cases[i].act == USNMP_TEST_DROP ? 1 : 2);
  }
}

static void test_duplicate_and_delay(void **state) {
  env *e = *state;
  usnmp_oid o = usnmp_test_oid(SYSDESCR);
  result dup = {0}, slow = {0};
  usnmp_stats s;
  usnmp_test_agent_push(e->agent,
                        (usnmp_test_action){USNMP_TEST_DUPLICATE, 0, 0});
  usnmp_test_agent_push(e->agent, (usnmp_test_action){USNMP_TEST_DELAY, 40, 0});
  assert_int_equal(usnmp_get(e->t, &o, 1, NULL, on_response, &dup, NULL), 0);
  run_until(&e->loop, &dup.calls, 1, 5000);
  assert_int_equal(usnmp_get(e->t, &o, 1, NULL, on_response, &slow, NULL), 0);
  run_until(&e->loop, &slow.calls, 1, 5000);
  run_for(&e->loop, 10);
  s = stats_of(e);
  assert_int_equal(dup.calls, 1);
  assert_int_equal(dup.status, 0);
  assert_int_equal(slow.calls, 1);
  assert_int_equal(slow.status, 0);
  assert_true(slow.n == 1);
  assert_int_equal(s.received, 3);
  assert_int_equal(s.accepted, 2);
  assert_int_equal(s.dropped_unknown_id, 1); /* the duplicate */
  assert_int_equal(s.resent, 0);
}

static void test_reorder(void **state) {
  env *e = *state;
  usnmp_oid a = usnmp_test_oid("1.3.6.1.4.1.99999.1.1");
  usnmp_oid b = usnmp_test_oid("1.3.6.1.4.1.99999.1.2");
  result ra = {0}, rb = {0};
  int order = 0;
  ra.order_counter = rb.order_counter = &order;
  usnmp_test_agent_push(e->agent, (usnmp_test_action){USNMP_TEST_HOLD, 0, 0});
  assert_int_equal(usnmp_get(e->t, &a, 1, NULL, on_response, &ra, NULL), 0);
  run_for(&e->loop, 20); /* the agent holds the first answer */
  assert_int_equal(ra.calls, 0);
  assert_int_equal(usnmp_get(e->t, &b, 1, NULL, on_response, &rb, NULL), 0);
  run_until(&e->loop, &ra.calls, 1, 5000);
  assert_int_equal(ra.calls, 1);
  assert_int_equal(rb.calls, 1);
  assert_int_equal(rb.order, 1); /* the second answer came first */
  assert_int_equal(ra.order, 2);
  assert_string_equal(ra.text[0], ".1.3.6.1.4.1.99999.1.1 = INTEGER: 1");
  assert_string_equal(rb.text[0], ".1.3.6.1.4.1.99999.1.2 = INTEGER: 2");
}

static void test_toobig_single_varbind(void **state) {
  env *e = *state;
  usnmp_oid o = usnmp_test_oid(SYSDESCR);
  result res = {0};
  usnmp_test_agent_push(e->agent, (usnmp_test_action){USNMP_TEST_TOOBIG, 0, 0});
  assert_int_equal(usnmp_get(e->t, &o, 1, NULL, on_response, &res, NULL), 0);
  run_until(&e->loop, &res.calls, 1, 5000);
  assert_int_equal(res.calls, 1);
  assert_int_equal(res.status, 0);
  assert_int_equal(res.error_status, USNMP_ERROR_STATUS_TOOBIG);
  assert_int_equal(res.n, 0);
  assert_int_equal(agent_stats(e).requests, 1);
}

/* ------------------------------------------------------------------------
 * Timing model
 * ------------------------------------------------------------------------ */

static void test_resend_backoff_timeout(void **state) {
  env *e = *state;
  usnmp_oid o = usnmp_test_oid(SYSDESCR);
  result res = {0};
  usnmp_test_agent_stats as;
  usnmp_stats s;
  uint64_t start, elapsed;
  static const uint64_t gaps[3] = {40, 80, 160};
  size_t i;
  usnmp_test_agent_set_default(e->agent,
                               (usnmp_test_action){USNMP_TEST_DROP, 0, 0});
  fast_resend(e->t, 40, 3);
  assert_int_equal(usnmp_target_set_backoff(e->t, 2.0), 0);
  uv_update_time(&e->loop);
  start = uv_now(&e->loop);
  assert_int_equal(usnmp_get(e->t, &o, 1, NULL, on_response, &res, NULL), 0);
  run_until(&e->loop, &res.calls, 1, 5000);
  elapsed = uv_now(&e->loop) - start;
  as = agent_stats(e);
  s = stats_of(e);
  assert_int_equal(res.calls, 1);
  assert_int_equal(res.status, USNMP_E_TIMEOUT);
  /* Sent at 0, resent at 40, 120, 280; timed out one interval (320) after
   * the last resend, at 600. */
  assert_int_equal(as.received, 4);
  assert_int_equal(s.sent, 4);
  assert_int_equal(s.resent, 3);
  assert_int_equal(s.timeouts, 1);
  /* Measured from the start, not between receptions: a reception handled
   * late (a slow machine, valgrind) must not make the next gap look short.
   * A datagram is received after it is sent, so never early holds. */
  uint64_t due = start;
  for (i = 0; i < 3; i++) {
    due += gaps[i];
    assert_true(as.recv_ms[i + 1] + 1 >= due); /* never early */
    assert_true(as.recv_ms[i + 1] <=
                due + 400 * (i + 1)); /* not absurdly late */
  }
  assert_true(elapsed + 1 >= 600);
}

static void test_overall_timeout(void **state) {
  env *e = *state;
  usnmp_oid o = usnmp_test_oid(SYSDESCR);
  usnmp_request_opts opts = {0};
  result res = {0};
  uint64_t start, elapsed;
  usnmp_test_agent_set_default(e->agent,
                               (usnmp_test_action){USNMP_TEST_DROP, 0, 0});
  opts.flags =
      USNMP_REQUEST_TIMEOUT | USNMP_REQUEST_RESEND | USNMP_REQUEST_RETRIES;
  opts.timeout_ms = 130;
  opts.resend_ms = 50;
  opts.retries = -1;
  uv_update_time(&e->loop);
  start = uv_now(&e->loop);
  assert_int_equal(usnmp_get(e->t, &o, 1, &opts, on_response, &res, NULL), 0);
  run_until(&e->loop, &res.calls, 1, 5000);
  elapsed = uv_now(&e->loop) - start;
  assert_int_equal(res.calls, 1);
  assert_int_equal(res.status, USNMP_E_TIMEOUT);
  /* Sent at 0, 50 and 100; the overall timeout ends it at 130. */
  assert_int_equal(agent_stats(e).received, 3);
  assert_true(elapsed + 1 >= 130);
  assert_true(elapsed < 130 + 400);
}

static void test_late_reply(void **state) {
  env *e = *state;
  usnmp_oid o = usnmp_test_oid(SYSDESCR);
  result res = {0};
  usnmp_stats s;
  /* Every answer comes 150 ms late; the request gives up after 2 x 40. */
  usnmp_test_agent_set_default(e->agent,
                               (usnmp_test_action){USNMP_TEST_DELAY, 150, 0});
  fast_resend(e->t, 40, 1);
  assert_int_equal(usnmp_get(e->t, &o, 1, NULL, on_response, &res, NULL), 0);
  run_until(&e->loop, &res.calls, 1, 5000);
  assert_int_equal(res.status, USNMP_E_TIMEOUT);
  run_for(&e->loop, 300);
  s = stats_of(e);
  assert_int_equal(res.calls, 1);
  assert_int_equal(s.received, 2);
  assert_int_equal(s.dropped_unknown_id, 2);
  assert_int_equal(s.accepted, 0);
}

/* ------------------------------------------------------------------------
 * Cancel, target free, close
 * ------------------------------------------------------------------------ */

static void test_cancel(void **state) {
  env *e = *state;
  usnmp_oid o = usnmp_test_oid(SYSDESCR);
  result a = {0}, b = {0}, c = {0};
  usnmp_request_ref ra, rb;
  usnmp_test_agent_push(e->agent, (usnmp_test_action){USNMP_TEST_DROP, 0, 0});
  usnmp_test_agent_push(e->agent, (usnmp_test_action){USNMP_TEST_DROP, 0, 0});
  usnmp_test_agent_push(e->agent, (usnmp_test_action){USNMP_TEST_DELAY, 20, 0});
  assert_int_equal(usnmp_get(e->t, &o, 1, NULL, on_response, &a, &ra), 0);
  assert_int_equal(usnmp_get(e->t, &o, 1, NULL, on_response, &b, &rb), 0);
  assert_int_equal(usnmp_cancel(&ra), 0);
  assert_int_equal(a.calls, 1); /* synchronously */
  assert_int_equal(a.status, USNMP_E_CANCELLED);
  /* c's callback cancels b. */
  c.cancel_other = &rb;
  assert_int_equal(usnmp_get(e->t, &o, 1, NULL, on_response, &c, NULL), 0);
  run_until(&e->loop, &c.calls, 1, 5000);
  assert_int_equal(c.calls, 1);
  assert_int_equal(c.status, 0);
  assert_int_equal(b.calls, 1);
  assert_int_equal(b.status, USNMP_E_CANCELLED);
  run_for(&e->loop, 10);
  assert_int_equal(a.calls, 1);
  assert_int_equal(b.calls, 1);
  assert_int_equal(stats_of(e).inflight, 0);
  assert_int_equal(usnmp__manager_pending(e->m), 0);
}

static void test_target_close(void **state) {
  env *e = *state;
  usnmp_oid o = usnmp_test_oid(SYSDESCR);
  result r[4];
  usnmp_target *t2;
  int i;
  memset(r, 0, sizeof(r));
  usnmp_test_agent_set_default(e->agent,
                               (usnmp_test_action){USNMP_TEST_DROP, 0, 0});
  assert_int_equal(usnmp_target_set_max_inflight(e->t, 1), 0);
  for (i = 0; i < 3; i++) /* one in flight, two queued */
    assert_int_equal(usnmp_get(e->t, &o, 1, NULL, on_response, &r[i], NULL), 0);
  run_for(&e->loop, 10);
  assert_int_equal(stats_of(e).inflight, 1);
  assert_int_equal(stats_of(e).queued, 2);
  /* A callback that frees the target again, and one that frees another
   * target: both are safe. */
  assert_int_equal(
      usnmp_target_init(e->m, &t2, usnmp_test_agent_address(e->agent)), 0);
  r[0].free_target = e->t;
  r[1].free_target = t2;
  assert_int_equal(usnmp_get(t2, &o, 1, NULL, on_response, &r[3], NULL), 0);
  usnmp_target_close(e->t);
  e->t = NULL;
  for (i = 0; i < 4; i++) {
    assert_int_equal(r[i].calls, 1);
    assert_int_equal(r[i].status, USNMP_E_CANCELLED);
  }
  assert_int_equal(stats_of(e).inflight, 0);
  assert_int_equal(stats_of(e).queued, 0);
  assert_int_equal(usnmp__manager_pending(e->m), 0);
}

static void test_close_pending_and_queued(void **state) {
  env *e = *state;
  usnmp_oid o = usnmp_test_oid(SYSDESCR);
  result r[5];
  int i;
  memset(r, 0, sizeof(r));
  usnmp_test_agent_set_default(e->agent,
                               (usnmp_test_action){USNMP_TEST_DROP, 0, 0});
  assert_int_equal(usnmp_manager_set_max_inflight(e->m, 2), 0);
  for (i = 0; i < 5; i++)
    assert_int_equal(usnmp_get(e->t, &o, 1, NULL, on_response, &r[i], NULL), 0);
  run_for(&e->loop, 10);
  assert_int_equal(stats_of(e).inflight, 2);
  assert_int_equal(stats_of(e).queued, 3);
  /* The first CLOSED callback closes again: harmless. */
  r[0].close_manager = e->m;
  usnmp_manager_close(e->m, on_closed, e);
  for (i = 0; i < 5; i++) {
    assert_int_equal(r[i].calls, 1);
    assert_int_equal(r[i].status, USNMP_E_CLOSED);
  }
  assert_int_equal(e->closed, 0); /* memory goes in a close callback */
  /* The manager lives until its close callback, refusing new work. */
  assert_int_equal(usnmp_target_init(e->m, &e->t, "127.0.0.1"), USNMP_E_CLOSED);
  uv_run(&e->loop, UV_RUN_NOWAIT);
  assert_int_equal(e->closed, 1);
  e->m = NULL; /* teardown: already closed */
  e->closed = 0;
}

static void test_close_from_callback(void **state) {
  env *e = *state;
  usnmp_oid o = usnmp_test_oid(SYSDESCR);
  result a = {0}, b = {0};
  usnmp_test_agent_push(e->agent, (usnmp_test_action){USNMP_TEST_ANSWER, 0, 0});
  usnmp_test_agent_push(e->agent, (usnmp_test_action){USNMP_TEST_DROP, 0, 0});
  a.close_manager = e->m;
  assert_int_equal(usnmp_get(e->t, &o, 1, NULL, on_response, &a, NULL), 0);
  assert_int_equal(usnmp_get(e->t, &o, 1, NULL, on_response, &b, NULL), 0);
  run_until(&e->loop, &a.calls, 1, 5000);
  assert_int_equal(a.calls, 1);
  assert_int_equal(a.status, 0);
  assert_int_equal(b.calls, 1);
  assert_int_equal(b.status, USNMP_E_CLOSED);
  uv_run(&e->loop, UV_RUN_NOWAIT);
  e->m = NULL; /* closed (without close_cb) from the callback */
}

static void test_send_error(void **state) {
  env *e = *state;
  usnmp_oid o = usnmp_test_oid(SYSDESCR);
  result res = {0};
  usnmp_target *t;
  /* The kernel refuses a broadcast without SO_BROADCAST (here the loopback
   * network's own, so nothing could leave the machine): the first send
   * fails, and the callback still runs later, never inside usnmp_get. */
  result good[2];
  memset(good, 0, sizeof(good));
  assert_int_equal(usnmp_target_init(e->m, &t, "127.255.255.255:16100"), 0);
  /* One send batch: a good datagram, the refused one, a good one. */
  assert_int_equal(usnmp_get(e->t, &o, 1, NULL, on_response, &good[0], NULL),
                   0);
  assert_int_equal(usnmp_get(t, &o, 1, NULL, on_response, &res, NULL), 0);
  assert_int_equal(usnmp_get(e->t, &o, 1, NULL, on_response, &good[1], NULL),
                   0);
  assert_int_equal(res.calls, 0);
  run_until(&e->loop, &good[1].calls, 1, 5000);
  run_until(&e->loop, &res.calls, 1, 5000);
  assert_int_equal(res.calls, 1);
  assert_int_equal(res.status, UV_EACCES);
  assert_int_equal(good[0].status, 0);
  assert_int_equal(good[1].status, 0);
  assert_int_equal(stats_of(e).send_errors, 1);
  assert_int_equal(stats_of(e).sent, 2);
  assert_int_equal(stats_of(e).inflight, 0);
  usnmp_target_close(t);
}

static void test_free_target_from_answer(void **state) {
  env *e = *state;
  usnmp_oid o = usnmp_test_oid(SYSDESCR);
  result a = {0}, b = {0};
  usnmp_test_agent_push(e->agent, (usnmp_test_action){USNMP_TEST_ANSWER, 0, 0});
  usnmp_test_agent_push(e->agent, (usnmp_test_action){USNMP_TEST_DROP, 0, 0});
  a.free_target = e->t;
  assert_int_equal(usnmp_get(e->t, &o, 1, NULL, on_response, &a, NULL), 0);
  assert_int_equal(usnmp_get(e->t, &o, 1, NULL, on_response, &b, NULL), 0);
  run_until(&e->loop, &a.calls, 1, 5000);
  assert_int_equal(a.calls, 1);
  assert_int_equal(a.status, 0);
  assert_int_equal(b.calls, 1);
  assert_int_equal(b.status, USNMP_E_CANCELLED);
  e->t = NULL;
  assert_int_equal(usnmp__manager_pending(e->m), 0);
}

static void test_getbulk_toobig_not_retried(void **state) {
  env *e = *state;
  usnmp_oid oids[3] = {usnmp_test_oid("1.3.6.1.2.1.1"),
                       usnmp_test_oid("1.3.6.1.2.1.1.3"),
                       usnmp_test_oid("1.3.6.1.2.1.1.4")};
  result res = {0};
  usnmp_test_agent_set_toobig_over(e->agent, 2);
  assert_int_equal(
      usnmp_getbulk(e->t, oids, 3, 0, 10, NULL, on_response, &res, NULL), 0);
  run_until(&e->loop, &res.calls, 1, 5000);
  assert_int_equal(res.calls, 1);
  assert_int_equal(res.status, 0);
  assert_int_equal(res.error_status, USNMP_ERROR_STATUS_TOOBIG);
  assert_int_equal(agent_stats(e).requests, 1);
}

/* The hook rewrites answers: here a GETNEXT that goes backwards, the kind
 * of agent bug the walk layer must survive.  (An answer with another
 * number of varbinds than asked is dropped: test_reply_check.c.) */
static void backwards_hook(usnmp_test_agent *a, usnmp_test_exchange *ex,
                           void *arg) {
  (void)a;
  (void)arg;
  if (ex->request->type == USNMP_PDU_GETNEXT) {
    ex->n_vbs = 0;
    assert_int_equal(usnmp_test_reply_set(ex, 0, "1.3.6.1.2.1.1.1.0",
                                          usnmp_value_integer(-7)),
                     0);
  }
}

static void test_agent_hook(void **state) {
  env *e = *state;
  usnmp_oid o = usnmp_test_oid("1.3.6.1.2.1.1.5.0");
  result res = {0};
  usnmp_test_agent_set_hook(e->agent, backwards_hook, NULL);
  assert_int_equal(usnmp_getnext(e->t, &o, 1, NULL, on_response, &res, NULL),
                   0);
  run_until(&e->loop, &res.calls, 1, 5000);
  assert_int_equal(res.calls, 1);
  assert_int_equal(res.status, 0);
  assert_int_equal(res.n, 1); /* delivered as the agent sent it */
  assert_string_equal(res.text[0], ".1.3.6.1.2.1.1.1.0 = INTEGER: -7");
}

/* ------------------------------------------------------------------------
 * Split, merge, tooBig
 * ------------------------------------------------------------------------ */

static void test_split_merge(void **state) {
  env *e = *state;
  usnmp_oid oids[25];
  result res = {0};
  char name[64];
  int i;
  for (i = 0; i < 25; i++) {
    snprintf(name, sizeof(name), "1.3.6.1.4.1.99999.1.%d", i + 1);
    oids[i] = usnmp_test_oid(name);
  }
  assert_int_equal(usnmp_get(e->t, oids, 25, NULL, on_response, &res, NULL), 0);
  run_until(&e->loop, &res.calls, 1, 5000);
  assert_int_equal(res.calls, 1);
  assert_int_equal(res.status, 0);
  assert_int_equal(res.error_status, 0);
  assert_int_equal(res.n, 25);
  for (i = 0; i < 25; i++) {
    char want[96];
    snprintf(want, sizeof(want), ".1.3.6.1.4.1.99999.1.%d = INTEGER: %d", i + 1,
             i + 1);
    assert_string_equal(res.text[i], want);
  }
  assert_int_equal(agent_stats(e).requests, 3); /* 10 + 10 + 5 */
  assert_int_equal(agent_stats(e).max_vbs, 10);
  assert_int_equal(stats_of(e).requests, 1);
  assert_int_equal(stats_of(e).sent, 3);
}

static void test_split_error_index(void **state) {
  env *e = *state;
  usnmp_oid oids[25];
  result res = {0};
  char name[64];
  int i;
  assert_int_equal(usnmp_target_set_version(e->t, USNMP_VERSION_1), 0);
  for (i = 0; i < 25; i++) {
    snprintf(name, sizeof(name), "1.3.6.1.4.1.99999.1.%d", i + 1);
    oids[i] = usnmp_test_oid(name);
  }
  /* Unknown names at caller positions 17 and 23: the first one wins. */
  oids[16] = usnmp_test_oid("1.3.6.1.4.1.99999.2.1");
  oids[22] = usnmp_test_oid("1.3.6.1.4.1.99999.2.2");
  assert_int_equal(usnmp_get(e->t, oids, 25, NULL, on_response, &res, NULL), 0);
  run_until(&e->loop, &res.calls, 1, 5000);
  assert_int_equal(res.calls, 1);
  assert_int_equal(res.status, 0);
  assert_int_equal(res.error_status, USNMP_ERROR_STATUS_NOSUCHNAME);
  assert_int_equal(res.error_index, 17);
  assert_int_equal(res.n, 25);
}

static void test_toobig_halves(void **state) {
  env *e = *state;
  usnmp_oid oids[10];
  result res = {0};
  char name[64];
  int i;
  for (i = 0; i < 10; i++) {
    snprintf(name, sizeof(name), "1.3.6.1.4.1.99999.1.%d", i + 1);
    oids[i] = usnmp_test_oid(name);
  }
  /* More than 3 varbinds: tooBig.  10 -> 5 + 5 -> (3 + 2) + (3 + 2). */
  usnmp_test_agent_set_toobig_over(e->agent, 3);
  assert_int_equal(usnmp_get(e->t, oids, 10, NULL, on_response, &res, NULL), 0);
  run_until(&e->loop, &res.calls, 1, 5000);
  assert_int_equal(res.calls, 1);
  assert_int_equal(res.status, 0);
  assert_int_equal(res.error_status, 0);
  assert_int_equal(res.n, 10);
  for (i = 0; i < 10; i++) {
    char want[96];
    snprintf(want, sizeof(want), ".1.3.6.1.4.1.99999.1.%d = INTEGER: %d", i + 1,
             i + 1);
    assert_string_equal(res.text[i], want);
  }
  assert_int_equal(agent_stats(e).requests, 1 + 2 + 4);
  assert_int_equal(usnmp__manager_pending(e->m), 0);
}

static void test_split_child_timeout(void **state) {
  env *e = *state;
  usnmp_oid oids[25];
  result res = {0};
  char name[64];
  int i;
  for (i = 0; i < 25; i++) {
    snprintf(name, sizeof(name), "1.3.6.1.4.1.99999.1.%d", i + 1);
    oids[i] = usnmp_test_oid(name);
  }
  fast_resend(e->t, 30, 0);
  /* The second sub-request is never answered: the whole request times out
   * and the third's answer is not delivered. */
  usnmp_test_agent_push(e->agent, (usnmp_test_action){USNMP_TEST_ANSWER, 0, 0});
  usnmp_test_agent_push(e->agent, (usnmp_test_action){USNMP_TEST_DROP, 0, 0});
  usnmp_test_agent_push(e->agent, (usnmp_test_action){USNMP_TEST_DELAY, 60, 0});
  assert_int_equal(usnmp_get(e->t, oids, 25, NULL, on_response, &res, NULL), 0);
  run_until(&e->loop, &res.calls, 1, 5000);
  run_for(&e->loop, 80);
  assert_int_equal(res.calls, 1);
  assert_int_equal(res.status, USNMP_E_TIMEOUT);
  assert_int_equal(res.n, 0);
  assert_int_equal(stats_of(e).dropped_unknown_id, 1);
  assert_int_equal(usnmp__manager_pending(e->m), 0);
}

static void test_set_split(void **state) {
  env *e = *state;
  usnmp_oid oids[12];
  usnmp_value vals[12];
  result res = {0};
  char name[64], text[64];
  int i;
  for (i = 0; i < 12; i++) {
    snprintf(name, sizeof(name), "1.3.6.1.4.1.99999.3.%d", i + 1);
    assert_int_equal(
        usnmp_test_agent_mib_set(e->agent, name, usnmp_value_integer(0), 1), 0);
    oids[i] = usnmp_test_oid(name);
    vals[i] = usnmp_value_integer(100 + i);
  }
  assert_int_equal(usnmp_target_set_write_community(e->t, "private"), 0);
  assert_int_equal(usnmp_target_set_max_oids(e->t, 5), 0);
  assert_int_equal(
      usnmp_set(e->t, oids, vals, 12, NULL, on_response, &res, NULL), 0);
  run_until(&e->loop, &res.calls, 1, 5000);
  assert_int_equal(res.calls, 1);
  assert_int_equal(res.status, 0);
  assert_int_equal(res.error_status, 0);
  assert_int_equal(res.n, 12);
  for (i = 0; i < 12; i++) {
    char want[96];
    snprintf(want, sizeof(want), ".1.3.6.1.4.1.99999.3.%d = INTEGER: %d", i + 1,
             100 + i);
    assert_string_equal(res.text[i], want);
  }
  assert_int_equal(agent_stats(e).by_type[USNMP_PDU_SET - 0xA0], 3);
  assert_int_equal(usnmp_test_agent_mib_format(
                       e->agent, "1.3.6.1.4.1.99999.3.12", text, sizeof(text)),
                   0);
  assert_string_equal(text, "INTEGER: 111");
}

/* A stand-in message model for version 3 that speaks v2c on the wire:
 * enough to show that a model installed with usnmp__manager_set_msgproc()
 * encodes, matches and accepts the target's messages. */
typedef struct fake_v3 {
  usnmp__msgproc proc;
  const usnmp__msgproc *v2c;
  int encoded, accepted;
} fake_v3;

static fake_v3 *fake_of(usnmp_manager *m) {
  return (fake_v3 *)(void *)m->procs[USNMP_VERSION_3];
}

static int fake_encode(usnmp_request *r, const usnmp__pdu *pdu, uint8_t *buf,
                       size_t size) {
  fake_v3 *f = fake_of(r->m);
  int rc;
  f->encoded++;
  r->version = USNMP_VERSION_2C; /* the wire version of this fake */
  rc = f->v2c->encode(r, pdu, buf, size);
  r->version = USNMP_VERSION_3;
  return rc;
}

static int fake_accept(usnmp_request *r, usnmp__inbound *in) {
  fake_v3 *f = fake_of(r->m);
  f->accepted++;
  return in->msg.type == USNMP_PDU_RESPONSE ? USNMP__ACCEPT : USNMP__DROP_PDU;
}

static void test_msgproc_hook(void **state) {
  env *e = *state;
  usnmp_oid o = usnmp_test_oid(SYSDESCR);
  result res = {0};
  fake_v3 f;
  assert_int_equal(usnmp_target_set_version(e->t, USNMP_VERSION_3),
                   USNMP_E_INVAL); /* no v3 model installed */
  f.v2c = e->m->procs[USNMP_VERSION_2C];
  f.proc.encode = fake_encode;
  f.proc.decode = f.v2c->decode;
  f.proc.accept = fake_accept;
  f.encoded = f.accepted = 0;
  assert_int_equal(usnmp__manager_set_msgproc(e->m, USNMP_VERSION_3, &f.proc),
                   0);
  assert_int_equal(usnmp_target_set_version(e->t, USNMP_VERSION_3), 0);
  /* Replies arrive as v2c: route version 1 on the wire to the fake. */
  assert_int_equal(usnmp__manager_set_msgproc(e->m, USNMP_VERSION_2C, &f.proc),
                   0);
  assert_int_equal(usnmp_get(e->t, &o, 1, NULL, on_response, &res, NULL), 0);
  run_until(&e->loop, &res.calls, 1, 5000);
  assert_int_equal(res.calls, 1);
  assert_int_equal(res.status, 0);
  assert_int_equal(f.encoded, 1);
  assert_int_equal(f.accepted, 1);
  assert_int_equal(usnmp__manager_set_msgproc(e->m, USNMP_VERSION_2C, f.v2c),
                   0);
  assert_int_equal(usnmp__manager_set_msgproc(e->m, USNMP_VERSION_3, NULL), 0);
}

/* ------------------------------------------------------------------------
 * Flow control
 * ------------------------------------------------------------------------ */

static void test_target_cap(void **state) {
  env *e = *state;
  usnmp_oid o = usnmp_test_oid(SYSDESCR);
  result r[10];
  int i;
  memset(r, 0, sizeof(r));
  usnmp_test_agent_set_default(e->agent,
                               (usnmp_test_action){USNMP_TEST_DELAY, 15, 0});
  assert_int_equal(usnmp_target_set_max_inflight(e->t, 3), 0);
  for (i = 0; i < 10; i++)
    assert_int_equal(usnmp_get(e->t, &o, 1, NULL, on_response, &r[i], NULL), 0);
  assert_int_equal(stats_of(e).inflight, 3);
  assert_int_equal(stats_of(e).queued, 7);
  run_until(&e->loop, &r[9].calls, 1, 5000);
  for (i = 0; i < 10; i++) {
    assert_int_equal(r[i].calls, 1);
    assert_int_equal(r[i].status, 0);
  }
  assert_int_equal(agent_stats(e).max_pending, 3);
  assert_int_equal(stats_of(e).inflight, 0);
  assert_int_equal(stats_of(e).queued, 0);
}

static void test_manager_cap(void **state) {
  env *e = *state;
  usnmp_oid o = usnmp_test_oid(SYSDESCR);
  usnmp_target *t2;
  result r[12];
  int i, order = 0;
  memset(r, 0, sizeof(r));
  usnmp_test_agent_set_default(e->agent,
                               (usnmp_test_action){USNMP_TEST_DELAY, 15, 0});
  assert_int_equal(
      usnmp_target_init(e->m, &t2, usnmp_test_agent_address(e->agent)), 0);
  assert_int_equal(usnmp_target_set_max_inflight(e->t, 0), 0);
  assert_int_equal(usnmp_manager_set_max_inflight(e->m, 4), 0);
  for (i = 0; i < 12; i++) {
    r[i].order_counter = &order;
    assert_int_equal(
        usnmp_get(i % 2 ? t2 : e->t, &o, 1, NULL, on_response, &r[i], NULL), 0);
  }
  assert_int_equal(stats_of(e).inflight, 4);
  assert_int_equal(stats_of(e).queued, 8);
  run_until(&e->loop, &order, 12, 5000);
  for (i = 0; i < 12; i++) {
    assert_int_equal(r[i].calls, 1);
    assert_int_equal(r[i].status, 0);
  }
  assert_int_equal(agent_stats(e).max_pending, 4);
  /* Waiting requests go in order: the last ones started finish last. */
  assert_true(r[11].order > r[0].order);
  usnmp_target_close(t2);
}

typedef struct many {
  int done;
  int ok;
} many;

static void on_many(const usnmp_response *resp, void *arg) {
  many *mn = arg;
  mn->done++;
  if (resp->status == 0 && resp->varbind_count == 1)
    mn->ok++;
}

static void test_many_targets(void **state) {
  env *e = *state;
  usnmp_target *ts[50];
  usnmp_oid o = usnmp_test_oid("1.3.6.1.2.1.1.3.0");
  many mn = {0, 0};
  int i;
  usnmp_stats s;
  for (i = 0; i < 50; i++) {
    assert_int_equal(
        usnmp_target_init(e->m, &ts[i], usnmp_test_agent_address(e->agent)), 0);
    /* Each answer is sure to come: no resend races with a slow run. */
    fast_resend(ts[i], 5000, 2);
  }
  for (i = 0; i < 1000; i++)
    assert_int_equal(usnmp_get(ts[i % 50], &o, 1, NULL, on_many, &mn, NULL), 0);
  run_until(&e->loop, &mn.done, 1000, 30000);
  s = stats_of(e);
  assert_int_equal(mn.done, 1000);
  assert_int_equal(mn.ok, 1000);
  assert_int_equal(s.accepted, 1000);
  assert_int_equal(s.requests, 1000);
  assert_int_equal(usnmp__manager_pending(e->m), 0);
  for (i = 0; i < 50; i++)
    usnmp_target_close(ts[i]);
}

/* ------------------------------------------------------------------------
 * Transport: IPv6, names, socket buffers, agent strings
 * ------------------------------------------------------------------------ */

static void test_ipv6(void **state) {
  env *e = *state;
  usnmp_oid o = usnmp_test_oid(SYSDESCR);
  result res = {0};
  assert_int_equal(usnmp_get(e->t, &o, 1, NULL, on_response, &res, NULL), 0);
  run_until(&e->loop, &res.calls, 1, 5000);
  assert_int_equal(res.calls, 1);
  assert_int_equal(res.status, 0);
  assert_true(usnmp__transport_fd(e->m, AF_INET6) >= 0);
  assert_int_equal(usnmp__transport_fd(e->m, AF_INET), -1); /* lazily */
}

static void test_localhost(void **state) {
  env *e = *state;
  usnmp_oid o = usnmp_test_oid(SYSDESCR);
  result res = {0};
  usnmp_target *t;
  char agent[64];
  snprintf(agent, sizeof(agent), "localhost:%u",
           usnmp_test_agent_port(e->agent));
  assert_int_equal(usnmp_target_init(e->m, &t, agent), 0);
  assert_int_equal(usnmp_get(t, &o, 1, NULL, on_response, &res, NULL), 0);
  assert_int_equal(stats_of(e).queued, 1); /* waits for the name */
  run_until(&e->loop, &res.calls, 1, 10000);
  assert_int_equal(res.calls, 1);
  assert_int_equal(res.status, 0);
  assert_string_equal(usnmp_target_agent(t), agent);
  usnmp_target_close(t);
}

static void test_resolve_failure(void **state) {
  env *e = *state;
  usnmp_oid oids[12];
  result a = {0}, b = {0};
  usnmp_target *t;
  int i;
  for (i = 0; i < 12; i++)
    oids[i] = usnmp_test_oid(SYSDESCR);
  assert_int_equal(usnmp_target_init(e->m, &t, USNMP_TEST_UNRESOLVABLE ":1161"),
                   0);
  assert_int_equal(usnmp_get(t, oids, 1, NULL, on_response, &a, NULL), 0);
  /* A split request waits as well, and fails once. */
  assert_int_equal(usnmp_get(t, oids, 12, NULL, on_response, &b, NULL), 0);
  run_until(&e->loop, &b.calls, 1, 20000);
  assert_int_equal(a.calls, 1);
  assert_int_equal(a.status, USNMP_E_RESOLVE);
  assert_int_equal(b.calls, 1);
  assert_int_equal(b.status, USNMP_E_RESOLVE);
  assert_int_equal(stats_of(e).queued, 0);
  usnmp_target_close(t);
}

static void test_close_while_resolving(void **state) {
  env *e = *state;
  usnmp_oid o = usnmp_test_oid(SYSDESCR);
  result res = {0};
  usnmp_target *t;
  assert_int_equal(usnmp_target_init(e->m, &t, "localhost"), 0);
  assert_int_equal(usnmp_get(t, &o, 1, NULL, on_response, &res, NULL), 0);
  usnmp_manager_close(e->m, on_closed, e);
  assert_int_equal(res.calls, 1);
  assert_int_equal(res.status, USNMP_E_CLOSED);
  /* The lookup's callback still runs; the memory goes after it. */
  run_until(&e->loop, &e->closed, 1, 10000);
  assert_int_equal(e->closed, 1);
  e->m = NULL;
  e->closed = 0;
}

static void test_socket_buffer(void **state) {
  env *e = *state;
  usnmp_oid o = usnmp_test_oid(SYSDESCR);
  result res = {0};
  int fd, val = 0;
  socklen_t len = sizeof(val);
  FILE *f;
  long rmem_max = 0;
  assert_int_equal(usnmp_manager_set_socket_buffer(e->m, 0), USNMP_E_INVAL);
  assert_int_equal(usnmp_get(e->t, &o, 1, NULL, on_response, &res, NULL), 0);
  run_until(&e->loop, &res.calls, 1, 5000);
  fd = usnmp__transport_fd(e->m, AF_INET);
  assert_true(fd >= 0);
  assert_int_equal(getsockopt(fd, SOL_SOCKET, SO_RCVBUF, &val, &len), 0);
  f = fopen("/proc/sys/net/core/rmem_max", "r");
  if (f != NULL) {
    assert_int_equal(fscanf(f, "%ld", &rmem_max), 1);
    fclose(f);
  }
  /* Linux reports twice the size set; rmem_max clamps it, also for root
   * (SO_RCVBUFFORCE is opt-in: test_transport.c). */
  assert_true(val >= 2 * (rmem_max < USNMP__DEFAULT_SOCKBUF
                              ? rmem_max
                              : USNMP__DEFAULT_SOCKBUF));
}

typedef struct parse_case {
  const char *agent;
  int ok;
  int family; /* of the numeric address, or AF_UNSPEC for a name */
  uint16_t port;
  const char *host; /* the name to resolve */
} parse_case;

static void test_agent_parse(void **state) {
  static const parse_case cases[] = {
      {"10.0.0.1", 1, AF_INET, 161, NULL},
      {"10.0.0.1:1161", 1, AF_INET, 1161, NULL},
      {"udp:10.0.0.1:1161", 1, AF_INET, 1161, NULL},
      {"udp:10.0.0.1", 1, AF_INET, 161, NULL},
      {"[::1]:1161", 1, AF_INET6, 1161, NULL},
      {"udp6:[::1]:1161", 1, AF_INET6, 1161, NULL},
      {"udp6:[fe80::1]", 1, AF_INET6, 161, NULL},
      {"::1", 1, AF_INET6, 161, NULL},
      {"2001:db8::5", 1, AF_INET6, 161, NULL},
      {"localhost", 1, AF_UNSPEC, 161, "localhost"},
      {"router-7.example.net:16100", 1, AF_UNSPEC, 16100,
       "router-7.example.net"},
      {"udp6:localhost:1161", 1, AF_UNSPEC, 1161, "localhost"},
      {"", 0, 0, 0, NULL},
      {":161", 0, 0, 0, NULL},
      {"10.0.0.1:", 0, 0, 0, NULL},
      {"10.0.0.1:0", 0, 0, 0, NULL},
      {"10.0.0.1:65536", 0, 0, 0, NULL},
      {"10.0.0.1:16a", 0, 0, 0, NULL},
      {"[::1", 0, 0, 0, NULL},
      {"[::1]x", 0, 0, 0, NULL},
      {"[nothost]:161", 0, 0, 0, NULL},
      {"udp:[::1]:161", 0, 0, 0, NULL},
      {"udp:::1", 0, 0, 0, NULL},
      {"bad host", 0, 0, 0, NULL},
      {"a;b", 0, 0, 0, NULL},
  };
  size_t i;
  (void)state;
  for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
    struct sockaddr_storage ss;
    char host[256];
    const char *name = NULL;
    int family = -1;
    int rc = usnmp__agent_parse(cases[i].agent, &ss, host, sizeof(host), &name,
                                &family);
    if (!cases[i].ok) {
      if (rc != USNMP_E_INVAL)
        fail_msg("%s: accepted", cases[i].agent);
      continue;
    }
    if (rc != 0)
      fail_msg("%s: %d", cases[i].agent, rc);
    assert_int_equal(ntohs(((struct sockaddr_in *)&ss)->sin_port),
                     cases[i].port);
    if (cases[i].host != NULL) {
      assert_non_null(name);
      assert_string_equal(name, cases[i].host);
    } else {
      assert_null(name);
      assert_int_equal(ss.ss_family, cases[i].family);
      assert_int_equal(family, cases[i].family);
    }
  }
}

/* ------------------------------------------------------------------------
 * A threaded agent (the blocking layer's kind)
 * ------------------------------------------------------------------------ */

/* An idle manager does not keep its loop alive: uv_run(UV_RUN_DEFAULT)
 * returns as soon as the last request has completed, with the manager
 * still open and usable, as with any other libuv work. */
static void test_run_returns_when_idle(void **state) {
  usnmp_test_agent *a;
  uv_loop_t loop;
  usnmp_manager *m;
  usnmp_target *t;
  result res;
  usnmp_oid oid = usnmp_test_oid("1.3.6.1.2.1.1.5.0");
  (void)state;
  assert_int_equal(usnmp_test_agent_start_thread(&a, AF_INET), 0);
  assert_int_equal(uv_loop_init(&loop), 0);
  assert_int_equal(usnmp_manager_init(&m, &loop, NULL), 0);
  assert_int_equal(usnmp_target_init(m, &t, usnmp_test_agent_address(a)), 0);
  for (int round = 1; round <= 2; round++) {
    memset(&res, 0, sizeof(res));
    assert_int_equal(usnmp_get(t, &oid, 1, NULL, on_response, &res, NULL), 0);
    assert_int_equal(uv_run(&loop, UV_RUN_DEFAULT), 0);
    assert_int_equal(res.calls, 1);
    assert_int_equal(res.status, 0);
    assert_string_equal(res.text[0], ".1.3.6.1.2.1.1.5.0 = STRING: \"agent\"");
  }
  usnmp_manager_close(m, NULL, NULL);
  assert_int_equal(uv_run(&loop, UV_RUN_DEFAULT), 0);
  assert_int_equal(uv_loop_close(&loop), 0);
  usnmp_test_agent_stop_thread(a);
}

static void test_threaded_agent(void **state) {
  uv_loop_t loop;
  usnmp_manager *m;
  usnmp_target *t;
  usnmp_test_agent *a;
  usnmp_oid o = usnmp_test_oid(SYSDESCR);
  result res = {0};
  (void)state;
  assert_int_equal(uv_loop_init(&loop), 0);
  assert_int_equal(usnmp_test_agent_start_thread(&a, AF_INET6), 0);
  assert_int_equal(usnmp_manager_init(&m, &loop, NULL), 0);
  assert_int_equal(usnmp_target_init(m, &t, usnmp_test_agent_address(a)), 0);
  usnmp_test_agent_push(a, (usnmp_test_action){USNMP_TEST_DELAY, 10, 0});
  assert_int_equal(usnmp_get(t, &o, 1, NULL, on_response, &res, NULL), 0);
  run_until(&loop, &res.calls, 1, 5000);
  assert_int_equal(res.calls, 1);
  assert_int_equal(res.status, 0);
  usnmp_manager_close(m, NULL, NULL);
  uv_run(&loop, UV_RUN_DEFAULT);
  assert_int_equal(uv_loop_close(&loop), 0);
  usnmp_test_agent_stop_thread(a);
}

/* ------------------------------------------------------------------------
 * Allocation failures
 * ------------------------------------------------------------------------ */

/* One scenario with allocation number fail_at failing.  Returns the number
 * of allocations it made. */
static long run_failing(usnmp_test_agent *agent, uv_loop_t *loop,
                        long fail_at) {
  usnmp_test_failing f = {fail_at, 0, 0, 0};
  usnmp_allocator alloc = usnmp_test_failing_allocator(&f);
  usnmp_manager *m = NULL;
  usnmp_target *t = NULL, *t2 = NULL;
  usnmp_oid oids[12];
  result a = {0}, b = {0};
  int i, rc;
  int closed = 0;
  for (i = 0; i < 12; i++) {
    char name[64];
    snprintf(name, sizeof(name), "1.3.6.1.4.1.99999.1.%d", i + 1);
    oids[i] = usnmp_test_oid(name);
  }
  rc = usnmp_manager_init(&m, loop, &alloc);
  if (rc != 0) {
    assert_int_equal(rc, USNMP_E_NOMEM);
    assert_int_equal(f.live, 0);
    return f.count;
  }
  rc = usnmp_target_init(m, &t, usnmp_test_agent_address(agent));
  if (rc == 0) {
    /* A split GET (two sub-requests of at most 10) and a name. */
    rc = usnmp_get(t, oids, 12, NULL, on_response, &a, NULL);
    assert_true(rc == 0 || rc == USNMP_E_NOMEM);
    if (rc == 0) {
      run_until(loop, &a.calls, 1, 5000);
      assert_int_equal(a.calls, 1);
      assert_true(a.status == 0 || a.status == USNMP_E_NOMEM);
      if (a.status == 0)
        assert_int_equal(a.n, 12);
    }
    rc = usnmp_target_init(m, &t2, "localhost");
    assert_true(rc == 0 || rc == USNMP_E_NOMEM);
    if (rc == 0) {
      rc = usnmp_get(t2, oids, 1, NULL, on_response, &b, NULL);
      assert_true(rc == 0 || rc == USNMP_E_NOMEM);
    }
  } else {
    assert_int_equal(rc, USNMP_E_NOMEM);
  }
  usnmp_manager_close(m, usnmp_test_set_flag, &closed);
  run_until(loop, &closed, 1, 10000); /* the agent keeps the loop alive */
  assert_int_equal(closed, 1);
  assert_int_equal(f.live, 0);
  return f.count;
}

static void test_allocation_failures(void **state) {
  env *e = *state;
  long total, n;
  /* The 12 OIDs go as 10 + 2; the agent answers tooBig above 6, so the 10
   * are asked again as 5 + 5: allocations of every path of a request. */
  usnmp_test_agent_set_toobig_over(e->agent, 6);
  total = run_failing(e->agent, &e->loop, 0);
  assert_true(total > 20);
  for (n = 1; n <= total + 1; n++)
    run_failing(e->agent, &e->loop, n);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_agent_parse),
      cmocka_unit_test_setup_teardown(test_get_v2c, setup, teardown),
      cmocka_unit_test_setup_teardown(test_get_v1_nosuchname, setup, teardown),
      cmocka_unit_test_setup_teardown(test_getnext_getbulk, setup, teardown),
      cmocka_unit_test_setup_teardown(test_set_then_get, setup, teardown),
      cmocka_unit_test_setup_teardown(test_invalid_arguments, setup, teardown),
      cmocka_unit_test_setup_teardown(test_request_opts_community, setup,
                                      teardown),
      cmocka_unit_test_setup_teardown(test_bad_replies, setup, teardown),
      cmocka_unit_test_setup_teardown(test_duplicate_and_delay, setup,
                                      teardown),
      cmocka_unit_test_setup_teardown(test_reorder, setup, teardown),
      cmocka_unit_test_setup_teardown(test_toobig_single_varbind, setup,
                                      teardown),
      cmocka_unit_test_setup_teardown(test_resend_backoff_timeout, setup,
                                      teardown),
      cmocka_unit_test_setup_teardown(test_overall_timeout, setup, teardown),
      cmocka_unit_test_setup_teardown(test_late_reply, setup, teardown),
      cmocka_unit_test_setup_teardown(test_cancel, setup, teardown),
      cmocka_unit_test_setup_teardown(test_target_close, setup, teardown),
      cmocka_unit_test_setup_teardown(test_close_pending_and_queued, setup,
                                      teardown),
      cmocka_unit_test_setup_teardown(test_close_from_callback, setup,
                                      teardown),
      cmocka_unit_test_setup_teardown(test_send_error, setup, teardown),
      cmocka_unit_test_setup_teardown(test_free_target_from_answer, setup,
                                      teardown),
      cmocka_unit_test_setup_teardown(test_getbulk_toobig_not_retried, setup,
                                      teardown),
      cmocka_unit_test_setup_teardown(test_agent_hook, setup, teardown),
      cmocka_unit_test_setup_teardown(test_split_merge, setup, teardown),
      cmocka_unit_test_setup_teardown(test_split_error_index, setup, teardown),
      cmocka_unit_test_setup_teardown(test_toobig_halves, setup, teardown),
      cmocka_unit_test_setup_teardown(test_split_child_timeout, setup,
                                      teardown),
      cmocka_unit_test_setup_teardown(test_set_split, setup, teardown),
      cmocka_unit_test_setup_teardown(test_msgproc_hook, setup, teardown),
      cmocka_unit_test_setup_teardown(test_target_cap, setup, teardown),
      cmocka_unit_test_setup_teardown(test_manager_cap, setup, teardown),
      cmocka_unit_test_setup_teardown(test_many_targets, setup, teardown),
      cmocka_unit_test_setup_teardown(test_ipv6, setup6, teardown),
      cmocka_unit_test_setup_teardown(test_localhost, setup, teardown),
      cmocka_unit_test_setup_teardown(test_resolve_failure, setup, teardown),
      cmocka_unit_test_setup_teardown(test_close_while_resolving, setup,
                                      teardown),
      cmocka_unit_test_setup_teardown(test_socket_buffer, setup, teardown),
      cmocka_unit_test(test_threaded_agent),
      cmocka_unit_test(test_run_returns_when_idle),
      cmocka_unit_test_setup_teardown(test_allocation_failures, setup,
                                      teardown),
  };
  /* USNMP_TEST_FILTER=test_name runs one test (handy under a debugger). */
  if (getenv("USNMP_TEST_FILTER") != NULL)
    cmocka_set_test_filter(getenv("USNMP_TEST_FILTER"));
  return cmocka_run_group_tests(tests, NULL, NULL);
}
