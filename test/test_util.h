/*
 * Small pieces the unit tests share: OIDs from text, hex bytes, an
 * allocator that fails the Nth allocation, a collector of one response,
 * the one-snmpd-per-group environment of the manager's snmpd tests, and
 * shell commands whose output a test compares.
 *
 * Every helper fails the running cmocka test (rather than returning an
 * error) when what it was asked to do cannot be done, so callers stay
 * short.  Link: test_util_dep (test/meson.build).
 */
#ifndef USNMP_TEST_UTIL_H
#define USNMP_TEST_UTIL_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <uv.h>

#include "snmpd_fixture.h"
#include "test_agent.h"
#include "usnmp.h"

/* A host name that never resolves and never reaches a DNS server: its
 * empty label cannot be put in a DNS query, so the resolver fails it before
 * sending anything (a plain ".invalid" name is sent to the configured
 * nameserver, which tests must not talk to). */
#define USNMP_TEST_UNRESOLVABLE "no-such-host..invalid"

/* ---- small values ------------------------------------------------------ */

/* Returns the OID that text names; fails the test when it does not parse. */
usnmp_oid usnmp_test_oid(const char *text);

/* Decodes the hex digits of hex (two per byte) into out and returns the
 * number of bytes; fails the test when they do not fit in size bytes or
 * are not hex digits. */
size_t usnmp_test_unhex(uint8_t *out, size_t size, const char *hex);

/* Sets *(int *)arg to 1: a close or done callback that only records that
 * it ran. */
void usnmp_test_set_flag(void *arg);

/* cmocka setup and teardown of the codec's SNMPv3 tests: a crypto object
 * (lib/usm.h) at *state, made with the default allocator and freed.  The
 * setup fails the test when it cannot be made. */
int usnmp_test_crypto_setup(void **state);
int usnmp_test_crypto_teardown(void **state);

/* A cmocka test entry with the two above around it. */
#define USNMP_TEST_CRYPTO_TEST(f)                                              \
  cmocka_unit_test_setup_teardown(f, usnmp_test_crypto_setup,                  \
                                  usnmp_test_crypto_teardown)

/* ---- an allocator that fails one allocation ---------------------------- */

/* The state of usnmp_test_failing_allocator().  Allocations (malloc and
 * realloc calls) are counted from 1; the one numbered fail_at returns NULL
 * (0: none does).  live counts the blocks handed out and not yet freed. */
typedef struct usnmp_test_failing {
  long fail_at;
  long count;
  long live;
  int failed; /* 1 once an allocation was failed */
} usnmp_test_failing;

/* Returns an allocator over malloc/realloc/free that fails as f says. */
usnmp_allocator usnmp_test_failing_allocator(usnmp_test_failing *f);

/* Makes the allocation n after this call (0: the next one) fail, and
 * clears failed. */
void usnmp_test_failing_arm(usnmp_test_failing *f, long n);

/* Makes no allocation fail from now on. */
void usnmp_test_failing_disarm(usnmp_test_failing *f);

/* ---- one response ------------------------------------------------------ */

#define USNMP_TEST_RESULT_KEEP 32

/* What usnmp_test_on_response() saw: how often it ran, and the last
 * response's status and varbinds (the first USNMP_TEST_RESULT_KEEP of them
 * formatted as text). */
typedef struct usnmp_test_result {
  int calls;
  int status;
  int32_t error_status;
  int32_t error_index;
  size_t n;
  char text[USNMP_TEST_RESULT_KEEP][256];
} usnmp_test_result;

/* A usnmp_response_cb storing the response in the usnmp_test_result at
 * arg. */
void usnmp_test_on_response(const usnmp_response *resp, void *arg);

/* ---- a manager beside one net-snmp snmpd per group ---------------------- */

typedef struct usnmp_test_snmpd_env {
  usnmp_test_snmpd agent;
  uv_loop_t loop;
  usnmp_manager *m;
} usnmp_test_snmpd_env;

/* cmocka group setup and teardown: start and stop the group's snmpd in a
 * usnmp_test_snmpd_env at *state.  They return 0, or -1 when the agent did
 * not start or did not stop cleanly. */
int usnmp_test_snmpd_env_group_setup(void **state);
int usnmp_test_snmpd_env_group_teardown(void **state);

/* cmocka setup and teardown of each test: a fresh loop and manager.  The
 * teardown closes what a failed test left open on the loop, so that a
 * failure is reported instead of hanging it, and fails the test when the
 * loop does not close. */
int usnmp_test_snmpd_env_setup(void **state);
int usnmp_test_snmpd_env_teardown(void **state);

/* A cmocka test entry with the two above around it. */
#define USNMP_TEST_SNMPD_ENV_TEST(f)                                           \
  cmocka_unit_test_setup_teardown(f, usnmp_test_snmpd_env_setup,               \
                                  usnmp_test_snmpd_env_teardown)

/* Runs loop until every counter of counters[0..n) is non-zero (requests
 * bound the time); fails the test when the loop fails. */
void usnmp_test_run_until_all(uv_loop_t *loop, const int *counters[], size_t n);

/* Runs loop until res got its callback. */
void usnmp_test_wait_for(uv_loop_t *loop, const usnmp_test_result *res);

/* ---- a manager beside an snmpd with a pass script and the test agent ---- */

/* The environment of the walk and table tests: one snmpd serving
 * test/walk_pass.sh under .1.3.6.1.4.1.99999 through `pass`, the scripted
 * test agent (test/test_agent.h), and a target of each version on each. */
typedef struct usnmp_test_walk_env {
  uv_loop_t loop;
  /* Waits run the loop once at a time until a flag is set.  A completion
   * from a zero timer runs before a run's poll, which could then wait for
   * I/O that never comes: this unreferenced tick bounds every poll. */
  uv_timer_t tick;
  usnmp_manager *m;
  usnmp_test_snmpd snmpd;
  int snmpd_running;
  usnmp_test_agent *agent;
  usnmp_target *t1;  /* snmpd, v1 */
  usnmp_target *t2c; /* snmpd, v2c */
  usnmp_target *ta;  /* test agent, v2c, quick to time out */
  usnmp_target *ta1; /* test agent, v1 */
} usnmp_test_walk_env;

/* cmocka group setup and teardown making and freeing a usnmp_test_walk_env
 * at *state (run from test/, where walk_pass.sh is).  Both fail the test
 * when a step fails, and return 0. */
int usnmp_test_walk_env_setup(void **state);
int usnmp_test_walk_env_teardown(void **state);

/* ---- a manager beside the scripted agent, on one loop ------------------ */

/* The environment of tests that need only the scripted agent: a fresh
 * loop and manager, an agent on 127.0.0.1 and one on ::1 on the same
 * loop, and a v2c target of the first (the manager's defaults). */
typedef struct usnmp_test_agent_env {
  uv_loop_t loop;
  usnmp_manager *m;
  usnmp_test_agent *agent;  /* 127.0.0.1 */
  usnmp_test_agent *agent6; /* ::1 */
  usnmp_target *t;          /* of agent */
} usnmp_test_agent_env;

/* cmocka setup and teardown of each test: *state gets a new
 * usnmp_test_agent_env; the teardown closes everything (what a failed
 * test left open too) and fails the test when the loop does not close. */
int usnmp_test_agent_env_setup(void **state);
int usnmp_test_agent_env_teardown(void **state);

/* A cmocka test entry with the two above around it. */
#define USNMP_TEST_AGENT_ENV_TEST(f)                                           \
  cmocka_unit_test_setup_teardown(f, usnmp_test_agent_env_setup,               \
                                  usnmp_test_agent_env_teardown)

/* Pulls the walk w (usnmp_walk_init) to its end, running loop while it
 * waits (at most 100,000 turns); returns its last usnmp_walk_next() code
 * and stores the number of varbinds it gave in *count. */
int usnmp_test_pull_walk(uv_loop_t *loop, usnmp_walk *w, size_t *count);

/* ---- shell commands ----------------------------------------------------- */

/* A growing, NUL-terminated text buffer; buf is malloc'd (free it). */
typedef struct usnmp_test_text {
  char *buf;
  size_t len, cap;
} usnmp_test_text;

/* Appends the n bytes at s to t, which stays NUL-terminated. */
void usnmp_test_text_add(usnmp_test_text *t, const char *s, size_t n);

/* Appends the string s to t. */
void usnmp_test_text_add_str(usnmp_test_text *t, const char *s);

/* Runs the shell command made from fmt and returns what it printed on
 * stdout (never a NULL buf); *status gets its exit code.  Fails the test
 * when the command cannot run or was killed, or, with status NULL, when
 * it exits with anything but 0. */
usnmp_test_text usnmp_test_run_text(int *status, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* Runs the shell command prefix + (fmt, ap) with stderr joined to stdout,
 * stores the first size - 1 bytes it printed in out (NUL-terminated) and
 * returns its exit status, or -1 when it did not exit normally. */
int usnmp_test_vrun(char *out, size_t size, const char *prefix, const char *fmt,
                    va_list ap) __attribute__((format(printf, 4, 0)));

/* ---- a manager beside the scripted test agent ---------------------------- */

/* A loop, a manager, the scripted test agent (test/test_agent.h) on that
 * loop and a target for it. */
typedef struct usnmp_test_family_env {
  uv_loop_t loop;
  usnmp_manager *m;
  usnmp_test_agent *agent;
  usnmp_target *t;
} usnmp_test_family_env;

/* Makes *e with an agent of family (AF_INET or AF_INET6); fails the test
 * when a step fails. */
void usnmp_test_family_env_init(usnmp_test_family_env *e, int family);

/* Closes the manager and the agent, runs the loop until their handles are
 * closed and closes it; fails the test when the loop does not close. */
void usnmp_test_family_env_close(usnmp_test_family_env *e);

#endif /* USNMP_TEST_UTIL_H */
