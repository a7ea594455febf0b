/*
 * Lifetimes of walks and tables (lib/walk.c, lib/table.c): freeing the
 * target or closing the manager from any callback, in every phase, with
 * and without a request in flight.
 *
 * The promise (usnmp.h, usnmp_walk_start and usnmp_table_start): freeing
 * the target or closing the manager is safe at any time, even from a
 * callback of the walk; on_done fires exactly once, and a walk that still
 * had a request to make ends with USNMP_E_CANCELLED or USNMP_E_CLOSED.
 * Each case below runs under ASan in CI: a use of the freed target is a
 * crash there, and a status other than the promised one fails anywhere.
 *
 * The scripted agent (test/test_agent.h) runs on the test's loop with a
 * MIB of its own:
 *   .1.3.6.1.4.1.777.1       INTEGER 0    (the walk's root itself)
 *   .1.3.6.1.4.1.777.1.1..25 INTEGER 1..25
 *   .1.3.6.1.4.1.777.2.0     INTEGER 7    (a scalar instance)
 *   .1.3.6.1.4.1.777.3.1..30 / .3.2.1..30 (a table of two columns)
 *   .1.3.6.1.4.1.777.4.0     INTEGER 9
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <cmocka.h>

#include "test_agent.h"
#include "test_util.h"
#include "usnmp.h"

enum action { FREE_TARGET = 1, CLOSE_MANAGER };

typedef struct fixture {
  uv_loop_t loop;
  usnmp_test_agent *agent;
  usnmp_manager *m;
  usnmp_target *t;
  int closed; /* the manager's close callback ran */
  int manager_closing;
} fixture;

static int setup(void **state) {
  fixture *f = calloc(1, sizeof *f);
  char name[64];
  assert_non_null(f);
  assert_int_equal(uv_loop_init(&f->loop), 0);
  assert_int_equal(usnmp_test_agent_new(&f->agent, &f->loop, AF_INET), 0);
  usnmp_test_agent_mib_clear(f->agent);
  assert_int_equal(usnmp_test_agent_mib_set(f->agent, "1.3.6.1.4.1.777.1",
                                            usnmp_value_integer(0), 0),
                   0);
  assert_int_equal(usnmp_test_agent_mib_fill(f->agent, "1.3.6.1.4.1.777.1", 25),
                   0);
  assert_int_equal(usnmp_test_agent_mib_set(f->agent, "1.3.6.1.4.1.777.2.0",
                                            usnmp_value_integer(7), 0),
                   0);
  for (int col = 1; col <= 2; col++) {
    snprintf(name, sizeof name, "1.3.6.1.4.1.777.3.%d", col);
    assert_int_equal(usnmp_test_agent_mib_fill(f->agent, name, 30), 0);
  }
  assert_int_equal(usnmp_test_agent_mib_set(f->agent, "1.3.6.1.4.1.777.4.0",
                                            usnmp_value_integer(9), 0),
                   0);
  assert_int_equal(usnmp_manager_init(&f->m, &f->loop, NULL), 0);
  assert_int_equal(
      usnmp_target_init(f->m, &f->t, usnmp_test_agent_address(f->agent)), 0);
  *state = f;
  return 0;
}

static int teardown(void **state) {
  fixture *f = *state;
  if (!f->manager_closing)
    usnmp_manager_close(f->m, usnmp_test_set_flag, &f->closed);
  if (f->agent != NULL)
    usnmp_test_agent_close(f->agent);
  uv_run(&f->loop, UV_RUN_DEFAULT);
  assert_true(f->closed);
  assert_int_equal(uv_loop_close(&f->loop), 0);
  free(f);
  return 0;
}

/* Frees the target or closes the manager, as the case says. */
static void act(fixture *f, enum action a) {
  if (a == FREE_TARGET) {
    usnmp_target_close(f->t);
    f->t = NULL;
  } else {
    f->manager_closing = 1;
    usnmp_manager_close(f->m, usnmp_test_set_flag, &f->closed);
  }
}

/* ------------------------------------------------------------------------
 * One case: a walk or a table, and when to act
 * ------------------------------------------------------------------------ */

typedef struct lcase {
  fixture *f;
  enum action action;
  uint64_t act_at; /* act in the callback of this varbind or row; 0: in
                      on_done */
  uint64_t calls;  /* varbinds or rows delivered */
  int done;
  int status;
} lcase;

static void lcase_init(lcase *c, fixture *f, enum action a, uint64_t act_at) {
  memset(c, 0, sizeof *c);
  c->f = f;
  c->action = a;
  c->act_at = act_at;
}

/* A varbind or a row. */
static int on_item(lcase *c) {
  assert_false(c->done);
  if (++c->calls == c->act_at)
    act(c->f, c->action);
  return 0;
}

static void on_end(lcase *c, int status) {
  assert_false(c->done);
  c->done = 1;
  c->status = status;
  if (c->act_at == 0)
    act(c->f, c->action);
}

/* Runs the loop until on_done, then checks nothing fires after it and
 * that it ended with want. */
static void lcase_wait(lcase *c, int want) {
  while (!c->done)
    uv_run(&c->f->loop, UV_RUN_ONCE);
  if (c->act_at != 0 && c->act_at != UINT64_MAX)
    assert_int_equal(c->calls, c->act_at);
  assert_int_equal(c->status, want);
  uv_run(&c->f->loop, UV_RUN_NOWAIT);
  assert_int_equal(c->done, 1);
}

static int gone(enum action a) {
  return a == FREE_TARGET ? USNMP_E_CANCELLED : USNMP_E_CLOSED;
}

/* ------------------------------------------------------------------------
 * Walks
 * ------------------------------------------------------------------------ */

static int walk_vb(usnmp_walk *w, const usnmp_varbind *vb,
                   const usnmp_oid *name, void *arg) {
  (void)w;
  (void)vb;
  (void)name;
  return on_item(arg);
}

static void walk_done(usnmp_walk *w, const usnmp_walk_result *res, void *arg) {
  (void)w;
  on_end(arg, res->status);
}

/* Walks root with flags and method, acting at call act_at (0: in
 * on_done), and checks on_done ran once with want. */
static void walk_case_run(fixture *f, enum action a, const char *root,
                          uint32_t flags, usnmp_walk_method method,
                          uint64_t act_at, int want) {
  lcase c;
  usnmp_walk_opts o;
  usnmp_oid oid = usnmp_test_oid(root);
  lcase_init(&c, f, a, act_at);
  memset(&o, 0, sizeof o);
  o.flags = flags;
  o.method = method;
  assert_int_equal(
      usnmp_walk_start(f->t, &oid, &o, walk_vb, walk_done, &c, NULL), 0);
  lcase_wait(&c, want);
}

#define ROOT ".1.3.6.1.4.1.777.1"
#define AUTO USNMP_WALK_AUTO

/* Root first: the GET of the root was answered and delivered; no request
 * is in flight, and the walk still has everything to fetch. */
static void walk_root_first_free(void **state) {
  walk_case_run(*state, FREE_TARGET, ROOT, USNMP_WALK_INCLUDE_ROOT, AUTO, 1,
                USNMP_E_CANCELLED);
}
static void walk_root_first_close(void **state) {
  walk_case_run(*state, CLOSE_MANAGER, ROOT, USNMP_WALK_INCLUDE_ROOT, AUTO, 1,
                USNMP_E_CLOSED);
}

/* Walking, with the next request in flight while the first answer is
 * delivered. */
static void walk_inflight_free(void **state) {
  walk_case_run(*state, FREE_TARGET, ROOT, 0, AUTO, 1, USNMP_E_CANCELLED);
}
static void walk_inflight_close(void **state) {
  walk_case_run(*state, CLOSE_MANAGER, ROOT, 0, AUTO, 1, USNMP_E_CLOSED);
}

/* Walking, at the last varbind of the last answer (it holds the end of the
 * subtree): no request in flight, nothing more to ask. */
static void walk_last_free(void **state) {
  walk_case_run(*state, FREE_TARGET, ROOT, 0, AUTO, 25, 0);
}
static void walk_last_close(void **state) {
  walk_case_run(*state, CLOSE_MANAGER, ROOT, 0, AUTO, 25, 0);
}

/* Walking with GETNEXT, in the middle: one request in flight. */
static void walk_getnext_free(void **state) {
  walk_case_run(*state, FREE_TARGET, ROOT, 0, USNMP_WALK_GETNEXT, 5,
                USNMP_E_CANCELLED);
}
static void walk_getnext_close(void **state) {
  walk_case_run(*state, CLOSE_MANAGER, ROOT, 0, USNMP_WALK_GETNEXT, 5,
                USNMP_E_CLOSED);
}

/* Root last: a scalar instance yields nothing when walked, so the walk
 * GETs the root; that answer is delivered with no request in flight. */
static void walk_root_last_free(void **state) {
  walk_case_run(*state, FREE_TARGET, ".1.3.6.1.4.1.777.2.0", 0, AUTO, 1, 0);
}
static void walk_root_last_close(void **state) {
  walk_case_run(*state, CLOSE_MANAGER, ".1.3.6.1.4.1.777.2.0", 0, AUTO, 1, 0);
}

/* The end: from on_done. */
static void walk_end_free(void **state) {
  walk_case_run(*state, FREE_TARGET, ROOT, 0, AUTO, 0, 0);
}
static void walk_end_close(void **state) {
  walk_case_run(*state, CLOSE_MANAGER, ROOT, 0, AUTO, 0, 0);
}

/* ------------------------------------------------------------------------
 * Tables
 * ------------------------------------------------------------------------ */

static int table_row(usnmp_table *tb, const usnmp_table_row *row, void *arg) {
  (void)tb;
  (void)row;
  return on_item(arg);
}

static void table_done(usnmp_table *tb, const usnmp_table_result *res,
                       void *arg) {
  (void)tb;
  on_end(arg, res->status);
}

/* Starts fetching the two-column table (by its entry when discover, which
 * probes first). */
static void table_start(lcase *c, int discover, uint32_t reps) {
  usnmp_walk_opts o;
  usnmp_oid entry = usnmp_test_oid(".1.3.6.1.4.1.777.3");
  usnmp_oid cols[2] = {usnmp_test_oid(".1.3.6.1.4.1.777.3.1"),
                       usnmp_test_oid(".1.3.6.1.4.1.777.3.2")};
  memset(&o, 0, sizeof o);
  o.max_repetitions = reps;
  assert_int_equal(usnmp_table_start(c->f->t, discover ? &entry : NULL,
                                     discover ? NULL : cols, discover ? 0 : 2,
                                     &o, table_row, table_done, c, NULL),
                   0);
}

/* Fetches the table, acting at row act_at (0: in on_done). */
static void table_case_run(fixture *f, enum action a, int discover,
                           uint32_t reps, uint64_t act_at, int want) {
  lcase c;
  lcase_init(&c, f, a, act_at);
  table_start(&c, discover, reps);
  lcase_wait(&c, want);
}

/* The first row, with the next request in flight. */
static void table_inflight_free(void **state) {
  table_case_run(*state, FREE_TARGET, 0, 10, 1, USNMP_E_CANCELLED);
}
static void table_inflight_close(void **state) {
  table_case_run(*state, CLOSE_MANAGER, 0, 10, 1, USNMP_E_CLOSED);
}

/* The last row: every column ran out, no request in flight.  One answer
 * of 40 repetitions holds the whole table and its end. */
static void table_last_free(void **state) {
  table_case_run(*state, FREE_TARGET, 0, 40, 30, 0);
}
static void table_last_close(void **state) {
  table_case_run(*state, CLOSE_MANAGER, 0, 40, 30, 0);
}

/* After discovery (columns found by probing), the first row. */
static void table_discovered_free(void **state) {
  table_case_run(*state, FREE_TARGET, 1, 10, 1, USNMP_E_CANCELLED);
}
static void table_discovered_close(void **state) {
  table_case_run(*state, CLOSE_MANAGER, 1, 10, 1, USNMP_E_CLOSED);
}

/* The end. */
static void table_end_free(void **state) {
  table_case_run(*state, FREE_TARGET, 0, 10, 0, 0);
}
static void table_end_close(void **state) {
  table_case_run(*state, CLOSE_MANAGER, 0, 10, 0, 0);
}

/* ------------------------------------------------------------------------
 * From the callback of another request on the same target, while the
 * walk's or the table's first request is in flight (no callback of
 * theirs on the stack; the table is discovering its columns).
 * ------------------------------------------------------------------------ */

typedef struct other {
  fixture *f;
  enum action action;
  int calls;
} other;

static void other_done(const usnmp_response *resp, void *arg) {
  other *o = arg;
  (void)resp;
  o->calls++;
  act(o->f, o->action);
}

static void from_other(void **state, enum action a, int table) {
  fixture *f = *state;
  lcase c;
  other o = {f, a, 0};
  usnmp_oid root = usnmp_test_oid(ROOT);
  usnmp_oid scalar = usnmp_test_oid(".1.3.6.1.4.1.777.2.0");
  lcase_init(&c, f, a, UINT64_MAX);
  /* Asked first, so answered first. */
  assert_int_equal(usnmp_get(f->t, &scalar, 1, NULL, other_done, &o, NULL), 0);
  if (table)
    table_start(&c, 1, 10);
  else
    assert_int_equal(
        usnmp_walk_start(f->t, &root, NULL, walk_vb, walk_done, &c, NULL), 0);
  lcase_wait(&c, gone(a));
  assert_int_equal(o.calls, 1);
  assert_int_equal(c.calls, 0);
}
static void walk_other_free(void **state) { from_other(state, FREE_TARGET, 0); }
static void walk_other_close(void **state) {
  from_other(state, CLOSE_MANAGER, 0);
}
static void table_other_free(void **state) {
  from_other(state, FREE_TARGET, 1);
}
static void table_other_close(void **state) {
  from_other(state, CLOSE_MANAGER, 1);
}

/* Starting a walk or a table on a target a callback just freed (or whose
 * manager it closed) is refused with the status they would end with. */
typedef struct late_start {
  fixture *f;
  enum action action;
  int walk_rc, table_rc;
} late_start;

static void start_after(const usnmp_response *resp, void *arg) {
  late_start *l = arg;
  usnmp_target *t = l->f->t;
  usnmp_oid root = usnmp_test_oid(ROOT);
  lcase c;
  (void)resp;
  lcase_init(&c, l->f, l->action, 0);
  act(l->f, l->action);
  l->walk_rc = usnmp_walk_start(t, &root, NULL, walk_vb, walk_done, &c, NULL);
  l->table_rc = usnmp_table_start(t, &root, NULL, 0, NULL, table_row,
                                  table_done, &c, NULL);
  assert_false(c.done);
}

static void start_on_gone(void **state, enum action a) {
  fixture *f = *state;
  late_start l = {f, a, 1, 1};
  usnmp_oid scalar = usnmp_test_oid(".1.3.6.1.4.1.777.2.0");
  assert_int_equal(usnmp_get(f->t, &scalar, 1, NULL, start_after, &l, NULL), 0);
  while (l.walk_rc == 1)
    uv_run(&f->loop, UV_RUN_ONCE);
  assert_int_equal(l.walk_rc, gone(a));
  assert_int_equal(l.table_rc, gone(a));
}
static void start_on_freed(void **state) { start_on_gone(state, FREE_TARGET); }
static void start_on_closed(void **state) {
  start_on_gone(state, CLOSE_MANAGER);
}

/* ------------------------------------------------------------------------
 * Pull walks on a shared loop
 *
 * A pull walk runs on the caller's loop, which other code may share: it
 * must never uv_stop() it.  Here a timer drives a pull walk while the
 * loop runs with UV_RUN_DEFAULT, which must return only once every handle
 * is closed.  Then an answer due from a timer when a UV_RUN_ONCE began
 * (a timeout) still ends that run.
 * ------------------------------------------------------------------------ */

typedef struct puller {
  fixture *f;
  usnmp_walk *w;
  uv_timer_t timer;
  uint64_t got;
  int end;
} puller;

static void pull_tick(uv_timer_t *timer) {
  puller *p = timer->data;
  const usnmp_varbind *vb;
  int rc;
  while ((rc = usnmp_walk_next(p->w, &vb)) == 1)
    p->got++;
  if (rc == UV_EAGAIN)
    return;
  p->end = rc;
  usnmp_walk_close(p->w);
  uv_close((uv_handle_t *)&p->timer, NULL);
  usnmp_test_agent_close(p->f->agent);
  p->f->agent = NULL;
  p->f->manager_closing = 1;
  usnmp_manager_close(p->f->m, usnmp_test_set_flag, &p->f->closed);
}

static void pull_shared_loop(void **state) {
  fixture *f = *state;
  puller p;
  usnmp_oid root = usnmp_test_oid(ROOT);
  int runs = 0;
  memset(&p, 0, sizeof p);
  p.f = f;
  p.end = 1;
  assert_int_equal(usnmp_walk_init(f->t, &root, NULL, &p.w), 0);
  assert_int_equal(uv_timer_init(&f->loop, &p.timer), 0);
  p.timer.data = &p;
  assert_int_equal(uv_timer_start(&p.timer, pull_tick, 1, 1), 0);
  /* Every uv_run(UV_RUN_DEFAULT) that returns with handles still alive
   * was stopped by someone. */
  while (uv_run(&f->loop, UV_RUN_DEFAULT) != 0)
    runs++;
  assert_int_equal(runs, 0);
  assert_int_equal(p.end, 0);
  assert_int_equal(p.got, 25);
  assert_true(f->closed);
}

static void guard_fired(uv_timer_t *timer) { *(int *)timer->data = 1; }

static void pull_timeout_ends_run(void **state) {
  fixture *f = *state;
  usnmp_walk *w;
  usnmp_walk_opts o;
  usnmp_request_opts ro;
  const usnmp_varbind *vb;
  usnmp_oid root = usnmp_test_oid(ROOT);
  uv_timer_t guard;
  int fired = 0;
  memset(&o, 0, sizeof o);
  memset(&ro, 0, sizeof ro);
  ro.flags = USNMP_REQUEST_RETRIES | USNMP_REQUEST_RESEND;
  ro.retries = 0;
  ro.resend_ms = 20;
  o.request = &ro;
  o.flags = USNMP_WALK_NO_ROOT_GET;
  usnmp_test_agent_set_default(f->agent,
                               (usnmp_test_action){USNMP_TEST_DROP, 0, 0});
  assert_int_equal(usnmp_walk_init(f->t, &root, &o, &w), 0);
  assert_int_equal(usnmp_walk_next(w, &vb), UV_EAGAIN);
  /* The caller is slow: the request's timeout is due before the run
   * starts, so the walk ends in the run's first step, after which the
   * run would poll the UDP handle with no timer left: only a wake-up
   * ends it.  An unreferenced guard bounds the poll should none come. */
  uv_sleep(60);
  assert_int_equal(uv_timer_init(&f->loop, &guard), 0);
  guard.data = &fired;
  assert_int_equal(uv_timer_start(&guard, guard_fired, 2000, 0), 0);
  uv_unref((uv_handle_t *)&guard);
  uv_run(&f->loop, UV_RUN_ONCE);
  assert_false(fired);
  assert_int_equal(usnmp_walk_next(w, &vb), USNMP_E_TIMEOUT);
  usnmp_walk_close(w);
  /* The guard lives on this stack: closed before we return. */
  uv_close((uv_handle_t *)&guard, NULL);
  uv_run(&f->loop, UV_RUN_NOWAIT);
}

/* ------------------------------------------------------------------------
 * Stale request handles
 *
 * Requests are recycled: the handle of a request that completed must not
 * reach the request that took its place.
 * ------------------------------------------------------------------------ */

static void stale_handle(void **state) {
  fixture *f = *state;
  usnmp_oid oid = usnmp_test_oid(".1.3.6.1.4.1.777.2.0");
  usnmp_test_result a, b;
  usnmp_request_ref ra, rb, zero;
  memset(&a, 0, sizeof a);
  memset(&b, 0, sizeof b);
  assert_int_equal(
      usnmp_get(f->t, &oid, 1, NULL, usnmp_test_on_response, &a, &ra), 0);
  usnmp_test_wait_for(&f->loop, &a);
  assert_int_equal(a.status, 0);
  /* b most likely reuses a's request: cancelling a must not touch b. */
  assert_int_equal(
      usnmp_get(f->t, &oid, 1, NULL, usnmp_test_on_response, &b, &rb), 0);
  assert_int_equal(usnmp_cancel(&ra), USNMP_E_STALE);
  assert_int_equal(b.calls, 0);
  usnmp_test_wait_for(&f->loop, &b);
  assert_int_equal(b.status, 0);
  assert_int_equal(a.calls, 1);
  /* b's own handle is stale once b completed, and bad handles are
   * refused. */
  assert_int_equal(usnmp_cancel(&rb), USNMP_E_STALE);
  memset(&zero, 0, sizeof zero);
  assert_int_equal(usnmp_cancel(&zero), USNMP_E_INVAL);
  assert_int_equal(usnmp_cancel(NULL), USNMP_E_INVAL);
  zero.manager = f->m;
  zero.slot = UINT32_MAX;
  assert_int_equal(usnmp_cancel(&zero), USNMP_E_INVAL);
}

/* Many requests recycle the same structs and slots: every old handle
 * stays stale, each live one cancels exactly its own request. */
static int cancel_in_callback_rc;
static usnmp_request_ref own_ref;

static void cancel_own(const usnmp_response *resp, void *arg) {
  (void)resp;
  /* From inside its own callback the request has completed already. */
  cancel_in_callback_rc = usnmp_cancel(&own_ref);
  ((usnmp_test_result *)arg)->calls++;
}

static void stale_handles_many(void **state) {
  fixture *f = *state;
  usnmp_oid oid = usnmp_test_oid(".1.3.6.1.4.1.777.2.0");
  usnmp_test_result res[64], own;
  usnmp_request_ref refs[64];
  memset(res, 0, sizeof res);
  memset(&own, 0, sizeof own);
  for (int round = 0; round < 4; round++) {
    for (int i = 0; i < 16; i++) {
      int k = round * 16 + i;
      assert_int_equal(usnmp_get(f->t, &oid, 1, NULL, usnmp_test_on_response,
                                 &res[k], &refs[k]),
                       0);
    }
    /* Cancel every other one of this round; the rest complete. */
    for (int i = 0; i < 16; i += 2)
      assert_int_equal(usnmp_cancel(&refs[round * 16 + i]), 0);
    for (int i = 1; i < 16; i += 2)
      usnmp_test_wait_for(&f->loop, &res[round * 16 + i]);
    /* Every handle so far is stale now. */
    for (int k = 0; k < (round + 1) * 16; k++) {
      assert_int_equal(usnmp_cancel(&refs[k]), USNMP_E_STALE);
      assert_int_equal(res[k].calls, 1);
      assert_int_equal(res[k].status, k % 2 ? 0 : USNMP_E_CANCELLED);
    }
  }
  assert_int_equal(usnmp_get(f->t, &oid, 1, NULL, cancel_own, &own, &own_ref),
                   0);
  while (own.calls == 0)
    uv_run(&f->loop, UV_RUN_ONCE);
  assert_int_equal(cancel_in_callback_rc, USNMP_E_STALE);
}

#define CASE(f) cmocka_unit_test_setup_teardown(f, setup, teardown)

int main(void) {
  const struct CMUnitTest tests[] = {
      CASE(walk_root_first_free),  CASE(walk_root_first_close),
      CASE(walk_inflight_free),    CASE(walk_inflight_close),
      CASE(walk_last_free),        CASE(walk_last_close),
      CASE(walk_getnext_free),     CASE(walk_getnext_close),
      CASE(walk_root_last_free),   CASE(walk_root_last_close),
      CASE(walk_end_free),         CASE(walk_end_close),
      CASE(walk_other_free),       CASE(walk_other_close),
      CASE(table_inflight_free),   CASE(table_inflight_close),
      CASE(table_last_free),       CASE(table_last_close),
      CASE(table_discovered_free), CASE(table_discovered_close),
      CASE(table_end_free),        CASE(table_end_close),
      CASE(table_other_free),      CASE(table_other_close),
      CASE(pull_shared_loop),      CASE(pull_timeout_ends_run),
      CASE(stale_handle),          CASE(stale_handles_many),
      CASE(start_on_freed),        CASE(start_on_closed),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
