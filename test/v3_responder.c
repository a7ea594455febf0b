/*
 * The scripted SNMPv3 agent of v3_responder.h.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "v3_responder.h"

/* usmStats.N.0, N filled in. */
static const uint8_t usm_stats_oid[] = {0x2b, 6, 1, 6, 3, 15, 1, 1, 0, 0};

static void send_to(v3_responder *r, const struct sockaddr *to,
                    const uint8_t *data, size_t len) {
  uv_buf_t b = uv_buf_init((char *)(uintptr_t)data, (unsigned)len);
  assert_int_equal(uv_udp_try_send(&r->udp, &b, 1, to), (int)len);
}

/* Sends a noAuthNoPriv Report usmStats.<arc>.0 from engine t (its boots and
 * time) with msgID and request-id msg_id and msgMaxSize max_size. */
static void send_report(v3_responder *r, usnmp__usm_target *t,
                        const struct sockaddr *to, int32_t msg_id, uint8_t arc,
                        int32_t max_size) {
  uint8_t oid[sizeof(usm_stats_oid)];
  usnmp_sec_level level = t->level;
  usnmp_varbind vb;
  usnmp_msg pdu;
  int len;

  memcpy(oid, usm_stats_oid, sizeof(oid));
  oid[8] = arc;
  memset(&vb, 0, sizeof(vb));
  vb.oid = oid;
  vb.oid_len = sizeof(oid);
  vb.value = usnmp_value_counter32(1);
  memset(&pdu, 0, sizeof(pdu));
  pdu.type = USNMP_PDU_REPORT;
  pdu.request_id = msg_id;
  /* RFC 3414 4: reports to unknown engines go at noAuthNoPriv. */
  t->level = USNMP_SEC_NOAUTHNOPRIV;
  len = usnmp__msg3_encode(r->crypto, t, 0, msg_id, max_size, &pdu, &vb, 1,
                           r->out, sizeof(r->out));
  t->level = level;
  assert_true(len > 0);
  send_to(r, to, r->out, (size_t)len);
}

/* Answers an authenticated request: a GET's varbinds get r->value, a
 * SET's are echoed. */
static void answer(v3_responder *r, const struct sockaddr *to,
                   const usnmp__msg3 *m, usnmp_varbind *vbs, size_t n) {
  usnmp_msg pdu;
  size_t i;
  int len;

  memset(&pdu, 0, sizeof(pdu));
  pdu.type = USNMP_PDU_RESPONSE;
  pdu.request_id = m->pdu.request_id;
  if (m->pdu.type != USNMP_PDU_SET)
    for (i = 0; i < n; i++)
      vbs[i].value = usnmp_value_string(r->value ? r->value : "answer");
  len = usnmp__msg3_encode(r->crypto, &r->agent, 0, m->msg_id, 65507, &pdu, vbs,
                           n, r->out, sizeof(r->out));
  assert_true(len > 0);
  send_to(r, to, r->out, (size_t)len);
  r->answered++;
}

static void on_alloc(uv_handle_t *h, size_t size, uv_buf_t *buf) {
  (void)h;
  buf->base = malloc(size);
  buf->len = buf->base ? size : 0;
}

static void on_recv(uv_udp_t *u, ssize_t nread, const uv_buf_t *buf,
                    const struct sockaddr *from, unsigned flags) {
  v3_responder *r = u->data;
  const uint8_t *data = (const uint8_t *)buf->base;
  usnmp_varbind vbs[64];
  usnmp__msg3 m, probe;
  size_t n = 0;
  int for_agent;

  (void)flags;
  if (nread <= 0 || from == NULL) {
    free(buf->base);
    return;
  }
  /* Only the probe decodes without keys: no user, no engine. */
  if (usnmp__msg3_decode(r->crypto, NULL, data, (size_t)nread, r->scratch,
                         sizeof(r->scratch), &probe, vbs, 64, &n) == 0 &&
      probe.user_len == 0 && probe.engine_id_len == 0) {
    r->probes++;
    if (r->mode == V3R_ANSWER || r->mode == V3R_FORGE_ENGINE)
      send_report(r, &r->agent, from, probe.msg_id, 4, 65507);
    else if (r->mode == V3R_PROBE_REPORT)
      send_report(r, &r->agent, from, probe.msg_id, r->probe_report, 65507);
    free(buf->base);
    return;
  }
  r->requests++;
  if (usnmp__msg3_decode(r->crypto, &r->other, data, (size_t)nread, r->scratch,
                         sizeof(r->scratch), &m, vbs, 64, &n) == 0 &&
      m.authenticated)
    r->for_other++;
  for_agent =
      usnmp__msg3_decode(r->crypto, &r->agent, data, (size_t)nread, r->scratch,
                         sizeof(r->scratch), &m, vbs, 64, &n) == 0 &&
      m.authenticated;
  if (for_agent)
    r->for_agent++;
  if (r->mode == V3R_FORGE_ENGINE) {
    /* What an attacker reads in clear is enough: the msgID. */
    int32_t msg_id;
    assert_int_equal(usnmp__msg3_peek_msg_id(data, (size_t)nread, &msg_id), 0);
    usnmp__usm_target_resync(&r->other, r->forge_boots, r->forge_time, 0, 1);
    send_report(r, &r->other, from, msg_id, 4, r->forge_max_size);
    r->forged++;
  } else if (r->mode == V3R_ANSWER && for_agent) {
    answer(r, from, &m, vbs, n);
  }
  free(buf->base);
}

static void make_user(v3_responder *r, usnmp__usm_target *t,
                      const uint8_t *engine, size_t len, uint32_t boots,
                      uint32_t time) {
  assert_int_equal(usnmp__usm_target_init(r->crypto, t), 0);
  assert_int_equal(usnmp__usm_target_set_user(r->crypto, t, V3R_USER,
                                              USNMP_AUTH_SHA, V3R_AUTH_PASS,
                                              USNMP_PRIV_AES, V3R_PRIV_PASS),
                   0);
  assert_int_equal(usnmp__usm_target_set_engine(r->crypto, t, engine, len, 1),
                   0);
  usnmp__usm_target_resync(t, boots, time, 0, 1);
}

v3_responder *v3_responder_new(uv_loop_t *loop, const uint8_t *engine,
                               size_t len, const uint8_t *other_engine,
                               size_t other_len, uint32_t boots,
                               uint32_t time) {
  v3_responder *r = calloc(1, sizeof(*r));
  struct sockaddr_in addr;
  int namelen = sizeof(addr);

  assert_non_null(r);
  assert_int_equal(usnmp__crypto_new(&r->crypto, NULL), 0);
  make_user(r, &r->agent, engine, len, boots, time);
  make_user(r, &r->other, other_engine, other_len, boots, time);
  r->forge_boots = boots + 1000;
  r->forge_time = time + 100000;
  r->forge_max_size = 484;
  assert_int_equal(uv_udp_init(loop, &r->udp), 0);
  r->udp.data = r;
  assert_int_equal(uv_ip4_addr("127.0.0.1", 0, &addr), 0);
  assert_int_equal(uv_udp_bind(&r->udp, (struct sockaddr *)&addr, 0), 0);
  assert_int_equal(
      uv_udp_getsockname(&r->udp, (struct sockaddr *)&addr, &namelen), 0);
  assert_int_equal(uv_udp_recv_start(&r->udp, on_alloc, on_recv), 0);
  snprintf(r->address, sizeof(r->address), "127.0.0.1:%u",
           ntohs(addr.sin_port));
  return r;
}

void v3_responder_set_engine(v3_responder *r, const uint8_t *engine,
                             size_t len) {
  uint32_t boots = r->agent.boots, time = r->agent.time;
  usnmp__usm_target_wipe(&r->agent);
  make_user(r, &r->agent, engine, len, boots, time);
}

static void on_closed(uv_handle_t *h) {
  v3_responder *r = h->data;
  usnmp__usm_target_wipe(&r->agent);
  usnmp__usm_target_wipe(&r->other);
  usnmp__crypto_free(r->crypto);
  free(r);
}

void v3_responder_close(v3_responder *r) {
  uv_close((uv_handle_t *)&r->udp, on_closed);
}

usnmp_target *v3_responder_target(const v3_responder *r, usnmp_manager *m) {
  usnmp_target *t;
  assert_int_equal(usnmp_target_init(m, &t, r->address), 0);
  assert_int_equal(usnmp_target_set_v3_user(t, V3R_USER, USNMP_AUTH_SHA,
                                            V3R_AUTH_PASS, USNMP_PRIV_AES,
                                            V3R_PRIV_PASS),
                   0);
  return t;
}

void v3_responder_finish(uv_loop_t *loop, usnmp_manager *m, v3_responder *r) {
  usnmp_manager_close(m, NULL, NULL);
  v3_responder_close(r);
  uv_run(loop, UV_RUN_DEFAULT);
  assert_int_equal(uv_loop_close(loop), 0);
}
