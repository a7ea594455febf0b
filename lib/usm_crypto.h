/*
 * The layout of the SNMPv3 crypto object (usnmp__crypto): OpenSSL's
 * algorithms fetched once, and the cache of master keys.  Private to
 * usm.c, and read by the test hooks (lib/test_hooks.c: the cache's
 * counters), which is why it is a header of its own.
 */
#ifndef USNMP_USM_CRYPTO_H
#define USNMP_USM_CRYPTO_H

#include <stdint.h>

#include <openssl/evp.h>
#include <openssl/provider.h>

#include "usm.h"

/* Number of usnmp_auth_proto values, NONE included. */
#define USNMP__AUTH_COUNT (USNMP_AUTH_SHA512 + 1)

/* Direct-mapped cache of master keys.  Thousands of targets usually share
 * a handful of passwords, so a small table catches them all; a collision
 * only costs a recomputation. */
#define USNMP__KEY_CACHE_SLOTS 256
#define USNMP__KEY_CACHE_WAYS 4

typedef struct usnmp__key_cache_slot {
  uint8_t fingerprint[32];
  uint8_t ku[USNMP__USM_KEY_MAX];
  uint8_t used;
} usnmp__key_cache_slot;

struct usnmp__crypto {
  usnmp_allocator alloc;
  OSSL_LIB_CTX *libctx;
  OSSL_PROVIDER *prov_default;
  OSSL_PROVIDER *prov_legacy;
  EVP_MD *md[USNMP__AUTH_COUNT];
  EVP_MD *sha256; /* cache fingerprints */
  EVP_MAC *hmac;
  EVP_MAC_CTX *mac_ctx[USNMP__AUTH_COUNT];
  EVP_MD_CTX *md_ctx;
  EVP_CIPHER *des_cbc;
  EVP_CIPHER *aes_cfb[3]; /* 128, 192, 256 */
  EVP_CIPHER_CTX *cipher_ctx;
  /* USNMP__KEY_CACHE_SLOTS entries, allocated on first use. */
  usnmp__key_cache_slot *cache;
  uint64_t cache_hits;
  uint64_t cache_misses;
};

#endif /* USNMP_USM_CRYPTO_H */
