/*
 * The notification receiver's check, shared by the libFuzzer harness
 * (fuzz_notify.c) and the corpus driver (test/test_notify_corpus.c).
 *
 * One receiver core (lib/notify_recv.c) lives across inputs, as in a
 * daemon under a flood: community "public", users "ops" (SHA/AES-128,
 * "fuzz-pass-1"), "ops" again with another pass phrase, "n0" (no
 * authentication), our engine ID 80 00 00 00 05 aa bb cc dd 01 at boots
 * 0, a key cache of 64 entries.  The first input byte picks the mode:
 *
 *   0   raw: the rest is a datagram, fed as it is;
 *   1   signed: the rest is a v1/v2c message; when it decodes, its PDU is
 *       sent again as a v3 authPriv message of "ops", so hostile PDUs get
 *       past the digest: bit 1 clear a trap from engine 80 00 00 00 05
 *       00 00 00 <byte 1 of the rest>, set an inform to our engine.
 *
 * After every datagram the counters must add up (each datagram is
 * delivered, a duplicate, or dropped for one counted reason), the key
 * cache must stay within its limit, an answer must fit its buffer, and
 * every delivered varbind must format.  Returns 0 when they hold,
 * NOTIFY_CHECK_MISMATCH otherwise.
 */
#ifndef USNMP_FUZZ_NOTIFY_CHECK_H
#define USNMP_FUZZ_NOTIFY_CHECK_H

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <arpa/inet.h>
#include <netinet/in.h>

#include "notify_int.h"
#include "usm.h"
#include "usnmp.h"

#define NOTIFY_CHECK_MISMATCH 1

typedef struct notify_check_state {
  usnmp__notify nc;
  uint8_t reply[USNMP_MAX_MSG_SIZE];
  uint8_t msg[USNMP_MAX_MSG_SIZE];
  usnmp_varbind vbs[USNMP_MAX_VARBINDS];
  usnmp__usm_target sender; /* "ops" as the senders of mode 1 */
  uint64_t delivered_seen;
  int bad_varbind;
} notify_check_state;

static const uint8_t notify_check_engine[] = {0x80, 0,    0,    0,    5,
                                              0xaa, 0xbb, 0xcc, 0xdd, 1};

static inline void notify_check_on_note(usnmp_receiver *rx,
                                        const usnmp_notification *n,
                                        void *arg) {
  notify_check_state *st = arg;
  char text[1024];
  size_t i;
  (void)rx;
  st->delivered_seen++;
  if (n->varbind_count > USNMP_MAX_VARBINDS + 5 ||
      (n->varbind_count > 0 && n->varbinds == NULL))
    st->bad_varbind = 1;
  for (i = 0; i < n->varbind_count; i++)
    if (usnmp_varbind_format(text, sizeof(text), &n->varbinds[i]) < 0 ||
        usnmp_varbind_format_json(text, sizeof(text), &n->varbinds[i]) < 0)
      st->bad_varbind = 1;
}

static inline int notify_check_init(notify_check_state *st) {
  usnmp__notify *nc = &st->nc;
  memset(st, 0, sizeof(*st));
  if (usnmp__notify_init(nc, NULL, 1000) != 0 ||
      usnmp__notify_add_community(nc, "public") != 0 ||
      usnmp__notify_add_user(nc, "ops", USNMP_AUTH_SHA, "fuzz-pass-1",
                             USNMP_PRIV_AES, "fuzz-pass-1", NULL, 0) != 0 ||
      usnmp__notify_add_user(nc, "ops", USNMP_AUTH_MD5, "fuzz-pass-2",
                             USNMP_PRIV_NONE, NULL, NULL, 0) != 0 ||
      usnmp__notify_add_user(nc, "n0", USNMP_AUTH_NONE, NULL, USNMP_PRIV_NONE,
                             NULL, NULL, 0) != 0 ||
      usnmp__notify_set_engine_id(nc, notify_check_engine,
                                  sizeof(notify_check_engine)) != 0 ||
      usnmp__notify_set_cache_limit(nc, 64) != 0)
    return -1;
  nc->cb = notify_check_on_note;
  nc->cb_arg = st;
  if (usnmp__usm_target_init(nc->crypto, &st->sender) != 0 ||
      usnmp__usm_target_set_user(nc->crypto, &st->sender, "ops", USNMP_AUTH_SHA,
                                 "fuzz-pass-1", USNMP_PRIV_AES,
                                 "fuzz-pass-1") != 0)
    return -1;
  return 0;
}

static inline void notify_check_free(notify_check_state *st) {
  usnmp__usm_target_wipe(&st->sender);
  usnmp__notify_free(&st->nc);
}

static inline uint64_t notify_check_outcomes(const usnmp_notify_stats *s) {
  return s->delivered + s->duplicates + s->dropped_malformed +
         s->dropped_version + s->dropped_pdu + s->dropped_community +
         s->dropped_unknown_user + s->dropped_unknown_engine + s->dropped_auth +
         s->dropped_decrypt + s->dropped_time_window + s->dropped_replay;
}

/* Mode 1: the PDU of a v1/v2c message, re-sent as v3 authPriv.  Returns
 * the length of the v3 message in st->msg, or 0 when the input does not
 * make one. */
static inline size_t notify_check_sign(notify_check_state *st,
                                       const uint8_t *data, size_t size,
                                       int inform) {
  usnmp_msg pdu;
  size_t n = 0;
  int len;
  uint8_t engine[9] = {0x80, 0, 0, 0, 5, 0, 0, 0, 0};
  if (usnmp_msg_decode(&pdu, st->vbs, USNMP_MAX_VARBINDS, &n, data, size) != 0)
    return 0;
  if (size > 1)
    engine[8] = data[1];
  if (inform) {
    if (usnmp__usm_target_set_engine(st->nc.crypto, &st->sender,
                                     notify_check_engine,
                                     sizeof(notify_check_engine), 1) != 0)
      return 0;
    usnmp__usm_target_resync(&st->sender, 0, 0, 1000, 1);
  } else {
    if (usnmp__usm_target_set_engine(st->nc.crypto, &st->sender, engine,
                                     sizeof(engine), 1) != 0)
      return 0;
    usnmp__usm_target_resync(&st->sender, 1, (uint32_t)st->delivered_seen, 1000,
                             1);
  }
  pdu.version = USNMP_VERSION_3;
  if (pdu.type == USNMP_PDU_TRAP_V1)
    pdu.type = USNMP_PDU_TRAP_V2;
  len = usnmp__msg3_encode(st->nc.crypto, &st->sender, 1000,
                           pdu.request_id & 0x7fffffff, 65507, &pdu, st->vbs, n,
                           st->msg, sizeof(st->msg));
  return len > 0 ? (size_t)len : 0;
}

static inline int notify_check(notify_check_state *st, const uint8_t *data,
                               size_t size) {
  struct sockaddr_in from;
  size_t reply_len = 0, len;
  const uint8_t *dgram;
  usnmp_notify_stats before = st->nc.stats;

  if (size < 1)
    return 0;
  memset(&from, 0, sizeof(from));
  from.sin_family = AF_INET;
  from.sin_port = htons(40000);
  from.sin_addr.s_addr = htonl(0x7f000001);
  if (data[0] & 1) {
    len = notify_check_sign(st, data + 1, size - 1, (data[0] & 2) != 0);
    if (len == 0)
      return 0;
    dgram = st->msg;
  } else {
    dgram = data + 1;
    len = size - 1;
  }
  usnmp__notify_process(&st->nc, dgram, len, (struct sockaddr *)&from, NULL,
                        1000, st->reply, sizeof(st->reply), &reply_len);
  if (st->nc.stats.received != before.received + 1 ||
      notify_check_outcomes(&st->nc.stats) !=
          notify_check_outcomes(&before) + 1 ||
      st->nc.stats.delivered != st->delivered_seen ||
      st->nc.n_entries > st->nc.max_entries || reply_len > sizeof(st->reply) ||
      st->bad_varbind)
    return NOTIFY_CHECK_MISMATCH;
  return 0;
}

#endif
