/*
 * Secrets are wiped (OPENSSL_cleanse) wherever the library held them: the
 * SNMPv3 request kept in clear for resends, the PDU in clear in the encode
 * scratch, decrypted answers in the receive scratch (once their callback
 * returned) and in the merge buffers of a split request, a plaintext left
 * by an encryption that did not happen, and the blocking layer's
 * passwords.  The manager's memory is watched through the allocation
 * hook: no block it frees may hold a marker that only ever travelled
 * encrypted.
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

#define SET_SECRET "set-secret-0b9e4f"
#define ANSWER_SECRET "answer-secret-7c1d"
#define AUTH_PASSWORD "auth-password-5a8e"
#define PRIV_PASSWORD "priv-password-e2f4"

static const uint8_t engine[] = {0x80, 0x00, 0x1f, 0x88, 0x04,
                                 'w',  'i',  'p',  'e'};

static int holds(const void *p, size_t len, const char *marker) {
  const uint8_t *b = p;
  size_t n = strlen(marker), i;
  for (i = 0; i + n <= len; i++)
    if (b[i] == (uint8_t)marker[0] && memcmp(b + i, marker, n) == 0)
      return 1;
  return 0;
}

/* An allocator that remembers block sizes and, when a block is freed or
 * reallocated, counts those that still hold a marker. */
typedef struct watch {
  const char *markers[4];
  int dirty_frees;
} watch;

static void check(watch *w, void *p) {
  size_t size = ((size_t *)p)[-2];
  int i;
  for (i = 0; i < 4 && w->markers[i] != NULL; i++)
    if (holds(p, size, w->markers[i])) {
      fprintf(stderr, "freed block of %zu bytes holds \"%s\"\n", size,
              w->markers[i]);
      w->dirty_frees++;
    }
}

static void *w_malloc(size_t size, void *ctx) {
  size_t *p = malloc(size + 2 * sizeof(size_t));
  (void)ctx;
  if (p == NULL)
    return NULL;
  p[0] = size;
  /* Zeroed, so that the scans read defined bytes and a block never shows
   * what an earlier one left. */
  memset(p + 2, 0, size);
  return p + 2;
}

static void w_free(void *ptr, void *ctx) {
  if (ptr == NULL)
    return;
  check(ctx, ptr);
  free((size_t *)ptr - 2);
}

static void *w_realloc(void *ptr, size_t size, void *ctx) {
  void *n = w_malloc(size, ctx);
  if (n == NULL)
    return NULL;
  if (ptr != NULL) {
    size_t old = ((size_t *)ptr)[-2];
    memcpy(n, ptr, old < size ? old : size);
    w_free(ptr, ctx);
  }
  return n;
}

typedef struct env {
  uv_loop_t loop;
  watch w;
  usnmp_manager *m;
  v3_responder *agent;
  usnmp_target *t;
} env;

static int setup(void **state) {
  env *e = calloc(1, sizeof(*e));
  usnmp_allocator a = {w_malloc, w_realloc, w_free, NULL};
  assert_non_null(e);
  e->w.markers[0] = SET_SECRET;
  e->w.markers[1] = ANSWER_SECRET;
  a.ctx = &e->w;
  assert_int_equal(uv_loop_init(&e->loop), 0);
  assert_int_equal(usnmp_manager_init(&e->m, &e->loop, &a), 0);
  e->agent = v3_responder_new(&e->loop, engine, sizeof(engine), engine,
                              sizeof(engine), 1, 100);
  e->agent->value = ANSWER_SECRET;
  e->t = v3_responder_target(e->agent, e->m);
  assert_int_equal(usnmp_target_set_resend(e->t, 200), 0);
  *state = e;
  return 0;
}

static int teardown(void **state) {
  env *e = *state;
  v3_responder_finish(&e->loop, e->m, e->agent);
  /* Everything the manager freed, its scratch buffers included. */
  assert_int_equal(e->w.dirty_frees, 0);
  free(e);
  return 0;
}

typedef struct seen {
  int calls;
  int status;
  size_t n;
  int secret_in_scratch; /* the answer was in the scratch during the call */
  usnmp_manager *m;
} seen;

static void on_response(const usnmp_response *resp, void *arg) {
  seen *s = arg;
  s->calls++;
  s->status = resp->status;
  s->n = resp->varbind_count;
  s->secret_in_scratch =
      holds(s->m->v3_scratch, USNMP_MAX_MSG_SIZE, ANSWER_SECRET) ||
      holds(s->m->v3_scratch, USNMP_MAX_MSG_SIZE, SET_SECRET);
}

static void wait_seen(env *e, seen *s) {
  const int *c[1] = {&s->calls};
  usnmp_test_run_until_all(&e->loop, c, 1);
  assert_int_equal(s->calls, 1);
}

/* A SET of a secret value and a GET whose answer is one, at authPriv: the
 * secrets travel encrypted; in memory they last only as long as needed. */
static void test_request_and_answer_wiped(void **state) {
  env *e = *state;
  usnmp_oid o = usnmp_test_oid("1.3.6.1.2.1.1.6.0");
  usnmp_value v = usnmp_value_string(SET_SECRET);
  seen set = {0}, get = {0};
  set.m = get.m = e->m;

  assert_int_equal(usnmp_set(e->t, &o, &v, 1, NULL, on_response, &set, NULL),
                   0);
  /* The SET waits for discovery, kept in clear only in its own buffer. */
  assert_false(holds(e->m->tx_msg, USNMP_MAX_MSG_SIZE, SET_SECRET));
  wait_seen(e, &set);
  assert_int_equal(set.status, 0);
  assert_true(set.secret_in_scratch);
  assert_false(holds(e->m->tx_msg, USNMP_MAX_MSG_SIZE, SET_SECRET));
  assert_false(holds(e->m->v3_scratch, USNMP_MAX_MSG_SIZE, SET_SECRET));

  assert_int_equal(usnmp_get(e->t, &o, 1, NULL, on_response, &get, NULL), 0);
  wait_seen(e, &get);
  assert_int_equal(get.status, 0);
  assert_true(get.secret_in_scratch);
  /* Once the callback returned, the decrypted answer is gone. */
  assert_false(holds(e->m->v3_scratch, USNMP_MAX_MSG_SIZE, ANSWER_SECRET));
  assert_int_equal(e->agent->answered, 2);
  assert_int_equal(e->w.dirty_frees, 0);
}

/* A split GET (one OID per request): each part's decrypted answer is
 * copied into the merge buffers, which are wiped when they go. */
static void test_split_answers_wiped(void **state) {
  env *e = *state;
  usnmp_oid o[3] = {usnmp_test_oid("1.3.6.1.2.1.1.1.0"),
                    usnmp_test_oid("1.3.6.1.2.1.1.5.0"),
                    usnmp_test_oid("1.3.6.1.2.1.1.6.0")};
  seen get = {0};
  get.m = e->m;
  assert_int_equal(usnmp_target_set_max_oids(e->t, 1), 0);
  assert_int_equal(usnmp_get(e->t, o, 3, NULL, on_response, &get, NULL), 0);
  wait_seen(e, &get);
  assert_int_equal(get.status, 0);
  assert_int_equal(get.n, 3);
  assert_int_equal(e->agent->answered, 3);
  assert_int_equal(e->w.dirty_frees, 0);
}

/* A SET too big for the agent's msgMaxSize is split before it is ever
 * sent: the encodings in clear that did not fit are wiped too. */
static void test_split_set_wiped(void **state) {
  env *e = *state;
  usnmp_oid o[4] = {
      usnmp_test_oid("1.3.6.1.2.1.1.4.0"), usnmp_test_oid("1.3.6.1.2.1.1.5.0"),
      usnmp_test_oid("1.3.6.1.2.1.1.6.0"), usnmp_test_oid("1.3.6.1.2.1.1.7.0")};
  static char big[4][121];
  usnmp_value v[4];
  seen first = {0}, set = {0};
  size_t i;
  first.m = set.m = e->m;
  /* Discovery first: the agent's msgMaxSize is then known. */
  assert_int_equal(usnmp_get(e->t, o, 1, NULL, on_response, &first, NULL), 0);
  wait_seen(e, &first);
  assert_int_equal(first.status, 0);
  e->t->usm->agent_max_size = 484; /* RFC 3412's smallest */
  for (i = 0; i < 4; i++) {
    memset(big[i], 'a' + (int)i, sizeof(big[i]) - 1);
    memcpy(big[i] + 40, SET_SECRET, strlen(SET_SECRET));
    v[i] = usnmp_value_string(big[i]);
  }
  assert_int_equal(usnmp_set(e->t, o, v, 4, NULL, on_response, &set, NULL), 0);
  assert_false(holds(e->m->tx_msg, USNMP_MAX_MSG_SIZE, SET_SECRET));
  wait_seen(e, &set);
  assert_int_equal(set.status, 0);
  assert_int_equal(set.n, 4);
  assert_true(e->agent->answered >= 3); /* the GET, and the SET in parts */
  assert_false(holds(e->m->tx_msg, USNMP_MAX_MSG_SIZE, SET_SECRET));
  assert_int_equal(e->w.dirty_frees, 0);
}

/* An authPriv message that does not fit its buffer is never encrypted:
 * the scoped PDU the encoder wrote in clear is wiped before it returns. */
static void test_failed_encryption_wiped(void **state) {
  env *e = *state;
  usnmp__usm_target u;
  usnmp_msg pdu;
  usnmp_varbind vb;
  static uint8_t buf[220];
  uint8_t oid[16];
  int len;
  (void)e;
  assert_int_equal(usnmp__usm_target_init(e->m->crypto, &u), 0);
  assert_int_equal(usnmp__usm_target_set_user(e->m->crypto, &u, V3R_USER,
                                              USNMP_AUTH_SHA, V3R_AUTH_PASS,
                                              USNMP_PRIV_AES, V3R_PRIV_PASS),
                   0);
  assert_int_equal(
      usnmp__usm_target_set_engine(e->m->crypto, &u, engine, sizeof(engine), 1),
      0);
  memset(&pdu, 0, sizeof(pdu));
  pdu.type = USNMP_PDU_SET;
  pdu.request_id = 1;
  {
    usnmp_oid o = usnmp_test_oid("1.3.6.1.2.1.1.6.0");
    len = usnmp_oid_to_ber(oid, sizeof(oid), &o);
    assert_true(len > 0);
  }
  vb.oid = oid;
  vb.oid_len = (size_t)len;
  /* The varbind fits the buffer, the PDU header around it does not. */
  {
    static char big[200];
    memset(big, 'x', sizeof(big) - 1);
    memcpy(big, SET_SECRET, strlen(SET_SECRET));
    vb.value = usnmp_value_string(big);
  }
  len = usnmp__msg3_encode(e->m->crypto, &u, 0, 1, 65507, &pdu, &vb, 1, buf,
                           sizeof(buf));
  assert_true(len < 0);
  assert_false(holds(buf, sizeof(buf), SET_SECRET));
  usnmp__usm_target_wipe(&u);
}

/* The blocking layer keeps the passwords (each new host localises its
 * own keys) and wipes them when they are replaced and at close. */
static void test_sync_passwords_wiped(void **state) {
  watch w;
  usnmp_allocator a = {w_malloc, w_realloc, w_free, NULL};
  usnmp_sync *s;
  (void)state;
  memset(&w, 0, sizeof(w));
  w.markers[0] = AUTH_PASSWORD;
  w.markers[1] = PRIV_PASSWORD;
  a.ctx = &w;
  assert_int_equal(usnmp_sync_init_ex(&s, &a), 0);
  assert_int_equal(usnmp_sync_set_v3_user(s, "u", USNMP_AUTH_SHA, AUTH_PASSWORD,
                                          USNMP_PRIV_AES, PRIV_PASSWORD),
                   0);
  assert_int_equal(usnmp_sync_set_v3_user(s, "u", USNMP_AUTH_SHA,
                                          AUTH_PASSWORD "-2", USNMP_PRIV_AES,
                                          PRIV_PASSWORD "-2"),
                   0);
  usnmp_sync_close(s);
  assert_int_equal(w.dirty_frees, 0);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test_setup_teardown(test_request_and_answer_wiped, setup,
                                      teardown),
      cmocka_unit_test_setup_teardown(test_split_answers_wiped, setup,
                                      teardown),
      cmocka_unit_test_setup_teardown(test_split_set_wiped, setup, teardown),
      cmocka_unit_test_setup_teardown(test_failed_encryption_wiped, setup,
                                      teardown),
      cmocka_unit_test(test_sync_passwords_wiped),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
