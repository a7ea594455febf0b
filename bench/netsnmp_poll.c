/*
 * The net-snmp side of bench/poll: the same closed-loop GET load through
 * net-snmp's single-session async API, as a net-snmp daemon would run it.
 *
 * One session (one socket); snmp_sess_async_send() queues each GET; the
 * loop waits in select() on what snmp_sess_select_info() reports and calls
 * snmp_sess_read() or snmp_sess_timeout().  The completion callback only
 * counts: new requests are sent from the loop, after snmp_sess_read()
 * returns, so the benchmark never depends on whether net-snmp tolerates a
 * send from inside its own dispatch.  Session defaults are net-snmp's own
 * (1 s timeout, 5 retries, default socket buffers), which is what the
 * comparison is about.
 */
#include "poll_common.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/select.h>

#include <net-snmp/net-snmp-config.h>
#include <net-snmp/net-snmp-includes.h>

#include "netsnmp_common.h"

typedef struct netsnmp_load {
  uint64_t done, ok, failed, timeouts, resent, to_send;
} netsnmp_load;

static int on_response(int op, netsnmp_session *session, int reqid,
                       netsnmp_pdu *pdu, void *magic) {
  netsnmp_load *load = magic;
  (void)session;
  (void)reqid;
  /* net-snmp also calls with RESEND when it retransmits: the request is
   * still pending then. */
  if (op == NETSNMP_CALLBACK_OP_RESEND) {
    load->resent++;
    return 1;
  }
  load->done++;
  load->to_send++;
  if (op == NETSNMP_CALLBACK_OP_RECEIVED_MESSAGE && pdu != NULL &&
      pdu->errstat == SNMP_ERR_NOERROR && pdu->variables != NULL &&
      pdu->variables->next_variable == NULL)
    load->ok++;
  else
    load->failed++;
  if (op == NETSNMP_CALLBACK_OP_TIMED_OUT)
    load->timeouts++;
  return 1;
}

/* net-snmp reads configuration and MIB files and keeps persistent state
 * unless told not to; the benchmark wants none of it. */
void bench_netsnmp_init(void) {
  setenv("MIBS", "", 1);
  netsnmp_ds_set_boolean(NETSNMP_DS_LIBRARY_ID,
                         NETSNMP_DS_LIB_DONT_READ_CONFIGS, 1);
  netsnmp_ds_set_boolean(NETSNMP_DS_LIBRARY_ID,
                         NETSNMP_DS_LIB_DISABLE_PERSISTENT_LOAD, 1);
  netsnmp_ds_set_boolean(NETSNMP_DS_LIBRARY_ID,
                         NETSNMP_DS_LIB_DONT_PERSIST_STATE, 1);
  init_snmp("usnmp-bench");
}

int bench_netsnmp_run(const char *agent, const char *oid_text, uint32_t window,
                      uint64_t count, double seconds, bench_result *out) {
  netsnmp_session session;
  netsnmp_load load = {0, 0, 0, 0, 0, 0};
  oid name[MAX_OID_LEN];
  size_t name_len = MAX_OID_LEN;
  uint64_t started = 0;
  double t0, cpu0, deadline;
  void *sessp;
  int stop = 0;

  if (read_objid(oid_text, name, &name_len) == 0) {
    fprintf(stderr, "net-snmp: cannot parse %s\n", oid_text);
    return -1;
  }
  snmp_sess_init(&session);
  session.peername = (char *)agent;
  session.version = SNMP_VERSION_2c;
  session.community = (u_char *)"public";
  session.community_len = strlen("public");
  sessp = snmp_sess_open(&session);
  if (sessp == NULL) {
    snmp_perror("net-snmp: snmp_sess_open");
    return -1;
  }

  t0 = bench_now();
  cpu0 = bench_cpu();
  deadline = t0 + seconds;
  load.to_send = window;
  for (;;) {
    /* Replace every completed request while the count and time allow. */
    while (load.to_send > 0 && !stop && started < count) {
      load.to_send--;
      if (bench_netsnmp_send_get(sessp, name, name_len, on_response, &load) !=
          0) {
        load.failed++;
        load.done++;
      }
      started++;
    }
    load.to_send = 0;
    if (load.done >= started)
      break;
    if (bench_now() > deadline)
      stop = 1;
    bench_netsnmp_wait(sessp);
  }
  out->wall_s = bench_now() - t0;
  out->cpu_s = bench_cpu() - cpu0;
  out->done = load.done;
  out->ok = load.ok;
  out->failed = load.failed;
  out->timeouts = load.timeouts;
  out->resent = load.resent;
  out->live_bytes = 0;
  snmp_sess_close(sessp);
  return 0;
}
