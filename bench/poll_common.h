/*
 * What bench/poll.c and bench/netsnmp_poll.c share: the result of one
 * closed-loop run (W requests in flight, every completion starts the next
 * one) and the entry point of the net-snmp run.
 */
#ifndef USNMP_BENCH_POLL_COMMON_H
#define USNMP_BENCH_POLL_COMMON_H

#include <stdint.h>

#include "bench_util.h"

typedef struct bench_result {
  uint64_t done;       /* completed requests (answers, errors, timeouts) */
  uint64_t ok;         /* answered with error-status 0 and one varbind */
  uint64_t failed;     /* everything else: timeouts, errors, send failures */
  double wall_s;       /* first send to last completion */
  double cpu_s;        /* user + system time of this process meanwhile */
  uint64_t timeouts;   /* of the failed, those that timed out */
  uint64_t resent;     /* resends, when the library tells */
  uint64_t live_bytes; /* allocator: live bytes at the peak, minus the idle
                          manager and target (usnmp only) */
} bench_result;

/* Initialises net-snmp's library once per process, with no configuration
 * files, MIBs or persistent state. */
void bench_netsnmp_init(void);

/* Runs `count` GETs of `oid_text` against agent ("udp:127.0.0.1:PORT")
 * through net-snmp's single-session async API (snmp_sess_async_send and
 * the snmp_sess_select_info / snmp_sess_read loop), keeping `window`
 * requests outstanding, for at most `seconds`.  Returns 0 and fills *out,
 * or -1 after printing why. */
int bench_netsnmp_run(const char *agent, const char *oid_text, uint32_t window,
                      uint64_t count, double seconds, bench_result *out);

#endif /* USNMP_BENCH_POLL_COMMON_H */
