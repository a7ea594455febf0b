/*
 * The notification receiver and sender (lib/notify_*.c).
 *
 * Two levels:
 *   - the protocol core (usnmp__notify_process) fed with datagrams built
 *     here, for what needs exact control of the bytes: v1 translation,
 *     10,000 v3 sender engines, several pass phrases per user name,
 *     replays and the time window, Reports, the bounded key cache;
 *   - the receiver and the sender on a libuv loop over loopback sockets:
 *     traps and informs of every version end to end, an inform
 *     retransmitted (acknowledged twice, delivered once), a multihomed
 *     receiver answering from the address the inform was sent to.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cmocka.h>

#include "notify_int.h"
#include "test_util.h"

/* ------------------------------------------------------------------------
 * The core, with datagrams made here
 * ------------------------------------------------------------------------ */

typedef struct seen {
  int count;
  usnmp_notification last;
  char vbs[16][256];
  size_t n_vbs;
  char engine[USNMP_ENGINE_ID_MAX];
  size_t engine_len;
} seen;

static void on_note(usnmp_receiver *rx, const usnmp_notification *n,
                    void *arg) {
  seen *s = arg;
  size_t i;
  (void)rx;
  s->count++;
  s->last = *n;
  s->n_vbs = n->varbind_count;
  for (i = 0; i < n->varbind_count && i < 16; i++)
    usnmp_varbind_format(s->vbs[i], sizeof(s->vbs[i]), &n->varbinds[i]);
  s->engine_len = n->engine_id_len;
  if (n->engine_id_len)
    memcpy(s->engine, n->engine_id, n->engine_id_len);
}

typedef struct core_env {
  usnmp__notify nc;
  seen s;
  uint8_t reply[USNMP_MAX_MSG_SIZE];
  size_t reply_len;
  struct sockaddr_in from;
  uint64_t now_ms;
} core_env;

static int core_setup(void **state) {
  core_env *e = calloc(1, sizeof(*e));
  assert_non_null(e);
  assert_int_equal(usnmp__notify_init(&e->nc, NULL, 1000), 0);
  e->nc.cb = on_note;
  e->nc.cb_arg = &e->s;
  e->from.sin_family = AF_INET;
  e->from.sin_port = htons(5555);
  e->from.sin_addr.s_addr = htonl(0x7f000001);
  e->now_ms = 1000;
  *state = e;
  return 0;
}

static int core_teardown(void **state) {
  core_env *e = *state;
  usnmp__notify_free(&e->nc);
  free(e);
  return 0;
}

static void feed(core_env *e, const uint8_t *data, size_t len) {
  usnmp__notify_process(&e->nc, data, len, (struct sockaddr *)&e->from, NULL,
                        e->now_ms, e->reply, sizeof(e->reply), &e->reply_len);
}

static const uint8_t oid_name[] = {0x2b, 6, 1, 2, 1, 1, 5, 0};

/* sysName.0 = value: the varbind the tests send. */
static usnmp_varbind name_vb(usnmp_value value) {
  usnmp_varbind vb;
  memset(&vb, 0, sizeof(vb));
  vb.oid = oid_name;
  vb.oid_len = sizeof(oid_name);
  vb.value = value;
  return vb;
}

#if USNMP_HAVE_SNMPV3
/* A sender's v3 state: user with one pass phrase for both keys, keys
 * localised to engine, its clock at boots/time. */
static void sender_usm(core_env *e, usnmp__usm_target *t, const char *user,
                       usnmp_auth_proto auth, usnmp_priv_proto priv,
                       const char *pass, const uint8_t *engine,
                       size_t engine_len, uint32_t boots, uint32_t time) {
  assert_int_equal(usnmp__usm_target_init(e->nc.crypto, t), 0);
  assert_int_equal(
      usnmp__usm_target_set_user(e->nc.crypto, t, user, auth, pass, priv, pass),
      0);
  assert_int_equal(
      usnmp__usm_target_set_engine(e->nc.crypto, t, engine, engine_len, 1), 0);
  usnmp__usm_target_resync(t, boots, time, e->now_ms, 1);
}

/* A v3 trap from engine (as its authoritative sender) for user with the
 * given pass phrase: SHA / AES-128 authPriv. */
static size_t v3_trap(core_env *e, uint8_t *buf, size_t size,
                      const uint8_t *engine, size_t engine_len,
                      const char *user, const char *pass, uint32_t boots,
                      uint32_t time, int32_t msg_id) {
  usnmp__usm_target t;
  usnmp_varbind vb;
  usnmp_msg pdu;
  int len;
  sender_usm(e, &t, user, USNMP_AUTH_SHA, USNMP_PRIV_AES, pass, engine,
             engine_len, boots, time);
  vb = name_vb(usnmp_value_string("hello"));
  memset(&pdu, 0, sizeof(pdu));
  pdu.version = USNMP_VERSION_3;
  pdu.type = USNMP_PDU_TRAP_V2;
  pdu.request_id = msg_id;
  len = usnmp__msg3_encode(e->nc.crypto, &t, e->now_ms, msg_id, 65507, &pdu,
                           &vb, 1, buf, size);
  usnmp__usm_target_wipe(&t);
  assert_true(len > 0);
  return (size_t)len;
}

static void engine_n(uint8_t id[9], uint32_t n) {
  id[0] = 0x80;
  id[1] = 0;
  id[2] = 0;
  id[3] = 0;
  id[4] = 5;
  id[5] = (uint8_t)(n >> 24);
  id[6] = (uint8_t)(n >> 16);
  id[7] = (uint8_t)(n >> 8);
  id[8] = (uint8_t)n;
}

/* Adds user (SHA/AES-128, pass for both keys), pinned to the 9-byte
 * engine pin unless it is NULL. */
static void add_user(core_env *e, const char *user, const char *pass,
                     const uint8_t *pin) {
  assert_int_equal(usnmp__notify_add_user(&e->nc, user, USNMP_AUTH_SHA, pass,
                                          USNMP_PRIV_AES, pass, pin,
                                          pin ? 9 : 0),
                   0);
}

/* Feeds a v3 authPriv trap of user from the 9-byte engine (v3_trap). */
static void trap_from(core_env *e, const uint8_t *engine, const char *user,
                      const char *pass, uint32_t boots, uint32_t time,
                      int32_t msg_id) {
  uint8_t buf[1024];
  feed(
      e, buf,
      v3_trap(e, buf, sizeof(buf), engine, 9, user, pass, boots, time, msg_id));
}

/* Adds user "monitor" (SHA/AES) and feeds one authPriv trap of it from
 * each of n engines 1..n; the last engine ID is left in last_id. */
static void traps_from_engines(core_env *e, uint32_t n, uint8_t last_id[9]) {
  uint8_t buf[1024];
  uint32_t i;
  add_user(e, "monitor", "pass-phrase-1", NULL);
  for (i = 0; i < n; i++) {
    size_t len;
    engine_n(last_id, i + 1);
    len = v3_trap(e, buf, sizeof(buf), last_id, 9, "monitor", "pass-phrase-1",
                  1, 100, (int32_t)i + 1);
    feed(e, buf, len);
  }
}
#endif /* USNMP_HAVE_SNMPV3 */

/* RFC 3584 3.1: a v1 trap also arrives in SNMPv2 form. */
static void test_v1_translation(void **state) {
  core_env *e = *state;
  uint8_t buf[512];
  uint8_t ent_ber[64];
  usnmp_msg msg;
  usnmp_varbind vb;
  usnmp_oid ent = usnmp_test_oid(".1.3.6.1.4.1.8072.9");
  int len;

  assert_int_equal(usnmp__notify_add_community(&e->nc, "public"), 0);
  memset(&msg, 0, sizeof(msg));
  msg.version = USNMP_VERSION_1;
  msg.community = (const uint8_t *)"public";
  msg.community_len = 6;
  msg.type = USNMP_PDU_TRAP_V1;
  len = usnmp_oid_to_ber(ent_ber, sizeof(ent_ber), &ent);
  msg.trap.enterprise = ent_ber;
  msg.trap.enterprise_len = (size_t)len;
  memcpy(msg.trap.agent_addr, "\xc0\x00\x02\x07", 4);
  msg.trap.generic_trap = 6;
  msg.trap.specific_trap = 17;
  msg.trap.time_stamp = 4242;
  vb = name_vb(usnmp_value_integer(5));
  len = usnmp_msg_encode(buf, sizeof(buf), &msg, &vb, 1);
  assert_true(len > 0);
  feed(e, buf, (size_t)len);
  assert_int_equal(e->s.count, 1);
  assert_int_equal(e->s.last.pdu, USNMP_PDU_TRAP_V1);
  assert_int_equal(e->s.n_vbs, 6);
  assert_string_equal(e->s.vbs[0],
                      ".1.3.6.1.2.1.1.3.0 = Timeticks: (4242) 0:00:42.42");
  assert_string_equal(e->s.vbs[1], ".1.3.6.1.6.3.1.1.4.1.0 = OID: "
                                   ".1.3.6.1.4.1.8072.9.0.17");
  assert_string_equal(e->s.vbs[2], ".1.3.6.1.2.1.1.5.0 = INTEGER: 5");
  assert_string_equal(e->s.vbs[3],
                      ".1.3.6.1.6.3.18.1.3.0 = IpAddress: 192.0.2.7");
  assert_string_equal(e->s.vbs[4],
                      ".1.3.6.1.6.3.18.1.4.0 = STRING: \"public\"");
  assert_string_equal(e->s.vbs[5],
                      ".1.3.6.1.6.3.1.1.4.3.0 = OID: .1.3.6.1.4.1.8072.9");
  assert_int_equal(e->reply_len, 0);

  /* A generic trap: linkDown (2) is snmpTraps.3. */
  msg.trap.generic_trap = 2;
  len = usnmp_msg_encode(buf, sizeof(buf), &msg, &vb, 1);
  feed(e, buf, (size_t)len);
  assert_int_equal(e->s.count, 2);
  assert_string_equal(e->s.vbs[1],
                      ".1.3.6.1.6.3.1.1.4.1.0 = OID: .1.3.6.1.6.3.1.1.5.3");

  /* Another community: dropped and counted. */
  msg.community = (const uint8_t *)"private";
  msg.community_len = 7;
  len = usnmp_msg_encode(buf, sizeof(buf), &msg, &vb, 1);
  feed(e, buf, (size_t)len);
  assert_int_equal(e->s.count, 2);
  assert_int_equal(e->nc.stats.dropped_community, 1);
  /* A GET is not a notification. */
  msg.community = (const uint8_t *)"public";
  msg.community_len = 6;
  msg.type = USNMP_PDU_GET;
  len = usnmp_msg_encode(buf, sizeof(buf), &msg, &vb, 1);
  feed(e, buf, (size_t)len);
  assert_int_equal(e->nc.stats.dropped_pdu, 1);
  /* Garbage. */
  feed(e, (const uint8_t *)"\x30\x03\x02\x01", 4);
  assert_int_equal(e->nc.stats.dropped_malformed, 1);
  assert_int_equal(e->nc.stats.received, 5);
}

#if USNMP_HAVE_SNMPV3
/* 10,000 sender engines, one user line, no per-sender configuration. */
static void test_v3_many_engines(void **state) {
  core_env *e = *state;
  uint8_t id[9];
  traps_from_engines(e, 10000, id);
  assert_int_equal(e->s.count, 10000);
  assert_int_equal(e->nc.stats.delivered, 10000);
  assert_int_equal(e->nc.stats.key_cache_entries, 10000);
  assert_int_equal(e->nc.stats.key_cache_evictions, 0);
  assert_memory_equal(e->s.engine, id, sizeof(id));
  assert_int_equal(e->s.last.security_level, USNMP_SEC_AUTHPRIV);
  assert_string_equal(e->s.vbs[0], ".1.3.6.1.2.1.1.5.0 = STRING: \"hello\"");
}

/* Memory stays bounded: the cache keeps its limit, oldest out first. */
static void test_v3_cache_bounded(void **state) {
  core_env *e = *state;
  uint8_t id[9];
  assert_int_equal(usnmp__notify_set_cache_limit(&e->nc, 100), 0);
  traps_from_engines(e, 1000, id);
  assert_int_equal(e->s.count, 1000);
  assert_int_equal(e->nc.stats.key_cache_entries, 100);
  assert_int_equal(e->nc.stats.key_cache_evictions, 900);
}

/* Two senders, one user name, different pass phrases; a third pass phrase
 * fails. */
static void test_v3_two_pass_phrases(void **state) {
  core_env *e = *state;
  uint8_t a[9], b[9], c[9];
  engine_n(a, 1);
  engine_n(b, 2);
  engine_n(c, 3);
  add_user(e, "ops", "first-secret", NULL);
  add_user(e, "ops", "second-secret", NULL);
  trap_from(e, a, "ops", "first-secret", 1, 10, 1);
  trap_from(e, b, "ops", "second-secret", 1, 10, 2);
  assert_int_equal(e->s.count, 2);
  assert_memory_equal(e->s.engine, b, 9);
  /* The match is remembered: engine b's next trap uses its entry. */
  trap_from(e, b, "ops", "second-secret", 1, 11, 3);
  assert_int_equal(e->s.count, 3);
  assert_int_equal(e->nc.stats.key_cache_entries, 2);
  assert_int_equal(e->nc.n_entries, 2);
  /* A pass phrase nobody configured. */
  trap_from(e, c, "ops", "third-secret", 1, 10, 4);
  assert_int_equal(e->s.count, 3);
  assert_int_equal(e->nc.stats.dropped_auth, 1);
  /* A user nobody configured. */
  trap_from(e, c, "nobody", "third-secret", 1, 10, 5);
  assert_int_equal(e->nc.stats.dropped_unknown_user, 1);
  assert_int_equal(e->nc.stats.key_cache_entries, 2);
}

/* Replays: an exact copy inside the window, and an older message. */
static void test_v3_replay(void **state) {
  core_env *e = *state;
  uint8_t buf[1024], old[1024], id[9];
  size_t len, old_len;
  engine_n(id, 7);
  add_user(e, "ops", "first-secret", NULL);
  old_len =
      v3_trap(e, old, sizeof(old), id, 9, "ops", "first-secret", 3, 1000, 1);
  len = v3_trap(e, buf, sizeof(buf), id, 9, "ops", "first-secret", 3, 2000, 2);
  feed(e, buf, len);
  assert_int_equal(e->s.count, 1);
  feed(e, buf, len); /* replayed at once */
  assert_int_equal(e->s.count, 1);
  assert_int_equal(e->nc.stats.dropped_replay, 1);
  feed(e, old, old_len); /* 1000 s behind the latest: outside 150 s */
  assert_int_equal(e->s.count, 1);
  assert_int_equal(e->nc.stats.dropped_time_window, 1);
  trap_from(e, id, "ops", "first-secret", 2, 5000, 3); /* lower boots */
  assert_int_equal(e->nc.stats.dropped_time_window, 2);
  /* A new message of the same engine. */
  trap_from(e, id, "ops", "first-secret", 3, 2001, 4);
  assert_int_equal(e->s.count, 2);
  assert_int_equal(e->nc.stats.received, 5);
}

/* The engine-ID allow list, and a user pinned to one engine. */
static void test_v3_allow_list(void **state) {
  core_env *e = *state;
  uint8_t a[9], b[9];
  engine_n(a, 1);
  engine_n(b, 2);
  add_user(e, "pinned", "first-secret", a);
  trap_from(e, b, "pinned", "first-secret", 1, 1, 1);
  assert_int_equal(e->s.count, 0);
  assert_int_equal(e->nc.stats.dropped_unknown_user, 1);
  trap_from(e, a, "pinned", "first-secret", 1, 1, 2);
  assert_int_equal(e->s.count, 1);

  add_user(e, "any", "first-secret", NULL);
  assert_int_equal(usnmp__notify_allow_engine(&e->nc, a, 9), 0);
  trap_from(e, b, "any", "first-secret", 1, 1, 3);
  assert_int_equal(e->s.count, 1);
  assert_int_equal(e->nc.stats.dropped_unknown_engine, 1);
  trap_from(e, a, "any", "first-secret", 1, 1, 4);
  assert_int_equal(e->s.count, 2);
}

/* v3 informs: we are authoritative.  Discovery gets an unknownEngineID
 * Report with our engine ID; an inform with the wrong boots gets an
 * authenticated notInTimeWindow Report with ours; a good one a Response
 * with the same msgID, request-id and varbinds, encrypted. */
static void test_v3_inform_reports(void **state) {
  core_env *e = *state;
  uint8_t buf[1024], ours[13];
  usnmp__usm_target t;
  usnmp__msg3 m;
  usnmp_varbind vbs[4], vb;
  usnmp_msg pdu;
  size_t n = 0;
  int len;

  assert_int_equal(usnmp__notify_add_user(&e->nc, "ops", USNMP_AUTH_SHA256,
                                          "first-secret", USNMP_PRIV_AES256,
                                          "first-secret", NULL, 0),
                   0);
  memcpy(ours, e->nc.engine_id, 13);
  assert_int_equal(e->nc.engine_id_len, 13);
  assert_int_equal(ours[0], 0x80);
  assert_int_equal(ours[4], 5);
  e->nc.boots = 4;
  e->now_ms = 61000; /* our time: 60 s */

  /* Discovery. */
  len = usnmp__msg3_encode_discovery(buf, sizeof(buf), 77, 78, 65507);
  feed(e, buf, (size_t)len);
  assert_true(e->reply_len > 0);
  assert_int_equal(usnmp__msg3_decode(e->nc.crypto, NULL, e->reply,
                                      e->reply_len, NULL, 0, &m, vbs, 4, &n),
                   0);
  assert_int_equal(m.msg_id, 77);
  assert_int_equal(m.pdu.type, USNMP_PDU_REPORT);
  assert_int_equal(m.report, USNMP_E_UNKNOWN_ENGINE_ID);
  assert_int_equal(m.engine_id_len, 13);
  assert_memory_equal(m.engine_id, ours, 13);
  assert_int_equal(m.boots, 4);
  assert_int_equal(m.time, 60);
  assert_int_equal(e->s.count, 0);

  /* An inform with stale boots. */
  sender_usm(e, &t, "ops", USNMP_AUTH_SHA256, USNMP_PRIV_AES256, "first-secret",
             ours, 13, 3, 60);
  vb = name_vb(usnmp_value_string("x"));
  memset(&pdu, 0, sizeof(pdu));
  pdu.version = USNMP_VERSION_3;
  pdu.type = USNMP_PDU_INFORM;
  pdu.request_id = 900;
  len = usnmp__msg3_encode(e->nc.crypto, &t, e->now_ms, 901, 65507, &pdu, &vb,
                           1, buf, sizeof(buf));
  assert_true(len > 0);
  feed(e, buf, (size_t)len);
  assert_int_equal(e->s.count, 0);
  assert_int_equal(e->nc.stats.dropped_time_window, 1);
  t.level = USNMP_SEC_AUTHNOPRIV;
  assert_int_equal(usnmp__msg3_decode(e->nc.crypto, &t, e->reply, e->reply_len,
                                      NULL, 0, &m, vbs, 4, &n),
                   0);
  assert_true(m.authenticated);
  assert_int_equal(m.report, USNMP_E_NOT_IN_TIME_WINDOW);
  assert_int_equal(m.boots, 4);
  assert_int_equal(m.time, 60);

  /* In time: a Response. */
  t.level = USNMP_SEC_AUTHPRIV;
  usnmp__usm_target_resync(&t, 4, 61, e->now_ms, 1);
  len = usnmp__msg3_encode(e->nc.crypto, &t, e->now_ms, 902, 65507, &pdu, &vb,
                           1, buf, sizeof(buf));
  feed(e, buf, (size_t)len);
  assert_int_equal(e->s.count, 1);
  assert_int_equal(e->s.last.pdu, USNMP_PDU_INFORM);
  assert_true(e->reply_len > 0);
  {
    uint8_t scratch[1024];
    assert_int_equal(usnmp__msg3_decode(e->nc.crypto, &t, e->reply,
                                        e->reply_len, scratch, sizeof(scratch),
                                        &m, vbs, 4, &n),
                     0);
  }
  assert_true(m.flags & USNMP__MSG3_FLAG_PRIV);
  assert_int_equal(m.msg_id, 902);
  assert_int_equal(m.pdu.type, USNMP_PDU_RESPONSE);
  assert_int_equal(m.pdu.request_id, 900);
  assert_int_equal(n, 1);
  assert_memory_equal(vbs[0].oid, oid_name, sizeof(oid_name));
  /* The same inform again: acknowledged again, not delivered again. */
  e->reply_len = 0;
  feed(e, buf, (size_t)len);
  assert_true(e->reply_len > 0);
  assert_int_equal(e->s.count, 1);
  assert_int_equal(e->nc.stats.duplicates, 1);
  assert_int_equal(e->nc.stats.informs_answered, 2);
  /* Retransmitted with a new msgID (same request-id): the answer carries
   * the new msgID, and it is still not delivered again. */
  len = usnmp__msg3_encode(e->nc.crypto, &t, e->now_ms, 903, 65507, &pdu, &vb,
                           1, buf, sizeof(buf));
  e->reply_len = 0;
  feed(e, buf, (size_t)len);
  assert_int_equal(e->s.count, 1);
  assert_int_equal(e->nc.stats.duplicates, 2);
  assert_int_equal(usnmp__msg3_peek_msg_id(e->reply, e->reply_len, &m.msg_id),
                   0);
  assert_int_equal(m.msg_id, 903);
  /* Another request-id is another inform. */
  pdu.request_id = 901;
  len = usnmp__msg3_encode(e->nc.crypto, &t, e->now_ms, 904, 65507, &pdu, &vb,
                           1, buf, sizeof(buf));
  feed(e, buf, (size_t)len);
  assert_int_equal(e->s.count, 2);
  usnmp__usm_target_wipe(&t);
}
#endif /* USNMP_HAVE_SNMPV3 */

/* ------------------------------------------------------------------------
 * On a loop, over loopback sockets
 * ------------------------------------------------------------------------ */

typedef struct loop_env {
  uv_loop_t loop;
  usnmp_receiver *rx;
  usnmp_manager *m;
  seen s;
  int rx_closed, m_closed;
} loop_env;

static int loop_setup(void **state) {
  loop_env *e = calloc(1, sizeof(*e));
  assert_non_null(e);
  assert_int_equal(uv_loop_init(&e->loop), 0);
  assert_int_equal(usnmp_receiver_init(&e->rx, &e->loop, NULL), 0);
  assert_int_equal(usnmp_manager_init(&e->m, &e->loop, NULL), 0);
  *state = e;
  return 0;
}

static int loop_teardown(void **state) {
  loop_env *e = *state;
  usnmp_receiver_close(e->rx, usnmp_test_set_flag, &e->rx_closed);
  usnmp_manager_close(e->m, usnmp_test_set_flag, &e->m_closed);
  uv_run(&e->loop, UV_RUN_DEFAULT);
  assert_true(e->rx_closed);
  assert_true(e->m_closed);
  assert_int_equal(uv_loop_close(&e->loop), 0);
  free(e);
  return 0;
}

/* Runs the loop until n notifications arrived or 3 s passed. */
static void run_until(loop_env *e, int n) {
  uint64_t end = uv_hrtime() + 3000000000ull;
  while (e->s.count < n && uv_hrtime() < end)
    uv_run(&e->loop, UV_RUN_NOWAIT);
}

static void bind_any_port(loop_env *e, const char *host, char *agent,
                          size_t size) {
  char addr[64];
  snprintf(addr, sizeof(addr), "%s:0", host);
  assert_int_equal(usnmp_receiver_bind(e->rx, addr), 0);
  snprintf(agent, size, "%s:%d", host, usnmp_receiver_port(e->rx, 0));
}

/* v1, v2c and v3 traps from usnmp_trap_send to a receiver. */
static void test_send_receive_traps(void **state) {
  loop_env *e = *state;
  char agent[64];
  usnmp_target *t;
  usnmp_trap_v1 v1;
  usnmp_varbind vb;
  usnmp_oid trap = usnmp_test_oid(".1.3.6.1.6.3.1.1.5.4");

  bind_any_port(e, "127.0.0.1", agent, sizeof(agent));
  assert_int_equal(usnmp_receiver_add_community(e->rx, "public"), 0);
  assert_int_equal(usnmp_receiver_add_v3_user(e->rx, "ops", USNMP_AUTH_SHA,
                                              "first-secret", USNMP_PRIV_AES,
                                              "first-secret", NULL, 0),
                   USNMP_HAVE_SNMPV3 ? 0 : USNMP_E_UNSUPPORTED);
  assert_int_equal(usnmp_receiver_start(e->rx, on_note, &e->s), 0);
  assert_int_equal(usnmp_target_init(e->m, &t, agent), 0);
  vb = name_vb(usnmp_value_string("hello"));

  assert_int_equal(usnmp_trap_send(t, NULL, 4242, &trap, &vb, 1), 0);
  run_until(e, 1);
  assert_int_equal(e->s.count, 1);
  assert_int_equal(e->s.last.version, USNMP_VERSION_2C);
  assert_int_equal(e->s.last.pdu, USNMP_PDU_TRAP_V2);
  assert_int_equal(e->s.n_vbs, 3);
  assert_string_equal(e->s.vbs[0],
                      ".1.3.6.1.2.1.1.3.0 = Timeticks: (4242) 0:00:42.42");
  assert_string_equal(e->s.vbs[1],
                      ".1.3.6.1.6.3.1.1.4.1.0 = OID: .1.3.6.1.6.3.1.1.5.4");
  assert_string_equal(e->s.vbs[2], ".1.3.6.1.2.1.1.5.0 = STRING: \"hello\"");

  assert_int_equal(usnmp_target_set_version(t, USNMP_VERSION_1), 0);
  assert_int_equal(usnmp_trap_send(t, NULL, 0, NULL, NULL, 0), USNMP_E_INVAL);
  memset(&v1, 0, sizeof(v1));
  v1.enterprise = usnmp_test_oid(".1.3.6.1.4.1.8072");
  v1.generic_trap = 0;
  v1.time_stamp = 7;
  assert_int_equal(usnmp_trap_send(t, &v1, 0, NULL, &vb, 1), 0);
  run_until(e, 2);
  assert_int_equal(e->s.count, 2);
  assert_int_equal(e->s.last.pdu, USNMP_PDU_TRAP_V1);
  assert_string_equal(e->s.vbs[1],
                      ".1.3.6.1.6.3.1.1.4.1.0 = OID: .1.3.6.1.6.3.1.1.5.1");

#if USNMP_HAVE_SNMPV3
  uint8_t id[USNMP_ENGINE_ID_MAX];
  int id_len;
  assert_int_equal(usnmp_target_set_v3_user(t, "ops", USNMP_AUTH_SHA,
                                            "first-secret", USNMP_PRIV_AES,
                                            "first-secret"),
                   0);
  assert_int_equal(usnmp_manager_set_v3_engine(
                       e->m, (const uint8_t *)"\x80\0\0\0\x05XYZW", 9, 12),
                   0);
  assert_int_equal(usnmp_trap_send(t, NULL, 1, &trap, &vb, 1), 0);
  run_until(e, 3);
  assert_int_equal(e->s.count, 3);
  assert_int_equal(e->s.last.version, USNMP_VERSION_3);
  assert_int_equal(e->s.last.security_level, USNMP_SEC_AUTHPRIV);
  id_len = usnmp_manager_v3_engine_id(e->m, id, sizeof(id));
  assert_int_equal(id_len, 9);
  assert_int_equal(e->s.engine_len, 9);
  assert_memory_equal(e->s.engine, id, 9);
  assert_string_equal(e->s.vbs[2], ".1.3.6.1.2.1.1.5.0 = STRING: \"hello\"");
#else
  assert_int_equal(usnmp_manager_set_v3_engine(
                       e->m, (const uint8_t *)"\x80\0\0\0\x05XYZW", 9, 12),
                   USNMP_E_UNSUPPORTED);
#endif
}

typedef struct ack {
  int calls;
  int status;
  size_t n;
} ack;

static void on_ack(const usnmp_response *resp, void *arg) {
  ack *a = arg;
  a->calls++;
  a->status = resp->status;
  a->n = resp->varbind_count;
}

static void run_until_ack(loop_env *e, ack *a) {
  uint64_t end = uv_hrtime() + 5000000000ull;
  while (a->calls == 0 && uv_hrtime() < end)
    uv_run(&e->loop, UV_RUN_NOWAIT);
}

/* Informs, v2c and v3 (discovery of the receiver's engine included). */
static void test_send_receive_informs(void **state) {
  loop_env *e = *state;
  char agent[64];
  usnmp_target *t;
  usnmp_oid trap = usnmp_test_oid(".1.3.6.1.6.3.1.1.5.4");
  usnmp_notify_stats st;
  ack a = {0, 0, 0};

  bind_any_port(e, "127.0.0.1", agent, sizeof(agent));
  assert_int_equal(usnmp_receiver_add_community(e->rx, "public"), 0);
  assert_int_equal(usnmp_receiver_add_v3_user(
                       e->rx, "ops", USNMP_AUTH_SHA512, "first-secret",
                       USNMP_PRIV_AES256C, "first-secret", NULL, 0),
                   USNMP_HAVE_SNMPV3 ? 0 : USNMP_E_UNSUPPORTED);
  assert_int_equal(usnmp_receiver_start(e->rx, on_note, &e->s), 0);
  assert_int_equal(usnmp_target_init(e->m, &t, agent), 0);
  assert_int_equal(
      usnmp_inform_send(t, 1, &trap, NULL, 0, NULL, on_ack, &a, NULL), 0);
  run_until_ack(e, &a);
  assert_int_equal(a.calls, 1);
  assert_int_equal(a.status, 0);
  assert_int_equal(a.n, 2);
  assert_int_equal(e->s.count, 1);
  assert_int_equal(e->s.last.pdu, USNMP_PDU_INFORM);

#if USNMP_HAVE_SNMPV3
  assert_int_equal(usnmp_target_set_v3_user(t, "ops", USNMP_AUTH_SHA512,
                                            "first-secret", USNMP_PRIV_AES256C,
                                            "first-secret"),
                   0);
  memset(&a, 0, sizeof(a));
  assert_int_equal(
      usnmp_inform_send(t, 1, &trap, NULL, 0, NULL, on_ack, &a, NULL), 0);
  run_until_ack(e, &a);
  assert_int_equal(a.calls, 1);
  assert_int_equal(a.status, 0);
  assert_int_equal(e->s.count, 2);
  assert_int_equal(e->s.last.version, USNMP_VERSION_3);
  usnmp_receiver_stats(e->rx, &st);
  assert_int_equal(st.reports_sent, 1); /* discovery */
  assert_int_equal(st.informs_answered, 2);
#else
  usnmp_receiver_stats(e->rx, &st);
  assert_int_equal(st.informs_answered, 1);
#endif

  /* A v1 target cannot inform. */
  assert_int_equal(usnmp_target_set_version(t, USNMP_VERSION_1), 0);
  assert_int_equal(
      usnmp_inform_send(t, 1, &trap, NULL, 0, NULL, on_ack, &a, NULL),
      USNMP_E_BAD_VERSION);
}

/* A UDP socket of the test's own, bound to host. */
static int raw_socket(const char *host) {
  struct sockaddr_in a;
  int fd = socket(AF_INET, SOCK_DGRAM, 0);
  assert_true(fd >= 0);
  memset(&a, 0, sizeof(a));
  a.sin_family = AF_INET;
  inet_pton(AF_INET, host, &a.sin_addr);
  assert_int_equal(bind(fd, (struct sockaddr *)&a, sizeof(a)), 0);
  return fd;
}

/* Runs the loop until fd has a datagram (or 3 s passed); returns its
 * length and sender. */
static ssize_t raw_recv(loop_env *e, int fd, uint8_t *buf, size_t size,
                        struct sockaddr_in *from) {
  uint64_t end = uv_hrtime() + 3000000000ull;
  socklen_t fl = sizeof(*from);
  while (uv_hrtime() < end) {
    struct pollfd p = {fd, POLLIN, 0};
    uv_run(&e->loop, UV_RUN_NOWAIT);
    if (poll(&p, 1, 1) == 1)
      return recvfrom(fd, buf, size, 0, (struct sockaddr *)from, &fl);
  }
  return -1;
}

/* A retransmitted inform is acknowledged twice and delivered once; a
 * multihomed receiver answers from the address the inform was sent to. */
static void test_inform_dedupe_multihomed(void **state) {
  loop_env *e = *state;
  uint8_t msgbuf[512], in[512];
  usnmp_msg msg, resp;
  usnmp_varbind vb, rvbs[4];
  struct sockaddr_in to, from;
  char a1[64], a2[64];
  size_t n = 0;
  int fd, len, port;
  ssize_t got;

  assert_int_equal(usnmp_receiver_bind(e->rx, "udp:127.0.0.1:0"), 0);
  port = usnmp_receiver_port(e->rx, 0);
  snprintf(a1, sizeof(a1), "udp:127.0.0.1:%d", port);
  snprintf(a2, sizeof(a2), "udp:127.0.0.2:%d", port);
  (void)a1;
  assert_int_equal(usnmp_receiver_bind(e->rx, a2), 0);
  assert_int_equal(usnmp_receiver_port(e->rx, 1), port);
  assert_int_equal(usnmp_receiver_add_community(e->rx, "public"), 0);
  assert_int_equal(usnmp_receiver_start(e->rx, on_note, &e->s), 0);

  memset(&msg, 0, sizeof(msg));
  msg.version = USNMP_VERSION_2C;
  msg.community = (const uint8_t *)"public";
  msg.community_len = 6;
  msg.type = USNMP_PDU_INFORM;
  msg.request_id = 31337;
  vb = name_vb(usnmp_value_string("once"));
  len = usnmp_msg_encode(msgbuf, sizeof(msgbuf), &msg, &vb, 1);
  assert_true(len > 0);

  fd = raw_socket("127.0.0.1");
  memset(&to, 0, sizeof(to));
  to.sin_family = AF_INET;
  to.sin_port = htons((uint16_t)port);
  inet_pton(AF_INET, "127.0.0.2", &to.sin_addr);
  for (int i = 0; i < 2; i++) {
    assert_int_equal(
        sendto(fd, msgbuf, (size_t)len, 0, (struct sockaddr *)&to, sizeof(to)),
        len);
    got = raw_recv(e, fd, in, sizeof(in), &from);
    assert_true(got > 0);
    /* From the address the inform went to, not the first bound. */
    assert_int_equal(ntohl(from.sin_addr.s_addr), 0x7f000002);
    assert_int_equal(ntohs(from.sin_port), port);
    assert_int_equal(usnmp_msg_decode(&resp, rvbs, 4, &n, in, (size_t)got), 0);
    assert_int_equal(resp.type, USNMP_PDU_RESPONSE);
    assert_int_equal(resp.request_id, 31337);
    assert_int_equal(n, 1);
  }
  assert_int_equal(e->s.count, 1);
  assert_non_null(e->s.last.local);
  {
    usnmp_notify_stats st;
    usnmp_receiver_stats(e->rx, &st);
    assert_int_equal(st.duplicates, 1);
    assert_int_equal(st.informs_answered, 2);
    assert_int_equal(st.delivered, 1);
  }
  close(fd);
}

/* A receiver closed from inside its callback delivers nothing more and
 * frees everything. */
static void on_note_close(usnmp_receiver *rx, const usnmp_notification *n,
                          void *arg) {
  on_note(rx, n, arg);
  usnmp_receiver_close(rx, NULL, NULL);
}

static void test_close_in_callback(void **state) {
  loop_env *e = *state;
  uv_loop_t *loop = &e->loop;
  usnmp_receiver *rx;
  usnmp_target *t;
  usnmp_oid trap = usnmp_test_oid(".1.3.6.1.6.3.1.1.5.4");
  char agent[64];
  assert_int_equal(usnmp_receiver_init(&rx, loop, NULL), 0);
  assert_int_equal(usnmp_receiver_bind(rx, "127.0.0.1:0"), 0);
  snprintf(agent, sizeof(agent), "127.0.0.1:%d", usnmp_receiver_port(rx, 0));
  assert_int_equal(usnmp_receiver_add_community(rx, "public"), 0);
  assert_int_equal(usnmp_receiver_start(rx, on_note_close, &e->s), 0);
  assert_int_equal(usnmp_target_init(e->m, &t, agent), 0);
  for (int i = 0; i < 5; i++)
    assert_int_equal(usnmp_trap_send(t, NULL, 1, &trap, NULL, 0), 0);
  run_until(e, 1);
  uv_run(loop, UV_RUN_NOWAIT);
  assert_int_equal(e->s.count, 1);
}

static int accept_only_secret(const uint8_t *community, size_t len,
                              const struct sockaddr *source, void *arg) {
  int *calls = arg;
  (*calls)++;
  return source != NULL && len == 6 && memcmp(community, "secret", 6) == 0;
}

/* The community callback, stop and start, the dedupe window, our engine
 * ID and boots. */
static void test_receiver_settings(void **state) {
  loop_env *e = *state;
  char agent[64];
  usnmp_target *t;
  usnmp_oid trap = usnmp_test_oid(".1.3.6.1.6.3.1.1.5.4");
  usnmp_notify_stats st;
  uint8_t id[USNMP_ENGINE_ID_MAX];
  int calls = 0, len;

#if USNMP_HAVE_SNMPV3
  len = usnmp_receiver_engine_id(e->rx, id, sizeof(id));
  assert_int_equal(len, 13); /* RFC 3411 format 5: 80 00 00 00 05 + 8 */
  assert_memory_equal(id, "\x80\x00\x00\x00\x05", 5);
  assert_int_equal(usnmp_receiver_engine_id(e->rx, id, 12), USNMP_E_NOBUFS);
  assert_int_equal(
      usnmp_receiver_set_engine_id(e->rx,
                                   (const uint8_t *)"\x80\0\0\0\x05"
                                                    "abc",
                                   8),
      0);
  assert_int_equal(usnmp_receiver_engine_id(e->rx, id, sizeof(id)), 8);
  assert_memory_equal(id + 5, "abc", 3);
  assert_int_equal(usnmp_receiver_set_engine_boots(e->rx, 7), 0);
  assert_int_equal(usnmp_receiver_set_engine_boots(e->rx, 2147483647u),
                   USNMP_E_INVAL);
#else
  len = usnmp_receiver_engine_id(e->rx, id, sizeof(id));
  assert_int_equal(len, USNMP_E_UNSUPPORTED);
  assert_int_equal(
      usnmp_receiver_set_engine_id(e->rx,
                                   (const uint8_t *)"\x80\0\0\0\x05"
                                                    "abc",
                                   8),
      USNMP_E_UNSUPPORTED);
  assert_int_equal(usnmp_receiver_set_engine_boots(e->rx, 7),
                   USNMP_E_UNSUPPORTED);
#endif

  bind_any_port(e, "127.0.0.1", agent, sizeof(agent));
  assert_int_equal(
      usnmp_receiver_set_community_cb(e->rx, accept_only_secret, &calls), 0);
  assert_int_equal(usnmp_receiver_set_dedupe_window(e->rx, 0), 0);
  assert_int_equal(usnmp_receiver_start(e->rx, on_note, &e->s), 0);
  assert_int_equal(usnmp_target_init(e->m, &t, agent), 0);
  assert_int_equal(usnmp_target_set_community(t, "public"), 0);
  assert_int_equal(usnmp_trap_send(t, NULL, 1, &trap, NULL, 0), 0);
  assert_int_equal(usnmp_target_set_community(t, "secret"), 0);
  assert_int_equal(usnmp_trap_send(t, NULL, 1, &trap, NULL, 0), 0);
  run_until(e, 1);
  assert_int_equal(e->s.count, 1);
  assert_int_equal(e->s.last.community_len, 6);
  assert_memory_equal(e->s.last.community, "secret", 6);
  usnmp_receiver_stats(e->rx, &st);
  assert_int_equal(st.dropped_community, 1);
  assert_int_equal(calls, 2);

  /* Stopped: nothing is read; started again: what waited arrives. */
  assert_int_equal(usnmp_receiver_stop(e->rx), 0);
  assert_int_equal(usnmp_trap_send(t, NULL, 1, &trap, NULL, 0), 0);
  for (int i = 0; i < 20; i++)
    uv_run(&e->loop, UV_RUN_NOWAIT);
  assert_int_equal(e->s.count, 1);
  assert_int_equal(usnmp_receiver_start(e->rx, on_note, &e->s), 0);
  run_until(e, 2);
  assert_int_equal(e->s.count, 2);

  /* No dedupe window: the same inform twice is delivered twice. */
  {
    uint8_t msgbuf[256], in[256];
    usnmp_msg msg;
    struct sockaddr_in to, from;
    int fd = raw_socket("127.0.0.1"), n;
    memset(&msg, 0, sizeof(msg));
    msg.version = USNMP_VERSION_2C;
    msg.community = (const uint8_t *)"secret";
    msg.community_len = 6;
    msg.type = USNMP_PDU_INFORM;
    msg.request_id = 99;
    n = usnmp_msg_encode(msgbuf, sizeof(msgbuf), &msg, NULL, 0);
    assert_true(n > 0);
    memset(&to, 0, sizeof(to));
    to.sin_family = AF_INET;
    to.sin_port = htons((uint16_t)usnmp_receiver_port(e->rx, 0));
    to.sin_addr.s_addr = htonl(0x7f000001);
    for (int i = 0; i < 2; i++) {
      assert_int_equal(
          sendto(fd, msgbuf, (size_t)n, 0, (struct sockaddr *)&to, sizeof(to)),
          n);
      assert_true(raw_recv(e, fd, in, sizeof(in), &from) > 0);
    }
    close(fd);
  }
  assert_int_equal(e->s.count, 4);
  usnmp_receiver_stats(e->rx, &st);
  assert_int_equal(st.duplicates, 0);
  assert_int_equal(st.informs_answered, 2);
  /* A short size copies a prefix only. */
  memset(&st, 0xff, sizeof(st));
  assert_int_equal(usnmp_receiver_stats_ex(e->rx, &st, sizeof(uint64_t)), 0);
  assert_int_equal(st.received, 5);
  assert_true(st.delivered == UINT64_MAX);
}

/* Reads net.core.rmem_max, or 0 when it cannot. */
static long rmem_max(void) {
  FILE *f = fopen("/proc/sys/net/core/rmem_max", "r");
  long v = 0;
  if (f != NULL) {
    if (fscanf(f, "%ld", &v) != 1)
      v = 0;
    fclose(f);
  }
  return v;
}

/* The socket buffer: the size asked for, clamped by the system's limit
 * unless forced (root here: the tests run as root in CI). */
static void test_socket_buffer(void **state) {
  loop_env *e = *state;
  int size = 0, fd;
  socklen_t len = sizeof(size);
  long limit = rmem_max();
  assert_int_equal(usnmp_receiver_set_socket_buffer(e->rx, 0), USNMP_E_INVAL);
  assert_int_equal(usnmp_receiver_set_socket_buffer(e->rx, 300000), 0);
  assert_int_equal(usnmp_receiver_bind(e->rx, "127.0.0.1:0"), 0);
  fd = usnmp__receiver_fd(e->rx, 0);
  assert_true(fd >= 0);
  assert_int_equal(getsockopt(fd, SOL_SOCKET, SO_RCVBUF, &size, &len), 0);
  /* Linux doubles what it was asked for (its bookkeeping). */
  if (limit >= 300000)
    assert_int_equal(size, 600000);
  else
    assert_int_equal(size, 2 * limit);
  if (geteuid() == 0) {
    int big = (int)(limit > 0 ? limit : 212992) * 2;
    assert_int_equal(usnmp_receiver_set_socket_buffer(e->rx, big), 0);
    assert_int_equal(usnmp_receiver_set_socket_buffer_force(e->rx, 1), 0);
    assert_int_equal(usnmp_receiver_bind(e->rx, "127.0.0.1:0"), 0);
    fd = usnmp__receiver_fd(e->rx, 1);
    len = sizeof(size);
    assert_int_equal(getsockopt(fd, SOL_SOCKET, SO_RCVBUF, &size, &len), 0);
    assert_int_equal(size, 2 * big);
  }
}

static void test_bad_arguments(void **state) {
  loop_env *e = *state;
  assert_int_equal(usnmp_receiver_bind(e->rx, "no-such-host..invalid"),
                   USNMP_E_INVAL);
  assert_int_equal(usnmp_receiver_start(e->rx, on_note, NULL),
                   USNMP_E_INVAL); /* nothing bound */
  assert_int_equal(usnmp_receiver_add_community(e->rx, ""), USNMP_E_INVAL);
#if USNMP_HAVE_SNMPV3
  assert_int_equal(usnmp_receiver_add_v3_user(e->rx, "u", USNMP_AUTH_SHA,
                                              "short", USNMP_PRIV_NONE, NULL,
                                              NULL, 0),
                   USNMP_E_V3_PASSPHRASE);
  assert_int_equal(usnmp_receiver_add_v3_user(e->rx, "u", USNMP_AUTH_SHA,
                                              "long-enough", USNMP_PRIV_NONE,
                                              NULL, (const uint8_t *)"abc", 3),
                   USNMP_E_INVAL);
  assert_int_equal(
      usnmp_receiver_set_engine_id(e->rx, (const uint8_t *)"abc", 3),
      USNMP_E_INVAL);
#endif
  assert_int_equal(usnmp_receiver_set_cache_limit(e->rx, 0), USNMP_E_INVAL);
  assert_int_equal(usnmp_receiver_bind(e->rx, "udp:127.0.0.1:0"), 0);
  /* A port in use fails at bind; the failed socket closes on its own
   * while the next bind goes on. */
  {
    char again[64];
    snprintf(again, sizeof(again), "127.0.0.1:%d",
             usnmp_receiver_port(e->rx, 0));
    assert_int_equal(usnmp_receiver_bind(e->rx, again), UV_EADDRINUSE);
    assert_int_equal(usnmp_receiver_bind(e->rx, "127.0.0.1:0"), 0);
    assert_true(usnmp_receiver_port(e->rx, 1) > 0);
    assert_int_equal(usnmp_receiver_port(e->rx, 2), USNMP_E_INVAL);
  }
  /* The default port is 162, not the agent syntax's 161. */
  {
    usnmp_receiver *rx2;
    int rc;
    assert_int_equal(usnmp_receiver_init(&rx2, &e->loop, NULL), 0);
    rc = usnmp_receiver_bind(rx2, "127.0.0.1");
    if (rc == 0)
      assert_int_equal(usnmp_receiver_port(rx2, 0), 162);
    else
      assert_true(rc == UV_EACCES || rc == UV_EADDRINUSE);
    usnmp_receiver_close(rx2, NULL, NULL);
  }
}

int main(void) {
  const struct CMUnitTest tests[] = {
    cmocka_unit_test_setup_teardown(test_v1_translation, core_setup,
                                    core_teardown),
#if USNMP_HAVE_SNMPV3
    cmocka_unit_test_setup_teardown(test_v3_many_engines, core_setup,
                                    core_teardown),
    cmocka_unit_test_setup_teardown(test_v3_cache_bounded, core_setup,
                                    core_teardown),
    cmocka_unit_test_setup_teardown(test_v3_two_pass_phrases, core_setup,
                                    core_teardown),
    cmocka_unit_test_setup_teardown(test_v3_replay, core_setup, core_teardown),
    cmocka_unit_test_setup_teardown(test_v3_allow_list, core_setup,
                                    core_teardown),
    cmocka_unit_test_setup_teardown(test_v3_inform_reports, core_setup,
                                    core_teardown),
#endif
    cmocka_unit_test_setup_teardown(test_send_receive_traps, loop_setup,
                                    loop_teardown),
    cmocka_unit_test_setup_teardown(test_send_receive_informs, loop_setup,
                                    loop_teardown),
    cmocka_unit_test_setup_teardown(test_inform_dedupe_multihomed, loop_setup,
                                    loop_teardown),
    cmocka_unit_test_setup_teardown(test_close_in_callback, loop_setup,
                                    loop_teardown),
    cmocka_unit_test_setup_teardown(test_receiver_settings, loop_setup,
                                    loop_teardown),
    cmocka_unit_test_setup_teardown(test_socket_buffer, loop_setup,
                                    loop_teardown),
    cmocka_unit_test_setup_teardown(test_bad_arguments, loop_setup,
                                    loop_teardown),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
