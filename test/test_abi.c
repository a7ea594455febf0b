/*
 * The ABI rules of usnmp.h ("ABI" at the top of the header): error codes
 * keep their values; the library never reads a field of an option struct
 * that the flags do not name, refuses flags it does not know, and writes
 * no further than the caller's sizeof into the structs it fills.
 *
 * An "older caller" is simulated by a struct cut short and placed so that
 * it ends right before an unreadable page: a library that reads or writes
 * past the caller's end crashes the test in every build, not only under
 * AddressSanitizer.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cmocka.h>

#include "test_agent.h"
#include "test_util.h"
#include "usnmp.h"

/* ------------------------------------------------------------------------
 * Memory that ends at an unreadable page
 * ------------------------------------------------------------------------ */

typedef struct fence {
  uint8_t *base;
  size_t page;
} fence;

/* Returns size bytes whose last one is followed by a PROT_NONE page. */
static void *fence_alloc(fence *f, size_t size) {
  f->page = (size_t)sysconf(_SC_PAGESIZE);
  assert_true(size <= f->page);
  f->base = mmap(NULL, 2 * f->page, PROT_READ | PROT_WRITE,
                 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  assert_true(f->base != MAP_FAILED);
  assert_int_equal(mprotect(f->base + f->page, f->page, PROT_NONE), 0);
  return f->base + f->page - size;
}

static void fence_free(fence *f) { munmap(f->base, 2 * f->page); }

/* ------------------------------------------------------------------------
 * Error codes
 * ------------------------------------------------------------------------ */

/* Every code of the first release, with the value it has always had.  A
 * code added later takes the next free value; none of these may move. */
static void error_codes_never_move(void **state) {
  static const struct {
    int code;
    int value;
    const char *name;
  } pinned[] = {
      {USNMP_E_TRUNCATED, -29999, "USNMP_E_TRUNCATED"},
      {USNMP_E_BAD_TAG, -29998, "USNMP_E_BAD_TAG"},
      {USNMP_E_MULTIBYTE_TAG, -29997, "USNMP_E_MULTIBYTE_TAG"},
      {USNMP_E_INDEFINITE_LENGTH, -29996, "USNMP_E_INDEFINITE_LENGTH"},
      {USNMP_E_BAD_LENGTH, -29995, "USNMP_E_BAD_LENGTH"},
      {USNMP_E_INT_OVERFLOW, -29994, "USNMP_E_INT_OVERFLOW"},
      {USNMP_E_INT_NONMINIMAL, -29993, "USNMP_E_INT_NONMINIMAL"},
      {USNMP_E_OID_TOO_LONG, -29992, "USNMP_E_OID_TOO_LONG"},
      {USNMP_E_OID_SUBID_OVERFLOW, -29991, "USNMP_E_OID_SUBID_OVERFLOW"},
      {USNMP_E_BAD_OID, -29990, "USNMP_E_BAD_OID"},
      {USNMP_E_DEPTH, -29989, "USNMP_E_DEPTH"},
      {USNMP_E_TOO_MANY_VARBINDS, -29988, "USNMP_E_TOO_MANY_VARBINDS"},
      {USNMP_E_MSG_TOO_BIG, -29987, "USNMP_E_MSG_TOO_BIG"},
      {USNMP_E_TRAILING, -29986, "USNMP_E_TRAILING"},
      {USNMP_E_BAD_VERSION, -29985, "USNMP_E_BAD_VERSION"},
      {USNMP_E_BAD_PDU_TYPE, -29984, "USNMP_E_BAD_PDU_TYPE"},
      {USNMP_E_BAD_VALUE, -29983, "USNMP_E_BAD_VALUE"},
      {USNMP_E_NOBUFS, -29982, "USNMP_E_NOBUFS"},
      {USNMP_E_INVAL, -29981, "USNMP_E_INVAL"},
      {USNMP_E_NOMEM, -29980, "USNMP_E_NOMEM"},
      {USNMP_E_TIMEOUT, -29979, "USNMP_E_TIMEOUT"},
      {USNMP_E_CANCELLED, -29978, "USNMP_E_CANCELLED"},
      {USNMP_E_CLOSED, -29977, "USNMP_E_CLOSED"},
      {USNMP_E_RESOLVE, -29976, "USNMP_E_RESOLVE"},
      {USNMP_E_TOO_BIG, -29975, "USNMP_E_TOO_BIG"},
      {USNMP_E_SNMP_ERROR, -29974, "USNMP_E_SNMP_ERROR"},
      {USNMP_E_NOT_INCREASING, -29973, "USNMP_E_NOT_INCREASING"},
      {USNMP_E_IN_CALLBACK, -29972, "USNMP_E_IN_CALLBACK"},
      {USNMP_E_BUSY, -29971, "USNMP_E_BUSY"},
      {USNMP_E_UNSUPPORTED, -29970, "USNMP_E_UNSUPPORTED"},
      {USNMP_E_UNKNOWN_USER, -29969, "USNMP_E_UNKNOWN_USER"},
      {USNMP_E_UNKNOWN_ENGINE_ID, -29968, "USNMP_E_UNKNOWN_ENGINE_ID"},
      {USNMP_E_WRONG_DIGEST, -29967, "USNMP_E_WRONG_DIGEST"},
      {USNMP_E_NOT_IN_TIME_WINDOW, -29966, "USNMP_E_NOT_IN_TIME_WINDOW"},
      {USNMP_E_DECRYPTION_ERROR, -29965, "USNMP_E_DECRYPTION_ERROR"},
      {USNMP_E_UNSUPPORTED_SEC_LEVEL, -29964, "USNMP_E_UNSUPPORTED_SEC_LEVEL"},
      {USNMP_E_AUTH_FAILURE, -29963, "USNMP_E_AUTH_FAILURE"},
      {USNMP_E_UNKNOWN_REPORT, -29962, "USNMP_E_UNKNOWN_REPORT"},
  };
  (void)state;
  for (size_t i = 0; i < sizeof pinned / sizeof pinned[0]; i++) {
    assert_int_equal(pinned[i].code, pinned[i].value);
    /* The same list generates the names: each value still names its code. */
    assert_string_equal(usnmp_err_name(pinned[i].value), pinned[i].name);
  }
}

/* Every code the list generates lies between the base and libuv's codes,
 * has its own text and name, and no two codes share a value (the switch
 * of usnmp_strerror would not compile, but a test says it). */
static void error_codes_distinct(void **state) {
  static const int codes[] = {
#define XX(name, value, msg) USNMP_E_##name,
      USNMP_ERRNO_MAP(XX)
#undef XX
  };
  static const int values[] = {
#define XX(name, value, msg) value,
      USNMP_ERRNO_MAP(XX)
#undef XX
  };
  size_t n = sizeof codes / sizeof codes[0];
  (void)state;
  for (size_t i = 0; i < n; i++) {
    assert_int_equal(codes[i], values[i]);
    assert_true(codes[i] > USNMP_ERRNO_BASE_);
    assert_true(codes[i] < -4096); /* below every UV_E* code */
    assert_string_not_equal(usnmp_strerror(codes[i]), "unknown error");
    for (size_t j = i + 1; j < n; j++)
      assert_int_not_equal(codes[i], codes[j]);
  }
}

/* ------------------------------------------------------------------------
 * A manager on a loop, with the scripted agent
 * ------------------------------------------------------------------------ */

typedef usnmp_test_agent_env env;

static void get_once(env *e) {
  usnmp_test_result res = {0};
  usnmp_oid oid = usnmp_test_oid("1.3.6.1.2.1.1.3.0");
  assert_int_equal(
      usnmp_get(e->t, &oid, 1, NULL, usnmp_test_on_response, &res, NULL), 0);
  usnmp_test_wait_for(&e->loop, &res);
  assert_int_equal(res.status, 0);
}

/* ------------------------------------------------------------------------
 * Structs the library fills
 * ------------------------------------------------------------------------ */

/* An older caller's usnmp_stats ends after `sent`: the library fills those
 * two counters and writes nothing after them. */
static void stats_fill_no_more_than_the_caller_has(void **state) {
  env *e = *state;
  fence f;
  size_t old_size = offsetof(usnmp_stats, resent);
  usnmp_stats full;
  usnmp_stats *old;

  get_once(e);
  old = fence_alloc(&f, old_size);
  memset(old, 0xAA, old_size);
  assert_int_equal(usnmp_manager_stats_ex(e->m, old, old_size), 0);
  assert_int_equal(old->requests, 1);
  assert_int_equal(old->sent, 1);
  fence_free(&f);

  /* The macro passes the caller's sizeof: everything is filled. */
  memset(&full, 0xAA, sizeof full);
  assert_int_equal(usnmp_manager_stats(e->m, &full), 0);
  assert_int_equal(full.requests, 1);
  assert_int_equal(full.accepted, 1);
  assert_int_equal(full.dropped_auth, 0);
  assert_int_equal(usnmp_manager_stats_ex(NULL, &full, sizeof full),
                   USNMP_E_INVAL);
  assert_int_equal(usnmp_manager_stats_ex(e->m, NULL, sizeof full),
                   USNMP_E_INVAL);
}

/* A newer caller's usnmp_stats has counters this library does not know:
 * they read 0, not whatever the caller's memory held. */
static void stats_zero_what_the_library_lacks(void **state) {
  env *e = *state;
  struct {
    usnmp_stats known;
    uint64_t later[4];
  } newer;
  get_once(e);
  memset(&newer, 0xAA, sizeof newer);
  assert_int_equal(usnmp_manager_stats_ex(e->m, &newer.known, sizeof newer), 0);
  assert_int_equal(newer.known.requests, 1);
  for (size_t i = 0; i < 4; i++)
    assert_int_equal(newer.later[i], 0);
}

/* usnmp_walk_result_get writes no further than the caller's size either. */
static void walk_result_fill_no_more_than_the_caller_has(void **state) {
  env *e = *state;
  fence f;
  usnmp_oid root = usnmp_test_oid("1.3.6.1.2.1.1");
  usnmp_walk *w;
  size_t old_size = offsetof(usnmp_walk_result, error_status), n;
  usnmp_walk_result *old, full;

  assert_int_equal(usnmp_walk_init(e->t, &root, NULL, &w), 0);
  assert_int_equal(usnmp_test_pull_walk(&e->loop, w, &n), 0);
  assert_int_equal(n, 6);
  old = fence_alloc(&f, old_size);
  memset(old, 0xAA, old_size);
  assert_int_equal(usnmp_walk_result_get_ex(w, old, old_size), 0);
  assert_int_equal(old->status, 0);
  assert_int_equal(old->end, USNMP_WALK_END_SUBTREE);
  fence_free(&f);
  assert_int_equal(usnmp_walk_result_get(w, &full), 0);
  assert_int_equal(full.count, 6);
  usnmp_walk_close(w);
}

/* ------------------------------------------------------------------------
 * Option structs the library reads
 * ------------------------------------------------------------------------ */

static void on_walk_done(usnmp_walk *w, const usnmp_walk_result *r, void *arg) {
  (void)w;
  *(usnmp_walk_result *)arg = *r;
}

/* An older caller's usnmp_request_opts ends before `community`: with only
 * the flags of the fields it has, neither a request nor a walk (which
 * keeps a copy of the options) reads past its end. */
static void request_opts_read_only_what_flags_name(void **state) {
  env *e = *state;
  fence f;
  size_t old_size = offsetof(usnmp_request_opts, community);
  usnmp_request_opts *old = fence_alloc(&f, old_size);
  usnmp_oid oid = usnmp_test_oid("1.3.6.1.2.1.1.3.0");
  usnmp_test_result res = {0};
  usnmp_walk_opts wo = {0};
  usnmp_walk_result wr = {0};
  usnmp_walk *w;

  memset(old, 0, old_size);
  old->flags = USNMP_REQUEST_TIMEOUT | USNMP_REQUEST_RESEND |
               USNMP_REQUEST_RETRIES | USNMP_REQUEST_BACKOFF;
  old->timeout_ms = 2000;
  old->resend_ms = 500;
  old->retries = 3;
  old->backoff = 1.0;
  assert_int_equal(
      usnmp_get(e->t, &oid, 1, old, usnmp_test_on_response, &res, NULL), 0);
  usnmp_test_wait_for(&e->loop, &res);
  assert_int_equal(res.status, 0);

  wo.request = old;
  wr.status = 1;
  assert_int_equal(
      usnmp_walk_start(e->t, &oid, &wo, NULL, on_walk_done, &wr, &w), 0);
  while (wr.status == 1)
    uv_run(&e->loop, UV_RUN_ONCE);
  assert_int_equal(wr.status, 0);
  fence_free(&f);
}

static void on_table_done(usnmp_table *tb, const usnmp_table_result *r,
                          void *arg) {
  (void)tb;
  (void)r;
  (void)arg;
}

/* Every walk and table entry point refuses wo. */
static void walks_refuse(env *e, const usnmp_oid *root,
                         const usnmp_walk_opts *wo) {
  usnmp_walk_result wr = {0};
  usnmp_walk *w;
  assert_int_equal(
      usnmp_walk_start(e->t, root, wo, NULL, on_walk_done, &wr, NULL),
      USNMP_E_INVAL);
  assert_int_equal(usnmp_walk_init(e->t, root, wo, &w), USNMP_E_INVAL);
  assert_int_equal(usnmp_table_start(e->t, root, NULL, 0, wo, NULL,
                                     on_table_done, NULL, NULL),
                   USNMP_E_INVAL);
}

/* A flag this library does not know may guard a field its struct lacks:
 * every entry point refuses it instead of ignoring it. */
static void unknown_flags_are_refused(void **state) {
  env *e = *state;
  usnmp_oid oid = usnmp_test_oid("1.3.6.1.2.1.1.3.0");
  usnmp_test_result res = {0};
  usnmp_request_opts ro = {0};
  usnmp_walk_opts wo = {0};
  usnmp_value v = usnmp_value_integer(1);

  ro.flags = 0x80000000u;
  assert_int_equal(
      usnmp_get(e->t, &oid, 1, &ro, usnmp_test_on_response, &res, NULL),
      USNMP_E_INVAL);
  assert_int_equal(
      usnmp_getnext(e->t, &oid, 1, &ro, usnmp_test_on_response, &res, NULL),
      USNMP_E_INVAL);
  assert_int_equal(usnmp_getbulk(e->t, &oid, 1, 0, 5, &ro,
                                 usnmp_test_on_response, &res, NULL),
                   USNMP_E_INVAL);
  assert_int_equal(
      usnmp_set(e->t, &oid, &v, 1, &ro, usnmp_test_on_response, &res, NULL),
      USNMP_E_INVAL);
  assert_int_equal(res.calls, 0);

  /* In a walk's or a table's request options... */
  wo.request = &ro;
  walks_refuse(e, &oid, &wo);
  /* ... and in the walk options themselves. */
  wo.request = NULL;
  wo.flags = 0x40000000u;
  walks_refuse(e, &oid, &wo);
}

/* The blocking layer's usnmp_call_opts follow the same rule.  No agent is
 * needed: the call is refused before anything is sent. */
static void unknown_call_flags_are_refused(void **state) {
  usnmp_sync *s;
  usnmp_call_opts co = {0};
  usnmp_oid oid = usnmp_test_oid("1.3.6.1.2.1.1.3.0");
  usnmp_value v = usnmp_value_integer(1);
  usnmp_vblist *l = NULL;
  usnmp_sync_walk *sw = NULL;
  (void)state;
  assert_int_equal(usnmp_sync_init(&s), 0);
  co.flags = 0x100u;
  assert_int_equal(usnmp_sync_get(s, "127.0.0.1:9", &oid, 1, &co, &l),
                   USNMP_E_INVAL);
  assert_int_equal(usnmp_sync_getnext(s, "127.0.0.1:9", &oid, 1, &co, &l),
                   USNMP_E_INVAL);
  assert_int_equal(usnmp_sync_set(s, "127.0.0.1:9", &oid, &v, &co, &l),
                   USNMP_E_INVAL);
  assert_int_equal(usnmp_sync_walk_init(s, "127.0.0.1:9", &oid, &co, &sw),
                   USNMP_E_INVAL);
  usnmp_rowlist *rows = NULL;
  assert_int_equal(usnmp_sync_getbulk(s, "127.0.0.1:9", &oid, 1, 0, 5, &co, &l),
                   USNMP_E_INVAL);
  assert_int_equal(
      usnmp_sync_table(s, "127.0.0.1:9", NULL, &oid, 1, &co, &rows),
      USNMP_E_INVAL);
  assert_null(l);
  assert_null(sw);
  assert_null(rows);
  /* usnmp_host_opts: the same rule for its flags. */
  usnmp_host_opts ho = {0};
  ho.flags = 0x100u;
  assert_int_equal(usnmp_sync_set_host(s, "127.0.0.1:9", &ho), USNMP_E_INVAL);
  usnmp_sync_close(s);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(error_codes_never_move),
      cmocka_unit_test(error_codes_distinct),
      USNMP_TEST_AGENT_ENV_TEST(stats_fill_no_more_than_the_caller_has),
      USNMP_TEST_AGENT_ENV_TEST(stats_zero_what_the_library_lacks),
      USNMP_TEST_AGENT_ENV_TEST(walk_result_fill_no_more_than_the_caller_has),
      USNMP_TEST_AGENT_ENV_TEST(request_opts_read_only_what_flags_name),
      USNMP_TEST_AGENT_ENV_TEST(unknown_flags_are_refused),
      cmocka_unit_test(unknown_call_flags_are_refused),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
