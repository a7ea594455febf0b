/*
 * poll-tables: a libuv poller of ifTable joined with ifXTable on several
 * agents at once, every PERIOD seconds.
 *
 *   poll-tables [-c COMMUNITY] [-p PERIOD_S] [-n POLLS] [-t RESEND_MS]
 *               [-r RETRIES] AGENT...
 *
 * Each poll starts one table fetch per agent (usnmp_table_start with
 * columns of both tables, which share ifIndex), all on one manager, and
 * prints a line per interface:
 *
 *   poll 1 127.0.0.1:1161 .1 STRING: "lo" | INTEGER: 1 | STRING: "lo" | ...
 *   poll 1 127.0.0.1:1161: 4 rows in 3.1 ms
 *   poll 1 127.0.0.1:9: no response before the timeout (after 1000.4 ms)
 *
 * Timing: a target's defaults (1 s before each resend, 5 resends) let a
 * dead agent's fetch run 6 s, longer than a poll period of 2 s, so this
 * poller sets its own: RESEND_MS (default a quarter of the period) before
 * each resend, RETRIES resends (default 1), and a cap of half the period
 * on each request (usnmp_target_set_timeout).  A fetch still running when
 * its agent's next poll comes is not started twice: that poll is skipped
 * for the agent and says so.
 *
 * Exit status: 0 when every fetch of every poll succeeded, 1 otherwise, 2
 * for a usage error.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <usnmp.h>
#include <uv.h>

static const char *const column_text[] = {
    "1.3.6.1.2.1.2.2.1.2",     /* ifDescr */
    "1.3.6.1.2.1.2.2.1.8",     /* ifOperStatus */
    "1.3.6.1.2.1.31.1.1.1.1",  /* ifName (ifXTable) */
    "1.3.6.1.2.1.31.1.1.1.6",  /* ifHCInOctets (ifXTable) */
    "1.3.6.1.2.1.31.1.1.1.10", /* ifHCOutOctets (ifXTable) */
};
#define N_COLUMNS (sizeof column_text / sizeof column_text[0])

typedef struct agent {
  const char *name;
  usnmp_target *target;
  int busy;         /* a fetch is running */
  unsigned poll;    /* the poll that started it */
  uint64_t started; /* uv_hrtime() at its start */
} agent;

typedef struct poller {
  uv_loop_t *loop;
  usnmp_manager *manager;
  uv_timer_t timer;
  agent *agents;
  size_t n_agents;
  usnmp_oid columns[N_COLUMNS];
  unsigned poll, polls;
  size_t running;
  int failures;
} poller;

static void finish_if_done(poller *p) {
  if (p->poll < p->polls || p->running > 0 || p->manager == NULL)
    return;
  usnmp_manager_close(p->manager, NULL, NULL);
  p->manager = NULL;
  uv_close((uv_handle_t *)&p->timer, NULL);
}

static int on_row(usnmp_table *tb, const usnmp_table_row *row, void *arg) {
  agent *a = arg;
  char index[64], cell[256];
  (void)tb;
  usnmp_oid_format(index, sizeof index, row->index);
  printf("poll %u %s %s", a->poll, a->name, index);
  for (size_t i = 0; i < row->n_columns; i++) {
    usnmp_value_format(cell, sizeof cell, &row->values[i]);
    printf("%s%s", i ? " | " : " ", cell);
  }
  printf("\n");
  return 0;
}

static void on_done(usnmp_table *tb, const usnmp_table_result *result,
                    void *arg) {
  agent *a = arg;
  poller *p = usnmp_target_data(a->target);
  double ms = (double)(uv_hrtime() - a->started) / 1e6;
  (void)tb;
  if (result->status == 0) {
    printf("poll %u %s: %llu rows in %.1f ms\n", a->poll, a->name,
           (unsigned long long)result->rows, ms);
  } else {
    printf("poll %u %s: %s (after %.1f ms)\n", a->poll, a->name,
           usnmp_strerror(result->status), ms);
    p->failures++;
  }
  fflush(stdout);
  a->busy = 0;
  p->running--;
  finish_if_done(p);
}

static void on_timer(uv_timer_t *timer) {
  poller *p = timer->data;
  p->poll++;
  for (size_t i = 0; i < p->n_agents; i++) {
    agent *a = &p->agents[i];
    if (a->busy) {
      printf("poll %u %s: skipped, the fetch of poll %u still runs\n", p->poll,
             a->name, a->poll);
      p->failures++;
      continue;
    }
    a->poll = p->poll;
    a->started = uv_hrtime();
    int rc = usnmp_table_start(a->target, NULL, p->columns, N_COLUMNS, NULL,
                               on_row, on_done, a, NULL);
    if (rc != 0) {
      printf("poll %u %s: %s\n", p->poll, a->name, usnmp_strerror(rc));
      p->failures++;
      continue;
    }
    a->busy = 1;
    p->running++;
  }
  if (p->poll == p->polls)
    uv_timer_stop(&p->timer);
  finish_if_done(p);
}

int main(int argc, char **argv) {
  const char *community = "public";
  double period_s = 2.0;
  long polls = 3, resend_ms = -1, retries = 1;
  int i = 1;
  for (; i + 1 < argc && argv[i][0] == '-'; i += 2) {
    const char *v = argv[i + 1];
    if (strcmp(argv[i], "-c") == 0)
      community = v;
    else if (strcmp(argv[i], "-p") == 0)
      period_s = atof(v);
    else if (strcmp(argv[i], "-n") == 0)
      polls = atol(v);
    else if (strcmp(argv[i], "-t") == 0)
      resend_ms = atol(v);
    else if (strcmp(argv[i], "-r") == 0)
      retries = atol(v);
    else
      break;
  }
  if (i >= argc || period_s < 0.01 || polls < 1 || retries < 0) {
    fprintf(stderr,
            "usage: %s [-c COMMUNITY] [-p PERIOD_S] [-n POLLS] "
            "[-t RESEND_MS] [-r RETRIES] AGENT...\n",
            argv[0]);
    return 2;
  }
  uint32_t period_ms = (uint32_t)(period_s * 1000);
  if (resend_ms <= 0)
    resend_ms = period_ms / 4 > 0 ? period_ms / 4 : 1;

  poller p;
  memset(&p, 0, sizeof p);
  p.loop = uv_default_loop();
  p.polls = (unsigned)polls;
  p.n_agents = (size_t)(argc - i);
  p.agents = calloc(p.n_agents, sizeof *p.agents);
  if (p.agents == NULL)
    return 1;
  for (size_t c = 0; c < N_COLUMNS; c++)
    usnmp_oid_parse(&p.columns[c], column_text[c]);
  int rc = usnmp_manager_init(&p.manager, p.loop, NULL);
  if (rc != 0) {
    fprintf(stderr, "usnmp_manager_init: %s\n", usnmp_strerror(rc));
    return 1;
  }
  for (size_t k = 0; k < p.n_agents; k++) {
    agent *a = &p.agents[k];
    a->name = argv[i + (int)k];
    rc = usnmp_target_init(p.manager, &a->target, a->name);
    if (rc != 0) {
      fprintf(stderr, "%s: %s\n", a->name, usnmp_strerror(rc));
      return 2;
    }
    usnmp_target_set_data(a->target, &p);
    usnmp_target_set_community(a->target, community);
    usnmp_target_set_resend(a->target, (uint32_t)resend_ms);
    usnmp_target_set_retries(a->target, (int32_t)retries);
    usnmp_target_set_timeout(a->target, period_ms / 2);
  }
  uv_timer_init(p.loop, &p.timer);
  p.timer.data = &p;
  uv_timer_start(&p.timer, on_timer, 0, period_ms);
  uv_run(p.loop, UV_RUN_DEFAULT);
  uv_loop_close(p.loop);
  free(p.agents);
  return p.failures ? 1 : 0;
}
