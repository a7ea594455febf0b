/*
 * A scripted SNMP agent for usnmp's tests.
 *
 * The agent answers v1 and v2c requests on a free loopback UDP port from a
 * small in-memory MIB (a sorted list of OID -> value), with the semantics
 * of RFC 3416: GET (noSuchObject on v2c, noSuchName on v1), GETNEXT
 * (endOfMibView / noSuchName at the end), GETBULK (non-repeaters,
 * max-repetitions) and SET (two phases: check every varbind, then apply;
 * only with the read-write community and on writable entries).  Requests
 * with an unknown community are dropped silently, like snmpd does.
 *
 * It can also misbehave, one request at a time: a script is a FIFO of
 * actions, one taken per request received (when it is empty the default
 * action applies, USNMP_TEST_ANSWER unless changed).  A hook may rewrite
 * the reply and the action of any request, for cases a fixed action does
 * not cover (walk loops, repeated or decreasing OIDs, answers outside the
 * subtree, empty GETBULK replies, endOfMibView in the middle...).
 *
 * It runs either on the test's own loop (usnmp_test_agent_new(): same
 * thread, deterministic; close it with usnmp_test_agent_close() and run
 * the loop until its handles are closed), or on a thread of its own with
 * its own loop (usnmp_test_agent_start_thread() / _stop_thread(): for
 * callers that block their own loop, like the blocking layer).  Every
 * function below may be called from the test's thread in both modes (a
 * mutex guards the agent's state); the hook runs on the agent's loop with
 * that mutex held, so it must not call them, except the usnmp_test_reply_*
 * helpers on the exchange it was given.
 *
 * Example:
 *
 *   usnmp_test_agent *a;
 *   assert_int_equal(usnmp_test_agent_new(&a, loop, AF_INET), 0);
 *   usnmp_test_agent_push(a, (usnmp_test_action){USNMP_TEST_DROP, 0, 0});
 *   ... usnmp_target_init(m, &t, usnmp_test_agent_address(a)) ...
 *   usnmp_test_agent_close(a);
 *   uv_run(loop, UV_RUN_DEFAULT);
 */
#ifndef USNMP_TEST_AGENT_H
#define USNMP_TEST_AGENT_H

#include <stddef.h>
#include <stdint.h>

#include "usnmp.h"

typedef struct usnmp_test_agent usnmp_test_agent;

/* What the agent does with one request. */
typedef enum usnmp_test_act {
  USNMP_TEST_ANSWER = 0,      /* answer from the MIB */
  USNMP_TEST_DROP,            /* no answer */
  USNMP_TEST_DELAY,           /* answer after param ms (also "too late") */
  USNMP_TEST_DUPLICATE,       /* answer twice */
  USNMP_TEST_HOLD,            /* keep the answer; send it right after the
                                 next answer that goes out (reordering) */
  USNMP_TEST_TRUNCATE,        /* cut param bytes off the end */
  USNMP_TEST_CORRUPT,         /* flip the byte at offset param (mod len) */
  USNMP_TEST_WRONG_ID,        /* request-id + 1 */
  USNMP_TEST_OTHER_PORT,      /* answer from a second socket */
  USNMP_TEST_WRONG_COMMUNITY, /* community "wrong-community" */
  USNMP_TEST_WRONG_VERSION,   /* v1 <-> v2c */
  USNMP_TEST_WRONG_PDU,       /* a GetRequest PDU instead of a Response */
  USNMP_TEST_TOOBIG,          /* error-status tooBig, no varbinds */
  USNMP_TEST_ERROR            /* error-status param, error-index param2,
                                 the request's varbinds */
} usnmp_test_act;

typedef struct usnmp_test_action {
  usnmp_test_act act;
  uint32_t param;
  uint32_t param2;
} usnmp_test_action;

/* One request and the reply being prepared, as the hook sees it. */
typedef struct usnmp_test_exchange {
  /* The request (pointers into the datagram). */
  const usnmp_msg *request;
  const usnmp_varbind *req_vbs;
  size_t n_req_vbs;
  uint64_t seq; /* requests answered or not before this one */
  /* The reply: error fields and varbinds (at most max_vbs).  Names and
   * values may point into the request, the MIB, or storage filled by the
   * usnmp_test_reply_* helpers. */
  int32_t error_status;
  int32_t error_index;
  usnmp_varbind *vbs;
  size_t n_vbs;
  size_t max_vbs;
  /* What happens to the reply; the hook may change it. */
  usnmp_test_action action;
  /* Scratch for the helpers. */
  uint8_t *storage;
  size_t storage_size;
  size_t storage_used;
} usnmp_test_exchange;

typedef void (*usnmp_test_agent_hook)(usnmp_test_agent *a,
                                      usnmp_test_exchange *ex, void *arg);

/* Sets reply varbind i (i <= n_vbs; i == n_vbs appends) to the OID in
 * dotted text and value v (whose bytes are copied).  Returns 0, -1 when
 * there is no room, or a usnmp_oid_parse() error. */
int usnmp_test_reply_set(usnmp_test_exchange *ex, size_t i, const char *oid,
                         usnmp_value v);

/* Counters, read with usnmp_test_agent_get_stats(). */
typedef struct usnmp_test_agent_stats {
  uint64_t received;      /* datagrams */
  uint64_t malformed;     /* did not decode */
  uint64_t bad_community; /* dropped: unknown community */
  uint64_t requests;      /* decoded requests with a known community */
  uint64_t replies;       /* datagrams sent (duplicates count twice) */
  uint64_t by_type[9];    /* requests by PDU type (tag - 0xA0) */
  uint32_t max_vbs;       /* most varbinds in one request */
  uint32_t pending;       /* requests received, reply not yet sent/dropped */
  uint32_t max_pending;   /* highest value of pending */
  int32_t last_request_id;
  /* uv_now() of the loop at the first 64 datagrams received. */
  uint64_t recv_ms[64];
  size_t n_recv_ms;
} usnmp_test_agent_stats;

/* Creates an agent on loop, bound to 127.0.0.1 (family AF_INET) or ::1
 * (AF_INET6) on a free port, with the default MIB (see test_agent.c),
 * communities "public" (read) and "private" (read-write).  Returns 0 or a
 * negative libuv code. */
int usnmp_test_agent_new(usnmp_test_agent **out, uv_loop_t *loop, int family);

/* Closes the agent's handles; its memory goes in the last close callback,
 * so run the loop afterwards. */
void usnmp_test_agent_close(usnmp_test_agent *a);

/* Starts an agent on a new thread with its own loop and returns once it
 * listens.  Returns 0 or a negative libuv code. */
int usnmp_test_agent_start_thread(usnmp_test_agent **out, int family);

/* Stops a threaded agent, joins its thread and frees everything. */
void usnmp_test_agent_stop_thread(usnmp_test_agent *a);

/* Returns "127.0.0.1:PORT" or "udp6:[::1]:PORT", a target string. */
const char *usnmp_test_agent_address(const usnmp_test_agent *a);
/* Returns the UDP port the agent listens on. */
uint16_t usnmp_test_agent_port(const usnmp_test_agent *a);

/* Sets the read and read-write communities (copied, up to 63 bytes). */
void usnmp_test_agent_set_communities(usnmp_test_agent *a, const char *ro,
                                      const char *rw);

/* Adds or replaces the MIB entry oid (dotted text) with value v (bytes
 * copied).  Returns 0, -1 when the MIB is full (1024 entries) or a
 * usnmp_oid_parse() error. */
int usnmp_test_agent_mib_set(usnmp_test_agent *a, const char *oid,
                             usnmp_value v, int writable);
/* Adds count INTEGER entries prefix.1 .. prefix.count with values 1..count.
 * Returns 0 or the first error of usnmp_test_agent_mib_set(). */
int usnmp_test_agent_mib_fill(usnmp_test_agent *a, const char *prefix,
                              uint32_t count);
/* Copies the value of oid as text (usnmp_value_format()) into buf.
 * Returns 0, or -1 when there is no such entry. */
int usnmp_test_agent_mib_format(usnmp_test_agent *a, const char *oid, char *buf,
                                size_t size);
/* Empties the MIB. */
void usnmp_test_agent_mib_clear(usnmp_test_agent *a);

/* Appends an action to the script. */
void usnmp_test_agent_push(usnmp_test_agent *a, usnmp_test_action action);
/* Sets the action used when the script is empty. */
void usnmp_test_agent_set_default(usnmp_test_agent *a,
                                  usnmp_test_action action);
/* Answers tooBig to every request with more than k varbinds (0: never),
 * whatever the script says. */
void usnmp_test_agent_set_toobig_over(usnmp_test_agent *a, uint32_t k);
/* Sets the hook (NULL: none). */
void usnmp_test_agent_set_hook(usnmp_test_agent *a, usnmp_test_agent_hook hook,
                               void *arg);
/* Copies the counters. */
void usnmp_test_agent_get_stats(usnmp_test_agent *a,
                                usnmp_test_agent_stats *out);

#endif /* USNMP_TEST_AGENT_H */
