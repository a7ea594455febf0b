/*
 * The value cache (lib/cache.c, usnmp_cache_*) in front of an async
 * target: values cached and served without a request, requests shared by
 * OIDs in flight, refresh, failures handed out once and never cached, the
 * error-index of a collect, SETs stored and GETNEXT answers kept apart and
 * dropped by a SET, the bound, clear, forget, freeing with requests in
 * flight, and failing allocations.
 *
 * The scripted agent (test/test_agent.h) runs on the test's loop; its
 * counters tell how many requests reached it.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include <cmocka.h>

#include "test_agent.h"
#include "test_util.h"
#include "usnmp.h"

#define SYSDESCR "1.3.6.1.2.1.1.1.0"
#define SYSOBJECTID "1.3.6.1.2.1.1.2.0"
#define SYSNAME "1.3.6.1.2.1.1.5.0"

typedef struct fixture {
  usnmp_test_family_env e;
  usnmp_cache *c;
  int notified;
} fixture;

static void on_notify(usnmp_cache *c, void *arg) {
  fixture *f = arg;
  assert_ptr_equal(c, f->c);
  f->notified++;
}

static int setup(void **state) {
  fixture *f = calloc(1, sizeof *f);
  assert_non_null(f);
  usnmp_test_family_env_init(&f->e, AF_INET);
  assert_int_equal(usnmp_target_set_write_community(f->e.t, "private"), 0);
  assert_int_equal(usnmp_cache_init(f->e.m, NULL, &f->c), 0);
  usnmp_cache_set_notify(f->c, on_notify, f);
  *state = f;
  return 0;
}

static int teardown(void **state) {
  fixture *f = *state;
  assert_int_equal(usnmp_cache_close(f->c), 0);
  usnmp_test_family_env_close(&f->e);
  free(f);
  return 0;
}

static uint64_t requests(fixture *f) {
  usnmp_test_agent_stats st;
  usnmp_test_agent_get_stats(f->e.agent, &st);
  return st.requests;
}

/* Runs the loop until a collect of the OIDs is no longer UV_EAGAIN, and
 * returns its status; the first value goes to text. */
static int collect(fixture *f, usnmp_cache_kind kind, const char **names,
                   size_t n, usnmp_cache_result *res, char *text, size_t size) {
  usnmp_oid oids[8];
  usnmp_varbind vbs[8];
  int rc;
  assert_true(n <= 8);
  for (size_t i = 0; i < n; i++)
    oids[i] = usnmp_test_oid(names[i]);
  res->varbinds = vbs;
  while ((rc = usnmp_cache_collect(f->c, f->e.t, kind, oids, n, res)) ==
         UV_EAGAIN)
    assert_true(uv_run(&f->e.loop, UV_RUN_ONCE) >= 0);
  if (rc == 0 && text != NULL)
    usnmp_value_format(text, size, &vbs[0].value);
  return rc;
}

static int start(fixture *f, usnmp_cache_kind kind, const char **names,
                 size_t n, unsigned flags, uint32_t timeout_ms) {
  usnmp_oid oids[8];
  usnmp_request_opts ro = {0};
  for (size_t i = 0; i < n; i++)
    oids[i] = usnmp_test_oid(names[i]);
  ro.flags = USNMP_REQUEST_TIMEOUT;
  ro.timeout_ms = timeout_ms;
  return usnmp_cache_start(f->c, f->e.t, kind, oids, NULL, n, flags, &ro);
}

static int set_name(fixture *f, const char *name) {
  usnmp_oid o = usnmp_test_oid(SYSNAME);
  usnmp_value v = usnmp_value_string(name);
  return usnmp_cache_start(f->c, f->e.t, USNMP_CACHE_SET, &o, &v, 1, 0, NULL);
}

static void test_arguments(void **state) {
  fixture *f = *state;
  usnmp_oid o = usnmp_test_oid(SYSDESCR);
  usnmp_varbind vb;
  usnmp_cache_result res = {&vb, 0, 0};
  usnmp_cache *c;
  assert_int_equal(usnmp_cache_init(NULL, NULL, &c), USNMP_E_INVAL);
  assert_int_equal(usnmp_cache_init(f->e.m, NULL, NULL), USNMP_E_INVAL);
  assert_int_equal(
      usnmp_cache_start(NULL, f->e.t, USNMP_CACHE_GET, &o, NULL, 1, 0, NULL),
      USNMP_E_INVAL);
  assert_int_equal(
      usnmp_cache_start(f->c, f->e.t, USNMP_CACHE_GET, &o, NULL, 0, 0, NULL),
      USNMP_E_INVAL);
  assert_int_equal(
      usnmp_cache_start(f->c, f->e.t, USNMP_CACHE_SET, &o, NULL, 1, 0, NULL),
      USNMP_E_INVAL);
  assert_int_equal(usnmp_cache_start(f->c, f->e.t, (usnmp_cache_kind)9, &o,
                                     NULL, 1, 0, NULL),
                   USNMP_E_INVAL);
  assert_int_equal(
      usnmp_cache_start(f->c, f->e.t, USNMP_CACHE_GET, &o, NULL, 1, 0x80, NULL),
      USNMP_E_INVAL);
  /* A target of another manager. */
  usnmp_manager *m2;
  usnmp_target *t2;
  assert_int_equal(usnmp_manager_init(&m2, &f->e.loop, NULL), 0);
  assert_int_equal(usnmp_target_init(m2, &t2, "127.0.0.1"), 0);
  assert_int_equal(
      usnmp_cache_start(f->c, t2, USNMP_CACHE_GET, &o, NULL, 1, 0, NULL),
      USNMP_E_INVAL);
  usnmp_manager_close(m2, NULL, NULL);
  /* Never started: not in the cache. */
  assert_int_equal(
      usnmp_cache_collect(f->c, f->e.t, USNMP_CACHE_GET, &o, 1, &res),
      UV_ENOENT);
  res.varbinds = NULL;
  assert_int_equal(
      usnmp_cache_collect(f->c, f->e.t, USNMP_CACHE_GET, &o, 1, &res),
      USNMP_E_INVAL);
  assert_int_equal(usnmp_cache_close(NULL), 0);
  assert_int_equal(usnmp_cache_size(NULL), 0);
  assert_int_equal(requests(f), 0);
}

/* A value is asked once, then served from the cache; REFRESH asks again. */
static void test_cached_and_refresh(void **state) {
  fixture *f = *state;
  const char *names[] = {SYSDESCR, SYSNAME};
  usnmp_cache_result res;
  char text[128];
  assert_int_equal(start(f, USNMP_CACHE_GET, names, 2, 0, 2000), 0);
  assert_int_equal(usnmp_cache_size(f->c), 0); /* in flight */
  assert_int_equal(
      collect(f, USNMP_CACHE_GET, names, 2, &res, text, sizeof text), 0);
  assert_string_equal(text, "STRING: \"usnmp scripted test agent\"");
  assert_int_equal(f->notified, 1);
  assert_int_equal(requests(f), 1);
  assert_int_equal(usnmp_cache_size(f->c), 2);
  /* Again: nothing sent, the answer is there at once. */
  assert_int_equal(start(f, USNMP_CACHE_GET, names + 1, 1, 0, 2000), 0);
  assert_int_equal(
      collect(f, USNMP_CACHE_GET, names + 1, 1, &res, text, sizeof text), 0);
  assert_string_equal(text, "STRING: \"agent\"");
  assert_int_equal(requests(f), 1);
  /* A refresh asks the agent, which changed the value meanwhile. */
  assert_int_equal(usnmp_test_agent_mib_set(f->e.agent, SYSNAME,
                                            usnmp_value_string("renamed"), 1),
                   0);
  assert_int_equal(start(f, USNMP_CACHE_GET, names + 1, 1, 0, 2000), 0);
  assert_int_equal(
      collect(f, USNMP_CACHE_GET, names + 1, 1, &res, text, sizeof text), 0);
  assert_string_equal(text, "STRING: \"agent\""); /* still the cached one */
  assert_int_equal(
      start(f, USNMP_CACHE_GET, names + 1, 1, USNMP_CACHE_REFRESH, 2000), 0);
  assert_int_equal(
      collect(f, USNMP_CACHE_GET, names + 1, 1, &res, text, sizeof text), 0);
  assert_string_equal(text, "STRING: \"renamed\"");
  assert_int_equal(requests(f), 2);
}

/* Two starts of an OID in flight share one request, a refresh included. */
static void test_in_flight_shared(void **state) {
  fixture *f = *state;
  const char *names[] = {SYSDESCR};
  usnmp_cache_result res;
  assert_int_equal(start(f, USNMP_CACHE_GET, names, 1, 0, 2000), 0);
  assert_int_equal(start(f, USNMP_CACHE_GET, names, 1, 0, 2000), 0);
  assert_int_equal(
      start(f, USNMP_CACHE_GET, names, 1, USNMP_CACHE_REFRESH, 2000), 0);
  assert_int_equal(collect(f, USNMP_CACHE_GET, names, 1, &res, NULL, 0), 0);
  assert_int_equal(requests(f), 1);
  assert_int_equal(f->notified, 1);
}

/* A failure is handed to the first collect, then forgotten: the next
 * start asks again. */
static void test_failure_once(void **state) {
  fixture *f = *state;
  const char *names[] = {SYSDESCR};
  usnmp_cache_result res;
  char text[128];
  usnmp_test_agent_push(f->e.agent, (usnmp_test_action){USNMP_TEST_DROP, 0, 0});
  assert_int_equal(start(f, USNMP_CACHE_GET, names, 1, 0, 100), 0);
  assert_int_equal(collect(f, USNMP_CACHE_GET, names, 1, &res, NULL, 0),
                   USNMP_E_TIMEOUT);
  assert_int_equal(usnmp_cache_size(f->c), 0);
  assert_int_equal(collect(f, USNMP_CACHE_GET, names, 1, &res, NULL, 0),
                   UV_ENOENT);
  assert_int_equal(start(f, USNMP_CACHE_GET, names, 1, 0, 2000), 0);
  assert_int_equal(
      collect(f, USNMP_CACHE_GET, names, 1, &res, text, sizeof text), 0);
  assert_string_equal(text, "STRING: \"usnmp scripted test agent\"");
}

/* An agent's error-status comes with the error-index of the collect's own
 * OIDs; the values of the same request are not kept either. */
static void test_error_index(void **state) {
  fixture *f = *state;
  const char *names[] = {SYSNAME, SYSDESCR};
  usnmp_oid oids[2] = {usnmp_test_oid(SYSNAME), usnmp_test_oid(SYSDESCR)};
  usnmp_value values[2] = {usnmp_value_string("a"), usnmp_value_string("b")};
  usnmp_cache_result res;
  /* sysDescr is read-only: the agent answers notWritable, index 2. */
  assert_int_equal(usnmp_cache_start(f->c, f->e.t, USNMP_CACHE_SET, oids,
                                     values, 2, 0, NULL),
                   0);
  /* Collected in the other order, the failed OID is the first. */
  const char *swapped[] = {SYSDESCR, SYSNAME};
  assert_int_equal(collect(f, USNMP_CACHE_SET, swapped, 2, &res, NULL, 0),
                   USNMP_E_SNMP_ERROR);
  assert_int_equal(res.error_status, USNMP_ERROR_STATUS_NOTWRITABLE);
  assert_int_equal(res.error_index, 1);
  assert_int_equal(usnmp_cache_size(f->c), 0);
  assert_int_equal(collect(f, USNMP_CACHE_SET, names, 2, &res, NULL, 0),
                   UV_ENOENT);
}

/* A SET stores what the agent answered as the GET value, and drops the
 * target's GETNEXT answers, which are kept apart from GET answers. */
static void test_set_and_getnext(void **state) {
  fixture *f = *state;
  const char *descr[] = {SYSDESCR};
  const char *name[] = {SYSNAME};
  usnmp_cache_result res;
  char text[128];
  assert_int_equal(start(f, USNMP_CACHE_GETNEXT, descr, 1, 0, 2000), 0);
  assert_int_equal(
      collect(f, USNMP_CACHE_GETNEXT, descr, 1, &res, text, sizeof text), 0);
  assert_string_equal(text, "OID: .1.3.6.1.4.1.8072.3.2.10");
  /* The GET of the same OID is another entry: not there yet. */
  assert_int_equal(collect(f, USNMP_CACHE_GET, descr, 1, &res, NULL, 0),
                   UV_ENOENT);
  assert_int_equal(usnmp_cache_size(f->c), 1);
  assert_int_equal(set_name(f, "written"), 0);
  /* The GETNEXT answer went with the SET. */
  assert_int_equal(usnmp_cache_size(f->c), 0);
  assert_int_equal(
      collect(f, USNMP_CACHE_SET, name, 1, &res, text, sizeof text), 0);
  assert_string_equal(text, "STRING: \"written\"");
  uint64_t before = requests(f);
  assert_int_equal(start(f, USNMP_CACHE_GET, name, 1, 0, 2000), 0);
  assert_int_equal(
      collect(f, USNMP_CACHE_GET, name, 1, &res, text, sizeof text), 0);
  assert_string_equal(text, "STRING: \"written\"");
  assert_int_equal(requests(f), before);
}

/* The bound drops the oldest values, never one in flight. */
static void test_bound_clear_forget(void **state) {
  fixture *f = *state;
  const char *names[] = {SYSDESCR, SYSOBJECTID, SYSNAME};
  usnmp_cache_result res;
  assert_int_equal(usnmp_cache_set_limit(f->c, 2), 0);
  assert_int_equal(start(f, USNMP_CACHE_GET, names, 3, 0, 2000), 0);
  assert_int_equal(collect(f, USNMP_CACHE_GET, names, 3, &res, NULL, 0), 0);
  assert_int_equal(usnmp_cache_size(f->c), 3); /* the bound waits for trim */
  assert_int_equal(usnmp_cache_trim(f->c), 0);
  assert_int_equal(usnmp_cache_size(f->c), 2);
  assert_int_equal(collect(f, USNMP_CACHE_GET, names, 1, &res, NULL, 0),
                   UV_ENOENT); /* the oldest went */
  assert_int_equal(collect(f, USNMP_CACHE_GET, names + 1, 2, &res, NULL, 0), 0);
  /* In flight, an entry over the bound stays. */
  assert_int_equal(usnmp_cache_set_limit(f->c, 1), 0);
  assert_int_equal(usnmp_cache_size(f->c), 1);
  assert_int_equal(start(f, USNMP_CACHE_GET, names, 1, 0, 2000), 0);
  assert_int_equal(usnmp_cache_trim(f->c), 0);
  assert_int_equal(collect(f, USNMP_CACHE_GET, names, 1, &res, NULL, 0), 0);
  assert_int_equal(usnmp_cache_set_limit(f->c, USNMP_CACHE_UNLIMITED), 0);
  assert_int_equal(usnmp_cache_forget(f->c, f->e.t), 0);
  assert_int_equal(usnmp_cache_size(f->c), 0);
  assert_int_equal(start(f, USNMP_CACHE_GET, names, 3, 0, 2000), 0);
  assert_int_equal(collect(f, USNMP_CACHE_GET, names, 3, &res, NULL, 0), 0);
  assert_int_equal(usnmp_cache_clear(f->c), 0);
  assert_int_equal(usnmp_cache_size(f->c), 0);
  assert_int_equal(usnmp_cache_forget(NULL, f->e.t), USNMP_E_INVAL);
  assert_int_equal(usnmp_cache_clear(NULL), USNMP_E_INVAL);
}

/* The time-to-live: USNMP_CACHE_OFF makes every start ask again, a short
 * one serves the value until it passes, USNMP_CACHE_UNLIMITED never ages.
 * A bound of USNMP_CACHE_OFF keeps an answer until its collect, then
 * drops it. */
static void test_ttl_and_off(void **state) {
  fixture *f = *state;
  const char *names[] = {SYSDESCR};
  usnmp_cache_result res;
  assert_int_equal(usnmp_cache_set_ttl(f->c, USNMP_CACHE_OFF), 0);
  uint64_t before = requests(f);
  for (int i = 1; i <= 3; i++) {
    assert_int_equal(start(f, USNMP_CACHE_GET, names, 1, 0, 2000), 0);
    assert_int_equal(collect(f, USNMP_CACHE_GET, names, 1, &res, NULL, 0), 0);
    assert_int_equal(requests(f), before + (uint64_t)i);
  }
  assert_int_equal(usnmp_cache_set_ttl(f->c, 100), 0);
  assert_int_equal(start(f, USNMP_CACHE_GET, names, 1, 0, 2000), 0);
  assert_int_equal(collect(f, USNMP_CACHE_GET, names, 1, &res, NULL, 0), 0);
  before = requests(f);
  assert_int_equal(start(f, USNMP_CACHE_GET, names, 1, 0, 2000), 0);
  assert_int_equal(collect(f, USNMP_CACHE_GET, names, 1, &res, NULL, 0), 0);
  assert_int_equal(requests(f), before); /* fresh */
  struct timespec ts = {0, 150 * 1000000L};
  nanosleep(&ts, NULL);
  assert_int_equal(usnmp_cache_trim(f->c), 0);
  assert_int_equal(usnmp_cache_size(f->c), 0); /* collected and stale */
  assert_int_equal(start(f, USNMP_CACHE_GET, names, 1, 0, 2000), 0);
  assert_int_equal(collect(f, USNMP_CACHE_GET, names, 1, &res, NULL, 0), 0);
  assert_int_equal(requests(f), before + 1);
  assert_int_equal(usnmp_cache_set_ttl(f->c, USNMP_CACHE_UNLIMITED), 0);
  nanosleep(&ts, NULL);
  assert_int_equal(start(f, USNMP_CACHE_GET, names, 1, 0, 2000), 0);
  assert_int_equal(requests(f), before + 1);

  assert_int_equal(usnmp_cache_set_limit(f->c, USNMP_CACHE_OFF), 0);
  assert_int_equal(usnmp_cache_size(f->c), 0);
  const char *other[] = {SYSNAME};
  assert_int_equal(start(f, USNMP_CACHE_GET, other, 1, 0, 2000), 0);
  while (usnmp_cache_size(f->c) == 0)
    assert_true(uv_run(&f->e.loop, UV_RUN_ONCE) >= 0);
  assert_int_equal(usnmp_cache_trim(f->c), 0);
  assert_int_equal(usnmp_cache_size(f->c), 1); /* not collected yet */
  assert_int_equal(collect(f, USNMP_CACHE_GET, other, 1, &res, NULL, 0), 0);
  assert_int_equal(usnmp_cache_trim(f->c), 0);
  assert_int_equal(usnmp_cache_size(f->c), 0);
  assert_int_equal(usnmp_cache_set_ttl(NULL, 1), USNMP_E_INVAL);
}

/* Freeing the cache with requests in flight cancels them: nothing of the
 * cache runs afterwards (ASan and valgrind watch). */
static void notify_free(usnmp_cache *c, void *arg) {
  int *rc = arg;
  *rc = usnmp_cache_close(c);
}

static void test_free_in_flight(void **state) {
  fixture *f = *state;
  const char *names[] = {SYSDESCR, SYSNAME};
  usnmp_cache *c;
  usnmp_oid oids[2] = {usnmp_test_oid(SYSDESCR), usnmp_test_oid(SYSNAME)};
  int rc = 1;
  assert_int_equal(usnmp_cache_init(f->e.m, NULL, &c), 0);
  assert_int_equal(
      usnmp_cache_start(c, f->e.t, USNMP_CACHE_GET, oids, NULL, 2, 0, NULL), 0);
  assert_int_equal(usnmp_cache_close(c), 0);
  /* Freeing from the notify callback is refused. */
  assert_int_equal(start(f, USNMP_CACHE_GET, names, 2, 0, 2000), 0);
  usnmp_cache_set_notify(f->c, notify_free, &rc);
  while (rc == 1)
    assert_true(uv_run(&f->e.loop, UV_RUN_ONCE) >= 0);
  assert_int_equal(rc, USNMP_E_IN_CALLBACK);
}

/* A closed manager fails what was in flight with USNMP_E_CLOSED; the
 * cache outlives it. */
static void test_manager_closed(void **state) {
  usnmp_test_family_env e;
  usnmp_cache *c;
  usnmp_oid o = usnmp_test_oid(SYSDESCR);
  usnmp_varbind vb;
  usnmp_cache_result res = {&vb, 0, 0};
  (void)state;
  usnmp_test_family_env_init(&e, AF_INET);
  assert_int_equal(usnmp_cache_init(e.m, NULL, &c), 0);
  assert_int_equal(
      usnmp_cache_start(c, e.t, USNMP_CACHE_GET, &o, NULL, 1, 0, NULL), 0);
  usnmp_target *t = e.t;
  usnmp_test_family_env_close(&e);
  assert_int_equal(usnmp_cache_collect(c, t, USNMP_CACHE_GET, &o, 1, &res),
                   USNMP_E_CLOSED);
  assert_int_equal(usnmp_cache_close(c), 0);
}

/* Every allocation of a start may fail: USNMP_E_NOMEM, nothing left
 * behind, and the cache still works. */
static void test_failing_allocations(void **state) {
  fixture *f = *state;
  usnmp_test_failing fail = {0};
  usnmp_allocator a = usnmp_test_failing_allocator(&fail);
  usnmp_cache *c;
  usnmp_oid oids[2] = {usnmp_test_oid(SYSNAME), usnmp_test_oid(SYSDESCR)};
  usnmp_value values[2] = {usnmp_value_string("n"), usnmp_value_string("d")};
  usnmp_varbind vbs[2];
  usnmp_cache_result res = {vbs, 0, 0};
  int failures = 0;
  for (long n = 0; n < 64; n++) {
    usnmp_test_failing_disarm(&fail);
    assert_int_equal(usnmp_cache_init(f->e.m, &a, &c), 0);
    usnmp_test_failing_arm(&fail, n);
    int rc =
        usnmp_cache_start(c, f->e.t, USNMP_CACHE_SET, oids, values, 1, 0, NULL);
    if (rc == 0)
      rc =
          usnmp_cache_start(c, f->e.t, USNMP_CACHE_GET, oids, NULL, 2, 0, NULL);
    usnmp_test_failing_disarm(&fail);
    if (rc != 0) {
      assert_int_equal(rc, USNMP_E_NOMEM);
      failures++;
    } else {
      while ((rc = usnmp_cache_collect(c, f->e.t, USNMP_CACHE_GET, oids, 2,
                                       &res)) == UV_EAGAIN)
        assert_true(uv_run(&f->e.loop, UV_RUN_ONCE) >= 0);
    }
    assert_int_equal(usnmp_cache_close(c), 0);
    assert_int_equal(fail.live, 0);
  }
  assert_true(failures > 0);
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)

int main(void) {
  const struct CMUnitTest tests[] = {
      T(test_arguments),           T(test_cached_and_refresh),
      T(test_in_flight_shared),    T(test_failure_once),
      T(test_error_index),         T(test_set_and_getnext),
      T(test_ttl_and_off),         T(test_bound_clear_forget),
      T(test_free_in_flight),      cmocka_unit_test(test_manager_closed),
      T(test_failing_allocations),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
