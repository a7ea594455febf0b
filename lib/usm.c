/*
 * SNMPv3 user-based security: keys, authentication and privacy.
 *
 * Everything cryptographic goes through OpenSSL 3's EVP interfaces, on a
 * library context of our own: the application may have configured
 * OpenSSL's default context any way it likes (FIPS only, no legacy), and
 * we neither depend on that nor change it.  DES lives in OpenSSL 3's
 * "legacy" provider; when that cannot be loaded, DES alone is reported
 * unsupported.
 *
 * The algorithms are fetched once when the crypto object is created;
 * fetching by name on every message would cost a lookup and a lock each
 * time.
 */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/provider.h>
#include <openssl/rand.h>

#include "alloc.h"
#include "usm.h"
#include "usm_crypto.h"

/* RFC 3414 A.2: the password is repeated to fill 1 MiB before hashing. */
#define PASSWORD_STRETCH (1024u * 1024u)

/* OpenSSL's names of the digests, indexed by usnmp_auth_proto. */
static const char *const md_names[USNMP__AUTH_COUNT] = {
    NULL, "MD5", "SHA1", "SHA2-224", "SHA2-256", "SHA2-384", "SHA2-512",
};
static const uint8_t auth_key_lens[USNMP__AUTH_COUNT] = {0,  16, 20, 28,
                                                         32, 48, 64};
static const uint8_t auth_mac_lens[USNMP__AUTH_COUNT] = {0,  12, 12, 16,
                                                         24, 32, 48};

static int auth_valid(usnmp_auth_proto auth) {
  return auth > USNMP_AUTH_NONE && auth <= USNMP_AUTH_SHA512;
}

static int priv_valid(usnmp_priv_proto priv) {
  return priv > USNMP_PRIV_NONE && priv <= USNMP_PRIV_AES256C;
}

size_t usnmp__usm_auth_key_len(usnmp_auth_proto auth) {
  return auth_valid(auth) ? auth_key_lens[auth] : 0;
}

size_t usnmp__usm_auth_mac_len(usnmp_auth_proto auth) {
  return auth_valid(auth) ? auth_mac_lens[auth] : 0;
}

size_t usnmp__usm_priv_key_len(usnmp_priv_proto priv) {
  switch (priv) {
  case USNMP_PRIV_DES:
  case USNMP_PRIV_AES:
    return 16;
  case USNMP_PRIV_AES192:
  case USNMP_PRIV_AES192C:
    return 24;
  case USNMP_PRIV_AES256:
  case USNMP_PRIV_AES256C:
    return 32;
  default:
    return 0;
  }
}

/* ---- the crypto object ------------------------------------------------ */

int usnmp__crypto_new(usnmp__crypto **out, const usnmp_allocator *alloc) {
  static const char *const aes_names[3] = {"AES-128-CFB", "AES-192-CFB",
                                           "AES-256-CFB"};
  usnmp_allocator a;
  usnmp__crypto *c;
  int i;

  if (out == NULL)
    return USNMP_E_INVAL;
  *out = NULL;
  a = alloc != NULL ? *alloc : usnmp__default_allocator;
  c = a.malloc(sizeof *c, a.ctx);
  if (c == NULL)
    return USNMP_E_NOMEM;
  memset(c, 0, sizeof *c);
  c->alloc = a;

  c->libctx = OSSL_LIB_CTX_new();
  if (c->libctx == NULL)
    goto nomem;
  c->prov_default = OSSL_PROVIDER_load(c->libctx, "default");
  if (c->prov_default == NULL)
    goto unsupported;
  /* Without the legacy provider only DES is lost; that is reported when a
   * DES user is configured, not here. */
  c->prov_legacy = OSSL_PROVIDER_load(c->libctx, "legacy");

  for (i = 1; i < USNMP__AUTH_COUNT; i++) {
    /* MD5 may be absent from a restricted build; only SHA is required. */
    c->md[i] = EVP_MD_fetch(c->libctx, md_names[i], NULL);
    if (c->md[i] == NULL && i != USNMP_AUTH_MD5)
      goto unsupported;
  }
  c->sha256 = EVP_MD_fetch(c->libctx, "SHA2-256", NULL);
  c->hmac = EVP_MAC_fetch(c->libctx, "HMAC", NULL);
  if (c->sha256 == NULL || c->hmac == NULL)
    goto unsupported;
  for (i = 1; i < USNMP__AUTH_COUNT; i++) {
    OSSL_PARAM params[2];
    if (c->md[i] == NULL)
      continue;
    c->mac_ctx[i] = EVP_MAC_CTX_new(c->hmac);
    if (c->mac_ctx[i] == NULL)
      goto nomem;
    params[0] = OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST,
                                                 (char *)md_names[i], 0);
    params[1] = OSSL_PARAM_construct_end();
    if (!EVP_MAC_CTX_set_params(c->mac_ctx[i], params))
      goto unsupported;
  }
  c->md_ctx = EVP_MD_CTX_new();
  c->cipher_ctx = EVP_CIPHER_CTX_new();
  if (c->md_ctx == NULL || c->cipher_ctx == NULL)
    goto nomem;
  for (i = 0; i < 3; i++) {
    c->aes_cfb[i] = EVP_CIPHER_fetch(c->libctx, aes_names[i], NULL);
    if (c->aes_cfb[i] == NULL)
      goto unsupported;
  }
  if (c->prov_legacy != NULL)
    c->des_cbc = EVP_CIPHER_fetch(c->libctx, "DES-CBC", NULL);
  *out = c;
  return 0;

nomem:
  usnmp__crypto_free(c);
  return USNMP_E_NOMEM;
unsupported:
  usnmp__crypto_free(c);
  return USNMP_E_UNSUPPORTED;
}

void usnmp__crypto_free(usnmp__crypto *c) {
  int i;

  if (c == NULL)
    return;
  if (c->cache != NULL) {
    OPENSSL_cleanse(c->cache, USNMP__KEY_CACHE_SLOTS * sizeof *c->cache);
    c->alloc.free(c->cache, c->alloc.ctx);
  }
  EVP_CIPHER_CTX_free(c->cipher_ctx);
  EVP_CIPHER_free(c->des_cbc);
  for (i = 0; i < 3; i++)
    EVP_CIPHER_free(c->aes_cfb[i]);
  EVP_MD_CTX_free(c->md_ctx);
  for (i = 0; i < USNMP__AUTH_COUNT; i++) {
    EVP_MAC_CTX_free(c->mac_ctx[i]);
    EVP_MD_free(c->md[i]);
  }
  EVP_MAC_free(c->hmac);
  EVP_MD_free(c->sha256);
  if (c->prov_legacy != NULL)
    OSSL_PROVIDER_unload(c->prov_legacy);
  if (c->prov_default != NULL)
    OSSL_PROVIDER_unload(c->prov_default);
  OSSL_LIB_CTX_free(c->libctx);
  c->alloc.free(c, c->alloc.ctx);
}

int usnmp__crypto_has_des(const usnmp__crypto *c) {
  return c != NULL && c->des_cbc != NULL;
}

int usnmp__crypto_has_auth(const usnmp__crypto *c, usnmp_auth_proto auth) {
  return c != NULL && auth_valid(auth) && c->md[auth] != NULL &&
         c->mac_ctx[auth] != NULL;
}

int usnmp__crypto_has_priv(const usnmp__crypto *c, usnmp_priv_proto priv) {
  if (c == NULL || !priv_valid(priv))
    return 0;
  return priv == USNMP_PRIV_DES ? c->des_cbc != NULL : 1;
}

int usnmp__crypto_random(usnmp__crypto *c, void *buf, size_t len) {
  if (RAND_bytes_ex(c->libctx, buf, len, 0) != 1)
    return USNMP_E_UNSUPPORTED;
  return 0;
}

/* ---- keys ------------------------------------------------------------- */

/* One-shot digest with the protocol's hash.  Returns 0 or
 * USNMP_E_UNSUPPORTED. */
static int digest(usnmp__crypto *c, const EVP_MD *md, const void *a,
                  size_t a_len, const void *b, size_t b_len, const void *d,
                  size_t d_len, uint8_t *out) {
  if (md == NULL || !EVP_DigestInit_ex2(c->md_ctx, md, NULL) ||
      !EVP_DigestUpdate(c->md_ctx, a, a_len) ||
      (b_len > 0 && !EVP_DigestUpdate(c->md_ctx, b, b_len)) ||
      (d_len > 0 && !EVP_DigestUpdate(c->md_ctx, d, d_len)) ||
      !EVP_DigestFinal_ex(c->md_ctx, out, NULL))
    return USNMP_E_UNSUPPORTED;
  return 0;
}

int usnmp__usm_password_to_key_uncached(usnmp__crypto *c, usnmp_auth_proto auth,
                                        const void *password, size_t len,
                                        uint8_t ku[USNMP__USM_KEY_MAX]) {
  /* The stretch is the password repeated to 1 MiB.  Hashing it in chunks
   * that hold a whole number of repetitions keeps the pattern aligned from
   * one chunk to the next, and makes the 1 MiB cost a few hundred
   * EVP_DigestUpdate calls instead of 16384. */
  uint8_t chunk[4096 + USNMP__USM_PASSWORD_MAX];
  size_t chunk_len, done, i;
  int rc = 0;

  if (c == NULL || password == NULL || len == 0 ||
      len > USNMP__USM_PASSWORD_MAX || ku == NULL)
    return USNMP_E_INVAL;
  if (!usnmp__crypto_has_auth(c, auth))
    return auth_valid(auth) ? USNMP_E_UNSUPPORTED : USNMP_E_INVAL;

  chunk_len = len * (len >= 4096 ? 1 : 4096 / len);
  for (i = 0; i < chunk_len; i += len)
    memcpy(chunk + i, password, len);

  if (!EVP_DigestInit_ex2(c->md_ctx, c->md[auth], NULL)) {
    rc = USNMP_E_UNSUPPORTED;
    goto out;
  }
  for (done = 0; done < PASSWORD_STRETCH; done += chunk_len) {
    size_t n = PASSWORD_STRETCH - done;
    if (n > chunk_len)
      n = chunk_len;
    if (!EVP_DigestUpdate(c->md_ctx, chunk, n)) {
      rc = USNMP_E_UNSUPPORTED;
      goto out;
    }
  }
  if (!EVP_DigestFinal_ex(c->md_ctx, ku, NULL))
    rc = USNMP_E_UNSUPPORTED;
out:
  OPENSSL_cleanse(chunk, sizeof(chunk));
  return rc;
}

/* usnmp__usm_password_to_key with the caller's room for the password's
 * fingerprint, which the caller wipes. */
static int password_to_key(usnmp__crypto *c, usnmp_auth_proto auth,
                           const void *password, size_t len,
                           uint8_t ku[USNMP__USM_KEY_MAX], uint8_t fp[32]) {
  static const char label[] = "usnmp password-to-key";
  uint8_t proto = (uint8_t)auth;
  usnmp__key_cache_slot *slot;
  int rc;

  if (c == NULL || password == NULL || len == 0 ||
      len > USNMP__USM_PASSWORD_MAX || ku == NULL || !auth_valid(auth))
    return USNMP_E_INVAL;
  if (c->cache == NULL) {
    c->cache = c->alloc.malloc(USNMP__KEY_CACHE_SLOTS * sizeof *c->cache,
                               c->alloc.ctx);
    if (c->cache == NULL)
      return USNMP_E_NOMEM;
    memset(c->cache, 0, USNMP__KEY_CACHE_SLOTS * sizeof *c->cache);
  }
  /* The fingerprint covers the protocol, so one password under two
   * digests takes two entries. */
  rc = digest(c, c->sha256, label, sizeof(label), &proto, 1, password, len, fp);
  if (rc != 0)
    return rc;
  /* Four ways per set: two passwords whose fingerprints share a slot (a
   * user's authentication and privacy passwords, say) must not evict each
   * other on every target.  A miss takes a free way, else the home one. */
  {
    unsigned home = (fp[0] | (unsigned)fp[1] << 8) % USNMP__KEY_CACHE_SLOTS;
    unsigned way;
    slot = NULL;
    for (way = 0; way < USNMP__KEY_CACHE_WAYS; way++) {
      usnmp__key_cache_slot *s =
          &c->cache[(home + way) % USNMP__KEY_CACHE_SLOTS];
      if (s->used &&
          CRYPTO_memcmp(s->fingerprint, fp, sizeof(s->fingerprint)) == 0) {
        memcpy(ku, s->ku, auth_key_lens[auth]);
        c->cache_hits++;
        return 0;
      }
      if (!s->used && slot == NULL)
        slot = s;
    }
    if (slot == NULL)
      slot = &c->cache[home];
  }
  c->cache_misses++;
  rc = usnmp__usm_password_to_key_uncached(c, auth, password, len, ku);
  if (rc != 0)
    return rc;
  memcpy(slot->fingerprint, fp, sizeof(slot->fingerprint));
  memset(slot->ku, 0, sizeof(slot->ku));
  memcpy(slot->ku, ku, auth_key_lens[auth]);
  slot->used = 1;
  return 0;
}

int usnmp__usm_password_to_key(usnmp__crypto *c, usnmp_auth_proto auth,
                               const void *password, size_t len,
                               uint8_t ku[USNMP__USM_KEY_MAX]) {
  uint8_t fp[32];
  int rc = password_to_key(c, auth, password, len, ku, fp);
  /* A fast hash of the password is as good as the password to a
   * dictionary attack. */
  OPENSSL_cleanse(fp, sizeof(fp));
  return rc;
}

int usnmp__usm_localize(usnmp__crypto *c, usnmp_auth_proto auth,
                        const uint8_t *ku, const uint8_t *engine_id,
                        size_t engine_id_len, uint8_t kul[USNMP__USM_KEY_MAX]) {
  size_t klen;

  if (c == NULL || ku == NULL || kul == NULL || engine_id == NULL ||
      engine_id_len == 0 || engine_id_len > USNMP__USM_ENGINE_ID_MAX ||
      !auth_valid(auth))
    return USNMP_E_INVAL;
  if (!usnmp__crypto_has_auth(c, auth))
    return USNMP_E_UNSUPPORTED;
  klen = auth_key_lens[auth];
  return digest(c, c->md[auth], ku, klen, engine_id, engine_id_len, ku, klen,
                kul);
}

/* Blumenthal (draft-blumenthal-aes-usm-04 3.1.2.1): Kul = Kul || H(Kul),
 * repeated over the whole key so far until it is long enough.  Extends
 * key from *have to need bytes. */
static int extend_blumenthal(usnmp__crypto *c, usnmp_auth_proto auth,
                             uint8_t *key, size_t *have, size_t need) {
  uint8_t h[USNMP__USM_KEY_MAX];
  int rc = 0;

  while (*have < need) {
    size_t n = need - *have;
    rc = digest(c, c->md[auth], key, *have, NULL, 0, NULL, 0, h);
    if (rc != 0)
      break;
    if (n > auth_key_lens[auth])
      n = auth_key_lens[auth];
    memcpy(key + *have, h, n);
    *have += n;
  }
  OPENSSL_cleanse(h, sizeof(h));
  return rc;
}

/* Reeder (draft-reeder-snmpv3-usm-3desede-00 2.1, net-snmp's "-C" AES):
 * Kul = Kul || localise(password_to_key(Kul)), the whole key so far
 * taken as the password, until it is long enough.  This costs another
 * 1 MiB hash per engine; it goes through the cache, so targets sharing
 * an engine ID and password pay it once. */
static int extend_reeder(usnmp__crypto *c, usnmp_auth_proto auth,
                         const uint8_t *engine_id, size_t engine_id_len,
                         uint8_t *key, size_t *have, size_t need) {
  uint8_t ku[USNMP__USM_KEY_MAX];
  uint8_t kul[USNMP__USM_KEY_MAX];
  int rc = 0;

  while (*have < need) {
    size_t n = need - *have;
    rc = usnmp__usm_password_to_key(c, auth, key, *have, ku);
    if (rc == 0)
      rc = usnmp__usm_localize(c, auth, ku, engine_id, engine_id_len, kul);
    if (rc != 0)
      break;
    if (n > auth_key_lens[auth])
      n = auth_key_lens[auth];
    memcpy(key + *have, kul, n);
    *have += n;
  }
  OPENSSL_cleanse(ku, sizeof(ku));
  OPENSSL_cleanse(kul, sizeof(kul));
  return rc;
}

int usnmp__usm_priv_key(usnmp__crypto *c, usnmp_auth_proto auth,
                        usnmp_priv_proto priv, const uint8_t *ku,
                        const uint8_t *engine_id, size_t engine_id_len,
                        uint8_t key[USNMP__USM_KEY_MAX]) {
  /* Room for the longest extension: a 16-byte MD5 key grown by whole
   * digests past 32 bytes. */
  uint8_t buf[2 * USNMP__USM_KEY_MAX];
  size_t have, need;
  int rc;

  if (!priv_valid(priv) || key == NULL)
    return USNMP_E_INVAL;
  rc = usnmp__usm_localize(c, auth, ku, engine_id, engine_id_len, buf);
  if (rc != 0)
    return rc;
  have = auth_key_lens[auth];
  need = usnmp__usm_priv_key_len(priv);
  if (have < need) {
    if (priv == USNMP_PRIV_AES192C || priv == USNMP_PRIV_AES256C)
      rc = extend_reeder(c, auth, engine_id, engine_id_len, buf, &have, need);
    else if (priv == USNMP_PRIV_AES192 || priv == USNMP_PRIV_AES256)
      rc = extend_blumenthal(c, auth, buf, &have, need);
    else
      rc = USNMP_E_INVAL; /* DES and AES-128 fit every digest */
  }
  if (rc == 0) {
    memset(key, 0, USNMP__USM_KEY_MAX);
    memcpy(key, buf, need);
  }
  OPENSSL_cleanse(buf, sizeof(buf));
  return rc;
}

/* ---- authentication --------------------------------------------------- */

int usnmp__usm_hmac(usnmp__crypto *c, usnmp_auth_proto auth, const uint8_t *key,
                    const void *data, size_t len,
                    uint8_t mac[USNMP__USM_MAC_MAX]) {
  uint8_t full[USNMP__USM_KEY_MAX];
  size_t out_len = 0;
  EVP_MAC_CTX *ctx;
  int rc = 0;

  if (c == NULL || key == NULL || (data == NULL && len > 0) || mac == NULL ||
      !auth_valid(auth))
    return USNMP_E_INVAL;
  if (!usnmp__crypto_has_auth(c, auth))
    return USNMP_E_UNSUPPORTED;
  ctx = c->mac_ctx[auth];
  if (!EVP_MAC_init(ctx, key, auth_key_lens[auth], NULL) ||
      !EVP_MAC_update(ctx, data, len) ||
      !EVP_MAC_final(ctx, full, &out_len, sizeof(full)) ||
      out_len < auth_mac_lens[auth])
    rc = USNMP_E_UNSUPPORTED;
  else
    memcpy(mac, full, auth_mac_lens[auth]);
  OPENSSL_cleanse(full, sizeof(full));
  return rc;
}

int usnmp__usm_hmac_msg(usnmp__crypto *c, usnmp_auth_proto auth,
                        const uint8_t *key, const uint8_t *msg, size_t len,
                        size_t hole, uint8_t mac[USNMP__USM_MAC_MAX]) {
  static const uint8_t zeros[USNMP__USM_MAC_MAX];
  uint8_t full[USNMP__USM_KEY_MAX];
  size_t out_len = 0;
  size_t mac_len;
  EVP_MAC_CTX *ctx;
  int rc = 0;

  if (c == NULL || key == NULL || msg == NULL || mac == NULL ||
      !auth_valid(auth))
    return USNMP_E_INVAL;
  mac_len = auth_mac_lens[auth];
  if (hole > len || len - hole < mac_len)
    return USNMP_E_INVAL;
  if (!usnmp__crypto_has_auth(c, auth))
    return USNMP_E_UNSUPPORTED;
  /* The MAC covers the message with its own field zeroed (RFC 3414
   * 6.3.1/7.3.1); feeding zeros in its place avoids writing to a buffer
   * the caller may want to keep as received. */
  ctx = c->mac_ctx[auth];
  if (!EVP_MAC_init(ctx, key, auth_key_lens[auth], NULL) ||
      !EVP_MAC_update(ctx, msg, hole) || !EVP_MAC_update(ctx, zeros, mac_len) ||
      !EVP_MAC_update(ctx, msg + hole + mac_len, len - hole - mac_len) ||
      !EVP_MAC_final(ctx, full, &out_len, sizeof(full)) || out_len < mac_len)
    rc = USNMP_E_UNSUPPORTED;
  else
    memcpy(mac, full, mac_len);
  OPENSSL_cleanse(full, sizeof(full));
  return rc;
}

/* ---- privacy ---------------------------------------------------------- */

static void put_be32(uint8_t *p, uint32_t v) {
  p[0] = (uint8_t)(v >> 24);
  p[1] = (uint8_t)(v >> 16);
  p[2] = (uint8_t)(v >> 8);
  p[3] = (uint8_t)v;
}

static const EVP_CIPHER *aes_cipher(const usnmp__crypto *c,
                                    usnmp_priv_proto priv) {
  switch (priv) {
  case USNMP_PRIV_AES:
    return c->aes_cfb[0];
  case USNMP_PRIV_AES192:
  case USNMP_PRIV_AES192C:
    return c->aes_cfb[1];
  case USNMP_PRIV_AES256:
  case USNMP_PRIV_AES256C:
    return c->aes_cfb[2];
  default:
    return NULL;
  }
}

/* Builds the cipher's IV from the privacy parameters: DES XORs the salt
 * into the pre-IV (RFC 3414 8.1.1.1), AES concatenates boots, time and the
 * salt (RFC 3826 3.1.2.1; the draft AES-192/256 variants do the same). */
static void make_iv(usnmp_priv_proto priv, const uint8_t *key, uint32_t boots,
                    uint32_t time, const uint8_t *priv_params, uint8_t iv[16]) {
  int i;

  if (priv == USNMP_PRIV_DES) {
    for (i = 0; i < 8; i++)
      iv[i] = (uint8_t)(key[8 + i] ^ priv_params[i]);
    memset(iv + 8, 0, 8);
  } else {
    put_be32(iv, boots);
    put_be32(iv + 4, time);
    memcpy(iv + 8, priv_params, 8);
  }
}

/* Runs the cipher over len bytes (a multiple of 8 for DES). */
static int run_cipher(usnmp__crypto *c, usnmp_priv_proto priv,
                      const uint8_t *key, const uint8_t iv[16],
                      const uint8_t *in, size_t len, uint8_t *out, int enc) {
  const EVP_CIPHER *cipher =
      priv == USNMP_PRIV_DES ? c->des_cbc : aes_cipher(c, priv);
  int n1 = 0, n2 = 0;

  if (cipher == NULL)
    return USNMP_E_UNSUPPORTED;
  if (len > (size_t)USNMP_MAX_MSG_SIZE)
    return USNMP_E_INVAL;
  if (!EVP_CipherInit_ex2(c->cipher_ctx, cipher, key, iv, enc, NULL) ||
      !EVP_CIPHER_CTX_set_padding(c->cipher_ctx, 0) ||
      !EVP_CipherUpdate(c->cipher_ctx, out, &n1, in, (int)len) ||
      !EVP_CipherFinal_ex(c->cipher_ctx, out + n1, &n2) ||
      (size_t)(n1 + n2) != len)
    return USNMP_E_UNSUPPORTED;
  return 0;
}

int usnmp__usm_encrypt(usnmp__crypto *c, usnmp_priv_proto priv,
                       const uint8_t *key, uint32_t boots, uint32_t time,
                       uint64_t salt, const uint8_t *in, size_t len,
                       uint8_t *out, size_t *out_len,
                       uint8_t priv_params[USNMP__USM_PRIV_PARAMS_LEN]) {
  uint8_t iv[16];
  size_t total = len;
  int rc;

  if (c == NULL || key == NULL || (in == NULL && len > 0) || out == NULL ||
      out_len == NULL || priv_params == NULL || !priv_valid(priv))
    return USNMP_E_INVAL;
  if (!usnmp__crypto_has_priv(c, priv))
    return USNMP_E_UNSUPPORTED;
  if (priv == USNMP_PRIV_DES) {
    put_be32(priv_params, boots);
    put_be32(priv_params + 4, (uint32_t)salt);
    /* RFC 3414 8.1.1.2: pad to whole blocks; the receiver ignores the
     * padding because the scoped PDU carries its own length.  The padding
     * octets' values are left open; like net-snmp, each holds the number
     * of padding octets, so our messages are byte for byte net-snmp's. */
    total = (len + 7) & ~(size_t)7;
    if (total == 0)
      total = 8;
    if (out != in)
      memcpy(out, in, len);
    memset(out + len, (int)(total - len), total - len);
    in = out;
  } else {
    put_be32(priv_params, (uint32_t)(salt >> 32));
    put_be32(priv_params + 4, (uint32_t)salt);
  }
  make_iv(priv, key, boots, time, priv_params, iv);
  rc = run_cipher(c, priv, key, iv, in, total, out, 1);
  OPENSSL_cleanse(iv, sizeof(iv)); /* DES: the pre-IV is key material */
  if (rc == 0)
    *out_len = total;
  return rc;
}

int usnmp__usm_decrypt(usnmp__crypto *c, usnmp_priv_proto priv,
                       const uint8_t *key, uint32_t boots, uint32_t time,
                       const uint8_t *priv_params, size_t priv_params_len,
                       const uint8_t *in, size_t len, uint8_t *out) {
  uint8_t iv[16];
  int rc;

  if (c == NULL || key == NULL || (in == NULL && len > 0) || out == NULL ||
      !priv_valid(priv))
    return USNMP_E_INVAL;
  if (!usnmp__crypto_has_priv(c, priv))
    return USNMP_E_UNSUPPORTED;
  if (priv_params == NULL || priv_params_len != USNMP__USM_PRIV_PARAMS_LEN)
    return USNMP_E_DECRYPTION_ERROR;
  if (priv == USNMP_PRIV_DES && (len == 0 || len % 8 != 0))
    return USNMP_E_DECRYPTION_ERROR;
  make_iv(priv, key, boots, time, priv_params, iv);
  rc = run_cipher(c, priv, key, iv, in, len, out, 0);
  OPENSSL_cleanse(iv, sizeof(iv));
  return rc;
}

/* ---- per-target state ------------------------------------------------- */

int usnmp__usm_target_init(usnmp__crypto *c, usnmp__usm_target *t) {
  memset(t, 0, sizeof *t);
  t->level = USNMP_SEC_NOAUTHNOPRIV;
  return usnmp__crypto_random(c, &t->salt, sizeof(t->salt));
}

void usnmp__usm_target_wipe(usnmp__usm_target *t) {
  if (t != NULL)
    OPENSSL_cleanse(t, sizeof *t);
}

/* Localises the user's keys to t's engine ID. */
static int localise_keys(usnmp__crypto *c, usnmp__usm_target *t) {
  int rc = 0;

  t->keys_ready = 0;
  if (t->engine_id_len == 0)
    return 0;
  if (t->auth != USNMP_AUTH_NONE)
    rc = usnmp__usm_localize(c, t->auth, t->auth_ku, t->engine_id,
                             t->engine_id_len, t->auth_key);
  if (rc == 0 && t->priv != USNMP_PRIV_NONE)
    rc = usnmp__usm_priv_key(c, t->auth, t->priv, t->priv_ku, t->engine_id,
                             t->engine_id_len, t->priv_key);
  if (rc == 0)
    t->keys_ready = 1;
  return rc;
}

int usnmp__usm_target_set_user(usnmp__crypto *c, usnmp__usm_target *t,
                               const char *user, usnmp_auth_proto auth,
                               const char *authpass, usnmp_priv_proto priv,
                               const char *privpass) {
  usnmp__usm_target next;
  size_t user_len;
  int rc = 0;

  if (c == NULL || t == NULL)
    return USNMP_E_INVAL;
  rc = usnmp__usm_user_check(user, auth, authpass, priv, privpass);
  if (rc < 0)
    return rc;
  user_len = strlen(user);
  if (auth != USNMP_AUTH_NONE && !usnmp__crypto_has_auth(c, auth))
    return USNMP_E_UNSUPPORTED;
  if (priv != USNMP_PRIV_NONE && !usnmp__crypto_has_priv(c, priv))
    return USNMP_E_UNSUPPORTED;

  /* Work on a copy so that a failure leaves t as it was. */
  next = *t;
  memset(next.user, 0, sizeof(next.user));
  memcpy(next.user, user, user_len);
  next.user_len = user_len;
  next.auth = auth;
  next.priv = priv;
  OPENSSL_cleanse(next.auth_ku, sizeof(next.auth_ku));
  OPENSSL_cleanse(next.priv_ku, sizeof(next.priv_ku));
  if (auth != USNMP_AUTH_NONE)
    rc = usnmp__usm_password_to_key(c, auth, authpass, strlen(authpass),
                                    next.auth_ku);
  if (rc == 0 && priv != USNMP_PRIV_NONE)
    rc = usnmp__usm_password_to_key(c, auth, privpass, strlen(privpass),
                                    next.priv_ku);
  if (rc == 0)
    rc = localise_keys(c, &next);
  if (rc == 0) {
    next.level = priv != USNMP_PRIV_NONE   ? USNMP_SEC_AUTHPRIV
                 : auth != USNMP_AUTH_NONE ? USNMP_SEC_AUTHNOPRIV
                                           : USNMP_SEC_NOAUTHNOPRIV;
    *t = next;
  }
  OPENSSL_cleanse(&next, sizeof(next));
  return rc;
}

int usnmp__usm_target_set_level(usnmp__usm_target *t, usnmp_sec_level level) {
  if (t == NULL)
    return USNMP_E_INVAL;
  switch (level) {
  case USNMP_SEC_NOAUTHNOPRIV:
    break;
  case USNMP_SEC_AUTHNOPRIV:
    if (t->auth == USNMP_AUTH_NONE)
      return USNMP_E_INVAL;
    break;
  case USNMP_SEC_AUTHPRIV:
    if (t->auth == USNMP_AUTH_NONE || t->priv == USNMP_PRIV_NONE)
      return USNMP_E_INVAL;
    break;
  default:
    return USNMP_E_INVAL;
  }
  t->level = level;
  return 0;
}

int usnmp__usm_target_set_engine(usnmp__crypto *c, usnmp__usm_target *t,
                                 const uint8_t *engine_id, size_t len,
                                 int fixed) {
  int same;
  int rc;

  if (c == NULL || t == NULL || engine_id == NULL || len == 0 ||
      len > USNMP__USM_ENGINE_ID_MAX)
    return USNMP_E_INVAL;
  same = t->engine_id_len == len && memcmp(t->engine_id, engine_id, len) == 0;
  if (same && t->keys_ready) {
    t->engine_id_fixed |= fixed;
    return 0;
  }
  memcpy(t->engine_id, engine_id, len);
  t->engine_id_len = len;
  t->engine_id_fixed = fixed;
  if (!same) {
    t->time_known = 0;
    t->time_authentic = 0;
    t->boots = 0;
    t->time = 0;
  }
  rc = localise_keys(c, t);
  if (rc != 0) {
    t->engine_id_len = 0;
    t->engine_id_fixed = 0;
  }
  return rc;
}

void usnmp__usm_target_forget_engine(usnmp__usm_target *t) {
  if (!t->engine_id_fixed) {
    t->engine_id_len = 0;
    t->keys_ready = 0;
    OPENSSL_cleanse(t->auth_key, sizeof(t->auth_key));
    OPENSSL_cleanse(t->priv_key, sizeof(t->priv_key));
  }
  t->time_known = 0;
  t->time_authentic = 0;
  t->boots = 0;
  t->time = 0;
}

int usnmp__usm_target_set_context(usnmp__usm_target *t,
                                  const uint8_t *context_engine_id, size_t len,
                                  const char *context_name) {
  size_t name_len = context_name != NULL ? strlen(context_name) : 0;

  if (t == NULL || len > USNMP__USM_ENGINE_ID_MAX ||
      (context_engine_id == NULL && len > 0) ||
      name_len > USNMP__USM_CONTEXT_NAME_MAX)
    return USNMP_E_INVAL;
  if (len > 0)
    memcpy(t->context_engine_id, context_engine_id, len);
  t->context_engine_id_len = len;
  if (name_len > 0)
    memcpy(t->context_name, context_name, name_len);
  t->context_name_len = name_len;
  return 0;
}

int usnmp__usm_target_ready(const usnmp__usm_target *t) {
  if (t->engine_id_len == 0)
    return 0;
  return t->level == USNMP_SEC_NOAUTHNOPRIV || t->keys_ready;
}

uint32_t usnmp__usm_target_time(const usnmp__usm_target *t, uint64_t now_ms) {
  uint64_t v;

  if (!t->time_known)
    return 0;
  v = t->time;
  if (now_ms > t->synced_ms)
    v += (now_ms - t->synced_ms) / 1000;
  return v > USNMP__USM_TIME_MAX ? USNMP__USM_TIME_MAX : (uint32_t)v;
}

int usnmp__usm_target_check_time(usnmp__usm_target *t, uint32_t boots,
                                 uint32_t time, uint64_t now_ms) {
  uint32_t ours;

  if (boots >= USNMP__USM_TIME_MAX || time > USNMP__USM_TIME_MAX)
    return USNMP_E_NOT_IN_TIME_WINDOW;
  if (!t->time_known || !t->time_authentic) {
    /* The first authenticated message sets our notion (RFC 3414 3.2.7 a:
     * the values from discovery were only a hint). */
    usnmp__usm_target_resync(t, boots, time, now_ms, 1);
    return 0;
  }
  ours = usnmp__usm_target_time(t, now_ms);
  if (boots < t->boots)
    return USNMP_E_NOT_IN_TIME_WINDOW;
  if (boots == t->boots && time + USNMP__USM_TIME_WINDOW < ours)
    return USNMP_E_NOT_IN_TIME_WINDOW;
  /* RFC 3414 3.2.7 b: move forward when the agent's boots is larger, or
   * equal and its time is later than the latest we received (t->time is
   * that value, taken at synced_ms). */
  if (boots > t->boots || time > t->time)
    usnmp__usm_target_resync(t, boots, time, now_ms, 1);
  return 0;
}

void usnmp__usm_target_resync(usnmp__usm_target *t, uint32_t boots,
                              uint32_t time, uint64_t now_ms, int authentic) {
  t->boots = boots;
  t->time = time;
  t->synced_ms = now_ms;
  t->time_known = 1;
  t->time_authentic = authentic;
}
