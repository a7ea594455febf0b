/*
 * The minimal Python manager's README example, in C with the blocking API:
 * start GET and GETNEXT of two OIDs on every host without blocking, then
 * collect every answer and print how long it all took.  Because all
 * requests are in flight together, the whole run takes about one round
 * trip, not one per host.
 *
 *   blocking [-c COMMUNITY] [-t TIMEOUT_S] HOST [HOST...]
 *
 * HOST is anything the async API takes: 127.0.0.1, 127.0.0.1:1161,
 * [::1]:1161, localhost.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "usnmp.h"

static double now_s(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void print_list(const usnmp_vblist *l) {
  char line[4096];
  for (size_t i = 0; i < usnmp_vblist_count(l); i++) {
    usnmp_varbind_format(line, sizeof line, usnmp_vblist_get(l, i));
    printf("%s\n", line);
  }
}

int main(int argc, char **argv) {
  const char *community = "public";
  double timeout_s = 1.0;
  int i = 1;
  for (; i < argc && argv[i][0] == '-'; i++) {
    if (strcmp(argv[i], "-c") == 0 && i + 1 < argc)
      community = argv[++i];
    else if (strcmp(argv[i], "-t") == 0 && i + 1 < argc)
      timeout_s = atof(argv[++i]);
    else
      break;
  }
  if (i >= argc || timeout_s <= 0) {
    fprintf(stderr, "usage: %s [-c COMMUNITY] [-t TIMEOUT_S] HOST [HOST...]\n",
            argv[0]);
    return 2;
  }
  char **hosts = &argv[i];
  int n_hosts = argc - i;

  usnmp_oid oids[2];
  usnmp_oid_parse(&oids[0], "1.3.6.1.2.1.1.1.0"); /* sysDescr.0 */
  usnmp_oid_parse(&oids[1], "1.3.6.1.2.1.1.5.0"); /* sysName.0 */

  usnmp_sync *s;
  int rc = usnmp_sync_init(&s);
  if (rc) {
    fprintf(stderr, "usnmp_sync_init: %s\n", usnmp_strerror(rc));
    return 1;
  }
  usnmp_sync_set_community(s, community);

  usnmp_call_opts start = {USNMP_CALL_NONBLOCK | USNMP_CALL_TIMEOUT,
                           (uint32_t)(timeout_s * 1000), NULL};
  double t0 = now_s();
  /* Start everything first: nothing waits here. */
  for (int h = 0; h < n_hosts; h++) {
    usnmp_sync_get(s, hosts[h], oids, 2, &start, NULL);
    usnmp_sync_getnext(s, hosts[h], oids, 2, &start, NULL);
  }
  int failures = 0;
  for (int h = 0; h < n_hosts; h++) {
    /* The same calls again, blocking: they collect what was started. */
    for (int next = 0; next < 2; next++) {
      usnmp_vblist *l = NULL;
      rc = next ? usnmp_sync_getnext(s, hosts[h], oids, 2, NULL, &l)
                : usnmp_sync_get(s, hosts[h], oids, 2, NULL, &l);
      if (rc) {
        printf("Request for %s from host %s failed: %s\n",
               next ? "GETNEXT" : "GET", hosts[h], usnmp_strerror(rc));
        failures++;
        continue;
      }
      print_list(l);
      usnmp_vblist_free(l);
    }
  }
  printf("Took %.6f seconds\n", now_s() - t0);
  usnmp_sync_close(s);
  return failures ? 1 : 0;
}
