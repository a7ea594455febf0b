/*
 * SNMPv3 user-based security (RFC 3414, RFC 3826, RFC 7860) and v3 message
 * processing (RFC 3412): internal API.
 *
 * Two halves:
 *
 *   - usm.c, the cryptography: password-to-key and key localisation, the
 *     AES key extensions, HMAC authentication and DES/AES privacy.  All of
 *     it runs on a usnmp__crypto, an opaque object that owns a private
 *     OpenSSL library context (the application's global OpenSSL setup is
 *     never touched), the algorithms fetched from it once, scratch
 *     contexts, and a cache of password-derived keys.  One owner (a
 *     manager) creates it and uses it from one thread.
 *
 *   - msg3.c, the messages: encoding a v3 request (authenticated and
 *     encrypted as the target's level asks), decoding a reply (its HMAC is
 *     checked in constant time before anything else in it is trusted, then
 *     it is decrypted in place), engine discovery and Report mapping.
 *
 * The per-target state (usnmp__usm_target) is a plain struct the manager
 * embeds in its target (or allocates for v3 targets only: it holds keys,
 * so wipe it with usnmp__usm_target_wipe before freeing).
 *
 * How a manager drives it (the v3 message processing model):
 *
 *   manager    one usnmp__crypto, created on the first v3 user with the
 *              manager's allocator, freed at close;
 *   setters    usnmp__usm_target_init, then usnmp__usm_target_set_user /
 *              _set_level / _set_engine(..., fixed = 1) / _set_context;
 *   send       while !usnmp__usm_target_ready(t), send
 *              usnmp__msg3_encode_discovery (one per target; other
 *              requests wait), else usnmp__msg3_encode (or _encode_ctx
 *              for a per-request context), msgID as the request's key;
 *   receive    usnmp__msg3_peek_msg_id finds the request; then
 *              usnmp__msg3_decode (a failure is a drop; remember
 *              USNMP_E_AUTH_FAILURE so a timeout can report it) and
 *              usnmp__msg3_reply_action, which says DELIVER, DROP, RETRY
 *              (encode again with a new msgID and send: after discovery,
 *              or once after an authenticated notInTimeWindow report) or
 *              FAIL with a status.
 */
#ifndef USNMP_USM_H
#define USNMP_USM_H

#include <stddef.h>
#include <stdint.h>

#include "usnmp.h"

#define USNMP__USM_ENGINE_ID_MAX 32 /* SnmpEngineID, RFC 3411 */
#define USNMP__USM_ENGINE_ID_MIN 5
#define USNMP__USM_USER_MAX 32 /* SnmpAdminString for usmUserName */
#define USNMP__USM_CONTEXT_NAME_MAX 255
#define USNMP__USM_KEY_MAX 64 /* SHA-512's output, the largest key */
#define USNMP__USM_MAC_MAX 48 /* HMAC-SHA-512's truncated MAC */
#define USNMP__USM_PRIV_PARAMS_LEN 8
#define USNMP__USM_PASSWORD_MAX 1024
#define USNMP__USM_PASSWORD_MIN 8
/* The largest engine time (and boots) USM accepts: 2^31 - 1. */
#define USNMP__USM_TIME_MAX 2147483647u
/* RFC 3414 3.2.7: a message more than 150 s from our notion of the
 * authoritative engine's time is outside the time window. */
#define USNMP__USM_TIME_WINDOW 150u

/* msgFlags bits, RFC 3412 6.4. */
#define USNMP__MSG3_FLAG_AUTH 0x01u
#define USNMP__MSG3_FLAG_PRIV 0x02u
#define USNMP__MSG3_FLAG_REPORTABLE 0x04u

/* The smallest msgMaxSize RFC 3412 allows, and what we announce. */
#define USNMP__MSG3_MAX_SIZE_MIN 484
#define USNMP__MSG3_MAX_SIZE_DEFAULT 65507

typedef struct usnmp__crypto usnmp__crypto;

/* ---- the crypto object ------------------------------------------------ */

/* Creates a crypto object: a private OSSL_LIB_CTX with the "default"
 * provider and, when it can be loaded, the "legacy" one (for DES), and the
 * digests, HMAC and ciphers fetched from it.  alloc may be NULL (malloc and
 * free).  Returns 0 and stores the object in *out, USNMP_E_NOMEM, or
 * USNMP_E_UNSUPPORTED when OpenSSL cannot provide SHA-1/SHA-2, HMAC or
 * AES. */
int usnmp__crypto_new(usnmp__crypto **out, const usnmp_allocator *alloc);

/* Frees c and everything it owns, wiping cached keys.  NULL is fine. */
void usnmp__crypto_free(usnmp__crypto *c);

/* Returns 1 when DES is available (the legacy provider loaded), else 0. */
int usnmp__crypto_has_des(const usnmp__crypto *c);

/* Returns 1 when the protocol can run on c (MD5 and DES may be missing
 * from a FIPS-restricted OpenSSL), else 0. */
int usnmp__crypto_has_auth(const usnmp__crypto *c, usnmp_auth_proto auth);
int usnmp__crypto_has_priv(const usnmp__crypto *c, usnmp_priv_proto priv);

/* Test hook (lib/test_hooks.c, linked into the tests only): stores how
 * many password-to-key computations the cache answered (hits) and how
 * many it had to run (misses). */
void usnmp__crypto_cache_stats(const usnmp__crypto *c, uint64_t *hits,
                               uint64_t *misses);

/* Fills buf with len bytes from OpenSSL's CSPRNG (in c's library
 * context).  Returns 0 or USNMP_E_UNSUPPORTED when it fails. */
int usnmp__crypto_random(usnmp__crypto *c, void *buf, size_t len);

/* ---- protocol facts --------------------------------------------------- */

/* Key length of an authentication protocol: the digest length (16 for MD5,
 * 20 for SHA-1, 28/32/48/64 for SHA-224..512), 0 for NONE or out of
 * range. */
size_t usnmp__usm_auth_key_len(usnmp_auth_proto auth);
/* Length of msgAuthenticationParameters: 12 for HMAC-MD5-96 and
 * HMAC-SHA-96, 16/24/32/48 for RFC 7860; 0 for NONE or out of range. */
size_t usnmp__usm_auth_mac_len(usnmp_auth_proto auth);
/* Length of localised privacy key material a protocol uses: 16 for DES
 * (8 key bytes and the 8-byte pre-IV), 16/24/32 for AES-128/192/256;
 * 0 for NONE or out of range. */
size_t usnmp__usm_priv_key_len(usnmp_priv_proto priv);

/* ---- keys ------------------------------------------------------------- */

/* RFC 3414 A.2.1/A.2.2 password-to-key: hashes 1 MiB of the repeated
 * password with the protocol's digest into ku (usnmp__usm_auth_key_len
 * bytes).  Results are cached in c, keyed by a SHA-256 fingerprint of the
 * protocol and password (the password itself is not kept), so many
 * targets with one password pay for the hash once.  Returns 0,
 * USNMP_E_INVAL (NONE, empty or over USNMP__USM_PASSWORD_MAX password:
 * the 8-character minimum is the caller's policy), USNMP_E_UNSUPPORTED or
 * USNMP_E_NOMEM. */
int usnmp__usm_password_to_key(usnmp__crypto *c, usnmp_auth_proto auth,
                               const void *password, size_t len,
                               uint8_t ku[USNMP__USM_KEY_MAX]);

/* The same without the cache (for tests and for the cache itself). */
int usnmp__usm_password_to_key_uncached(usnmp__crypto *c, usnmp_auth_proto auth,
                                        const void *password, size_t len,
                                        uint8_t ku[USNMP__USM_KEY_MAX]);

/* RFC 3414 A.2 key localisation: kul = H(ku || engine_id || ku).  Returns
 * 0, USNMP_E_INVAL (NONE, engine ID empty or over 32 bytes) or
 * USNMP_E_UNSUPPORTED. */
int usnmp__usm_localize(usnmp__crypto *c, usnmp_auth_proto auth,
                        const uint8_t *ku, const uint8_t *engine_id,
                        size_t engine_id_len, uint8_t kul[USNMP__USM_KEY_MAX]);

/* Derives the privacy key material for priv from the user's privacy master
 * key ku (made with the auth protocol's digest) at engine_id: localises it
 * and, when the localised key is shorter than the cipher needs, extends
 * it the way the protocol says (Blumenthal: kul || H(kul) ...; Reeder:
 * kul || localise(password_to_key(kul)) ...).  Writes
 * usnmp__usm_priv_key_len(priv) bytes into key.  Returns 0, USNMP_E_INVAL,
 * USNMP_E_UNSUPPORTED or USNMP_E_NOMEM. */
int usnmp__usm_priv_key(usnmp__crypto *c, usnmp_auth_proto auth,
                        usnmp_priv_proto priv, const uint8_t *ku,
                        const uint8_t *engine_id, size_t engine_id_len,
                        uint8_t key[USNMP__USM_KEY_MAX]);

/* ---- authentication --------------------------------------------------- */

/* Computes the protocol's HMAC of data with the localised key and writes
 * the truncated MAC (usnmp__usm_auth_mac_len bytes) into mac.  Returns 0,
 * USNMP_E_INVAL or USNMP_E_UNSUPPORTED. */
int usnmp__usm_hmac(usnmp__crypto *c, usnmp_auth_proto auth, const uint8_t *key,
                    const void *data, size_t len,
                    uint8_t mac[USNMP__USM_MAC_MAX]);

/* The HMAC of a whole message whose msgAuthenticationParameters content
 * (usnmp__usm_auth_mac_len bytes) starts at offset hole: those bytes are
 * taken as zeros, whatever they hold, and msg is not written.  Returns 0,
 * USNMP_E_INVAL (the hole does not fit in msg) or USNMP_E_UNSUPPORTED. */
int usnmp__usm_hmac_msg(usnmp__crypto *c, usnmp_auth_proto auth,
                        const uint8_t *key, const uint8_t *msg, size_t len,
                        size_t hole, uint8_t mac[USNMP__USM_MAC_MAX]);

/* ---- privacy ---------------------------------------------------------- */

/* Encrypts len bytes of in into out (which may equal in) with the
 * localised privacy key.  salt is the sender's counter: DES uses
 * boots || low 32 bits of it (RFC 3414 8.1.1.1), AES uses all 64 bits
 * (RFC 3826 3.1.2.1).  The 8-byte msgPrivacyParameters go into
 * priv_params.  DES pads to a multiple of 8 (as net-snmp does: n octets of
 * value n; 8 when len is 0): out needs room for len rounded up to 8
 * bytes, and for 8 bytes when len is 0.  Stores the ciphertext length in
 * *out_len.
 * Returns 0, USNMP_E_INVAL or USNMP_E_UNSUPPORTED. */
int usnmp__usm_encrypt(usnmp__crypto *c, usnmp_priv_proto priv,
                       const uint8_t *key, uint32_t boots, uint32_t time,
                       uint64_t salt, const uint8_t *in, size_t len,
                       uint8_t *out, size_t *out_len,
                       uint8_t priv_params[USNMP__USM_PRIV_PARAMS_LEN]);

/* Decrypts len bytes of in into out (which may equal in).  boots and time
 * are the message's msgAuthoritativeEngineBoots/Time (AES builds its IV
 * from them).  Returns 0, USNMP_E_DECRYPTION_ERROR (privacy parameters not
 * 8 bytes, DES ciphertext not a non-empty multiple of 8),
 * USNMP_E_INVAL or USNMP_E_UNSUPPORTED. */
int usnmp__usm_decrypt(usnmp__crypto *c, usnmp_priv_proto priv,
                       const uint8_t *key, uint32_t boots, uint32_t time,
                       const uint8_t *priv_params, size_t priv_params_len,
                       const uint8_t *in, size_t len, uint8_t *out);

/* ---- per-target state ------------------------------------------------- */

/* A v3 target's security state: the user, its master keys and the keys
 * localised to the agent's engine, what we know of the agent's engine
 * (ID, boots, time), the context and the privacy salt counter.  Embed it
 * in the target; zero it (or call usnmp__usm_target_init) to start. */
typedef struct usnmp__usm_target {
  usnmp_sec_level level;
  usnmp_auth_proto auth;
  usnmp_priv_proto priv;
  uint8_t user[USNMP__USM_USER_MAX];
  size_t user_len;
  /* Master keys (Ku) made from the passwords: password-equivalent, never
   * logged, wiped by usnmp__usm_target_wipe. */
  uint8_t auth_ku[USNMP__USM_KEY_MAX];
  uint8_t priv_ku[USNMP__USM_KEY_MAX];
  /* Keys localised to engine_id, valid when keys_ready. */
  uint8_t auth_key[USNMP__USM_KEY_MAX];
  uint8_t priv_key[USNMP__USM_KEY_MAX];
  int keys_ready;

  /* The agent's snmpEngineID; engine_id_len == 0 means not yet known
   * (discovery needed).  engine_id_fixed: given by the caller, never
   * replaced by discovery. */
  uint8_t engine_id[USNMP__USM_ENGINE_ID_MAX];
  size_t engine_id_len;
  int engine_id_fixed;
  /* snmpEngineBoots and snmpEngineTime as last learnt, and when (our
   * monotonic clock, ms).  time_authentic: they came from an
   * authenticated message, not only from the discovery report. */
  uint32_t boots;
  uint32_t time;
  uint64_t synced_ms;
  int time_known;
  int time_authentic;
  /* The agent's msgMaxSize as last announced (0: not known yet).  RFC
   * 3412: our messages to it, and the responses we invite, must fit. */
  int32_t agent_max_size;

  /* Context of the requests: contextEngineID (empty: use engine_id) and
   * contextName. */
  uint8_t context_engine_id[USNMP__USM_ENGINE_ID_MAX];
  size_t context_engine_id_len;
  uint8_t context_name[USNMP__USM_CONTEXT_NAME_MAX];
  size_t context_name_len;

  /* Privacy salt counter, started at a random value, advanced per
   * encrypted message so no IV repeats under one key. */
  uint64_t salt;
} usnmp__usm_target;

/* Zeroes t and draws a random salt start.  Returns 0 or
 * USNMP_E_UNSUPPORTED (no randomness). */
int usnmp__usm_target_init(usnmp__crypto *c, usnmp__usm_target *t);

/* Wipes t's keys (call before freeing the memory that holds it). */
void usnmp__usm_target_wipe(usnmp__usm_target *t);

/* Checks a v3 user's settings before anything is derived from them, for
 * every entry point (targets, the blocking layer); usm_names.c, in every
 * build.  Returns 0,
 * USNMP_E_V3_USER_NAME (NULL, empty or over 32 bytes),
 * USNMP_E_V3_UNKNOWN_PROTOCOL (outside the enums),
 * USNMP_E_V3_PRIV_WITHOUT_AUTH, or USNMP_E_V3_PASSPHRASE (missing, under
 * USNMP__USM_PASSWORD_MIN or over USNMP__USM_PASSWORD_MAX bytes). */
int usnmp__usm_user_check(const char *user, usnmp_auth_proto auth,
                          const char *authpass, usnmp_priv_proto priv,
                          const char *privpass);

/* Sets the user: name, protocols and passwords (NULL for NONE; at least
 * USNMP__USM_PASSWORD_MIN bytes otherwise).  Master keys are derived now
 * (through c's cache) and, if the engine ID is known, localised.  The
 * level becomes the highest the protocols allow.  On error t is
 * unchanged.  Returns 0, USNMP_E_INVAL (c or t NULL), the codes of
 * usnmp__usm_user_check(), USNMP_E_UNSUPPORTED (the protocol is not available
 * in c) or USNMP_E_NOMEM. */
int usnmp__usm_target_set_user(usnmp__crypto *c, usnmp__usm_target *t,
                               const char *user, usnmp_auth_proto auth,
                               const char *authpass, usnmp_priv_proto priv,
                               const char *privpass);

/* Sets the level.  Returns 0, or USNMP_E_INVAL when the level is out of
 * range or needs a protocol the user lacks. */
int usnmp__usm_target_set_level(usnmp__usm_target *t, usnmp_sec_level level);

/* Sets the agent's engine ID (discovered, or given by the caller with
 * fixed = 1) and localises the user's keys to it.  A new engine ID
 * forgets boots and time.  Returns 0, USNMP_E_INVAL (length outside
 * 1..32; the caller's -e is held to 5..32 by the public setter),
 * USNMP_E_UNSUPPORTED or USNMP_E_NOMEM. */
int usnmp__usm_target_set_engine(usnmp__crypto *c, usnmp__usm_target *t,
                                 const uint8_t *engine_id, size_t len,
                                 int fixed);

/* Forgets a discovered engine ID, its localised keys, boots and time, so
 * the next request discovers again (usnmp_target_v3_rediscover, which
 * clears engine_id_fixed first to forget a given one too).  A fixed
 * engine ID is kept; its boots and time are forgotten. */
void usnmp__usm_target_forget_engine(usnmp__usm_target *t);

/* Sets the context.  Returns 0 or USNMP_E_INVAL (engine ID over 32 bytes,
 * name over 255). */
int usnmp__usm_target_set_context(usnmp__usm_target *t,
                                  const uint8_t *context_engine_id, size_t len,
                                  const char *context_name);

/* Returns 1 when a request at t's level can be encoded now: the engine ID
 * is known (and, above noAuthNoPriv, the keys are localised to it).  0
 * means: discover first (usnmp__msg3_encode_discovery). */
int usnmp__usm_target_ready(const usnmp__usm_target *t);

/* Our estimate of the agent's snmpEngineTime at now_ms (monotonic ms):
 * the time last learnt plus the seconds elapsed since, capped at 2^31-1. */
uint32_t usnmp__usm_target_time(const usnmp__usm_target *t, uint64_t now_ms);

/* RFC 3414 3.2.7 b, for an authenticated message from the agent (a
 * Response, or a Report other than notInTimeWindow): accepts boots/time
 * and moves our notion forward when they are newer.  Returns 0, or
 * USNMP_E_NOT_IN_TIME_WINDOW when the message is stale (boots smaller
 * than known, or equal with time more than 150 s behind, or boots at its
 * 2^31-1 limit): the caller drops it. */
int usnmp__usm_target_check_time(usnmp__usm_target *t, uint32_t boots,
                                 uint32_t time, uint64_t now_ms);

/* Takes the agent's boots and time as they are (authentic = 1 after an
 * authenticated notInTimeWindow report, 0 from a discovery report), as
 * RFC 3414 4 prescribes for re-synchronisation: the agent may have been
 * reset or its clock jumped.  The caller then resends once. */
void usnmp__usm_target_resync(usnmp__usm_target *t, uint32_t boots,
                              uint32_t time, uint64_t now_ms, int authentic);

/* ---- v3 messages (msg3.c) --------------------------------------------- */

/* A decoded v3 message.  Pointers point into the datagram (which the
 * decoder may have decrypted in place). */
typedef struct usnmp__msg3 {
  int32_t msg_id;
  int32_t max_size;
  uint8_t flags;
  /* USM security parameters. */
  const uint8_t *engine_id;
  size_t engine_id_len;
  uint32_t boots;
  uint32_t time;
  const uint8_t *user;
  size_t user_len;
  const uint8_t *auth_params;
  size_t auth_params_len;
  const uint8_t *priv_params;
  size_t priv_params_len;
  /* Scoped PDU. */
  const uint8_t *context_engine_id;
  size_t context_engine_id_len;
  const uint8_t *context_name;
  size_t context_name_len;
  /* The PDU header: type, request-id, error-status, error-index (version
   * is USNMP_VERSION_3, community unused). */
  usnmp_msg pdu;
  /* 1 when the message carried a MAC and it checked out against the
   * target's key. */
  int authenticated;
  /* For a Report: the error its first varbind names (USNMP_E_UNKNOWN_USER,
   * ..., USNMP_E_UNKNOWN_REPORT); 0 otherwise. */
  int report;
  /* The USNMP__Q_* bits of what decoding tolerated (lib/ber.h). */
  unsigned tolerated;
} usnmp__msg3;

/* Encodes a request (GET, GETNEXT, GETBULK, SET, or a Response/Report)
 * from t to its agent at t's level, reportable for confirmed classes:
 * header fields from pdu (type, request_id, error_status/index), varbinds
 * vbs.  now_ms dates the engine time estimate.  The message is written at
 * buf[0].  Advances t's salt when encrypting.  Returns the message length,
 * USNMP_E_NOBUFS, USNMP_E_MSG_TOO_BIG, USNMP_E_INVAL (msg_id negative,
 * t not ready), USNMP_E_BAD_VALUE / USNMP_E_BAD_OID from the varbinds, or
 * USNMP_E_UNSUPPORTED. */
int usnmp__msg3_encode(usnmp__crypto *c, usnmp__usm_target *t, uint64_t now_ms,
                       int32_t msg_id, int32_t max_size, const usnmp_msg *pdu,
                       const usnmp_varbind *vbs, size_t n_vbs, uint8_t *buf,
                       size_t size);

/* A per-request context, overriding the target's.  engine_id_len 0: the
 * target's contextEngineID (or the agent's engine ID); name NULL: the
 * target's contextName (a non-NULL name of length 0 is the default
 * context ""). */
typedef struct usnmp__msg3_context {
  const uint8_t *engine_id;
  size_t engine_id_len;
  const uint8_t *name;
  size_t name_len;
} usnmp__msg3_context;

/* usnmp__msg3_encode with a per-request context (NULL: the target's).
 * Also returns USNMP_E_INVAL for a context engine ID over 32 bytes or a
 * name over 255. */
int usnmp__msg3_encode_ctx(usnmp__crypto *c, usnmp__usm_target *t,
                           uint64_t now_ms, int32_t msg_id, int32_t max_size,
                           const usnmp__msg3_context *context,
                           const usnmp_msg *pdu, const usnmp_varbind *vbs,
                           size_t n_vbs, uint8_t *buf, size_t size);

/* Encodes the engine-discovery probe of RFC 3414 4: a reportable
 * noAuthNoPriv GET with an empty user name, empty engine ID and no
 * varbinds, to which the agent answers with an unknownEngineID (usmStats
 * 1.3.6.1.6.3.15.1.1.4) report carrying its engine ID, boots and time.
 * Returns the length (message at buf[0]) or USNMP_E_NOBUFS /
 * USNMP_E_INVAL. */
int usnmp__msg3_encode_discovery(uint8_t *buf, size_t size, int32_t msg_id,
                                 int32_t request_id, int32_t max_size);

/* Reads only as far as msgID (to find the pending request a reply
 * belongs to), trusting nothing.  Returns 0, USNMP_E_BAD_VERSION (not v3)
 * or a BER error. */
int usnmp__msg3_peek_msg_id(const uint8_t *buf, size_t len, int32_t *msg_id);

/* Decodes a v3 message received for target t (t may be NULL to read an
 * unauthenticated message, such as the discovery report).  In order:
 * the BER of the header and security parameters (read as lib/ber.h
 * reads, what it tolerated in m->tolerated); then, when msgFlags
 * asks for authentication, the digest is checked in constant time
 * against t's key (computed with the digest field taken as zeros; buf is
 * never written) before anything else is trusted; then an encrypted
 * scoped PDU is decrypted into scratch (at least as large as the
 * encrypted part; the whole datagram's length is always enough) and the
 * scoped PDU decoded, varbinds into vbs (at most max_vbs); whatever
 * follows the scoped PDU in the plaintext is padding and ignored
 * (USNMP__Q_PRIV_PAD when beyond the cipher's need).  Varbinds and
 * the context point into buf, or into scratch when the message was
 * encrypted.  Messages below t's level are accepted only when they are
 * Reports (m->authenticated tells).  Returns 0 and fills *m (m->report
 * names a Report's error), or: a BER error for malformed input,
 * USNMP_E_BAD_VALUE (header field out of range), USNMP_E_BAD_VERSION (not
 * v3 or not USM), USNMP_E_AUTH_FAILURE (digest wrong, or missing where
 * t's level requires it; the engine or user not t's; an authenticated
 * message and no key), USNMP_E_DECRYPTION_ERROR (bad privacy parameters,
 * ciphertext length, or plaintext that does not frame a scoped PDU),
 * USNMP_E_UNSUPPORTED_SEC_LEVEL (privacy without authentication),
 * USNMP_E_NOBUFS (scratch too small), USNMP_E_UNSUPPORTED. */
int usnmp__msg3_decode(usnmp__crypto *c, const usnmp__usm_target *t,
                       const uint8_t *buf, size_t len, uint8_t *scratch,
                       size_t scratch_size, usnmp__msg3 *m, usnmp_varbind *vbs,
                       size_t max_vbs, size_t *n_vbs);

/* What to do with a reply that usnmp__msg3_decode accepted for a pending
 * request (or discovery probe) to t. */
enum {
  /* Complete the request with the decoded PDU. */
  USNMP__V3_DELIVER = 0,
  /* Ignore the datagram (an authenticated response outside the time
   * window: a replay); keep waiting. */
  USNMP__V3_DROP,
  /* t learnt something (the engine ID after discovery, or boots and time
   * after notInTimeWindow): encode the request again with a new msgID
   * and send it; mark it retried. */
  USNMP__V3_RETRY,
  /* Complete the request with *status. */
  USNMP__V3_FAIL
};

/* Flags of usnmp__msg3_reply_action. */
#define USNMP__V3_RETRIED 0x01 /* resent once already after such a report */
#define USNMP__V3_PROBE 0x02   /* the reply answers the discovery probe */

/* Applies RFC 3414's rules to a decoded reply: for a Response, the time
 * window check (which also moves t's clock forward); for an authenticated
 * notInTimeWindow report, re-synchronising boots and time.  An
 * unknownEngineID report is discovery's answer only while t has no engine
 * ID: its engine ID is learnt, with its boots/time as a first hint and its
 * msgMaxSize.  Once t has an engine ID (discovered, or given by the
 * caller), such a report can only be a forgery or a replaced agent, and
 * changes nothing: it fails the request (USNMP_E_UNKNOWN_ENGINE_ID for a
 * given engine ID, USNMP_E_ENGINE_MISMATCH for a discovered one), except
 * that a probe answered with the engine ID t already has is sent again.
 * So once an engine is known no report changes t's engine ID, boots, time
 * or msgMaxSize, unless it is an authenticated notInTimeWindow (boots and
 * time).  Responses also record the
 * agent's msgMaxSize in t->agent_max_size.  flags: USNMP__V3_RETRIED
 * says the request was already resent once after such a report (a second
 * one fails, so a confused agent cannot make us loop), USNMP__V3_PROBE
 * that the request was the discovery probe.  Returns a USNMP__V3_*
 * action; for USNMP__V3_FAIL, *status is the error (USNMP_E_UNKNOWN_USER,
 * USNMP_E_WRONG_DIGEST, ... from the report). */
int usnmp__msg3_reply_action(usnmp__crypto *c, usnmp__usm_target *t,
                             const usnmp__msg3 *m, uint64_t now_ms, int flags,
                             int *status);

/* Maps a Report's first varbind name (BER content octets) to an error:
 * usmStatsUnsupportedSecLevels .1, NotInTimeWindows .2, UnknownUserNames
 * .3, UnknownEngineIDs .4, WrongDigests .5, DecryptionErrors .6 under
 * 1.3.6.1.6.3.15.1.1, each with its ".0"; anything else
 * USNMP_E_UNKNOWN_REPORT. */
int usnmp__msg3_report_error(const uint8_t *oid, size_t oid_len);

#endif /* USNMP_USM_H */
