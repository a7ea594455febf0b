/*
 * What bench/netsnmp_poll.c and bench/v3.c share to drive net-snmp's
 * single-session async API: sending one GET and one wait of the
 * snmp_sess_select_info / select / snmp_sess_read loop.  Include it after
 * net-snmp's own headers.
 */
#ifndef USNMP_BENCH_NETSNMP_COMMON_H
#define USNMP_BENCH_NETSNMP_COMMON_H

#include <stddef.h>
#include <sys/select.h>

/* Sends a GET of name on sessp with cb(magic) as its callback; returns 0,
 * or -1 when net-snmp refused it (the PDU is freed then). */
static inline int bench_netsnmp_send_get(void *sessp, const oid *name,
                                         size_t name_len, netsnmp_callback cb,
                                         void *magic) {
  netsnmp_pdu *pdu = snmp_pdu_create(SNMP_MSG_GET);
  if (pdu == NULL)
    return -1;
  snmp_add_null_var(pdu, name, name_len);
  if (snmp_sess_async_send(sessp, pdu, cb, magic) == 0) {
    snmp_free_pdu(pdu);
    return -1;
  }
  return 0;
}

/* Waits at most a second (or until net-snmp's next resend is due) for
 * sessp's socket, then lets net-snmp read what came or handle its
 * timeouts; the callbacks of completed requests run inside. */
static inline void bench_netsnmp_wait(void *sessp) {
  fd_set fds;
  struct timeval tv = {1, 0};
  int numfds = 0, block = 0, r;
  FD_ZERO(&fds);
  snmp_sess_select_info(sessp, &numfds, &fds, &tv, &block);
  r = select(numfds, &fds, NULL, NULL, block ? NULL : &tv);
  if (r > 0)
    snmp_sess_read(sessp, &fds);
  else if (r == 0)
    snmp_sess_timeout(sessp);
}

#endif /* USNMP_BENCH_NETSNMP_COMMON_H */
