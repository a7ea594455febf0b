/*
 * SNMPv3 through the async manager: against net-snmp's snmpd
 * (test/snmpd_fixture.h) with one user per authentication x privacy
 * protocol (get, getnext, getbulk, set and walks over IPv4 and IPv6),
 * wrong passwords, unknown users, unsupported levels, contexts, an engine
 * ID given by the caller, an agent restart and a clock jump mid-session,
 * the key cache over a thousand targets; and against a hostile agent made
 * here (forged, truncated and misdirected replies).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "manager_int.h"
#include "snmpd_fixture.h"
#include "test_util.h"

#define SYSDESCR "1.3.6.1.2.1.1.1.0"
#define SYSLOCATION "1.3.6.1.2.1.1.6.0"
#define SYSDESCR_TEXT                                                          \
  ".1.3.6.1.2.1.1.1.0 = STRING: \"usnmp test agent (net-snmp snmpd)\""

typedef usnmp_test_result result;

typedef struct walk_result {
  int done;
  int status;
  uint64_t count;
  char first[256];
} walk_result;

static int on_walk_vb(usnmp_walk *w, const usnmp_varbind *vb,
                      const usnmp_oid *name, void *arg) {
  walk_result *wr = arg;
  (void)w;
  (void)name;
  if (wr->count++ == 0)
    usnmp_varbind_format(wr->first, sizeof(wr->first), vb);
  return 0;
}

static void on_walk_done(usnmp_walk *w, const usnmp_walk_result *res,
                         void *arg) {
  walk_result *wr = arg;
  (void)w;
  wr->done++;
  wr->status = res->status;
}

typedef usnmp_test_snmpd_env env;

static usnmp_target *v3_target(env *e, const char *agent, const char *user,
                               const char *auth, const char *authpass,
                               const char *priv, const char *privpass) {
  usnmp_auth_proto a = USNMP_AUTH_NONE;
  usnmp_priv_proto p = USNMP_PRIV_NONE;
  usnmp_target *t;
  if (auth != NULL)
    assert_int_equal(usnmp_auth_proto_parse(auth, &a), 0);
  if (priv != NULL)
    assert_int_equal(usnmp_priv_proto_parse(priv, &p), 0);
  assert_int_equal(usnmp_target_init(e->m, &t, agent), 0);
  assert_int_equal(usnmp_target_set_v3_user(t, user, a, authpass, p, privpass),
                   0);
  assert_int_equal(usnmp_target_set_resend(t, 500), 0);
  assert_int_equal(usnmp_target_set_retries(t, 4), 0);
  return t;
}

static usnmp_target *user_target(env *e, const char *agent,
                                 const usnmp_test_snmpd_user *u) {
  return v3_target(e, agent, u->name, u->auth, USNMP_TEST_SNMPD_AUTH_PASS,
                   u->priv, USNMP_TEST_SNMPD_PRIV_PASS);
}

static int get_once(env *e, usnmp_target *t, result *res) {
  usnmp_oid o = usnmp_test_oid(SYSDESCR);
  memset(res, 0, sizeof(*res));
  assert_int_equal(usnmp_get(t, &o, 1, NULL, usnmp_test_on_response, res, NULL),
                   0);
  usnmp_test_wait_for(&e->loop, res);
  assert_int_equal(res->calls, 1);
  return res->status;
}

/* Every operation at once on a fresh target per family: the requests that
 * arrive while the engine is being discovered wait for the probe. */
static void exercise_user(env *e, const usnmp_test_snmpd_user *u,
                          int with_ipv6) {
  usnmp_target *t4 = user_target(e, e->agent.agent4, u);
  usnmp_target *t6 = with_ipv6 ? user_target(e, e->agent.agent6, u) : NULL;
  usnmp_oid get = usnmp_test_oid(SYSDESCR),
            next = usnmp_test_oid("1.3.6.1.2.1.1.1");
  usnmp_oid loc = usnmp_test_oid(SYSLOCATION),
            sys = usnmp_test_oid("1.3.6.1.2.1.1");
  usnmp_value v = usnmp_value_string(u->name);
  result g4 = {0}, n4 = {0}, b4 = {0}, s4 = {0}, g6 = {0};
  walk_result w4 = {0}, w6 = {0};
  usnmp_walk_opts nextwalk = {0};
  const int *all[7] = {&g4.calls, &n4.calls, &b4.calls, &s4.calls,
                       &w4.done,  &g6.calls, &w6.done};
  int dummy = 1;

  nextwalk.method = USNMP_WALK_GETNEXT;
  assert_int_equal(
      usnmp_get(t4, &get, 1, NULL, usnmp_test_on_response, &g4, NULL), 0);
  assert_int_equal(
      usnmp_getnext(t4, &next, 1, NULL, usnmp_test_on_response, &n4, NULL), 0);
  assert_int_equal(
      usnmp_getbulk(t4, &sys, 1, 0, 3, NULL, usnmp_test_on_response, &b4, NULL),
      0);
  assert_int_equal(
      usnmp_set(t4, &loc, &v, 1, NULL, usnmp_test_on_response, &s4, NULL), 0);
  assert_int_equal(usnmp_walk_start(t4, &sys, &nextwalk, on_walk_vb,
                                    on_walk_done, &w4, NULL),
                   0);
  if (t6 != NULL) {
    assert_int_equal(
        usnmp_get(t6, &get, 1, NULL, usnmp_test_on_response, &g6, NULL), 0);
    /* A bulk walk (the default on v3). */
    assert_int_equal(
        usnmp_walk_start(t6, &sys, NULL, on_walk_vb, on_walk_done, &w6, NULL),
        0);
  } else {
    all[5] = all[6] = &dummy;
  }
  usnmp_test_run_until_all(&e->loop, all, 7);
  if (g4.status != 0)
    fail_msg("user %s: GET status %s", u->name, usnmp_err_name(g4.status));
  assert_string_equal(g4.text[0], SYSDESCR_TEXT);
  assert_int_equal(n4.status, 0);
  assert_string_equal(n4.text[0], SYSDESCR_TEXT);
  assert_int_equal(b4.status, 0);
  assert_int_equal(b4.n, 3);
  assert_string_equal(b4.text[0], SYSDESCR_TEXT);
  assert_int_equal(s4.status, 0);
  if (u->writable) {
    char want[256];
    assert_int_equal(s4.error_status, 0);
    snprintf(want, sizeof(want), ".1.3.6.1.2.1.1.6.0 = STRING: \"%s\"",
             u->name);
    assert_string_equal(s4.text[0], want);
  } else {
    assert_int_not_equal(s4.error_status, 0);
  }
  assert_int_equal(w4.status, 0);
  assert_true(w4.count >= 7);
  assert_string_equal(w4.first, SYSDESCR_TEXT);
  if (t6 != NULL) {
    assert_int_equal(g6.status, 0);
    assert_string_equal(g6.text[0], SYSDESCR_TEXT);
    assert_int_equal(w6.status, 0);
    assert_int_equal(w6.count, w4.count);
  }
  usnmp_target_close(t4);
  usnmp_target_close(t6);
}

static void test_every_user(void **state) {
  env *e = *state;
  size_t i;
  for (i = 0; i < usnmp_test_snmpd_user_count; i++) {
    const usnmp_test_snmpd_user *u = &usnmp_test_snmpd_users[i];
    /* IPv6 for a representative set: every auth protocol and every
     * privacy protocol at least once. */
    int v6 = strcmp(u->name, "noauth") == 0 ||
             strstr(u->name, "nopriv") != NULL ||
             (strncmp(u->name, "sha", 3) == 0 && strstr(u->name, "aes256c"));
    if (strncmp(u->name, "md5", 3) == 0 && u->priv != NULL)
      v6 = 1;
    exercise_user(e, u, v6);
  }
}

static const usnmp_test_snmpd_user shaaes = {"shaaes", "authPriv", "SHA", "AES",
                                             1};

static void test_wrong_secrets(void **state) {
  env *e = *state;
  result res;
  usnmp_stats st;
  usnmp_target *t;

  /* Wrong authentication password: the agent's wrongDigest report. */
  t = v3_target(e, e->agent.agent4, "shaaes", "SHA", "wrongpass123", "AES",
                USNMP_TEST_SNMPD_PRIV_PASS);
  assert_int_equal(get_once(e, t, &res), USNMP_E_WRONG_DIGEST);
  usnmp_target_close(t);

  /* Unknown user. */
  t = v3_target(e, e->agent.agent6, "nobody", "SHA", USNMP_TEST_SNMPD_AUTH_PASS,
                "AES", USNMP_TEST_SNMPD_PRIV_PASS);
  assert_int_equal(get_once(e, t, &res), USNMP_E_UNKNOWN_USER);
  usnmp_target_close(t);

  /* A level the user does not have, both ways. */
  t = v3_target(e, e->agent.agent4, "md5nopriv", "MD5",
                USNMP_TEST_SNMPD_AUTH_PASS, "DES", USNMP_TEST_SNMPD_PRIV_PASS);
  assert_int_equal(get_once(e, t, &res), USNMP_E_UNSUPPORTED_SEC_LEVEL);
  usnmp_target_close(t);
  t = v3_target(e, e->agent.agent4, "noauth", "MD5", USNMP_TEST_SNMPD_AUTH_PASS,
                NULL, NULL);
  assert_int_equal(get_once(e, t, &res), USNMP_E_UNSUPPORTED_SEC_LEVEL);
  usnmp_target_close(t);

  /* Wrong privacy password: the agent cannot decrypt and answers nothing
   * we can authenticate; the request ends as a timeout (net-snmp's
   * snmpget says "Timeout" too). */
  t = v3_target(e, e->agent.agent4, "shaaes", "SHA", USNMP_TEST_SNMPD_AUTH_PASS,
                "AES", "wrongpriv123");
  assert_int_equal(usnmp_target_set_resend(t, 200), 0);
  assert_int_equal(usnmp_target_set_retries(t, 1), 0);
  assert_int_equal(get_once(e, t, &res), USNMP_E_TIMEOUT);
  usnmp_target_close(t);

  /* A lower level than the agent's access rule asks (rwuser ... priv):
   * the agent answers, with authorizationError. */
  t = user_target(e, e->agent.agent4, &shaaes);
  assert_int_equal(usnmp_target_set_v3_level(t, USNMP_SEC_AUTHNOPRIV), 0);
  assert_int_equal(get_once(e, t, &res), 0);
  assert_int_equal(res.error_status, USNMP_ERROR_STATUS_AUTHORIZATIONERROR);
  usnmp_target_close(t);

  /* Bad arguments of the setters. */
  assert_int_equal(usnmp_target_init(e->m, &t, e->agent.agent4), 0);
  assert_int_equal(usnmp_target_set_v3_user(t, "u", USNMP_AUTH_SHA, "short",
                                            USNMP_PRIV_NONE, NULL),
                   USNMP_E_V3_PASSPHRASE);
  assert_int_equal(usnmp_target_set_v3_user(t, "u", USNMP_AUTH_SHA,
                                            "authpass123", USNMP_PRIV_AES,
                                            "1234567"),
                   USNMP_E_V3_PASSPHRASE);
  assert_int_equal(usnmp_target_set_v3_user(t, "u", USNMP_AUTH_NONE, NULL,
                                            USNMP_PRIV_AES, "privpass123"),
                   USNMP_E_V3_PRIV_WITHOUT_AUTH);
  assert_int_equal(usnmp_target_set_v3_user(t, "", USNMP_AUTH_NONE, NULL,
                                            USNMP_PRIV_NONE, NULL),
                   USNMP_E_V3_USER_NAME);
  assert_int_equal(usnmp_target_set_v3_user(t, NULL, USNMP_AUTH_NONE, NULL,
                                            USNMP_PRIV_NONE, NULL),
                   USNMP_E_V3_USER_NAME);
  assert_int_equal(
      usnmp_target_set_v3_user(t, "123456789012345678901234567890123",
                               USNMP_AUTH_NONE, NULL, USNMP_PRIV_NONE, NULL),
      USNMP_E_V3_USER_NAME);
  assert_int_equal(usnmp_target_set_v3_user(t, "u", (usnmp_auth_proto)-1,
                                            "authpass123", USNMP_PRIV_NONE,
                                            NULL),
                   USNMP_E_V3_UNKNOWN_PROTOCOL);
  assert_string_equal(usnmp_strerror(USNMP_E_V3_PASSPHRASE),
                      "passphrase chosen is below the length requirements "
                      "of the USM (min=8)");
  assert_int_equal(usnmp_target_set_v3_level(t, USNMP_SEC_AUTHPRIV),
                   USNMP_E_INVAL);
  assert_int_equal(usnmp_target_set_v3_engine_id(t, (const uint8_t *)"abc", 3),
                   USNMP_E_INVAL);
  assert_int_equal(usnmp_target_set_v3_user(t, "noauth", USNMP_AUTH_NONE, NULL,
                                            USNMP_PRIV_NONE, NULL),
                   0);
  assert_int_equal(usnmp_target_set_v3_level(t, USNMP_SEC_AUTHNOPRIV),
                   USNMP_E_INVAL);
  assert_int_equal(get_once(e, t, &res), 0);
  usnmp_target_close(t);
  usnmp_manager_stats(e->m, &st);
  assert_true(st.accepted > 0);
}

/* The engine ID given by the caller: no probe; boots and time come from
 * the agent's first notInTimeWindow report. */
static void test_given_engine_id(void **state) {
  env *e = *state;
  result res;
  usnmp_stats before, after;
  usnmp_target *t = user_target(e, e->agent.agent4, &shaaes), *t2;
  uint8_t engine[32];
  size_t len;

  assert_int_equal(get_once(e, t, &res), 0);
  len = t->usm->engine_id_len;
  assert_true(len >= 5);
  memcpy(engine, t->usm->engine_id, len);

  t2 = user_target(e, e->agent.agent6, &shaaes);
  assert_int_equal(usnmp_target_set_v3_engine_id(t2, engine, len), 0);
  usnmp_manager_stats(e->m, &before);
  assert_int_equal(get_once(e, t2, &res), 0);
  assert_string_equal(res.text[0], SYSDESCR_TEXT);
  usnmp_manager_stats(e->m, &after);
  /* The request, then again after the agent's notInTimeWindow report. */
  assert_int_equal(after.sent - before.sent, 2);
  assert_true(t2->usm->time_authentic);
  assert_int_equal(t2->usm->boots, t->usm->boots);

  /* A wrong engine ID given by the caller fails, never "discovers". */
  engine[len - 1] ^= 0x55;
  assert_int_equal(usnmp_target_set_v3_engine_id(t2, engine, len), 0);
  assert_int_equal(usnmp_target_set_resend(t2, 200), 0);
  assert_int_equal(usnmp_target_set_retries(t2, 1), 0);
  assert_true(get_once(e, t2, &res) < 0);
  usnmp_target_close(t);
  usnmp_target_close(t2);
}

static void test_contexts(void **state) {
  env *e = *state;
  result res;
  usnmp_oid o = usnmp_test_oid(SYSDESCR);
  usnmp_request_opts ro = {0};
  usnmp_target *t = user_target(e, e->agent.agent4, &shaaes);

  /* The default context, set explicitly. */
  assert_int_equal(usnmp_target_set_v3_context(t, NULL, 0, ""), 0);
  assert_int_equal(get_once(e, t, &res), 0);
  /* A context the agent does not have: snmpd stays silent (net-snmp's
   * snmpget times out too). */
  assert_int_equal(usnmp_target_set_v3_context(t, NULL, 0, "nosuch"), 0);
  assert_int_equal(usnmp_target_set_resend(t, 200), 0);
  assert_int_equal(usnmp_target_set_retries(t, 1), 0);
  assert_int_equal(get_once(e, t, &res), USNMP_E_TIMEOUT);
  /* The request's own context wins over the target's. */
  ro.flags = USNMP_REQUEST_CONTEXT;
  ro.context_name = "";
  memset(&res, 0, sizeof(res));
  assert_int_equal(usnmp_get(t, &o, 1, &ro, usnmp_test_on_response, &res, NULL),
                   0);
  usnmp_test_wait_for(&e->loop, &res);
  assert_int_equal(res.status, 0);
  assert_string_equal(res.text[0], SYSDESCR_TEXT);
  assert_int_equal(usnmp_target_set_v3_context(t, NULL, 0, NULL), 0);
  assert_int_equal(usnmp_target_set_v3_context(t, NULL, 33, NULL),
                   USNMP_E_INVAL);
  usnmp_target_close(t);
}

/* The agent restarts (engine boots + 1, time back near 0) between two
 * requests of one session, and our clock jumps. */
static void test_restart_and_clock_jump(void **state) {
  env *e = *state;
  result res;
  usnmp_target *t = user_target(e, e->agent.agent4, &shaaes);
  uint32_t boots;

  assert_int_equal(get_once(e, t, &res), 0);
  boots = t->usm->boots;
  assert_int_equal(usnmp_test_snmpd_restart(&e->agent), 0);
  assert_int_equal(get_once(e, t, &res), 0);
  assert_string_equal(res.text[0], SYSDESCR_TEXT);
  assert_int_equal(t->usm->boots, boots + 1);

  /* Our notion of the agent's time jumps a day ahead, then a day behind
   * (a stale notion after a suspend): each costs one re-synchronisation. */
  t->usm->time += 86400;
  assert_int_equal(get_once(e, t, &res), 0);
  assert_true(t->usm->time < 86400);
  t->usm->synced_ms += 86400000;
  assert_int_equal(get_once(e, t, &res), 0);
  /* Boots behind the agent's (as if we had missed a reboot). */
  t->usm->boots -= 1;
  assert_int_equal(get_once(e, t, &res), 0);
  assert_int_equal(t->usm->boots, boots + 1);
  usnmp_target_close(t);
}

/* A thousand targets with one user hash each password once. */
static void test_key_cache(void **state) {
  env *e = *state;
  usnmp_target *ts[1000];
  uint64_t hits0, misses0, hits, misses;
  result res[8];
  const int *c[8];
  size_t i;

  ts[0] = user_target(e, e->agent.agent4, &shaaes);
  usnmp__crypto_cache_stats(e->m->crypto, &hits0, &misses0);
  for (i = 1; i < 1000; i++)
    ts[i] = user_target(e, i % 2 ? e->agent.agent6 : e->agent.agent4, &shaaes);
  usnmp__crypto_cache_stats(e->m->crypto, &hits, &misses);
  assert_int_equal(misses, misses0);
  assert_int_equal(hits - hits0, 2 * 999);
  /* A few of them talk at once. */
  memset(res, 0, sizeof(res));
  for (i = 0; i < 8; i++) {
    usnmp_oid o = usnmp_test_oid(SYSDESCR);
    assert_int_equal(usnmp_get(ts[i * 100], &o, 1, NULL, usnmp_test_on_response,
                               &res[i], NULL),
                     0);
    c[i] = &res[i].calls;
  }
  usnmp_test_run_until_all(&e->loop, c, 8);
  for (i = 0; i < 8; i++) {
    assert_int_equal(res[i].status, 0);
    assert_string_equal(res[i].text[0], SYSDESCR_TEXT);
  }
  for (i = 0; i < 1000; i++)
    usnmp_target_close(ts[i]);
}

/* Many requests in flight on one target, more than max_oids per request
 * (split), and a tooBig answer split again from the request kept in
 * clear. */
static void test_split_and_many(void **state) {
  env *e = *state;
  usnmp_target *t = user_target(e, e->agent.agent6, &shaaes);
  usnmp_oid oids[25];
  result res[50];
  const int *c[50];
  size_t i;
  for (i = 0; i < 25; i++)
    oids[i] = usnmp_test_oid(SYSDESCR);
  memset(res, 0, sizeof(res));
  for (i = 0; i < 50; i++) {
    assert_int_equal(usnmp_get(t, oids, i % 2 ? 25 : 1, NULL,
                               usnmp_test_on_response, &res[i], NULL),
                     0);
    c[i] = &res[i].calls;
  }
  usnmp_test_run_until_all(&e->loop, c, 50);
  for (i = 0; i < 50; i++) {
    assert_int_equal(res[i].status, 0);
    assert_int_equal(res[i].n, i % 2 ? 25 : 1);
    assert_string_equal(res[i].text[0], SYSDESCR_TEXT);
  }
  usnmp_target_close(t);
}

typedef struct table_result {
  int done;
  int status;
  uint64_t rows;
} table_result;

static int on_row(usnmp_table *tb, const usnmp_table_row *row, void *arg) {
  table_result *tr = arg;
  (void)tb;
  assert_int_equal(row->n_columns, 3);
  tr->rows++;
  return 0;
}

static void on_table_done(usnmp_table *tb, const usnmp_table_result *res,
                          void *arg) {
  table_result *tr = arg;
  (void)tb;
  tr->done++;
  tr->status = res->status;
}

/* sysORTable over v3, GETBULK (the default) and GETNEXT, agree with v2c. */
static void test_table(void **state) {
  env *e = *state;
  usnmp_oid entry = usnmp_test_oid("1.3.6.1.2.1.1.9.1");
  usnmp_target *t3 = user_target(e, e->agent.agent6, &shaaes), *t2;
  table_result bulk = {0}, next = {0}, v2 = {0};
  usnmp_walk_opts opts = {0};
  const int *all[3] = {&bulk.done, &next.done, &v2.done};
  assert_int_equal(usnmp_target_init(e->m, &t2, e->agent.agent4), 0);
  opts.method = USNMP_WALK_GETNEXT;
  assert_int_equal(usnmp_table_start(t3, &entry, NULL, 0, NULL, on_row,
                                     on_table_done, &bulk, NULL),
                   0);
  assert_int_equal(usnmp_table_start(t3, &entry, NULL, 0, &opts, on_row,
                                     on_table_done, &next, NULL),
                   0);
  assert_int_equal(usnmp_table_start(t2, &entry, NULL, 0, NULL, on_row,
                                     on_table_done, &v2, NULL),
                   0);
  usnmp_test_run_until_all(&e->loop, all, 3);
  assert_int_equal(bulk.status, 0);
  assert_int_equal(next.status, 0);
  assert_int_equal(v2.status, 0);
  assert_true(v2.rows >= 5);
  assert_int_equal(bulk.rows, v2.rows);
  assert_int_equal(next.rows, v2.rows);
  usnmp_target_close(t3);
  usnmp_target_close(t2);
}

/* ------------------------------------------------------------------------
 * Allocation failures on every v3 path: the crypto object, the target's
 * state, the request kept in clear, the wire message, a split.
 * ------------------------------------------------------------------------ */

static long run_failing(env *e, long fail_at) {
  usnmp_test_failing f = {fail_at, 0, 0, 0};
  usnmp_allocator alloc = usnmp_test_failing_allocator(&f);
  usnmp_manager *m = NULL;
  usnmp_target *t = NULL;
  usnmp_oid oids[12];
  result a;
  int i, rc, closed = 0;
  for (i = 0; i < 12; i++)
    oids[i] = usnmp_test_oid(SYSDESCR);
  rc = usnmp_manager_init(&m, &e->loop, &alloc);
  if (rc != 0) {
    assert_int_equal(rc, USNMP_E_NOMEM);
    return f.count;
  }
  rc = usnmp_target_init(m, &t, e->agent.agent4);
  if (rc == 0)
    rc = usnmp_target_set_v3_user(t, "shaaes", USNMP_AUTH_SHA,
                                  USNMP_TEST_SNMPD_AUTH_PASS, USNMP_PRIV_AES,
                                  USNMP_TEST_SNMPD_PRIV_PASS);
  if (rc == 0) {
    memset(&a, 0, sizeof(a));
    rc = usnmp_get(t, oids, 12, NULL, usnmp_test_on_response, &a, NULL);
    if (rc == 0) {
      usnmp_test_wait_for(&e->loop, &a);
      assert_true(a.status == 0 || a.status == USNMP_E_NOMEM);
      if (a.status == 0)
        assert_int_equal(a.n, 12);
    }
  }
  assert_true(rc == 0 || rc == USNMP_E_NOMEM);
  usnmp_manager_close(m, usnmp_test_set_flag, &closed);
  while (!closed)
    uv_run(&e->loop, UV_RUN_ONCE);
  assert_int_equal(f.live, 0);
  return f.count;
}

static void test_allocation_failures(void **state) {
  env *e = *state;
  long total = run_failing(e, 0), n;
  assert_true(total > 10);
  for (n = 1; n <= total + 1; n++)
    run_failing(e, n);
}

/* ------------------------------------------------------------------------
 * A hostile agent: answers the probe with junk and then a proper report,
 * and the request with forgeries.
 * ------------------------------------------------------------------------ */

typedef struct hostile {
  uv_udp_t udp;
  usnmp__crypto *crypto;
  usnmp__usm_target agent; /* the agent's side: engine, user, keys */
  int probes, requests;
  /* 1: answer requests properly (authenticated, encrypted), with tooBig
   * to any request of more than one varbind. */
  int friendly;
  int toobig_sent, answered;
  int forgeries; /* mode 2: mangled copies sent before each answer */
} hostile;

static void hostile_send(hostile *h, const struct sockaddr *to,
                         const uint8_t *data, size_t len) {
  uv_buf_t b = uv_buf_init((char *)(uintptr_t)data, (unsigned)len);
  assert_true(uv_udp_try_send(&h->udp, &b, 1, to) == (int)len);
}

/* The friendly mode: decodes the request as the agent and answers it. */
static void agent_answer(hostile *h, const struct sockaddr *from,
                         const uint8_t *data, size_t len) {
  static uint8_t out[4096], scratch[4096];
  usnmp_varbind vbs[16];
  usnmp__msg3 m;
  usnmp_msg pdu;
  size_t n = 0, i;
  int rc;
  rc = usnmp__msg3_decode(h->crypto, &h->agent, data, len, scratch,
                          sizeof(scratch), &m, vbs, 16, &n);
  assert_int_equal(rc, 0);
  assert_true(m.authenticated);
  memset(&pdu, 0, sizeof(pdu));
  pdu.type = USNMP_PDU_RESPONSE;
  pdu.request_id = m.pdu.request_id;
  if (n > 1) {
    pdu.error_status = USNMP_ERROR_STATUS_TOOBIG;
    h->toobig_sent++;
  } else {
    for (i = 0; i < n; i++)
      vbs[i].value = usnmp_value_string("hostile but honest");
    h->answered++;
  }
  rc = usnmp__msg3_encode(h->crypto, &h->agent, 0, m.msg_id, 65507, &pdu, vbs,
                          n, out, sizeof(out));
  assert_true(rc > 0);
  if (h->friendly == 2) {
    /* Before the real answer: every truncation of it, and every one of
     * its bytes flipped, none of which may complete the request. */
    static uint8_t bad[4096];
    size_t k;
    for (k = 1; k < (size_t)rc; k++)
      hostile_send(h, from, out, k);
    for (k = 0; k < (size_t)rc; k++) {
      memcpy(bad, out, (size_t)rc);
      bad[k] ^= k % 2 ? 0x80 : 0x01;
      hostile_send(h, from, bad, (size_t)rc);
    }
    h->forgeries += (int)(2 * (size_t)rc - 1);
  }
  hostile_send(h, from, out, (size_t)rc);
}

static const uint8_t hostile_engine[] = {0x80, 0x00, 0x1f, 0x88, 0x04,
                                         'h',  'o',  's',  't'};

static void on_hostile_recv(uv_udp_t *u, ssize_t nread, const uv_buf_t *buf,
                            const struct sockaddr *from, unsigned flags) {
  hostile *h = u->data;
  static uint8_t out[2048];
  int32_t msg_id;
  (void)flags;
  if (nread <= 0 || from == NULL) {
    free(buf->base);
    return;
  }
  assert_int_equal(
      usnmp__msg3_peek_msg_id((uint8_t *)buf->base, (size_t)nread, &msg_id), 0);
  if (nread < 80) {
    /* The probe (no user, no varbinds: short).  First junk: truncated,
     * a v2c message with the msgID as request-id, a wrong msgID. */
    static const uint8_t junk[] = {0x30, 0x81, 0x05, 0x02, 0x01, 0x03};
    usnmp_varbind vb;
    usnmp_msg pdu;
    uint8_t report_oid[] = {0x2b, 6, 1, 6, 3, 15, 1, 1, 4, 0};
    int len;
    h->probes++;
    hostile_send(h, from, junk, sizeof(junk));
    hostile_send(h, from, (const uint8_t *)buf->base, (size_t)nread - 1);
    memset(&vb, 0, sizeof(vb));
    vb.oid = report_oid;
    vb.oid_len = sizeof(report_oid);
    vb.value = usnmp_value_counter32(1);
    memset(&pdu, 0, sizeof(pdu));
    pdu.type = USNMP_PDU_REPORT;
    pdu.request_id = msg_id;
    /* A report with a wrong msgID first (dropped as unknown). */
    len = usnmp__msg3_encode(h->crypto, &h->agent, 0, msg_id ^ 1, 65507, &pdu,
                             &vb, 1, out, sizeof(out));
    assert_true(len > 0);
    hostile_send(h, from, out, (size_t)len);
    /* Then the real one, at noAuthNoPriv as RFC 3414 4 says. */
    h->agent.level = USNMP_SEC_NOAUTHNOPRIV;
    len = usnmp__msg3_encode(h->crypto, &h->agent, 0, msg_id, 65507, &pdu, &vb,
                             1, out, sizeof(out));
    h->agent.level = USNMP_SEC_AUTHPRIV;
    assert_true(len > 0);
    hostile_send(h, from, out, (size_t)len);
  } else if (h->friendly) {
    h->requests++;
    agent_answer(h, from, (const uint8_t *)buf->base, (size_t)nread);
  } else {
    /* The request: echo it back with flipped bits (its MAC fails), and
     * a copy with the MAC field zeroed; never a real answer. */
    size_t i;
    h->requests++;
    memcpy(out, buf->base, (size_t)nread);
    out[nread - 1] ^= 0x01;
    hostile_send(h, from, out, (size_t)nread);
    memcpy(out, buf->base, (size_t)nread);
    for (i = 0; i + 12 < (size_t)nread; i++)
      if (out[i] == 0x04 && out[i + 1] == 12) {
        memset(out + i + 2, 0, 12);
        break;
      }
    hostile_send(h, from, out, (size_t)nread);
  }
  free(buf->base);
}

static void hostile_alloc(uv_handle_t *hd, size_t size, uv_buf_t *buf) {
  (void)hd;
  buf->base = malloc(size);
  buf->len = buf->base ? (unsigned)size : 0;
}

static void test_hostile_agent(void **state) {
  env *e = *state;
  hostile h;
  struct sockaddr_in addr;
  int namelen = sizeof(addr);
  char agent[64];
  usnmp_target *t;
  usnmp_stats st;
  result res;

  memset(&h, 0, sizeof(h));
  assert_int_equal(usnmp__crypto_new(&h.crypto, NULL), 0);
  assert_int_equal(usnmp__usm_target_init(h.crypto, &h.agent), 0);
  assert_int_equal(usnmp__usm_target_set_user(h.crypto, &h.agent, "shaaes",
                                              USNMP_AUTH_SHA, "authpass123",
                                              USNMP_PRIV_AES, "privpass123"),
                   0);
  assert_int_equal(usnmp__usm_target_set_engine(h.crypto, &h.agent,
                                                hostile_engine,
                                                sizeof(hostile_engine), 1),
                   0);
  usnmp__usm_target_resync(&h.agent, 3, 1000, 0, 1);
  assert_int_equal(uv_udp_init(&e->loop, &h.udp), 0);
  h.udp.data = &h;
  assert_int_equal(uv_ip4_addr("127.0.0.1", 0, &addr), 0);
  assert_int_equal(uv_udp_bind(&h.udp, (struct sockaddr *)&addr, 0), 0);
  assert_int_equal(
      uv_udp_getsockname(&h.udp, (struct sockaddr *)&addr, &namelen), 0);
  assert_int_equal(uv_udp_recv_start(&h.udp, hostile_alloc, on_hostile_recv),
                   0);
  {
    /* Room for a burst of several hundred mangled datagrams. */
    int size = 4 * 1024 * 1024;
    assert_int_equal(uv_send_buffer_size((uv_handle_t *)&h.udp, &size), 0);
  }
  snprintf(agent, sizeof(agent), "127.0.0.1:%u", ntohs(addr.sin_port));

  t = user_target(e, agent, &shaaes);
  assert_int_equal(usnmp_target_set_resend(t, 100), 0);
  assert_int_equal(usnmp_target_set_retries(t, 2), 0);
  assert_int_equal(get_once(e, t, &res), USNMP_E_AUTH_FAILURE);
  assert_int_equal(h.probes, 1);
  assert_int_equal(h.requests, 3);
  /* Discovery learnt the engine and its clock hint. */
  assert_int_equal(t->usm->engine_id_len, sizeof(hostile_engine));
  assert_int_equal(t->usm->boots, 3);
  usnmp_manager_stats(e->m, &st);
  /* Two forged answers per datagram sent, so 6 at most; those to an
   * earlier try that arrive after its resend (a slow machine, valgrind)
   * no longer match a pending id and count as unknown instead. */
  assert_true(st.dropped_auth >= 1 && st.dropped_auth <= 6);
  assert_true(st.dropped_malformed >= 2);
  assert_true(st.dropped_unknown_id >= 1);
  usnmp_target_close(t);

  /* The same agent answering honestly, with tooBig to every request of
   * several varbinds: the encrypted request is split from the PDU the
   * manager kept in clear, down to single varbinds, each authenticated
   * and answered. */
  {
    usnmp_oid oids[4] = {usnmp_test_oid(SYSDESCR), usnmp_test_oid(SYSLOCATION),
                         usnmp_test_oid("1.3.6.1.2.1.1.5.0"),
                         usnmp_test_oid("1.3.6.1.2.1.1.4.0")};
    h.friendly = 1;
    h.requests = h.probes = 0;
    t = user_target(e, agent, &shaaes);
    memset(&res, 0, sizeof(res));
    assert_int_equal(
        usnmp_get(t, oids, 4, NULL, usnmp_test_on_response, &res, NULL), 0);
    usnmp_test_wait_for(&e->loop, &res);
    assert_int_equal(res.status, 0);
    assert_int_equal(res.error_status, 0);
    assert_int_equal(res.n, 4);
    assert_string_equal(res.text[1], ".1.3.6.1.2.1.1.6.0 = STRING: "
                                     "\"hostile but honest\"");
    assert_int_equal(h.toobig_sent, 3); /* 4, then 2 and 2 */
    assert_int_equal(h.answered, 4);
    assert_int_equal(h.probes, 1);
    usnmp_target_close(t);
  }

  /* Mangled answers (every truncation, every byte flipped) arrive before
   * the real one: each is dropped, the real one completes the request. */
  {
    usnmp_stats before, after;
    uint64_t dropped;
    h.friendly = 2;
    t = user_target(e, agent, &shaaes);
    assert_int_equal(get_once(e, t, &res), 0); /* discovery */
    usnmp_manager_stats(e->m, &before);
    h.forgeries = 0;
    assert_int_equal(get_once(e, t, &res), 0);
    assert_string_equal(res.text[0], ".1.3.6.1.2.1.1.1.0 = STRING: "
                                     "\"hostile but honest\"");
    usnmp_manager_stats(e->m, &after);
    assert_true(h.forgeries > 200);
    assert_int_equal(after.accepted - before.accepted, 1);
    dropped = (after.dropped_auth - before.dropped_auth) +
              (after.dropped_malformed - before.dropped_malformed) +
              (after.dropped_unknown_id - before.dropped_unknown_id) +
              (after.dropped_wrong_version - before.dropped_wrong_version) +
              (after.dropped_wrong_pdu - before.dropped_wrong_pdu);
    assert_int_equal(dropped, (uint64_t)h.forgeries);
    usnmp_target_close(t);
  }

  uv_close((uv_handle_t *)&h.udp, NULL);
  uv_run(&e->loop, UV_RUN_NOWAIT);
  usnmp__usm_target_wipe(&h.agent);
  usnmp__crypto_free(h.crypto);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      USNMP_TEST_SNMPD_ENV_TEST(test_every_user),
      USNMP_TEST_SNMPD_ENV_TEST(test_wrong_secrets),
      USNMP_TEST_SNMPD_ENV_TEST(test_given_engine_id),
      USNMP_TEST_SNMPD_ENV_TEST(test_contexts),
      USNMP_TEST_SNMPD_ENV_TEST(test_split_and_many),
      USNMP_TEST_SNMPD_ENV_TEST(test_table),
      USNMP_TEST_SNMPD_ENV_TEST(test_allocation_failures),
      USNMP_TEST_SNMPD_ENV_TEST(test_key_cache),
      USNMP_TEST_SNMPD_ENV_TEST(test_hostile_agent),
      USNMP_TEST_SNMPD_ENV_TEST(test_restart_and_clock_jump),
  };
  return cmocka_run_group_tests(tests, usnmp_test_snmpd_env_group_setup,
                                usnmp_test_snmpd_env_group_teardown);
}
