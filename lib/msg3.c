/*
 * SNMPv3 messages (RFC 3412 section 6) with USM security parameters
 * (RFC 3414 section 2.4):
 *
 *   SNMPv3Message ::= SEQUENCE {
 *     msgVersion INTEGER (3),
 *     msgGlobalData SEQUENCE { msgID, msgMaxSize, msgFlags OCTET STRING
 *                              (SIZE(1)), msgSecurityModel INTEGER (3) },
 *     msgSecurityParameters OCTET STRING, holding
 *       SEQUENCE { msgAuthoritativeEngineID, msgAuthoritativeEngineBoots,
 *                  msgAuthoritativeEngineTime, msgUserName,
 *                  msgAuthenticationParameters, msgPrivacyParameters },
 *     msgData CHOICE { plaintext ScopedPDU, encryptedPDU OCTET STRING } }
 *
 *   ScopedPDU ::= SEQUENCE { contextEngineID, contextName, PDU }
 *
 * Encoding uses the codec's backwards writer: the PDU first (the shared
 * bare-PDU encoder), then the scoped PDU's header, then encryption in
 * place, then the security parameters and the header.  The digest is
 * computed over the finished message and written into the zeroed
 * msgAuthenticationParameters, whose position the writer's end-relative
 * offsets give.
 *
 * Decoding reads the header and the security parameters, then checks the
 * digest before it believes anything the message says, then decrypts into
 * the caller's scratch buffer and decodes the scoped PDU.
 */
#include <string.h>

#include <openssl/crypto.h>

#include "ber.h"
#include "pdu.h"
#include "usm.h"

#define TAG_INTEGER 0x02
#define TAG_OCTETS 0x04

/* RFC 3414 snmpSecurityModel value of the USM. */
#define SECURITY_MODEL_USM 3

/* usmStats, 1.3.6.1.6.3.15.1.1: the BER content octets of the prefix. */
static const uint8_t usm_stats_prefix[] = {0x2b, 6, 1, 6, 3, 15, 1, 1};

static const int report_errors[] = {
    USNMP_E_UNSUPPORTED_SEC_LEVEL, /* .1 usmStatsUnsupportedSecLevels */
    USNMP_E_NOT_IN_TIME_WINDOW,    /* .2 usmStatsNotInTimeWindows */
    USNMP_E_UNKNOWN_USER,          /* .3 usmStatsUnknownUserNames */
    USNMP_E_UNKNOWN_ENGINE_ID,     /* .4 usmStatsUnknownEngineIDs */
    USNMP_E_WRONG_DIGEST,          /* .5 usmStatsWrongDigests */
    USNMP_E_DECRYPTION_ERROR,      /* .6 usmStatsDecryptionErrors */
};

int usnmp__msg3_report_error(const uint8_t *oid, size_t oid_len) {
  size_t n = sizeof(usm_stats_prefix);

  /* The name is usmStats.N.0: the prefix, one arc 1..6, then 0. */
  if (oid == NULL || oid_len != n + 2 ||
      memcmp(oid, usm_stats_prefix, n) != 0 || oid[n + 1] != 0 || oid[n] < 1 ||
      oid[n] > 6)
    return USNMP_E_UNKNOWN_REPORT;
  return report_errors[oid[n] - 1];
}

static int confirmed_class(usnmp_pdu_type type) {
  /* RFC 3412 6.4: the reportable flag is set for the Confirmed Class. */
  return type == USNMP_PDU_GET || type == USNMP_PDU_GETNEXT ||
         type == USNMP_PDU_GETBULK || type == USNMP_PDU_SET ||
         type == USNMP_PDU_INFORM;
}

/* Prepends msgVersion, msgGlobalData and the outer SEQUENCE around what
 * the writer holds (security parameters and msgData). */
static void put_header(usnmp__writer *w, int32_t msg_id, int32_t max_size,
                       uint8_t flags) {
  size_t mark = usnmp__writer_len(w);

  usnmp__ber_put_int32(w, TAG_INTEGER, SECURITY_MODEL_USM);
  usnmp__ber_put_octets(w, TAG_OCTETS, &flags, 1);
  usnmp__ber_put_int32(w, TAG_INTEGER, max_size);
  usnmp__ber_put_int32(w, TAG_INTEGER, msg_id);
  usnmp__ber_put_wrap(w, USNMP__TAG_SEQUENCE, mark);
  usnmp__ber_put_int32(w, TAG_INTEGER, USNMP_VERSION_3);
  usnmp__ber_put_wrap(w, USNMP__TAG_SEQUENCE, 0);
}

int usnmp__msg3_encode_discovery(uint8_t *buf, size_t size, int32_t msg_id,
                                 int32_t request_id, int32_t max_size) {
  usnmp__writer w;
  usnmp_msg pdu;
  size_t mark;
  int rc;

  if (buf == NULL || msg_id < 0 || max_size < USNMP__MSG3_MAX_SIZE_MIN)
    return USNMP_E_INVAL;
  memset(&pdu, 0, sizeof(pdu));
  pdu.version = USNMP_VERSION_3;
  pdu.type = USNMP_PDU_GET;
  pdu.request_id = request_id;

  usnmp__writer_init(&w, buf, size);
  /* Scoped PDU: empty contextEngineID and contextName, a GET of nothing. */
  rc = usnmp__pdu_encode(&w, &pdu, NULL, 0);
  if (rc < 0)
    return rc;
  usnmp__ber_put_octets(&w, TAG_OCTETS, "", 0);
  usnmp__ber_put_octets(&w, TAG_OCTETS, "", 0);
  usnmp__ber_put_wrap(&w, USNMP__TAG_SEQUENCE, 0);
  /* Security parameters: all empty or zero. */
  mark = usnmp__writer_len(&w);
  usnmp__ber_put_octets(&w, TAG_OCTETS, "", 0);
  usnmp__ber_put_octets(&w, TAG_OCTETS, "", 0);
  usnmp__ber_put_octets(&w, TAG_OCTETS, "", 0);
  usnmp__ber_put_int32(&w, TAG_INTEGER, 0);
  usnmp__ber_put_int32(&w, TAG_INTEGER, 0);
  usnmp__ber_put_octets(&w, TAG_OCTETS, "", 0);
  usnmp__ber_put_wrap(&w, USNMP__TAG_SEQUENCE, mark);
  usnmp__ber_put_wrap(&w, TAG_OCTETS, mark);
  put_header(&w, msg_id, max_size, USNMP__MSG3_FLAG_REPORTABLE);
  return usnmp__writer_finish(&w);
}

int usnmp__msg3_encode(usnmp__crypto *c, usnmp__usm_target *t, uint64_t now_ms,
                       int32_t msg_id, int32_t max_size, const usnmp_msg *pdu,
                       const usnmp_varbind *vbs, size_t n_vbs, uint8_t *buf,
                       size_t size) {
  return usnmp__msg3_encode_ctx(c, t, now_ms, msg_id, max_size, NULL, pdu, vbs,
                                n_vbs, buf, size);
}

static int encode_ctx(usnmp__crypto *c, usnmp__usm_target *t, uint64_t now_ms,
                      int32_t msg_id, int32_t max_size,
                      const usnmp__msg3_context *context, const usnmp_msg *pdu,
                      const usnmp_varbind *vbs, size_t n_vbs, uint8_t *buf,
                      size_t size) {
  uint8_t priv_params[USNMP__USM_PRIV_PARAMS_LEN] = {0};
  static const uint8_t zeros[USNMP__USM_MAC_MAX];
  const uint8_t *ctx_engine;
  size_t ctx_engine_len;
  const uint8_t *ctx_name;
  size_t ctx_name_len;
  size_t mac_len = 0;
  size_t mark, mac_end = 0;
  uint32_t boots = 0, time = 0;
  uint8_t flags = 0;
  usnmp__writer w;
  int total;
  int rc;

  if (c == NULL || t == NULL || pdu == NULL || buf == NULL || msg_id < 0 ||
      max_size < USNMP__MSG3_MAX_SIZE_MIN || !usnmp__usm_target_ready(t))
    return USNMP_E_INVAL;
  if (t->level >= USNMP_SEC_AUTHNOPRIV) {
    flags |= USNMP__MSG3_FLAG_AUTH;
    mac_len = usnmp__usm_auth_mac_len(t->auth);
  }
  if (t->level == USNMP_SEC_AUTHPRIV)
    flags |= USNMP__MSG3_FLAG_PRIV;
  if (confirmed_class(pdu->type))
    flags |= USNMP__MSG3_FLAG_REPORTABLE;
  if (t->time_known) {
    boots = t->boots;
    time = usnmp__usm_target_time(t, now_ms);
  }
  /* The context: the request's, else the target's; an empty
   * contextEngineID means the agent's own engine. */
  if (context != NULL &&
      (context->engine_id_len > USNMP__USM_ENGINE_ID_MAX ||
       context->name_len > USNMP__USM_CONTEXT_NAME_MAX ||
       (context->engine_id == NULL && context->engine_id_len > 0) ||
       (context->name == NULL && context->name_len > 0)))
    return USNMP_E_INVAL;
  if (context != NULL && context->engine_id_len > 0) {
    ctx_engine = context->engine_id;
    ctx_engine_len = context->engine_id_len;
  } else if (t->context_engine_id_len > 0) {
    ctx_engine = t->context_engine_id;
    ctx_engine_len = t->context_engine_id_len;
  } else {
    ctx_engine = t->engine_id;
    ctx_engine_len = t->engine_id_len;
  }
  if (context != NULL && context->name != NULL) {
    ctx_name = context->name;
    ctx_name_len = context->name_len;
  } else {
    ctx_name = t->context_name;
    ctx_name_len = t->context_name_len;
  }

  usnmp__writer_init(&w, buf, size);
  rc = usnmp__pdu_encode(&w, pdu, vbs, n_vbs);
  if (rc < 0)
    return rc;
  usnmp__ber_put_octets(&w, TAG_OCTETS, ctx_name, ctx_name_len);
  usnmp__ber_put_octets(&w, TAG_OCTETS, ctx_engine, ctx_engine_len);
  usnmp__ber_put_wrap(&w, USNMP__TAG_SEQUENCE, 0);

  if (flags & USNMP__MSG3_FLAG_PRIV) {
    size_t plain = usnmp__writer_len(&w);
    size_t padded = plain;
    size_t out_len = 0;
    uint8_t *p;

    if (t->priv == USNMP_PRIV_DES)
      padded = (plain + 7) & ~(size_t)7;
    /* DES pads to whole blocks: make room in front and slide the
     * plaintext there, so the ciphertext still ends where the writer
     * started. */
    p = usnmp__writer_reserve(&w, padded - plain);
    if (p != NULL && !w.err) {
      memmove(w.pos, w.pos + (padded - plain), plain);
      rc = usnmp__usm_encrypt(c, t->priv, t->priv_key, boots, time, t->salt,
                              w.pos, plain, w.pos, &out_len, priv_params);
      if (rc < 0)
        return rc;
      if (out_len != padded)
        return USNMP_E_UNSUPPORTED;
    }
    t->salt++;
    usnmp__ber_put_wrap(&w, TAG_OCTETS, 0);
  }

  mark = usnmp__writer_len(&w);
  usnmp__ber_put_octets(&w, TAG_OCTETS, priv_params,
                        (flags & USNMP__MSG3_FLAG_PRIV) ? sizeof(priv_params)
                                                        : 0);
  /* msgAuthenticationParameters: zeros now, the digest once the message
   * is complete.  Its content ends mac_end bytes before the message's
   * end. */
  mac_end = usnmp__writer_len(&w);
  usnmp__ber_put_octets(&w, TAG_OCTETS, zeros, mac_len);
  usnmp__ber_put_octets(&w, TAG_OCTETS, t->user, t->user_len);
  usnmp__ber_put_int32(&w, TAG_INTEGER, (int32_t)time);
  usnmp__ber_put_int32(&w, TAG_INTEGER, (int32_t)boots);
  usnmp__ber_put_octets(&w, TAG_OCTETS, t->engine_id, t->engine_id_len);
  usnmp__ber_put_wrap(&w, USNMP__TAG_SEQUENCE, mark);
  usnmp__ber_put_wrap(&w, TAG_OCTETS, mark);
  put_header(&w, msg_id, max_size, flags);

  total = usnmp__writer_finish(&w);
  if (total < 0)
    return total;
  if (flags & USNMP__MSG3_FLAG_AUTH) {
    uint8_t mac[USNMP__USM_MAC_MAX];
    size_t hole = (size_t)total - mac_end - mac_len;
    rc = usnmp__usm_hmac_msg(c, t->auth, t->auth_key, buf, (size_t)total, hole,
                             mac);
    if (rc < 0)
      return rc;
    memcpy(buf + hole, mac, mac_len);
  }
  return total;
}

int usnmp__msg3_encode_ctx(usnmp__crypto *c, usnmp__usm_target *t,
                           uint64_t now_ms, int32_t msg_id, int32_t max_size,
                           const usnmp__msg3_context *context,
                           const usnmp_msg *pdu, const usnmp_varbind *vbs,
                           size_t n_vbs, uint8_t *buf, size_t size) {
  int rc = encode_ctx(c, t, now_ms, msg_id, max_size, context, pdu, vbs, n_vbs,
                      buf, size);
  /* The scoped PDU is written in clear before it is encrypted in place:
   * an encryption that did not happen (no room, a cipher error) leaves
   * the plaintext in buf. */
  if (rc < 0 && t != NULL && buf != NULL && t->level == USNMP_SEC_AUTHPRIV)
    OPENSSL_cleanse(buf, size);
  return rc;
}

/* Adds the positive USNMP__Q_* bits of rc to *quirks and returns 0, or
 * returns rc when it is an error. */
static int keep_quirks(unsigned *quirks, int rc) {
  /* One test on the common path: rc is 0 there. */
  if (__builtin_expect(rc != 0, 0) && rc > 0) {
    *quirks |= (unsigned)rc;
    return 0;
  }
  return rc;
}

/* Reads a non-negative INTEGER (0..2^31-1) the v3 header uses. */
static int get_nonneg(usnmp__slice *in, int32_t *out) {
  int rc = usnmp__ber_get_int32(in, TAG_INTEGER, out);
  if (rc >= 0 && *out < 0)
    return USNMP_E_BAD_VALUE;
  return rc;
}

/* Opens a v3 message down to its msgID, trusting nothing: *msg is left at
 * what follows msgVersion, *global at what follows msgID.  Returns 0, the
 * USNMP__Q_* bits of what it tolerated, USNMP_E_BAD_VERSION or a BER
 * error. */
static int open_header(const uint8_t *buf, size_t len, usnmp__slice *msg,
                       usnmp__slice *global, int32_t *msg_id) {
  usnmp__slice in = {0};
  int32_t version = 0;
  unsigned quirks = 0;
  int rc;

  usnmp__slice_init(&in, buf, len);
  rc = keep_quirks(&quirks, usnmp__ber_get_asn1(&in, msg, USNMP__TAG_SEQUENCE));
  /* Bytes after the message cannot change what it says. */
  if (rc == 0 && in.len)
    quirks |= USNMP__Q_TRAILING;
  if (rc == 0)
    rc = keep_quirks(&quirks, usnmp__ber_get_int32(msg, TAG_INTEGER, &version));
  if (rc < 0)
    return rc;
  if (version != USNMP_VERSION_3)
    return USNMP_E_BAD_VERSION;
  rc = keep_quirks(&quirks,
                   usnmp__ber_get_asn1(msg, global, USNMP__TAG_SEQUENCE));
  if (rc == 0)
    rc = keep_quirks(&quirks, get_nonneg(global, msg_id));
  return rc < 0 ? rc : (int)quirks;
}

int usnmp__msg3_decode(usnmp__crypto *c, const usnmp__usm_target *t,
                       const uint8_t *buf, size_t len, uint8_t *scratch,
                       size_t scratch_size, usnmp__msg3 *m, usnmp_varbind *vbs,
                       size_t max_vbs, size_t *n_vbs) {
  usnmp__slice msg = {0}, global = {0}, sp_outer = {0};
  usnmp__slice sp = {0}, data = {0}, scoped = {0};
  const uint8_t *flags_p = NULL, *auth_p = NULL, *priv_p = NULL;
  size_t flags_len = 0, auth_len = 0, priv_len = 0;
  int32_t model = 0, boots = 0, time = 0;
  size_t msg_len;
  uint8_t data_tag;
  int rc;

  if (buf == NULL || m == NULL || n_vbs == NULL || (vbs == NULL && max_vbs))
    return USNMP_E_INVAL;
  memset(m, 0, sizeof *m);
  *n_vbs = 0;

  /* Header and security parameters: structure only, nothing trusted. */
  rc = keep_quirks(&m->tolerated,
                   open_header(buf, len, &msg, &global, &m->msg_id));
  msg_len = rc < 0 ? 0 : (size_t)(msg.data + msg.len - buf);
  if (rc == 0)
    rc = keep_quirks(&m->tolerated, get_nonneg(&global, &m->max_size));
  if (rc == 0)
    rc =
        keep_quirks(&m->tolerated, usnmp__ber_get_octets(&global, TAG_OCTETS,
                                                         &flags_p, &flags_len));
  if (rc == 0)
    rc = keep_quirks(&m->tolerated, get_nonneg(&global, &model));
  if (rc < 0)
    return rc;
  if (global.len)
    return USNMP_E_TRAILING;
  if (flags_len != 1 || m->max_size < USNMP__MSG3_MAX_SIZE_MIN)
    return USNMP_E_BAD_VALUE;
  if (model != SECURITY_MODEL_USM)
    return USNMP_E_BAD_VERSION;
  m->flags = flags_p[0];

  rc = keep_quirks(&m->tolerated,
                   usnmp__ber_get_asn1(&msg, &sp_outer, TAG_OCTETS));
  if (rc == 0)
    rc = keep_quirks(&m->tolerated,
                     usnmp__ber_get_asn1(&sp_outer, &sp, USNMP__TAG_SEQUENCE));
  if (rc < 0)
    return rc;
  if (sp_outer.len)
    return USNMP_E_TRAILING;
  rc = keep_quirks(
      &m->tolerated,
      usnmp__ber_get_octets(&sp, TAG_OCTETS, &m->engine_id, &m->engine_id_len));
  if (rc == 0)
    rc = keep_quirks(&m->tolerated, get_nonneg(&sp, &boots));
  if (rc == 0)
    rc = keep_quirks(&m->tolerated, get_nonneg(&sp, &time));
  if (rc == 0)
    rc = keep_quirks(
        &m->tolerated,
        usnmp__ber_get_octets(&sp, TAG_OCTETS, &m->user, &m->user_len));
  if (rc == 0)
    rc = keep_quirks(&m->tolerated, usnmp__ber_get_octets(&sp, TAG_OCTETS,
                                                          &auth_p, &auth_len));
  if (rc == 0)
    rc = keep_quirks(&m->tolerated, usnmp__ber_get_octets(&sp, TAG_OCTETS,
                                                          &priv_p, &priv_len));
  if (rc < 0)
    return rc;
  if (sp.len)
    return USNMP_E_TRAILING;
  if (m->engine_id_len > USNMP__USM_ENGINE_ID_MAX ||
      m->user_len > USNMP__USM_USER_MAX)
    return USNMP_E_BAD_VALUE;
  m->boots = (uint32_t)boots;
  m->time = (uint32_t)time;
  m->auth_params = auth_p;
  m->auth_params_len = auth_len;
  m->priv_params = priv_p;
  m->priv_params_len = priv_len;

  rc = keep_quirks(&m->tolerated, usnmp__ber_get_any(&msg, &data_tag, &data));
  if (rc < 0)
    return rc;
  if (msg.len)
    return USNMP_E_TRAILING;
  /* RFC 3412 7.2.5: privacy without authentication is an invalid
   * combination. */
  if ((m->flags & USNMP__MSG3_FLAG_PRIV) && !(m->flags & USNMP__MSG3_FLAG_AUTH))
    return USNMP_E_UNSUPPORTED_SEC_LEVEL;
  if (data_tag !=
      ((m->flags & USNMP__MSG3_FLAG_PRIV) ? TAG_OCTETS : USNMP__TAG_SEQUENCE))
    return USNMP_E_BAD_TAG;

  /* Authentication before anything else is believed. */
  if (m->flags & USNMP__MSG3_FLAG_AUTH) {
    uint8_t mac[USNMP__USM_MAC_MAX];
    size_t mac_len;

    if (c == NULL || t == NULL || t->auth == USNMP_AUTH_NONE || !t->keys_ready)
      return USNMP_E_AUTH_FAILURE;
    mac_len = usnmp__usm_auth_mac_len(t->auth);
    /* The key is localised to our idea of the engine and belongs to our
     * user: a message naming another cannot carry a valid digest. */
    if (auth_len != mac_len || m->engine_id_len != t->engine_id_len ||
        memcmp(m->engine_id, t->engine_id, t->engine_id_len) != 0 ||
        m->user_len != t->user_len ||
        memcmp(m->user, t->user, t->user_len) != 0)
      return USNMP_E_AUTH_FAILURE;
    /* The digest covers the message, not bytes after it. */
    rc = usnmp__usm_hmac_msg(c, t->auth, t->auth_key, buf, msg_len,
                             (size_t)(auth_p - buf), mac);
    if (rc == 0 && CRYPTO_memcmp(mac, auth_p, mac_len) != 0)
      rc = USNMP_E_AUTH_FAILURE;
    /* The digest this message should have carried: whoever reads it can
     * forge the message. */
    OPENSSL_cleanse(mac, sizeof(mac));
    if (rc < 0)
      return rc;
    m->authenticated = 1;
  }

  if (m->flags & USNMP__MSG3_FLAG_PRIV) {
    usnmp__slice plain;

    if (t->priv == USNMP_PRIV_NONE)
      return USNMP_E_DECRYPTION_ERROR;
    if (scratch == NULL || scratch_size < data.len)
      return USNMP_E_NOBUFS;
    rc = usnmp__usm_decrypt(c, t->priv, t->priv_key, m->boots, m->time, priv_p,
                            priv_len, data.data, data.len, scratch);
    if (rc < 0)
      return rc;
    usnmp__slice_init(&plain, scratch, data.len);
    plain.depth = data.depth;
    /* A wrong privacy key turns the plaintext into noise: whatever fails
     * to frame the scoped PDU is a decryption error.  What follows the
     * scoped PDU is padding and is ignored, as net-snmp does: DES needs
     * up to 7 octets, and pysnmp-based agents pad with zeros, 1 to 8 for
     * DES and 1 to 16 for AES, which needs none.  Padding beyond the
     * cipher's need is counted. */
    rc = usnmp__ber_get_asn1(&plain, &scoped, USNMP__TAG_SEQUENCE);
    if (rc < 0)
      return USNMP_E_DECRYPTION_ERROR;
    m->tolerated |= (unsigned)rc;
    if (plain.len > (t->priv == USNMP_PRIV_DES ? 7u : 0u))
      m->tolerated |= USNMP__Q_PRIV_PAD;
  } else {
    scoped = data;
  }

  rc = keep_quirks(&m->tolerated,
                   usnmp__ber_get_octets(&scoped, TAG_OCTETS,
                                         &m->context_engine_id,
                                         &m->context_engine_id_len));
  if (rc == 0)
    rc =
        keep_quirks(&m->tolerated,
                    usnmp__ber_get_octets(&scoped, TAG_OCTETS, &m->context_name,
                                          &m->context_name_len));
  if (rc < 0)
    return rc;
  if (m->context_engine_id_len > USNMP__USM_ENGINE_ID_MAX ||
      m->context_name_len > USNMP__USM_CONTEXT_NAME_MAX)
    return USNMP_E_BAD_VALUE;
  rc = keep_quirks(&m->tolerated,
                   usnmp__pdu_decode(&scoped, &m->pdu, vbs, max_vbs, n_vbs, 0));
  if (rc < 0)
    return rc;
  if (scoped.len)
    return USNMP_E_TRAILING;
  m->pdu.version = USNMP_VERSION_3;
  if (!usnmp__pdu_type_allowed(USNMP_VERSION_3, m->pdu.type))
    return USNMP_E_BAD_PDU_TYPE;

  if (m->pdu.type == USNMP_PDU_REPORT) {
    m->report = *n_vbs > 0
                    ? usnmp__msg3_report_error(vbs[0].oid, vbs[0].oid_len)
                    : USNMP_E_UNKNOWN_REPORT;
  } else if (t != NULL &&
             ((t->level >= USNMP_SEC_AUTHNOPRIV && !m->authenticated) ||
              (t->level == USNMP_SEC_AUTHPRIV &&
               !(m->flags & USNMP__MSG3_FLAG_PRIV)))) {
    /* RFC 3412 7.2.13: a response comes at the request's level.  Only
     * Reports may come lower (an agent reports unknown users and engines
     * without authentication). */
    return USNMP_E_AUTH_FAILURE;
  }
  return 0;
}

int usnmp__msg3_peek_msg_id(const uint8_t *buf, size_t len, int32_t *msg_id) {
  usnmp__slice msg = {0}, global = {0};

  int rc;

  if (buf == NULL || msg_id == NULL)
    return USNMP_E_INVAL;
  rc = open_header(buf, len, &msg, &global, msg_id);
  return rc < 0 ? rc : 0;
}

int usnmp__msg3_reply_action(usnmp__crypto *c, usnmp__usm_target *t,
                             const usnmp__msg3 *m, uint64_t now_ms, int flags,
                             int *status) {
  int retried = (flags & USNMP__V3_RETRIED) != 0;
  int rc;

  *status = 0;
  if (m->pdu.type != USNMP_PDU_REPORT) {
    /* A response at the right level (msg3_decode checked it). */
    if (m->authenticated &&
        usnmp__usm_target_check_time(t, m->boots, m->time, now_ms) < 0)
      return USNMP__V3_DROP;
    t->agent_max_size = m->max_size;
    return USNMP__V3_DELIVER;
  }

  switch (m->report) {
  case USNMP_E_UNKNOWN_ENGINE_ID:
    if (m->engine_id_len == 0 || retried) {
      *status = USNMP_E_UNKNOWN_ENGINE_ID;
      return USNMP__V3_FAIL;
    }
    if (t->engine_id_len > 0) {
      /* The engine is known: this report is unauthenticated and cannot
       * re-point the target, or an on-path attacker could have our
       * requests re-keyed for, and relayed to, any device that shares the
       * user's password (RFC 3414 2.6).  Only a probe that raced with a
       * discovery already done goes on, to the same engine. */
      if ((flags & USNMP__V3_PROBE) && t->engine_id_len == m->engine_id_len &&
          memcmp(t->engine_id, m->engine_id, m->engine_id_len) == 0)
        return USNMP__V3_RETRY;
      *status = t->engine_id_fixed ? USNMP_E_UNKNOWN_ENGINE_ID
                                   : USNMP_E_ENGINE_MISMATCH;
      return USNMP__V3_FAIL;
    }
    /* Discovery's answer (RFC 3414 4): learn the engine, take its boots
     * and time as a first hint, and send again. */
    rc = usnmp__usm_target_set_engine(c, t, m->engine_id, m->engine_id_len, 0);
    if (rc < 0) {
      *status = rc;
      return USNMP__V3_FAIL;
    }
    usnmp__usm_target_resync(t, m->boots, m->time, now_ms, 0);
    t->agent_max_size = m->max_size;
    return USNMP__V3_RETRY;
  case USNMP_E_NOT_IN_TIME_WINDOW:
    /* RFC 3414 3.2.7 / 4: an authenticated notInTimeWindow report carries
     * the agent's real boots and time (it rebooted, or our clock or its
     * clock jumped).  Take them and resend once.  An unauthenticated one
     * could be anybody's and changes nothing. */
    if (m->authenticated && !retried) {
      usnmp__usm_target_resync(t, m->boots, m->time, now_ms, 1);
      return USNMP__V3_RETRY;
    }
    *status = USNMP_E_NOT_IN_TIME_WINDOW;
    return USNMP__V3_FAIL;
  default:
    *status = m->report;
    return USNMP__V3_FAIL;
  }
}
