/*
 * The blocking layer's rules (lib/sync.c, usnmp.h "The blocking API"):
 *
 *   - no function of a usnmp_sync that changes it or runs its loop may run
 *     inside another: from a callback running in its private loop or from
 *     its allocation hook they return USNMP_E_IN_CALLBACK and do nothing
 *     (usnmp_sync_close and usnmp_sync_cache_clear included);
 *   - usnmp_sync_close detaches live walks: usnmp_sync_walk_next then
 *     returns USNMP_E_CLOSED and usnmp_sync_walk_close frees the walk;
 *   - agent strings go through the manager's one parser with the layer's
 *     default port, and a host is its resolved address and port: "h",
 *     "h:port", "udp:h:port" and a name of the same address share one
 *     cache; "udp6:::1" works with the default port;
 *   - usnmp_sync_close does not wait for a name lookup already running on
 *     the thread pool (a test resolver hangs there).
 *
 * The scripted test agent runs on its own thread (the blocking calls block
 * the test's thread).
 */
#include <netdb.h>
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

#include "manager_int.h"
#include "test_agent.h"
#include "test_util.h"
#include "usnmp.h"

static uint64_t agent_requests(usnmp_test_agent *a) {
  usnmp_test_agent_stats st;
  usnmp_test_agent_get_stats(a, &st);
  return st.requests;
}

/* An allocation hook that, once armed, calls back into the sync object
 * on its next allocation and records what each call returned. */
typedef struct hook {
  usnmp_sync *s;
  int armed;
  int fired;
  int rc_clear, rc_limit, rc_close, rc_get, rc_community;
} hook;

static void reenter(hook *h) {
  usnmp_oid oid = usnmp_test_oid(".1.3.6.1.2.1.1.1.0");
  usnmp_vblist *l = NULL;
  h->fired++;
  h->rc_clear = usnmp_sync_cache_clear(h->s);
  h->rc_limit = usnmp_sync_set_cache_limit(h->s, 1);
  h->rc_close = usnmp_sync_close(h->s);
  h->rc_get = usnmp_sync_get(h->s, "127.0.0.1", &oid, 1, NULL, &l);
  h->rc_community = usnmp_sync_set_community(h->s, "other");
  assert_null(l);
}

static void *hook_malloc(size_t size, void *ctx) {
  hook *h = ctx;
  if (h->armed) {
    h->armed = 0;
    reenter(h);
  }
  return malloc(size);
}
static void *hook_realloc(void *p, size_t size, void *ctx) {
  (void)ctx;
  return realloc(p, size);
}
static void hook_free(void *p, void *ctx) {
  (void)ctx;
  free(p);
}

static void assert_refused(const hook *h) {
  assert_int_equal(h->fired, 1);
  assert_int_equal(h->rc_clear, USNMP_E_IN_CALLBACK);
  assert_int_equal(h->rc_limit, USNMP_E_IN_CALLBACK);
  assert_int_equal(h->rc_close, USNMP_E_IN_CALLBACK);
  assert_int_equal(h->rc_get, USNMP_E_IN_CALLBACK);
  assert_int_equal(h->rc_community, USNMP_E_IN_CALLBACK);
}

/* From the allocation hook, inside a blocking GET. */
static void test_reenter_from_allocator(void **state) {
  usnmp_test_agent *a;
  hook h;
  usnmp_allocator alloc = {hook_malloc, hook_realloc, hook_free, &h};
  usnmp_oid oids[2] = {usnmp_test_oid(".1.3.6.1.2.1.1.1.0"),
                       usnmp_test_oid(".1.3.6.1.2.1.1.5.0")};
  usnmp_vblist *l = NULL;
  (void)state;
  memset(&h, 0, sizeof h);
  assert_int_equal(usnmp_test_agent_start_thread(&a, AF_INET), 0);
  assert_int_equal(usnmp_sync_init_ex(&h.s, &alloc), 0);
  /* One value in the cache first: the refused clear must leave it. */
  assert_int_equal(
      usnmp_sync_get(h.s, usnmp_test_agent_address(a), oids, 1, NULL, &l), 0);
  usnmp_vblist_free(l);
  assert_int_equal(usnmp_sync_cache_size(h.s), 1);
  h.armed = 1;
  assert_int_equal(
      usnmp_sync_get(h.s, usnmp_test_agent_address(a), oids, 2, NULL, &l), 0);
  assert_refused(&h);
  assert_int_equal(usnmp_vblist_count(l), 2);
  usnmp_vblist_free(l);
  assert_int_equal(usnmp_sync_cache_size(h.s), 2);
  /* Outside a call, the same functions work. */
  assert_int_equal(usnmp_sync_cache_clear(h.s), 0);
  assert_int_equal(usnmp_sync_cache_size(h.s), 0);
  assert_int_equal(usnmp_sync_close(h.s), 0);
  usnmp_test_agent_stop_thread(a);
}

/* From the callback of a request started on the sync object's manager,
 * which runs in the private loop during a blocking call. */
static void on_async(const usnmp_response *resp, void *arg) {
  (void)resp;
  reenter(arg);
}

static void test_reenter_from_callback(void **state) {
  usnmp_test_agent *a;
  hook h;
  usnmp_target *t;
  usnmp_oid oid = usnmp_test_oid(".1.3.6.1.2.1.1.1.0");
  usnmp_oid other = usnmp_test_oid(".1.3.6.1.2.1.1.3.0");
  usnmp_vblist *l = NULL;
  usnmp_test_action slow = {USNMP_TEST_DELAY, 100, 0};
  (void)state;
  memset(&h, 0, sizeof h);
  assert_int_equal(usnmp_test_agent_start_thread(&a, AF_INET), 0);
  assert_int_equal(usnmp_sync_init(&h.s), 0);
  assert_int_equal(
      usnmp_sync_get(h.s, usnmp_test_agent_address(a), &oid, 1, NULL, &l), 0);
  usnmp_vblist_free(l);
  assert_int_equal(usnmp_target_init(usnmp_sync_manager(h.s), &t,
                                     usnmp_test_agent_address(a)),
                   0);
  assert_int_equal(usnmp_get(t, &oid, 1, NULL, on_async, &h, NULL), 0);
  /* The blocking GET is answered after the async one: the async
   * callback runs while the blocking call waits. */
  usnmp_test_agent_push(a, (usnmp_test_action){USNMP_TEST_ANSWER, 0, 0});
  usnmp_test_agent_push(a, slow);
  assert_int_equal(
      usnmp_sync_get(h.s, usnmp_test_agent_address(a), &other, 1, NULL, &l), 0);
  assert_refused(&h);
  assert_int_equal(usnmp_vblist_count(l), 1);
  usnmp_vblist_free(l);
  assert_int_equal(usnmp_sync_cache_size(h.s), 2);
  assert_int_equal(usnmp_sync_close(h.s), 0);
  usnmp_test_agent_stop_thread(a);
}

/* Close detaches live walks; the caller's handles stay usable. */
static void test_walk_after_close(void **state) {
  usnmp_test_agent *a;
  usnmp_sync *s;
  usnmp_sync_walk *w1, *w2;
  const usnmp_varbind *vb;
  usnmp_oid root = usnmp_test_oid(".1.3.6.1.4.1.99999.1");
  (void)state;
  assert_int_equal(usnmp_test_agent_start_thread(&a, AF_INET), 0);
  assert_int_equal(usnmp_sync_init(&s), 0);
  assert_int_equal(
      usnmp_sync_walk_init(s, usnmp_test_agent_address(a), &root, NULL, &w1),
      0);
  assert_int_equal(
      usnmp_sync_walk_init(s, usnmp_test_agent_address(a), &root, NULL, &w2),
      0);
  assert_int_equal(usnmp_sync_walk_next(w1, &vb), 1);
  assert_int_equal(usnmp_sync_close(s), 0);
  assert_int_equal(usnmp_sync_walk_next(w1, &vb), USNMP_E_CLOSED);
  assert_int_equal(usnmp_sync_walk_next(w2, &vb), USNMP_E_CLOSED);
  assert_int_equal(usnmp_sync_walk_close(w1), 0);
  assert_int_equal(usnmp_sync_walk_close(w2), 0);
  usnmp_test_agent_stop_thread(a);
}

/* One parser, one host per address and port. */
static void test_one_host_per_address(void **state) {
  usnmp_test_agent *a;
  usnmp_sync *s;
  usnmp_vblist *l = NULL;
  usnmp_oid oid = usnmp_test_oid(".1.3.6.1.2.1.1.1.0");
  usnmp_call_opts quick = {USNMP_CALL_TIMEOUT, 500, NULL};
  char names[4][64];
  (void)state;
  assert_int_equal(usnmp_test_agent_start_thread(&a, AF_INET), 0);
  assert_int_equal(usnmp_sync_init(&s), 0);
  assert_int_equal(usnmp_sync_set_port(s, usnmp_test_agent_port(a)), 0);
  snprintf(names[0], sizeof names[0], "127.0.0.1");
  snprintf(names[1], sizeof names[1], "127.0.0.1:%u",
           (unsigned)usnmp_test_agent_port(a));
  snprintf(names[2], sizeof names[2], "udp:127.0.0.1:%u",
           (unsigned)usnmp_test_agent_port(a));
  snprintf(names[3], sizeof names[3], "localhost");
  for (int i = 0; i < 4; i++) {
    assert_int_equal(usnmp_sync_get(s, names[i], &oid, 1, &quick, &l), 0);
    assert_int_equal(usnmp_vblist_count(l), 1);
    usnmp_vblist_free(l);
    /* The first asked; the others were answered from its cache. */
    assert_int_equal(agent_requests(a), 1);
  }
  assert_int_equal(usnmp_sync_cache_size(s), 1);
  /* Another default port is another host. */
  assert_int_equal(usnmp_sync_set_port(s, 9), 0);
  assert_int_equal(usnmp_sync_get(s, "127.0.0.1", &oid, 1, &quick, &l),
                   USNMP_E_TIMEOUT);
  assert_int_equal(usnmp_sync_close(s), 0);
  usnmp_test_agent_stop_thread(a);
}

/* "udp6:::1" and "::1" take the default port. */
static void test_udp6_default_port(void **state) {
  usnmp_test_agent *a;
  usnmp_sync *s;
  usnmp_vblist *l = NULL;
  usnmp_oid oid = usnmp_test_oid(".1.3.6.1.2.1.1.1.0");
  usnmp_call_opts quick = {USNMP_CALL_TIMEOUT, 500, NULL};
  (void)state;
  assert_int_equal(usnmp_test_agent_start_thread(&a, AF_INET6), 0);
  assert_int_equal(usnmp_sync_init(&s), 0);
  assert_int_equal(usnmp_sync_set_port(s, usnmp_test_agent_port(a)), 0);
  assert_int_equal(usnmp_sync_get(s, "udp6:::1", &oid, 1, &quick, &l), 0);
  assert_int_equal(usnmp_vblist_count(l), 1);
  usnmp_vblist_free(l);
  assert_int_equal(usnmp_sync_get(s, "::1", &oid, 1, &quick, &l), 0);
  usnmp_vblist_free(l);
  assert_int_equal(agent_requests(a), 1);
  assert_int_equal(usnmp_sync_close(s), 0);
  usnmp_test_agent_stop_thread(a);
}

/* A name that does not resolve fails the call with USNMP_E_RESOLVE. */
static void test_unresolvable(void **state) {
  usnmp_sync *s;
  usnmp_vblist *l = NULL;
  usnmp_oid oid = usnmp_test_oid(".1.3.6.1.2.1.1.1.0");
  (void)state;
  assert_int_equal(usnmp_sync_init(&s), 0);
  assert_int_equal(
      usnmp_sync_get(s, USNMP_TEST_UNRESOLVABLE, &oid, 1, NULL, &l),
      USNMP_E_RESOLVE);
  assert_null(l);
  assert_int_equal(usnmp_sync_close(s), 0);
}

/* ---- close and a resolver that hangs ---- */

static double now_s(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* An allocator that counts live blocks under a lock: the end of a close
 * may free from another thread. */
typedef struct counting {
  uv_mutex_t lock;
  long live;
} counting;

static void *count_malloc(size_t size, void *ctx) {
  counting *c = ctx;
  void *p = malloc(size);
  uv_mutex_lock(&c->lock);
  c->live += p != NULL;
  uv_mutex_unlock(&c->lock);
  return p;
}
static void *count_realloc(void *p, size_t size, void *ctx) {
  counting *c = ctx;
  void *q = realloc(p, size);
  uv_mutex_lock(&c->lock);
  c->live += p == NULL && q != NULL;
  uv_mutex_unlock(&c->lock);
  return q;
}
static void count_free(void *p, void *ctx) {
  counting *c = ctx;
  free(p);
  uv_mutex_lock(&c->lock);
  c->live -= p != NULL;
  uv_mutex_unlock(&c->lock);
}
static long count_live(counting *c) {
  long n;
  uv_mutex_lock(&c->lock);
  n = c->live;
  uv_mutex_unlock(&c->lock);
  return n;
}

/* A resolver that hangs until released, for at most 5 s. */
typedef struct hang {
  uv_mutex_t lock;
  uv_cond_t cond;
  int entered, released, returned;
} hang;

static int hanging_resolver(const char *host, const struct addrinfo *hints,
                            struct addrinfo **res, void *arg) {
  hang *h = arg;
  double until = now_s() + 5.0;
  (void)host;
  (void)hints;
  *res = NULL;
  uv_mutex_lock(&h->lock);
  h->entered++;
  while (!h->released && now_s() < until)
    (void)uv_cond_timedwait(&h->cond, &h->lock, 20 * 1000 * 1000);
  h->returned++;
  uv_mutex_unlock(&h->lock);
  return EAI_NONAME;
}

static int hang_get(hang *h, int *field) {
  int v;
  uv_mutex_lock(&h->lock);
  v = *field;
  uv_mutex_unlock(&h->lock);
  return v;
}

static void test_close_does_not_wait_for_dns(void **state) {
  static hang h; /* outlives the test should the resolver not return */
  counting c;
  usnmp_allocator alloc = {count_malloc, count_realloc, count_free, &c};
  usnmp_sync *s;
  usnmp_vblist *l = NULL;
  usnmp_oid oid = usnmp_test_oid(".1.3.6.1.2.1.1.1.0");
  usnmp_call_opts quick = {USNMP_CALL_TIMEOUT, 100, NULL};
  double t0, took;
  (void)state;
  memset(&c, 0, sizeof c);
  assert_int_equal(uv_mutex_init(&c.lock), 0);
  assert_int_equal(uv_mutex_init(&h.lock), 0);
  assert_int_equal(uv_cond_init(&h.cond), 0);
  assert_int_equal(usnmp_sync_init_ex(&s, &alloc), 0);
  usnmp__manager_set_resolver(usnmp_sync_manager(s), hanging_resolver, &h);
  /* The call gives up on the name after its timeout... */
  assert_int_equal(usnmp_sync_get(s, "slow.example", &oid, 1, &quick, &l),
                   USNMP_E_TIMEOUT);
  /* ...while the lookup still runs on the thread pool. */
  for (int i = 0; i < 500 && hang_get(&h, &h.entered) == 0; i++)
    uv_sleep(10);
  assert_int_equal(hang_get(&h, &h.entered), 1);
  t0 = now_s();
  assert_int_equal(usnmp_sync_close(s), 0);
  took = now_s() - t0;
  /* Far below the resolver's 5 s, with room for valgrind. */
  assert_int_equal(hang_get(&h, &h.returned), 0);
  assert_true(took < 2.5);
  /* Once the resolver returns, what close left is freed. */
  uv_mutex_lock(&h.lock);
  h.released = 1;
  uv_cond_signal(&h.cond);
  uv_mutex_unlock(&h.lock);
  for (int i = 0; i < 1000 && count_live(&c) != 0; i++)
    uv_sleep(10);
  assert_int_equal(count_live(&c), 0);
  assert_int_equal(hang_get(&h, &h.returned), 1);
  uv_mutex_destroy(&c.lock);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_reenter_from_allocator),
      cmocka_unit_test(test_reenter_from_callback),
      cmocka_unit_test(test_walk_after_close),
      cmocka_unit_test(test_one_host_per_address),
      cmocka_unit_test(test_udp6_default_port),
      cmocka_unit_test(test_unresolvable),
      cmocka_unit_test(test_close_does_not_wait_for_dns),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
