/*
 * SNMPv3 engine handling (usnmp.h, "SNMPv3"): the agent's engine ID is
 * learnt only by discovery; afterwards an unauthenticated unknownEngineID
 * report fails the request it answers and never re-points the target,
 * never makes us send anything authenticated for the engine it names, and
 * never changes boots, time or msgMaxSize.  Also the explicit
 * re-discovery and the engine ID getter.  Against the scripted v3 agent
 * of test/v3_responder.h, which forges reports the way an on-path
 * attacker would.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "manager_int.h"
#include "test_util.h"
#include "v3_responder.h"

static const uint8_t engine_a[] = {0x80, 0x00, 0x1f, 0x88, 0x04, 'e', 'n',
                                   'g',  'i',  'n',  'e',  '-',  'A'};
static const uint8_t engine_b[] = {0x80, 0x00, 0x1f, 0x88, 0x04, 'e', 'n',
                                   'g',  'i',  'n',  'e',  '-',  'B'};
static const uint8_t engine_c[] = {0x80, 0x00, 0x1f, 0x88, 0x04, 'e', 'n',
                                   'g',  'i',  'n',  'e',  '-',  'C'};

typedef struct env {
  uv_loop_t loop;
  usnmp_manager *m;
  v3_responder *agent; /* engine A; forged reports name engine B */
  usnmp_target *t;
} env;

static int setup(void **state) {
  env *e = calloc(1, sizeof(*e));
  assert_non_null(e);
  assert_int_equal(uv_loop_init(&e->loop), 0);
  assert_int_equal(usnmp_manager_init(&e->m, &e->loop, NULL), 0);
  e->agent = v3_responder_new(&e->loop, engine_a, sizeof(engine_a), engine_b,
                              sizeof(engine_b), 5, 1000);
  e->t = v3_responder_target(e->agent, e->m);
  assert_int_equal(usnmp_target_set_resend(e->t, 100), 0);
  assert_int_equal(usnmp_target_set_retries(e->t, 2), 0);
  *state = e;
  return 0;
}

static int teardown(void **state) {
  env *e = *state;
  v3_responder_finish(&e->loop, e->m, e->agent);
  free(e);
  return 0;
}

static int get_once(env *e, usnmp_test_result *res) {
  usnmp_oid o = usnmp_test_oid("1.3.6.1.2.1.1.1.0");
  memset(res, 0, sizeof(*res));
  assert_int_equal(
      usnmp_get(e->t, &o, 1, NULL, usnmp_test_on_response, res, NULL), 0);
  usnmp_test_wait_for(&e->loop, res);
  assert_int_equal(res->calls, 1);
  return res->status;
}

/* What an unauthenticated report must never change. */
typedef struct engine_state {
  uint8_t engine_id[USNMP_ENGINE_ID_MAX];
  size_t engine_id_len;
  uint32_t boots, time;
  uint64_t synced_ms;
  int time_known, time_authentic;
  int32_t agent_max_size;
  uint8_t auth_key[USNMP__USM_KEY_MAX], priv_key[USNMP__USM_KEY_MAX];
} engine_state;

static engine_state state_of(const usnmp_target *t) {
  engine_state s;
  memset(&s, 0, sizeof(s));
  memcpy(s.engine_id, t->usm->engine_id, t->usm->engine_id_len);
  s.engine_id_len = t->usm->engine_id_len;
  s.boots = t->usm->boots;
  s.time = t->usm->time;
  s.synced_ms = t->usm->synced_ms;
  s.time_known = t->usm->time_known;
  s.time_authentic = t->usm->time_authentic;
  s.agent_max_size = t->usm->agent_max_size;
  memcpy(s.auth_key, t->usm->auth_key, sizeof(s.auth_key));
  memcpy(s.priv_key, t->usm->priv_key, sizeof(s.priv_key));
  return s;
}

static void assert_engine_a(env *e) {
  uint8_t id[USNMP_ENGINE_ID_MAX];
  assert_int_equal(usnmp_target_v3_engine_id(e->t, id, sizeof(id)),
                   (int)sizeof(engine_a));
  assert_memory_equal(id, engine_a, sizeof(engine_a));
}

/* Discovery against engine A, an authenticated GET, then forged reports
 * naming engine B, and naming A itself with other boots and time: each
 * fails its request with USNMP_E_ENGINE_MISMATCH; nothing ever reaches the
 * agent authenticated for B, and the engine state is untouched.  The
 * target goes on with A afterwards. */
static void test_forged_report_after_discovery(void **state) {
  env *e = *state;
  v3_responder *a = e->agent;
  usnmp_test_result res;
  engine_state before, after;
  usnmp_stats st;
  int rc;

  assert_int_equal(usnmp_target_v3_engine_id(e->t, NULL, 0), 0);
  assert_int_equal(get_once(e, &res), 0);
  assert_string_equal(res.text[0], ".1.3.6.1.2.1.1.1.0 = STRING: \"answer\"");
  assert_int_equal(a->probes, 1);
  assert_int_equal(a->for_agent, 1);
  assert_engine_a(e);
  assert_true(e->t->usm->time_authentic);
  assert_int_equal(e->t->usm->boots, 5);
  before = state_of(e->t);

  a->mode = V3R_FORGE_ENGINE;
  rc = get_once(e, &res);
  /* Nothing was sent authenticated for B (with the keys B would check). */
  assert_int_equal(a->for_other, 0);
  assert_int_equal(rc, USNMP_E_ENGINE_MISMATCH);
  assert_int_equal(a->forged, 1);
  /* Let anything the report could have caused reach the agent. */
  a->mode = V3R_SILENT;
  {
    usnmp_test_result idle;
    usnmp_oid o = usnmp_test_oid("1.3.6.1.2.1.1.2.0");
    usnmp_request_opts ro = {0};
    ro.flags = USNMP_REQUEST_RETRIES;
    ro.retries = 0;
    memset(&idle, 0, sizeof(idle));
    assert_int_equal(
        usnmp_get(e->t, &o, 1, &ro, usnmp_test_on_response, &idle, NULL), 0);
    usnmp_test_wait_for(&e->loop, &idle);
    assert_int_equal(idle.status, USNMP_E_TIMEOUT);
  }
  assert_int_equal(a->for_other, 0);
  assert_int_equal(a->requests, a->for_agent);
  after = state_of(e->t);
  assert_memory_equal(&before, &after, sizeof(before));
  assert_engine_a(e);

  /* A forged report naming A itself, with other boots, time and size. */
  a->mode = V3R_FORGE_ENGINE;
  memcpy(&a->other, &a->agent, sizeof(a->other));
  assert_int_equal(get_once(e, &res), USNMP_E_ENGINE_MISMATCH);
  after = state_of(e->t);
  assert_memory_equal(&before, &after, sizeof(before));

  /* The target still talks to A, at A's clock. */
  a->mode = V3R_ANSWER;
  assert_int_equal(get_once(e, &res), 0);
  assert_int_equal(a->probes, 1);
  assert_int_equal(e->t->usm->boots, 5);
  assert_true(e->t->usm->time_authentic);
  usnmp_manager_stats(e->m, &st);
  assert_int_equal(st.dropped_auth, 0);
}

/* An engine ID given by the caller (pinned) is not replaced either: the
 * forged report fails the request with USNMP_E_UNKNOWN_ENGINE_ID, and
 * nothing is sent for B. */
static void test_forged_report_pinned_engine(void **state) {
  env *e = *state;
  v3_responder *a = e->agent;
  usnmp_test_result res;
  engine_state before, after;

  assert_int_equal(
      usnmp_target_set_v3_engine_id(e->t, engine_a, sizeof(engine_a)), 0);
  assert_engine_a(e);
  /* No probe; the agent's clock comes with its first response. */
  assert_int_equal(get_once(e, &res), 0);
  assert_int_equal(a->probes, 0);
  before = state_of(e->t);
  a->mode = V3R_FORGE_ENGINE;
  assert_int_equal(get_once(e, &res), USNMP_E_UNKNOWN_ENGINE_ID);
  after = state_of(e->t);
  assert_memory_equal(&before, &after, sizeof(before));
  assert_int_equal(a->for_other, 0);
  assert_engine_a(e);
}

/* Discovery itself still learns from the unauthenticated report (there is
 * nothing else to learn from), and a forged answer to the probe cannot be
 * told apart: that is what pinning the engine ID (read with
 * usnmp_target_v3_engine_id) is for.  After a real change of agent the
 * user re-discovers explicitly. */
static void test_rediscover(void **state) {
  env *e = *state;
  v3_responder *a = e->agent;
  usnmp_test_result res;
  uint8_t id[USNMP_ENGINE_ID_MAX];
  usnmp_target *v2;

  assert_int_equal(get_once(e, &res), 0);
  assert_engine_a(e);
  /* Getter edge cases. */
  assert_int_equal(usnmp_target_v3_engine_id(e->t, id, 5), USNMP_E_NOBUFS);
  assert_int_equal(usnmp_target_v3_engine_id(e->t, NULL, 5), USNMP_E_INVAL);
  assert_int_equal(usnmp_target_v3_engine_id(NULL, id, sizeof(id)),
                   USNMP_E_INVAL);
  assert_int_equal(usnmp_target_init(e->m, &v2, a->address), 0);
  assert_int_equal(usnmp_target_v3_engine_id(v2, id, sizeof(id)), 0);
  assert_int_equal(usnmp_target_v3_rediscover(v2), USNMP_E_INVAL);
  assert_int_equal(usnmp_target_v3_rediscover(NULL), USNMP_E_INVAL);
  usnmp_target_close(v2);

  /* The agent is replaced by engine C: its report fails our requests
   * until we ask for discovery again. */
  v3_responder_set_engine(a, engine_c, sizeof(engine_c));
  memcpy(&a->other, &a->agent, sizeof(a->other));
  a->mode = V3R_FORGE_ENGINE; /* C's honest unknownEngineID report */
  assert_int_equal(get_once(e, &res), USNMP_E_ENGINE_MISMATCH);
  assert_engine_a(e);

  assert_int_equal(usnmp_target_v3_rediscover(e->t), 0);
  assert_int_equal(usnmp_target_v3_engine_id(e->t, id, sizeof(id)), 0);
  assert_int_equal(e->t->usm->agent_max_size, 0);
  a->mode = V3R_ANSWER;
  assert_int_equal(get_once(e, &res), 0);
  assert_int_equal(a->probes, 2);
  assert_int_equal(usnmp_target_v3_engine_id(e->t, id, sizeof(id)),
                   (int)sizeof(engine_c));
  assert_memory_equal(id, engine_c, sizeof(engine_c));

  /* A pinned engine ID is forgotten too. */
  assert_int_equal(
      usnmp_target_set_v3_engine_id(e->t, engine_a, sizeof(engine_a)), 0);
  assert_int_equal(usnmp_target_v3_rediscover(e->t), 0);
  assert_int_equal(get_once(e, &res), 0);
  assert_int_equal(a->probes, 3);
  assert_int_equal(usnmp_target_v3_engine_id(e->t, id, sizeof(id)),
                   (int)sizeof(engine_c));
}

/* The rules themselves, on usnmp__msg3_reply_action (lib/usm.h): an
 * unknownEngineID report teaches an engine only while the target has
 * none; afterwards it fails the request and changes nothing, except that
 * a probe's report naming the engine already known sends it again. */
static void test_reply_action_rules(void **state) {
  usnmp__crypto *c;
  usnmp__usm_target t, saved;
  usnmp__msg3 m;
  int status;
  (void)state;

  assert_int_equal(usnmp__crypto_new(&c, NULL), 0);
  assert_int_equal(usnmp__usm_target_init(c, &t), 0);
  assert_int_equal(usnmp__usm_target_set_user(c, &t, V3R_USER, USNMP_AUTH_SHA,
                                              V3R_AUTH_PASS, USNMP_PRIV_AES,
                                              V3R_PRIV_PASS),
                   0);
  memset(&m, 0, sizeof(m));
  m.pdu.type = USNMP_PDU_REPORT;
  m.report = USNMP_E_UNKNOWN_ENGINE_ID;
  m.engine_id = engine_a;
  m.engine_id_len = sizeof(engine_a);
  m.boots = 5;
  m.time = 1000;
  m.max_size = 1500;

  /* Discovery (the probe's flag does not matter while nothing is known). */
  assert_int_equal(usnmp__msg3_reply_action(c, &t, &m, 0, 0, &status),
                   USNMP__V3_RETRY);
  assert_int_equal(t.engine_id_len, sizeof(engine_a));
  assert_int_equal(t.boots, 5);
  assert_int_equal(t.agent_max_size, 1500);
  assert_false(t.time_authentic);
  /* The first authenticated response makes the time authentic. */
  assert_int_equal(usnmp__usm_target_check_time(&t, 5, 1001, 10), 0);
  memcpy(&saved, &t, sizeof(saved));

  /* Every later report: another engine, the same one, with or without
   * the probe's flag, retried or not. */
  m.engine_id = engine_b;
  m.boots = 99;
  m.time = 99999;
  m.max_size = 484;
  assert_int_equal(usnmp__msg3_reply_action(c, &t, &m, 20, 0, &status),
                   USNMP__V3_FAIL);
  assert_int_equal(status, USNMP_E_ENGINE_MISMATCH);
  assert_int_equal(
      usnmp__msg3_reply_action(c, &t, &m, 20, USNMP__V3_PROBE, &status),
      USNMP__V3_FAIL);
  assert_int_equal(status, USNMP_E_ENGINE_MISMATCH);
  m.engine_id = engine_a;
  assert_int_equal(usnmp__msg3_reply_action(c, &t, &m, 20, 0, &status),
                   USNMP__V3_FAIL);
  assert_int_equal(status, USNMP_E_ENGINE_MISMATCH);
  assert_int_equal(
      usnmp__msg3_reply_action(c, &t, &m, 20, USNMP__V3_RETRIED, &status),
      USNMP__V3_FAIL);
  assert_int_equal(status, USNMP_E_UNKNOWN_ENGINE_ID);
  assert_memory_equal(&t, &saved, sizeof(t));
  /* A probe that raced with a discovery already done goes on, to the
   * same engine, at the same clock. */
  assert_int_equal(
      usnmp__msg3_reply_action(c, &t, &m, 20, USNMP__V3_PROBE, &status),
      USNMP__V3_RETRY);
  assert_memory_equal(&t, &saved, sizeof(t));

  /* A given engine ID keeps its own status. */
  assert_int_equal(
      usnmp__usm_target_set_engine(c, &t, engine_a, sizeof(engine_a), 1), 0);
  m.engine_id = engine_b;
  assert_int_equal(usnmp__msg3_reply_action(c, &t, &m, 20, 0, &status),
                   USNMP__V3_FAIL);
  assert_int_equal(status, USNMP_E_UNKNOWN_ENGINE_ID);
  assert_int_equal(t.boots, 5);
  assert_true(t.time_authentic);

  /* An unauthenticated notInTimeWindow report changes nothing either. */
  memcpy(&saved, &t, sizeof(saved));
  m.report = USNMP_E_NOT_IN_TIME_WINDOW;
  assert_int_equal(usnmp__msg3_reply_action(c, &t, &m, 20, 0, &status),
                   USNMP__V3_FAIL);
  assert_int_equal(status, USNMP_E_NOT_IN_TIME_WINDOW);
  assert_memory_equal(&t, &saved, sizeof(t));

  usnmp__usm_target_wipe(&t);
  usnmp__usm_target_wipe(&saved);
  usnmp__crypto_free(c);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_reply_action_rules),
      cmocka_unit_test_setup_teardown(test_forged_report_after_discovery, setup,
                                      teardown),
      cmocka_unit_test_setup_teardown(test_forged_report_pinned_engine, setup,
                                      teardown),
      cmocka_unit_test_setup_teardown(test_rediscover, setup, teardown),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
