/* Clocks and child responders for the benchmarks: see bench_util.h. */
#include "bench_util.h"

#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

double bench_now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

double bench_cpu(void) {
  struct rusage ru;
  getrusage(RUSAGE_SELF, &ru);
  return (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6 +
         (double)ru.ru_stime.tv_sec + (double)ru.ru_stime.tv_usec / 1e6;
}

void bench_pin_cpu(int cpu, const char *who) {
  cpu_set_t set;
  if (cpu < 0)
    return;
  CPU_ZERO(&set);
  CPU_SET(cpu, &set);
  if (sched_setaffinity(0, sizeof set, &set) != 0) {
    fprintf(stderr, "%s: ", who);
    perror("sched_setaffinity");
  }
}

int bench_child_start(bench_child *c, const char *path,
                      const char *const *args) {
  const char *argv[16];
  int fds[2], n = 0, status;
  char line[64];
  size_t used = 0;
  double deadline = bench_now() + 5;

  argv[n++] = path;
  while (*args != NULL && n < 15)
    argv[n++] = *args++;
  argv[n] = NULL;
  if (pipe(fds) != 0) {
    perror("pipe");
    return -1;
  }
  c->pid = fork();
  if (c->pid < 0) {
    perror("fork");
    close(fds[0]);
    close(fds[1]);
    return -1;
  }
  if (c->pid == 0) {
    dup2(fds[1], STDOUT_FILENO);
    close(fds[0]);
    close(fds[1]);
    execv(path, (char *const *)argv);
    perror(path);
    _exit(127);
  }
  close(fds[1]);
  /* Read one line, bounded in size and time. */
  while (used < sizeof line - 1 && bench_now() < deadline) {
    struct pollfd pfd = {fds[0], POLLIN, 0};
    ssize_t got;
    if (poll(&pfd, 1, 100) <= 0)
      continue;
    got = read(fds[0], line + used, 1);
    if (got <= 0)
      break;
    used++;
    if (line[used - 1] == '\n')
      break;
  }
  line[used] = '\0';
  close(fds[0]);
  if (sscanf(line, "port %d", &c->port) != 1 || c->port <= 0) {
    fprintf(stderr, "%s did not report a port\n", path);
    kill(c->pid, SIGTERM);
    waitpid(c->pid, &status, 0);
    c->pid = 0;
    return -1;
  }
  return 0;
}

void bench_child_stop(bench_child *c) {
  int status;
  if (c->pid <= 0)
    return;
  kill(c->pid, SIGTERM);
  waitpid(c->pid, &status, 0);
  c->pid = 0;
}
