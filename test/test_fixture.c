/*
 * Tests of the snmpd fixture (snmpd_fixture.c) with net-snmp's own tools:
 * if these pass, a failing integration test points at usnmp, not at the
 * agent, its configuration or the way tests start it.
 */
#include <errno.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "snmpd_fixture.h"
#include "test_util.h"

#define SYSDESCR_LINE                                                          \
  ".1.3.6.1.2.1.1.1.0 = STRING: \"usnmp test agent (net-snmp snmpd)\"\n"

/* Runs a shell command built from fmt with net-snmp's tools configured to
 * load no MIB modules and to read no system config, stores what it printed
 * (stdout and stderr) in out and returns its exit status, or -1. */
static int run(const usnmp_test_snmpd *agent, char *out, size_t size,
               const char *fmt, ...) __attribute__((format(printf, 4, 5)));

static int run(const usnmp_test_snmpd *agent, char *out, size_t size,
               const char *fmt, ...) {
  char prefix[1024];
  int n = snprintf(prefix, sizeof prefix,
                   "MIBS= SNMPCONFPATH=%s SNMP_PERSISTENT_DIR=%s ",
                   agent->persist_dir, agent->persist_dir);
  assert_true(n > 0 && (size_t)n < sizeof prefix);
  va_list ap;
  va_start(ap, fmt);
  int status = usnmp_test_vrun(out, size, prefix, fmt, ap);
  va_end(ap);
  return status;
}

static int start_shared(void **state) {
  usnmp_test_snmpd *agent = calloc(1, sizeof *agent);
  if (agent == NULL || usnmp_test_snmpd_start(agent) != 0) {
    free(agent);
    return -1;
  }
  *state = agent;
  return 0;
}

static int stop_shared(void **state) {
  int rc = usnmp_test_snmpd_stop(*state);
  free(*state);
  return rc == 0 ? 0 : -1;
}

/* net-snmp's snmpget of sysDescr.0 with version (-v1, -v2c) from address
 * prints the fixture's line. */
static void assert_get_sysdescr(const usnmp_test_snmpd *agent,
                                const char *version, const char *address) {
  char out[4096];
  assert_int_equal(run(agent, out, sizeof out,
                       "snmpget %s -c public -On %s 1.3.6.1.2.1.1.1.0", version,
                       address),
                   0);
  assert_string_equal(out, SYSDESCR_LINE);
}

static void test_v2c_ipv4(void **state) {
  usnmp_test_snmpd *agent = *state;
  assert_true(agent->port != 0);
  assert_true(agent->pid > 0);
  assert_get_sysdescr(agent, "-v2c", agent->agent4);
}

static void test_v2c_ipv6(void **state) {
  usnmp_test_snmpd *agent = *state;
  assert_get_sysdescr(agent, "-v2c", agent->agent6);
}

static void test_v1(void **state) {
  usnmp_test_snmpd *agent = *state;
  assert_get_sysdescr(agent, "-v1", agent->agent4);
}

/* sysLocation.0 must be writable through `private` and not through
 * `public`: the manager and CLI tests of SET depend on both. */
static void test_set_private_only(void **state) {
  usnmp_test_snmpd *agent = *state;
  char out[4096];
  assert_int_equal(run(agent, out, sizeof out,
                       "snmpset -v2c -c private -On %s "
                       "1.3.6.1.2.1.1.6.0 s 'rack 42'",
                       agent->agent4),
                   0);
  assert_string_equal(out, ".1.3.6.1.2.1.1.6.0 = STRING: \"rack 42\"\n");
  assert_int_equal(run(agent, out, sizeof out,
                       "snmpget -v2c -c public -On %s 1.3.6.1.2.1.1.6.0",
                       agent->agent6),
                   0);
  assert_string_equal(out, ".1.3.6.1.2.1.1.6.0 = STRING: \"rack 42\"\n");
  assert_int_equal(run(agent, out, sizeof out,
                       "snmpset -v2c -c private -On %s "
                       "1.3.6.1.2.1.1.4.0 s 'ops@example.net' "
                       "1.3.6.1.2.1.1.5.0 s fixture",
                       agent->agent6),
                   0);
  assert_int_not_equal(run(agent, out, sizeof out,
                           "snmpset -v2c -c public -On %s "
                           "1.3.6.1.2.1.1.6.0 s nope",
                           agent->agent4),
                       0);
  assert_non_null(strstr(out, "noAccess"));
}

/* Every v3 user of the table answers with its own protocols. */
static void test_v3_every_user(void **state) {
  usnmp_test_snmpd *agent = *state;
  char out[4096];
  for (size_t i = 0; i < usnmp_test_snmpd_user_count; i++) {
    const usnmp_test_snmpd_user *u = &usnmp_test_snmpd_users[i];
    char auth[64] = "", priv[64] = "";
    if (u->auth != NULL)
      snprintf(auth, sizeof auth, "-a %s -A %s", u->auth,
               USNMP_TEST_SNMPD_AUTH_PASS);
    if (u->priv != NULL)
      snprintf(priv, sizeof priv, "-x %s -X %s", u->priv,
               USNMP_TEST_SNMPD_PRIV_PASS);
    int rc = run(agent, out, sizeof out,
                 "snmpget -v3 -l %s -u %s %s %s -On -r 1 -t 2 %s "
                 "1.3.6.1.2.1.1.1.0",
                 u->level, u->name, auth, priv,
                 i % 2 ? agent->agent6 : agent->agent4);
    if (rc != 0 || strcmp(out, SYSDESCR_LINE) != 0)
      fail_msg("v3 user %s (%s %s): exit %d: %s", u->name,
               u->auth ? u->auth : "-", u->priv ? u->priv : "-", rc, out);
  }
}

/* A wrong password and a wrong privacy protocol must fail, or the test
 * above would prove nothing about the keys. */
static void test_v3_wrong_secrets_fail(void **state) {
  usnmp_test_snmpd *agent = *state;
  char out[4096];
  assert_int_not_equal(
      run(agent, out, sizeof out,
          "snmpget -v3 -l authPriv -u shaaes -a SHA -A wrongpass123 "
          "-x AES -X privpass123 -On -r 0 -t 1 %s 1.3.6.1.2.1.1.1.0",
          agent->agent4),
      0);
  assert_non_null(strstr(out, "Authentication failure"));
  /* AES-256 with Blumenthal's key extension against a Reeder user: the
   * agent cannot decrypt and stays silent. */
  assert_int_not_equal(
      run(agent, out, sizeof out,
          "snmpget -v3 -l authPriv -u shaaes256c -a SHA -A authpass123 "
          "-x AES-256 -X privpass123 -On -r 0 -t 1 %s 1.3.6.1.2.1.1.1.0",
          agent->agent4),
      0);
}

static void test_v3_readonly_user(void **state) {
  usnmp_test_snmpd *agent = *state;
  char out[4096];
  assert_int_not_equal(
      run(agent, out, sizeof out,
          "snmpset -v3 -l authPriv -u readonly -a SHA -A authpass123 "
          "-x AES -X privpass123 -On %s 1.3.6.1.2.1.1.6.0 s nope",
          agent->agent4),
      0);
  assert_non_null(strstr(out, "noAccess"));
  assert_int_equal(run(agent, out, sizeof out,
                       "snmpset -v3 -l authPriv -u sha512aes256c -a SHA-512 "
                       "-A authpass123 -x AES-256-C -X privpass123 -On %s "
                       "1.3.6.1.2.1.1.6.0 s v3-was-here",
                       agent->agent6),
                   0);
  assert_string_equal(out, ".1.3.6.1.2.1.1.6.0 = STRING: \"v3-was-here\"\n");
}

/* Reads snmpEngineBoots.0 with v2c. */
static long engine_boots(const usnmp_test_snmpd *agent) {
  char out[4096];
  assert_int_equal(run(agent, out, sizeof out,
                       "snmpget -v2c -c public -On %s 1.3.6.1.6.3.10.2.1.2.0",
                       agent->agent4),
                   0);
  const char *prefix = ".1.3.6.1.6.3.10.2.1.2.0 = INTEGER: ";
  assert_true(strncmp(out, prefix, strlen(prefix)) == 0);
  return strtol(out + strlen(prefix), NULL, 10);
}

static void test_restart_increments_boots(void **state) {
  (void)state;
  usnmp_test_snmpd agent = {0};
  assert_int_equal(usnmp_test_snmpd_start(&agent), 0);
  uint16_t port = agent.port;
  pid_t old = agent.pid;
  long boots = engine_boots(&agent);
  assert_true(boots >= 1);
  assert_int_equal(usnmp_test_snmpd_restart(&agent), 0);
  assert_int_equal(agent.port, port);
  assert_true(agent.pid > 0 && agent.pid != old);
  assert_int_equal(kill(old, 0), -1);
  assert_int_equal(engine_boots(&agent), boots + 1);
  /* The v3 users survive the restart (their keys come back from the
   * config, the engine ID from the saved state). */
  char out[4096];
  assert_int_equal(run(&agent, out, sizeof out,
                       "snmpget -v3 -l authPriv -u sha256aes192c -a SHA-256 "
                       "-A authpass123 -x AES-192-C -X privpass123 -On %s "
                       "1.3.6.1.2.1.1.1.0",
                       agent.agent6),
                   0);
  assert_string_equal(out, SYSDESCR_LINE);
  assert_int_equal(usnmp_test_snmpd_stop(&agent), 0);
}

static void test_extra_conf(void **state) {
  (void)state;
  usnmp_test_snmpd agent = {0};
  char out[4096];
  /* A pass script named through @TESTDIR@ (test/snmpd_pass_test.sh)
   * answers for one object, and a plain directive sets sysName. */
  agent.extra_conf = "sysName extra-conf-works\n"
                     "pass .1.3.6.1.4.1.99998 /bin/sh "
                     "@TESTDIR@/snmpd_pass_test.sh";
  assert_int_equal(usnmp_test_snmpd_start(&agent), 0);
  assert_int_equal(run(&agent, out, sizeof out,
                       "snmpget -v2c -c public -On %s 1.3.6.1.2.1.1.5.0",
                       agent.agent6),
                   0);
  assert_string_equal(out,
                      ".1.3.6.1.2.1.1.5.0 = STRING: \"extra-conf-works\"\n");
  assert_int_equal(run(&agent, out, sizeof out,
                       "snmpget -v2c -c public -On %s 1.3.6.1.4.1.99998.1.0",
                       agent.agent4),
                   0);
  assert_string_equal(out, ".1.3.6.1.4.1.99998.1.0 = STRING: \"from pass\"\n");
  assert_int_equal(usnmp_test_snmpd_stop(&agent), 0);
}

/* Two agents at once get two ports; stopping one leaves the other. */
static void test_two_agents_and_stop(void **state) {
  (void)state;
  usnmp_test_snmpd a = {0}, b = {0};
  char out[4096];
  struct stat st;
  assert_int_equal(usnmp_test_snmpd_start(&a), 0);
  assert_int_equal(usnmp_test_snmpd_start(&b), 0);
  assert_int_not_equal(a.port, b.port);
  assert_string_not_equal(a.dir, b.dir);

  char dir[sizeof a.dir];
  pid_t pid = a.pid;
  strcpy(dir, a.dir);
  assert_int_equal(stat(dir, &st), 0);
  assert_int_equal(usnmp_test_snmpd_stop(&a), 0);
  /* The process is reaped (not even a zombie is left) and its directory
   * is gone. */
  assert_int_equal(kill(pid, 0), -1);
  assert_int_equal(errno, ESRCH);
  assert_int_equal(a.pid, 0);
  assert_int_equal(stat(dir, &st), -1);
  assert_int_equal(errno, ENOENT);
  /* Stopping twice is harmless. */
  assert_int_equal(usnmp_test_snmpd_stop(&a), 0);

  assert_int_equal(run(&b, out, sizeof out,
                       "snmpget -v2c -c public -On %s 1.3.6.1.2.1.1.1.0",
                       b.agent4),
                   0);
  assert_string_equal(out, SYSDESCR_LINE);
  assert_int_equal(usnmp_test_snmpd_stop(&b), 0);
}

/* Makes an agent directory in base, as the fixture names them, holding a
 * pid file with pid (none if 0), last changed age_s seconds ago. */
static void make_agent_dir(char *dir, size_t size, const char *base, long pid,
                           long age_s) {
  int n = snprintf(dir, size, "%s/usnmp-snmpd-XXXXXX", base);
  assert_true(n > 0 && (size_t)n < size);
  assert_non_null(mkdtemp(dir));
  if (pid != 0) {
    char pidfile[1024];
    snprintf(pidfile, sizeof pidfile, "%s/snmpd.pid", dir);
    FILE *f = fopen(pidfile, "w");
    assert_non_null(f);
    fprintf(f, "%ld\n", pid);
    assert_int_equal(fclose(f), 0);
  }
  struct timeval times[2];
  gettimeofday(&times[0], NULL);
  times[0].tv_sec -= age_s;
  times[1] = times[0];
  assert_int_equal(utimes(dir, times), 0);
}

static int dir_exists(const char *dir) {
  struct stat st;
  return stat(dir, &st) == 0;
}

/* Starting an agent removes the directories that dead agents left behind,
 * and only those. */
static void test_sweeps_stale_dirs(void **state) {
  (void)state;
  char base[] = "/tmp/usnmp-fixture-test-XXXXXX";
  char dead[512], live[512], young[512];
  const char *saved = getenv("TMPDIR");
  char *saved_copy = saved != NULL ? strdup(saved) : NULL;
  assert_non_null(mkdtemp(base));

  /* A pid that no process has any more: a child we reaped. */
  pid_t child = fork();
  assert_true(child >= 0);
  if (child == 0)
    _exit(0);
  assert_int_equal(waitpid(child, NULL, 0), child);

  make_agent_dir(dead, sizeof dead, base, (long)child, 3600);
  make_agent_dir(live, sizeof live, base, (long)getpid(), 3600);
  make_agent_dir(young, sizeof young, base, 0, 0);

  assert_int_equal(setenv("TMPDIR", base, 1), 0);
  usnmp_test_snmpd agent = {0};
  int rc = usnmp_test_snmpd_start(&agent);
  if (saved_copy != NULL)
    setenv("TMPDIR", saved_copy, 1);
  else
    unsetenv("TMPDIR");
  free(saved_copy);
  assert_int_equal(rc, 0);
  assert_int_equal(strncmp(agent.dir, base, strlen(base)), 0);

  assert_false(dir_exists(dead));
  assert_true(dir_exists(live));
  assert_true(dir_exists(young));
  assert_int_equal(usnmp_test_snmpd_stop(&agent), 0);

  assert_int_equal(remove(live), -1); /* not empty: it holds snmpd.pid */
  char pidfile[1024];
  snprintf(pidfile, sizeof pidfile, "%s/snmpd.pid", live);
  assert_int_equal(remove(pidfile), 0);
  assert_int_equal(remove(live), 0);
  assert_int_equal(remove(young), 0);
  assert_int_equal(remove(base), 0);
}

int main(void) {
  const struct CMUnitTest shared[] = {
      cmocka_unit_test(test_v2c_ipv4),
      cmocka_unit_test(test_v2c_ipv6),
      cmocka_unit_test(test_v1),
      cmocka_unit_test(test_set_private_only),
      cmocka_unit_test(test_v3_every_user),
      cmocka_unit_test(test_v3_wrong_secrets_fail),
      cmocka_unit_test(test_v3_readonly_user),
  };
  const struct CMUnitTest own[] = {
      cmocka_unit_test(test_restart_increments_boots),
      cmocka_unit_test(test_extra_conf),
      cmocka_unit_test(test_two_agents_and_stop),
      cmocka_unit_test(test_sweeps_stale_dirs),
  };
  int failed = cmocka_run_group_tests_name("shared agent", shared, start_shared,
                                           stop_shared);
  failed += cmocka_run_group_tests_name("own agents", own, NULL, NULL);
  return failed == 0 ? 0 : 1;
}
