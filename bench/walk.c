/*
 * bench/walk: a GETBULK walk of a 50,000-OID table from net-snmp's snmpd,
 * with usnmp and with net-snmp's snmpbulkwalk, in the same run, on the
 * same agent.
 *
 * The agent is net-snmp's snmpd started on a free loopback port by the
 * test suite's fixture (test/snmpd_fixture.h), with test/snmpd.conf plus
 * one `override` line per OID: a table under .1.3.6.1.4.1.99999.50.1 of
 * five columns (INTEGER, OCTET STRING, Counter32, Gauge32, TimeTicks) and
 * ROWS rows (10,000 by default: 50,000 OIDs).  snmpd serves overrides from
 * memory and fast; the lines are written in decreasing OID order because
 * snmpd registers each override by walking its registration list, which
 * then takes a fraction of a second instead of about 17 s.
 *
 * Each round runs, in alternating order:
 *   - net-snmp: `snmpbulkwalk -Cr25 -On -v2c -c public AGENT OID` as a
 *     child process with stdout on /dev/null (in the warm-up, on a pipe
 *     whose lines are counted); wall time around fork and wait, CPU time
 *     (user + system) from the child's rusage;
 *   - usnmp: the same walk (max-repetitions 25) on a new loop, manager and
 *     target, each varbind formatted with usnmp_varbind_format() and
 *     written to /dev/null through stdio, as snmpbulkwalk does; wall time
 *     and this process's rusage around it;
 *   - usnmp without formatting (the library's own cost).
 * It also measures snmpbulkwalk on one scalar (.1.3.6.1.2.1.1.1.0), the
 * fixed cost of starting the tool, which its figures include.
 *
 * Usage: walk [-r ROUNDS] [-n ROWS] [-R REPETITIONS]
 * Prints every round and the medians; see bench/RESULTS.md.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/time.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <usnmp.h>

#include "snmpd_fixture.h"

#define TABLE ".1.3.6.1.4.1.99999.50.1"
#define MAX_ROUNDS 100

typedef struct sample {
  double wall_ms;
  double cpu_ms;
  uint64_t count;
} sample;

static double now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static double tv_ms(const struct timeval *tv) {
  return (double)tv->tv_sec * 1e3 + (double)tv->tv_usec / 1e3;
}

static double self_cpu_ms(void) {
  struct rusage ru;
  getrusage(RUSAGE_SELF, &ru);
  return tv_ms(&ru.ru_utime) + tv_ms(&ru.ru_stime);
}

/* The override lines of the table, last OID first. */
static char *make_conf(unsigned rows) {
  size_t cap = (size_t)rows * 5 * 80 + 1, len = 0;
  char *conf = malloc(cap);
  if (conf == NULL)
    return NULL;
  for (unsigned col = 5; col >= 1; col--) {
    for (unsigned r = rows; r >= 1; r--) {
      int n;
      const char *oid = TABLE;
      switch (col) {
      case 1:
        n = snprintf(conf + len, cap - len, "override %s.1.%u integer %u\n",
                     oid, r, r);
        break;
      case 2:
        n = snprintf(conf + len, cap - len,
                     "override %s.2.%u octet_str \"port-%u\"\n", oid, r, r);
        break;
      case 3:
        n = snprintf(conf + len, cap - len, "override %s.3.%u counter %u\n",
                     oid, r, r * 1000u);
        break;
      case 4:
        n = snprintf(conf + len, cap - len, "override %s.4.%u unsigned %u\n",
                     oid, r, 100000000u);
        break;
      default:
        n = snprintf(conf + len, cap - len, "override %s.5.%u timeticks %u\n",
                     oid, r, r * 100u);
        break;
      }
      if (n < 0 || (size_t)n >= cap - len) {
        free(conf);
        return NULL;
      }
      len += (size_t)n;
    }
  }
  return conf;
}

/* Runs snmpbulkwalk with its output on /dev/null, or, with count, into a
 * pipe whose lines are counted into s->count. */
static int run_netsnmp(const char *agent, const char *oid, const char *reps,
                       int count, sample *s) {
  int fds[2] = {-1, -1};
  struct rusage ru;
  double t0;
  pid_t pid;
  int status;
  if (count && pipe(fds) < 0)
    return -1;
  t0 = now_ms();
  pid = fork();
  if (pid < 0)
    return -1;
  if (pid == 0) {
    int null = open("/dev/null", O_WRONLY);
    dup2(count ? fds[1] : null, 1);
    dup2(null, 2);
    if (count) {
      close(fds[0]);
      close(fds[1]);
    }
    setenv("MIBS", "", 1);
    setenv("SNMPCONFPATH", "/nonexistent", 1);
    execlp("snmpbulkwalk", "snmpbulkwalk", reps, "-On", "-v2c", "-c", "public",
           agent, oid, (char *)NULL);
    _exit(127);
  }
  s->count = 0;
  if (count) {
    char buf[65536];
    ssize_t n;
    close(fds[1]);
    while ((n = read(fds[0], buf, sizeof buf)) > 0 || (n < 0 && errno == EINTR))
      for (ssize_t i = 0; i < n; i++)
        s->count += buf[i] == '\n';
    close(fds[0]);
  }
  if (wait4(pid, &status, 0, &ru) != pid || !WIFEXITED(status) ||
      WEXITSTATUS(status) != 0)
    return -1;
  s->wall_ms = now_ms() - t0;
  s->cpu_ms = tv_ms(&ru.ru_utime) + tv_ms(&ru.ru_stime);
  return 0;
}

typedef struct walk_state {
  FILE *out; /* NULL: count only */
  uint64_t count;
  int done;
  int status;
} walk_state;

static int on_vb(usnmp_walk *w, const usnmp_varbind *vb, const usnmp_oid *name,
                 void *arg) {
  walk_state *st = arg;
  (void)w;
  (void)name;
  st->count++;
  if (st->out != NULL) {
    char line[4096];
    int n = usnmp_varbind_format(line, sizeof line - 1, vb);
    if (n > 0 && (size_t)n < sizeof line - 1) {
      line[n++] = '\n';
      fwrite(line, 1, (size_t)n, st->out);
    }
  }
  return 0;
}

static void on_done(usnmp_walk *w, const usnmp_walk_result *res, void *arg) {
  walk_state *st = arg;
  (void)w;
  st->done = 1;
  st->status = res->status;
}

/* One usnmp walk, set-up and tear-down included. */
static int run_usnmp(const char *agent, const char *oid, uint32_t reps,
                     int format, sample *s) {
  uv_loop_t loop;
  usnmp_manager *m;
  usnmp_target *t;
  usnmp_oid root;
  usnmp_walk_opts o = {0};
  walk_state st = {0};
  double t0 = now_ms(), c0 = self_cpu_ms();
  if (format) {
    st.out = fopen("/dev/null", "w");
    if (st.out == NULL)
      return -1;
  }
  if (uv_loop_init(&loop) != 0 || usnmp_manager_init(&m, &loop, NULL) != 0 ||
      usnmp_target_init(m, &t, agent) != 0 || usnmp_oid_parse(&root, oid) != 0)
    return -1;
  o.max_repetitions = reps;
  if (usnmp_walk_start(t, &root, &o, on_vb, on_done, &st, NULL) != 0)
    return -1;
  while (!st.done)
    uv_run(&loop, UV_RUN_ONCE);
  usnmp_manager_close(m, NULL, NULL);
  uv_run(&loop, UV_RUN_DEFAULT);
  uv_loop_close(&loop);
  if (st.out != NULL)
    fclose(st.out);
  s->wall_ms = now_ms() - t0;
  s->cpu_ms = self_cpu_ms() - c0;
  s->count = st.count;
  return st.status == 0 ? 0 : -1;
}

static int cmp_double(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return (x > y) - (x < y);
}

static double median(const sample *s, int n, int cpu) {
  double v[MAX_ROUNDS];
  for (int i = 0; i < n; i++)
    v[i] = cpu ? s[i].cpu_ms : s[i].wall_ms;
  qsort(v, (size_t)n, sizeof v[0], cmp_double);
  return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

int main(int argc, char **argv) {
  int rounds = 7, opt;
  unsigned rows = 10000;
  uint32_t reps = 25;
  char reps_arg[32];
  usnmp_test_snmpd agent;
  sample ns[MAX_ROUNDS], us[MAX_ROUNDS], ub[MAX_ROUNDS], start[MAX_ROUNDS];
  sample warm;
  int rc = 1;

  while ((opt = getopt(argc, argv, "r:n:R:")) != -1) {
    switch (opt) {
    case 'r':
      rounds = atoi(optarg);
      break;
    case 'n':
      rows = (unsigned)atoi(optarg);
      break;
    case 'R':
      reps = (uint32_t)atoi(optarg);
      break;
    default:
      fprintf(stderr, "usage: %s [-r ROUNDS] [-n ROWS] [-R REPETITIONS]\n",
              argv[0]);
      return 2;
    }
  }
  if (rounds < 1 || rounds > MAX_ROUNDS || rows < 1 || rows > 1000000 ||
      reps < 1) {
    fprintf(stderr, "walk: bad argument\n");
    return 2;
  }
  snprintf(reps_arg, sizeof reps_arg, "-Cr%u", reps);

  memset(&agent, 0, sizeof agent);
  agent.extra_conf = make_conf(rows);
  if (agent.extra_conf == NULL) {
    fprintf(stderr, "walk: out of memory\n");
    return 1;
  }
  {
    double t0 = now_ms();
    if (usnmp_test_snmpd_start(&agent) != 0) {
      free((char *)agent.extra_conf);
      return 1;
    }
    printf("snmpd %s with %u OIDs under %s, ready in %.0f ms\n", agent.agent4,
           rows * 5, TABLE, now_ms() - t0);
  }

  /* Warm-up, and both must see the whole table. */
  if (run_netsnmp(agent.agent4, TABLE, reps_arg, 1, &warm) != 0 ||
      warm.count != (uint64_t)rows * 5) {
    fprintf(stderr, "walk: snmpbulkwalk saw %llu OIDs, expected %u\n",
            (unsigned long long)warm.count, rows * 5);
    goto out;
  }
  if (run_usnmp(agent.agent4, TABLE, reps, 1, &warm) != 0 ||
      warm.count != (uint64_t)rows * 5) {
    fprintf(stderr, "walk: usnmp saw %llu OIDs, expected %u\n",
            (unsigned long long)warm.count, rows * 5);
    goto out;
  }

  printf("%-6s %-28s %10s %10s %8s\n", "round", "walker", "wall ms", "cpu ms",
         "OIDs");
  for (int i = 0; i < rounds; i++) {
    int ok;
    if (i % 2 == 0)
      ok = run_netsnmp(agent.agent4, TABLE, reps_arg, 0, &ns[i]) == 0 &&
           run_usnmp(agent.agent4, TABLE, reps, 1, &us[i]) == 0;
    else
      ok = run_usnmp(agent.agent4, TABLE, reps, 1, &us[i]) == 0 &&
           run_netsnmp(agent.agent4, TABLE, reps_arg, 0, &ns[i]) == 0;
    ok = ok && run_usnmp(agent.agent4, TABLE, reps, 0, &ub[i]) == 0 &&
         run_netsnmp(agent.agent4, ".1.3.6.1.2.1.1.1.0", reps_arg, 0,
                     &start[i]) == 0;
    ns[i].count = warm.count; /* counted in the warm-up */
    if (!ok || us[i].count != warm.count || ub[i].count != warm.count) {
      fprintf(stderr, "walk: round %d failed\n", i + 1);
      goto out;
    }
    printf("%-6d %-28s %10.1f %10.1f %8llu\n", i + 1, "net-snmp snmpbulkwalk",
           ns[i].wall_ms, ns[i].cpu_ms, (unsigned long long)ns[i].count);
    printf("%-6d %-28s %10.1f %10.1f %8llu\n", i + 1, "usnmp walk + format",
           us[i].wall_ms, us[i].cpu_ms, (unsigned long long)us[i].count);
    printf("%-6d %-28s %10.1f %10.1f %8llu\n", i + 1, "usnmp walk only",
           ub[i].wall_ms, ub[i].cpu_ms, (unsigned long long)ub[i].count);
    printf("%-6d %-28s %10.1f %10.1f %8s\n", i + 1, "snmpbulkwalk of 1 scalar",
           start[i].wall_ms, start[i].cpu_ms, "1");
  }
  {
    double nw = median(ns, rounds, 0), nc = median(ns, rounds, 1);
    double uw = median(us, rounds, 0), uc = median(us, rounds, 1);
    double bw = median(ub, rounds, 0), bc = median(ub, rounds, 1);
    double sw = median(start, rounds, 0), sc = median(start, rounds, 1);
    printf("\nmedians of %d rounds, %u OIDs, max-repetitions %u:\n", rounds,
           rows * 5, reps);
    printf("  net-snmp snmpbulkwalk     wall %8.1f ms  cpu %7.1f ms\n", nw, nc);
    printf("  usnmp walk + format       wall %8.1f ms  cpu %7.1f ms\n", uw, uc);
    printf("  usnmp walk only           wall %8.1f ms  cpu %7.1f ms\n", bw, bc);
    printf("  snmpbulkwalk, 1 scalar    wall %8.1f ms  cpu %7.1f ms "
           "(start-up)\n",
           sw, sc);
    printf("  usnmp/net-snmp: wall %.2f, cpu %.2f (with formatting); "
           "cpu %.2f against net-snmp minus its start-up\n",
           uw / nw, uc / nc, uc / (nc - sc));
  }
  rc = 0;
out:
  usnmp_test_snmpd_stop(&agent);
  free((char *)agent.extra_conf);
  return rc;
}
