/*
 * Tests of examples/poll-many against net-snmp's real snmpd
 * (test/snmpd_fixture.h): the table has one row per agent in the order
 * given, each value as net-snmp prints it, a round-trip time for agents
 * that answered and the reason for those that did not.
 *
 * The program under test is named by the POLL_MANY environment variable
 * (set by examples/meson.build, where the executable is defined).
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include <usnmp.h>

#include "snmpd_fixture.h"
#include "test_util.h"

#define SYSDESCR "STRING: \"usnmp test agent (net-snmp snmpd)\""
#define SYSOBJECTID "OID: .1.3.6.1.4.1.8072.3.2.10"
#define NOSUCHOBJECT "No Such Object available on this agent at this OID"
#define OIDS "1.3.6.1.2.1.1.1.0,.1.3.6.1.2.1.1.2.0,1.3.6.1.2.1.1.99.0"

typedef struct fixture {
  usnmp_test_snmpd agent;
  int silent_fd;   /* a bound UDP socket nobody reads: a silent agent */
  char silent[64]; /* "127.0.0.1:PORT" of that socket */
} fixture;

/* Runs poll-many with the arguments built from fmt, stores what it printed
 * on stdout and stderr in out and returns its exit status, or -1. */
static int run(char *out, size_t size, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int run(char *out, size_t size, const char *fmt, ...) {
  const char *prog = getenv("POLL_MANY");
  char quoted[1024];
  int n, status;
  va_list ap;

  assert_non_null(prog);
  n = snprintf(quoted, sizeof quoted, "'%s' ", prog);
  assert_true(n > 0 && (size_t)n < sizeof quoted);
  va_start(ap, fmt);
  status = usnmp_test_vrun(out, size, quoted, fmt, ap);
  va_end(ap);
  return status;
}

/* Copies the line of out that starts with prefix into line; fails the
 * test when there is none.  Returns the line's index in out. */
static int find_row(const char *out, const char *prefix, char *line,
                    size_t size) {
  int index = 0;
  for (const char *p = out; *p != '\0'; index++) {
    const char *end = strchr(p, '\n');
    size_t len = end != NULL ? (size_t)(end - p) : strlen(p);
    if (strncmp(p, prefix, strlen(prefix)) == 0 && p[strlen(prefix)] == ' ') {
      assert_true(len < size);
      memcpy(line, p, len);
      line[len] = '\0';
      return index;
    }
    p += len + (end != NULL);
  }
  fail_msg("no row for %s in:\n%s", prefix, out);
  return -1;
}

static int setup(void **state) {
  fixture *f = calloc(1, sizeof *f);
  struct sockaddr_in sin;
  socklen_t len = sizeof sin;

  if (f == NULL)
    return -1;
  if (usnmp_test_snmpd_start(&f->agent) != 0) {
    free(f);
    return -1;
  }
  memset(&sin, 0, sizeof sin);
  sin.sin_family = AF_INET;
  sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  f->silent_fd = socket(AF_INET, SOCK_DGRAM, 0);
  if (f->silent_fd < 0 ||
      bind(f->silent_fd, (struct sockaddr *)&sin, sizeof sin) != 0 ||
      getsockname(f->silent_fd, (struct sockaddr *)&sin, &len) != 0) {
    usnmp_test_snmpd_stop(&f->agent);
    free(f);
    return -1;
  }
  snprintf(f->silent, sizeof f->silent, "127.0.0.1:%u", ntohs(sin.sin_port));
  *state = f;
  return 0;
}

static int teardown(void **state) {
  fixture *f = *state;
  int rc = usnmp_test_snmpd_stop(&f->agent);
  close(f->silent_fd);
  free(f);
  return rc == 0 ? 0 : -1;
}

/* v2c over IPv4 and IPv6 plus a silent agent: two full rows with a value
 * per OID (noSuchObject included) and a timeout row, in argument order. */
static void test_v2c_table(void **state) {
  fixture *f = *state;
  char out[8192], line[2048], timeout_text[256];
  int rc = run(out, sizeof out, "-t 0.3 -r 1 %s %s %s %s", OIDS,
               f->agent.agent4, f->silent, f->agent.agent6);

  assert_int_equal(rc, 1); /* one agent did not answer */
  assert_int_equal(strncmp(out, "AGENT ", 6), 0);
  assert_non_null(strstr(out, "RTT ms"));
  assert_non_null(strstr(out, ".1.3.6.1.2.1.1.1.0"));
  assert_non_null(strstr(out, ".1.3.6.1.2.1.1.99.0"));

  assert_int_equal(find_row(out, f->agent.agent4, line, sizeof line), 1);
  assert_non_null(strstr(line, SYSDESCR));
  assert_non_null(strstr(line, SYSOBJECTID));
  assert_non_null(strstr(line, NOSUCHOBJECT));
  assert_true(strstr(line, SYSDESCR) < strstr(line, SYSOBJECTID));
  assert_true(strstr(line, SYSOBJECTID) < strstr(line, NOSUCHOBJECT));
  /* The RTT column holds a number of milliseconds. */
  {
    double rtt = -1;
    assert_int_equal(sscanf(line + strlen(f->agent.agent4), "%lf", &rtt), 1);
    assert_true(rtt >= 0 && rtt < 2000);
  }

  assert_int_equal(find_row(out, f->silent, line, sizeof line), 2);
  snprintf(timeout_text, sizeof timeout_text, "-  error: %s",
           usnmp_strerror(USNMP_E_TIMEOUT));
  assert_non_null(strstr(line, timeout_text));

  assert_int_equal(find_row(out, f->agent.agent6, line, sizeof line), 3);
  assert_non_null(strstr(line, SYSDESCR));
  assert_non_null(strstr(line, NOSUCHOBJECT));
}

/* v1: an unknown OID is an error-status (noSuchName, index 2), shown with
 * net-snmp's text; known OIDs alone succeed with exit status 0. */
static void test_v1(void **state) {
  fixture *f = *state;
  char out[8192], line[2048], expected[256];

  assert_int_equal(run(out, sizeof out, "-v 1 -t 1 -r 1 %s %s",
                       "1.3.6.1.2.1.1.1.0,1.3.6.1.2.1.1.99.0", f->agent.agent4),
                   1);
  find_row(out, f->agent.agent4, line, sizeof line);
  snprintf(expected, sizeof expected, "error: %s (index 2)",
           usnmp_error_status_text(USNMP_ERROR_STATUS_NOSUCHNAME));
  assert_non_null(strstr(line, expected));

  assert_int_equal(run(out, sizeof out, "-v 1 -t 1 -r 1 %s %s",
                       "1.3.6.1.2.1.1.1.0,1.3.6.1.2.1.1.2.0", f->agent.agent4),
                   0);
  find_row(out, f->agent.agent4, line, sizeof line);
  assert_non_null(strstr(line, SYSDESCR));
  assert_non_null(strstr(line, SYSOBJECTID));
}

/* A community the agent does not know gets no answer at all. */
static void test_wrong_community(void **state) {
  fixture *f = *state;
  char out[8192], line[2048];

  assert_int_equal(run(out, sizeof out, "-c nosuchcommunity -t 0.3 -r 0 %s %s",
                       "1.3.6.1.2.1.1.1.0", f->agent.agent4),
                   1);
  find_row(out, f->agent.agent4, line, sizeof line);
  assert_non_null(strstr(line, usnmp_strerror(USNMP_E_TIMEOUT)));
  assert_null(strstr(line, SYSDESCR));
}

static void test_usage_errors(void **state) {
  fixture *f = *state;
  char out[8192];

  assert_int_equal(run(out, sizeof out, "%s", "1.3.6.1.2.1.1.1.0"), 2);
  assert_non_null(strstr(out, "usage:"));
  assert_int_equal(run(out, sizeof out, "1.3.x.1 %s", f->agent.agent4), 2);
  assert_int_equal(
      run(out, sizeof out, "-v 3 1.3.6.1.2.1.1.1.0 %s", f->agent.agent4), 2);
  /* A malformed agent string fails its own row, not the others. */
  assert_int_equal(run(out, sizeof out, "-t 1 1.3.6.1.2.1.1.1.0 %s %s",
                       "udp:[::1", f->agent.agent4),
                   1);
  assert_non_null(strstr(out, SYSDESCR));
  assert_non_null(strstr(out, usnmp_strerror(USNMP_E_INVAL)));
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_v2c_table),
      cmocka_unit_test(test_v1),
      cmocka_unit_test(test_wrong_community),
      cmocka_unit_test(test_usage_errors),
  };
  return cmocka_run_group_tests(tests, setup, teardown);
}
