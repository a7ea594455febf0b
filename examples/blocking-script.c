/*
 * blocking-script: what a monitoring script does with the blocking API,
 * one call per question: a GET, a SET, a walk, a timeout and an SNMP
 * error, each with its outcome printed.
 *
 *   blocking-script [-c COMMUNITY] [-w WRITE_COMMUNITY] AGENT DEAD_AGENT
 *
 * AGENT answers (127.0.0.1:1161); DEAD_AGENT does not (a port where
 * nothing listens), to show a timeout.  The defaults are net-snmp's test
 * communities "public" and "private".  Output, one step per paragraph:
 *
 *   get: .1.3.6.1.2.1.1.1.0 = STRING: "..."
 *   set: .1.3.6.1.2.1.1.6.0 = STRING: "rack 7, row 2"
 *   walk: .1.3.6.1.2.1.1.9.1.2.1 = OID: ...   (one line per varbind)
 *   walk: 10 varbinds
 *   timeout: no response before the timeout (after 0.5 s)
 *   snmp error: error-status 17, notWritable (That object does not
 *     support modification), at varbind 1
 *
 * Exit status: 0 when every step went as described, 1 otherwise, 2 for a
 * usage error.
 */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <usnmp.h>

static double now_s(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Prints every varbind of l after label. */
static void print_list(const char *label, const usnmp_vblist *l) {
  char line[1024];
  for (size_t i = 0; i < usnmp_vblist_count(l); i++) {
    usnmp_varbind_format(line, sizeof line, usnmp_vblist_get(l, i));
    printf("%s: %s\n", label, line);
  }
}

/* Prints why a call failed; an error-status comes with its index. */
static void print_failure(const char *label, usnmp_sync *s, int rc) {
  if (rc == USNMP_E_SNMP_ERROR)
    printf("%s: error-status %d, %s, at varbind %d\n", label,
           (int)usnmp_sync_error_status(s),
           usnmp_error_status_text(usnmp_sync_error_status(s)),
           (int)usnmp_sync_error_index(s));
  else
    printf("%s: %s\n", label, usnmp_strerror(rc));
}

/* Prints the outcome of a call that returned rc and, on success, the
 * list l (freed here).  Returns 0 on success, else 1. */
static int report(const char *label, usnmp_sync *s, int rc, usnmp_vblist *l) {
  if (rc != 0) {
    print_failure(label, s, rc);
    return 1;
  }
  print_list(label, l);
  usnmp_vblist_free(l);
  return 0;
}

/* GET of sysDescr.0 and sysUpTime.0. */
static int step_get(usnmp_sync *s, const char *agent) {
  usnmp_oid oids[2];
  usnmp_vblist *l = NULL;
  usnmp_oid_parse(&oids[0], "1.3.6.1.2.1.1.1.0"); /* sysDescr.0 */
  usnmp_oid_parse(&oids[1], "1.3.6.1.2.1.1.3.0"); /* sysUpTime.0 */
  int rc = usnmp_sync_get(s, agent, oids, 2, NULL, &l);
  return report("get", s, rc, l);
}

/* SET of sysLocation.0 (writable with the write community); the answer
 * is the value the agent stored. */
static int step_set(usnmp_sync *s, const char *agent) {
  usnmp_oid oid;
  usnmp_vblist *l = NULL;
  usnmp_value v = usnmp_value_string("rack 7, row 2");
  usnmp_oid_parse(&oid, "1.3.6.1.2.1.1.6.0"); /* sysLocation.0 */
  int rc = usnmp_sync_set(s, agent, &oid, &v, NULL, &l);
  return report("set", s, rc, l);
}

/* Walk of sysORTable's sysORID column, as a pull iterator. */
static int step_walk(usnmp_sync *s, const char *agent) {
  usnmp_oid root;
  usnmp_sync_walk *w;
  const usnmp_varbind *vb;
  char line[1024];
  size_t n = 0;
  int rc;
  usnmp_oid_parse(&root, "1.3.6.1.2.1.1.9.1.2"); /* sysORID */
  rc = usnmp_sync_walk_init(s, agent, &root, NULL, &w);
  if (rc != 0) {
    print_failure("walk", s, rc);
    return 1;
  }
  while ((rc = usnmp_sync_walk_next(w, &vb)) == 1) {
    usnmp_varbind_format(line, sizeof line, vb);
    printf("walk: %s\n", line);
    n++;
  }
  usnmp_sync_walk_close(w);
  if (rc < 0) {
    print_failure("walk", s, rc);
    return 1;
  }
  printf("walk: %zu varbinds\n", n);
  return n > 0 ? 0 : 1;
}

/* A GET from an agent that does not answer, with a 500 ms budget: the
 * call returns USNMP_E_TIMEOUT after about that long. */
static int step_timeout(usnmp_sync *s, const char *dead) {
  usnmp_oid oid;
  usnmp_vblist *l = NULL;
  usnmp_call_opts opts = {USNMP_CALL_TIMEOUT, 500, NULL};
  double t0 = now_s();
  usnmp_oid_parse(&oid, "1.3.6.1.2.1.1.1.0");
  int rc = usnmp_sync_get(s, dead, &oid, 1, &opts, &l);
  if (rc == 0) {
    usnmp_vblist_free(l);
    printf("timeout: %s answered\n", dead);
    return 1;
  }
  printf("timeout: %s (after %.1f s)\n", usnmp_strerror(rc), now_s() - t0);
  return rc == USNMP_E_TIMEOUT ? 0 : 1;
}

/* A SET the agent refuses: sysDescr.0 is read-only, so the agent answers
 * with an error-status, which is a result the call reports, not a
 * failure to talk to the agent. */
static int step_snmp_error(usnmp_sync *s, const char *agent) {
  usnmp_oid oid;
  usnmp_vblist *l = NULL;
  usnmp_value v = usnmp_value_string("renamed");
  usnmp_oid_parse(&oid, "1.3.6.1.2.1.1.1.0"); /* sysDescr.0 */
  int rc = usnmp_sync_set(s, agent, &oid, &v, NULL, &l);
  if (rc == 0) {
    usnmp_vblist_free(l);
    printf("snmp error: the agent accepted the SET\n");
    return 1;
  }
  print_failure("snmp error", s, rc);
  return rc == USNMP_E_SNMP_ERROR ? 0 : 1;
}

int main(int argc, char **argv) {
  const char *community = "public", *write_community = "private";
  int i = 1;
  for (; i + 1 < argc && argv[i][0] == '-'; i += 2) {
    if (strcmp(argv[i], "-c") == 0)
      community = argv[i + 1];
    else if (strcmp(argv[i], "-w") == 0)
      write_community = argv[i + 1];
    else
      break;
  }
  if (argc - i != 2) {
    fprintf(stderr,
            "usage: %s [-c COMMUNITY] [-w WRITE_COMMUNITY] AGENT "
            "DEAD_AGENT\n",
            argv[0]);
    return 2;
  }
  const char *agent = argv[i], *dead = argv[i + 1];

  usnmp_sync *s;
  int rc = usnmp_sync_init(&s);
  if (rc != 0) {
    fprintf(stderr, "usnmp_sync_init: %s\n", usnmp_strerror(rc));
    return 1;
  }
  usnmp_sync_set_community(s, community);
  usnmp_sync_set_write_community(s, write_community);
  /* Calls that give no timeout wait up to 3 s, resending every second. */
  usnmp_sync_set_timeout(s, 3000);

  int failures = step_get(s, agent);
  failures += step_set(s, agent);
  failures += step_walk(s, agent);
  failures += step_timeout(s, dead);
  failures += step_snmp_error(s, agent);
  usnmp_sync_close(s);
  return failures ? 1 : 0;
}
