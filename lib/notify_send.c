/*
 * Sending notifications through the manager and its targets.
 *
 * A trap is unconfirmed: it is encoded and sent at once to the target's
 * address, with nothing kept.  A v3 trap is sent by an authoritative
 * engine, the manager's own (RFC 3412 / 3414: the sender of an
 * unconfirmed PDU is authoritative): its engine ID, boots and time go in
 * the message and the user's keys are localised to that engine ID
 * (target->trap_usm, made on the first v3 trap of the target).
 *
 * An inform is confirmed: it is an ordinary request of the manager (type
 * InformRequest, never split), with resends, timeouts and, for v3, the
 * discovery of the receiver's engine, which is authoritative for it.
 */
#include <string.h>

#include "notify_int.h"

#if USNMP_HAVE_SNMPV3
struct usnmp__local_engine {
  uint8_t id[USNMP__USM_ENGINE_ID_MAX];
  size_t len;
  uint32_t boots;
  uint64_t start_ms; /* snmpEngineTime counts from here */
  uint32_t next_id;  /* msgID and request-id of the next v3 trap */
};

/* The sender's cleanup, registered on the manager (ext_target_free,
 * ext_manager_free) when it first keeps state, so the engine frees that
 * state without naming the sender: wipes and frees a target's trap
 * engine state, and the manager's own engine. */
static void notify_target_free(usnmp_target *t) {
  if (t->trap_usm == NULL)
    return;
  usnmp__usm_target_wipe(t->trap_usm);
  usnmp__wipe(t->trap_usm, sizeof *t->trap_usm);
  usnmp__free(t->m, t->trap_usm);
  t->trap_usm = NULL;
}

static void notify_manager_free(usnmp_manager *m) {
  usnmp__free(m, m->local_engine);
  m->local_engine = NULL;
}

static void register_cleanup(usnmp_manager *m) {
  m->ext_target_free = notify_target_free;
  m->ext_manager_free = notify_manager_free;
}
#endif

static const uint8_t oid_sysuptime[] = {0x2b, 6, 1, 2, 1, 1, 3, 0};
static const uint8_t oid_trapoid[] = {0x2b, 6, 1, 6, 3, 1, 1, 4, 1, 0};

#if USNMP_HAVE_SNMPV3
static struct usnmp__local_engine *local_engine(usnmp_manager *m) {
  struct usnmp__local_engine *le = m->local_engine;
  if (le != NULL)
    return le;
  le = usnmp__malloc(m, sizeof *le);
  if (le == NULL)
    return NULL;
  memset(le, 0, sizeof *le);
  /* RFC 3411 format 5 under enterprise 0, 8 random octets. */
  le->id[0] = 0x80;
  le->id[4] = 5;
  if (uv_random(NULL, NULL, le->id + 5, 8, 0, NULL) != 0 ||
      uv_random(NULL, NULL, &le->next_id, sizeof(le->next_id), 0, NULL) != 0) {
    usnmp__free(m, le);
    return NULL;
  }
  le->len = 13;
  le->start_ms = uv_now(m->loop);
  m->local_engine = le;
  register_cleanup(m);
  return le;
}

int usnmp_manager_set_v3_engine(usnmp_manager *m, const uint8_t *engine_id,
                                size_t len, uint32_t boots) {
  struct usnmp__local_engine *le;
  if (m == NULL || boots >= USNMP__USM_TIME_MAX ||
      (engine_id != NULL &&
       (len < USNMP__USM_ENGINE_ID_MIN || len > USNMP__USM_ENGINE_ID_MAX)))
    return USNMP_E_INVAL;
  le = local_engine(m);
  if (le == NULL)
    return USNMP_E_NOMEM;
  if (engine_id != NULL) {
    memcpy(le->id, engine_id, len);
    le->len = len;
  }
  le->boots = boots;
  le->start_ms = uv_now(m->loop);
  return 0;
}

int usnmp_manager_v3_engine_id(usnmp_manager *m, uint8_t *buf, size_t size) {
  struct usnmp__local_engine *le;
  if (m == NULL || buf == NULL)
    return USNMP_E_INVAL;
  le = local_engine(m);
  if (le == NULL)
    return USNMP_E_NOMEM;
  if (size < le->len)
    return USNMP_E_NOBUFS;
  memcpy(buf, le->id, le->len);
  return (int)le->len;
}
#else
/* Without SNMPv3 (-Dsnmpv3=false) the manager has no engine of its own. */
int usnmp_manager_set_v3_engine(usnmp_manager *m, const uint8_t *engine_id,
                                size_t len, uint32_t boots) {
  (void)m, (void)engine_id, (void)len, (void)boots;
  return USNMP_E_UNSUPPORTED;
}

int usnmp_manager_v3_engine_id(usnmp_manager *m, uint8_t *buf, size_t size) {
  (void)m, (void)buf, (void)size;
  return USNMP_E_UNSUPPORTED;
}
#endif

/* Puts sysUpTime.0 and snmpTrapOID.0 before vbs in out (n + 2 entries);
 * the OID value is encoded into storage. */
static int notification_varbinds(usnmp_varbind *out, uint8_t *storage,
                                 size_t size, uint32_t uptime,
                                 const usnmp_oid *trap_oid,
                                 const usnmp_varbind *vbs, size_t n) {
  int rc;
  if (trap_oid == NULL || (vbs == NULL && n > 0) || n + 2 > USNMP_MAX_VARBINDS)
    return USNMP_E_INVAL;
  memset(out, 0, 2 * sizeof *out);
  out[0].oid = oid_sysuptime;
  out[0].oid_len = sizeof(oid_sysuptime);
  out[0].value = usnmp_value_timeticks(uptime);
  out[1].oid = oid_trapoid;
  out[1].oid_len = sizeof(oid_trapoid);
  rc = usnmp_value_oid(&out[1].value, storage, size, trap_oid);
  if (rc < 0)
    return rc;
  if (n > 0)
    memcpy(out + 2, vbs, n * sizeof *vbs);
  return 0;
}

#if USNMP_HAVE_SNMPV3
/* The v3 trap: t's user with keys localised to the manager's engine. */
static int encode_v3_trap(usnmp_target *t, const usnmp_varbind *vbs, size_t n) {
  usnmp_manager *m = t->m;
  struct usnmp__local_engine *le = local_engine(m);
  usnmp__usm_target *ts = t->trap_usm;
  uint64_t now = uv_now(m->loop);
  usnmp_msg pdu;
  int32_t id;
  int rc;

  if (le == NULL)
    return USNMP_E_NOMEM;
  if (t->usm == NULL || m->crypto == NULL || t->usm->user_len == 0)
    return USNMP_E_INVAL;
  if (ts == NULL) {
    ts = usnmp__malloc(m, sizeof *ts);
    if (ts == NULL)
      return USNMP_E_NOMEM;
    memset(ts, 0, sizeof *ts);
    t->trap_usm = ts;
    register_cleanup(m);
  }
  /* The target's user may have changed, or the manager's engine: start
   * from the target's state whenever they differ. */
  if (ts->user_len != t->usm->user_len ||
      memcmp(ts->user, t->usm->user, ts->user_len) != 0 ||
      ts->auth != t->usm->auth || ts->priv != t->usm->priv ||
      memcmp(ts->auth_ku, t->usm->auth_ku, sizeof(ts->auth_ku)) != 0 ||
      memcmp(ts->priv_ku, t->usm->priv_ku, sizeof(ts->priv_ku)) != 0 ||
      ts->engine_id_len != le->len ||
      memcmp(ts->engine_id, le->id, le->len) != 0) {
    uint64_t salt = ts->salt;
    *ts = *t->usm;
    ts->engine_id_len = 0;
    ts->keys_ready = 0;
    ts->salt = salt != 0 ? salt : t->usm->salt + 0x9e3779b97f4a7c15ull;
    rc = usnmp__usm_target_set_engine(m->crypto, ts, le->id, le->len, 1);
    if (rc < 0)
      return rc;
  }
  ts->level = t->usm->level;
  memcpy(ts->context_name, t->usm->context_name, t->usm->context_name_len);
  ts->context_name_len = t->usm->context_name_len;
  memcpy(ts->context_engine_id, t->usm->context_engine_id,
         t->usm->context_engine_id_len);
  ts->context_engine_id_len = t->usm->context_engine_id_len;
  usnmp__usm_target_resync(ts, le->boots,
                           (uint32_t)((now - le->start_ms) / 1000), now, 1);
  id = (int32_t)(le->next_id++ & 0x7fffffffu);
  memset(&pdu, 0, sizeof(pdu));
  pdu.version = USNMP_VERSION_3;
  pdu.type = USNMP_PDU_TRAP_V2;
  pdu.request_id = id;
  return usnmp__msg3_encode(m->crypto, ts, now, id,
                            USNMP__MSG3_MAX_SIZE_DEFAULT, &pdu, vbs, n,
                            m->tx_msg, USNMP_MAX_MSG_SIZE);
}
#endif

int usnmp_trap_send(usnmp_target *t, const usnmp_trap_v1 *v1, uint32_t uptime,
                    const usnmp_oid *trap_oid, const usnmp_varbind *vbs,
                    size_t n) {
  uint8_t storage[5 * USNMP_OID_MAX_LEN + 8];
  usnmp_manager *m;
  usnmp_msg msg;
  int len, rc;

  if (t == NULL || (vbs == NULL && n > 0) || n > USNMP_MAX_VARBINDS)
    return USNMP_E_INVAL;
  m = t->m;
  if (m->closing)
    return USNMP_E_CLOSED;
  if (t->freeing)
    return USNMP_E_INVAL;
  if (t->resolve_status > 0)
    return UV_EAGAIN;
  if (t->resolve_status < 0)
    return USNMP_E_RESOLVE;
  memset(&msg, 0, sizeof(msg));
  msg.version = t->version;
  msg.community = (const uint8_t *)t->community;
  msg.community_len = strlen(t->community);
  if (t->version == USNMP_VERSION_1) {
    if (v1 == NULL || v1->generic_trap < 0 || v1->generic_trap > 6)
      return USNMP_E_INVAL;
    rc = usnmp_oid_to_ber(storage, sizeof(storage), &v1->enterprise);
    if (rc < 0)
      return rc;
    msg.type = USNMP_PDU_TRAP_V1;
    msg.trap.enterprise = storage;
    msg.trap.enterprise_len = (size_t)rc;
    memcpy(msg.trap.agent_addr, v1->agent_addr, 4);
    msg.trap.generic_trap = v1->generic_trap;
    msg.trap.specific_trap = v1->specific_trap;
    msg.trap.time_stamp = v1->time_stamp;
    len = usnmp_msg_encode(m->tx_msg, USNMP_MAX_MSG_SIZE, &msg, vbs, n);
  } else {
    rc = notification_varbinds(m->tx_vbs, storage, sizeof(storage), uptime,
                               trap_oid, vbs, n);
    if (rc < 0)
      return rc;
#if USNMP_HAVE_SNMPV3
    if (t->version == USNMP_VERSION_3) {
      len = encode_v3_trap(t, m->tx_vbs, n + 2);
    } else
#endif
    {
      msg.type = USNMP_PDU_TRAP_V2;
      if (uv_random(NULL, NULL, &msg.request_id, sizeof(msg.request_id), 0,
                    NULL) != 0)
        return USNMP_E_UNSUPPORTED;
      msg.request_id &= 0x7fffffff;
      len = usnmp_msg_encode(m->tx_msg, USNMP_MAX_MSG_SIZE, &msg, m->tx_vbs,
                             n + 2);
    }
  }
  if (len == USNMP_E_NOBUFS)
    len = USNMP_E_MSG_TOO_BIG;
  if (len < 0)
    return len;
  /* Sent now, outside the batch: nothing is kept to resend, and a copy
   * is made if the socket is full, so the buffer is free on return. */
  rc = usnmp__transport_send_now(&m->tp, (const struct sockaddr *)&t->addr,
                                 m->tx_msg, (size_t)len);
  if (t->version == USNMP_VERSION_3)
    usnmp__wipe(m->tx_msg, (size_t)len);
  if (rc < 0) {
    m->stats.send_errors++;
    return rc;
  }
  m->stats.sent++;
  return 0;
}

int usnmp_inform_send(usnmp_target *t, uint32_t uptime,
                      const usnmp_oid *trap_oid, const usnmp_varbind *vbs,
                      size_t n, const usnmp_request_opts *opts,
                      usnmp_response_cb cb, void *arg, usnmp_request **out) {
  uint8_t storage[5 * USNMP_OID_MAX_LEN + 8];
  int rc;
  if (t == NULL || cb == NULL)
    return USNMP_E_INVAL;
  if (t->version == USNMP_VERSION_1)
    return USNMP_E_BAD_VERSION;
  rc = notification_varbinds(t->m->tx_vbs, storage, sizeof(storage), uptime,
                             trap_oid, vbs, n);
  if (rc < 0)
    return rc;
  return usnmp__request_start(t, USNMP_PDU_INFORM, t->m->tx_vbs, n + 2, 0, 0,
                              opts, cb, arg, out);
}
