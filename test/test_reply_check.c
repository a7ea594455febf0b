/*
 * Answers checked against questions (RFC 3416 section 4.2), against the
 * scripted agent (test/test_agent.h): a Response with other names, another
 * number of varbinds or an error-index out of range is dropped and counted
 * (usnmp_stats.dropped_mismatch) and the request waits for a good answer;
 * the blocking layer never caches such an answer; a split request's merge
 * is bounded; a GETBULK whose answer could not be decoded is refused when
 * it starts instead of timing out.
 */
#include <netinet/in.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#include <cmocka.h>

#include "test_agent.h"
#include "test_util.h"
#include "usnmp.h"

typedef usnmp_test_agent_env env;

/* The shared environment, with a target that resends quickly. */
static int setup(void **state) {
  env *e;
  if (usnmp_test_agent_env_setup(state) != 0)
    return -1;
  e = *state;
  if (usnmp_target_set_resend(e->t, 50) != 0 ||
      usnmp_target_set_retries(e->t, 4) != 0)
    return -1;
  return 0;
}

#define TEST(f)                                                                \
  cmocka_unit_test_setup_teardown(f, setup, usnmp_test_agent_env_teardown)

static usnmp_stats stats(env *e) {
  usnmp_stats s;
  assert_int_equal(usnmp_manager_stats(e->m, &s), 0);
  return s;
}

/* ------------------------------------------------------------------------
 * Wrong answers, each given once before the agent answers well
 * ------------------------------------------------------------------------ */

typedef enum wrong {
  EXTRA_VARBIND,   /* one varbind more than asked */
  MISSING_VARBIND, /* one fewer */
  SWAPPED_NAMES,   /* the right names in another order */
  OTHER_NAME,      /* a name not asked */
  INDEX_TOO_HIGH,  /* genErr naming a varbind the request does not have */
  INDEX_NEGATIVE   /* genErr with a negative error-index */
} wrong;

typedef struct spoil {
  wrong how;
  int times; /* answers still to spoil */
} spoil;

static void spoil_hook(usnmp_test_agent *a, usnmp_test_exchange *ex,
                       void *arg) {
  spoil *sp = arg;
  usnmp_varbind tmp;
  (void)a;
  if (sp->times == 0 || ex->n_vbs < 2)
    return;
  sp->times--;
  switch (sp->how) {
  case EXTRA_VARBIND:
    ex->vbs[ex->n_vbs] = ex->vbs[0];
    ex->n_vbs++;
    break;
  case MISSING_VARBIND:
    ex->n_vbs--;
    break;
  case SWAPPED_NAMES:
    tmp = ex->vbs[0];
    ex->vbs[0] = ex->vbs[1];
    ex->vbs[1] = tmp;
    break;
  case OTHER_NAME:
    assert_int_equal(usnmp_test_reply_set(ex, 1, "1.3.6.1.2.1.1.7.0",
                                          usnmp_value_integer(72)),
                     0);
    break;
  case INDEX_TOO_HIGH:
    ex->error_status = USNMP_ERROR_STATUS_GENERR;
    ex->error_index = (int32_t)ex->n_vbs + 1;
    break;
  case INDEX_NEGATIVE:
    ex->error_status = USNMP_ERROR_STATUS_GENERR;
    ex->error_index = -1;
    break;
  }
}

/* One request of two varbinds; the first answer is spoilt as `how` says.
 * It must be dropped and counted, and the resent request's good answer
 * delivered. */
static void expect_dropped_then_answered(env *e, usnmp_pdu_type type,
                                         wrong how) {
  usnmp_oid oids[2] = {usnmp_test_oid("1.3.6.1.2.1.1.5.0"),
                       usnmp_test_oid("1.3.6.1.2.1.1.6.0")};
  usnmp_value values[2] = {usnmp_value_string("n"), usnmp_value_string("l")};
  usnmp_test_result res = {0};
  spoil sp = {how, 1};
  usnmp_stats before = stats(e), after;
  int rc;

  assert_int_equal(usnmp_target_set_write_community(e->t, "private"), 0);
  usnmp_test_agent_set_hook(e->agent, spoil_hook, &sp);
  if (type == USNMP_PDU_GET)
    rc = usnmp_get(e->t, oids, 2, NULL, usnmp_test_on_response, &res, NULL);
  else if (type == USNMP_PDU_GETNEXT)
    rc = usnmp_getnext(e->t, oids, 2, NULL, usnmp_test_on_response, &res, NULL);
  else
    rc = usnmp_set(e->t, oids, values, 2, NULL, usnmp_test_on_response, &res,
                   NULL);
  assert_int_equal(rc, 0);
  usnmp_test_wait_for(&e->loop, &res);
  usnmp_test_agent_set_hook(e->agent, NULL, NULL);
  after = stats(e);
  assert_int_equal(sp.times, 0);
  assert_int_equal(res.calls, 1);
  assert_int_equal(res.status, 0);
  assert_int_equal(res.error_status, 0);
  assert_int_equal(res.n, 2);
  assert_int_equal(after.dropped_mismatch - before.dropped_mismatch, 1);
  assert_int_equal(after.accepted - before.accepted, 1);
  assert_true(after.resent - before.resent >= 1);
  if (type == USNMP_PDU_GET)
    assert_string_equal(res.text[0], ".1.3.6.1.2.1.1.5.0 = STRING: \"agent\"");
  if (type == USNMP_PDU_GETNEXT)
    assert_string_equal(res.text[0], ".1.3.6.1.2.1.1.6.0 = STRING: \"lab\"");
  if (type == USNMP_PDU_SET)
    assert_string_equal(res.text[1], ".1.3.6.1.2.1.1.6.0 = STRING: \"l\"");
}

static void get_wrong_answers_dropped(void **state) {
  env *e = *state;
  for (wrong w = EXTRA_VARBIND; w <= INDEX_NEGATIVE; w++)
    expect_dropped_then_answered(e, USNMP_PDU_GET, w);
}

static void set_wrong_answers_dropped(void **state) {
  env *e = *state;
  for (wrong w = EXTRA_VARBIND; w <= INDEX_NEGATIVE; w++)
    expect_dropped_then_answered(e, USNMP_PDU_SET, w);
}

/* GETNEXT answers other names by nature: only their number and the
 * error-index are checked. */
static void getnext_wrong_counts_dropped(void **state) {
  env *e = *state;
  expect_dropped_then_answered(e, USNMP_PDU_GETNEXT, EXTRA_VARBIND);
  expect_dropped_then_answered(e, USNMP_PDU_GETNEXT, MISSING_VARBIND);
  expect_dropped_then_answered(e, USNMP_PDU_GETNEXT, INDEX_TOO_HIGH);
}

/* What RFC 3416 allows is still taken: an error-status without varbinds,
 * and with the request's varbinds and an index naming one of them. */
static void error_answers_accepted(void **state) {
  env *e = *state;
  usnmp_oid oids[2] = {usnmp_test_oid("1.3.6.1.2.1.1.5.0"),
                       usnmp_test_oid("1.3.6.1.2.1.1.6.0")};
  usnmp_test_result res = {0};
  usnmp_test_agent_push(
      e->agent,
      (usnmp_test_action){USNMP_TEST_ERROR, USNMP_ERROR_STATUS_GENERR, 2});
  assert_int_equal(
      usnmp_get(e->t, oids, 2, NULL, usnmp_test_on_response, &res, NULL), 0);
  usnmp_test_wait_for(&e->loop, &res);
  assert_int_equal(res.status, 0);
  assert_int_equal(res.error_status, USNMP_ERROR_STATUS_GENERR);
  assert_int_equal(res.error_index, 2);
  assert_int_equal(res.n, 2);
  assert_int_equal(stats(e).dropped_mismatch, 0);
}

/* A split request: the second part's agent names a varbind past its own
 * end, which the merge would have mapped onto a varbind of another part.
 * Dropped; the good answer's error-index lands on the caller's fourth. */
static void split_error_index_protected(void **state) {
  env *e = *state;
  usnmp_oid oids[4] = {
      usnmp_test_oid("1.3.6.1.2.1.1.1.0"), usnmp_test_oid("1.3.6.1.2.1.1.3.0"),
      usnmp_test_oid("1.3.6.1.2.1.1.5.0"), usnmp_test_oid("1.3.6.1.2.1.1.6.0")};
  usnmp_test_result res = {0};
  assert_int_equal(usnmp_target_set_max_oids(e->t, 2), 0);
  /* First part: a good answer.  Second: genErr at index 3 of 2, then at
   * index 2 (the caller's 4). */
  usnmp_test_agent_push(e->agent, (usnmp_test_action){USNMP_TEST_ANSWER, 0, 0});
  usnmp_test_agent_push(
      e->agent,
      (usnmp_test_action){USNMP_TEST_ERROR, USNMP_ERROR_STATUS_GENERR, 3});
  usnmp_test_agent_push(
      e->agent,
      (usnmp_test_action){USNMP_TEST_ERROR, USNMP_ERROR_STATUS_GENERR, 2});
  assert_int_equal(
      usnmp_get(e->t, oids, 4, NULL, usnmp_test_on_response, &res, NULL), 0);
  usnmp_test_wait_for(&e->loop, &res);
  assert_int_equal(res.status, 0);
  assert_int_equal(res.n, 4);
  assert_int_equal(res.error_status, USNMP_ERROR_STATUS_GENERR);
  assert_int_equal(res.error_index, 4);
  assert_int_equal(stats(e).dropped_mismatch, 1);
}

/* ------------------------------------------------------------------------
 * What one split request may hold
 * ------------------------------------------------------------------------ */

#define BIG_VALUE 60000
static uint8_t big[BIG_VALUE];

static void big_value_hook(usnmp_test_agent *a, usnmp_test_exchange *ex,
                           void *arg) {
  (void)a;
  (void)arg;
  for (size_t i = 0; i < ex->n_vbs; i++)
    ex->vbs[i].value = usnmp_value_octets(big, sizeof big);
}

/* Each part of a GET of 80 OIDs split one by one is answered with a
 * 60000-byte string: 4.8 MB in all, over the 4 MiB a merge may hold.  The
 * request ends with USNMP_E_TOO_BIG instead of holding it; 60 of them
 * (3.6 MB) still go through. */
static void split_merge_bounded(void **state) {
  env *e = *state;
  usnmp_oid oids[80];
  usnmp_test_result res = {0};
  memset(big, 'x', sizeof big);
  for (int i = 0; i < 80; i++) {
    char name[64];
    snprintf(name, sizeof name, "1.3.6.1.2.1.1.%d.0", i + 1);
    oids[i] = usnmp_test_oid(name);
  }
  assert_int_equal(usnmp_target_set_max_oids(e->t, 1), 0);
  usnmp_test_agent_set_hook(e->agent, big_value_hook, NULL);
  assert_int_equal(
      usnmp_get(e->t, oids, 60, NULL, usnmp_test_on_response, &res, NULL), 0);
  usnmp_test_wait_for(&e->loop, &res);
  assert_int_equal(res.status, 0);
  assert_int_equal(res.n, 60);
  memset(&res, 0, sizeof res);
  assert_int_equal(
      usnmp_get(e->t, oids, 80, NULL, usnmp_test_on_response, &res, NULL), 0);
  usnmp_test_wait_for(&e->loop, &res);
  assert_int_equal(res.status, USNMP_E_TOO_BIG);
  assert_int_equal(res.n, 0);
}

/* ------------------------------------------------------------------------
 * GETBULK answers larger than a reply can be decoded into
 * ------------------------------------------------------------------------ */

/* Pads a GETBULK answer to all the varbinds its request allows (the
 * agent itself stops at the end of its MIB). */
static void fill_bulk_hook(usnmp_test_agent *a, usnmp_test_exchange *ex,
                           void *arg) {
  size_t n = ex->n_req_vbs;
  size_t nr = (size_t)ex->request->error_status;
  size_t mr = (size_t)ex->request->error_index;
  size_t want;
  (void)a;
  (void)arg;
  if (nr > n)
    nr = n;
  want = nr + (n - nr) * mr;
  if (want > ex->max_vbs)
    want = ex->max_vbs;
  for (size_t i = ex->n_vbs; i < want; i++)
    ex->vbs[i] = ex->vbs[ex->n_vbs - 1];
  if (want > ex->n_vbs)
    ex->n_vbs = want;
}

/* A GETBULK that starts and is answered with want varbinds. */
static void bulk_answered(env *e, const usnmp_oid *oids, size_t n,
                          uint32_t non_repeaters, uint32_t max_repetitions,
                          size_t want) {
  usnmp_test_result res = {0};
  assert_int_equal(usnmp_getbulk(e->t, oids, n, non_repeaters, max_repetitions,
                                 NULL, usnmp_test_on_response, &res, NULL),
                   0);
  usnmp_test_wait_for(&e->loop, &res);
  assert_int_equal(res.status, 0);
  assert_int_equal(res.n, want);
}

static void getbulk_bounded_at_start(void **state) {
  env *e = *state;
  usnmp_oid oids[3] = {usnmp_test_oid("1.3.6.1.2.1.1.1.0"),
                       usnmp_test_oid("1.3.6.1.2.1.1"),
                       usnmp_test_oid("1.3.6.1.2.1.1.3")};
  usnmp_test_result res = {0};
  usnmp_stats before = stats(e);

  usnmp_test_agent_set_hook(e->agent, fill_bulk_hook, NULL);
  /* 1 + 2 x 1024 = 2049 varbinds could come: refused at once... */
  assert_int_equal(usnmp_getbulk(e->t, oids, 3, 1, 1024, NULL,
                                 usnmp_test_on_response, &res, NULL),
                   USNMP_E_TOO_MANY_VARBINDS);
  assert_int_equal(usnmp_getbulk(e->t, oids + 1, 1, 0, 2049, NULL,
                                 usnmp_test_on_response, &res, NULL),
                   USNMP_E_TOO_MANY_VARBINDS);
  assert_int_equal(res.calls, 0);
  assert_int_equal(stats(e).requests, before.requests);
  /* (non-repeaters beyond the names count as the names) */
  bulk_answered(e, oids + 1, 1, 5, 100000, 1);
  /* ...and what fits is answered in full, at the first try. */
  bulk_answered(e, oids + 1, 1, 0, 2048, 2048);
  bulk_answered(e, oids, 3, 1, 1023, 2047);
  assert_int_equal(stats(e).resent, before.resent);
  assert_int_equal(stats(e).dropped_malformed, 0);
}

/* A walk asked for more repetitions than a reply can hold still runs. */
static void walk_with_huge_repetitions(void **state) {
  env *e = *state;
  usnmp_oid root = usnmp_test_oid("1.3.6.1.4.1.424242");
  usnmp_walk_opts o = {0};
  usnmp_walk *w;
  size_t n;
  assert_int_equal(
      usnmp_test_agent_mib_fill(e->agent, "1.3.6.1.4.1.424242", 500), 0);
  o.max_repetitions = 100000;
  assert_int_equal(usnmp_walk_init(e->t, &root, &o, &w), 0);
  assert_int_equal(usnmp_test_pull_walk(&e->loop, w, &n), 0);
  assert_int_equal(n, 500);
  usnmp_walk_close(w);
}

/* ------------------------------------------------------------------------
 * The blocking layer caches no wrong answer
 * ------------------------------------------------------------------------ */

static void always_swap_hook(usnmp_test_agent *a, usnmp_test_exchange *ex,
                             void *arg) {
  spoil sp = {SWAPPED_NAMES, 1};
  (void)arg;
  spoil_hook(a, ex, &sp);
}

static void sync_caches_no_wrong_answer(void **state) {
  usnmp_test_agent *a;
  usnmp_sync *s;
  usnmp_vblist *l = NULL;
  usnmp_call_opts co = {0};
  char host[64];
  usnmp_oid oids[2] = {usnmp_test_oid("1.3.6.1.2.1.1.5.0"),
                       usnmp_test_oid("1.3.6.1.2.1.1.6.0")};
  (void)state;
  assert_int_equal(usnmp_test_agent_start_thread(&a, AF_INET), 0);
  snprintf(host, sizeof host, "%s", usnmp_test_agent_address(a));
  assert_int_equal(usnmp_sync_init(&s), 0);
  assert_int_equal(usnmp_sync_set_resend(s, 50), 0);
  co.flags = USNMP_CALL_TIMEOUT;
  co.timeout_ms = 300;
  usnmp_test_agent_set_hook(a, always_swap_hook, NULL);
  assert_int_equal(usnmp_sync_get(s, host, oids, 2, &co, &l), USNMP_E_TIMEOUT);
  assert_null(l);
  assert_int_equal(usnmp_sync_cache_size(s), 0);
  usnmp_test_agent_set_hook(a, NULL, NULL);
  assert_int_equal(usnmp_sync_get(s, host, oids, 2, &co, &l), 0);
  assert_int_equal(usnmp_vblist_count(l), 2);
  {
    char line[256];
    usnmp_varbind_format(line, sizeof line, usnmp_vblist_get(l, 0));
    assert_string_equal(line, ".1.3.6.1.2.1.1.5.0 = STRING: \"agent\"");
  }
  usnmp_vblist_free(l);
  assert_int_equal(usnmp_sync_cache_size(s), 2);
  usnmp_sync_close(s);
  usnmp_test_agent_stop_thread(a);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      TEST(get_wrong_answers_dropped),
      TEST(set_wrong_answers_dropped),
      TEST(getnext_wrong_counts_dropped),
      TEST(error_answers_accepted),
      TEST(split_error_index_protected),
      TEST(split_merge_bounded),
      TEST(getbulk_bounded_at_start),
      TEST(walk_with_huge_repetitions),
      cmocka_unit_test(sync_caches_no_wrong_answer),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
