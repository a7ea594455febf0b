/*
 * bench/notify: how many notifications per second the receiver takes, and
 * what it costs, next to net-snmp's snmptrapd receiving the same stream in
 * the same run; and the inform round trip.
 *
 *   build/bench/notify [--count N] [--informs N] [--rate R]
 *                      [--snmptrapd PATH|none]
 *
 * For each stream (v2c traps; v3 authPriv SHA/AES-128 traps, every one a
 * distinct message so that none is dropped as a replay) the messages are
 * encoded first, then a child process sends them all as fast as it can
 * (or at R per second with --rate) with sendmmsg (64 per call) to the
 * receiver on 127.0.0.1:
 *
 *   usnmp      a usnmp_receiver with an empty callback (counting), 64 MiB
 *              socket buffer, in this process;
 *   snmptrapd  net-snmp's, started here with its own configuration
 *              (-f -Lf FILE -F "x\n" -C -c CONF: one short line per
 *              trap, counted when it exits), serverRecvBuf 64 MiB (it
 *              asks with SO_RCVBUF, which the kernel caps at
 *              net.core.rmem_max; usnmp, as root, forces its 64 MiB).
 *
 * Reported per run: delivered / sent, what the kernel dropped (the drops
 * column of /proc/net/udp for the port), notifications per second from
 * the first to the last delivered, and the receiver's CPU per
 * notification (getrusage for usnmp, /proc/PID/stat for snmptrapd).
 * Then informs: one at a time from a usnmp manager to each receiver,
 * round trip p50 and p99.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <arpa/inet.h>
#include <netinet/in.h>

#include "notify_int.h"

#define BATCH 64

typedef struct stream {
  uint8_t *data; /* all messages back to back */
  size_t *off;   /* n + 1 offsets */
  size_t n;
} stream;

static double now_s(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static double cpu_s(void) {
  struct rusage ru;
  getrusage(RUSAGE_SELF, &ru);
  return (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6 +
         (double)ru.ru_stime.tv_sec + (double)ru.ru_stime.tv_usec / 1e6;
}

static const uint8_t oid_name[] = {0x2b, 6, 1, 2, 1, 1, 5, 0};
static const uint8_t oid_sysuptime[] = {0x2b, 6, 1, 2, 1, 1, 3, 0};
static const uint8_t oid_trapoid[] = {0x2b, 6, 1, 6, 3, 1, 1, 4, 1, 0};
static const uint8_t oid_linkup[] = {0x2b, 6, 1, 6, 3, 1, 1, 5, 4};
static const uint8_t sender_engine[] = {0x80, 0,    0x1f, 0x88, 0x80,
                                        0xbe, 0x4c, 0x00, 0x00, 0x01};

/* The varbinds of every notification: sysUpTime.0, snmpTrapOID.0 and one
 * string, about the size of a linkUp with one object. */
static void varbinds(usnmp_varbind vbs[3], uint32_t uptime) {
  memset(vbs, 0, 3 * sizeof(*vbs));
  vbs[0].oid = oid_sysuptime;
  vbs[0].oid_len = sizeof(oid_sysuptime);
  vbs[0].value = usnmp_value_timeticks(uptime);
  vbs[1].oid = oid_trapoid;
  vbs[1].oid_len = sizeof(oid_trapoid);
  vbs[1].value.type = USNMP_TYPE_OID;
  vbs[1].value.v.bytes.data = oid_linkup;
  vbs[1].value.v.bytes.len = sizeof(oid_linkup);
  vbs[2].oid = oid_name;
  vbs[2].oid_len = sizeof(oid_name);
  vbs[2].value = usnmp_value_string("eth0 is up again");
}

static void stream_make(stream *s, size_t n, int v3, usnmp__crypto *c) {
  usnmp__usm_target t;
  usnmp_varbind vbs[3];
  usnmp_msg pdu;
  size_t i, cap = n * 256;
  s->data = malloc(cap);
  s->off = malloc((n + 1) * sizeof(*s->off));
  s->n = n;
  if (s->data == NULL || s->off == NULL)
    abort();
  if (v3) {
    if (usnmp__usm_target_init(c, &t) != 0 ||
        usnmp__usm_target_set_user(c, &t, "bench", USNMP_AUTH_SHA,
                                   "bench-auth-pass", USNMP_PRIV_AES,
                                   "bench-priv-pass") != 0 ||
        usnmp__usm_target_set_engine(c, &t, sender_engine,
                                     sizeof(sender_engine), 1) != 0)
      abort();
    usnmp__usm_target_resync(&t, 1, 100, 0, 1);
  }
  s->off[0] = 0;
  for (i = 0; i < n; i++) {
    int len;
    varbinds(vbs, (uint32_t)i);
    memset(&pdu, 0, sizeof(pdu));
    pdu.type = USNMP_PDU_TRAP_V2;
    pdu.request_id = (int32_t)(i + 1);
    if (v3) {
      pdu.version = USNMP_VERSION_3;
      len = usnmp__msg3_encode(c, &t, 0, (int32_t)(i + 1), 65507, &pdu, vbs, 3,
                               s->data + s->off[i], cap - s->off[i]);
    } else {
      pdu.version = USNMP_VERSION_2C;
      pdu.community = (const uint8_t *)"public";
      pdu.community_len = 6;
      len =
          usnmp_msg_encode(s->data + s->off[i], cap - s->off[i], &pdu, vbs, 3);
    }
    if (len <= 0)
      abort();
    s->off[i + 1] = s->off[i] + (size_t)len;
  }
  if (v3)
    usnmp__usm_target_wipe(&t);
}

/* Notifications per second the sender keeps to (0: as fast as it can). */
static double send_rate;

/* The child: sends the stream to port as fast as sendmmsg goes, or at
 * send_rate. */
static pid_t sender_start(const stream *s, int port) {
  pid_t pid = fork();
  if (pid == 0) {
    struct sockaddr_in to;
    struct mmsghdr msgs[BATCH];
    struct iovec iov[BATCH];
    int fd = socket(AF_INET, SOCK_DGRAM, 0), big = 64 << 20;
    size_t i = 0;
    setsockopt(fd, SOL_SOCKET, SO_SNDBUFFORCE, &big, sizeof(big));
    memset(&to, 0, sizeof(to));
    to.sin_family = AF_INET;
    to.sin_port = htons((uint16_t)port);
    to.sin_addr.s_addr = htonl(0x7f000001);
    double start;
    usleep(100000);
    start = now_s();
    while (i < s->n) {
      size_t k, b = s->n - i < BATCH ? s->n - i : BATCH;
      int sent;
      if (send_rate > 0) {
        double due = start + (double)i / send_rate, t = now_s();
        if (due > t)
          usleep((useconds_t)((due - t) * 1e6));
      }
      memset(msgs, 0, sizeof(msgs));
      for (k = 0; k < b; k++) {
        iov[k].iov_base = s->data + s->off[i + k];
        iov[k].iov_len = s->off[i + k + 1] - s->off[i + k];
        msgs[k].msg_hdr.msg_iov = &iov[k];
        msgs[k].msg_hdr.msg_iovlen = 1;
        msgs[k].msg_hdr.msg_name = &to;
        msgs[k].msg_hdr.msg_namelen = sizeof(to);
      }
      sent = sendmmsg(fd, msgs, (unsigned)b, 0);
      if (sent < 0) {
        if (errno == EINTR || errno == ENOBUFS || errno == EAGAIN)
          continue;
        _exit(1);
      }
      i += (size_t)sent;
    }
    _exit(0);
  }
  return pid;
}

/* The kernel's counters of the UDP socket bound to port on 127.0.0.1
 * (/proc/net/udp): bytes waiting in its receive queue and datagrams
 * dropped.  Returns 0, or -1 when not found. */
static int udp_counters(int port, unsigned long *rx_queue,
                        unsigned long *drops) {
  FILE *f = fopen("/proc/net/udp", "r");
  char line[512];
  int found = -1;
  if (f == NULL)
    return -1;
  while (fgets(line, sizeof(line), f) != NULL) {
    unsigned local_port = 0;
    unsigned long q = 0, d = 0;
    char *colon = strchr(line, ':');
    /* local rem st tx:rx tr:when retrnsmt uid timeout inode ref pointer
     * drops */
    if (colon == NULL ||
        sscanf(colon + 1,
               "%*x:%x %*x:%*x %*x %*x:%lx %*x:%*x %*x %*u %*u %*u %*u %*s "
               "%lu",
               &local_port, &q, &d) != 3 ||
        (int)local_port != port)
      continue;
    *rx_queue = q;
    *drops = d;
    found = 0;
  }
  fclose(f);
  return found;
}

static unsigned long kernel_drops(int port) {
  unsigned long q = 0, d = 0;
  udp_counters(port, &q, &d);
  return d;
}

typedef struct run {
  uint64_t count;
  double first, last;
  uv_timer_t idle;
  uint64_t seen_at_check;
  usnmp_receiver *rx;
} run;

static void on_note(usnmp_receiver *rx, const usnmp_notification *n,
                    void *arg) {
  run *r = arg;
  (void)rx;
  (void)n;
  if (r->count == 0)
    r->first = now_s();
  r->count++;
  r->last = now_s();
}

static void on_idle(uv_timer_t *h) {
  run *r = h->data;
  /* One second without progress after the start: the stream is over. */
  if (r->count > 0 && r->count == r->seen_at_check) {
    uv_timer_stop(h);
    uv_stop(h->loop);
  }
  r->seen_at_check = r->count;
}

static void bench_usnmp(const char *label, const stream *s) {
  uv_loop_t loop;
  run r;
  char addr[64];
  pid_t child;
  double cpu0, cpu1;
  unsigned long drops0;
  int port, status;

  memset(&r, 0, sizeof(r));
  uv_loop_init(&loop);
  if (usnmp_receiver_init(&r.rx, &loop, NULL) != 0 ||
      usnmp_receiver_set_socket_buffer(r.rx, 64 << 20) != 0 ||
      usnmp_receiver_set_socket_buffer_force(r.rx, 1) != 0 ||
      usnmp_receiver_bind(r.rx, "udp:127.0.0.1:0") != 0 ||
      usnmp_receiver_add_community(r.rx, "public") != 0 ||
      usnmp_receiver_add_v3_user(r.rx, "bench", USNMP_AUTH_SHA,
                                 "bench-auth-pass", USNMP_PRIV_AES,
                                 "bench-priv-pass", NULL, 0) != 0 ||
      usnmp_receiver_start(r.rx, on_note, &r) != 0)
    abort();
  port = usnmp_receiver_port(r.rx, 0);
  snprintf(addr, sizeof(addr), "127.0.0.1:%d", port);
  drops0 = kernel_drops(port);
  uv_timer_init(&loop, &r.idle);
  r.idle.data = &r;
  uv_timer_start(&r.idle, on_idle, 1000, 1000);
  cpu0 = cpu_s();
  child = sender_start(s, port);
  uv_run(&loop, UV_RUN_DEFAULT);
  cpu1 = cpu_s();
  waitpid(child, &status, 0);
  {
    unsigned long drops = kernel_drops(port) - drops0;
    double secs = r.last - r.first;
    /* The idle second at the end is not work: CPU is measured to the
     * end, but the loop sleeps through it. */
    printf("| usnmp     | %-22s | %7zu | %7llu | %6lu | %9.0f | %6.2f |\n",
           label, s->n, (unsigned long long)r.count, drops,
           secs > 0 ? (double)r.count / secs : 0.0,
           r.count ? (cpu1 - cpu0) * 1e6 / (double)r.count : 0.0);
  }
  uv_close((uv_handle_t *)&r.idle, NULL);
  usnmp_receiver_close(r.rx, NULL, NULL);
  uv_run(&loop, UV_RUN_DEFAULT);
  uv_loop_close(&loop);
}

/* snmptrapd's CPU seconds (utime + stime of /proc/PID/stat). */
static double proc_cpu(pid_t pid) {
  char path[64], buf[1024];
  unsigned long ut = 0, st = 0;
  FILE *f;
  char *p;
  snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
  f = fopen(path, "r");
  if (f == NULL)
    return 0;
  if (fgets(buf, sizeof(buf), f) == NULL)
    buf[0] = '\0';
  fclose(f);
  p = strrchr(buf, ')');
  if (p == NULL ||
      sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %lu %lu", &ut,
             &st) != 2)
    return 0;
  return (double)(ut + st) / (double)sysconf(_SC_CLK_TCK);
}

/* Counts the "x" lines snmptrapd wrote, one per trap (its start and stop
 * messages are other lines). */
static long count_lines(const char *path) {
  FILE *f = fopen(path, "r");
  char line[256];
  long n = 0;
  if (f == NULL)
    return 0;
  while (fgets(line, sizeof(line), f) != NULL)
    n += strcmp(line, "x\n") == 0;
  fclose(f);
  return n;
}

static int free_port(void) {
  struct sockaddr_in a;
  socklen_t len = sizeof(a);
  int fd = socket(AF_INET, SOCK_DGRAM, 0), port;
  memset(&a, 0, sizeof(a));
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(0x7f000001);
  bind(fd, (struct sockaddr *)&a, sizeof(a));
  getsockname(fd, (struct sockaddr *)&a, &len);
  port = ntohs(a.sin_port);
  close(fd);
  return port;
}

static pid_t snmptrapd_start(const char *path, const char *dir, int port) {
  char conf[300], out[256], listen[64], persist[256];
  FILE *f;
  pid_t pid;
  snprintf(conf, sizeof(conf), "%s/snmptrapd.conf", dir);
  snprintf(out, sizeof(out), "%s/snmptrapd.out", dir);
  snprintf(persist, sizeof(persist), "%s/persist", dir);
  snprintf(listen, sizeof(listen), "udp:127.0.0.1:%d", port);
  mkdir(persist, 0700);
  f = fopen(conf, "w");
  if (f == NULL)
    return -1;
  fprintf(f, "authCommunity log public\n"
             "createUser -e 0x80001f8880be4c000001 bench SHA bench-auth-pass "
             "AES bench-priv-pass\n"
             "createUser bench SHA bench-auth-pass AES bench-priv-pass\n"
             "authUser log bench priv\n");
  fclose(f);
  /* Its socket buffer: as large as net-snmp will ask for (SO_RCVBUF, so
   * the kernel caps it at net.core.rmem_max). */
  snprintf(conf, sizeof(conf), "%s/snmp.conf", persist);
  f = fopen(conf, "w");
  if (f == NULL)
    return -1;
  fprintf(f, "serverRecvBuf 67108864\n");
  fclose(f);
  snprintf(conf, sizeof(conf), "%s/snmptrapd.conf", dir);
  unlink(out);
  pid = fork();
  if (pid == 0) {
    setenv("MIBS", "", 1);
    setenv("MIBDIRS", "/nonexistent", 1);
    setenv("SNMP_PERSISTENT_DIR", persist, 1);
    setenv("SNMPCONFPATH", persist, 1);
    execl(path, path, "-f", "-Lf", out, "-F", "x\n", "-C", "-c", conf, "-n",
          listen, (char *)NULL);
    _exit(127);
  }
  usleep(500000);
  return pid;
}

static void bench_snmptrapd(const char *path, const char *dir,
                            const char *label, const stream *s) {
  char out[256];
  int port = free_port(), status;
  pid_t td = snmptrapd_start(path, dir, port), child;
  double cpu0, cpu1, t0, t_end;
  long lines = 0;
  unsigned long drops0, drops;
  if (td < 0)
    return;
  snprintf(out, sizeof(out), "%s/snmptrapd.out", dir);
  drops0 = kernel_drops(port);
  lines = count_lines(out); /* its start-up line */
  cpu0 = proc_cpu(td);
  t0 = now_s();
  child = sender_start(s, port);
  t_end = t0;
  /* Its log is buffered, so it is counted at exit; while it runs, the
   * work is done when its socket's queue is empty and its CPU time stops
   * moving (checked every 50 ms, for 0.5 s). */
  {
    double last_cpu = -1;
    int still = 0;
    while (still < 10 && now_s() < t0 + 60) {
      unsigned long q = 1, d = 0;
      double cpu;
      usleep(50000);
      udp_counters(port, &q, &d);
      cpu = proc_cpu(td);
      if (q != 0 || cpu != last_cpu || now_s() < t0 + 0.3) {
        still = 0;
        t_end = now_s();
      } else {
        still++;
      }
      last_cpu = cpu;
    }
  }
  cpu1 = proc_cpu(td);
  waitpid(child, &status, 0);
  drops = kernel_drops(port) - drops0;
  kill(td, SIGTERM);
  waitpid(td, &status, 0);
  {
    long got = count_lines(out) - lines;
    /* From the start of sending (0.1 s after t0) to the last check that
     * saw work, within 50 ms. */
    double secs = t_end - t0 - 0.1;
    printf("| snmptrapd | %-22s | %7zu | %7ld | %6lu | %9.0f | %6.2f |\n",
           label, s->n, got, drops, secs > 0 ? (double)got / secs : 0.0,
           got > 0 ? (cpu1 - cpu0) * 1e6 / (double)got : 0.0);
  }
}

typedef struct inform_run {
  uv_loop_t *loop;
  usnmp_target *t;
  double *rtt;
  size_t n, done;
  int failed;
} inform_run;

static void send_next(inform_run *ir);

static void on_ack(const usnmp_response *resp, void *arg) {
  inform_run *ir = arg;
  if (resp->status != 0)
    ir->failed++;
  else
    ir->rtt[ir->done] = (double)resp->rtt_ns / 1e3;
  ir->done++;
  if (ir->done < ir->n)
    send_next(ir);
}

static void send_next(inform_run *ir) {
  usnmp_oid trap;
  usnmp_oid_parse(&trap, "1.3.6.1.6.3.1.1.5.4");
  if (usnmp_inform_send(ir->t, 1, &trap, NULL, 0, NULL, on_ack, ir, NULL) != 0)
    abort();
}

static int cmp_double(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return x < y ? -1 : x > y;
}

static void bench_informs(const char *who, const char *agent, size_t n,
                          usnmp_receiver *rx, uv_loop_t *loop) {
  usnmp_manager *m;
  inform_run ir;
  memset(&ir, 0, sizeof(ir));
  ir.rtt = calloc(n, sizeof(double));
  ir.n = n;
  if (usnmp_manager_init(&m, loop, NULL) != 0 ||
      usnmp_target_init(m, &ir.t, agent) != 0)
    abort();
  usnmp_target_set_retries(ir.t, 0);
  usnmp_target_set_resend(ir.t, 2000);
  send_next(&ir);
  while (ir.done < ir.n)
    uv_run(loop, UV_RUN_ONCE);
  qsort(ir.rtt, n - (size_t)ir.failed, sizeof(double), cmp_double);
  if ((size_t)ir.failed < n)
    printf(
        "| %-9s | v2c inform, one at a time | %6zu | %4d | %8.1f | %8.1f |\n",
        who, n, ir.failed, ir.rtt[(n - (size_t)ir.failed) / 2],
        ir.rtt[(size_t)((double)(n - (size_t)ir.failed) * 0.99)]);
  usnmp_manager_close(m, NULL, NULL);
  (void)rx;
  uv_run(loop, UV_RUN_NOWAIT);
  free(ir.rtt);
}

static void noop_note(usnmp_receiver *rx, const usnmp_notification *n,
                      void *arg) {
  (void)rx;
  (void)n;
  (void)arg;
}

int main(int argc, char **argv) {
  size_t count = 200000, informs = 2000;
  const char *trapd = "/usr/sbin/snmptrapd";
  char dir[] = "/tmp/usnmp-bench-notify-XXXXXX";
  usnmp__crypto *c;
  stream v2, v3;
  int i;

  for (i = 1; i < argc; i++) {
    if (strcmp(argv[i], "--count") == 0 && i + 1 < argc)
      count = strtoul(argv[++i], NULL, 10);
    else if (strcmp(argv[i], "--informs") == 0 && i + 1 < argc)
      informs = strtoul(argv[++i], NULL, 10);
    else if (strcmp(argv[i], "--rate") == 0 && i + 1 < argc)
      send_rate = strtod(argv[++i], NULL);
    else if (strcmp(argv[i], "--snmptrapd") == 0 && i + 1 < argc)
      trapd = argv[++i];
    else {
      fprintf(stderr,
              "usage: %s [--count N] [--informs N] [--rate R] "
              "[--snmptrapd PATH|none]\n",
              argv[0]);
      return 2;
    }
  }
  setvbuf(stdout, NULL, _IOLBF, 0);
  if (strcmp(trapd, "none") == 0 || access(trapd, X_OK) != 0)
    trapd = NULL;
  if (mkdtemp(dir) == NULL || usnmp__crypto_new(&c, NULL) != 0)
    return 1;
  stream_make(&v2, count, 0, c);
  stream_make(&v3, count, 1, c);

  printf("| receiver  | stream                 |    sent | delivered | kernel "
         "drops | notifications/s | CPU µs each |\n"
         "|-----------|------------------------|--------:|--------:|-------:|--"
         "--------:|-------:|\n");
  bench_usnmp("v2c trap", &v2);
  if (trapd)
    bench_snmptrapd(trapd, dir, "v2c trap", &v2);
  bench_usnmp("v3 authPriv SHA/AES", &v3);
  if (trapd)
    bench_snmptrapd(trapd, dir, "v3 authPriv SHA/AES", &v3);

  printf("\n| receiver  | informs                   |  count | lost | p50 µs | "
         "p99 µs |\n"
         "|-----------|---------------------------|-------:|-----:|-------:|---"
         "----:|\n");
  {
    uv_loop_t loop;
    usnmp_receiver *rx;
    char agent[64];
    uv_loop_init(&loop);
    if (usnmp_receiver_init(&rx, &loop, NULL) != 0 ||
        usnmp_receiver_bind(rx, "udp:127.0.0.1:0") != 0 ||
        usnmp_receiver_add_community(rx, "public") != 0 ||
        usnmp_receiver_start(rx, noop_note, NULL) != 0)
      abort();
    snprintf(agent, sizeof(agent), "127.0.0.1:%d", usnmp_receiver_port(rx, 0));
    bench_informs("usnmp", agent, informs, rx, &loop);
    usnmp_receiver_close(rx, NULL, NULL);
    uv_run(&loop, UV_RUN_DEFAULT);
    if (trapd) {
      int port = free_port(), status;
      pid_t td = snmptrapd_start(trapd, dir, port);
      snprintf(agent, sizeof(agent), "127.0.0.1:%d", port);
      bench_informs("snmptrapd", agent, informs, NULL, &loop);
      kill(td, SIGTERM);
      waitpid(td, &status, 0);
    }
    uv_run(&loop, UV_RUN_DEFAULT);
    uv_loop_close(&loop);
  }
  usnmp__crypto_free(c);
  free(v2.data);
  free(v2.off);
  free(v3.data);
  free(v3.off);
  {
    char cmd[300];
    snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
    if (system(cmd) != 0)
      return 1;
  }
  return 0;
}
