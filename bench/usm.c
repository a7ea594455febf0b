/*
 * bench/usm: CPU cost of SNMPv3 security per message, without the network.
 *
 * For each auth/priv pair: encoding an authPriv GET of one OID (encrypt,
 * then HMAC over the message) and decoding an authPriv Response carrying a
 * 40-byte string (HMAC check, then decrypt and decode): the two halves a
 * manager pays per v3 GET.  Then the password-to-key stretch, uncached and
 * through the cache.  CPU time of this process (CLOCK_PROCESS_CPUTIME_ID),
 * each loop bounded in count.
 *
 * Usage: bench/usm [iterations]   (default 200000)
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "usm.h"

static double cpu_seconds(void) {
  struct timespec ts;
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static const uint8_t engine[] = {0x80, 0x00, 0x1f, 0x88, 0x04, 'b', 'e',
                                 'n',  'c',  'h',  '-',  'e',  'n', 'g'};
static const uint8_t oid[] = {0x2b, 6, 1, 2, 1, 1, 1, 0};

static int bench_pair(usnmp__crypto *c, usnmp_auth_proto a, usnmp_priv_proto p,
                      long iterations) {
  static uint8_t buf[1500], resp[1500], scratch[1500];
  usnmp__usm_target t, agent;
  usnmp_varbind vb, out[4];
  usnmp__msg3 m;
  usnmp_msg pdu;
  size_t n;
  int len = 0, resp_len;
  long i;
  double t0, t1, t2;

  if (usnmp__usm_target_init(c, &t) != 0 ||
      usnmp__usm_target_set_user(c, &t, "benchuser", a, "authpass123", p,
                                 "privpass123") != 0 ||
      usnmp__usm_target_set_engine(c, &t, engine, sizeof(engine), 0) != 0)
    return -1;
  usnmp__usm_target_resync(&t, 3, 100000, 0, 1);
  agent = t;

  memset(&pdu, 0, sizeof(pdu));
  pdu.type = USNMP_PDU_RESPONSE;
  pdu.request_id = 12345;
  vb.oid = oid;
  vb.oid_len = sizeof(oid);
  vb.value = usnmp_value_string("Linux bench 6.1.0 #1 SMP x86_64 GNU/Linux");
  resp_len = usnmp__msg3_encode(c, &agent, 0, 77, 65507, &pdu, &vb, 1, resp,
                                sizeof(resp));
  if (resp_len < 0)
    return resp_len;

  pdu.type = USNMP_PDU_GET;
  vb.value = usnmp_value_null();
  t0 = cpu_seconds();
  for (i = 0; i < iterations; i++) {
    len = usnmp__msg3_encode(c, &t, 1000, (int32_t)(i & 0x7fffffff), 65507,
                             &pdu, &vb, 1, buf, sizeof(buf));
    if (len < 0)
      return len;
  }
  t1 = cpu_seconds();
  for (i = 0; i < iterations; i++) {
    int rc = usnmp__msg3_decode(c, &t, resp, (size_t)resp_len, scratch,
                                sizeof(scratch), &m, out, 4, &n);
    if (rc < 0)
      return rc;
  }
  t2 = cpu_seconds();
  printf("%-8s %-10s encode GET %6.2f us   decode Response %6.2f us   "
         "total %6.2f us   (%d/%d bytes)\n",
         usnmp_auth_proto_name(a), usnmp_priv_proto_name(p),
         (t1 - t0) * 1e6 / (double)iterations,
         (t2 - t1) * 1e6 / (double)iterations,
         (t2 - t0) * 1e6 / (double)iterations, len, resp_len);
  usnmp__usm_target_wipe(&t);
  usnmp__usm_target_wipe(&agent);
  return 0;
}

int main(int argc, char **argv) {
  static const struct {
    usnmp_auth_proto a;
    usnmp_priv_proto p;
  } pairs[] = {
      {USNMP_AUTH_MD5, USNMP_PRIV_DES},
      {USNMP_AUTH_SHA, USNMP_PRIV_AES},
      {USNMP_AUTH_SHA256, USNMP_PRIV_AES},
      {USNMP_AUTH_SHA512, USNMP_PRIV_AES256},
      {USNMP_AUTH_SHA, USNMP_PRIV_AES256C},
  };
  long iterations = argc > 1 ? atol(argv[1]) : 200000;
  usnmp__crypto *c = NULL;
  uint8_t ku[USNMP__USM_KEY_MAX];
  size_t i;
  double t0, t1;
  int rc;

  if (iterations <= 0 || iterations > 10000000) {
    fprintf(stderr, "iterations: 1..10000000\n");
    return 2;
  }
  rc = usnmp__crypto_new(&c, NULL);
  if (rc != 0) {
    fprintf(stderr, "crypto: %s\n", usnmp_strerror(rc));
    return 1;
  }
  printf("authPriv, %ld iterations each, CPU time per message\n", iterations);
  for (i = 0; i < sizeof(pairs) / sizeof(pairs[0]); i++) {
    rc = bench_pair(c, pairs[i].a, pairs[i].p, iterations);
    if (rc != 0) {
      fprintf(stderr, "failed: %s\n", usnmp_strerror(rc));
      return 1;
    }
  }
  t0 = cpu_seconds();
  for (i = 0; i < 20; i++)
    usnmp__usm_password_to_key_uncached(c, USNMP_AUTH_SHA, "authpass123", 11,
                                        ku);
  t1 = cpu_seconds();
  printf("password-to-key (SHA, 1 MiB stretch): %.2f ms uncached\n",
         (t1 - t0) * 1e3 / 20);
  t0 = cpu_seconds();
  for (i = 0; i < 100000; i++)
    usnmp__usm_password_to_key(c, USNMP_AUTH_SHA, "authpass123", 11, ku);
  t1 = cpu_seconds();
  printf("password-to-key through the cache: %.2f us\n",
         (t1 - t0) * 1e6 / 100000);
  usnmp__crypto_free(c);
  return 0;
}
