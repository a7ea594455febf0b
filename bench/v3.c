/*
 * bench/v3: SNMPv3 authPriv GETs per second with many in flight, and the
 * client CPU each GET costs, for usnmp's async manager and net-snmp's
 * single-session async API (snmp_sess_async_send), in the same run against
 * the same net-snmp snmpd (the test suite's fixture, test/snmpd.conf's
 * users).
 *
 *   v3 [-w WINDOW] [-n COUNT] [-s SECONDS] [-c usnmp|net-snmp|both]
 *      [--fast-responder] [--runs R] [--cpu C] [--responder-cpu C]
 *
 * (-c runs one client only, for profiling.)
 *
 * snmpd does the agent's half of the cryptography on one core and bounds
 * the throughput of both clients; what the comparison is about is CPU
 * per GET in the client process (getrusage of this process: snmpd is
 * another process).  Each client first completes one GET (discovery,
 * key localisation) outside the measurement.
 *
 * --fast-responder replaces snmpd by bench/responder_v3 (batched, the same
 * users and passwords) for the v3 rows and bench/responder for the v2c
 * row, both started from next to this program on ports the kernel picks,
 * so that the client, not the agent, is the bottleneck.  --runs R repeats
 * every row R times (alternating the clients) and prints the run with the
 * least CPU per GET; --cpu pins this process to one CPU and
 * --responder-cpu the responders to another.
 */
#include <limits.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/select.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "bench_util.h"
#include "snmpd_fixture.h"
#include "usnmp.h"

#ifdef HAVE_NETSNMP
#include <net-snmp/net-snmp-config.h>
#include <net-snmp/net-snmp-includes.h>

#include "netsnmp_common.h"
#endif

#define OID_TEXT "1.3.6.1.2.1.1.1.0"

typedef struct run_result {
  uint64_t ok, failed;
  double wall_s, cpu_s, user_s;
} run_result;

static double user_s(void) {
  struct rusage ru;
  getrusage(RUSAGE_SELF, &ru);
  return (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6;
}

typedef struct user_case {
  const char *label;
  const char *user;
  usnmp_auth_proto auth;
  usnmp_priv_proto priv;
} user_case;

/* The first case (no user) is v2c with community public: the same load
 * without security, as a reference for what the network costs. */
static const user_case cases[] = {
    {"v2c (reference)", NULL, USNMP_AUTH_NONE, USNMP_PRIV_NONE},
    {"SHA / AES-128", "shaaes", USNMP_AUTH_SHA, USNMP_PRIV_AES},
    {"SHA-512 / AES-256", "sha512aes256", USNMP_AUTH_SHA512, USNMP_PRIV_AES256},
};

/* ---- usnmp ------------------------------------------------------------ */

typedef struct load {
  usnmp_target *t;
  usnmp_oid oid;
  uint64_t started, done, count;
  uint64_t ok, failed;
  double deadline;
} load;

static void on_answer(const usnmp_response *resp, void *arg);

static void issue(load *l) {
  if (l->started >= l->count || bench_now() > l->deadline)
    return;
  if (usnmp_get(l->t, &l->oid, 1, NULL, on_answer, l, NULL) == 0)
    l->started++;
}

static void on_answer(const usnmp_response *resp, void *arg) {
  load *l = arg;
  l->done++;
  if (resp->status == 0 && resp->error_status == 0 && resp->varbind_count == 1)
    l->ok++;
  else
    l->failed++;
  issue(l);
}

static int usnmp_run(const char *agent, const user_case *uc, uint32_t window,
                     uint64_t count, double seconds, run_result *out) {
  uv_loop_t loop;
  usnmp_manager *m;
  load l;
  uint32_t i;
  double t0, c0, u0;

  memset(&l, 0, sizeof(l));
  if (uv_loop_init(&loop) != 0 || usnmp_manager_init(&m, &loop, NULL) != 0 ||
      usnmp_target_init(m, &l.t, agent) != 0 ||
      (uc->user != NULL &&
       usnmp_target_set_v3_user(l.t, uc->user, uc->auth,
                                USNMP_TEST_SNMPD_AUTH_PASS, uc->priv,
                                USNMP_TEST_SNMPD_PRIV_PASS) != 0) ||
      usnmp_target_set_max_inflight(l.t, 0) != 0)
    return -1;
  usnmp_oid_parse(&l.oid, OID_TEXT);
  /* Warm-up: discovery and key localisation. */
  l.count = 1;
  l.deadline = bench_now() + 10;
  issue(&l);
  while (l.done < 1)
    uv_run(&loop, UV_RUN_ONCE);
  if (l.ok != 1) {
    fprintf(stderr, "usnmp: warm-up GET failed\n");
    return -1;
  }
  l.started = l.done = l.ok = l.failed = 0;
  l.count = count;
  t0 = bench_now();
  c0 = bench_cpu();
  u0 = user_s();
  l.deadline = t0 + seconds;
  for (i = 0; i < window; i++)
    issue(&l);
  while (l.done < l.started)
    uv_run(&loop, UV_RUN_ONCE);
  out->wall_s = bench_now() - t0;
  out->cpu_s = bench_cpu() - c0;
  out->user_s = user_s() - u0;
  out->ok = l.ok;
  out->failed = l.failed;
  usnmp_manager_close(m, NULL, NULL);
  uv_run(&loop, UV_RUN_DEFAULT);
  uv_loop_close(&loop);
  return 0;
}

/* ---- net-snmp --------------------------------------------------------- */

#ifdef HAVE_NETSNMP
typedef struct nload {
  uint64_t done, ok, failed, to_send;
} nload;

static int n_on_response(int op, netsnmp_session *session, int reqid,
                         netsnmp_pdu *pdu, void *magic) {
  nload *l = magic;
  (void)session;
  (void)reqid;
  if (op == NETSNMP_CALLBACK_OP_RESEND)
    return 1;
  l->done++;
  l->to_send++;
  if (op == NETSNMP_CALLBACK_OP_RECEIVED_MESSAGE && pdu != NULL &&
      pdu->errstat == SNMP_ERR_NOERROR && pdu->variables != NULL)
    l->ok++;
  else
    l->failed++;
  return 1;
}

/* Runs the select loop until every started request completed. */
static void n_pump(void *sessp, const oid *name, size_t name_len, nload *l,
                   uint64_t *started, uint64_t count, double deadline) {
  for (;;) {
    while (l->to_send > 0 && *started < count && bench_now() < deadline) {
      l->to_send--;
      if (bench_netsnmp_send_get(sessp, name, name_len, n_on_response, l) !=
          0) {
        l->failed++;
        l->done++;
      }
      (*started)++;
    }
    l->to_send = 0;
    if (l->done >= *started)
      return;
    bench_netsnmp_wait(sessp);
  }
}

static int netsnmp_run(const char *agent, const user_case *uc, uint32_t window,
                       uint64_t count, double seconds, run_result *out) {
  netsnmp_session s;
  nload l = {0, 0, 0, 0};
  oid name[MAX_OID_LEN];
  size_t name_len = MAX_OID_LEN;
  uint64_t started = 0;
  void *sessp;
  double t0, c0, u0;

  if (read_objid(OID_TEXT, name, &name_len) == 0)
    return -1;
  snmp_sess_init(&s);
  s.peername = (char *)agent;
  if (uc->user == NULL) {
    s.version = SNMP_VERSION_2c;
    s.community = (u_char *)"public";
    s.community_len = strlen("public");
    goto open;
  }
  s.version = SNMP_VERSION_3;
  s.securityName = (char *)uc->user;
  s.securityNameLen = strlen(uc->user);
  s.securityLevel = SNMP_SEC_LEVEL_AUTHPRIV;
  if (uc->auth == USNMP_AUTH_SHA) {
    s.securityAuthProto = usmHMACSHA1AuthProtocol;
    s.securityAuthProtoLen = OID_LENGTH(usmHMACSHA1AuthProtocol);
  } else {
    s.securityAuthProto = usmHMAC384SHA512AuthProtocol;
    s.securityAuthProtoLen = OID_LENGTH(usmHMAC384SHA512AuthProtocol);
  }
  if (uc->priv == USNMP_PRIV_AES) {
    s.securityPrivProto = usmAESPrivProtocol;
    s.securityPrivProtoLen = OID_LENGTH(usmAESPrivProtocol);
  } else {
    s.securityPrivProto = usmAES256PrivProtocol;
    s.securityPrivProtoLen = OID_LENGTH(usmAES256PrivProtocol);
  }
  s.securityAuthKeyLen = USM_AUTH_KU_LEN;
  s.securityPrivKeyLen = USM_PRIV_KU_LEN;
  if (generate_Ku(s.securityAuthProto, (u_int)s.securityAuthProtoLen,
                  (const u_char *)USNMP_TEST_SNMPD_AUTH_PASS,
                  strlen(USNMP_TEST_SNMPD_AUTH_PASS), s.securityAuthKey,
                  &s.securityAuthKeyLen) != SNMPERR_SUCCESS ||
      generate_Ku(s.securityAuthProto, (u_int)s.securityAuthProtoLen,
                  (const u_char *)USNMP_TEST_SNMPD_PRIV_PASS,
                  strlen(USNMP_TEST_SNMPD_PRIV_PASS), s.securityPrivKey,
                  &s.securityPrivKeyLen) != SNMPERR_SUCCESS) {
    fprintf(stderr, "net-snmp: generate_Ku failed\n");
    return -1;
  }
open:
  sessp = snmp_sess_open(&s);
  if (sessp == NULL) {
    snmp_perror("net-snmp: snmp_sess_open");
    return -1;
  }
  /* Warm-up: discovery happens on the first request. */
  l.to_send = 1;
  n_pump(sessp, name, name_len, &l, &started, 1, bench_now() + 10);
  if (l.ok != 1) {
    fprintf(stderr, "net-snmp: warm-up GET failed\n");
    snmp_sess_close(sessp);
    return -1;
  }
  memset(&l, 0, sizeof(l));
  started = 0;
  l.to_send = window;
  t0 = bench_now();
  c0 = bench_cpu();
  u0 = user_s();
  n_pump(sessp, name, name_len, &l, &started, count, t0 + seconds);
  out->wall_s = bench_now() - t0;
  out->cpu_s = bench_cpu() - c0;
  out->user_s = user_s() - u0;
  out->ok = l.ok;
  out->failed = l.failed;
  snmp_sess_close(sessp);
  return 0;
}
#endif

static void print_row(const char *who, const char *label, uint32_t window,
                      const run_result *r) {
  uint64_t n = r->ok + r->failed;
  printf("| %-8s | %-17s | %4u | %8.0f | %7.2f | %7.2f | %6llu | %6llu |\n",
         who, label, window, r->wall_s > 0 ? (double)n / r->wall_s : 0.0,
         n ? r->cpu_s * 1e6 / (double)n : 0.0,
         n ? r->user_s * 1e6 / (double)n : 0.0, (unsigned long long)r->ok,
         (unsigned long long)r->failed);
}

/* ---- the fast responders ---------------------------------------------- */

/* Writes the path of the program `name` next to this one into out.
 * Returns 0, or -1 when /proc/self/exe cannot be read. */
static int sibling_path(char *out, size_t size, const char *name) {
  ssize_t n;
  char *slash;

  if (size < 2)
    return -1;
  n = readlink("/proc/self/exe", out, size - 1);
  if (n <= 0)
    return -1;
  out[n] = '\0';
  slash = strrchr(out, '/');
  if (slash == NULL || (size_t)(slash + 1 - out) + strlen(name) + 1 > size)
    return -1;
  strcpy(slash + 1, name);
  return 0;
}

static double cpu_per_get(const run_result *r) {
  uint64_t n = r->ok + r->failed;
  return n ? r->cpu_s / (double)n : 0.0;
}

/* Keeps in *best the run with the least CPU per GET that did any GET. */
static void keep_best(run_result *best, const run_result *r, int first) {
  if (r->ok + r->failed == 0)
    return;
  if (first || best->ok + best->failed == 0 ||
      cpu_per_get(r) < cpu_per_get(best))
    *best = *r;
}

static void usage(void) {
  fprintf(stderr, "usage: v3 [-w WINDOW 1..4096] [-n COUNT] "
                  "[-s SECONDS <= 120] [-c usnmp|net-snmp|both]\n"
                  "          [--fast-responder] [--runs 1..10] [--cpu C] "
                  "[--responder-cpu C]\n");
}

int main(int argc, char **argv) {
  usnmp_test_snmpd agent;
  bench_child fast_v2 = {0, 0}, fast_v3 = {0, 0};
  char agent_v2[64], agent_v3[64];
  uint32_t window = 32;
  uint64_t count = 20000;
  double seconds = 10;
  const char *clients = "both";
  const char *responder_cpu = NULL;
  int want_usnmp, want_netsnmp, fast = 0, runs = 1, cpu = -1, rc = 0;
  size_t i;
  int k, run;

  for (k = 1; k < argc; k++) {
    if (strcmp(argv[k], "--fast-responder") == 0) {
      fast = 1;
      continue;
    }
    if (k + 1 >= argc) {
      usage();
      return 2;
    }
    if (strcmp(argv[k], "-w") == 0)
      window = (uint32_t)strtoul(argv[k + 1], NULL, 10);
    else if (strcmp(argv[k], "-n") == 0)
      count = strtoull(argv[k + 1], NULL, 10);
    else if (strcmp(argv[k], "-s") == 0)
      seconds = strtod(argv[k + 1], NULL);
    else if (strcmp(argv[k], "-c") == 0)
      clients = argv[k + 1];
    else if (strcmp(argv[k], "--runs") == 0)
      runs = atoi(argv[k + 1]);
    else if (strcmp(argv[k], "--cpu") == 0)
      cpu = atoi(argv[k + 1]);
    else if (strcmp(argv[k], "--responder-cpu") == 0)
      responder_cpu = argv[k + 1];
    else {
      usage();
      return 2;
    }
    k++;
  }
  want_usnmp = strcmp(clients, "net-snmp") != 0;
  want_netsnmp = strcmp(clients, "usnmp") != 0;
#ifndef HAVE_NETSNMP
  (void)want_netsnmp; /* built without libsnmp-dev: usnmp only */
#endif
  if (window == 0 || window > 4096 || count == 0 || seconds <= 0 ||
      seconds > 120 || runs < 1 || runs > 10) {
    usage();
    return 2;
  }
  bench_pin_cpu(cpu, "v3");
  memset(&agent, 0, sizeof(agent));
  if (fast) {
    /* The responders must outlive every run (each bounded by -s, plus its
     * warm-up): bound them generously, stop them explicitly at the end. */
    char path[PATH_MAX], secs[32];
    const char *args[8] = {"--seconds", secs, NULL, NULL, NULL};
    double bound = (double)runs * 6 * (seconds + 10) + 30;
    snprintf(secs, sizeof secs, "%.0f", bound < 3600 ? bound : 3600);
    if (responder_cpu != NULL) {
      args[2] = "--cpu";
      args[3] = responder_cpu;
    }
    signal(SIGPIPE, SIG_IGN);
    if (sibling_path(path, sizeof path, "responder") != 0 ||
        bench_child_start(&fast_v2, path, args) != 0)
      return 1;
    if (sibling_path(path, sizeof path, "responder_v3") != 0 ||
        bench_child_start(&fast_v3, path, args) != 0) {
      bench_child_stop(&fast_v2);
      return 1;
    }
    snprintf(agent_v2, sizeof agent_v2, "127.0.0.1:%d", fast_v2.port);
    snprintf(agent_v3, sizeof agent_v3, "127.0.0.1:%d", fast_v3.port);
  } else {
    if (usnmp_test_snmpd_start(&agent) != 0)
      return 1;
  }
#ifdef HAVE_NETSNMP
  setenv("MIBS", "", 1);
  netsnmp_ds_set_boolean(NETSNMP_DS_LIBRARY_ID,
                         NETSNMP_DS_LIB_DONT_READ_CONFIGS, 1);
  netsnmp_ds_set_boolean(NETSNMP_DS_LIBRARY_ID,
                         NETSNMP_DS_LIB_DISABLE_PERSISTENT_LOAD, 1);
  netsnmp_ds_set_boolean(NETSNMP_DS_LIBRARY_ID,
                         NETSNMP_DS_LIB_DONT_PERSIST_STATE, 1);
  init_snmp("usnmp-bench-v3");
#endif
  printf("GET of %s against %s, %u in flight, up to %llu GETs or %.0f s "
         "per run, best of %d\n\n",
         OID_TEXT, fast ? "bench/responder_v3 (v2c: bench/responder)" : "snmpd",
         window, (unsigned long long)count, seconds, runs);
  printf("| client   | auth / priv       |    W |   GETs/s | µs CPU/GET "
         "| of which user |     ok | failed |\n");
  printf("|----------|-------------------|-----:|---------:|--------:|"
         "--------:|-------:|-------:|\n");
  for (i = 0; i < sizeof(cases) / sizeof(cases[0]) && rc == 0; i++) {
    const char *where =
        fast ? (cases[i].user != NULL ? agent_v3 : agent_v2) : agent.agent4;
    run_result u = {0, 0, 0, 0, 0};
#ifdef HAVE_NETSNMP
    run_result n = {0, 0, 0, 0, 0};
    char peer[80];
    snprintf(peer, sizeof(peer), "udp:%s", where);
#endif
    for (run = 0; run < runs && rc == 0; run++) {
      if (want_usnmp) {
        run_result r = {0, 0, 0, 0, 0};
        if (usnmp_run(where, &cases[i], window, count, seconds, &r) != 0)
          rc = 1;
        else
          keep_best(&u, &r, run == 0);
      }
#ifdef HAVE_NETSNMP
      if (want_netsnmp && rc == 0) {
        run_result r = {0, 0, 0, 0, 0};
        if (netsnmp_run(peer, &cases[i], window, count, seconds, &r) != 0)
          rc = 1;
        else
          keep_best(&n, &r, run == 0);
      }
#endif
    }
    if (rc != 0)
      break;
    if (want_usnmp)
      print_row("usnmp", cases[i].label, window, &u);
#ifdef HAVE_NETSNMP
    if (want_netsnmp) {
      print_row("net-snmp", cases[i].label, window, &n);
      if (want_usnmp && cpu_per_get(&n) > 0 && cpu_per_get(&u) > 0)
        printf("|          | usnmp / net-snmp  |      |          |   x%.2f "
               "|         |        |        |\n",
               cpu_per_get(&u) / cpu_per_get(&n));
    }
#endif
    fflush(stdout);
  }
  if (fast) {
    bench_child_stop(&fast_v2);
    bench_child_stop(&fast_v3);
  } else {
    usnmp_test_snmpd_stop(&agent);
  }
  return rc;
}
