/*
 * The SNMPv3 message processing model of the async manager (RFC 3412 with
 * RFC 3414's user-based security), and the public v3 target setters.
 *
 * The cryptography and the message codec live in usm.c and msg3.c; this
 * file ties them to requests:
 *
 *   - A v3 request keeps itself in clear (r->plain: a small context
 *     header followed by the PDU encoded as a v2c message with an empty
 *     community).  Every datagram of the request is encoded from it, with
 *     the request's current id as msgID and request-id: the discovery
 *     probe while the agent's engine is unknown, then the real message
 *     once it is, again after a notInTimeWindow re-synchronisation, and
 *     the halves of a tooBig split.
 *
 *   - Engine discovery never blocks the loop and costs one round trip per
 *     target: the first request that leaves a target with an unknown
 *     engine is sent as the probe (target->probe), the target's other
 *     requests wait in its queue, and the probe's Report turns the probe
 *     back into its real request (USNMP__RETRY), after which the queue
 *     moves; if the probe fails instead, the requests that waited for it
 *     fail with its status (schedule.c, usnmp__request_complete()).  An
 *     engine ID given by the caller skips the probe; its boots and time
 *     then come from the agent's first notInTimeWindow report.  Once the
 *     target has an engine ID, no report replaces it
 *     (usnmp__msg3_reply_action): only
 *     usnmp_target_v3_rediscover() or a new given ID do.
 *
 *   - Secrets: r->plain, the decrypted replies in m->v3_scratch and the
 *     merged answers of a split request are wiped (OPENSSL_cleanse)
 *     as soon as they are no longer needed.
 *
 *   - The wire message is built when the request is sent, not when it is
 *     started, so the engine time it carries is fresh however long it
 *     waited in a queue, and the cryptography runs once per datagram.
 *     Resends repeat the same bytes, as RFC 3414 allows within the time
 *     window.
 *
 *   - Replies: the msgID (read in clear) finds the request; the message is
 *     then authenticated against the target's keys before anything in it
 *     is believed.  A reply that fails is dropped (dropped_auth) and the
 *     request keeps waiting, because anybody can send a datagram; if no
 *     good reply comes, the request ends with USNMP_E_AUTH_FAILURE rather
 *     than USNMP_E_TIMEOUT, which is what the caller needs to know
 *     (usually a wrong password or key).  Reports become distinct
 *     statuses (usnmp__msg3_reply_action).
 */
#include <string.h>

#include <openssl/crypto.h>

#include "manager_int.h"

/* What the v3 header, the USM parameters (engine ID, user, the largest
 * MAC, the salt) and the encryption (DES pads up to 8 bytes, the outer
 * OCTET STRING) add to a PDU at most, beyond the context. */
#define V3_OVERHEAD 192u

/* r->plain: [has_context, engine_id_len, name_len] engine_id name pdu. */
#define PLAIN_HEADER 3u

/* ------------------------------------------------------------------------
 * Encoding
 * ------------------------------------------------------------------------ */

static size_t agent_limit(const usnmp__usm_target *usm) {
  if (usm->agent_max_size >= USNMP__MSG3_MAX_SIZE_MIN &&
      usm->agent_max_size < USNMP_MAX_MSG_SIZE)
    return (size_t)usm->agent_max_size;
  return USNMP_MAX_MSG_SIZE;
}

/* Wipes a message of len bytes that the backwards writer encoded into
 * buf[0..size): the message at the start, and the copy it was moved from
 * at the end. */
static void wipe_encoded(uint8_t *buf, size_t size, size_t len) {
  OPENSSL_cleanse(buf, len);
  OPENSSL_cleanse(buf + size - len, len);
}

/* Build time: keeps the request in clear, and gives the manager the
 * discovery probe as a placeholder message (no cryptography yet; the
 * real message is made by v3_launch). */
static void v3_plain_free(usnmp_request *r);

static int v3_encode(usnmp_request *r, const usnmp__pdu *pdu, uint8_t *buf,
                     size_t size) {
  usnmp_manager *m = r->m;
  usnmp__usm_target *usm = r->t->usm;
  const usnmp__msg3_context *ctx = pdu->context;
  usnmp_msg msg;
  size_t ctx_len, total;
  uint8_t *plain;
  int len, too_big;

  if (usm == NULL || m->crypto == NULL || usm->user_len == 0)
    return USNMP_E_INVAL; /* a v3 target needs a user */
  if (ctx != NULL && (ctx->engine_id_len > USNMP__USM_ENGINE_ID_MAX ||
                      ctx->name_len > USNMP__USM_CONTEXT_NAME_MAX))
    return USNMP_E_INVAL;
  usnmp__pdu_to_msg(&msg, pdu, USNMP_VERSION_2C);
  msg.community = (const uint8_t *)"";
  msg.community_len = 0;
  /* The PDU in clear (a SET's values may be secrets) is written into buf
   * and must not stay there, whatever happens: only r->plain keeps it,
   * and r->plain is wiped when it goes. */
  len = usnmp_msg_encode(buf, size, &msg, pdu->vbs, pdu->n_vbs);
  if (len < 0) {
    OPENSSL_cleanse(buf, size); /* a part may have been written */
    return len;
  }
  /* The context on the wire: the request's, or the target's (whose
   * engine ID may be the agent's, not known yet: count the largest). */
  ctx_len = ctx != NULL ? ctx->name_len : usm->context_name_len;
  ctx_len += USNMP__USM_ENGINE_ID_MAX;
  total = PLAIN_HEADER +
          (ctx != NULL ? ctx->engine_id_len + ctx->name_len : 0) + (size_t)len;
  /* Too big for the agent: the manager splits the request. */
  too_big = (size_t)len + ctx_len + V3_OVERHEAD > agent_limit(usm);
  plain = too_big ? NULL : usnmp__malloc(m, total);
  if (plain == NULL) {
    wipe_encoded(buf, size, (size_t)len);
    return too_big ? USNMP_E_MSG_TOO_BIG : USNMP_E_NOMEM;
  }
  plain[0] = ctx != NULL;
  plain[1] = ctx != NULL ? (uint8_t)ctx->engine_id_len : 0;
  plain[2] = ctx != NULL ? (uint8_t)ctx->name_len : 0;
  total = PLAIN_HEADER;
  if (ctx != NULL) {
    if (ctx->engine_id_len)
      memcpy(plain + total, ctx->engine_id, ctx->engine_id_len);
    total += ctx->engine_id_len;
    if (ctx->name_len)
      memcpy(plain + total, ctx->name, ctx->name_len);
    total += ctx->name_len;
  }
  memcpy(plain + total, buf, (size_t)len);
  total += (size_t)len;
  wipe_encoded(buf, size, (size_t)len);
  v3_plain_free(r);
  r->plain = plain;
  r->plain_len = (uint32_t)total;
  r->v3 |= USNMP__V3R_PROBE;
  return usnmp__msg3_encode_discovery(buf, size, pdu->request_id,
                                      pdu->request_id,
                                      USNMP__MSG3_MAX_SIZE_DEFAULT);
}

static void v3_plain_free(usnmp_request *r) {
  if (r->plain == NULL)
    return;
  OPENSSL_cleanse(r->plain, r->plain_len);
  usnmp__free(r->m, r->plain);
  r->plain = NULL;
  r->plain_len = 0;
}

/* Wipes what a decrypted reply left in m->v3_scratch (nothing when it is
 * clean: one compare). */
static void scratch_wipe(usnmp_manager *m) {
  if (m->v3_scratch_dirty == 0)
    return;
  OPENSSL_cleanse(m->v3_scratch, m->v3_scratch_dirty);
  m->v3_scratch_dirty = 0;
}

static void v3_plain(const usnmp_request *r, const uint8_t **msg, size_t *len,
                     usnmp__msg3_context *context, int *has_context) {
  const uint8_t *p = r->plain;
  size_t off = PLAIN_HEADER + (size_t)p[1] + p[2];
  memset(context, 0, sizeof *context);
  *has_context = p[0];
  if (p[0]) {
    context->engine_id = p + PLAIN_HEADER;
    context->engine_id_len = p[1];
    context->name = p + PLAIN_HEADER + p[1];
    context->name_len = p[2];
  }
  *msg = p + off;
  *len = r->plain_len - off;
}

/* Replaces r's message with len bytes of m->tx_msg. */
static int set_message(usnmp_request *r, size_t len) {
  usnmp_manager *m = r->m;
  uint8_t *dst = r->inline_msg;
  if (len > sizeof(r->inline_msg)) {
    dst = usnmp__malloc(m, len);
    if (dst == NULL)
      return USNMP_E_NOMEM;
  }
  memcpy(dst, m->tx_msg, len);
  if (r->msg != r->inline_msg)
    usnmp__free(m, r->msg);
  r->msg = dst;
  r->msg_len = (uint32_t)len;
  return 0;
}

static int v3_may_send(usnmp_request *r) {
  usnmp_target *t = r->t;
  if (t->usm == NULL || usnmp__usm_target_ready(t->usm))
    return 1;
  if (t->probe == NULL || t->probe == r) {
    t->probe = r;
    return 1;
  }
  return 0;
}

static int v3_launch(usnmp_request *r) {
  usnmp_manager *m = r->m;
  usnmp_target *t = r->t;
  usnmp__usm_target *usm = t->usm;
  usnmp__msg3_context ctx;
  usnmp_msg pdu;
  const uint8_t *msg;
  size_t msg_len, n = 0;
  int has_ctx, len, rc;

  if (usm == NULL || r->plain == NULL)
    return USNMP_E_INVAL;
  if (!usnmp__usm_target_ready(usm)) {
    /* This request is the target's discovery probe. */
    t->probe = r;
    len = usnmp__msg3_encode_discovery(m->tx_msg, USNMP_MAX_MSG_SIZE, r->id,
                                       r->id, USNMP__MSG3_MAX_SIZE_DEFAULT);
    if (len < 0)
      return len;
    rc = set_message(r, (size_t)len);
    if (rc == 0)
      r->v3 |= USNMP__V3R_PROBE;
    return rc;
  }
  v3_plain(r, &msg, &msg_len, &ctx, &has_ctx);
  rc = usnmp_msg_decode(&pdu, m->tx_vbs, USNMP_MAX_VARBINDS, &n, msg, msg_len);
  if (rc < 0)
    return rc;
  pdu.request_id = r->id;
  len = usnmp__msg3_encode_ctx(
      m->crypto, usm, uv_now(m->loop), r->id, USNMP__MSG3_MAX_SIZE_DEFAULT,
      has_ctx ? &ctx : NULL, &pdu, m->tx_vbs, n, m->tx_msg, USNMP_MAX_MSG_SIZE);
  if (len == USNMP_E_NOBUFS || len == USNMP_E_MSG_TOO_BIG ||
      (len > 0 && (size_t)len > agent_limit(usm)))
    return USNMP_E_TOO_BIG;
  if (len < 0)
    return len;
  rc = set_message(r, (size_t)len);
  if (rc == 0)
    r->v3 &= (uint8_t)~USNMP__V3R_PROBE;
  return rc;
}

/* ------------------------------------------------------------------------
 * Receiving
 * ------------------------------------------------------------------------ */

/* Only the msgID is read before the request is found: nothing else in the
 * datagram can be believed until the request's keys checked it. */
static int v3_decode(usnmp_manager *m, usnmp__inbound *in) {
  scratch_wipe(m); /* should the last reply's path have missed it */
  return usnmp__msg3_peek_msg_id(in->data, in->len, &in->key);
}

/* Decides what a reply that msg3_decode returned rc for means to r. */
static int v3_judge(usnmp_request *r, usnmp__inbound *in,
                    const usnmp__msg3 *msg, int rc) {
  usnmp_manager *m = r->m;
  int action, status = 0, flags = 0;

  if (rc == USNMP_E_AUTH_FAILURE || rc == USNMP_E_DECRYPTION_ERROR) {
    r->v3 |= USNMP__V3R_AUTH_FAILED;
    return USNMP__DROP_AUTH;
  }
  if (rc < 0) {
    in->status = rc;
    return USNMP__DROP_MALFORMED;
  }
  in->tolerated = msg->tolerated;
  if (m->strict && msg->tolerated)
    return USNMP__DROP_STRICT;
  if (msg->msg_id != r->id)
    return USNMP__DROP_MALFORMED;
  if (msg->pdu.type == USNMP_PDU_RESPONSE) {
    /* A response answers a request, never the probe, and carries the
     * request-id we sent (the same number as the msgID). */
    if ((r->v3 & USNMP__V3R_PROBE) || msg->pdu.request_id != r->id)
      return USNMP__DROP_PDU;
  } else if (msg->pdu.type != USNMP_PDU_REPORT) {
    return USNMP__DROP_PDU;
  }
  if (msg->report == USNMP_E_NOT_IN_TIME_WINDOW
          ? (r->v3 & USNMP__V3R_TIME_RETRY) != 0
          : (r->v3 & USNMP__V3R_ENGINE_RETRY) != 0)
    flags |= USNMP__V3_RETRIED;
  if (r->v3 & USNMP__V3R_PROBE)
    flags |= USNMP__V3_PROBE;
  action = usnmp__msg3_reply_action(m->crypto, r->t->usm, msg, uv_now(m->loop),
                                    flags, &status);
  switch (action) {
  case USNMP__V3_DELIVER:
    in->msg = msg->pdu;
    return USNMP__ACCEPT;
  case USNMP__V3_RETRY:
    r->v3 |= msg->report == USNMP_E_NOT_IN_TIME_WINDOW
                 ? USNMP__V3R_TIME_RETRY
                 : USNMP__V3R_ENGINE_RETRY;
    return USNMP__RETRY;
  case USNMP__V3_FAIL:
    in->status = status;
    return USNMP__FAIL;
  default:
    return USNMP__DROP_AUTH; /* a stale (replayed) response */
  }
}

static int v3_accept(usnmp_request *r, usnmp__inbound *in) {
  usnmp_manager *m = r->m;
  usnmp__usm_target *usm = r->t->usm;
  usnmp__msg3 msg;
  int rc;

  if (usm == NULL || m->crypto == NULL)
    return USNMP__DROP_VERSION;
  msg.flags = 0;
  rc = usnmp__msg3_decode(m->crypto, usm, in->data, in->len, m->v3_scratch,
                          USNMP_MAX_MSG_SIZE, &msg, in->vbs, USNMP_MAX_VARBINDS,
                          &in->n_vbs);
  /* A decrypted scoped PDU (never longer than the datagram) stays in the
   * scratch until it is wiped: by the manager after the callback of an
   * accepted answer, at once otherwise. */
  if (msg.flags & USNMP__MSG3_FLAG_PRIV)
    m->v3_scratch_dirty = in->len;
  rc = v3_judge(r, in, &msg, rc);
  if (rc != USNMP__ACCEPT)
    scratch_wipe(m);
  return rc;
}

/* The probe failed while the engine is still unknown: the requests that
 * wait for discovery fail with it. */
static int v3_gate_failed(usnmp_request *r) {
  return !usnmp__usm_target_ready(r->t->usm);
}

static void v3_request_context(const usnmp_target *t,
                               const usnmp_request_opts *opts,
                               usnmp__msg3_context *ctx) {
  memset(ctx, 0, sizeof *ctx);
  if (opts->context_engine_id != NULL) {
    ctx->engine_id = opts->context_engine_id;
    ctx->engine_id_len = opts->context_engine_id_len;
  }
  if (opts->context_name != NULL) {
    ctx->name = (const uint8_t *)opts->context_name;
    ctx->name_len = strlen(opts->context_name);
  } else if (t->usm != NULL) {
    ctx->name = t->usm->context_name;
    ctx->name_len = t->usm->context_name_len;
  }
  if (ctx->engine_id_len == 0 && t->usm != NULL) {
    ctx->engine_id = t->usm->context_engine_id;
    ctx->engine_id_len = t->usm->context_engine_id_len;
  }
}

static void v3_target_free(usnmp_target *t);
static void v3_manager_free(usnmp_manager *m);

const usnmp__msgproc usnmp__v3_proc = {
    .encode = v3_encode,
    .decode = v3_decode,
    .accept = v3_accept,
    .may_send = v3_may_send,
    .launch = v3_launch,
    .gate_failed = v3_gate_failed,
    .plain = v3_plain,
    .plain_free = v3_plain_free,
    .request_context = v3_request_context,
    .target_free = v3_target_free,
    .manager_free = v3_manager_free,
};

/* ------------------------------------------------------------------------
 * Targets and the manager
 * ------------------------------------------------------------------------ */

/* The manager's v3 state and the target's, created on first use. */
static int target_usm(usnmp_target *t, usnmp__usm_target **out) {
  usnmp_manager *m = t->m;
  int rc;
  if (m->closing)
    return USNMP_E_CLOSED;
  /* The model first: through it the manager frees what follows. */
  if (m->procs[USNMP_VERSION_3] == NULL)
    m->procs[USNMP_VERSION_3] = &usnmp__v3_proc;
  if (m->crypto == NULL) {
    rc = usnmp__crypto_new(&m->crypto, &m->alloc);
    if (rc < 0)
      return rc;
  }
  if (m->v3_scratch == NULL) {
    m->v3_scratch = usnmp__malloc(m, USNMP_MAX_MSG_SIZE);
    if (m->v3_scratch == NULL)
      return USNMP_E_NOMEM;
  }
  if (t->usm == NULL) {
    usnmp__usm_target *usm = usnmp__malloc(m, sizeof *usm);
    if (usm == NULL)
      return USNMP_E_NOMEM;
    rc = usnmp__usm_target_init(m->crypto, usm);
    if (rc < 0) {
      usnmp__free(m, usm);
      return rc;
    }
    t->usm = usm;
  }
  *out = t->usm;
  return 0;
}

static void v3_target_free(usnmp_target *t) {
  if (t->usm == NULL)
    return;
  usnmp__usm_target_wipe(t->usm);
  usnmp__free(t->m, t->usm);
  t->usm = NULL;
}

static void v3_manager_free(usnmp_manager *m) {
  usnmp__crypto_free(m->crypto);
  m->crypto = NULL;
  scratch_wipe(m);
  usnmp__free(m, m->v3_scratch);
  m->v3_scratch = NULL;
}

int usnmp_target_set_v3_user(usnmp_target *t, const char *user,
                             usnmp_auth_proto auth, const char *authpass,
                             usnmp_priv_proto priv, const char *privpass) {
  usnmp__usm_target *usm;
  int rc;
  if (t == NULL)
    return USNMP_E_INVAL;
  /* Before target_usm(), which may set up the manager's crypto. */
  rc = usnmp__usm_user_check(user, auth, authpass, priv, privpass);
  if (rc < 0)
    return rc;
  rc = target_usm(t, &usm);
  if (rc < 0)
    return rc;
  rc = usnmp__usm_target_set_user(t->m->crypto, usm, user, auth, authpass, priv,
                                  privpass);
  if (rc < 0)
    return rc;
  t->version = USNMP_VERSION_3;
  return 0;
}

int usnmp_target_set_v3_level(usnmp_target *t, usnmp_sec_level level) {
  if (t == NULL || t->usm == NULL)
    return USNMP_E_INVAL;
  return usnmp__usm_target_set_level(t->usm, level);
}

int usnmp_target_set_v3_engine_id(usnmp_target *t, const uint8_t *engine_id,
                                  size_t len) {
  usnmp__usm_target *usm;
  int rc;
  if (t == NULL || engine_id == NULL || len < USNMP__USM_ENGINE_ID_MIN ||
      len > USNMP__USM_ENGINE_ID_MAX)
    return USNMP_E_INVAL;
  rc = target_usm(t, &usm);
  if (rc < 0)
    return rc;
  return usnmp__usm_target_set_engine(t->m->crypto, usm, engine_id, len, 1);
}

int usnmp_target_v3_engine_id(const usnmp_target *t, uint8_t *buf,
                              size_t size) {
  const usnmp__usm_target *usm;
  if (t == NULL || (buf == NULL && size > 0))
    return USNMP_E_INVAL;
  usm = t->usm;
  if (usm == NULL || t->version != USNMP_VERSION_3 || usm->engine_id_len == 0)
    return 0;
  if (size < usm->engine_id_len)
    return USNMP_E_NOBUFS;
  memcpy(buf, usm->engine_id, usm->engine_id_len);
  return (int)usm->engine_id_len;
}

int usnmp_target_v3_rediscover(usnmp_target *t) {
  usnmp__usm_target *usm;
  if (t == NULL || t->usm == NULL || t->version != USNMP_VERSION_3)
    return USNMP_E_INVAL;
  usm = t->usm;
  usm->engine_id_fixed = 0;
  usnmp__usm_target_forget_engine(usm);
  usm->agent_max_size = 0;
  return 0;
}

int usnmp_target_set_v3_context(usnmp_target *t,
                                const uint8_t *context_engine_id, size_t len,
                                const char *context_name) {
  usnmp__usm_target *usm;
  int rc;
  if (t == NULL || (context_engine_id == NULL && len != 0) ||
      len > USNMP__USM_ENGINE_ID_MAX ||
      (context_name != NULL &&
       strlen(context_name) > USNMP__USM_CONTEXT_NAME_MAX))
    return USNMP_E_INVAL;
  rc = target_usm(t, &usm);
  if (rc < 0)
    return rc;
  return usnmp__usm_target_set_context(usm, context_engine_id, len,
                                       context_name);
}
