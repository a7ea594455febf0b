/*
 * Small pieces the unit tests share (test/test_util.h).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "test_util.h"
#include "usm.h"

/* ---- small values ------------------------------------------------------ */

usnmp_oid usnmp_test_oid(const char *text) {
  usnmp_oid o;
  assert_int_equal(usnmp_oid_parse(&o, text), 0);
  return o;
}

size_t usnmp_test_unhex(uint8_t *out, size_t size, const char *hex) {
  size_t n = strlen(hex) / 2;
  size_t i;

  assert_true(n <= size);
  for (i = 0; i < n; i++) {
    unsigned v;
    assert_int_equal(sscanf(hex + 2 * i, "%2x", &v), 1);
    out[i] = (uint8_t)v;
  }
  return n;
}

void usnmp_test_set_flag(void *arg) { *(int *)arg = 1; }

#if USNMP_HAVE_SNMPV3
int usnmp_test_crypto_setup(void **state) {
  usnmp__crypto *c = NULL;
  assert_int_equal(usnmp__crypto_new(&c, NULL), 0);
  *state = c;
  return 0;
}

int usnmp_test_crypto_teardown(void **state) {
  usnmp__crypto_free(*state);
  return 0;
}
#endif

/* ---- an allocator that fails one allocation ---------------------------- */

/* Counts one allocation; returns 1 when it is the one to fail. */
static int failing_now(usnmp_test_failing *f) {
  if (++f->count != f->fail_at)
    return 0;
  f->failed = 1;
  return 1;
}

static void *failing_malloc(size_t size, void *ctx) {
  usnmp_test_failing *f = ctx;
  void *p;
  if (failing_now(f))
    return NULL;
  p = malloc(size);
  if (p != NULL)
    f->live++;
  return p;
}

static void *failing_realloc(void *ptr, size_t size, void *ctx) {
  usnmp_test_failing *f = ctx;
  if (failing_now(f))
    return NULL;
  if (ptr == NULL)
    f->live++;
  return realloc(ptr, size);
}

static void failing_free(void *ptr, void *ctx) {
  usnmp_test_failing *f = ctx;
  if (ptr != NULL)
    f->live--;
  free(ptr);
}

usnmp_allocator usnmp_test_failing_allocator(usnmp_test_failing *f) {
  usnmp_allocator a = {failing_malloc, failing_realloc, failing_free, f};
  return a;
}

void usnmp_test_failing_arm(usnmp_test_failing *f, long n) {
  /* Counting restarts, so that n counts from here; live keeps counting. */
  f->count = 0;
  f->fail_at = n + 1;
  f->failed = 0;
}

void usnmp_test_failing_disarm(usnmp_test_failing *f) { f->fail_at = 0; }

/* ---- one response ------------------------------------------------------ */

void usnmp_test_on_response(const usnmp_response *resp, void *arg) {
  usnmp_test_result *res = arg;
  size_t i;
  res->calls++;
  res->status = resp->status;
  res->error_status = resp->error_status;
  res->error_index = resp->error_index;
  res->n = resp->varbind_count;
  for (i = 0; i < resp->varbind_count && i < USNMP_TEST_RESULT_KEEP; i++)
    usnmp_varbind_format(res->text[i], sizeof(res->text[i]),
                         &resp->varbinds[i]);
}

/* ---- a manager beside one net-snmp snmpd per group ---------------------- */

int usnmp_test_snmpd_env_group_setup(void **state) {
  usnmp_test_snmpd_env *e = calloc(1, sizeof(*e));
  if (e == NULL || usnmp_test_snmpd_start(&e->agent) != 0) {
    free(e);
    return -1;
  }
  *state = e;
  return 0;
}

int usnmp_test_snmpd_env_group_teardown(void **state) {
  usnmp_test_snmpd_env *e = *state;
  int rc = usnmp_test_snmpd_stop(&e->agent);
  free(e);
  return rc;
}

int usnmp_test_snmpd_env_setup(void **state) {
  usnmp_test_snmpd_env *e = *state;
  if (uv_loop_init(&e->loop) != 0 ||
      usnmp_manager_init(&e->m, &e->loop, NULL) != 0)
    return -1;
  return 0;
}

/* Closes what a failed test left open on the loop (a hostile agent's
 * socket, a timer), so that the teardown reports the failure instead of
 * hanging in uv_run. */
static void close_leftover(uv_handle_t *h, void *arg) {
  (void)arg;
  if (!uv_is_closing(h))
    uv_close(h, NULL);
}

int usnmp_test_snmpd_env_teardown(void **state) {
  usnmp_test_snmpd_env *e = *state;
  usnmp_manager_close(e->m, NULL, NULL);
  uv_walk(&e->loop, close_leftover, NULL);
  uv_run(&e->loop, UV_RUN_DEFAULT);
  assert_int_equal(uv_loop_close(&e->loop), 0);
  return 0;
}

int usnmp_test_agent_env_setup(void **state) {
  usnmp_test_agent_env *e = test_calloc(1, sizeof *e);
  if (e == NULL || uv_loop_init(&e->loop) != 0)
    return -1;
  *state = e;
  if (usnmp_manager_init(&e->m, &e->loop, NULL) != 0 ||
      usnmp_test_agent_new(&e->agent, &e->loop, AF_INET) != 0 ||
      usnmp_test_agent_new(&e->agent6, &e->loop, AF_INET6) != 0 ||
      usnmp_target_init(e->m, &e->t, usnmp_test_agent_address(e->agent)) != 0)
    return -1;
  return 0;
}

int usnmp_test_agent_env_teardown(void **state) {
  usnmp_test_agent_env *e = *state;
  int rc;
  if (e->m != NULL)
    usnmp_manager_close(e->m, NULL, NULL);
  if (e->agent != NULL)
    usnmp_test_agent_close(e->agent);
  if (e->agent6 != NULL)
    usnmp_test_agent_close(e->agent6);
  uv_walk(&e->loop, close_leftover, NULL);
  uv_run(&e->loop, UV_RUN_DEFAULT);
  rc = uv_loop_close(&e->loop);
  test_free(e);
  return rc == 0 ? 0 : -1;
}

int usnmp_test_pull_walk(uv_loop_t *loop, usnmp_walk *w, size_t *count) {
  const usnmp_varbind *vb;
  int rc = UV_EAGAIN;
  *count = 0;
  for (int turns = 0; turns < 100000; turns++) {
    rc = usnmp_walk_next(w, &vb);
    if (rc == UV_EAGAIN)
      uv_run(loop, UV_RUN_ONCE);
    else if (rc == 1)
      (*count)++;
    else
      break;
  }
  return rc;
}

void usnmp_test_run_until_all(uv_loop_t *loop, const int *counters[],
                              size_t n) {
  for (;;) {
    size_t i;
    for (i = 0; i < n; i++)
      if (*counters[i] == 0)
        break;
    if (i == n)
      return;
    assert_int_equal(uv_run(loop, UV_RUN_ONCE) >= 0, 1);
  }
}

void usnmp_test_wait_for(uv_loop_t *loop, const usnmp_test_result *res) {
  const int *c[1] = {&res->calls};
  usnmp_test_run_until_all(loop, c, 1);
}

/* ---- a manager beside an snmpd with a pass script and the test agent ---- */

static void on_tick(uv_timer_t *t) { (void)t; }

int usnmp_test_walk_env_setup(void **state) {
  usnmp_test_walk_env *e = calloc(1, sizeof *e);
  char pass[1024], cwd[512];
  assert_non_null(e);
  assert_int_equal(uv_loop_init(&e->loop), 0);
  assert_int_equal(uv_timer_init(&e->loop, &e->tick), 0);
  assert_int_equal(uv_timer_start(&e->tick, on_tick, 20, 20), 0);
  uv_unref((uv_handle_t *)&e->tick);
  assert_int_equal(usnmp_manager_init(&e->m, &e->loop, NULL), 0);
  assert_non_null(getcwd(cwd, sizeof cwd));
  snprintf(pass, sizeof pass,
           "pass .1.3.6.1.4.1.99999 /bin/sh %s/walk_pass.sh\n", cwd);
  e->snmpd.extra_conf = pass;
  assert_int_equal(usnmp_test_snmpd_start(&e->snmpd), 0);
  e->snmpd_running = 1;
  assert_int_equal(usnmp_target_init(e->m, &e->t1, e->snmpd.agent4), 0);
  assert_int_equal(usnmp_target_set_version(e->t1, USNMP_VERSION_1), 0);
  assert_int_equal(usnmp_target_init(e->m, &e->t2c, e->snmpd.agent4), 0);
  assert_int_equal(usnmp_test_agent_new(&e->agent, &e->loop, AF_INET), 0);
  assert_int_equal(
      usnmp_target_init(e->m, &e->ta, usnmp_test_agent_address(e->agent)), 0);
  assert_int_equal(
      usnmp_target_init(e->m, &e->ta1, usnmp_test_agent_address(e->agent)), 0);
  assert_int_equal(usnmp_target_set_version(e->ta1, USNMP_VERSION_1), 0);
  /* Misbehaving-agent tests must not wait long for their timeouts. */
  assert_int_equal(usnmp_target_set_resend(e->ta, 100), 0);
  assert_int_equal(usnmp_target_set_retries(e->ta, 1), 0);
  *state = e;
  return 0;
}

int usnmp_test_walk_env_teardown(void **state) {
  usnmp_test_walk_env *e = *state;
  uv_close((uv_handle_t *)&e->tick, NULL);
  usnmp_test_agent_close(e->agent);
  usnmp_manager_close(e->m, NULL, NULL);
  uv_run(&e->loop, UV_RUN_DEFAULT);
  assert_int_equal(uv_loop_close(&e->loop), 0);
  if (e->snmpd_running)
    assert_int_equal(usnmp_test_snmpd_stop(&e->snmpd), 0);
  free(e);
  return 0;
}

/* ---- shell commands ----------------------------------------------------- */

void usnmp_test_text_add(usnmp_test_text *t, const char *s, size_t n) {
  if (t->len + n + 1 > t->cap) {
    size_t cap = t->cap ? t->cap : 4096;
    while (cap < t->len + n + 1)
      cap *= 2;
    t->buf = realloc(t->buf, cap);
    assert_non_null(t->buf);
    t->cap = cap;
  }
  memcpy(t->buf + t->len, s, n);
  t->len += n;
  t->buf[t->len] = '\0';
}

void usnmp_test_text_add_str(usnmp_test_text *t, const char *s) {
  usnmp_test_text_add(t, s, strlen(s));
}

usnmp_test_text usnmp_test_run_text(int *status, const char *fmt, ...) {
  char cmd[1024];
  char chunk[65536];
  usnmp_test_text out = {0};
  va_list ap;
  FILE *p;
  size_t n;
  int rc;
  va_start(ap, fmt);
  rc = vsnprintf(cmd, sizeof cmd, fmt, ap);
  va_end(ap);
  assert_true(rc > 0 && (size_t)rc < sizeof cmd);
  p = popen(cmd, "r");
  assert_non_null(p);
  usnmp_test_text_add(&out, "", 0);
  while ((n = fread(chunk, 1, sizeof chunk, p)) > 0)
    usnmp_test_text_add(&out, chunk, n);
  rc = pclose(p);
  assert_true(rc != -1 && WIFEXITED(rc));
  if (status != NULL)
    *status = WEXITSTATUS(rc);
  else
    assert_int_equal(WEXITSTATUS(rc), 0);
  return out;
}

int usnmp_test_vrun(char *out, size_t size, const char *prefix, const char *fmt,
                    va_list ap) {
  char cmd[2048];
  int n = snprintf(cmd, sizeof cmd, "%s", prefix);
  int m;
  FILE *p;
  size_t used;
  int status;
  assert_true(n >= 0 && (size_t)n < sizeof cmd);
  m = vsnprintf(cmd + n, sizeof cmd - (size_t)n, fmt, ap);
  /* Room for the redirection below. */
  assert_true(m > 0 && (size_t)m < sizeof cmd - (size_t)n - 8);
  strcat(cmd, " 2>&1");
  p = popen(cmd, "r");
  assert_non_null(p);
  used = fread(out, 1, size - 1, p);
  out[used] = '\0';
  status = pclose(p);
  if (status == -1 || !WIFEXITED(status))
    return -1;
  return WEXITSTATUS(status);
}

void usnmp_test_family_env_init(usnmp_test_family_env *e, int family) {
  memset(e, 0, sizeof *e);
  assert_int_equal(uv_loop_init(&e->loop), 0);
  assert_int_equal(usnmp_manager_init(&e->m, &e->loop, NULL), 0);
  assert_int_equal(usnmp_test_agent_new(&e->agent, &e->loop, family), 0);
  assert_int_equal(
      usnmp_target_init(e->m, &e->t, usnmp_test_agent_address(e->agent)), 0);
}

void usnmp_test_family_env_close(usnmp_test_family_env *e) {
  usnmp_manager_close(e->m, NULL, NULL);
  usnmp_test_agent_close(e->agent);
  uv_run(&e->loop, UV_RUN_DEFAULT);
  assert_int_equal(uv_loop_close(&e->loop), 0);
}
