/*
 * The public SNMPv3 calls of a library built without SNMPv3
 * (-Dsnmpv3=false, no OpenSSL): each returns USNMP_E_UNSUPPORTED, so a
 * program written for both builds links and learns at run time.  The
 * message-model table then has no version-3 entry, and a target set to
 * version 3 is refused by usnmp_target_set_version() (USNMP_E_INVAL).
 */
#include "usnmp.h"

int usnmp_target_set_v3_user(usnmp_target *t, const char *user,
                             usnmp_auth_proto auth, const char *authpass,
                             usnmp_priv_proto priv, const char *privpass) {
  (void)t, (void)user, (void)auth, (void)authpass, (void)priv, (void)privpass;
  return USNMP_E_UNSUPPORTED;
}

int usnmp_target_set_v3_level(usnmp_target *t, usnmp_sec_level level) {
  (void)t, (void)level;
  return USNMP_E_UNSUPPORTED;
}

int usnmp_target_set_v3_engine_id(usnmp_target *t, const uint8_t *engine_id,
                                  size_t len) {
  (void)t, (void)engine_id, (void)len;
  return USNMP_E_UNSUPPORTED;
}

int usnmp_target_v3_engine_id(const usnmp_target *t, uint8_t *buf,
                              size_t size) {
  (void)t, (void)buf, (void)size;
  return USNMP_E_UNSUPPORTED;
}

int usnmp_target_v3_rediscover(usnmp_target *t) {
  (void)t;
  return USNMP_E_UNSUPPORTED;
}

int usnmp_target_set_v3_context(usnmp_target *t,
                                const uint8_t *context_engine_id, size_t len,
                                const char *context_name) {
  (void)t, (void)context_engine_id, (void)len, (void)context_name;
  return USNMP_E_UNSUPPORTED;
}
