/*
 * A scripted SNMPv3 agent for the manager's tests, on the test's own loop.
 *
 * It speaks USM with one user (V3R_USER, SHA and AES, V3R_AUTH_PASS and
 * V3R_PRIV_PASS) as one engine (its engine ID, boots and time are fixed
 * unless the test changes them): it answers the discovery probe with an
 * unknownEngineID report, and authenticated requests with a Response.  It
 * can also play dead, answer the probe with another report, or forge an
 * unauthenticated unknownEngineID report naming another engine, the way an
 * on-path attacker would.  Whatever arrives is checked against the keys of
 * both engines, so a test can tell what reached which engine
 * authenticated.
 *
 * Built from the library's own codec (lib/usm.h), whose correctness
 * against net-snmp's snmpd is tested elsewhere (test_usm_netsnmp.c,
 * test_manager_v3.c).
 */
#ifndef USNMP_TEST_V3_RESPONDER_H
#define USNMP_TEST_V3_RESPONDER_H

#include <stddef.h>
#include <stdint.h>

#include <uv.h>

#include "usm.h"

#define V3R_USER "v3user"
#define V3R_AUTH_PASS "authpass123"
#define V3R_PRIV_PASS "privpass123"

typedef enum v3r_mode {
  V3R_ANSWER = 0,   /* probe: unknownEngineID report; request: Response */
  V3R_SILENT,       /* a dead agent: counts, never answers */
  V3R_PROBE_REPORT, /* probe: the usmStats report probe_report (1..6) */
  V3R_FORGE_ENGINE  /* request: an unauthenticated unknownEngineID report
                       naming the other engine, with forged boots, time
                       and msgMaxSize */
} v3r_mode;

typedef struct v3_responder {
  uv_udp_t udp;
  char address[64]; /* "127.0.0.1:PORT" */
  usnmp__crypto *crypto;
  usnmp__usm_target agent; /* the real engine's side */
  usnmp__usm_target other; /* the same user at the other engine */
  v3r_mode mode;
  /* V3R_ANSWER: the value of every varbind of a GET's response (a SET's
   * response echoes the request's values). */
  const char *value;
  uint8_t probe_report;
  uint32_t forge_boots, forge_time;
  int32_t forge_max_size;
  /* Counters. */
  int probes;    /* discovery probes received */
  int requests;  /* other datagrams received */
  int for_agent; /* requests that authenticate for the real engine */
  int for_other; /* requests that authenticate for the other engine */
  int answered;  /* Responses sent */
  int forged;    /* forged reports sent */
  uint8_t scratch[65536];
  uint8_t out[65536];
} v3_responder;

/* Creates a responder (calloc) bound to 127.0.0.1 on a free port, as
 * engine (len bytes) with boots and time; other_engine is the engine a
 * forged report names.  Fails the running test on error. */
v3_responder *v3_responder_new(uv_loop_t *loop, const uint8_t *engine,
                               size_t len, const uint8_t *other_engine,
                               size_t other_len, uint32_t boots, uint32_t time);

/* Makes the responder another engine (a replaced agent). */
void v3_responder_set_engine(v3_responder *r, const uint8_t *engine,
                             size_t len);

/* Closes the socket; the memory goes once the loop ran the close
 * callback (run it with UV_RUN_DEFAULT or until the loop closes). */
void v3_responder_close(v3_responder *r);

/* Returns a new target of m for r, with r's user (authPriv).  Fails the
 * running test on error. */
usnmp_target *v3_responder_target(const v3_responder *r, usnmp_manager *m);

/* The end of a test: closes m and r, runs loop until nothing is left and
 * fails the test unless the loop then closes. */
void v3_responder_finish(uv_loop_t *loop, usnmp_manager *m, v3_responder *r);

#endif /* USNMP_TEST_V3_RESPONDER_H */
