/*
 * A real net-snmp snmpd for usnmp's tests: see snmpd_fixture.h.
 *
 * The agent runs in the foreground (-f) as our child, so the test owns its
 * whole life: no daemonising, no stray pid files, nothing left behind when
 * the test ends.  PR_SET_PDEATHSIG makes the kernel stop it even when the
 * test process crashes before it can call usnmp_test_snmpd_stop().
 */
#include "snmpd_fixture.h"

#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#ifndef USNMP_TEST_SNMPD_CONF
#error "the build must define USNMP_TEST_SNMPD_CONF (path of test/snmpd.conf)"
#endif

extern char **environ;

/* How long the agent may take to answer after it was started, and to exit
 * after SIGTERM.  snmpd needs about a second to localise the keys of all
 * the v3 users; the margin is for a loaded CI machine. */
#define START_TIMEOUT_MS 10000
#define STOP_TIMEOUT_MS 5000
/* Attempts with a fresh port when snmpd exits at once: another process may
 * take the port between our probe and snmpd's bind. */
#define START_ATTEMPTS 3

#define A(name, auth, priv)                                                    \
  { name, "authPriv", auth, priv, 1 }
const usnmp_test_snmpd_user usnmp_test_snmpd_users[] = {
    {"noauth", "noAuthNoPriv", NULL, NULL, 1},
    {"md5nopriv", "authNoPriv", "MD5", NULL, 1},
    {"shanopriv", "authNoPriv", "SHA", NULL, 1},
    {"sha224nopriv", "authNoPriv", "SHA-224", NULL, 1},
    {"sha256nopriv", "authNoPriv", "SHA-256", NULL, 1},
    {"sha384nopriv", "authNoPriv", "SHA-384", NULL, 1},
    {"sha512nopriv", "authNoPriv", "SHA-512", NULL, 1},
    A("md5des", "MD5", "DES"),
    A("md5aes", "MD5", "AES"),
    A("md5aes192", "MD5", "AES-192"),
    A("md5aes256", "MD5", "AES-256"),
    A("md5aes192c", "MD5", "AES-192-C"),
    A("md5aes256c", "MD5", "AES-256-C"),
    A("shades", "SHA", "DES"),
    A("shaaes", "SHA", "AES"),
    A("shaaes192", "SHA", "AES-192"),
    A("shaaes256", "SHA", "AES-256"),
    A("shaaes192c", "SHA", "AES-192-C"),
    A("shaaes256c", "SHA", "AES-256-C"),
    A("sha224des", "SHA-224", "DES"),
    A("sha224aes", "SHA-224", "AES"),
    A("sha224aes192", "SHA-224", "AES-192"),
    A("sha224aes256", "SHA-224", "AES-256"),
    A("sha224aes192c", "SHA-224", "AES-192-C"),
    A("sha224aes256c", "SHA-224", "AES-256-C"),
    A("sha256des", "SHA-256", "DES"),
    A("sha256aes", "SHA-256", "AES"),
    A("sha256aes192", "SHA-256", "AES-192"),
    A("sha256aes256", "SHA-256", "AES-256"),
    A("sha256aes192c", "SHA-256", "AES-192-C"),
    A("sha256aes256c", "SHA-256", "AES-256-C"),
    A("sha384des", "SHA-384", "DES"),
    A("sha384aes", "SHA-384", "AES"),
    A("sha384aes192", "SHA-384", "AES-192"),
    A("sha384aes256", "SHA-384", "AES-256"),
    A("sha384aes192c", "SHA-384", "AES-192-C"),
    A("sha384aes256c", "SHA-384", "AES-256-C"),
    A("sha512des", "SHA-512", "DES"),
    A("sha512aes", "SHA-512", "AES"),
    A("sha512aes192", "SHA-512", "AES-192"),
    A("sha512aes256", "SHA-512", "AES-256"),
    A("sha512aes192c", "SHA-512", "AES-192-C"),
    A("sha512aes256c", "SHA-512", "AES-256-C"),
    {"readonly", "authPriv", "SHA", "AES", 0},
};
#undef A
const size_t usnmp_test_snmpd_user_count =
    sizeof usnmp_test_snmpd_users / sizeof usnmp_test_snmpd_users[0];

static uint64_t now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

static void sleep_ms(unsigned ms) {
  struct timespec ts = {ms / 1000u, (long)(ms % 1000u) * 1000000L};
  while (nanosleep(&ts, &ts) != 0 && errno == EINTR) {
  }
}

static const char *find_snmpd(void) {
  static const char *const candidates[] = {"/usr/sbin/snmpd",
                                           "/usr/local/sbin/snmpd"};
  for (size_t i = 0; i < sizeof candidates / sizeof candidates[0]; i++)
    if (access(candidates[i], X_OK) == 0)
      return candidates[i];
  return NULL;
}

/* Finds a UDP port free on both 127.0.0.1 and ::1 by letting the kernel
 * pick one for IPv4 and trying the same number on IPv6.  Returns the port
 * or 0.  The sockets are closed again before snmpd binds, so another
 * process may grab the port meanwhile; start() retries for that case. */
static uint16_t pick_port(void) {
  for (int attempt = 0; attempt < 50; attempt++) {
    int fd4 = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    int fd6 = socket(AF_INET6, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    uint16_t port = 0;
    if (fd4 >= 0 && fd6 >= 0) {
      struct sockaddr_in a4;
      socklen_t len = sizeof a4;
      memset(&a4, 0, sizeof a4);
      a4.sin_family = AF_INET;
      a4.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
      if (bind(fd4, (struct sockaddr *)&a4, sizeof a4) == 0 &&
          getsockname(fd4, (struct sockaddr *)&a4, &len) == 0) {
        struct sockaddr_in6 a6;
        int on = 1;
        memset(&a6, 0, sizeof a6);
        a6.sin6_family = AF_INET6;
        a6.sin6_addr = in6addr_loopback;
        a6.sin6_port = a4.sin_port;
        setsockopt(fd6, IPPROTO_IPV6, IPV6_V6ONLY, &on, sizeof on);
        if (bind(fd6, (struct sockaddr *)&a6, sizeof a6) == 0)
          port = ntohs(a4.sin_port);
      }
    }
    if (fd4 >= 0)
      close(fd4);
    if (fd6 >= 0)
      close(fd6);
    if (port != 0)
      return port;
  }
  return 0;
}

static int remove_entry(const char *path, const struct stat *st, int flag,
                        struct FTW *ftw) {
  (void)st;
  (void)flag;
  (void)ftw;
  if (remove(path) != 0) {
    fprintf(stderr, "snmpd fixture: cannot remove %s: %s\n", path,
            strerror(errno));
    return -1;
  }
  return 0;
}

static int remove_dir(const char *dir) {
  if (dir[0] == '\0')
    return 0;
  return nftw(dir, remove_entry, 16, FTW_DEPTH | FTW_PHYS) == 0 ? 0 : -1;
}

/* Writes extra to out with every "@TESTDIR@" replaced by a symbolic link,
 * in the private directory, to the directory of test/snmpd.conf.  snmpd
 * splits config lines on white space and has no quoting, so a script in a
 * clone whose path holds a space could not be named directly. */
static int write_extra(const usnmp_test_snmpd *s, FILE *out,
                       const char *extra) {
  static const char token[] = "@TESTDIR@";
  char link_path[USNMP_TEST_SNMPD_PATH_MAX + 16];
  snprintf(link_path, sizeof link_path, "%s/testdir", s->dir);
  if (strstr(extra, token) != NULL) {
    char target[USNMP_TEST_SNMPD_PATH_MAX];
    const char *conf = USNMP_TEST_SNMPD_CONF;
    const char *slash = strrchr(conf, '/');
    size_t n = slash != NULL ? (size_t)(slash - conf) : 0;
    if (n == 0 || n >= sizeof target) {
      fprintf(stderr, "snmpd fixture: no directory in %s\n", conf);
      return -1;
    }
    memcpy(target, conf, n);
    target[n] = '\0';
    if (symlink(target, link_path) != 0 && errno != EEXIST) {
      fprintf(stderr, "snmpd fixture: symlink %s: %s\n", link_path,
              strerror(errno));
      return -1;
    }
  }
  for (const char *p = extra; *p != '\0';) {
    const char *hit = strstr(p, token);
    size_t n = hit != NULL ? (size_t)(hit - p) : strlen(p);
    if (fwrite(p, 1, n, out) != n)
      return -1;
    p += n;
    if (hit != NULL) {
      if (fputs(link_path, out) < 0)
        return -1;
      p += sizeof token - 1;
    }
  }
  return 0;
}

/* Removes the directories that agents of this fixture left behind in tmp.
 * A test that crashes, is killed by its timeout or fails an assertion
 * before its stop call leaves its directory (the kernel stops the agent
 * itself, see spawn()).  A directory is left behind when nothing in it
 * changed for STALE_SECONDS and its pid file is absent or names no live
 * process: a running agent always has its pid file, and a starting or
 * stopping one changed its directory seconds ago. */
#define STALE_SECONDS (15 * 60)
static void sweep_stale(const char *tmp) {
  static const char prefix[] = "usnmp-snmpd-";
  DIR *d = opendir(tmp);
  if (d == NULL)
    return;
  time_t now = time(NULL);
  struct dirent *e;
  while ((e = readdir(d)) != NULL) {
    char dir[USNMP_TEST_SNMPD_PATH_MAX];
    char pidfile[USNMP_TEST_SNMPD_PATH_MAX + 16];
    struct stat st;
    if (strncmp(e->d_name, prefix, sizeof prefix - 1) != 0 ||
        strlen(e->d_name) != sizeof prefix - 1 + 6)
      continue;
    int n = snprintf(dir, sizeof dir, "%s/%s", tmp, e->d_name);
    if (n < 0 || (size_t)n >= sizeof dir - 16)
      continue;
    if (lstat(dir, &st) != 0 || !S_ISDIR(st.st_mode) || st.st_uid != getuid() ||
        now - st.st_mtime < STALE_SECONDS)
      continue;
    snprintf(pidfile, sizeof pidfile, "%s/snmpd.pid", dir);
    FILE *f = fopen(pidfile, "r");
    if (f != NULL) {
      long pid = 0;
      int got = fscanf(f, "%ld", &pid);
      fclose(f);
      if (got == 1 && pid > 0 && (kill((pid_t)pid, 0) == 0 || errno == EPERM))
        continue; /* an agent still runs there */
    }
    remove_dir(dir);
  }
  closedir(d);
}

/* Copies test/snmpd.conf to the private directory and appends extra. */
static int write_config(const usnmp_test_snmpd *s) {
  FILE *in = fopen(USNMP_TEST_SNMPD_CONF, "r");
  if (in == NULL) {
    fprintf(stderr, "snmpd fixture: cannot read %s: %s\n",
            USNMP_TEST_SNMPD_CONF, strerror(errno));
    return -1;
  }
  FILE *out = fopen(s->conf_path, "w");
  if (out == NULL) {
    fprintf(stderr, "snmpd fixture: cannot write %s: %s\n", s->conf_path,
            strerror(errno));
    fclose(in);
    return -1;
  }
  char chunk[4096];
  size_t n;
  int rc = 0;
  while ((n = fread(chunk, 1, sizeof chunk, in)) > 0)
    if (fwrite(chunk, 1, n, out) != n)
      rc = -1;
  if (ferror(in))
    rc = -1;
  if (s->extra_conf != NULL &&
      (fputs("\n# extra_conf of the test\n", out) < 0 ||
       write_extra(s, out, s->extra_conf) != 0 || fputc('\n', out) == EOF))
    rc = -1;
  fclose(in);
  if (fclose(out) != 0)
    rc = -1;
  if (rc != 0)
    fprintf(stderr, "snmpd fixture: cannot write %s\n", s->conf_path);
  return rc;
}

static void print_log(const usnmp_test_snmpd *s) {
  FILE *f = fopen(s->log_path, "r");
  if (f == NULL)
    return;
  fprintf(stderr, "---- snmpd log (%s) ----\n", s->log_path);
  char line[512];
  while (fgets(line, sizeof line, f) != NULL)
    fputs(line, stderr);
  fprintf(stderr, "---- end of snmpd log ----\n");
  fclose(f);
}

/* The environment snmpd runs with: ours, but with its persistent state
 * and config search path in the private directory, and no MIB modules
 * (numeric OIDs only, and a faster start).  The persistent directory is
 * not the one holding our config: snmpd rewrites <persistent>/snmpd.conf
 * when it exits. */
static char **build_env(const usnmp_test_snmpd *s, char *persistent,
                        size_t persistent_size, char *confpath,
                        size_t confpath_size) {
  size_t n = 0;
  while (environ[n] != NULL)
    n++;
  char **env = calloc(n + 4, sizeof *env);
  if (env == NULL)
    return NULL;
  size_t j = 0;
  for (size_t i = 0; i < n; i++) {
    if (strncmp(environ[i], "SNMP_PERSISTENT_DIR=", 20) == 0 ||
        strncmp(environ[i], "SNMPCONFPATH=", 13) == 0 ||
        strncmp(environ[i], "MIBS=", 5) == 0)
      continue;
    env[j++] = environ[i];
  }
  snprintf(persistent, persistent_size, "SNMP_PERSISTENT_DIR=%s",
           s->persist_dir);
  snprintf(confpath, confpath_size, "SNMPCONFPATH=%s", s->persist_dir);
  env[j++] = persistent;
  env[j++] = confpath;
  env[j++] = (char *)"MIBS=";
  env[j] = NULL;
  return env;
}

/* Forks and execs snmpd; the child's stdout and stderr go to the log. */
static int spawn(usnmp_test_snmpd *s, const char *snmpd) {
  char endpoints[96], pidfile[USNMP_TEST_SNMPD_PATH_MAX + 16];
  char persistent[USNMP_TEST_SNMPD_PATH_MAX + 32];
  char confpath[USNMP_TEST_SNMPD_PATH_MAX + 32];
  snprintf(endpoints, sizeof endpoints, "udp:127.0.0.1:%u,udp6:[::1]:%u",
           (unsigned)s->port, (unsigned)s->port);
  snprintf(pidfile, sizeof pidfile, "%s/snmpd.pid", s->dir);
  /* With -C, snmpd reads no file but those named by -c, not even the
   * state it saved in the persistent directory when it last stopped.  A
   * restart names that file too, so the agent keeps its engine ID and
   * counts one more engine boot, as a rebooted device does. */
  char conf[2 * USNMP_TEST_SNMPD_PATH_MAX + 32];
  char saved_state[USNMP_TEST_SNMPD_PATH_MAX + 16];
  snprintf(saved_state, sizeof saved_state, "%s/snmpd.conf", s->persist_dir);
  if (access(saved_state, R_OK) == 0)
    snprintf(conf, sizeof conf, "%s,%s", s->conf_path, saved_state);
  else
    snprintf(conf, sizeof conf, "%s", s->conf_path);
  /* -I -smux: the SMUX module listens on TCP port 199, which only one
   * agent on the machine can have; we never use it. */
  char *const argv[] = {(char *)snmpd,   (char *)"-f", (char *)"-Lo",
                        (char *)"-C",    (char *)"-c", conf,
                        (char *)"-p",    pidfile,      (char *)"-I",
                        (char *)"-smux", endpoints,    NULL};
  char **env =
      build_env(s, persistent, sizeof persistent, confpath, sizeof confpath);
  if (env == NULL) {
    fprintf(stderr, "snmpd fixture: out of memory\n");
    return -1;
  }
  /* Everything the child needs is prepared before fork: between fork and
   * exec it only calls async-signal-safe functions. */
  int log_fd =
      open(s->log_path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
  int null_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
  if (log_fd < 0 || null_fd < 0) {
    fprintf(stderr, "snmpd fixture: cannot open %s: %s\n", s->log_path,
            strerror(errno));
    if (log_fd >= 0)
      close(log_fd);
    if (null_fd >= 0)
      close(null_fd);
    free(env);
    return -1;
  }
  pid_t parent = getpid();
  pid_t pid = fork();
  if (pid == 0) {
    prctl(PR_SET_PDEATHSIG, SIGTERM);
    if (getppid() != parent)
      _exit(126);
    dup2(null_fd, STDIN_FILENO);
    dup2(log_fd, STDOUT_FILENO);
    dup2(log_fd, STDERR_FILENO);
    execve(snmpd, argv, env);
    static const char msg[] = "snmpd fixture: execve of snmpd failed\n";
    ssize_t ignored = write(STDERR_FILENO, msg, sizeof msg - 1);
    (void)ignored;
    _exit(127);
  }
  int saved = errno;
  close(log_fd);
  close(null_fd);
  free(env);
  if (pid < 0) {
    fprintf(stderr, "snmpd fixture: fork: %s\n", strerror(saved));
    return -1;
  }
  s->pid = pid;
  return 0;
}

/* Reads one BER tag and definite length at buf[*off], checks the tag and
 * moves *off to the content.  Returns the content length or -1. */
static long ber_header(const uint8_t *buf, size_t len, size_t *off,
                       uint8_t tag) {
  if (*off + 2 > len || buf[*off] != tag)
    return -1;
  size_t pos = *off + 1;
  size_t clen = buf[pos++];
  if (clen & 0x80u) {
    size_t nbytes = clen & 0x7fu;
    if (nbytes == 0 || nbytes > 2 || pos + nbytes > len)
      return -1;
    clen = 0;
    for (size_t i = 0; i < nbytes; i++)
      clen = (clen << 8) | buf[pos++];
  }
  if (pos + clen > len)
    return -1;
  *off = pos;
  return (long)clen;
}

/* Returns 1 if buf is a v2c Response with community "public" and the
 * given request-id and error-status 0, else 0. */
static int is_probe_answer(const uint8_t *buf, size_t len, uint8_t id) {
  static const uint8_t head[] = {0x02, 0x01, 0x01, 0x04, 0x06, 'p',
                                 'u',  'b',  'l',  'i',  'c'};
  static const uint8_t tail[] = {0x02, 0x01, 0x00, 0x02, 0x01, 0x00};
  size_t off = 0;
  if (ber_header(buf, len, &off, 0x30) < 0)
    return 0;
  if (off + sizeof head > len || memcmp(buf + off, head, sizeof head) != 0)
    return 0;
  off += sizeof head;
  if (ber_header(buf, len, &off, 0xA2) < 0)
    return 0;
  if (off + 3 + sizeof tail > len || buf[off] != 0x02 || buf[off + 1] != 1 ||
      buf[off + 2] != id)
    return 0;
  off += 3;
  return memcmp(buf + off, tail, sizeof tail) == 0;
}

/* Sends a v2c GET of sysUpTime.0 every 200 ms until the agent answers, the
 * child exits or START_TIMEOUT_MS passes.  Returns 0 when it answered, 1 if
 * snmpd exited (s->pid is then 0), -1 on timeout or error. */
static int wait_ready(usnmp_test_snmpd *s) {
  /* The 40-byte message, built by hand so the fixture does not depend on
   * the codec under test: SEQUENCE { version 1 (v2c), "public",
   * GetRequest { request-id, 0, 0, { { 1.3.6.1.2.1.1.3.0, NULL } } } }. */
  uint8_t probe[40] = {0x30, 0x26, 0x02, 0x01, 0x01, 0x04, 0x06, 'p',
                       'u',  'b',  'l',  'i',  'c',  0xA0, 0x19, 0x02,
                       0x01, 0x00, 0x02, 0x01, 0x00, 0x02, 0x01, 0x00,
                       0x30, 0x0E, 0x30, 0x0C, 0x06, 0x08, 0x2B, 0x06,
                       0x01, 0x02, 0x01, 0x01, 0x03, 0x00, 0x05, 0x00};
  const size_t id_offset = 17;
  int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (fd < 0) {
    fprintf(stderr, "snmpd fixture: socket: %s\n", strerror(errno));
    return -1;
  }
  struct sockaddr_in agent;
  memset(&agent, 0, sizeof agent);
  agent.sin_family = AF_INET;
  agent.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  agent.sin_port = htons(s->port);
  /* connect() makes the kernel drop datagrams from anyone but the agent. */
  if (connect(fd, (struct sockaddr *)&agent, sizeof agent) != 0) {
    fprintf(stderr, "snmpd fixture: connect: %s\n", strerror(errno));
    close(fd);
    return -1;
  }
  uint64_t deadline = now_ms() + START_TIMEOUT_MS;
  uint8_t id = 0;
  int rc = -1;
  while (now_ms() < deadline) {
    int status;
    pid_t w = waitpid(s->pid, &status, WNOHANG);
    if (w == s->pid) {
      s->pid = 0;
      rc = 1;
      break;
    }
    id = (uint8_t)(id % 127u + 1u);
    probe[id_offset] = id;
    /* ECONNREFUSED (ICMP port unreachable) just means "not yet bound". */
    if (send(fd, probe, sizeof probe, 0) < 0 && errno != ECONNREFUSED) {
      fprintf(stderr, "snmpd fixture: send: %s\n", strerror(errno));
      break;
    }
    uint64_t until = now_ms() + 200;
    int answered = 0;
    for (uint64_t t = now_ms(); t < until && !answered; t = now_ms()) {
      struct pollfd pfd = {fd, POLLIN, 0};
      if (poll(&pfd, 1, (int)(until - t)) <= 0)
        continue;
      uint8_t reply[1500];
      ssize_t n = recv(fd, reply, sizeof reply, 0);
      if (n > 0 && is_probe_answer(reply, (size_t)n, id))
        answered = 1;
      else if (n < 0 && errno == ECONNREFUSED)
        sleep_ms(20);
    }
    if (answered) {
      rc = 0;
      break;
    }
  }
  close(fd);
  if (rc < 0 && now_ms() >= deadline)
    fprintf(stderr, "snmpd fixture: no answer from %s within %d ms\n",
            s->agent4, START_TIMEOUT_MS);
  return rc;
}

/* SIGTERM, then SIGKILL after STOP_TIMEOUT_MS; reaps the child. */
static int stop_process(usnmp_test_snmpd *s) {
  if (s->pid <= 0)
    return 0;
  int status;
  kill(s->pid, SIGTERM);
  uint64_t deadline = now_ms() + STOP_TIMEOUT_MS;
  for (;;) {
    pid_t w = waitpid(s->pid, &status, WNOHANG);
    if (w == s->pid)
      break;
    if (w < 0 && errno != EINTR) {
      fprintf(stderr, "snmpd fixture: waitpid(%ld): %s\n", (long)s->pid,
              strerror(errno));
      s->pid = 0;
      return -1;
    }
    if (now_ms() >= deadline) {
      fprintf(stderr, "snmpd fixture: snmpd %ld ignored SIGTERM; killing\n",
              (long)s->pid);
      kill(s->pid, SIGKILL);
      while (waitpid(s->pid, &status, 0) < 0 && errno == EINTR) {
      }
      break;
    }
    sleep_ms(10);
  }
  s->pid = 0;
  return 0;
}

/* Starts snmpd on s->port and waits for it.  Returns 0, 1 when snmpd
 * exited early (the caller may retry on another port) or -1. */
static int launch(usnmp_test_snmpd *s, const char *snmpd) {
  if (spawn(s, snmpd) != 0)
    return -1;
  int rc = wait_ready(s);
  if (rc != 0 && s->pid > 0)
    stop_process(s);
  return rc;
}

int usnmp_test_snmpd_start(usnmp_test_snmpd *s) {
  const char *extra = s->extra_conf;
  memset(s, 0, sizeof *s);
  s->extra_conf = extra;

  const char *snmpd = find_snmpd();
  if (snmpd == NULL) {
    fprintf(stderr, "snmpd fixture: FAILED: net-snmp's snmpd is not "
                    "installed (/usr/sbin/snmpd); run .ci/install-deps\n");
    return -1;
  }
  const char *tmp = getenv("TMPDIR");
  if (tmp == NULL || tmp[0] == '\0')
    tmp = "/tmp";
  sweep_stale(tmp);
  int n = snprintf(s->dir, sizeof s->dir, "%s/usnmp-snmpd-XXXXXX", tmp);
  if (n < 0 || (size_t)n >= sizeof s->dir - 32 || mkdtemp(s->dir) == NULL) {
    fprintf(stderr, "snmpd fixture: cannot create a directory in %s: %s\n", tmp,
            strerror(errno));
    s->dir[0] = '\0';
    return -1;
  }
  /* mkdtemp's template left 32 bytes for these names. */
  if (snprintf(s->conf_path, sizeof s->conf_path, "%s/agent.conf", s->dir) <
          0 ||
      snprintf(s->persist_dir, sizeof s->persist_dir, "%s/persist", s->dir) <
          0 ||
      mkdir(s->persist_dir, 0700) != 0 ||
      snprintf(s->log_path, sizeof s->log_path, "%s/snmpd.log", s->dir) < 0 ||
      write_config(s) != 0)
    goto fail;

  for (int attempt = 1; attempt <= START_ATTEMPTS; attempt++) {
    s->port = pick_port();
    if (s->port == 0) {
      fprintf(stderr, "snmpd fixture: no free UDP port on loopback\n");
      goto fail;
    }
    snprintf(s->agent4, sizeof s->agent4, "127.0.0.1:%u", (unsigned)s->port);
    snprintf(s->agent6, sizeof s->agent6, "udp6:[::1]:%u", (unsigned)s->port);
    int rc = launch(s, snmpd);
    if (rc == 0)
      return 0;
    if (rc < 0 || attempt == START_ATTEMPTS) {
      fprintf(stderr, "snmpd fixture: FAILED to start %s on port %u%s\n", snmpd,
              (unsigned)s->port, rc > 0 ? " (it exited at once)" : "");
      print_log(s);
      goto fail;
    }
  }
fail:
  stop_process(s);
  remove_dir(s->dir);
  s->dir[0] = '\0';
  return -1;
}

int usnmp_test_snmpd_restart(usnmp_test_snmpd *s) {
  const char *snmpd = find_snmpd();
  if (snmpd == NULL || s->dir[0] == '\0') {
    fprintf(stderr, "snmpd fixture: restart of a fixture not started\n");
    return -1;
  }
  if (stop_process(s) != 0 || launch(s, snmpd) != 0) {
    fprintf(stderr, "snmpd fixture: FAILED to restart snmpd on port %u\n",
            (unsigned)s->port);
    print_log(s);
    usnmp_test_snmpd_stop(s);
    return -1;
  }
  return 0;
}

int usnmp_test_snmpd_stop(usnmp_test_snmpd *s) {
  int rc = stop_process(s);
  if (remove_dir(s->dir) != 0)
    rc = -1;
  s->dir[0] = '\0';
  return rc;
}
