/*
 * responder_v3: a fast SNMPv3 (USM) GetRequest responder for bench/v3.
 *
 * net-snmp's snmpd answers about 40,000 authPriv GETs per second on this
 * machine and sends its replies one datagram at a time, so a client
 * measured against it pays mostly for waking up on single replies.  This
 * responder reads requests in batches with recvmmsg(), answers the whole
 * batch with one sendmmsg(), and does only what a v3 agent must:
 *
 *   - engine discovery: a reportable noAuthNoPriv request (an empty user
 *     and engine ID, RFC 3414 4) gets an unknownEngineID Report
 *     (usmStatsUnknownEngineIDs.0) carrying our engine ID, boots and time;
 *   - a GetRequest (or GetNext) from one of two users, at authPriv, is
 *     authenticated, decrypted, and answered with a Response holding every
 *     requested name with a fixed OCTET STRING value, encrypted and
 *     authenticated with the same user's keys;
 *   - an authenticated request outside the time window (RFC 3414 3.2.7)
 *     gets an authenticated notInTimeWindow Report with our boots and time,
 *     so a client whose notion of our clock is off re-synchronises.
 *
 * Everything else is dropped.  The users are test/snmpd.conf's `shaaes`
 * (SHA / AES-128) and `sha512aes256` (SHA-512 / AES-256) with its
 * passwords, so the same client settings work against snmpd and here.
 *
 * Unlike bench/responder (v1/v2c, no usnmp code on purpose), the message
 * processing here is usnmp's own (lib/msg3.c, lib/usm.c): writing a second
 * USM would be a large amount of cryptographic code for a benchmark peer,
 * and interoperability with net-snmp's client (snmpget, bench/v3) keeps
 * it honest: a bug shared by both usnmp ends would show there.
 *
 * The bound port is printed on stdout as "port N" once the socket is ready.
 * The responder always ends by itself: after --seconds (default 60) or
 * --max-packets, or on SIGTERM/SIGINT.  Loopback addresses only.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <netinet/in.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include "bench_util.h"

#include "usm.h"
#include "usnmp.h"

enum {
  BATCH_MAX = 256,   /* datagrams per recvmmsg / sendmmsg */
  DGRAM_MAX = 4096,  /* larger requests are dropped */
  VARBINDS_MAX = 64, /* larger requests are dropped */
  REPLY_MAX = 8192,  /* a reply adds a short value per varbind */
  N_USERS = 2
};

/* Our snmpEngineID: enterprise 8072 (net-snmp's, as snmpd's default IDs
 * use), format 4 (text), "usnmpbench". */
static const uint8_t engine_id[] = {0x80, 0x00, 0x1f, 0x88, 0x04, 'u', 's', 'n',
                                    'm',  'p',  'b',  'e',  'n',  'c', 'h'};
/* usmStatsUnknownEngineIDs.0 and usmStatsNotInTimeWindows.0 (RFC 3414),
 * BER content octets. */
static const uint8_t oid_unknown_engine[] = {0x2b, 0x06, 0x01, 0x06, 0x03,
                                             0x0f, 0x01, 0x01, 0x04, 0x00};
static const uint8_t oid_not_in_time[] = {0x2b, 0x06, 0x01, 0x06, 0x03,
                                          0x0f, 0x01, 0x01, 0x02, 0x00};
static const char value_text[] = "bnch";

/* The engine's boots; its time counts seconds from the start, beginning
 * at TIME_BASE so it is never 0 (which some clients treat as unknown). */
#define ENGINE_BOOTS 1u
#define TIME_BASE 1000u

typedef struct user_def {
  const char *name;
  usnmp_auth_proto auth;
  usnmp_priv_proto priv;
} user_def;

static const user_def user_defs[N_USERS] = {
    {"shaaes", USNMP_AUTH_SHA, USNMP_PRIV_AES},
    {"sha512aes256", USNMP_AUTH_SHA512, USNMP_PRIV_AES256},
};
/* test/snmpd.conf's passwords for every user. */
#define AUTH_PASS "authpass123"
#define PRIV_PASS "privpass123"

/* What the responder keeps: the crypto object, one USM state per user
 * (the "target" struct serves the agent side too: our engine ID, the
 * user's localised keys, our boots and time, the salt counter), one
 * unauthenticated state for Reports, and counters. */
typedef struct responder {
  usnmp__crypto *crypto;
  usnmp__usm_target users[N_USERS];
  usnmp__usm_target anon;
  uint64_t start_ms;
  unsigned long long discoveries, answers, time_reports, dropped;
} responder;

static uint64_t now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

static int is_loopback(struct in_addr a) {
  return (ntohl(a.s_addr) >> 24) == 127;
}

/* Sets up the crypto object and the users' keys at our engine ID.
 * Returns 0 or a USNMP_E_* code. */
static int responder_init(responder *r) {
  size_t i;
  int rc;

  memset(r, 0, sizeof(*r));
  rc = usnmp__crypto_new(&r->crypto, NULL);
  if (rc < 0)
    return rc;
  r->start_ms = now_ms();
  for (i = 0; i < N_USERS; i++) {
    usnmp__usm_target *t = &r->users[i];
    rc = usnmp__usm_target_init(r->crypto, t);
    if (rc == 0)
      rc = usnmp__usm_target_set_user(r->crypto, t, user_defs[i].name,
                                      user_defs[i].auth, AUTH_PASS,
                                      user_defs[i].priv, PRIV_PASS);
    if (rc == 0)
      rc = usnmp__usm_target_set_engine(r->crypto, t, engine_id,
                                        sizeof(engine_id), 1);
    if (rc < 0)
      return rc;
    /* As the authoritative engine, our own boots and time are what the
     * encoder's estimate returns: synced at the start, advancing with the
     * monotonic clock. */
    usnmp__usm_target_resync(t, ENGINE_BOOTS, TIME_BASE, r->start_ms, 1);
  }
  rc = usnmp__usm_target_init(r->crypto, &r->anon);
  if (rc == 0)
    rc = usnmp__usm_target_set_engine(r->crypto, &r->anon, engine_id,
                                      sizeof(engine_id), 1);
  if (rc < 0)
    return rc;
  usnmp__usm_target_resync(&r->anon, ENGINE_BOOTS, TIME_BASE, r->start_ms, 1);
  return 0;
}

static void responder_free(responder *r) {
  size_t i;
  for (i = 0; i < N_USERS; i++)
    usnmp__usm_target_wipe(&r->users[i]);
  usnmp__usm_target_wipe(&r->anon);
  usnmp__crypto_free(r->crypto);
}

/* Encodes a Report whose one varbind is the usmStats counter `oid` from
 * state t (r->anon for unauthenticated reports, a user's state for an
 * authenticated one at authNoPriv).  Returns the length or a USNMP_E_*
 * code. */
static int encode_report(responder *r, usnmp__usm_target *t, uint64_t now,
                         const usnmp__msg3 *req, const uint8_t *oid,
                         size_t oid_len, uint32_t count, uint8_t *out,
                         size_t size) {
  usnmp_msg pdu;
  usnmp_varbind vb;

  memset(&pdu, 0, sizeof(pdu));
  pdu.version = USNMP_VERSION_3;
  pdu.type = USNMP_PDU_REPORT;
  pdu.request_id = req->pdu.request_id;
  vb.oid = oid;
  vb.oid_len = oid_len;
  vb.value = usnmp_value_counter32(count);
  return usnmp__msg3_encode(r->crypto, t, now, req->msg_id,
                            USNMP__MSG3_MAX_SIZE_DEFAULT, &pdu, &vb, 1, out,
                            size);
}

/* Answers one datagram into out.  Returns the reply's length, or 0 to
 * send nothing. */
static size_t answer(responder *r, const uint8_t *in, size_t in_len,
                     uint8_t *out, size_t size) {
  static uint8_t scratch[DGRAM_MAX];
  usnmp_varbind vbs[VARBINDS_MAX];
  usnmp__usm_target *t = NULL;
  uint64_t now = now_ms();
  usnmp__msg3 m;
  size_t n_vbs = 0, i;
  usnmp_msg pdu;
  int rc;

  /* First without a user: an unauthenticated message decodes whole (the
   * discovery probe); an authenticated one stops at the digest check
   * with its user name read, which selects the keys. */
  rc = usnmp__msg3_decode(r->crypto, NULL, in, in_len, scratch, sizeof(scratch),
                          &m, vbs, VARBINDS_MAX, &n_vbs);
  if (rc == 0) {
    if (!(m.flags & USNMP__MSG3_FLAG_REPORTABLE) ||
        (m.pdu.type != USNMP_PDU_GET && m.pdu.type != USNMP_PDU_GETNEXT))
      return 0;
    /* Discovery (or a request naming another engine): tell our engine
     * ID, boots and time. */
    r->discoveries++;
    rc = encode_report(r, &r->anon, now, &m, oid_unknown_engine,
                       sizeof(oid_unknown_engine), (uint32_t)r->discoveries,
                       out, size);
    return rc > 0 ? (size_t)rc : 0;
  }
  if (rc != USNMP_E_AUTH_FAILURE)
    return 0;
  for (i = 0; i < N_USERS; i++)
    if (m.user_len == strlen(user_defs[i].name) &&
        memcmp(m.user, user_defs[i].name, m.user_len) == 0)
      t = &r->users[i];
  if (t == NULL)
    return 0;
  rc = usnmp__msg3_decode(r->crypto, t, in, in_len, scratch, sizeof(scratch),
                          &m, vbs, VARBINDS_MAX, &n_vbs);
  if (rc < 0 || !m.authenticated)
    return 0;
  /* RFC 3414 3.2.7 a: as the authoritative engine, a message whose boots
   * differ from ours, or whose time is more than 150 s from ours, is not
   * in the time window; the Report tells the sender our clock. */
  {
    uint32_t ours = usnmp__usm_target_time(t, now);
    uint32_t diff = m.time > ours ? m.time - ours : ours - m.time;
    if (m.boots != ENGINE_BOOTS || diff > USNMP__USM_TIME_WINDOW) {
      usnmp_sec_level level = t->level;
      r->time_reports++;
      if (!(m.flags & USNMP__MSG3_FLAG_REPORTABLE))
        return 0;
      /* The Report is authenticated, not encrypted (RFC 3414 3.2.7 a). */
      t->level = USNMP_SEC_AUTHNOPRIV;
      rc =
          encode_report(r, t, now, &m, oid_not_in_time, sizeof(oid_not_in_time),
                        (uint32_t)r->time_reports, out, size);
      t->level = level;
      return rc > 0 ? (size_t)rc : 0;
    }
  }
  if ((m.pdu.type != USNMP_PDU_GET && m.pdu.type != USNMP_PDU_GETNEXT) ||
      !(m.flags & USNMP__MSG3_FLAG_PRIV))
    return 0;
  for (i = 0; i < n_vbs; i++)
    vbs[i].value = usnmp_value_octets(value_text, sizeof(value_text) - 1);
  memset(&pdu, 0, sizeof(pdu));
  pdu.version = USNMP_VERSION_3;
  pdu.type = USNMP_PDU_RESPONSE;
  pdu.request_id = m.pdu.request_id;
  /* The varbind names point into scratch (the decrypted request); the
   * encoder builds the reply in out, a different buffer. */
  rc = usnmp__msg3_encode(r->crypto, t, now, m.msg_id,
                          USNMP__MSG3_MAX_SIZE_DEFAULT, &pdu, vbs, n_vbs, out,
                          size);
  if (rc <= 0)
    return 0;
  r->answers++;
  return (size_t)rc;
}

static void usage(FILE *f) {
  fprintf(f, "usage: responder_v3 [--addr A] [--port P] [--seconds S]\n"
             "                    [--max-packets N] [--batch B] [--cpu C]\n"
             "Answers SNMPv3 authPriv GetRequests of users shaaes and "
             "sha512aes256\n(test/snmpd.conf's) on loopback; prints \"port "
             "N\".\n");
}

int main(int argc, char **argv) {
  static const struct option longopts[] = {
      {"addr", required_argument, NULL, 'a'},
      {"port", required_argument, NULL, 'p'},
      {"seconds", required_argument, NULL, 's'},
      {"max-packets", required_argument, NULL, 'n'},
      {"batch", required_argument, NULL, 'b'},
      {"cpu", required_argument, NULL, 'c'},
      {"help", no_argument, NULL, 'h'},
      {NULL, 0, NULL, 0}};
  static uint8_t in_buf[BATCH_MAX][DGRAM_MAX];
  static uint8_t out_buf[BATCH_MAX][REPLY_MAX];
  static struct sockaddr_in peers[BATCH_MAX];
  static struct mmsghdr in_msgs[BATCH_MAX], out_msgs[BATCH_MAX];
  static struct iovec in_iov[BATCH_MAX], out_iov[BATCH_MAX];
  static responder r;
  const char *addr = "127.0.0.1";
  int port = 0, cpu = -1, batch = 64, bufsize = 8 << 20, opt, fd, rc;
  double seconds = 60, deadline;
  unsigned long long max_packets = 0, received = 0, sent_total = 0;
  struct sockaddr_in sin;
  socklen_t sin_len = sizeof sin;
  struct timeval tv = {0, 200000};
  sigset_t stop_signals;

  while ((opt = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
    switch (opt) {
    case 'a':
      addr = optarg;
      break;
    case 'p':
      port = atoi(optarg);
      break;
    case 's':
      seconds = atof(optarg);
      break;
    case 'n':
      max_packets = strtoull(optarg, NULL, 10);
      break;
    case 'b':
      batch = atoi(optarg);
      break;
    case 'c':
      cpu = atoi(optarg);
      break;
    case 'h':
      usage(stdout);
      return 0;
    default:
      usage(stderr);
      return 2;
    }
  }
  if (optind != argc || port < 0 || port > 65535 || batch < 1 ||
      batch > BATCH_MAX || !(seconds > 0 && seconds <= 3600)) {
    usage(stderr);
    return 2;
  }
  bench_pin_cpu(cpu, "responder_v3");
  rc = responder_init(&r);
  if (rc < 0) {
    fprintf(stderr, "responder_v3: USM setup failed: %s\n", usnmp_strerror(rc));
    return 1;
  }

  memset(&sin, 0, sizeof sin);
  sin.sin_family = AF_INET;
  sin.sin_port = htons((uint16_t)port);
  if (inet_pton(AF_INET, addr, &sin.sin_addr) != 1 ||
      !is_loopback(sin.sin_addr)) {
    fprintf(stderr, "responder_v3: %s is not an IPv4 loopback address\n", addr);
    responder_free(&r);
    return 2;
  }
  fd = socket(AF_INET, SOCK_DGRAM, 0);
  if (fd < 0) {
    perror("responder_v3: socket");
    responder_free(&r);
    return 1;
  }
  /* A burst of requests must not be lost in the kernel: SO_RCVBUFFORCE
   * passes rmem_max when we may, SO_RCVBUF otherwise. */
  if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &bufsize, sizeof bufsize))
    setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &bufsize, sizeof bufsize);
  if (setsockopt(fd, SOL_SOCKET, SO_SNDBUFFORCE, &bufsize, sizeof bufsize))
    setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &bufsize, sizeof bufsize);
  /* The receive timeout lets the loop check its deadline when idle. */
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  if (bind(fd, (struct sockaddr *)&sin, sizeof sin) != 0 ||
      getsockname(fd, (struct sockaddr *)&sin, &sin_len) != 0) {
    perror("responder_v3: bind");
    close(fd);
    responder_free(&r);
    return 1;
  }
  printf("port %u\n", ntohs(sin.sin_port));
  fflush(stdout);

  /* SIGTERM and SIGINT stay pending and are polled, so a parent that stops
   * us still gets the counters below. */
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGTERM);
  sigaddset(&stop_signals, SIGINT);
  sigprocmask(SIG_BLOCK, &stop_signals, NULL);
  deadline = bench_now() + seconds;
  for (unsigned long iteration = 0;
       bench_now() < deadline && (max_packets == 0 || received < max_packets);
       iteration++) {
    int i, n, n_out = 0, sent;
    sigset_t pending;

    if ((iteration & 63) == 0 && sigpending(&pending) == 0 &&
        (sigismember(&pending, SIGTERM) || sigismember(&pending, SIGINT)))
      break;
    for (i = 0; i < batch; i++) {
      in_iov[i].iov_base = in_buf[i];
      in_iov[i].iov_len = DGRAM_MAX;
      memset(&in_msgs[i].msg_hdr, 0, sizeof in_msgs[i].msg_hdr);
      in_msgs[i].msg_hdr.msg_name = &peers[i];
      in_msgs[i].msg_hdr.msg_namelen = sizeof peers[i];
      in_msgs[i].msg_hdr.msg_iov = &in_iov[i];
      in_msgs[i].msg_hdr.msg_iovlen = 1;
    }
    n = recvmmsg(fd, in_msgs, (unsigned)batch, MSG_WAITFORONE, NULL);
    if (n < 0) {
      if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) {
        iteration = 63; /* idle: look at the signals next time round */
        continue;
      }
      perror("responder_v3: recvmmsg");
      break;
    }
    received += (unsigned long long)n;
    for (i = 0; i < n; i++) {
      struct msghdr *out = &out_msgs[n_out].msg_hdr;
      size_t len = 0;

      if (!(in_msgs[i].msg_hdr.msg_flags & MSG_TRUNC) &&
          is_loopback(peers[i].sin_addr))
        len = answer(&r, in_buf[i], in_msgs[i].msg_len, out_buf[n_out],
                     REPLY_MAX);
      if (len == 0) {
        r.dropped++;
        continue;
      }
      memset(out, 0, sizeof *out);
      out_iov[n_out].iov_base = out_buf[n_out];
      out_iov[n_out].iov_len = len;
      out->msg_name = &peers[i];
      out->msg_namelen = sizeof peers[i];
      out->msg_iov = &out_iov[n_out];
      out->msg_iovlen = 1;
      n_out++;
    }
    /* Send the whole batch; a partial send is resumed, an error drops the
     * datagram it names (the client resends). */
    sent = 0;
    while (sent < n_out) {
      int k = sendmmsg(fd, out_msgs + sent, (unsigned)(n_out - sent), 0);
      if (k < 0) {
        if (errno == EINTR)
          continue;
        r.dropped++;
        sent++;
        continue;
      }
      sent += k;
      sent_total += (unsigned long long)k;
    }
  }
  {
    /* Our own CPU per answer tells whether the responder or the client
     * limits a run. */
    struct rusage ru;
    double cpu_s = 0;
    if (getrusage(RUSAGE_SELF, &ru) == 0)
      cpu_s = (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6 +
              (double)ru.ru_stime.tv_sec + (double)ru.ru_stime.tv_usec / 1e6;
    fprintf(stderr,
            "responder_v3: received %llu, sent %llu (discoveries %llu, "
            "answers %llu, time reports %llu), dropped %llu; CPU %.2f s, "
            "%.2f us per answer\n",
            received, sent_total, r.discoveries, r.answers, r.time_reports,
            r.dropped, cpu_s,
            r.answers > 0 ? cpu_s * 1e6 / (double)r.answers : 0.0);
  }
  close(fd);
  responder_free(&r);
  return 0;
}
