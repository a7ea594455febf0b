/*
 * A real net-snmp snmpd for usnmp's tests.
 *
 * usnmp_test_snmpd_start() runs /usr/sbin/snmpd in the foreground as a
 * child process, on a free loopback UDP port (the same port on 127.0.0.1
 * and ::1), with test/snmpd.conf (plus optional extra lines) and its own
 * temporary directory for the configuration, the pid file, the log and
 * net-snmp's persistent state.  It returns once the agent answers a v2c GET,
 * so a test can send requests straight away.  Several fixtures may run at
 * once, in one process or in many.
 *
 * The fixture uses nothing but libc: it builds its readiness probe by hand,
 * so it keeps working whatever state the codec under test is in.
 *
 * A missing snmpd is a failure, not a reason to skip: .ci/install-deps
 * installs it, and a test that silently skips proves nothing.
 *
 * The kernel stops the agent when the thread that started it exits
 * (PR_SET_PDEATHSIG), so a crashed test leaves nothing behind: start and
 * stop the fixture from the test's main thread, not from a short-lived
 * helper thread.
 *
 * Usage:
 *
 *   usnmp_test_snmpd agent = {0};
 *   agent.extra_conf = "pass .1.3.6.1.4.1.99999 /bin/sh /path/script\n";
 *   assert_int_equal(usnmp_test_snmpd_start(&agent), 0);
 *   ... talk to agent.agent4 ("127.0.0.1:PORT") or agent.agent6 ...
 *   usnmp_test_snmpd_stop(&agent);
 */
#ifndef USNMP_TEST_SNMPD_FIXTURE_H
#define USNMP_TEST_SNMPD_FIXTURE_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define USNMP_TEST_SNMPD_PATH_MAX 512

typedef struct usnmp_test_snmpd {
  /* Set by the caller before usnmp_test_snmpd_start() (zero-initialise the
   * struct first).  Lines appended to test/snmpd.conf, for example a `pass`
   * or `extend` directive that serves a table; NULL for none.  Every
   * "@TESTDIR@" becomes a path to the test/ source directory that holds no
   * space (a link in the private directory): snmpd splits its config on
   * white space, so "pass .1.3.6.1.4.1.99999 /bin/sh @TESTDIR@/script.sh"
   * works wherever the clone is. */
  const char *extra_conf;

  /* Filled in by usnmp_test_snmpd_start(). */
  pid_t pid;       /* the snmpd process, 0 when not running */
  uint16_t port;   /* UDP port on both 127.0.0.1 and ::1 */
  char agent4[64]; /* "127.0.0.1:PORT" */
  char agent6[64]; /* "udp6:[::1]:PORT" */
  char dir[USNMP_TEST_SNMPD_PATH_MAX];         /* private temporary directory */
  char conf_path[USNMP_TEST_SNMPD_PATH_MAX];   /* the config snmpd reads */
  char persist_dir[USNMP_TEST_SNMPD_PATH_MAX]; /* SNMP_PERSISTENT_DIR */
  char log_path[USNMP_TEST_SNMPD_PATH_MAX];    /* snmpd's stdout and stderr */
} usnmp_test_snmpd;

/* Starts snmpd as described above, after removing the directories that
 * agents of crashed or killed tests left in $TMPDIR (unchanged for 15
 * minutes, with no live process in their pid file).  Returns 0 once the
 * agent answers, or -1 after printing why to stderr (snmpd not installed,
 * no free port, snmpd exited early: its log is printed, or no answer
 * within about 10 s).  On failure nothing is left running and the
 * temporary directory is gone. */
int usnmp_test_snmpd_start(usnmp_test_snmpd *s);

/* Stops the agent (SIGTERM, then SIGKILL after 5 s) and reaps it, keeping
 * its temporary directory and port, then starts it again with the same
 * configuration and persistent state: the agent keeps its engine ID and
 * increments snmpEngineBoots, like a rebooted device.  Returns 0 once it
 * answers again, or -1 (printed to stderr; the fixture is then stopped). */
int usnmp_test_snmpd_restart(usnmp_test_snmpd *s);

/* Stops the agent (SIGTERM, then SIGKILL after 5 s), reaps it and removes
 * its temporary directory.  Returns 0, or -1 if the process could not be
 * reaped or the directory removed (printed to stderr).  Safe to call on a
 * fixture that never started or is already stopped. */
int usnmp_test_snmpd_stop(usnmp_test_snmpd *s);

/* The SNMPv3 users of test/snmpd.conf.  auth and priv are net-snmp's
 * protocol names (snmpget -a / -x), NULL for none; level is net-snmp's -l
 * value.  Passwords are USNMP_TEST_SNMPD_AUTH_PASS and
 * USNMP_TEST_SNMPD_PRIV_PASS for every user. */
typedef struct usnmp_test_snmpd_user {
  const char *name;
  const char *level; /* "noAuthNoPriv", "authNoPriv" or "authPriv" */
  const char *auth;  /* "MD5", "SHA", "SHA-224" ... "SHA-512", or NULL */
  const char *priv;  /* "DES", "AES", "AES-192", "AES-256", "AES-192-C",
                        "AES-256-C", or NULL */
  int writable;      /* 1 for rwuser, 0 for rouser */
} usnmp_test_snmpd_user;

#define USNMP_TEST_SNMPD_AUTH_PASS "authpass123"
#define USNMP_TEST_SNMPD_PRIV_PASS "privpass123"

extern const usnmp_test_snmpd_user usnmp_test_snmpd_users[];
extern const size_t usnmp_test_snmpd_user_count;

#endif /* USNMP_TEST_SNMPD_FIXTURE_H */
