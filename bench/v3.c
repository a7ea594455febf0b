/*
 * bench/v3: SNMPv3 authPriv GETs per second with many in flight, and the
 * client CPU each GET costs, for usnmp's async manager and net-snmp's
 * single-session async API (snmp_sess_async_send), in the same run against
 * the same net-snmp snmpd (the test suite's fixture, test/snmpd.conf's
 * users).
 *
 *   v3 [-w WINDOW] [-n COUNT] [-s SECONDS] [-c usnmp|net-snmp|both]
 *
 * (-c runs one client only, for profiling.)
 *
 * snmpd does the agent's half of the cryptography on one core and bounds
 * the throughput of both clients; what the comparison is about is CPU
 * per GET in the client process (getrusage of this process: snmpd is
 * another process).  Each client first completes one GET (discovery,
 * key localisation) outside the measurement.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/select.h>
#include <time.h>

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

static double now_s(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static double user_s(void) {
  struct rusage ru;
  getrusage(RUSAGE_SELF, &ru);
  return (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6;
}

static double cpu_s(void) {
  struct rusage ru;
  getrusage(RUSAGE_SELF, &ru);
  return (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6 +
         (double)ru.ru_stime.tv_sec + (double)ru.ru_stime.tv_usec / 1e6;
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
    {"SHA-512 / AES-256", "sha512aes256", USNMP_AUTH_SHA512,
     USNMP_PRIV_AES256},
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
  if (l->started >= l->count || now_s() > l->deadline)
    return;
  if (usnmp_get(l->t, &l->oid, 1, NULL, on_answer, l, NULL) == 0)
    l->started++;
}

static void on_answer(const usnmp_response *resp, void *arg) {
  load *l = arg;
  l->done++;
  if (resp->status == 0 && resp->error_status == 0 &&
      resp->varbind_count == 1)
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
  if (uv_loop_init(&loop) != 0 || usnmp_manager_new(&m, &loop, NULL) != 0 ||
      usnmp_target_new(m, &l.t, agent) != 0 ||
      (uc->user != NULL &&
       usnmp_target_set_v3_user(l.t, uc->user, uc->auth,
                                USNMP_TEST_SNMPD_AUTH_PASS, uc->priv,
                                USNMP_TEST_SNMPD_PRIV_PASS) != 0) ||
      usnmp_target_set_max_inflight(l.t, 0) != 0)
    return -1;
  usnmp_oid_parse(&l.oid, OID_TEXT);
  /* Warm-up: discovery and key localisation. */
  l.count = 1;
  l.deadline = now_s() + 10;
  issue(&l);
  while (l.done < 1)
    uv_run(&loop, UV_RUN_ONCE);
  if (l.ok != 1) {
    fprintf(stderr, "usnmp: warm-up GET failed\n");
    return -1;
  }
  l.started = l.done = l.ok = l.failed = 0;
  l.count = count;
  t0 = now_s();
  c0 = cpu_s();
  u0 = user_s();
  l.deadline = t0 + seconds;
  for (i = 0; i < window; i++)
    issue(&l);
  while (l.done < l.started)
    uv_run(&loop, UV_RUN_ONCE);
  out->wall_s = now_s() - t0;
  out->cpu_s = cpu_s() - c0;
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
    while (l->to_send > 0 && *started < count && now_s() < deadline) {
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

static int netsnmp_run(const char *agent, const user_case *uc,
                       uint32_t window, uint64_t count, double seconds,
                       run_result *out) {
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
  n_pump(sessp, name, name_len, &l, &started, 1, now_s() + 10);
  if (l.ok != 1) {
    fprintf(stderr, "net-snmp: warm-up GET failed\n");
    snmp_sess_close(sessp);
    return -1;
  }
  memset(&l, 0, sizeof(l));
  started = 0;
  l.to_send = window;
  t0 = now_s();
  c0 = cpu_s();
  u0 = user_s();
  n_pump(sessp, name, name_len, &l, &started, count, t0 + seconds);
  out->wall_s = now_s() - t0;
  out->cpu_s = cpu_s() - c0;
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

int main(int argc, char **argv) {
  usnmp_test_snmpd agent;
  uint32_t window = 32;
  uint64_t count = 20000;
  double seconds = 10;
  const char *clients = "both";
  int want_usnmp, want_netsnmp;
  size_t i;
  int k;

  for (k = 1; k + 1 < argc; k += 2) {
    if (strcmp(argv[k], "-w") == 0)
      window = (uint32_t)strtoul(argv[k + 1], NULL, 10);
    else if (strcmp(argv[k], "-n") == 0)
      count = strtoull(argv[k + 1], NULL, 10);
    else if (strcmp(argv[k], "-s") == 0)
      seconds = strtod(argv[k + 1], NULL);
    else if (strcmp(argv[k], "-c") == 0)
      clients = argv[k + 1];
  }
  want_usnmp = strcmp(clients, "net-snmp") != 0;
  want_netsnmp = strcmp(clients, "usnmp") != 0;
#ifndef HAVE_NETSNMP
  (void)want_netsnmp; /* built without libsnmp-dev: usnmp only */
#endif
  if (window == 0 || window > 4096 || count == 0 || seconds <= 0 ||
      seconds > 120) {
    fprintf(stderr, "usage: v3 [-w WINDOW 1..4096] [-n COUNT] "
                    "[-s SECONDS <= 120]\n");
    return 2;
  }
  memset(&agent, 0, sizeof(agent));
  if (usnmp_test_snmpd_start(&agent) != 0)
    return 1;
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
  printf("GET of %s, %u in flight, up to %llu GETs or %.0f s per "
         "run\n\n",
         OID_TEXT, window, (unsigned long long)count, seconds);
  printf("| client   | auth / priv       |    W |   GETs/s | µs CPU/GET "
         "| of which user |     ok | failed |\n");
  printf("|----------|-------------------|-----:|---------:|--------:|"
         "--------:|-------:|-------:|\n");
  for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
    run_result u = {0, 0, 0, 0, 0};
    if (want_usnmp) {
      if (usnmp_run(agent.agent4, &cases[i], window, count, seconds, &u) !=
          0) {
        usnmp_test_snmpd_stop(&agent);
        return 1;
      }
      print_row("usnmp", cases[i].label, window, &u);
    }
#ifdef HAVE_NETSNMP
    if (want_netsnmp) {
      run_result n = {0, 0, 0, 0, 0};
      char peer[80];
      snprintf(peer, sizeof(peer), "udp:%s", agent.agent4);
      if (netsnmp_run(peer, &cases[i], window, count, seconds, &n) != 0) {
        usnmp_test_snmpd_stop(&agent);
        return 1;
      }
      print_row("net-snmp", cases[i].label, window, &n);
      if (n.ok + n.failed > 0 && u.ok + u.failed > 0 && n.cpu_s > 0)
        printf("|          | usnmp / net-snmp  |      |          |   x%.2f "
               "|         |        |        |\n",
               (u.cpu_s / (double)(u.ok + u.failed)) /
                   (n.cpu_s / (double)(n.ok + n.failed)));
    }
#endif
  }
  usnmp_test_snmpd_stop(&agent);
  return 0;
}
