/*
 * What several benchmark programs share: clocks, and a peer process (a
 * responder) started as a child that reports the port it listens on.
 */
#ifndef USNMP_BENCH_UTIL_H
#define USNMP_BENCH_UTIL_H

#include <sys/types.h>

/* Returns CLOCK_MONOTONIC in seconds. */
double bench_now(void);
/* Returns user + system CPU seconds of this process so far. */
double bench_cpu(void);

/* Pins this process to CPU cpu when cpu >= 0 (a failure is printed with
 * who, and the run goes on unpinned). */
void bench_pin_cpu(int cpu, const char *who);

typedef struct bench_child {
  pid_t pid;
  int port;
} bench_child;

/* Starts `path` with args (NULL-terminated, without argv[0], at most 14)
 * and reads the "port N" line it prints once listening, for at most 5
 * seconds.  Returns 0, or -1 after printing why (nothing is left
 * running then). */
int bench_child_start(bench_child *c, const char *path,
                      const char *const *args);

/* Stops a child started by bench_child_start (SIGTERM, then waits for it;
 * responders print their counters as they go).  Does nothing if none. */
void bench_child_stop(bench_child *c);

#endif /* USNMP_BENCH_UTIL_H */
