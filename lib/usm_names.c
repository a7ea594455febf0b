/*
 * SNMPv3 users without cryptography: the names of the security protocols
 * and levels as net-snmp's tools spell them (parsed and printed), and the
 * one check of a user's parameters.  A build without SNMPv3
 * (-Dsnmpv3=false) has this file too, so a command line that names them
 * still parses.
 */
#include <string.h>
#include <strings.h>

#include "usm.h"
#include "usnmp.h"

static int passphrase_ok(const char *pass) {
  size_t len;
  if (pass == NULL)
    return 0;
  len = strlen(pass);
  return len >= USNMP__USM_PASSWORD_MIN && len <= USNMP__USM_PASSWORD_MAX;
}

int usnmp__usm_user_check(const char *user, usnmp_auth_proto auth,
                          const char *authpass, usnmp_priv_proto priv,
                          const char *privpass) {
  size_t user_len = user == NULL ? 0 : strlen(user);
  if (user_len == 0 || user_len > USNMP__USM_USER_MAX)
    return USNMP_E_V3_USER_NAME;
  if (auth < USNMP_AUTH_NONE || auth > USNMP_AUTH_SHA512 ||
      priv < USNMP_PRIV_NONE || priv > USNMP_PRIV_AES256C)
    return USNMP_E_V3_UNKNOWN_PROTOCOL;
  if (priv != USNMP_PRIV_NONE && auth == USNMP_AUTH_NONE)
    return USNMP_E_V3_PRIV_WITHOUT_AUTH;
  if ((auth != USNMP_AUTH_NONE && !passphrase_ok(authpass)) ||
      (priv != USNMP_PRIV_NONE && !passphrase_ok(privpass)))
    return USNMP_E_V3_PASSPHRASE;
  return 0;
}

static const char *const auth_names[USNMP_AUTH_SHA512 + 1] = {
    "NOAUTH", "MD5", "SHA", "SHA-224", "SHA-256", "SHA-384", "SHA-512",
};
static const char *const priv_names[USNMP_PRIV_AES256C + 1] = {
    "NOPRIV", "DES", "AES", "AES-192", "AES-256", "AES-192-C", "AES-256-C",
};

/* Compares a name with a canonical one, case-insensitively, ignoring the
 * canonical name's dashes when the given name has none (net-snmp accepts
 * both "SHA-256" and "SHA256"). */
static int name_matches(const char *name, const char *canonical) {
  char bare[16];
  size_t i, j = 0;

  if (strcasecmp(name, canonical) == 0)
    return 1;
  for (i = 0; canonical[i] != '\0' && j + 1 < sizeof(bare); i++)
    if (canonical[i] != '-')
      bare[j++] = canonical[i];
  bare[j] = '\0';
  return strcasecmp(name, bare) == 0;
}

int usnmp_auth_proto_parse(const char *name, usnmp_auth_proto *out) {
  int i;

  if (name == NULL || out == NULL)
    return USNMP_E_INVAL;
  if (strcasecmp(name, "SHA1") == 0) {
    *out = USNMP_AUTH_SHA;
    return 0;
  }
  for (i = 0; i <= USNMP_AUTH_SHA512; i++) {
    if (name_matches(name, auth_names[i])) {
      *out = (usnmp_auth_proto)i;
      return 0;
    }
  }
  return USNMP_E_V3_UNKNOWN_PROTOCOL;
}

int usnmp_priv_proto_parse(const char *name, usnmp_priv_proto *out) {
  int i;

  if (name == NULL || out == NULL)
    return USNMP_E_INVAL;
  if (strcasecmp(name, "AES128") == 0 || strcasecmp(name, "AES-128") == 0) {
    *out = USNMP_PRIV_AES;
    return 0;
  }
  for (i = 0; i <= USNMP_PRIV_AES256C; i++) {
    if (name_matches(name, priv_names[i])) {
      *out = (usnmp_priv_proto)i;
      return 0;
    }
  }
  return USNMP_E_V3_UNKNOWN_PROTOCOL;
}

int usnmp_sec_level_parse(const char *name, usnmp_sec_level *out) {
  static const struct {
    const char *name;
    usnmp_sec_level level;
  } names[] = {
      {"noAuthNoPriv", USNMP_SEC_NOAUTHNOPRIV},
      {"1", USNMP_SEC_NOAUTHNOPRIV},
      {"noauth", USNMP_SEC_NOAUTHNOPRIV},
      {"authNoPriv", USNMP_SEC_AUTHNOPRIV},
      {"2", USNMP_SEC_AUTHNOPRIV},
      {"auth", USNMP_SEC_AUTHNOPRIV},
      {"authPriv", USNMP_SEC_AUTHPRIV},
      {"3", USNMP_SEC_AUTHPRIV},
      {"priv", USNMP_SEC_AUTHPRIV},
  };
  size_t i;

  if (name == NULL || out == NULL)
    return USNMP_E_INVAL;
  for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
    if (strcasecmp(name, names[i].name) == 0) {
      *out = names[i].level;
      return 0;
    }
  }
  return USNMP_E_V3_UNKNOWN_LEVEL;
}

const char *usnmp_auth_proto_name(usnmp_auth_proto p) {
  return p >= USNMP_AUTH_NONE && p <= USNMP_AUTH_SHA512 ? auth_names[p] : NULL;
}

const char *usnmp_priv_proto_name(usnmp_priv_proto p) {
  return p >= USNMP_PRIV_NONE && p <= USNMP_PRIV_AES256C ? priv_names[p] : NULL;
}
