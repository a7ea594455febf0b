/*
 * The SNMPv3 message check shared by the libFuzzer harness (fuzz_msg3.c)
 * and the corpus driver (test/test_fuzz_corpus.c).  The functions are
 * static inline so that a file using only some of them is not warned
 * about the others.
 *
 * The first input byte picks the mode, the rest is the payload:
 *
 *   bit 0 clear   raw: the payload is a whole datagram, given to
 *                 usnmp__msg3_peek_msg_id and to usnmp__msg3_decode for an
 *                 authPriv target (SHA/AES) and for no target.  The digest
 *                 stops nearly everything, but the header, the security
 *                 parameters and plaintext messages (Reports) are parsed.
 *   bit 0 set     signed: the payload is the plaintext that goes inside
 *                 msgData, which the check encrypts and authenticates with
 *                 the target's keys, so hostile bytes get past the digest
 *                 and the decryption into the scoped-PDU and PDU
 *                 decoders.  Bits 1-2 pick the target: 0 and 3 SHA/AES
 *                 authPriv, 1 MD5/DES authPriv (SHA/AES when OpenSSL has
 *                 no DES), 2 SHA authNoPriv (the payload goes in clear).
 *                 Bit 3 set: the check wraps the payload in the scoped
 *                 PDU's SEQUENCE header (the payload is then the
 *                 contextEngineID, contextName and PDU); clear: the payload
 *                 is the whole plaintext, framing included.
 *
 * Whatever decodes is run through usnmp__msg3_reply_action (on a copy of
 * the target), every pointer it returned must lie inside the datagram or
 * the scratch buffer, and it is re-encoded with usnmp__msg3_encode_ctx,
 * decoded again and compared field by field and varbind by varbind (OIDs
 * by their arcs, values by their meaning).  In signed mode the scoped PDU
 * is also re-encoded on its own: when its decoding needed no tolerance it
 * must give back the plaintext's very bytes (less the padding after it).
 */
#ifndef USNMP_FUZZ_MSG3_CHECK_H
#define USNMP_FUZZ_MSG3_CHECK_H

#include <stdint.h>
#include <string.h>

#include "ber.h"
#include "pdu.h"
#include "roundtrip.h"
#include "usm.h"
#include "usnmp.h"

/* Room for the largest datagram plus the v3 framing added around a
 * payload of that size. */
#define MSG3_CHECK_BUF (USNMP_MAX_MSG_SIZE + 1024)

/* The engine of the captured frames in test/test_msg3.c (so their
 * SHA/AES messages authenticate here): 80 00 1f 88 04 "usnmp-capture". */
static const uint8_t msg3_check_engine[] = {0x80, 0x00, 0x1f, 0x88, 0x04, 'u',
                                            's',  'n',  'm',  'p',  '-',  'c',
                                            'a',  'p',  't',  'u',  'r',  'e'};

/* Working memory and keys for the checks; large, so callers allocate it
 * once (msg3_check_init) and free it with msg3_check_free. */
typedef struct msg3_check_state {
  usnmp__crypto *crypto;
  usnmp__usm_target aes;    /* "shaaes": SHA, AES-128, authPriv */
  usnmp__usm_target des;    /* "md5des": MD5, DES, authPriv */
  usnmp__usm_target nopriv; /* "shanopriv": SHA, authNoPriv */
  usnmp_varbind vbs1[USNMP_MAX_VARBINDS];
  usnmp_varbind vbs2[USNMP_MAX_VARBINDS];
  uint8_t plain[MSG3_CHECK_BUF];    /* the signed mode's plaintext */
  uint8_t msg[MSG3_CHECK_BUF];      /* the signed mode's datagram */
  uint8_t scratch1[MSG3_CHECK_BUF]; /* decryption of the first decode */
  uint8_t scratch2[MSG3_CHECK_BUF]; /* decryption of the second decode */
  uint8_t out[MSG3_CHECK_BUF];      /* re-encodings */
  int32_t msg_id; /* msgID of msg3_check_sign's messages; 0: 4660 */
} msg3_check_state;

#define MSG3_CHECK_MISMATCH 1

/* The boots and time the targets know (and the signed messages carry). */
#define MSG3_CHECK_BOOTS 1u
#define MSG3_CHECK_TIME 13u

static inline int msg3_check_target(usnmp__crypto *c, usnmp__usm_target *t,
                                    const char *user, usnmp_auth_proto auth,
                                    usnmp_priv_proto priv) {
  int rc = usnmp__usm_target_init(c, t);
  if (rc == 0)
    rc = usnmp__usm_target_set_user(c, t, user, auth, "authpass123", priv,
                                    priv != USNMP_PRIV_NONE ? "privpass123"
                                                            : NULL);
  if (rc == 0)
    rc = usnmp__usm_target_set_engine(c, t, msg3_check_engine,
                                      sizeof(msg3_check_engine), 0);
  if (rc < 0)
    return rc;
  usnmp__usm_target_resync(t, MSG3_CHECK_BOOTS, MSG3_CHECK_TIME, 0, 1);
  /* A fixed salt: the same input gives the same datagram on every run. */
  t->salt = 0x0123456789abcdefull;
  return 0;
}

/* Creates the crypto object and the three targets in st (zeroed by the
 * caller).  Returns 0 or the error of usnmp__crypto_new or of the target
 * setters; st then holds nothing to free. */
static inline int msg3_check_init(msg3_check_state *st) {
  int rc = usnmp__crypto_new(&st->crypto, NULL);
  usnmp_priv_proto des = USNMP_PRIV_DES;
  if (rc < 0)
    return rc;
  if (!usnmp__crypto_has_des(st->crypto))
    des = USNMP_PRIV_AES;
  rc = msg3_check_target(st->crypto, &st->aes, "shaaes", USNMP_AUTH_SHA,
                         USNMP_PRIV_AES);
  if (rc == 0)
    rc = msg3_check_target(st->crypto, &st->des, "md5des", USNMP_AUTH_MD5, des);
  if (rc == 0)
    rc = msg3_check_target(st->crypto, &st->nopriv, "shanopriv", USNMP_AUTH_SHA,
                           USNMP_PRIV_NONE);
  if (rc < 0) {
    usnmp__crypto_free(st->crypto);
    st->crypto = NULL;
  }
  return rc;
}

/* Wipes the keys and frees the crypto object (not st itself). */
static inline void msg3_check_free(msg3_check_state *st) {
  usnmp__usm_target_wipe(&st->aes);
  usnmp__usm_target_wipe(&st->des);
  usnmp__usm_target_wipe(&st->nopriv);
  usnmp__crypto_free(st->crypto);
  st->crypto = NULL;
}

/* Returns 1 when every pointer of a decoded message lies inside the
 * datagram (header fields) or inside the datagram or the first len bytes
 * of scratch (the scoped PDU, which may have been decrypted there). */
static inline int msg3_check_inside(const usnmp__msg3 *m,
                                    const usnmp_varbind *vbs, size_t n,
                                    const uint8_t *data, size_t len,
                                    const uint8_t *scratch) {
#define MSG3_IN_EITHER(p, l)                                                   \
  (roundtrip_inside((p), (l), data, len) ||                                    \
   roundtrip_inside((p), (l), scratch, len))
  if (!roundtrip_inside(m->engine_id, m->engine_id_len, data, len) ||
      !roundtrip_inside(m->user, m->user_len, data, len) ||
      !roundtrip_inside(m->auth_params, m->auth_params_len, data, len) ||
      !roundtrip_inside(m->priv_params, m->priv_params_len, data, len) ||
      !MSG3_IN_EITHER(m->context_engine_id, m->context_engine_id_len) ||
      !MSG3_IN_EITHER(m->context_name, m->context_name_len))
    return 0;
  for (size_t i = 0; i < n; i++) {
    const usnmp_value *v = &vbs[i].value;
    int has_bytes =
        v->type == USNMP_TYPE_OCTET_STRING || v->type == USNMP_TYPE_OPAQUE ||
        v->type == USNMP_TYPE_IPADDRESS || v->type == USNMP_TYPE_OID ||
        v->type == USNMP_TYPE_UNDECODABLE;
    if (!MSG3_IN_EITHER(vbs[i].oid, vbs[i].oid_len) ||
        (has_bytes && !MSG3_IN_EITHER(v->v.bytes.data, v->v.bytes.len)))
      return 0;
  }
#undef MSG3_IN_EITHER
  return 1;
}

/* The checks every decoded message goes through (see the top): returns 0
 * or MSG3_CHECK_MISMATCH. */
static inline int msg3_check_decoded(msg3_check_state *st,
                                     const usnmp__usm_target *t,
                                     const usnmp__msg3 *m1, size_t n1,
                                     const uint8_t *data, size_t len) {
  usnmp__usm_target u;
  usnmp__msg3_context ctx;
  usnmp__msg3 m2;
  const uint8_t *want_engine = m1->context_engine_id;
  size_t want_engine_len = m1->context_engine_id_len;
  size_t n2 = 0;
  int status = 0;
  int action;
  int enc;

  if (n1 > USNMP_MAX_VARBINDS ||
      !msg3_check_inside(m1, st->vbs1, n1, data, len, st->scratch1))
    return MSG3_CHECK_MISMATCH;
  if ((m1->pdu.type == USNMP_PDU_REPORT) != (m1->report != 0))
    return MSG3_CHECK_MISMATCH;

  /* What the manager would do with it, on a copy of the target. */
  u = *t;
  action = usnmp__msg3_reply_action(st->crypto, &u, m1, 0, 0, &status);
  usnmp__usm_target_wipe(&u);
  if (action < USNMP__V3_DELIVER || action > USNMP__V3_FAIL ||
      (action == USNMP__V3_FAIL) != (status < 0))
    return MSG3_CHECK_MISMATCH;

  /* Re-encode at the target's level with the message's context, decode
   * again, compare. */
  memset(&ctx, 0, sizeof(ctx));
  ctx.engine_id = m1->context_engine_id;
  ctx.engine_id_len = m1->context_engine_id_len;
  ctx.name = m1->context_name_len > 0 ? m1->context_name : (const uint8_t *)"";
  ctx.name_len = m1->context_name_len;
  /* An empty contextEngineID means the agent's own engine: the encoder
   * fills that in. */
  if (want_engine_len == 0) {
    want_engine = t->engine_id;
    want_engine_len = t->engine_id_len;
  }
  u = *t;
  enc =
      usnmp__msg3_encode_ctx(st->crypto, &u, 0, m1->msg_id, m1->max_size, &ctx,
                             &m1->pdu, st->vbs1, n1, st->out, sizeof(st->out));
  usnmp__usm_target_wipe(&u);
  /* Encryption and a longer engine ID can push a message that arrived
   * near the size limit over it. */
  if (enc == USNMP_E_MSG_TOO_BIG)
    return 0;
  if (enc < 0)
    return MSG3_CHECK_MISMATCH;
  if (usnmp__msg3_decode(st->crypto, t, st->out, (size_t)enc, st->scratch2,
                         sizeof(st->scratch2), &m2, st->vbs2,
                         USNMP_MAX_VARBINDS, &n2) != 0)
    return MSG3_CHECK_MISMATCH;
  if (m2.msg_id != m1->msg_id || m2.max_size != m1->max_size ||
      !m2.authenticated || m2.report != m1->report ||
      m2.pdu.type != m1->pdu.type || m2.pdu.request_id != m1->pdu.request_id ||
      m2.pdu.error_status != m1->pdu.error_status ||
      m2.pdu.error_index != m1->pdu.error_index || n2 != n1 ||
      !roundtrip_bytes_equal(m2.context_engine_id, m2.context_engine_id_len,
                             want_engine, want_engine_len) ||
      !roundtrip_bytes_equal(m2.context_name, m2.context_name_len,
                             m1->context_name, m1->context_name_len) ||
      !roundtrip_bytes_equal(m2.engine_id, m2.engine_id_len, t->engine_id,
                             t->engine_id_len) ||
      !roundtrip_bytes_equal(m2.user, m2.user_len, t->user, t->user_len))
    return MSG3_CHECK_MISMATCH;
  /* The re-encoding is minimal: it needs no tolerance, but for the
   * undecodable values it carries on. */
  if ((m2.tolerated & ~(unsigned)USNMP__Q_UNDECODABLE) != 0 ||
      m2.tolerated != (m1->tolerated & USNMP__Q_UNDECODABLE))
    return MSG3_CHECK_MISMATCH;
  for (size_t i = 0; i < n1; i++) {
    if (!roundtrip_oid_equal(st->vbs1[i].oid, st->vbs1[i].oid_len,
                             st->vbs2[i].oid, st->vbs2[i].oid_len) ||
        !roundtrip_value_equal(&st->vbs1[i].value, &st->vbs2[i].value))
      return MSG3_CHECK_MISMATCH;
  }
  return 0;
}

/* Raw mode: returns the decode result for the SHA/AES target (negative
 * error or 0), or MSG3_CHECK_MISMATCH. */
static inline int msg3_check_raw(msg3_check_state *st, const uint8_t *data,
                                 size_t len) {
  usnmp__msg3 m;
  size_t n = 0;
  int32_t msg_id = -1;
  int peek = usnmp__msg3_peek_msg_id(data, len, &msg_id);
  int rc;

  if (peek > 0)
    return MSG3_CHECK_MISMATCH;
  /* Without a target: what an unauthenticated reader (discovery) sees. */
  rc = usnmp__msg3_decode(st->crypto, NULL, data, len, st->scratch1,
                          sizeof(st->scratch1), &m, st->vbs1,
                          USNMP_MAX_VARBINDS, &n);
  if (rc > 0 || (rc == 0 && (peek != 0 || m.msg_id != msg_id ||
                             m.authenticated || n > USNMP_MAX_VARBINDS ||
                             !msg3_check_inside(&m, st->vbs1, n, data, len,
                                                st->scratch1))))
    return MSG3_CHECK_MISMATCH;

  rc = usnmp__msg3_decode(st->crypto, &st->aes, data, len, st->scratch1,
                          sizeof(st->scratch1), &m, st->vbs1,
                          USNMP_MAX_VARBINDS, &n);
  if (rc > 0)
    return MSG3_CHECK_MISMATCH;
  if (rc < 0)
    return rc;
  if (peek != 0 || m.msg_id != msg_id)
    return MSG3_CHECK_MISMATCH;
  return msg3_check_decoded(st, &st->aes, &m, n, data, len);
}

/* Builds, in st->msg, the v3 message from t whose msgData is the
 * plaintext st->plain[0..plen), encrypted when t is at authPriv, with a
 * valid digest.  Returns its length, or USNMP_E_NOBUFS /
 * USNMP_E_MSG_TOO_BIG (too large to be a datagram) or an error of the
 * cryptography. */
static inline int msg3_check_sign(msg3_check_state *st,
                                  const usnmp__usm_target *t, size_t plen) {
  static const uint8_t zeros[USNMP__USM_MAC_MAX];
  uint8_t priv_params[USNMP__USM_PRIV_PARAMS_LEN] = {0};
  uint8_t flags = USNMP__MSG3_FLAG_AUTH;
  size_t mac_len = usnmp__usm_auth_mac_len(t->auth);
  size_t mark;
  size_t mac_end;
  usnmp__writer w;
  int total;
  int rc;

  usnmp__writer_init(&w, st->msg, sizeof(st->msg));
  usnmp__ber_put_bytes(&w, st->plain, plen);
  if (t->level == USNMP_SEC_AUTHPRIV) {
    size_t padded = plen;
    size_t out_len = 0;
    flags |= USNMP__MSG3_FLAG_PRIV;
    /* DES pads to whole blocks (an empty plaintext to one block): room in
     * front, plaintext slid there. */
    if (t->priv == USNMP_PRIV_DES)
      padded = plen == 0 ? 8 : (plen + 7) & ~(size_t)7;
    if (usnmp__writer_reserve(&w, padded - plen) == NULL || w.err)
      return USNMP_E_NOBUFS;
    memmove(w.pos, w.pos + (padded - plen), plen);
    rc = usnmp__usm_encrypt(st->crypto, t->priv, t->priv_key, t->boots, t->time,
                            t->salt, w.pos, plen, w.pos, &out_len, priv_params);
    if (rc < 0)
      return rc;
    if (out_len != padded)
      return USNMP_E_UNSUPPORTED;
    usnmp__ber_put_wrap(&w, 0x04, 0);
  }
  /* Security parameters, with zeros where the digest goes. */
  mark = usnmp__writer_len(&w);
  usnmp__ber_put_octets(&w, 0x04, priv_params,
                        (flags & USNMP__MSG3_FLAG_PRIV) ? sizeof(priv_params)
                                                        : 0);
  mac_end = usnmp__writer_len(&w);
  usnmp__ber_put_octets(&w, 0x04, zeros, mac_len);
  usnmp__ber_put_octets(&w, 0x04, t->user, t->user_len);
  usnmp__ber_put_int32(&w, 0x02, (int32_t)t->time);
  usnmp__ber_put_int32(&w, 0x02, (int32_t)t->boots);
  usnmp__ber_put_octets(&w, 0x04, t->engine_id, t->engine_id_len);
  usnmp__ber_put_wrap(&w, USNMP__TAG_SEQUENCE, mark);
  usnmp__ber_put_wrap(&w, 0x04, mark);
  /* msgVersion and msgGlobalData: msgID (4660 unless st->msg_id says),
   * msgMaxSize 65507, USM. */
  mark = usnmp__writer_len(&w);
  usnmp__ber_put_int32(&w, 0x02, 3);
  usnmp__ber_put_octets(&w, 0x04, &flags, 1);
  usnmp__ber_put_int32(&w, 0x02, USNMP__MSG3_MAX_SIZE_DEFAULT);
  usnmp__ber_put_int32(&w, 0x02, st->msg_id ? st->msg_id : 4660);
  usnmp__ber_put_wrap(&w, USNMP__TAG_SEQUENCE, mark);
  usnmp__ber_put_int32(&w, 0x02, USNMP_VERSION_3);
  usnmp__ber_put_wrap(&w, USNMP__TAG_SEQUENCE, 0);
  total = usnmp__writer_finish(&w);
  if (total < 0)
    return total;
  {
    uint8_t mac[USNMP__USM_MAC_MAX];
    size_t hole = (size_t)total - mac_end - mac_len;
    rc = usnmp__usm_hmac_msg(st->crypto, t->auth, t->auth_key, st->msg,
                             (size_t)total, hole, mac);
    if (rc < 0)
      return rc;
    memcpy(st->msg + hole, mac, mac_len);
  }
  return total;
}

/* Signed mode: returns the decode result (negative error or 0), an error
 * building the message (the payload too large for a datagram), or
 * MSG3_CHECK_MISMATCH. */
static inline int msg3_check_signed(msg3_check_state *st, uint8_t mode,
                                    const uint8_t *data, size_t len) {
  const usnmp__usm_target *t = &st->aes;
  usnmp__writer w;
  usnmp__msg3 m;
  size_t plen = len;
  size_t n = 0;
  size_t slack;
  int total;
  int rc;

  if (((mode >> 1) & 3) == 1)
    t = &st->des;
  else if (((mode >> 1) & 3) == 2)
    t = &st->nopriv;
  if (len > USNMP_MAX_MSG_SIZE)
    return USNMP_E_MSG_TOO_BIG;
  if (mode & 8) {
    /* The scoped PDU's SEQUENCE header in front of the payload. */
    usnmp__writer_init(&w, st->plain, sizeof(st->plain));
    usnmp__ber_put_bytes(&w, data, len);
    usnmp__ber_put_wrap(&w, USNMP__TAG_SEQUENCE, 0);
    rc = usnmp__writer_finish(&w);
    if (rc < 0)
      return rc;
    plen = (size_t)rc;
  } else if (len > 0) {
    memcpy(st->plain, data, len);
  }
  total = msg3_check_sign(st, t, plen);
  if (total < 0)
    return total;
  rc = usnmp__msg3_decode(st->crypto, t, st->msg, (size_t)total, st->scratch1,
                          sizeof(st->scratch1), &m, st->vbs1,
                          USNMP_MAX_VARBINDS, &n);
  if (rc > 0 || (rc == 0 && !m.authenticated))
    return MSG3_CHECK_MISMATCH;
  if (rc < 0)
    return rc;

  /* The scoped PDU alone, re-encoded from what was decoded, is the
   * plaintext (less the padding after it) when it needed no tolerance, and
   * never longer. */
  usnmp__writer_init(&w, st->out, sizeof(st->out));
  if (usnmp__pdu_encode(&w, &m.pdu, st->vbs1, n) < 0)
    return MSG3_CHECK_MISMATCH;
  usnmp__ber_put_octets(&w, 0x04, m.context_name, m.context_name_len);
  usnmp__ber_put_octets(&w, 0x04, m.context_engine_id, m.context_engine_id_len);
  usnmp__ber_put_wrap(&w, USNMP__TAG_SEQUENCE, 0);
  rc = usnmp__writer_finish(&w);
  slack = t->level == USNMP_SEC_AUTHPRIV && t->priv == USNMP_PRIV_DES ? 7 : 0;
  if (rc == USNMP_E_MSG_TOO_BIG && (m.tolerated & USNMP__Q_UINT_SIGN))
    return 0;
  if (rc < 0)
    return MSG3_CHECK_MISMATCH;
  /* Padding after the scoped PDU is ignored: DES's up to 7 octets, and
   * any more when the decoder said it tolerated some. */
  if (m.tolerated & USNMP__Q_PRIV_PAD)
    slack = plen;
  if ((m.tolerated & ~(unsigned)(USNMP__Q_UNDECODABLE | USNMP__Q_PRIV_PAD)) ==
          0 &&
      ((size_t)rc > plen || plen - (size_t)rc > slack ||
       memcmp(st->out, st->plain, (size_t)rc) != 0))
    return MSG3_CHECK_MISMATCH;

  return msg3_check_decoded(st, t, &m, n, st->msg, (size_t)total);
}

/* Runs one input (mode byte, payload) through its mode's checks.  Returns
 * 0 when it decoded and every check held, the negative error of the
 * decoder (or of building the signed message) when it did not decode, or
 * MSG3_CHECK_MISMATCH when a check failed.  An empty input is 0. */
static inline int msg3_check(msg3_check_state *st, const uint8_t *data,
                             size_t len) {
  if (len == 0)
    return 0;
  if (data[0] & 1)
    return msg3_check_signed(st, data[0], data + 1, len - 1);
  return msg3_check_raw(st, data + 1, len - 1);
}

#endif /* USNMP_FUZZ_MSG3_CHECK_H */
