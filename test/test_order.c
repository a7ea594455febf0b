/*
 * Writer-preferred GET/SET ordering of a target (lib/order.c,
 * usnmp_target_set_ordering): a SET waits for the reads in flight, reads
 * made behind a SET wait for it, a held request's timeout counts from when
 * it goes, and cancelling, freeing the target or closing the manager ends
 * held requests like any other.
 *
 * The scripted agent (test/test_agent.h) runs on the test's loop; a DELAY
 * action keeps a read in flight while the test makes more requests.  The
 * order in which callbacks fire, and the values the reads see, tell what
 * the agent received when.
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

#define SYSNAME "1.3.6.1.2.1.1.5.0"

/* The callbacks of one test, in the order they fired. */
typedef struct journal {
  char tags[16];
  int status[16];
  char value[16][64];
  int n;
} journal;

typedef struct call {
  journal *j;
  char tag;
} call;

static void on_response(const usnmp_response *resp, void *arg) {
  call *c = arg;
  journal *j = c->j;
  assert_true(j->n < 16);
  j->tags[j->n] = c->tag;
  j->status[j->n] = resp->status;
  j->value[j->n][0] = '\0';
  if (resp->status == 0 && resp->varbind_count == 1)
    usnmp_value_format(j->value[j->n], sizeof j->value[j->n],
                       &resp->varbinds[0].value);
  j->n++;
}

static void run_until(usnmp_test_family_env *e, const journal *j, int n) {
  while (j->n < n)
    assert_true(uv_run(&e->loop, UV_RUN_ONCE) >= 0);
}

static int get(usnmp_target *t, const char *oid, call *c) {
  usnmp_oid o = usnmp_test_oid(oid);
  return usnmp_get(t, &o, 1, NULL, on_response, c, NULL);
}

static int set_name(usnmp_target *t, const char *name, call *c,
                    const usnmp_request_opts *opts, usnmp_request_ref *ref) {
  usnmp_oid o = usnmp_test_oid(SYSNAME);
  usnmp_value v = usnmp_value_string(name);
  return usnmp_set(t, &o, &v, 1, opts, on_response, c, ref);
}

/* The test agent's environment, with the agent's read-write community
 * for SETs. */
static void env_init(usnmp_test_family_env *e) {
  usnmp_test_family_env_init(e, AF_INET);
  assert_int_equal(usnmp_target_set_write_community(e->t, "private"), 0);
}

static void delay_next(usnmp_test_family_env *e, uint32_t ms) {
  usnmp_test_agent_push(e->agent, (usnmp_test_action){USNMP_TEST_DELAY, ms, 0});
}

/* The environment, its target ordered writer-preferred. */
static void env_ordered(usnmp_test_family_env *e) {
  env_init(e);
  assert_int_equal(
      usnmp_target_set_ordering(e->t, USNMP_ORDER_WRITER_PREFERRED), 0);
}

/* Makes a GET that the agent answers after ms, then a SET of sysName to
 * name (ref may be NULL), then a GET. */
static void slow_get_set_get(usnmp_test_family_env *e, uint32_t ms, call *g1,
                             call *s, const char *name, usnmp_request_ref *ref,
                             call *g2) {
  delay_next(e, ms);
  assert_int_equal(get(e->t, SYSNAME, g1), 0);
  assert_int_equal(set_name(e->t, name, s, NULL, ref), 0);
  assert_int_equal(get(e->t, SYSNAME, g2), 0);
}

static void test_setter_checks(void **state) {
  usnmp_test_family_env e;
  (void)state;
  env_init(&e);
  assert_int_equal(usnmp_target_set_ordering(NULL, USNMP_ORDER_NONE),
                   USNMP_E_INVAL);
  assert_int_equal(usnmp_target_set_ordering(e.t, (usnmp_ordering)7),
                   USNMP_E_INVAL);
  assert_int_equal(usnmp_target_set_ordering(e.t, USNMP_ORDER_WRITER_PREFERRED),
                   0);
  assert_int_equal(usnmp_target_set_ordering(e.t, USNMP_ORDER_NONE), 0);
  usnmp_test_family_env_close(&e);
}

/* Without ordering, a SET made behind a slow GET overtakes it. */
static void test_none_overtakes(void **state) {
  usnmp_test_family_env e;
  journal j = {0};
  call g = {&j, 'g'}, s = {&j, 's'};
  (void)state;
  env_init(&e);
  delay_next(&e, 150);
  assert_int_equal(get(e.t, SYSNAME, &g), 0);
  assert_int_equal(set_name(e.t, "new", &s, NULL, NULL), 0);
  run_until(&e, &j, 2);
  assert_memory_equal(j.tags, "sg", 2);
  usnmp_test_family_env_close(&e);
}

/* With it, the SET waits for the GET in flight, and a GET made behind the
 * SET waits for the SET and sees what it wrote. */
static void test_writer_preferred(void **state) {
  usnmp_test_family_env e;
  journal j = {0};
  call g1 = {&j, '1'}, s = {&j, 's'}, g2 = {&j, '2'};
  (void)state;
  env_ordered(&e);
  slow_get_set_get(&e, 150, &g1, &s, "new", NULL, &g2);
  run_until(&e, &j, 3);
  assert_memory_equal(j.tags, "1s2", 3);
  for (int i = 0; i < 3; i++)
    assert_int_equal(j.status[i], 0);
  assert_string_equal(j.value[0], "STRING: \"agent\"");
  assert_string_equal(j.value[2], "STRING: \"new\"");
  usnmp_test_agent_stats st;
  usnmp_test_agent_get_stats(e.agent, &st);
  assert_int_equal(st.max_pending, 1); /* never two at once */
  usnmp_test_family_env_close(&e);
}

/* Reads go together while no SET waits; SETs go one at a time. */
static void test_reads_together_sets_alone(void **state) {
  usnmp_test_family_env e;
  journal j = {0};
  call g1 = {&j, '1'}, g2 = {&j, '2'}, s1 = {&j, 'a'}, s2 = {&j, 'b'};
  usnmp_test_agent_stats st;
  (void)state;
  env_ordered(&e);
  delay_next(&e, 100);
  delay_next(&e, 100);
  assert_int_equal(get(e.t, SYSNAME, &g1), 0);
  assert_int_equal(get(e.t, SYSNAME, &g2), 0);
  run_until(&e, &j, 2);
  usnmp_test_agent_get_stats(e.agent, &st);
  assert_int_equal(st.max_pending, 2);
  delay_next(&e, 100);
  assert_int_equal(set_name(e.t, "one", &s1, NULL, NULL), 0);
  assert_int_equal(set_name(e.t, "two", &s2, NULL, NULL), 0);
  run_until(&e, &j, 4);
  assert_memory_equal(j.tags + 2, "ab", 2);
  usnmp_test_agent_get_stats(e.agent, &st);
  assert_int_equal(st.by_type[3], 2); /* two SetRequests */
  char buf[64];
  assert_int_equal(
      usnmp_test_agent_mib_format(e.agent, SYSNAME, buf, sizeof buf), 0);
  assert_string_equal(buf, "STRING: \"two\"");
  usnmp_test_family_env_close(&e);
}

/* A held SET's timeout counts from when it goes, not from when it was
 * made: it outlives a read that keeps it waiting longer than its
 * timeout. */
static void test_held_deadline_from_release(void **state) {
  usnmp_test_family_env e;
  journal j = {0};
  call g = {&j, 'g'}, s = {&j, 's'};
  usnmp_request_opts opts = {0};
  (void)state;
  env_ordered(&e);
  delay_next(&e, 300);
  assert_int_equal(get(e.t, SYSNAME, &g), 0);
  opts.flags = USNMP_REQUEST_TIMEOUT;
  opts.timeout_ms = 200;
  assert_int_equal(set_name(e.t, "late", &s, &opts, NULL), 0);
  run_until(&e, &j, 2);
  assert_memory_equal(j.tags, "gs", 2);
  assert_int_equal(j.status[1], 0);
  usnmp_test_family_env_close(&e);
}

/* Cancelling a held SET lets the reads held behind it go at once. */
static void test_cancel_held(void **state) {
  usnmp_test_family_env e;
  journal j = {0};
  call g1 = {&j, '1'}, s = {&j, 's'}, g2 = {&j, '2'};
  usnmp_request_ref ref;
  (void)state;
  env_ordered(&e);
  slow_get_set_get(&e, 200, &g1, &s, "never", &ref, &g2);
  assert_int_equal(usnmp_cancel(&ref), 0);
  assert_int_equal(j.n, 1);
  assert_int_equal(j.tags[0], 's');
  assert_int_equal(j.status[0], USNMP_E_CANCELLED);
  /* The second GET no longer waits: it answers before the slow first. */
  run_until(&e, &j, 3);
  assert_memory_equal(j.tags + 1, "21", 2);
  assert_string_equal(j.value[1], "STRING: \"agent\"");
  usnmp_test_agent_stats st;
  usnmp_test_agent_get_stats(e.agent, &st);
  assert_int_equal(st.by_type[3], 0); /* the SET was never sent */
  usnmp_test_family_env_close(&e);
}

/* Freeing the target, or closing the manager, ends held requests too. */
static void test_free_and_close_with_held(void **state) {
  usnmp_test_family_env e;
  journal j = {0};
  call g = {&j, 'g'}, s = {&j, 's'}, g2 = {&j, '2'};
  (void)state;
  env_ordered(&e);
  slow_get_set_get(&e, 200, &g, &s, "x", NULL, &g2);
  usnmp_target_close(e.t);
  assert_int_equal(j.n, 3);
  for (int i = 0; i < 3; i++)
    assert_int_equal(j.status[i], USNMP_E_CANCELLED);

  /* Again on a new target, closing the manager. */
  usnmp_target *t;
  journal k = {0};
  call kg = {&k, 'g'}, ks = {&k, 's'};
  assert_int_equal(
      usnmp_target_init(e.m, &t, usnmp_test_agent_address(e.agent)), 0);
  assert_int_equal(usnmp_target_set_write_community(t, "private"), 0);
  assert_int_equal(usnmp_target_set_ordering(t, USNMP_ORDER_WRITER_PREFERRED),
                   0);
  delay_next(&e, 200);
  assert_int_equal(get(t, SYSNAME, &kg), 0);
  assert_int_equal(set_name(t, "y", &ks, NULL, NULL), 0);
  e.t = NULL;
  usnmp_test_family_env_close(&e); /* closes the manager */
  assert_int_equal(k.n, 2);
  assert_int_equal(k.status[0], USNMP_E_CLOSED);
  assert_int_equal(k.status[1], USNMP_E_CLOSED);
}

/* A SET made from a SET's callback goes before the reads held behind the
 * first SET (writers are preferred), and the reads see what it wrote. */
typedef struct chain {
  journal *j;
  usnmp_target *t;
  call next;
  call self;
} chain;

static void set_again(const usnmp_response *resp, void *arg) {
  chain *c = arg;
  on_response(resp, &c->self);
  assert_int_equal(set_name(c->t, "second", &c->next, NULL, NULL), 0);
}

static void test_set_from_set_callback(void **state) {
  usnmp_test_family_env e;
  journal j = {0};
  chain c;
  call g = {&j, 'g'};
  usnmp_oid o = usnmp_test_oid(SYSNAME);
  usnmp_value v = usnmp_value_string("first");
  (void)state;
  env_ordered(&e);
  c.j = &j;
  c.t = e.t;
  c.self = (call){&j, '1'};
  c.next = (call){&j, '2'};
  delay_next(&e, 100);
  assert_int_equal(usnmp_set(e.t, &o, &v, 1, NULL, set_again, &c, NULL), 0);
  assert_int_equal(get(e.t, SYSNAME, &g), 0);
  run_until(&e, &j, 3);
  assert_memory_equal(j.tags, "12g", 3);
  assert_string_equal(j.value[2], "STRING: \"second\"");
  usnmp_test_family_env_close(&e);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_setter_checks),
      cmocka_unit_test(test_none_overtakes),
      cmocka_unit_test(test_writer_preferred),
      cmocka_unit_test(test_reads_together_sets_alone),
      cmocka_unit_test(test_held_deadline_from_release),
      cmocka_unit_test(test_cancel_held),
      cmocka_unit_test(test_free_and_close_with_held),
      cmocka_unit_test(test_set_from_set_callback),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
