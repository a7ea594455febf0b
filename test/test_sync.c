/*
 * Tests of the blocking layer (lib/sync.c): the minimal Python manager's
 * semantics, against the scripted test agent on its own thread (so that
 * traffic can be counted and answers delayed or dropped) and against a
 * real net-snmp snmpd.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include <cmocka.h>

#include "snmpd_fixture.h"
#include "test_agent.h"
#include "test_util.h"
#include "usnmp.h"

static double now_s(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static uint64_t agent_requests(usnmp_test_agent *a) {
  usnmp_test_agent_stats st;
  usnmp_test_agent_get_stats(a, &st);
  return st.requests;
}

static uint64_t agent_received(usnmp_test_agent *a) {
  usnmp_test_agent_stats st;
  usnmp_test_agent_get_stats(a, &st);
  return st.received;
}

static void assert_string_value(const usnmp_varbind *vb, const char *text) {
  assert_non_null(vb);
  assert_int_equal(vb->value.type, USNMP_TYPE_OCTET_STRING);
  assert_int_equal(vb->value.v.bytes.len, strlen(text));
  assert_memory_equal(vb->value.v.bytes.data, text, strlen(text));
}

static void assert_name(const usnmp_varbind *vb, const char *text) {
  usnmp_oid want = usnmp_test_oid(text), got;
  assert_int_equal(usnmp_oid_from_ber(&got, vb->oid, vb->oid_len), 0);
  assert_int_equal(usnmp_oid_cmp(&want, &got), 0);
}

typedef struct fixture {
  usnmp_test_agent *agent;
  usnmp_sync *sync;
  const char *host;
} fixture;

static int setup(void **state) {
  static fixture f;
  memset(&f, 0, sizeof f);
  assert_int_equal(usnmp_test_agent_start_thread(&f.agent, AF_INET), 0);
  assert_int_equal(usnmp_sync_init(&f.sync), 0);
  usnmp_sync_set_write_community(f.sync, "private");
  f.host = usnmp_test_agent_address(f.agent);
  *state = &f;
  return 0;
}

static int teardown(void **state) {
  fixture *f = *state;
  usnmp_sync_close(f->sync);
  usnmp_test_agent_stop_thread(f->agent);
  return 0;
}

/* GETs sysUpTime (which the agent changes to ticks first) and returns the
 * value the call saw. */
static uint32_t uptime_get(fixture *f, uint32_t ticks) {
  usnmp_oid oid = usnmp_test_oid("1.3.6.1.2.1.1.3.0");
  assert_int_equal(usnmp_test_agent_mib_set(f->agent, "1.3.6.1.2.1.1.3.0",
                                            usnmp_value_timeticks(ticks), 0),
                   0);
  usnmp_vblist *l = NULL;
  assert_int_equal(usnmp_sync_get(f->sync, f->host, &oid, 1, NULL, &l), 0);
  uint64_t got = 0;
  assert_int_equal(usnmp_value_get_uint64(&usnmp_vblist_get(l, 0)->value, &got),
                   0);
  usnmp_vblist_free(l);
  return (uint32_t)got;
}

static void sleep_ms(long ms) {
  struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
  nanosleep(&ts, NULL);
}

/* Cached by default: three GETs of a changing value see the first one.
 * With a time-to-live, three GETs a TTL apart see three new values, and
 * a GET within the TTL is served from the cache. */
static void test_cache_ttl(void **state) {
  fixture *f = *state;
  assert_int_equal(uptime_get(f, 100), 100);
  assert_int_equal(uptime_get(f, 200), 100);
  assert_int_equal(uptime_get(f, 300), 100);

  assert_int_equal(usnmp_sync_set_cache_ttl(f->sync, 150), 0);
  assert_int_equal(uptime_get(f, 400), 100); /* cached a while ago... */
  sleep_ms(200);
  assert_int_equal(uptime_get(f, 500), 500); /* ...but now too old */
  uint64_t before = agent_requests(f->agent);
  assert_int_equal(uptime_get(f, 550), 500); /* within the TTL */
  assert_int_equal(agent_requests(f->agent), before);
  sleep_ms(200);
  assert_int_equal(uptime_get(f, 600), 600);
  sleep_ms(200);
  assert_int_equal(uptime_get(f, 700), 700);
  assert_int_equal(usnmp_sync_set_cache_ttl(NULL, 1), USNMP_E_INVAL);
}

/* USNMP_CACHE_OFF as the time-to-live: every call asks the agent; as the
 * bound: nothing stays once a call has returned it, yet a non-blocking
 * start still hands its answer to the call that collects it.
 * USNMP_CACHE_UNLIMITED caches again. */
static void test_cache_off(void **state) {
  fixture *f = *state;
  assert_int_equal(usnmp_sync_set_cache_ttl(f->sync, USNMP_CACHE_OFF), 0);
  uint64_t before = agent_requests(f->agent);
  assert_int_equal(uptime_get(f, 1), 1);
  assert_int_equal(uptime_get(f, 2), 2);
  assert_int_equal(uptime_get(f, 3), 3);
  assert_int_equal(agent_requests(f->agent), before + 3);
  /* A non-blocking start's answer is still the later call's, uncached as
   * it is: one request, and the value it brought. */
  usnmp_oid up = usnmp_test_oid("1.3.6.1.2.1.1.3.0");
  usnmp_call_opts start_only = {USNMP_CALL_NONBLOCK, 0, NULL};
  usnmp_vblist *started = NULL;
  assert_int_equal(
      usnmp_sync_get(f->sync, f->host, &up, 1, &start_only, &started), 0);
  sleep_ms(100);
  /* Another call runs the loop: the answer is in, not yet collected. */
  usnmp_oid sys_name = usnmp_test_oid("1.3.6.1.2.1.1.5.0");
  assert_int_equal(
      usnmp_sync_get(f->sync, f->host, &sys_name, 1, NULL, &started), 0);
  usnmp_vblist_free(started);
  assert_int_equal(uptime_get(f, 9), 3);
  assert_int_equal(agent_requests(f->agent), before + 5);

  assert_int_equal(usnmp_sync_set_cache_ttl(f->sync, USNMP_CACHE_UNLIMITED), 0);
  assert_int_equal(usnmp_sync_set_cache_limit(f->sync, USNMP_CACHE_OFF), 0);
  assert_int_equal(uptime_get(f, 4), 4);
  assert_int_equal(usnmp_sync_cache_size(f->sync), 0);
  assert_int_equal(uptime_get(f, 5), 5);
  usnmp_oid oid = usnmp_test_oid("1.3.6.1.2.1.1.3.0");
  usnmp_call_opts nonblock = {USNMP_CALL_NONBLOCK, 0, NULL};
  usnmp_vblist *l = NULL;
  assert_int_equal(usnmp_sync_get(f->sync, f->host, &oid, 1, &nonblock, &l), 0);
  assert_null(l);
  sleep_ms(100);
  /* The non-blocking call sent its request before returning; the agent
   * (another thread) has counted it by now, so count from here. */
  before = agent_requests(f->agent);
  /* The answer came meanwhile; another call trims the cache, but the
   * answer nobody collected yet stays for its collect. */
  usnmp_oid name = usnmp_test_oid("1.3.6.1.2.1.1.5.0");
  assert_int_equal(usnmp_sync_get(f->sync, f->host, &name, 1, NULL, &l), 0);
  usnmp_vblist_free(l);
  assert_int_equal(uptime_get(f, 6), 5);
  assert_int_equal(agent_requests(f->agent), before + 1);
  assert_int_equal(usnmp_sync_cache_size(f->sync), 0);

  assert_int_equal(usnmp_sync_set_cache_limit(f->sync, USNMP_CACHE_UNLIMITED),
                   0);
  assert_int_equal(uptime_get(f, 7), 7);
  assert_int_equal(uptime_get(f, 8), 7);
  assert_int_equal(usnmp_sync_cache_size(f->sync), 1);
}

/* GETBULK: non-repeaters first, then the repetitions interleaved, as the
 * agent sent them; never cached; v1 refuses it; NONBLOCK is refused. */
static void test_get_bulk(void **state) {
  fixture *f = *state;
  assert_int_equal(
      usnmp_test_agent_mib_fill(f->agent, "1.3.6.1.4.1.99999.5", 4), 0);
  usnmp_oid oids[2] = {usnmp_test_oid("1.3.6.1.2.1.1.4.0"),
                       usnmp_test_oid("1.3.6.1.4.1.99999.5")};
  usnmp_vblist *l = NULL;
  uint64_t before = agent_requests(f->agent);
  assert_int_equal(
      usnmp_sync_getbulk(f->sync, f->host, oids, 2, 1, 3, NULL, &l), 0);
  assert_int_equal(usnmp_vblist_count(l), 4);
  assert_name(usnmp_vblist_get(l, 0), "1.3.6.1.2.1.1.5.0");
  assert_name(usnmp_vblist_get(l, 1), "1.3.6.1.4.1.99999.5.1");
  assert_name(usnmp_vblist_get(l, 2), "1.3.6.1.4.1.99999.5.2");
  assert_name(usnmp_vblist_get(l, 3), "1.3.6.1.4.1.99999.5.3");
  usnmp_vblist_free(l);
  assert_int_equal(
      usnmp_sync_getbulk(f->sync, f->host, oids, 2, 1, 3, NULL, &l), 0);
  usnmp_vblist_free(l);
  assert_int_equal(agent_requests(f->agent), before + 2);

  usnmp_call_opts nonblock = {USNMP_CALL_NONBLOCK, 0, NULL};
  assert_int_equal(
      usnmp_sync_getbulk(f->sync, f->host, oids, 2, 1, 3, &nonblock, &l),
      USNMP_E_INVAL);
  assert_null(l);
  assert_int_equal(usnmp_sync_set_version(f->sync, USNMP_VERSION_1), 0);
  assert_int_equal(
      usnmp_sync_getbulk(f->sync, f->host, oids, 2, 1, 3, NULL, &l),
      USNMP_E_BAD_VERSION);
  assert_null(l);
}

/* A table fetch returns the rows in index order, one value per column,
 * a hole as noSuchInstance; by entry, the columns are found. */
static void test_table(void **state) {
  fixture *f = *state;
  usnmp_test_agent_mib_clear(f->agent);
  const char *col1 = "1.3.6.1.4.1.99999.6.1.1",
             *col2 = "1.3.6.1.4.1.99999.6.1.2";
  for (int i = 1; i <= 3; i++) {
    char name[64];
    snprintf(name, sizeof name, "%s.%d", col1, i);
    assert_int_equal(usnmp_test_agent_mib_set(f->agent, name,
                                              usnmp_value_integer(10 * i), 0),
                     0);
    if (i == 2)
      continue; /* the hole */
    snprintf(name, sizeof name, "%s.%d", col2, i);
    assert_int_equal(
        usnmp_test_agent_mib_set(f->agent, name, usnmp_value_string("row"), 0),
        0);
  }
  assert_int_equal(usnmp_test_agent_mib_set(f->agent, "1.3.6.1.4.1.99999.7",
                                            usnmp_value_integer(0), 0),
                   0);
  usnmp_oid cols[2] = {usnmp_test_oid(col1), usnmp_test_oid(col2)};
  usnmp_oid entry = usnmp_test_oid("1.3.6.1.4.1.99999.6.1");
  for (int by_entry = 0; by_entry <= 1; by_entry++) {
    usnmp_rowlist *rows = NULL;
    assert_int_equal(
        usnmp_sync_table(f->sync, f->host, by_entry ? &entry : NULL,
                         by_entry ? NULL : cols, by_entry ? 0 : 2, NULL, &rows),
        0);
    assert_int_equal(usnmp_rowlist_count(rows), 3);
    for (size_t i = 0; i < 3; i++) {
      const usnmp_table_row *row = usnmp_rowlist_get(rows, i);
      assert_int_equal(row->n_columns, 2);
      assert_int_equal(row->index->len, 1);
      assert_int_equal(row->index->arcs[0], i + 1);
      assert_int_equal(usnmp_oid_cmp(&row->columns[0], &cols[0]), 0);
      assert_int_equal(usnmp_oid_cmp(&row->columns[1], &cols[1]), 0);
      int32_t v = 0;
      assert_int_equal(usnmp_value_get_int(&row->values[0], &v), 0);
      assert_int_equal(v, 10 * (int32_t)(i + 1));
      if (i == 1) {
        assert_int_equal(row->values[1].type, USNMP_TYPE_NOSUCHINSTANCE);
      } else {
        char text[8];
        assert_int_equal(
            usnmp_value_get_string(&row->values[1], text, sizeof text), 3);
        assert_string_equal(text, "row");
      }
    }
    assert_null(usnmp_rowlist_get(rows, 3));
    usnmp_rowlist_free(rows);
  }
  usnmp_rowlist *rows = NULL;
  usnmp_call_opts nonblock = {USNMP_CALL_NONBLOCK, 0, NULL};
  assert_int_equal(
      usnmp_sync_table(f->sync, f->host, NULL, cols, 2, &nonblock, &rows),
      USNMP_E_INVAL);
  assert_int_equal(
      usnmp_sync_table(f->sync, f->host, NULL, NULL, 0, NULL, &rows),
      USNMP_E_INVAL);
  assert_null(rows);
  usnmp_rowlist_free(NULL);
  assert_int_equal(usnmp_rowlist_count(NULL), 0);
  /* A dead agent: the fetch times out, no rows. */
  usnmp_call_opts quick = {USNMP_CALL_TIMEOUT, 300, NULL};
  usnmp_test_agent_set_default(f->agent,
                               (usnmp_test_action){USNMP_TEST_DROP, 0, 0});
  assert_int_equal(
      usnmp_sync_table(f->sync, f->host, NULL, cols, 2, &quick, &rows),
      USNMP_E_TIMEOUT);
  assert_null(rows);
}

/* Per-host settings: a host's own community, version and timeout; the
 * object's setters apply to hosts already contacted but not to what a
 * host has of its own; an empty mask goes back to the object's. */
static void test_host_options(void **state) {
  fixture *f = *state;
  usnmp_test_agent *b;
  assert_int_equal(usnmp_test_agent_start_thread(&b, AF_INET6), 0);
  usnmp_test_agent_set_communities(b, "secret", "secret");
  const char *hb = usnmp_test_agent_address(b);
  usnmp_oid oid = usnmp_test_oid("1.3.6.1.2.1.1.5.0");
  usnmp_call_opts quick = {USNMP_CALL_TIMEOUT | USNMP_CALL_REFRESH, 300, NULL};
  usnmp_call_opts fresh = {USNMP_CALL_REFRESH, 0, NULL};
  usnmp_vblist *l = NULL;
  assert_int_equal(usnmp_sync_get(f->sync, hb, &oid, 1, &quick, &l),
                   USNMP_E_TIMEOUT);
  usnmp_host_opts ho = {0};
  ho.flags = USNMP_HOST_COMMUNITY;
  ho.community = "secret";
  assert_int_equal(usnmp_sync_set_host(f->sync, hb, &ho), 0);
  assert_int_equal(usnmp_sync_get(f->sync, hb, &oid, 1, &quick, &l), 0);
  usnmp_vblist_free(l);
  assert_int_equal(usnmp_sync_get(f->sync, f->host, &oid, 1, &quick, &l), 0);
  usnmp_vblist_free(l);

  /* The object's community reaches the host already contacted, not the
   * one with its own. */
  assert_int_equal(usnmp_sync_set_community(f->sync, "wrong"), 0);
  assert_int_equal(usnmp_sync_get(f->sync, f->host, &oid, 1, &quick, &l),
                   USNMP_E_TIMEOUT);
  assert_int_equal(usnmp_sync_get(f->sync, hb, &oid, 1, &quick, &l), 0);
  usnmp_vblist_free(l);
  assert_int_equal(usnmp_sync_set_community(f->sync, "public"), 0);

  /* A host's own version and timeout. */
  ho.flags |= USNMP_HOST_VERSION | USNMP_HOST_TIMEOUT;
  ho.version = USNMP_VERSION_1;
  ho.timeout_ms = 200;
  assert_int_equal(usnmp_sync_set_host(f->sync, hb, &ho), 0);
  assert_int_equal(usnmp_sync_getbulk(f->sync, hb, &oid, 1, 0, 2, NULL, &l),
                   USNMP_E_BAD_VERSION);
  assert_int_equal(
      usnmp_sync_getbulk(f->sync, f->host, &oid, 1, 0, 2, NULL, &l), 0);
  usnmp_vblist_free(l);
  usnmp_test_agent_set_default(b, (usnmp_test_action){USNMP_TEST_DROP, 0, 0});
  double t0 = now_s();
  assert_int_equal(usnmp_sync_get(f->sync, hb, &oid, 1, &fresh, &l),
                   USNMP_E_TIMEOUT);
  assert_true(now_s() - t0 < 2.0); /* 200 ms, not the object's 10 s */
  usnmp_test_agent_set_default(b, (usnmp_test_action){USNMP_TEST_ANSWER, 0, 0});

  /* Nothing of its own: the object's community again, which b refuses. */
  ho.flags = 0;
  assert_int_equal(usnmp_sync_set_host(f->sync, hb, &ho), 0);
  assert_int_equal(usnmp_sync_get(f->sync, hb, &oid, 1, &quick, &l),
                   USNMP_E_TIMEOUT);

  /* Refused: an unknown flag, v3 without a user, a zero resend. */
  ho.flags = 0x80000000u;
  assert_int_equal(usnmp_sync_set_host(f->sync, hb, &ho), USNMP_E_INVAL);
  ho.flags = USNMP_HOST_VERSION;
  ho.version = USNMP_VERSION_3;
  assert_int_equal(usnmp_sync_set_host(f->sync, hb, &ho), USNMP_E_INVAL);
  ho.flags = USNMP_HOST_RESEND;
  ho.resend_ms = 0;
  assert_int_equal(usnmp_sync_set_host(f->sync, hb, &ho), USNMP_E_INVAL);
  assert_int_equal(usnmp_sync_set_host(f->sync, hb, NULL), USNMP_E_INVAL);
  usnmp_test_agent_stop_thread(b);
}

/* The i-th varbind answers the i-th OID, in the caller's order. */
static void test_get_in_order(void **state) {
  fixture *f = *state;
  usnmp_oid oids[3] = {usnmp_test_oid("1.3.6.1.2.1.1.5.0"),
                       usnmp_test_oid("1.3.6.1.2.1.1.1.0"),
                       usnmp_test_oid("1.3.6.1.4.1.99999.1.7")};
  usnmp_vblist *l = NULL;
  assert_int_equal(usnmp_sync_get(f->sync, f->host, oids, 3, NULL, &l), 0);
  assert_int_equal(usnmp_vblist_count(l), 3);
  assert_string_value(usnmp_vblist_get(l, 0), "agent");
  assert_string_value(usnmp_vblist_get(l, 1), "usnmp scripted test agent");
  int32_t i = 0;
  assert_int_equal(usnmp_value_get_int(&usnmp_vblist_get(l, 2)->value, &i), 0);
  assert_int_equal(i, 7);
  assert_name(usnmp_vblist_get(l, 2), "1.3.6.1.4.1.99999.1.7");
  assert_null(usnmp_vblist_get(l, 3));
  usnmp_vblist_free(l);
}

/* A value once fetched comes from the cache; refresh and clear go back to
 * the agent; the bound holds. */
static void test_cache(void **state) {
  fixture *f = *state;
  usnmp_oid oid = usnmp_test_oid("1.3.6.1.2.1.1.5.0");
  usnmp_vblist *l = NULL;
  assert_int_equal(usnmp_sync_get(f->sync, f->host, &oid, 1, NULL, &l), 0);
  usnmp_vblist_free(l);
  uint64_t before = agent_requests(f->agent);
  assert_int_equal(usnmp_sync_get(f->sync, f->host, &oid, 1, NULL, &l), 0);
  assert_string_value(usnmp_vblist_get(l, 0), "agent");
  usnmp_vblist_free(l);
  assert_int_equal(agent_requests(f->agent), before);
  assert_int_equal(usnmp_sync_cache_size(f->sync), 1);

  usnmp_call_opts refresh = {USNMP_CALL_REFRESH, 0, NULL};
  assert_int_equal(usnmp_sync_get(f->sync, f->host, &oid, 1, &refresh, &l), 0);
  usnmp_vblist_free(l);
  assert_int_equal(agent_requests(f->agent), before + 1);

  usnmp_sync_cache_clear(f->sync);
  assert_int_equal(usnmp_sync_cache_size(f->sync), 0);
  assert_int_equal(usnmp_sync_get(f->sync, f->host, &oid, 1, NULL, &l), 0);
  usnmp_vblist_free(l);
  assert_int_equal(agent_requests(f->agent), before + 2);

  assert_int_equal(usnmp_sync_set_cache_limit(f->sync, 3), 0);
  for (int i = 1; i <= 8; i++) {
    char text[64];
    snprintf(text, sizeof text, "1.3.6.1.4.1.99999.1.%d", i);
    usnmp_oid o = usnmp_test_oid(text);
    assert_int_equal(usnmp_sync_get(f->sync, f->host, &o, 1, NULL, &l), 0);
    usnmp_vblist_free(l);
    assert_true(usnmp_sync_cache_size(f->sync) <= 3);
  }
  /* The newest stayed: no traffic for it. */
  before = agent_requests(f->agent);
  usnmp_oid last = usnmp_test_oid("1.3.6.1.4.1.99999.1.8");
  assert_int_equal(usnmp_sync_get(f->sync, f->host, &last, 1, NULL, &l), 0);
  usnmp_vblist_free(l);
  assert_int_equal(agent_requests(f->agent), before);
}

/* GETNEXT answers are cached apart: they never answer a GET. */
static void test_getnext_separate(void **state) {
  fixture *f = *state;
  usnmp_oid oid = usnmp_test_oid("1.3.6.1.2.1.1.5.0");
  usnmp_vblist *l = NULL;
  assert_int_equal(usnmp_sync_getnext(f->sync, f->host, &oid, 1, NULL, &l), 0);
  assert_name(usnmp_vblist_get(l, 0), "1.3.6.1.2.1.1.6.0");
  assert_string_value(usnmp_vblist_get(l, 0), "lab");
  usnmp_vblist_free(l);
  uint64_t before = agent_requests(f->agent);
  assert_int_equal(usnmp_sync_get(f->sync, f->host, &oid, 1, NULL, &l), 0);
  assert_name(usnmp_vblist_get(l, 0), "1.3.6.1.2.1.1.5.0");
  assert_string_value(usnmp_vblist_get(l, 0), "agent");
  usnmp_vblist_free(l);
  assert_int_equal(agent_requests(f->agent), before + 1);
}

/* A request already in flight for the same host and OID is not sent
 * twice: the blocking call collects the non-blocking one. */
static void test_nonblock_then_collect(void **state) {
  fixture *f = *state;
  usnmp_test_agent_push(f->agent,
                        (usnmp_test_action){USNMP_TEST_DELAY, 200, 0});
  usnmp_oid oids[2] = {usnmp_test_oid("1.3.6.1.2.1.1.1.0"),
                       usnmp_test_oid("1.3.6.1.2.1.1.6.0")};
  usnmp_call_opts start = {USNMP_CALL_NONBLOCK, 0, NULL};
  usnmp_vblist *l = (usnmp_vblist *)&l;
  uint64_t before = agent_requests(f->agent);
  assert_int_equal(usnmp_sync_get(f->sync, f->host, oids, 2, &start, &l), 0);
  assert_null(l);
  assert_int_equal(usnmp_sync_get(f->sync, f->host, oids, 2, NULL, &l), 0);
  assert_string_value(usnmp_vblist_get(l, 1), "lab");
  usnmp_vblist_free(l);
  assert_int_equal(agent_requests(f->agent), before + 1);
}

/* Timeouts are errors, distinct from SNMP errors, and never cached; the
 * resend interval is honoured and fractional timeouts work. */
static void test_timeout_not_cached(void **state) {
  fixture *f = *state;
  usnmp_sync_set_resend(f->sync, 100);
  usnmp_test_agent_set_default(f->agent,
                               (usnmp_test_action){USNMP_TEST_DROP, 0, 0});
  usnmp_oid oid = usnmp_test_oid("1.3.6.1.2.1.1.4.0");
  usnmp_call_opts opts = {USNMP_CALL_TIMEOUT, 450, NULL};
  usnmp_vblist *l = NULL;
  uint64_t before = agent_received(f->agent);
  double t0 = now_s();
  assert_int_equal(usnmp_sync_get(f->sync, f->host, &oid, 1, &opts, &l),
                   USNMP_E_TIMEOUT);
  double took = now_s() - t0;
  assert_null(l);
  assert_true(took >= 0.4);
  assert_true(took < 3.0);
  /* Sent at 0, then resent every 100 ms until 450 ms: 5 datagrams. */
  uint64_t sent = agent_received(f->agent) - before;
  assert_true(sent >= 4 && sent <= 6);
  assert_int_equal(usnmp_sync_cache_size(f->sync), 0);

  usnmp_test_agent_set_default(f->agent,
                               (usnmp_test_action){USNMP_TEST_ANSWER, 0, 0});
  assert_int_equal(usnmp_sync_get(f->sync, f->host, &oid, 1, &opts, &l), 0);
  assert_string_value(usnmp_vblist_get(l, 0), "root");
  usnmp_vblist_free(l);
}

/* An error-status is USNMP_E_SNMP_ERROR with status and index in the
 * caller's numbering; per-varbind exceptions are values. */
static void test_errors_and_exceptions(void **state) {
  fixture *f = *state;
  usnmp_oid oids[2] = {usnmp_test_oid("1.3.6.1.2.1.1.1.0"),
                       usnmp_test_oid("1.3.6.1.2.1.1.99.0")};
  usnmp_vblist *l = NULL;
  assert_int_equal(usnmp_sync_get(f->sync, f->host, oids, 2, NULL, &l), 0);
  assert_int_equal(usnmp_vblist_get(l, 1)->value.type, USNMP_TYPE_NOSUCHOBJECT);
  assert_true(usnmp_value_is_exception(&usnmp_vblist_get(l, 1)->value));
  usnmp_vblist_free(l);

  usnmp_sync_set_version(f->sync, USNMP_VERSION_1);
  usnmp_oid v1oids[3] = {usnmp_test_oid("1.3.6.1.2.1.1.4.0"),
                         usnmp_test_oid("1.3.6.1.2.1.1.98.0"),
                         usnmp_test_oid("1.3.6.1.2.1.1.6.0")};
  assert_int_equal(usnmp_sync_get(f->sync, f->host, v1oids, 3, NULL, &l),
                   USNMP_E_SNMP_ERROR);
  assert_null(l);
  assert_int_equal(usnmp_sync_error_status(f->sync),
                   USNMP_ERROR_STATUS_NOSUCHNAME);
  assert_int_equal(usnmp_sync_error_index(f->sync), 2);
  /* Not cached: the same call goes to the agent again. */
  uint64_t before = agent_requests(f->agent);
  assert_int_equal(usnmp_sync_get(f->sync, f->host, v1oids, 3, NULL, &l),
                   USNMP_E_SNMP_ERROR);
  assert_int_equal(agent_requests(f->agent), before + 1);
  usnmp_sync_set_version(f->sync, USNMP_VERSION_2C);
}

/* SET uses the write community and refreshes what it wrote. */
static void test_set_refreshes(void **state) {
  fixture *f = *state;
  usnmp_oid oid = usnmp_test_oid("1.3.6.1.2.1.1.6.0");
  usnmp_vblist *l = NULL;
  assert_int_equal(usnmp_sync_get(f->sync, f->host, &oid, 1, NULL, &l), 0);
  assert_string_value(usnmp_vblist_get(l, 0), "lab");
  usnmp_vblist_free(l);
  usnmp_value v = usnmp_value_string("basement");
  assert_int_equal(usnmp_sync_set(f->sync, f->host, &oid, &v, NULL, &l), 0);
  assert_string_value(usnmp_vblist_get(l, 0), "basement");
  usnmp_vblist_free(l);
  uint64_t before = agent_requests(f->agent);
  assert_int_equal(usnmp_sync_get(f->sync, f->host, &oid, 1, NULL, &l), 0);
  assert_string_value(usnmp_vblist_get(l, 0), "basement");
  usnmp_vblist_free(l);
  assert_int_equal(agent_requests(f->agent), before);
  char text[128];
  assert_int_equal(usnmp_test_agent_mib_format(f->agent, "1.3.6.1.2.1.1.6.0",
                                               text, sizeof text),
                   0);
  assert_string_equal(text, "STRING: \"basement\"");

  /* With the read community for SETs the agent refuses it. */
  usnmp_sync_set_write_community(f->sync, NULL);
  v = usnmp_value_string("attic");
  assert_int_equal(usnmp_sync_set(f->sync, f->host, &oid, &v, NULL, NULL),
                   USNMP_E_SNMP_ERROR);
  assert_int_not_equal(usnmp_sync_error_status(f->sync), 0);
  assert_int_equal(usnmp_sync_error_index(f->sync), 1);
  assert_int_equal(usnmp_test_agent_mib_format(f->agent, "1.3.6.1.2.1.1.6.0",
                                               text, sizeof text),
                   0);
  assert_string_equal(text, "STRING: \"basement\"");
  usnmp_sync_set_write_community(f->sync, "private");

  /* Multi-varbind SET, and a non-blocking SET collected by a GET. */
  usnmp_oid two[2] = {usnmp_test_oid("1.3.6.1.2.1.1.4.0"),
                      usnmp_test_oid("1.3.6.1.2.1.1.5.0")};
  usnmp_value vals[2] = {usnmp_value_string("ops"),
                         usnmp_value_string("core1")};
  assert_int_equal(
      usnmp_sync_set_many(f->sync, f->host, two, vals, 2, NULL, &l), 0);
  assert_int_equal(usnmp_vblist_count(l), 2);
  assert_string_value(usnmp_vblist_get(l, 1), "core1");
  usnmp_vblist_free(l);
  usnmp_call_opts start = {USNMP_CALL_NONBLOCK, 0, NULL};
  v = usnmp_value_string("core2");
  assert_int_equal(usnmp_sync_set(f->sync, f->host, &two[1], &v, &start, NULL),
                   0);
  assert_int_equal(usnmp_sync_get(f->sync, f->host, &two[1], 1, NULL, &l), 0);
  assert_string_value(usnmp_vblist_get(l, 0), "core2");
  usnmp_vblist_free(l);
}

/* Writer preference: a SET waits for the host's outstanding GET, and a
 * GET started after a SET waits for it. */
static void test_writer_preferred(void **state) {
  fixture *f = *state;
  usnmp_oid get_oid = usnmp_test_oid("1.3.6.1.4.1.99999.1.3");
  usnmp_oid set_oid = usnmp_test_oid("1.3.6.1.2.1.1.4.0");
  usnmp_call_opts start = {USNMP_CALL_NONBLOCK, 0, NULL};
  usnmp_test_agent_stats st;
  usnmp_test_agent_get_stats(f->agent, &st);
  size_t first = st.n_recv_ms;
  assert_true(first + 3 <= 64);

  /* GET answered after 300 ms; the SET must not reach the agent before. */
  usnmp_test_agent_push(f->agent,
                        (usnmp_test_action){USNMP_TEST_DELAY, 300, 0});
  assert_int_equal(usnmp_sync_get(f->sync, f->host, &get_oid, 1, &start, NULL),
                   0);
  usnmp_value v = usnmp_value_string("noc");
  assert_int_equal(usnmp_sync_set(f->sync, f->host, &set_oid, &v, NULL, NULL),
                   0);
  usnmp_test_agent_get_stats(f->agent, &st);
  assert_int_equal(st.n_recv_ms, first + 2);
  assert_true(st.recv_ms[first + 1] >= st.recv_ms[first] + 250);

  /* SET delayed 300 ms, started without blocking; a GET after it waits. */
  usnmp_test_agent_push(f->agent,
                        (usnmp_test_action){USNMP_TEST_DELAY, 300, 0});
  v = usnmp_value_string("noc2");
  assert_int_equal(usnmp_sync_set(f->sync, f->host, &set_oid, &v, &start, NULL),
                   0);
  usnmp_oid other = usnmp_test_oid("1.3.6.1.4.1.99999.1.4");
  usnmp_vblist *l = NULL;
  assert_int_equal(usnmp_sync_get(f->sync, f->host, &other, 1, NULL, &l), 0);
  usnmp_vblist_free(l);
  usnmp_test_agent_get_stats(f->agent, &st);
  assert_int_equal(st.n_recv_ms, first + 4);
  assert_true(st.recv_ms[first + 3] >= st.recv_ms[first + 2] + 250);
  /* And the GET of what the SET wrote sees the new value. */
  assert_int_equal(usnmp_sync_get(f->sync, f->host, &set_oid, 1, NULL, &l), 0);
  assert_string_value(usnmp_vblist_get(l, 0), "noc2");
  usnmp_vblist_free(l);
}

/* Starting N hosts and collecting them takes about one round trip, not N:
 * every agent delays its answer by 500 ms. */
static void test_many_hosts_one_round_trip(void **state) {
  (void)state;
  enum { N = 5 };
  usnmp_test_agent *agents[N];
  usnmp_sync *s;
  assert_int_equal(usnmp_sync_init(&s), 0);
  for (int i = 0; i < N; i++) {
    assert_int_equal(usnmp_test_agent_start_thread(&agents[i], AF_INET), 0);
    usnmp_test_agent_set_default(agents[i],
                                 (usnmp_test_action){USNMP_TEST_DELAY, 500, 0});
  }
  usnmp_oid oids[2] = {usnmp_test_oid("1.3.6.1.2.1.1.1.0"),
                       usnmp_test_oid("1.3.6.1.2.1.1.5.0")};
  usnmp_call_opts start = {USNMP_CALL_NONBLOCK, 0, NULL};
  double t0 = now_s();
  for (int i = 0; i < N; i++) {
    assert_int_equal(usnmp_sync_get(s, usnmp_test_agent_address(agents[i]),
                                    oids, 2, &start, NULL),
                     0);
  }
  for (int i = 0; i < N; i++) {
    usnmp_vblist *l = NULL;
    assert_int_equal(usnmp_sync_get(s, usnmp_test_agent_address(agents[i]),
                                    oids, 2, NULL, &l),
                     0);
    assert_string_value(usnmp_vblist_get(l, 1), "agent");
    usnmp_vblist_free(l);
  }
  double took = now_s() - t0;
  /* One after the other would take N x 500 ms = 2.5 s. */
  assert_true(took >= 0.49);
  assert_true(took < 1.5);
  usnmp_sync_close(s);
  for (int i = 0; i < N; i++)
    usnmp_test_agent_stop_thread(agents[i]);
}

/* A blocking call from inside a callback on the sync object's own loop
 * returns an error instead of deadlocking. */
typedef struct reentry {
  usnmp_sync *sync;
  const char *host;
  int rc;
  int calls;
} reentry;

static void reentry_cb(const usnmp_response *resp, void *arg) {
  reentry *r = arg;
  usnmp_oid oid = usnmp_test_oid("1.3.6.1.2.1.1.1.0");
  usnmp_vblist *l = NULL;
  r->calls++;
  r->rc = usnmp_sync_get(r->sync, r->host, &oid, 1, NULL, &l);
  assert_null(l);
  (void)resp;
}

static void test_blocking_inside_callback(void **state) {
  fixture *f = *state;
  usnmp_target *t;
  assert_int_equal(usnmp_target_init(usnmp_sync_manager(f->sync), &t, f->host),
                   0);
  reentry r = {f->sync, f->host, 0, 0};
  usnmp_oid oid = usnmp_test_oid("1.3.6.1.2.1.1.3.0");
  assert_int_equal(usnmp_get(t, &oid, 1, NULL, reentry_cb, &r, NULL), 0);
  usnmp_oid other = usnmp_test_oid("1.3.6.1.4.1.99999.1.9");
  usnmp_vblist *l = NULL;
  usnmp_test_agent_push(f->agent, (usnmp_test_action){USNMP_TEST_ANSWER, 0, 0});
  usnmp_test_agent_push(f->agent,
                        (usnmp_test_action){USNMP_TEST_DELAY, 100, 0});
  assert_int_equal(usnmp_sync_get(f->sync, f->host, &other, 1, NULL, &l), 0);
  usnmp_vblist_free(l);
  assert_int_equal(r.calls, 1);
  assert_int_equal(r.rc, USNMP_E_IN_CALLBACK);
  usnmp_target_close(t);
}

/* Closing with requests in flight frees everything and does not wait for
 * their timeouts. */
static void test_close_in_flight(void **state) {
  fixture *f = *state;
  usnmp_sync *s;
  assert_int_equal(usnmp_sync_init(&s), 0);
  usnmp_test_agent_set_default(f->agent,
                               (usnmp_test_action){USNMP_TEST_DROP, 0, 0});
  usnmp_oid oid = usnmp_test_oid("1.3.6.1.2.1.1.1.0");
  usnmp_call_opts start = {USNMP_CALL_NONBLOCK, 0, NULL};
  for (int i = 0; i < 10; i++) {
    usnmp_oid o = oid;
    o.arcs[o.len - 1] = (uint32_t)i;
    assert_int_equal(usnmp_sync_get(s, f->host, &o, 1, &start, NULL), 0);
  }
  usnmp_value v = usnmp_value_integer(1);
  assert_int_equal(usnmp_sync_set(s, f->host, &oid, &v, &start, NULL), 0);
  double t0 = now_s();
  usnmp_sync_close(s);
  assert_true(now_s() - t0 < 1.0);
  usnmp_test_agent_set_default(f->agent,
                               (usnmp_test_action){USNMP_TEST_ANSWER, 0, 0});
}

/* Every allocation of the blocking layer, its manager and its lists goes
 * through the hook: failing each one in turn gives USNMP_E_NOMEM (or, where
 * the manager lost an answer to it, a timeout), never a crash, and nothing
 * is left allocated after close. */
static void test_allocation_failures(void **state) {
  fixture *f = *state;
  usnmp_test_failing fail = {0};
  usnmp_allocator alloc = usnmp_test_failing_allocator(&fail);
  usnmp_oid oids[2] = {usnmp_test_oid("1.3.6.1.2.1.1.5.0"),
                       usnmp_test_oid("1.3.6.1.2.1.1.1.0")};
  usnmp_oid root = usnmp_test_oid("1.3.6.1.4.1.99999.1");
  usnmp_call_opts quick = {USNMP_CALL_TIMEOUT, 300, NULL};
  int clean_runs = 0;
  for (long n = 0; n < 800 && clean_runs < 2; n++) {
    usnmp_sync *s = NULL;
    usnmp_vblist *l = NULL;
    int rc;
    usnmp_test_failing_arm(&fail, n);
    rc = usnmp_sync_init_ex(&s, &alloc);
    if (rc != 0) {
      assert_int_equal(rc, USNMP_E_NOMEM);
      assert_int_equal(fail.live, 0);
      continue;
    }
    usnmp_sync_set_resend(s, 100);
    rc = usnmp_sync_set_write_community(s, "private");
    if (rc == 0)
      rc = usnmp_sync_get(s, f->host, oids, 2, &quick, &l);
    if (rc == 0) {
      assert_int_equal(usnmp_vblist_count(l), 2);
      usnmp_vblist_free(l);
      usnmp_value v = usnmp_value_string("agent");
      rc = usnmp_sync_set(s, f->host, &oids[0], &v, &quick, NULL);
    }
    if (rc == 0) {
      usnmp_sync_walk *w = NULL;
      const usnmp_varbind *vb;
      int count = 0;
      rc = usnmp_sync_walk_init(s, f->host, &root, &quick, &w);
      if (rc == 0) {
        while ((rc = usnmp_sync_walk_next(w, &vb)) == 1)
          count++;
      }
      if (rc == 0)
        assert_int_equal(count, 40);
      usnmp_sync_walk_close(w);
    }
    if (rc == 0) {
      usnmp_host_opts ho = {0};
      ho.flags = USNMP_HOST_COMMUNITY | USNMP_HOST_WRITE_COMMUNITY;
      ho.community = "public";
      ho.write_community = "private";
      rc = usnmp_sync_set_host(s, f->host, &ho);
    }
    if (rc == 0) {
      rc = usnmp_sync_getbulk(s, f->host, &root, 1, 0, 5, &quick, &l);
      if (rc == 0) {
        assert_int_equal(usnmp_vblist_count(l), 5);
        usnmp_vblist_free(l);
      }
    }
    if (rc == 0) {
      usnmp_rowlist *rows = NULL;
      rc = usnmp_sync_table(s, f->host, NULL, &root, 1, &quick, &rows);
      if (rc == 0)
        assert_int_equal(usnmp_rowlist_count(rows), 40);
      usnmp_rowlist_free(rows);
    }
    if (!fail.failed) {
      assert_int_equal(rc, 0);
      clean_runs++;
    } else {
      if (!(rc == 0 || rc == USNMP_E_NOMEM || rc == USNMP_E_TIMEOUT))
        fail_msg("allocation %ld: %d %s", n, rc, usnmp_err_name(rc));
    }
    usnmp_sync_close(s);
    usnmp_test_failing_disarm(&fail);
    assert_int_equal(fail.live, 0);
  }
  assert_int_equal(clean_runs, 2);
}

static void test_bad_arguments(void **state) {
  fixture *f = *state;
  usnmp_oid oid = usnmp_test_oid("1.3.6.1.2.1.1.1.0");
  usnmp_vblist *l = NULL;
  assert_int_equal(usnmp_sync_get(f->sync, f->host, &oid, 0, NULL, &l),
                   USNMP_E_INVAL);
  assert_int_equal(usnmp_sync_get(f->sync, NULL, &oid, 1, NULL, &l),
                   USNMP_E_INVAL);
  assert_int_equal(usnmp_sync_set(f->sync, f->host, &oid, NULL, NULL, &l),
                   USNMP_E_INVAL);
  assert_int_equal(usnmp_sync_set_version(f->sync, (usnmp_version)7),
                   USNMP_E_INVAL);
  assert_int_equal(usnmp_sync_set_timeout(f->sync, 0), USNMP_E_INVAL);
  assert_int_equal(
      usnmp_sync_get(f->sync, USNMP_TEST_UNRESOLVABLE, &oid, 1, NULL, &l),
      USNMP_E_RESOLVE);
  assert_int_equal(usnmp_vblist_count(NULL), 0);
  usnmp_vblist_free(NULL);
}

/* Against a real net-snmp snmpd: IPv4, IPv6 and a hostname, the default
 * port setting, SET with the write community, and a walk. */
static void test_real_snmpd(void **state) {
  (void)state;
  usnmp_test_snmpd agent = {0};
  assert_int_equal(usnmp_test_snmpd_start(&agent), 0);
  usnmp_sync *s;
  assert_int_equal(usnmp_sync_init(&s), 0);
  usnmp_sync_set_write_community(s, "private");
  assert_int_equal(usnmp_sync_set_port(s, agent.port), 0);
  usnmp_oid oids[2] = {usnmp_test_oid("1.3.6.1.2.1.1.1.0"),
                       usnmp_test_oid("1.3.6.1.2.1.1.3.0")};
  const char *hosts[] = {"127.0.0.1", "::1", "localhost", agent.agent4,
                         agent.agent6};
  for (size_t i = 0; i < sizeof hosts / sizeof *hosts; i++) {
    usnmp_vblist *l = NULL;
    assert_int_equal(usnmp_sync_get(s, hosts[i], oids, 2, NULL, &l), 0);
    assert_int_equal(usnmp_vblist_get(l, 0)->value.type,
                     USNMP_TYPE_OCTET_STRING);
    assert_int_equal(usnmp_vblist_get(l, 1)->value.type, USNMP_TYPE_TIMETICKS);
    usnmp_vblist_free(l);
  }
  usnmp_oid loc = usnmp_test_oid("1.3.6.1.2.1.1.6.0");
  usnmp_value v = usnmp_value_string("rack 7");
  assert_int_equal(usnmp_sync_set(s, "127.0.0.1", &loc, &v, NULL, NULL), 0);
  usnmp_call_opts refresh = {USNMP_CALL_REFRESH, 0, NULL};
  usnmp_vblist *l = NULL;
  assert_int_equal(usnmp_sync_get(s, "::1", &loc, 1, &refresh, &l), 0);
  assert_string_value(usnmp_vblist_get(l, 0), "rack 7");
  usnmp_vblist_free(l);

  /* Walk the system group as a pull iterator. */
  usnmp_oid root = usnmp_test_oid("1.3.6.1.2.1.1");
  usnmp_sync_walk *w;
  assert_int_equal(usnmp_sync_walk_init(s, "127.0.0.1", &root, NULL, &w), 0);
  const usnmp_varbind *vb;
  int rc, count = 0, seen_location = 0;
  usnmp_oid prev = root;
  while ((rc = usnmp_sync_walk_next(w, &vb)) == 1) {
    usnmp_oid name;
    assert_int_equal(usnmp_varbind_oid(vb, &name), 0);
    assert_true(usnmp_oid_is_prefix(&root, &name));
    assert_true(usnmp_oid_cmp(&prev, &name) < 0);
    usnmp_oid location = usnmp_test_oid("1.3.6.1.2.1.1.6.0");
    if (usnmp_oid_cmp(&name, &location) == 0) {
      char text[16];
      assert_int_equal(usnmp_value_get_string(&vb->value, text, sizeof text),
                       6);
      assert_string_equal(text, "rack 7");
      seen_location = 1;
    }
    prev = name;
    count++;
  }
  assert_true(seen_location);
  assert_int_equal(rc, 0);
  assert_true(count >= 8);
  usnmp_sync_walk_close(w);

  /* GETBULK and a table fetch (ifIndex and ifDescr of ifTable: every row's
   * ifIndex is its index). */
  usnmp_oid sys = usnmp_test_oid("1.3.6.1.2.1.1");
  assert_int_equal(usnmp_sync_getbulk(s, "127.0.0.1", &sys, 1, 0, 3, NULL, &l),
                   0);
  assert_int_equal(usnmp_vblist_count(l), 3);
  assert_name(usnmp_vblist_get(l, 0), "1.3.6.1.2.1.1.1.0");
  usnmp_vblist_free(l);
  usnmp_oid if_cols[2] = {usnmp_test_oid("1.3.6.1.2.1.2.2.1.1"),
                          usnmp_test_oid("1.3.6.1.2.1.2.2.1.2")};
  usnmp_rowlist *rows = NULL;
  assert_int_equal(usnmp_sync_table(s, "::1", NULL, if_cols, 2, NULL, &rows),
                   0);
  assert_true(usnmp_rowlist_count(rows) >= 1);
  for (size_t i = 0; i < usnmp_rowlist_count(rows); i++) {
    const usnmp_table_row *row = usnmp_rowlist_get(rows, i);
    int32_t if_index = 0;
    assert_int_equal(usnmp_value_get_int(&row->values[0], &if_index), 0);
    assert_int_equal(row->index->len, 1);
    assert_int_equal((uint32_t)if_index, row->index->arcs[0]);
    assert_int_equal(row->values[1].type, USNMP_TYPE_OCTET_STRING);
  }
  usnmp_rowlist_free(rows);

  /* A wrong community times out, with the per-call override too. */
  usnmp_call_opts wrong = {USNMP_CALL_TIMEOUT | USNMP_CALL_COMMUNITY |
                               USNMP_CALL_REFRESH,
                           300, "nope"};
  assert_int_equal(usnmp_sync_get(s, "127.0.0.1", &loc, 1, &wrong, &l),
                   USNMP_E_TIMEOUT);
  usnmp_sync_close(s);
  assert_int_equal(usnmp_test_snmpd_stop(&agent), 0);
}

/* Starts the real snmpd and a sync object whose default port is its. */
static usnmp_sync *snmpd_sync(usnmp_test_snmpd *agent) {
  usnmp_sync *s;
  assert_int_equal(usnmp_test_snmpd_start(agent), 0);
  assert_int_equal(usnmp_sync_init(&s), 0);
  assert_int_equal(usnmp_sync_set_port(s, agent->port), 0);
  return s;
}

/* Per-host SNMPv3 users against the real snmpd: one host speaks v3 with
 * its own user while another stays v2c; a host's own user survives the
 * object's usnmp_sync_set_v3_user(), and an empty mask gives the host the
 * object's user back; a bad host user gets the v3 setup codes. */
static void test_real_snmpd_host_v3(void **state) {
  (void)state;
  if (!USNMP_HAVE_SNMPV3)
    skip(); /* built with -Dsnmpv3=false */
  usnmp_test_snmpd agent = {0};
  usnmp_sync *s = snmpd_sync(&agent);
  assert_int_equal(usnmp_sync_set_community(s, "nope"), 0);
  usnmp_oid oid = usnmp_test_oid("1.3.6.1.2.1.1.1.0");
  usnmp_call_opts quick = {USNMP_CALL_TIMEOUT | USNMP_CALL_REFRESH, 500, NULL};
  usnmp_vblist *l = NULL;

  usnmp_host_opts good = {0};
  good.flags = USNMP_HOST_V3_USER;
  good.v3_user = "sha256aes256c";
  good.v3_auth = USNMP_AUTH_SHA256;
  good.v3_authpass = USNMP_TEST_SNMPD_AUTH_PASS;
  good.v3_priv = USNMP_PRIV_AES256C;
  good.v3_privpass = USNMP_TEST_SNMPD_PRIV_PASS;
  assert_int_equal(usnmp_sync_set_host(s, "127.0.0.1", &good), 0);
  assert_int_equal(usnmp_sync_get(s, "127.0.0.1", &oid, 1, &quick, &l), 0);
  assert_string_value(usnmp_vblist_get(l, 0),
                      "usnmp test agent (net-snmp snmpd)");
  usnmp_vblist_free(l);
  assert_int_equal(usnmp_sync_get(s, "::1", &oid, 1, &quick, &l),
                   USNMP_E_TIMEOUT); /* v2c, community "nope" */

  usnmp_host_opts bad = good;
  bad.v3_user = "shaaes";
  bad.v3_auth = USNMP_AUTH_SHA;
  bad.v3_authpass = "wrongpass123";
  bad.v3_priv = USNMP_PRIV_AES;
  assert_int_equal(usnmp_sync_set_host(s, "::1", &bad), 0);
  assert_int_equal(usnmp_sync_get(s, "::1", &oid, 1, &quick, &l),
                   USNMP_E_WRONG_DIGEST);
  usnmp_host_opts shorty = good;
  shorty.v3_authpass = "short";
  assert_int_equal(usnmp_sync_set_host(s, "::1", &shorty),
                   USNMP_E_V3_PASSPHRASE);

  /* The object's user reaches neither host with its own... */
  assert_int_equal(usnmp_sync_set_v3_user(s, "sha256aes256c", USNMP_AUTH_SHA256,
                                          USNMP_TEST_SNMPD_AUTH_PASS,
                                          USNMP_PRIV_AES256C,
                                          USNMP_TEST_SNMPD_PRIV_PASS),
                   0);
  assert_int_equal(usnmp_sync_get(s, "::1", &oid, 1, &quick, &l),
                   USNMP_E_WRONG_DIGEST);
  assert_int_equal(usnmp_sync_get(s, "127.0.0.1", &oid, 1, &quick, &l), 0);
  usnmp_vblist_free(l);
  /* ...until the host gives its own up. */
  usnmp_host_opts none = {0};
  assert_int_equal(usnmp_sync_set_host(s, "::1", &none), 0);
  assert_int_equal(usnmp_sync_get(s, "::1", &oid, 1, &quick, &l), 0);
  usnmp_vblist_free(l);
  usnmp_sync_close(s);
  assert_int_equal(usnmp_test_snmpd_stop(&agent), 0);
}

/* SNMPv3 through the blocking layer against the real snmpd: a user with
 * SHA-256 and AES-256 (Reeder), over IPv4 and IPv6, GET, SET and a walk;
 * a wrong password and an unknown user give their own errors. */
static void test_real_snmpd_v3(void **state) {
  (void)state;
  if (!USNMP_HAVE_SNMPV3)
    skip(); /* built with -Dsnmpv3=false */
  usnmp_test_snmpd agent = {0};
  usnmp_sync *s = snmpd_sync(&agent);
  assert_int_equal(usnmp_sync_set_version(s, USNMP_VERSION_3),
                   USNMP_E_INVAL); /* no user yet */
  assert_int_equal(usnmp_sync_set_v3_level(s, USNMP_SEC_AUTHNOPRIV),
                   USNMP_E_INVAL);
  assert_int_equal(usnmp_sync_set_v3_user(s, "sha256aes256c", USNMP_AUTH_SHA256,
                                          "short", USNMP_PRIV_AES256C,
                                          "privpass123"),
                   USNMP_E_V3_PASSPHRASE);
  assert_int_equal(usnmp_sync_set_v3_user(s, "", USNMP_AUTH_SHA256,
                                          "authpass123", USNMP_PRIV_NONE, NULL),
                   USNMP_E_V3_USER_NAME);
  assert_int_equal(usnmp_sync_set_v3_user(s, NULL, USNMP_AUTH_SHA256,
                                          "authpass123", USNMP_PRIV_NONE, NULL),
                   USNMP_E_V3_USER_NAME);
  assert_int_equal(usnmp_sync_set_v3_user(
                       s, "123456789012345678901234567890123",
                       USNMP_AUTH_SHA256, "authpass123", USNMP_PRIV_NONE, NULL),
                   USNMP_E_V3_USER_NAME);
  assert_int_equal(usnmp_sync_set_v3_user(s, "u", USNMP_AUTH_NONE, NULL,
                                          USNMP_PRIV_AES, "privpass123"),
                   USNMP_E_V3_PRIV_WITHOUT_AUTH);
  assert_int_equal(usnmp_sync_set_v3_user(s, "u", USNMP_AUTH_SHA, "authpass123",
                                          (usnmp_priv_proto)42, "privpass123"),
                   USNMP_E_V3_UNKNOWN_PROTOCOL);
  assert_int_equal(usnmp_sync_set_v3_user(s, "sha256aes256c", USNMP_AUTH_SHA256,
                                          USNMP_TEST_SNMPD_AUTH_PASS,
                                          USNMP_PRIV_AES256C,
                                          USNMP_TEST_SNMPD_PRIV_PASS),
                   0);
  assert_int_equal(usnmp_sync_set_v3_context(s, ""), 0);
  usnmp_oid oids[2] = {usnmp_test_oid("1.3.6.1.2.1.1.1.0"),
                       usnmp_test_oid("1.3.6.1.2.1.1.3.0")};
  const char *hosts[] = {"127.0.0.1", "::1"};
  for (size_t i = 0; i < 2; i++) {
    usnmp_vblist *l = NULL;
    assert_int_equal(usnmp_sync_get(s, hosts[i], oids, 2, NULL, &l), 0);
    assert_string_value(usnmp_vblist_get(l, 0),
                        "usnmp test agent (net-snmp snmpd)");
    assert_int_equal(usnmp_vblist_get(l, 1)->value.type, USNMP_TYPE_TIMETICKS);
    usnmp_vblist_free(l);
  }
  usnmp_oid loc = usnmp_test_oid("1.3.6.1.2.1.1.6.0");
  usnmp_value v = usnmp_value_string("v3 rack");
  assert_int_equal(usnmp_sync_set(s, "::1", &loc, &v, NULL, NULL), 0);
  usnmp_call_opts refresh = {USNMP_CALL_REFRESH, 0, NULL};
  usnmp_vblist *l = NULL;
  assert_int_equal(usnmp_sync_get(s, "127.0.0.1", &loc, 1, &refresh, &l), 0);
  assert_string_value(usnmp_vblist_get(l, 0), "v3 rack");
  usnmp_vblist_free(l);

  usnmp_oid root = usnmp_test_oid("1.3.6.1.2.1.1");
  usnmp_sync_walk *w;
  assert_int_equal(usnmp_sync_walk_init(s, "::1", &root, NULL, &w), 0);
  const usnmp_varbind *vb;
  int rc, count = 0;
  while ((rc = usnmp_sync_walk_next(w, &vb)) == 1)
    count++;
  assert_int_equal(rc, 0);
  assert_true(count >= 8);
  usnmp_sync_walk_close(w);

  /* Down to authNoPriv: the agent's access rule wants privacy. */
  assert_int_equal(usnmp_sync_set_v3_level(s, USNMP_SEC_AUTHNOPRIV), 0);
  assert_int_equal(usnmp_sync_get(s, "127.0.0.1", oids, 1, &refresh, &l),
                   USNMP_E_SNMP_ERROR);
  assert_int_equal(usnmp_sync_error_status(s),
                   USNMP_ERROR_STATUS_AUTHORIZATIONERROR);
  usnmp_sync_close(s);

  /* A wrong password and an unknown user, on fresh blocking managers. */
  assert_int_equal(usnmp_sync_init(&s), 0);
  assert_int_equal(usnmp_sync_set_port(s, agent.port), 0);
  assert_int_equal(usnmp_sync_set_v3_user(s, "shaaes", USNMP_AUTH_SHA,
                                          "wrongpass123", USNMP_PRIV_AES,
                                          USNMP_TEST_SNMPD_PRIV_PASS),
                   0);
  assert_int_equal(usnmp_sync_get(s, "127.0.0.1", oids, 1, NULL, &l),
                   USNMP_E_WRONG_DIGEST);
  assert_int_equal(usnmp_sync_set_v3_user(s, "nobody", USNMP_AUTH_SHA,
                                          USNMP_TEST_SNMPD_AUTH_PASS,
                                          USNMP_PRIV_NONE, NULL),
                   0);
  assert_int_equal(usnmp_sync_get(s, "::1", oids, 1, NULL, &l),
                   USNMP_E_UNKNOWN_USER);
  usnmp_sync_close(s);
  assert_int_equal(usnmp_test_snmpd_stop(&agent), 0);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test_setup_teardown(test_get_in_order, setup, teardown),
      cmocka_unit_test_setup_teardown(test_cache, setup, teardown),
      cmocka_unit_test_setup_teardown(test_cache_ttl, setup, teardown),
      cmocka_unit_test_setup_teardown(test_cache_off, setup, teardown),
      cmocka_unit_test_setup_teardown(test_get_bulk, setup, teardown),
      cmocka_unit_test_setup_teardown(test_table, setup, teardown),
      cmocka_unit_test_setup_teardown(test_host_options, setup, teardown),
      cmocka_unit_test_setup_teardown(test_getnext_separate, setup, teardown),
      cmocka_unit_test_setup_teardown(test_nonblock_then_collect, setup,
                                      teardown),
      cmocka_unit_test_setup_teardown(test_timeout_not_cached, setup, teardown),
      cmocka_unit_test_setup_teardown(test_errors_and_exceptions, setup,
                                      teardown),
      cmocka_unit_test_setup_teardown(test_set_refreshes, setup, teardown),
      cmocka_unit_test_setup_teardown(test_writer_preferred, setup, teardown),
      cmocka_unit_test(test_many_hosts_one_round_trip),
      cmocka_unit_test_setup_teardown(test_blocking_inside_callback, setup,
                                      teardown),
      cmocka_unit_test_setup_teardown(test_close_in_flight, setup, teardown),
      cmocka_unit_test_setup_teardown(test_allocation_failures, setup,
                                      teardown),
      cmocka_unit_test_setup_teardown(test_bad_arguments, setup, teardown),
      cmocka_unit_test(test_real_snmpd),
      cmocka_unit_test(test_real_snmpd_v3),
      cmocka_unit_test(test_real_snmpd_host_v3),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
