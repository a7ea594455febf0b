/*
 * SNMPv3 message processing against net-snmp's snmpd, with nothing of the
 * manager: a blocking UDP socket, our encoder and decoder, and the
 * decisions of usnmp__msg3_reply_action().  For every user of
 * test/snmpd.conf (each auth x priv pair net-snmp offers), it discovers
 * the engine, GETs sysDescr.0 and, for the writable ones, SETs sysContact.0;
 * then the failure paths: wrong passwords, an unknown user, a stale clock
 * (notInTimeWindow and its resynchronisation) and an agent reboot.
 *
 * If this passes and a manager-level v3 test fails, the fault is in the
 * glue, not in the security code.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "snmpd_fixture.h"
#include "usm.h"

static const char sys_descr[] = "usnmp test agent (net-snmp snmpd)";
static const uint8_t sys_descr_oid[] = {0x2b, 6, 1, 2, 1, 1, 1, 0};
static const uint8_t sys_contact_oid[] = {0x2b, 6, 1, 2, 1, 1, 4, 0};

typedef struct fixture {
  usnmp_test_snmpd agent;
  usnmp__crypto *crypto;
  int fd;
  struct sockaddr_in to;
  int32_t next_id;
} fixture;

static uint64_t now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static int setup(void **state) {
  fixture *f = calloc(1, sizeof(*f));
  if (f == NULL)
    return -1;
  if (usnmp_test_snmpd_start(&f->agent) != 0) {
    free(f);
    return -1;
  }
  assert_int_equal(usnmp__crypto_new(&f->crypto, NULL), 0);
  f->fd = socket(AF_INET, SOCK_DGRAM, 0);
  assert_true(f->fd >= 0);
  f->to.sin_family = AF_INET;
  f->to.sin_port = htons(f->agent.port);
  f->to.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  f->next_id = 1000;
  *state = f;
  return 0;
}

static int teardown(void **state) {
  fixture *f = *state;
  close(f->fd);
  usnmp__crypto_free(f->crypto);
  usnmp_test_snmpd_stop(&f->agent);
  free(f);
  return 0;
}

/* Sends len bytes and waits up to 3 s for a datagram.  Returns its length
 * or 0 on timeout. */
static size_t exchange(fixture *f, const uint8_t *msg, size_t len,
                       uint8_t *reply, size_t size) {
  struct pollfd p = {f->fd, POLLIN, 0};
  ssize_t n;

  n = sendto(f->fd, msg, len, 0, (const struct sockaddr *)&f->to,
             sizeof(f->to));
  assert_int_equal(n, (ssize_t)len);
  if (poll(&p, 1, 3000) != 1)
    return 0;
  n = recv(f->fd, reply, size, 0);
  assert_true(n > 0);
  return (size_t)n;
}

/* Runs one request the way the manager will: discovery when the engine is
 * unknown, then the request, following the reply actions (at most one
 * retry after a report).  Returns 0 with the answer in *m / vbs, or the
 * failure status. */
static int request(fixture *f, usnmp__usm_target *t, usnmp_pdu_type type,
                   const usnmp_varbind *in, size_t n_in, usnmp__msg3 *m,
                   usnmp_varbind *vbs, size_t *n_vbs, uint8_t *reply,
                   uint8_t *scratch) {
  uint8_t msg[1500];
  int retried = 0;
  int rounds;

  for (rounds = 0; rounds < 4; rounds++) {
    int32_t msg_id = f->next_id++;
    usnmp_msg pdu;
    size_t len;
    int rc, status, action;

    memset(&pdu, 0, sizeof(pdu));
    pdu.type = type;
    pdu.request_id = msg_id + 50000;
    if (!usnmp__usm_target_ready(t))
      rc = usnmp__msg3_encode_discovery(msg, sizeof(msg), msg_id,
                                        pdu.request_id, 65507);
    else
      rc = usnmp__msg3_encode(f->crypto, t, now_ms(), msg_id, 65507, &pdu, in,
                              n_in, msg, sizeof(msg));
    assert_true(rc > 0);
    len = exchange(f, msg, (size_t)rc, reply, 65536);
    if (len == 0)
      return USNMP_E_TIMEOUT;
    rc = usnmp__msg3_decode(f->crypto, t, reply, len, scratch, 65536, m, vbs,
                            16, n_vbs);
    if (rc < 0)
      return rc;
    assert_int_equal(m->msg_id, msg_id);
    action =
        usnmp__msg3_reply_action(f->crypto, t, m, now_ms(), retried, &status);
    switch (action) {
    case USNMP__V3_DELIVER:
      assert_int_equal(m->pdu.request_id, pdu.request_id);
      return 0;
    case USNMP__V3_FAIL:
      return status;
    case USNMP__V3_RETRY:
      /* Discovery's answer does not count as a retry of the request. */
      if (m->report != USNMP_E_UNKNOWN_ENGINE_ID)
        retried = 1;
      break;
    default:
      fail_msg("dropped reply");
    }
  }
  fail_msg("no answer after %d rounds", rounds);
  return -1;
}

static void make_target(fixture *f, usnmp__usm_target *t,
                        const usnmp_test_snmpd_user *u, const char *authpass,
                        const char *privpass) {
  usnmp_auth_proto a = USNMP_AUTH_NONE;
  usnmp_priv_proto p = USNMP_PRIV_NONE;

  if (u->auth != NULL)
    assert_int_equal(usnmp_auth_proto_parse(u->auth, &a), 0);
  if (u->priv != NULL)
    assert_int_equal(usnmp_priv_proto_parse(u->priv, &p), 0);
  assert_int_equal(usnmp__usm_target_init(f->crypto, t), 0);
  assert_int_equal(usnmp__usm_target_set_user(f->crypto, t, u->name, a,
                                              a ? authpass : NULL, p,
                                              p ? privpass : NULL),
                   0);
}

static void get_sys_descr(fixture *f, usnmp__usm_target *t, int want) {
  static uint8_t reply[65536], scratch[65536];
  usnmp_varbind in, vbs[16];
  usnmp__msg3 m;
  size_t n;
  int rc;

  in.oid = sys_descr_oid;
  in.oid_len = sizeof(sys_descr_oid);
  in.value = usnmp_value_null();
  rc = request(f, t, USNMP_PDU_GET, &in, 1, &m, vbs, &n, reply, scratch);
  if (rc != want)
    fail_msg("user %.*s: got %s, wanted %s", (int)t->user_len, t->user,
             usnmp_err_name(rc), usnmp_err_name(want));
  if (want != 0)
    return;
  assert_int_equal(m.pdu.type, USNMP_PDU_RESPONSE);
  assert_int_equal(m.pdu.error_status, 0);
  assert_int_equal(n, 1);
  assert_int_equal(vbs[0].value.type, USNMP_TYPE_OCTET_STRING);
  assert_int_equal(vbs[0].value.v.bytes.len, strlen(sys_descr));
  assert_memory_equal(vbs[0].value.v.bytes.data, sys_descr, strlen(sys_descr));
}

static void test_every_user(void **state) {
  fixture *f = *state;
  static uint8_t reply[65536], scratch[65536];
  size_t i;

  for (i = 0; i < usnmp_test_snmpd_user_count; i++) {
    const usnmp_test_snmpd_user *u = &usnmp_test_snmpd_users[i];
    usnmp__usm_target t;
    char contact[64];
    usnmp_varbind in, vbs[16];
    usnmp__msg3 m;
    size_t n;

    make_target(f, &t, u, USNMP_TEST_SNMPD_AUTH_PASS,
                USNMP_TEST_SNMPD_PRIV_PASS);
    get_sys_descr(f, &t, 0);
    /* Once discovered and in time, the next request needs no report. */
    get_sys_descr(f, &t, 0);
    if (u->writable) {
      snprintf(contact, sizeof(contact), "set by %s", u->name);
      in.oid = sys_contact_oid;
      in.oid_len = sizeof(sys_contact_oid);
      in.value = usnmp_value_string(contact);
      assert_int_equal(
          request(f, &t, USNMP_PDU_SET, &in, 1, &m, vbs, &n, reply, scratch),
          0);
      assert_int_equal(m.pdu.error_status, 0);
      assert_int_equal(n, 1);
      assert_int_equal(vbs[0].value.v.bytes.len, strlen(contact));
      assert_memory_equal(vbs[0].value.v.bytes.data, contact, strlen(contact));
    }
    usnmp__usm_target_wipe(&t);
  }
}

static const usnmp_test_snmpd_user *find_user(const char *name) {
  size_t i;
  for (i = 0; i < usnmp_test_snmpd_user_count; i++)
    if (strcmp(usnmp_test_snmpd_users[i].name, name) == 0)
      return &usnmp_test_snmpd_users[i];
  fail_msg("no user %s in the fixture", name);
  return NULL;
}

static void test_failures(void **state) {
  fixture *f = *state;
  usnmp__usm_target t;
  usnmp_test_snmpd_user nobody = {"nobody", "authNoPriv", "SHA", NULL, 0};

  /* Wrong authentication password: the agent reports wrongDigest. */
  make_target(f, &t, find_user("sha256aes"), "wrongpass123",
              USNMP_TEST_SNMPD_PRIV_PASS);
  get_sys_descr(f, &t, USNMP_E_WRONG_DIGEST);
  /* Unknown user. */
  make_target(f, &t, &nobody, USNMP_TEST_SNMPD_AUTH_PASS, NULL);
  get_sys_descr(f, &t, USNMP_E_UNKNOWN_USER);
  /* A level the user does not have. */
  make_target(f, &t, find_user("shanopriv"), USNMP_TEST_SNMPD_AUTH_PASS, NULL);
  assert_int_equal(
      usnmp__usm_target_set_user(f->crypto, &t, "shanopriv", USNMP_AUTH_SHA,
                                 USNMP_TEST_SNMPD_AUTH_PASS, USNMP_PRIV_AES,
                                 USNMP_TEST_SNMPD_PRIV_PASS),
      0);
  get_sys_descr(f, &t, USNMP_E_UNSUPPORTED_SEC_LEVEL);
  usnmp__usm_target_wipe(&t);
}

static void test_time_window(void **state) {
  fixture *f = *state;
  usnmp__usm_target t;
  uint32_t boots;

  make_target(f, &t, find_user("sha512aes256c"), USNMP_TEST_SNMPD_AUTH_PASS,
              USNMP_TEST_SNMPD_PRIV_PASS);
  get_sys_descr(f, &t, 0);
  boots = t.boots;
  /* Our clock jumps: we believe the agent's time is an hour ahead.  The
   * agent answers notInTimeWindow (authenticated), we take its time and
   * the resent request succeeds. */
  t.time += 3600;
  get_sys_descr(f, &t, 0);
  assert_int_equal(t.boots, boots);
  assert_true(t.time < 3600);

  /* The agent reboots: boots goes up, and our stale boots earn a
   * notInTimeWindow report, then a resync and success. */
  assert_int_equal(usnmp_test_snmpd_restart(&f->agent), 0);
  get_sys_descr(f, &t, 0);
  assert_int_equal(t.boots, boots + 1);
  usnmp__usm_target_wipe(&t);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_every_user),
      cmocka_unit_test(test_failures),
      cmocka_unit_test(test_time_window),
  };
  return cmocka_run_group_tests(tests, setup, teardown);
}
