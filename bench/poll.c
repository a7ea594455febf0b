/*
 * bench/poll: throughput and scale of usnmp's async manager.
 *
 * Throughput: a closed loop of GETs of one OID against bench/responder with
 * W requests in flight (every completion starts the next one), for each W
 * of --windows, until --count GETs or --seconds, whichever comes first.
 * It reports GETs per second and CPU microseconds per GET of this process
 * (getrusage user + system: the responder runs in its own process).  When
 * built with net-snmp (HAVE_NETSNMP) the same load runs through net-snmp's
 * single-session async API in the same run, alternating with usnmp so both
 * see the same machine, and the ratios are printed.
 *
 * Scale: one GET to each of --scale distinct targets 127.1.x.y (all on one
 * responder listening on every loopback address), all in flight at once.
 * It reports the time, the file descriptors and sockets of this process
 * before and while the requests are in flight, peak RSS (VmHWM, reset
 * before the test) and its growth, and the bytes the manager holds per
 * target and per in-flight request, counted by the manager's allocator
 * hook.
 *
 * The responders are child processes started from --responder (default:
 * "responder" next to this program), on ports the kernel picks; they are
 * stopped by pid at the end and end by themselves after a bounded time in
 * any case.  Every loop here is bounded in count and time.
 */
#include "poll_common.h"

#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <netinet/in.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <usnmp.h>

#define POLL_OID "1.3.6.1.2.1.1.3.0"
#define WINDOWS_MAX 16
#define RUNS_MAX 9

/* ------------------------------------------------------------------------
 * Allocation accounting through the manager's allocator hook.  Each block
 * carries its size in a 16-byte header so free() can subtract it.
 * ------------------------------------------------------------------------ */

typedef struct counting_alloc {
  uint64_t live;   /* bytes the caller asked for and has not freed */
  uint64_t peak;   /* highest `live` since the last reset */
  uint64_t blocks; /* live blocks */
} counting_alloc;

enum { ALLOC_HEADER = 16 };

static void *count_malloc(size_t size, void *ctx) {
  counting_alloc *a = ctx;
  unsigned char *p = malloc(size + ALLOC_HEADER);
  if (p == NULL)
    return NULL;
  memcpy(p, &size, sizeof size);
  a->live += size;
  a->blocks++;
  if (a->live > a->peak)
    a->peak = a->live;
  return p + ALLOC_HEADER;
}

static void count_free(void *ptr, void *ctx) {
  counting_alloc *a = ctx;
  unsigned char *p;
  size_t size;
  if (ptr == NULL)
    return;
  p = (unsigned char *)ptr - ALLOC_HEADER;
  memcpy(&size, p, sizeof size);
  a->live -= size;
  a->blocks--;
  free(p);
}

static void *count_realloc(void *ptr, size_t size, void *ctx) {
  counting_alloc *a = ctx;
  unsigned char *p, *q;
  size_t old;
  if (ptr == NULL)
    return count_malloc(size, ctx);
  p = (unsigned char *)ptr - ALLOC_HEADER;
  memcpy(&old, p, sizeof old);
  q = realloc(p, size + ALLOC_HEADER);
  if (q == NULL)
    return NULL;
  memcpy(q, &size, sizeof size);
  a->live = a->live - old + size;
  if (a->live > a->peak)
    a->peak = a->live;
  return q + ALLOC_HEADER;
}

/* ------------------------------------------------------------------------
 * Processes and /proc
 * ------------------------------------------------------------------------ */

typedef struct fd_count {
  int fds;
  int sockets;
} fd_count;

/* Counts this process's open file descriptors and, of them, sockets. */
static fd_count count_fds(void) {
  fd_count c = {0, 0};
  DIR *d = opendir("/proc/self/fd");
  struct dirent *e;
  if (d == NULL)
    return c;
  while ((e = readdir(d)) != NULL) {
    char path[64 + sizeof e->d_name], link[64];
    ssize_t n;
    if (e->d_name[0] == '.' || atoi(e->d_name) == dirfd(d))
      continue;
    c.fds++;
    snprintf(path, sizeof path, "/proc/self/fd/%s", e->d_name);
    n = readlink(path, link, sizeof link - 1);
    if (n > 0) {
      link[n] = '\0';
      if (strncmp(link, "socket:", 7) == 0)
        c.sockets++;
    }
  }
  closedir(d);
  return c;
}

/* Returns the kB of a "Name:   N kB" line of /proc/self/status, or -1. */
static long status_kb(const char *name) {
  FILE *f = fopen("/proc/self/status", "r");
  char line[256];
  long kb = -1;
  size_t len = strlen(name);
  if (f == NULL)
    return -1;
  while (fgets(line, sizeof line, f) != NULL)
    if (strncmp(line, name, len) == 0 && line[len] == ':') {
      kb = strtol(line + len + 1, NULL, 10);
      break;
    }
  fclose(f);
  return kb;
}

/* Resets VmHWM to the current RSS (Linux >= 4.0); returns 0 or -1. */
static int reset_peak_rss(void) {
  FILE *f = fopen("/proc/self/clear_refs", "w");
  int r;
  if (f == NULL)
    return -1;
  r = fputs("5", f) < 0 ? -1 : 0;
  if (fclose(f) != 0)
    r = -1;
  return r;
}

/* ------------------------------------------------------------------------
 * The usnmp closed loop
 * ------------------------------------------------------------------------ */

typedef struct usnmp_load {
  usnmp_target *target;
  usnmp_oid oid;
  counting_alloc *alloc;
  uint64_t count, started, done, ok, failed;
  uint64_t peak_live;
  double deadline;
  int stop;
  int start_error;
} usnmp_load;

static void on_get(const usnmp_response *resp, void *arg);

/* Starts one GET; a refusal counts as a failed completion. */
static void start_get(usnmp_load *load) {
  int err;
  load->started++;
  err = usnmp_get(load->target, &load->oid, 1, NULL, on_get, load, NULL);
  if (err != 0) {
    load->start_error = err;
    load->done++;
    load->failed++;
  }
}

static void on_get(const usnmp_response *resp, void *arg) {
  usnmp_load *load = arg;
  load->done++;
  if (resp->status == 0 && resp->error_status == 0 && resp->varbind_count == 1)
    load->ok++;
  else
    load->failed++;
  if (load->alloc->live > load->peak_live)
    load->peak_live = load->alloc->live;
  if ((load->done & 255) == 0 && bench_now() > load->deadline)
    load->stop = 1;
  if (!load->stop && load->started < load->count)
    start_get(load);
  else if (load->done == load->started)
    /* The manager's socket keeps the loop alive: stop it explicitly. */
    uv_stop(usnmp_manager_loop(usnmp_target_manager(resp->target)));
}

static void on_closed(void *arg) { *(int *)arg = 1; }

/* A guard timer bounds every uv_run() here in time, whatever the manager
 * does: it stops the loop and says so. */
static void on_guard(uv_timer_t *timer) {
  fprintf(stderr, "poll: guard timer fired: the manager did not complete "
                  "every request in time\n");
  uv_stop(timer->loop);
}

/* Runs loop until something stops it or seconds pass. */
static void run_guarded(uv_loop_t *loop, double seconds) {
  uv_timer_t guard;
  uv_timer_init(loop, &guard);
  uv_timer_start(&guard, on_guard, (uint64_t)(seconds * 1000), 0);
  uv_unref((uv_handle_t *)&guard);
  uv_run(loop, UV_RUN_DEFAULT);
  uv_close((uv_handle_t *)&guard, NULL);
  uv_run(loop, UV_RUN_NOWAIT);
}

static int usnmp_run(const char *agent, uint32_t window, uint64_t count,
                     double seconds, bench_result *out) {
  counting_alloc alloc = {0, 0, 0};
  usnmp_allocator hook = {count_malloc, count_realloc, count_free, &alloc};
  usnmp_load load;
  usnmp_manager *m;
  usnmp_stats stats;
  uv_loop_t loop;
  uint64_t idle_live;
  double t0, cpu0;
  int err, closed = 0;

  memset(&load, 0, sizeof load);
  memset(out, 0, sizeof *out);
  if ((err = uv_loop_init(&loop)) != 0) {
    fprintf(stderr, "uv_loop_init: %s\n", uv_strerror(err));
    return -1;
  }
  if ((err = usnmp_manager_init(&m, &loop, &hook)) != 0) {
    fprintf(stderr, "usnmp_manager_init: %s\n", usnmp_strerror(err));
    uv_loop_close(&loop);
    return -1;
  }
  usnmp_manager_set_max_inflight(m, window);
  if ((err = usnmp_target_init(m, &load.target, agent)) != 0 ||
      (err = usnmp_target_set_max_inflight(load.target, window)) != 0 ||
      (err = usnmp_oid_parse(&load.oid, POLL_OID)) != 0) {
    fprintf(stderr, "usnmp target setup: %s\n", usnmp_strerror(err));
    usnmp_manager_close(m, on_closed, &closed);
    run_guarded(&loop, 10);
    uv_loop_close(&loop);
    return -1;
  }
  load.alloc = &alloc;

  /* One GET first, so the socket and the receive buffers exist before the
   * timed loop and the idle memory includes them. */
  load.count = 1;
  load.deadline = bench_now() + seconds;
  start_get(&load);
  if (load.done < load.started)
    run_guarded(&loop, 30);
  if (load.ok != 1) {
    fprintf(stderr, "usnmp: the warm-up GET to %s failed\n", agent);
    load.done = load.started = 0;
  } else {
    load.done = load.started = load.ok = load.failed = 0;
    load.count = count;
  }
  idle_live = alloc.live;
  load.peak_live = idle_live;

  t0 = bench_now();
  cpu0 = bench_cpu();
  load.deadline = t0 + seconds;
  for (uint32_t i = 0; i < window && load.started < load.count; i++)
    start_get(&load);
  if (load.done < load.started)
    run_guarded(&loop, seconds + 30);
  out->wall_s = bench_now() - t0;
  out->cpu_s = bench_cpu() - cpu0;

  usnmp_manager_stats(m, &stats);
  out->done = load.done;
  out->ok = load.ok;
  out->failed = load.failed;
  out->timeouts = stats.timeouts;
  out->resent = stats.resent;
  out->live_bytes = load.peak_live - idle_live;
  if (load.count != count)
    out->failed = 1;
  if (load.start_error != 0)
    fprintf(stderr, "usnmp_get failed: %s\n", usnmp_strerror(load.start_error));

  usnmp_manager_close(m, on_closed, &closed);
  run_guarded(&loop, 10);
  err = uv_loop_close(&loop);
  if (!closed || err != 0 || alloc.live != 0)
    fprintf(stderr,
            "usnmp: close incomplete (close_cb %d, uv_loop_close %s, "
            "%llu bytes still allocated)\n",
            closed, uv_err_name(err), (unsigned long long)alloc.live);
  return load.count == count && load.done == load.started ? 0 : -1;
}

/* ------------------------------------------------------------------------
 * Scale: one GET to each of many distinct targets
 * ------------------------------------------------------------------------ */

typedef struct scale_state {
  counting_alloc *alloc;
  uint64_t done, ok, failed;
  uint64_t peak_live;
  fd_count during;
  int sampled;
  double last_done;
  usnmp_manager *m;
  uint64_t inflight_at_sample;
  uint64_t expected; /* stop the loop after this many completions */
} scale_state;

static void on_scale_get(const usnmp_response *resp, void *arg) {
  scale_state *s = arg;
  if (!s->sampled && s->expected > 1) {
    /* The first answer: every other request is still in flight. */
    usnmp_stats st;
    usnmp_manager_stats(s->m, &st);
    s->inflight_at_sample = st.inflight;
    s->during = count_fds();
    s->sampled = 1;
  }
  if (s->alloc->live > s->peak_live)
    s->peak_live = s->alloc->live;
  s->done++;
  if (resp->status == 0 && resp->error_status == 0)
    s->ok++;
  else
    s->failed++;
  s->last_done = bench_now();
  if (s->done == s->expected)
    uv_stop(usnmp_manager_loop(s->m));
}

static int scale_run(const char *responder_path, int n_targets) {
  const char *args[] = {"--any", "--seconds", "120", NULL};
  counting_alloc alloc = {0, 0, 0};
  usnmp_allocator hook = {count_malloc, count_realloc, count_free, &alloc};
  usnmp_target **targets;
  scale_state s;
  usnmp_manager *m;
  usnmp_stats stats;
  usnmp_oid oid;
  uv_loop_t loop;
  bench_child r;
  fd_count before, issued, after;
  long rss_before, rss_peak, rss_after;
  uint64_t live_empty, live_targets, live_issued;
  double t0, t_issued, cpu0;
  int err, closed = 0, created = 0;

  if (n_targets <= 0 || n_targets > 250 * 250) {
    fprintf(stderr, "scale: 1..62500 targets\n");
    return -1;
  }
  targets = calloc((size_t)n_targets, sizeof *targets);
  if (targets == NULL)
    return -1;
  if (bench_child_start(&r, responder_path, args) != 0) {
    free(targets);
    return -1;
  }
  memset(&s, 0, sizeof s);
  s.alloc = &alloc;
  usnmp_oid_parse(&oid, POLL_OID);

  reset_peak_rss();
  rss_before = status_kb("VmRSS");
  before = count_fds();
  if ((err = uv_loop_init(&loop)) != 0 ||
      (err = usnmp_manager_init(&m, &loop, &hook)) != 0) {
    fprintf(stderr, "scale setup: %s\n", usnmp_strerror(err));
    bench_child_stop(&r);
    free(targets);
    return -1;
  }
  s.m = m;
  /* All requests in flight at once: that is the case being measured. */
  usnmp_manager_set_max_inflight(m, (uint32_t)n_targets);
  {
    /* One GET to a separate target first, so the socket and the receive
     * buffers exist before the measured part. */
    usnmp_target *warm;
    char agent[64];
    snprintf(agent, sizeof agent, "127.0.0.1:%d", r.port);
    s.expected = 1;
    if (usnmp_target_init(m, &warm, agent) != 0 ||
        usnmp_get(warm, &oid, 1, NULL, on_scale_get, &s, NULL) != 0) {
      fprintf(stderr, "scale: warm-up request failed to start\n");
    } else {
      run_guarded(&loop, 30);
      usnmp_target_close(warm);
    }
    if (s.ok != 1)
      fprintf(stderr, "scale: the warm-up GET to %s failed\n", agent);
    s.done = s.ok = s.failed = 0;
  }
  live_empty = alloc.live;
  for (int i = 0; i < n_targets; i++) {
    char agent[64];
    snprintf(agent, sizeof agent, "127.1.%d.%d:%d", i / 250, 1 + i % 250,
             r.port);
    if ((err = usnmp_target_init(m, &targets[i], agent)) != 0) {
      fprintf(stderr, "usnmp_target_init(%s): %s\n", agent,
              usnmp_strerror(err));
      break;
    }
    usnmp_target_set_retries(targets[i], 3);
    created++;
  }
  live_targets = alloc.live;
  s.expected = (uint64_t)created;

  t0 = bench_now();
  cpu0 = bench_cpu();
  for (int i = 0; i < created; i++)
    if ((err = usnmp_get(targets[i], &oid, 1, NULL, on_scale_get, &s, NULL)) !=
        0) {
      fprintf(stderr, "usnmp_get: %s\n", usnmp_strerror(err));
      s.failed++;
      s.done++;
    }
  t_issued = bench_now();
  live_issued = alloc.live;
  s.peak_live = live_issued;
  issued = count_fds();
  if (s.done < s.expected)
    run_guarded(&loop, 60);
  usnmp_manager_stats(m, &stats);
  rss_peak = status_kb("VmHWM");
  {
    double cpu = bench_cpu() - cpu0;
    double total = s.last_done > 0 ? s.last_done - t0 : bench_now() - t0;
    uint64_t inflight_peak = (uint64_t)created;
    printf("\n## Scale: one GET to each of %d distinct targets "
           "127.1.x.y:%d\n",
           created, r.port);
    printf("  answered %llu, failed %llu, resent %llu, timeouts %llu\n",
           (unsigned long long)s.ok, (unsigned long long)s.failed,
           (unsigned long long)stats.resent,
           (unsigned long long)stats.timeouts);
    printf("  time: %.1f ms total (%.1f ms to issue), CPU %.1f ms\n",
           total * 1e3, (t_issued - t0) * 1e3, cpu * 1e3);
    printf("  fds: %d before (%d sockets), %d after issuing (%d sockets), "
           "%d at first answer (%d sockets, %llu in flight)\n",
           before.fds, before.sockets, issued.fds, issued.sockets, s.during.fds,
           s.during.sockets, (unsigned long long)s.inflight_at_sample);
    printf("  sockets opened by the manager: %d (target: at most 2); the "
           "other new fds are the libuv loop's own (epoll, eventfd, signal "
           "pipe)\n",
           (s.during.sockets > issued.sockets ? s.during.sockets
                                              : issued.sockets) -
               before.sockets);
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    printf("  RSS: %ld kB before, peak %ld kB (VmHWM, reset before the "
           "test; +%ld kB, %.0f B per target); ru_maxrss %ld kB over the "
           "process's life\n",
           rss_before, rss_peak, rss_peak - rss_before,
           (double)(rss_peak - rss_before) * 1024.0 / created, ru.ru_maxrss);
    printf("  allocator: %llu B manager after one GET, %llu B for %d targets "
           "(%.0f B/target), +%llu B with all in flight "
           "(%.0f B per in-flight request; target: at most 1024), "
           "peak %llu B\n",
           (unsigned long long)live_empty,
           (unsigned long long)(live_targets - live_empty), created,
           (double)(live_targets - live_empty) / created,
           (unsigned long long)(live_issued - live_targets),
           (double)(live_issued - live_targets) / (double)inflight_peak,
           (unsigned long long)alloc.peak);
  }
  for (int i = 0; i < created; i++)
    usnmp_target_close(targets[i]);
  usnmp_manager_close(m, on_closed, &closed);
  run_guarded(&loop, 10);
  err = uv_loop_close(&loop);
  after = count_fds();
  rss_after = status_kb("VmRSS");
  printf("  after close: %d fds (%d sockets), RSS %ld kB, %llu B still "
         "allocated, uv_loop_close %s\n",
         after.fds, after.sockets, rss_after, (unsigned long long)alloc.live,
         err == 0 ? "ok" : uv_err_name(err));
  bench_child_stop(&r);
  free(targets);
  return s.ok == (uint64_t)created ? 0 : -1;
}

/* ------------------------------------------------------------------------
 * The ceiling: the same closed loop over raw UDP with batched system calls
 * and no SNMP work at all (a fixed GetRequest, answers only counted), to
 * show how much of the round trip is the kernel's and the responder's.
 * ------------------------------------------------------------------------ */

enum { RAW_BATCH = 64 };

static int raw_run(int port, uint32_t window, uint64_t count, double seconds,
                   bench_result *out) {
  /* v2c GetRequest "public" sysUpTime.0 with a 4-byte request-id at
   * offset 17. */
  static const uint8_t get[43] = {
      0x30, 0x29, 0x02, 0x01, 0x01, 0x04, 0x06, 'p',  'u',  'b',  'l',
      'i',  'c',  0xa0, 0x1c, 0x02, 0x04, 0x01, 0x00, 0x00, 0x00, 0x02,
      0x01, 0x00, 0x02, 0x01, 0x00, 0x30, 0x0e, 0x30, 0x0c, 0x06, 0x08,
      0x2b, 0x06, 0x01, 0x02, 0x01, 0x01, 0x03, 0x00, 0x05, 0x00};
  uint8_t send_buf[RAW_BATCH][sizeof get], recv_buf[RAW_BATCH][512];
  struct mmsghdr sm[RAW_BATCH], rm[RAW_BATCH];
  struct iovec siov[RAW_BATCH], riov[RAW_BATCH];
  struct sockaddr_in sin;
  struct timeval tv = {1, 0};
  uint64_t started = 0, done = 0;
  double t0, cpu0, deadline;
  int fd, stop = 0;

  fd = socket(AF_INET, SOCK_DGRAM, 0);
  if (fd < 0)
    return -1;
  memset(&sin, 0, sizeof sin);
  sin.sin_family = AF_INET;
  sin.sin_port = htons((uint16_t)port);
  sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  {
    int buf = 4 << 20;
    setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &buf, sizeof buf);
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  }
  if (connect(fd, (struct sockaddr *)&sin, sizeof sin) != 0) {
    close(fd);
    return -1;
  }
  for (int i = 0; i < RAW_BATCH; i++) {
    memcpy(send_buf[i], get, sizeof get);
    siov[i].iov_base = send_buf[i];
    siov[i].iov_len = sizeof get;
    memset(&sm[i], 0, sizeof sm[i]);
    sm[i].msg_hdr.msg_iov = &siov[i];
    sm[i].msg_hdr.msg_iovlen = 1;
    riov[i].iov_base = recv_buf[i];
    riov[i].iov_len = sizeof recv_buf[i];
    memset(&rm[i], 0, sizeof rm[i]);
    rm[i].msg_hdr.msg_iov = &riov[i];
    rm[i].msg_hdr.msg_iovlen = 1;
  }

  t0 = bench_now();
  cpu0 = bench_cpu();
  deadline = t0 + seconds;
  uint64_t to_send = window;
  while (!stop || done < started) {
    /* Send what completed (or the first window), in batches. */
    while (to_send > 0 && !stop && started < count) {
      unsigned n = 0;
      while (n < RAW_BATCH && to_send > 0 && started + n < count) {
        uint32_t id = 0x01000000u + (uint32_t)((started + n) & 0xffffff);
        send_buf[n][17] = (uint8_t)(id >> 24);
        send_buf[n][18] = (uint8_t)(id >> 16);
        send_buf[n][19] = (uint8_t)(id >> 8);
        send_buf[n][20] = (uint8_t)id;
        n++;
        to_send--;
      }
      int r = sendmmsg(fd, sm, n, 0);
      if (r <= 0) {
        stop = 1;
        break;
      }
      started += (uint64_t)r;
    }
    if (started >= count || bench_now() > deadline)
      stop = 1;
    if (done >= started)
      break;
    int r = recvmmsg(fd, rm, RAW_BATCH, MSG_WAITFORONE, NULL);
    if (r <= 0)
      break; /* a lost answer: the ceiling run just ends there */
    done += (uint64_t)r;
    to_send += (uint64_t)r;
  }
  out->wall_s = bench_now() - t0;
  out->cpu_s = bench_cpu() - cpu0;
  out->done = done;
  out->ok = done;
  out->failed = started - done;
  out->timeouts = 0;
  out->resent = 0;
  out->live_bytes = 0;
  close(fd);
  return 0;
}

/* ------------------------------------------------------------------------
 * Driver
 * ------------------------------------------------------------------------ */

static void usage(FILE *f) {
  fprintf(
      f,
      "usage: poll [--responder PATH] [--windows 1,16,64,256,1024]\n"
      "            [--count N] [--seconds S] [--runs R]\n"
      "            [--netsnmp-count N] [--no-netsnmp] [--no-raw] [--scale N]\n"
      "            [--no-throughput] [--cpu C] [--responder-cpu C]\n");
}

/* Returns the index of the best (fastest) run. */
static int best_run(const bench_result *runs, int n) {
  int best = 0;
  for (int i = 1; i < n; i++)
    if (runs[i].done / runs[i].wall_s > runs[best].done / runs[best].wall_s)
      best = i;
  return best;
}

static double rate(const bench_result *r) {
  return r->wall_s > 0 ? (double)r->done / r->wall_s : 0;
}

/* Prints the best rate and the spread of the runs: (max - min) / max. */
static void print_runs(const char *who, uint32_t w, const bench_result *runs,
                       int n) {
  const bench_result *b = &runs[best_run(runs, n)];
  double lo = rate(&runs[0]), hi = lo;
  uint64_t failed = 0, timeouts = 0, resent = 0;
  for (int i = 0; i < n; i++) {
    double x = rate(&runs[i]);
    lo = x < lo ? x : lo;
    hi = x > hi ? x : hi;
    failed += runs[i].failed;
    timeouts += runs[i].timeouts;
    resent += runs[i].resent;
  }
  printf("%-8s W=%-5u %9.0f GETs/s  %6.2f us CPU/GET  (runs: %.0f..%.0f, "
         "spread %4.1f%%; %llu GETs in best; all runs: failed %llu, timeouts "
         "%llu, resent %llu",
         who, w, rate(b), b->done ? b->cpu_s * 1e6 / (double)b->done : 0, lo,
         hi, hi > 0 ? 100 * (hi - lo) / hi : 0, (unsigned long long)b->done,
         (unsigned long long)failed, (unsigned long long)timeouts,
         (unsigned long long)resent);
  if (b->live_bytes > 0)
    printf("; %.0f B/in-flight", (double)b->live_bytes / w);
  printf(")\n");
  fflush(stdout);
}

int main(int argc, char **argv) {
  static const struct option longopts[] = {
      {"responder", required_argument, NULL, 'R'},
      {"windows", required_argument, NULL, 'w'},
      {"count", required_argument, NULL, 'n'},
      {"seconds", required_argument, NULL, 's'},
      {"runs", required_argument, NULL, 'r'},
      {"netsnmp-count", required_argument, NULL, 'N'},
      {"no-netsnmp", no_argument, NULL, 'X'},
      {"no-raw", no_argument, NULL, 'W'},
      {"scale", required_argument, NULL, 'S'},
      {"no-throughput", no_argument, NULL, 'T'},
      {"cpu", required_argument, NULL, 'c'},
      {"responder-cpu", required_argument, NULL, 'C'},
      {"help", no_argument, NULL, 'h'},
      {NULL, 0, NULL, 0}};
  char responder_path[PATH_MAX];
  uint32_t windows[WINDOWS_MAX] = {1, 16, 64, 256, 1024};
  int n_windows = 5, runs = 3, opt, scale = 10000, throughput = 1;
  int netsnmp = 1, cpu = -1, rc = 0;
  uint64_t count = 500000, netsnmp_count = 200000;
  double seconds = 10;
  const char *responder_cpu = NULL;
  bench_result results[WINDOWS_MAX][3] = {{{0}}};
  int raw_ceiling = 1;

  responder_path[0] = '\0';
  while ((opt = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
    switch (opt) {
    case 'R':
      snprintf(responder_path, sizeof responder_path, "%s", optarg);
      break;
    case 'w': {
      char *p = optarg;
      n_windows = 0;
      while (*p != '\0' && n_windows < WINDOWS_MAX) {
        long w = strtol(p, &p, 10);
        if (w < 1 || w > 65536) {
          usage(stderr);
          return 2;
        }
        windows[n_windows++] = (uint32_t)w;
        if (*p == ',')
          p++;
      }
      break;
    }
    case 'n':
      count = strtoull(optarg, NULL, 10);
      break;
    case 's':
      seconds = atof(optarg);
      break;
    case 'r':
      runs = atoi(optarg);
      break;
    case 'N':
      netsnmp_count = strtoull(optarg, NULL, 10);
      break;
    case 'X':
      netsnmp = 0;
      break;
    case 'W':
      raw_ceiling = 0;
      break;
    case 'S':
      scale = atoi(optarg);
      break;
    case 'T':
      throughput = 0;
      break;
    case 'c':
      cpu = atoi(optarg);
      break;
    case 'C':
      responder_cpu = optarg;
      break;
    case 'h':
      usage(stdout);
      return 0;
    default:
      usage(stderr);
      return 2;
    }
  }
  if (optind != argc || runs < 1 || runs > RUNS_MAX || count < 1 ||
      !(seconds > 0 && seconds <= 120) || n_windows < 1) {
    usage(stderr);
    return 2;
  }
#ifndef HAVE_NETSNMP
  netsnmp = 0;
#endif
  if (responder_path[0] == '\0') {
    /* Default: the responder built next to this program. */
    ssize_t n =
        readlink("/proc/self/exe", responder_path, sizeof responder_path - 16);
    char *slash;
    if (n <= 0) {
      perror("readlink /proc/self/exe");
      return 1;
    }
    responder_path[n] = '\0';
    slash = strrchr(responder_path, '/');
    strcpy(slash != NULL ? slash + 1 : responder_path, "responder");
  }
  bench_pin_cpu(cpu, "poll");
  signal(SIGPIPE, SIG_IGN);

  {
    double load[3] = {0, 0, 0};
    FILE *f = fopen("/proc/loadavg", "r");
    if (f != NULL) {
      if (fscanf(f, "%lf %lf %lf", &load[0], &load[1], &load[2]) != 3)
        load[0] = load[1] = load[2] = -1;
      fclose(f);
    }
    printf("# bench/poll: usnmp %s, libuv %s, %ld CPUs, load average %.2f "
           "%.2f %.2f\n",
           usnmp_version_string(), uv_version_string(),
           sysconf(_SC_NPROCESSORS_ONLN), load[0], load[1], load[2]);
  }

  if (throughput) {
    /* The responder must outlive every run: bound it generously, stop it
     * explicitly at the end. */
    char secs[32];
    const char *args[8] = {"--seconds", secs, NULL, NULL, NULL};
    bench_child r;
    char agent[64], ns_agent[64];
    snprintf(secs, sizeof secs, "%.0f",
             (seconds + 8) * runs * n_windows * 2 + 30);
    if (responder_cpu != NULL) {
      args[2] = "--cpu";
      args[3] = responder_cpu;
    }
    if (bench_child_start(&r, responder_path, args) != 0)
      return 1;
    snprintf(agent, sizeof agent, "127.0.0.1:%d", r.port);
    snprintf(ns_agent, sizeof ns_agent, "udp:127.0.0.1:%d", r.port);
#ifdef HAVE_NETSNMP
    if (netsnmp)
      bench_netsnmp_init();
#endif
    printf("# GETs of .%s, one OID each; closed loop, W in flight; best of "
           "%d runs; usnmp %llu GETs/run, net-snmp %llu, at most %.0f s/run\n",
           POLL_OID, runs, (unsigned long long)count,
           (unsigned long long)netsnmp_count, seconds);
    for (int wi = 0; wi < n_windows; wi++) {
      bench_result u[RUNS_MAX], ns[RUNS_MAX], raw[RUNS_MAX];
      memset(u, 0, sizeof u);
      memset(ns, 0, sizeof ns);
      memset(raw, 0, sizeof raw);
      for (int i = 0; i < runs; i++) {
        if (raw_ceiling &&
            raw_run(r.port, windows[wi], count, seconds, &raw[i]) != 0)
          rc = 1;
        if (usnmp_run(agent, windows[wi], count, seconds, &u[i]) != 0)
          rc = 1;
#ifdef HAVE_NETSNMP
        if (netsnmp && bench_netsnmp_run(ns_agent, "." POLL_OID, windows[wi],
                                         netsnmp_count, seconds, &ns[i]) != 0)
          rc = 1;
#endif
      }
      print_runs("usnmp", windows[wi], u, runs);
      results[wi][0] = u[best_run(u, runs)];
      if (netsnmp) {
        print_runs("net-snmp", windows[wi], ns, runs);
        results[wi][1] = ns[best_run(ns, runs)];
      }
      if (raw_ceiling) {
        print_runs("raw-udp", windows[wi], raw, runs);
        results[wi][2] = raw[best_run(raw, runs)];
      }
    }
    bench_child_stop(&r);
    printf("\n# ratios of the best runs\n");
    for (int wi = 0; wi < n_windows; wi++) {
      const bench_result *a = &results[wi][0], *b = &results[wi][1],
                         *c = &results[wi][2];
      printf("W=%-5u", windows[wi]);
      if (netsnmp && rate(b) > 0 && b->done > 0 && a->done > 0)
        printf("  usnmp/net-snmp: throughput x%.2f, CPU per GET x%.2f",
               rate(a) / rate(b),
               (a->cpu_s / (double)a->done) / (b->cpu_s / (double)b->done));
      if (raw_ceiling && rate(c) > 0)
        printf("  usnmp/raw-udp: %.0f%%", 100 * rate(a) / rate(c));
      printf("\n");
    }
  }
  if (scale > 0 && scale_run(responder_path, scale) != 0)
    rc = 1;
  return rc;
}
