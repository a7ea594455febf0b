/*
 * poll-many: GET a few OIDs from many agents at once and print a table.
 *
 *   poll-many [-c community] [-v 1|2c] [-t timeout_s] [-r retries]
 *             OID[,OID...] AGENT...
 *
 * Every agent gets one GET with all the OIDs, all of them in flight at the
 * same time on one manager (one socket per address family, whatever the
 * number of agents).  As with net-snmp's tools, -t is the time to wait
 * before each resend and -r the number of resends (defaults 1 s and 5).
 *
 * Output: one row per agent, in the order given, with the round-trip time
 * of the answer in milliseconds and each value as net-snmp prints it, or
 * the reason there is none:
 *
 *   AGENT            RTT ms  .1.3.6.1.2.1.1.5.0  .1.3.6.1.2.1.1.3.0
 *   127.0.0.1:1161     0.21  STRING: "router"   Timeticks: (42) 0:00:00.42
 *   10.0.0.9               -  error: no response before the timeout
 *
 * Exit status: 0 when every agent answered without an error-status, 1 when
 * some did not, 2 for a usage error.
 */
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <usnmp.h>

#define MAX_OIDS 64

/* One row of the table: what an agent answered, copied out of the
 * callback (the response lives only during it). */
typedef struct row {
  const char *agent;
  int done;
  int status;           /* usnmp status, 0 when the agent answered */
  int32_t error_status; /* the agent's error-status */
  int32_t error_index;
  double rtt_ms;
  size_t n_values;
  char *values[MAX_OIDS]; /* formatted values, owned */
  char *error;            /* the reason there are no values, owned */
} row;

typedef struct poll_state {
  usnmp_manager *manager;
  size_t pending;
} poll_state;

/* Returns a heap copy of text formatted by printf rules, or NULL. */
static char *format_alloc(const char *fmt, ...)
    __attribute__((format(printf, 1, 2)));

static char *format_alloc(const char *fmt, ...) {
  va_list ap;
  int n;
  char *s;
  va_start(ap, fmt);
  n = vsnprintf(NULL, 0, fmt, ap);
  va_end(ap);
  s = n < 0 ? NULL : malloc((size_t)n + 1);
  if (s != NULL) {
    va_start(ap, fmt);
    vsnprintf(s, (size_t)n + 1, fmt, ap);
    va_end(ap);
  }
  return s;
}

/* Returns the value formatted as net-snmp prints it, on the heap, or NULL
 * when memory runs out. */
static char *format_value(const usnmp_value *v) {
  char small[128];
  int n = usnmp_value_format(small, sizeof small, v);
  char *s;
  if (n < 0)
    return format_alloc("(malformed value: %s)", usnmp_strerror(n));
  s = malloc((size_t)n + 1);
  if (s == NULL)
    return NULL;
  if ((size_t)n < sizeof small)
    memcpy(s, small, (size_t)n + 1);
  else
    usnmp_value_format(s, (size_t)n + 1, v);
  return s;
}

static void on_response(const usnmp_response *resp, void *arg) {
  row *r = usnmp_target_data(resp->target);
  poll_state *st = arg;

  r->done = 1;
  r->status = resp->status;
  r->error_status = resp->error_status;
  r->error_index = resp->error_index;
  r->rtt_ms = (double)resp->rtt_ns / 1e6;
  if (resp->status != 0)
    r->error = format_alloc("error: %s", usnmp_strerror(resp->status));
  else if (resp->error_status != 0)
    r->error = format_alloc("error: %s (index %ld)",
                            usnmp_error_status_text(resp->error_status),
                            (long)resp->error_index);
  else
    for (size_t i = 0; i < resp->varbind_count && i < MAX_OIDS; i++)
      r->values[r->n_values++] = format_value(&resp->varbinds[i].value);

  /* The last answer closes the manager, which lets uv_run() return. */
  if (--st->pending == 0)
    usnmp_manager_close(st->manager, NULL, NULL);
}

static void usage(FILE *f) {
  fprintf(f, "usage: poll-many [-c community] [-v 1|2c] [-t timeout_s] "
             "[-r retries] OID[,OID...] AGENT...\n");
}

/* Splits the comma-separated list into oids.  Returns their number, or -1
 * after printing which one is wrong. */
static int parse_oids(usnmp_oid *oids, char *list) {
  int n = 0;
  for (char *save = NULL, *tok = strtok_r(list, ",", &save); tok != NULL;
       tok = strtok_r(NULL, ",", &save)) {
    int err;
    if (n == MAX_OIDS) {
      fprintf(stderr, "poll-many: at most %d OIDs\n", MAX_OIDS);
      return -1;
    }
    if ((err = usnmp_oid_parse(&oids[n], tok)) != 0) {
      fprintf(stderr, "poll-many: %s: %s\n", tok, usnmp_strerror(err));
      return -1;
    }
    n++;
  }
  return n;
}

static size_t max_size(size_t a, size_t b) { return a > b ? a : b; }

/* Prints the table, each column as wide as its widest cell. */
static void print_table(const row *rows, size_t n_rows, const usnmp_oid *oids,
                        int n_oids) {
  char heads[MAX_OIDS][5 * USNMP_OID_MAX_LEN + 2];
  size_t w_agent = strlen("AGENT"), w_rtt = strlen("RTT ms");
  size_t w[MAX_OIDS];

  for (int j = 0; j < n_oids; j++) {
    usnmp_oid_format(heads[j], sizeof heads[j], &oids[j]);
    w[j] = strlen(heads[j]);
  }
  for (size_t i = 0; i < n_rows; i++) {
    w_agent = max_size(w_agent, strlen(rows[i].agent));
    for (size_t j = 0; j < rows[i].n_values; j++)
      if (rows[i].values[j] != NULL)
        w[j] = max_size(w[j], strlen(rows[i].values[j]));
  }

  printf("%-*s  %*s", (int)w_agent, "AGENT", (int)w_rtt, "RTT ms");
  for (int j = 0; j < n_oids; j++)
    printf("  %-*s", j + 1 < n_oids ? (int)w[j] : 0, heads[j]);
  printf("\n");
  for (size_t i = 0; i < n_rows; i++) {
    const row *r = &rows[i];
    printf("%-*s  ", (int)w_agent, r->agent);
    if (r->status == 0 && r->done)
      printf("%*.2f", (int)w_rtt, r->rtt_ms);
    else
      printf("%*s", (int)w_rtt, "-");
    if (r->error != NULL || !r->done) {
      printf("  %s\n", r->error != NULL ? r->error : "error: out of memory");
      continue;
    }
    for (size_t j = 0; j < r->n_values; j++)
      printf("  %-*s", j + 1 < r->n_values ? (int)w[j] : 0,
             r->values[j] != NULL ? r->values[j] : "(out of memory)");
    if (r->n_values != (size_t)n_oids)
      printf("  (%zu values for %d OIDs)", r->n_values, n_oids);
    printf("\n");
  }
}

int main(int argc, char **argv) {
  const char *community = "public";
  usnmp_version version = USNMP_VERSION_2C;
  double timeout_s = 1;
  long retries = 5;
  usnmp_oid oids[MAX_OIDS];
  int n_oids, opt, err, failed = 0;
  uv_loop_t loop;
  poll_state st = {NULL, 0};
  row *rows;
  size_t n_rows;

  while ((opt = getopt(argc, argv, "c:v:t:r:h")) != -1) {
    switch (opt) {
    case 'c':
      community = optarg;
      break;
    case 'v':
      if (strcmp(optarg, "1") == 0)
        version = USNMP_VERSION_1;
      else if (strcmp(optarg, "2c") == 0)
        version = USNMP_VERSION_2C;
      else {
        usage(stderr);
        return 2;
      }
      break;
    case 't':
      timeout_s = atof(optarg);
      break;
    case 'r':
      retries = strtol(optarg, NULL, 10);
      break;
    case 'h':
      usage(stdout);
      return 0;
    default:
      usage(stderr);
      return 2;
    }
  }
  if (argc - optind < 2 || !(timeout_s > 0 && timeout_s <= 3600) ||
      retries < 0 || retries > 100) {
    usage(stderr);
    return 2;
  }
  if ((n_oids = parse_oids(oids, argv[optind])) <= 0) {
    usage(stderr);
    return 2;
  }
  n_rows = (size_t)(argc - optind - 1);
  rows = calloc(n_rows, sizeof *rows);
  if (rows == NULL) {
    fprintf(stderr, "poll-many: out of memory\n");
    return 1;
  }

  if ((err = uv_loop_init(&loop)) != 0 ||
      (err = usnmp_manager_init(&st.manager, &loop, NULL)) != 0) {
    fprintf(stderr, "poll-many: %s\n", usnmp_strerror(err));
    free(rows);
    return 1;
  }
  /* Every agent in flight at once, whatever their number. */
  usnmp_manager_set_max_inflight(st.manager, 0);

  for (size_t i = 0; i < n_rows; i++) {
    row *r = &rows[i];
    usnmp_target *t;
    r->agent = argv[optind + 1 + (int)i];
    err = usnmp_target_init(st.manager, &t, r->agent);
    if (err == 0) {
      usnmp_target_set_data(t, r);
      if ((err = usnmp_target_set_version(t, version)) == 0 &&
          (err = usnmp_target_set_community(t, community)) == 0 &&
          (err = usnmp_target_set_resend(t, (uint32_t)(timeout_s * 1000))) ==
              0 &&
          (err = usnmp_target_set_retries(t, (int32_t)retries)) == 0)
        err = usnmp_get(t, oids, (size_t)n_oids, NULL, on_response, &st, NULL);
    }
    if (err != 0) {
      /* No callback will come for this row: fill it in now. */
      r->done = 1;
      r->status = err;
      r->error = format_alloc("error: %s", usnmp_strerror(err));
      continue;
    }
    st.pending++;
  }
  if (st.pending == 0)
    usnmp_manager_close(st.manager, NULL, NULL);
  uv_run(&loop, UV_RUN_DEFAULT);
  if (uv_loop_close(&loop) != 0)
    fprintf(stderr, "poll-many: the loop did not close cleanly\n");

  print_table(rows, n_rows, oids, n_oids);
  for (size_t i = 0; i < n_rows; i++) {
    if (rows[i].status != 0 || rows[i].error_status != 0 || !rows[i].done)
      failed = 1;
    for (size_t j = 0; j < rows[i].n_values; j++)
      free(rows[i].values[j]);
    free(rows[i].error);
  }
  free(rows);
  return failed;
}
