/*
 * Where the usnmp command's log messages go (-L), and the messages that
 * only go there: the packet dumps of -d and the debug tokens of -D.
 *
 * net-snmp's tools send some messages through their logging library
 * rather than straight to stderr: the -d dumps, the -D lines and the
 * errors their library reports (an unknown host, an agent's SNMPv3
 * report).  -L chooses where those go, as net-snmp's -L does, with the
 * same letters and priorities; "Timeout: ..." and "Error in packet" are
 * printed on stderr by the tools themselves and -L does not move them.
 */
/* vsyslog() is a BSD function: glibc declares it with _DEFAULT_SOURCE. */
#define _DEFAULT_SOURCE
#include "cli.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>

/* decode_priority() of net-snmp: a digit 0-7 or its letter (! a c e w n i
 * d, either case), optionally "-" and a second one; returns the less
 * severe (higher) bound and stores the other in *high.  Returns -1 when
 * the text is none of those. */
static int parse_priority(const char **text, int *high) {
  static const char letters[] = "!acewnid";
  const char *p = *text;
  int pri = -1;
  if (*p >= '0' && *p <= '7')
    pri = *p - '0';
  else if (*p != '\0' && strchr(letters, tolower((unsigned char)*p)) != NULL)
    pri = (int)(strchr(letters, tolower((unsigned char)*p)) - letters);
  if (pri < 0)
    return -1;
  p++;
  *high = LOG_EMERG;
  if (*p == '-') {
    const char *q = p + 1;
    int other, unused;
    other = parse_priority(&q, &unused);
    if (other < 0)
      return -1;
    p = q;
    if (other > pri) {
      *high = pri;
      pri = other;
    } else {
      *high = other;
    }
  }
  *text = p;
  return pri;
}

/* net-snmp's syslog facilities: d (daemon), u (user), 0-7 (local0-7). */
static int parse_facility(const char *text) {
  static const int locals[] = {LOG_LOCAL0, LOG_LOCAL1, LOG_LOCAL2, LOG_LOCAL3,
                               LOG_LOCAL4, LOG_LOCAL5, LOG_LOCAL6, LOG_LOCAL7};
  switch (text[0]) {
  case 'd':
  case 'D':
    return LOG_DAEMON;
  case 'u':
  case 'U':
    return LOG_USER;
  default:
    if (text[0] >= '0' && text[0] <= '7')
      return locals[text[0] - '0'];
    return -1;
  }
}

static void log_reset(usnmp_cli_log *log) {
  for (size_t i = 0; i < log->n; i++) {
    if (log->handlers[i].kind == 'f' && log->handlers[i].file != NULL)
      fclose(log->handlers[i].file);
    if (log->handlers[i].kind == 's')
      closelog();
  }
  log->n = 0;
}

int usnmp__cli_log_option(usnmp_cli_log *log, const char *arg, char **argv,
                          int argc, int *next, char *err, size_t err_size) {
  char kind = arg[0];
  const char *rest = arg[0] != '\0' ? arg + 1 : arg;
  int low = LOG_DEBUG, high = LOG_EMERG;
  usnmp_cli_log_handler h;

  log->configured = 1;
  if (kind == '\0')
    kind = 'e'; /* net-snmp: an empty -L is -Le */
  if (*rest == '=')
    rest++;
  while (isspace((unsigned char)*rest))
    rest++;
  /* The variants in capitals take a priority first, then what their
   * small letter takes; each piece may be in the next argument. */
  if (kind == 'E' || kind == 'O' || kind == 'N' || kind == 'F' || kind == 'S') {
    if (*rest == '\0') {
      if (*next >= argc) {
        snprintf(err, err_size, "-L%c needs a priority", kind);
        return -1;
      }
      rest = argv[(*next)++];
    }
    low = parse_priority(&rest, &high);
    if (low < 0) {
      snprintf(err, err_size, "invalid priority: %c", *rest);
      return -1;
    }
    kind = (char)tolower((unsigned char)kind);
  }
  memset(&h, 0, sizeof h);
  h.kind = kind;
  h.low = low;
  h.high = high;
  switch (kind) {
  case 'e':
  case 'o':
    break;
  case 'n':
    /* Nothing is logged: every handler so far goes. */
    log_reset(log);
    return 0;
  case 'f':
  case 's':
    if (*rest == '\0') {
      if (*next >= argc) {
        snprintf(err, err_size,
                 kind == 'f' ? "Missing log file" : "Missing syslog facility");
        return -1;
      }
      rest = argv[(*next)++];
    }
    if (kind == 'f') {
      /* Truncated, as net-snmp's tools do unless told to append. */
      h.file = fopen(rest, "w");
      if (h.file == NULL) {
        snprintf(err, err_size, "cannot open log file %s", rest);
        return -1;
      }
    } else {
      h.facility = parse_facility(rest);
      if (h.facility < 0) {
        snprintf(err, err_size, "invalid syslog facility: %c", *rest);
        return -1;
      }
      openlog("usnmp", LOG_PID, h.facility);
    }
    break;
  default:
    snprintf(err, err_size, "Unknown logging option passed to -L: %c.", kind);
    return -1;
  }
  if (log->n == sizeof log->handlers / sizeof log->handlers[0]) {
    if (h.file != NULL)
      fclose(h.file);
    snprintf(err, err_size, "too many -L options (at most %zu)",
             sizeof log->handlers / sizeof log->handlers[0]);
    return -1;
  }
  log->handlers[log->n++] = h;
  return 0;
}

void usnmp__cli_log_close(usnmp_cli_log *log) { log_reset(log); }

void usnmp__cli_log(usnmp_cli_log *log, int priority, const char *fmt, ...) {
  /* No -L at all: everything goes to stderr. */
  static const usnmp_cli_log_handler to_stderr = {'e', LOG_DEBUG, LOG_EMERG,
                                                  NULL, 0};
  const usnmp_cli_log_handler *hs =
      log->configured ? log->handlers : &to_stderr;
  size_t n = log->configured ? log->n : 1;
  for (size_t i = 0; i < n; i++) {
    const usnmp_cli_log_handler *h = &hs[i];
    va_list ap;
    if (priority > h->low || priority < h->high)
      continue;
    va_start(ap, fmt);
    switch (h->kind) {
    case 'e':
      fflush(stdout);
      vfprintf(stderr, fmt, ap);
      break;
    case 'o':
      vfprintf(stdout, fmt, ap);
      break;
    case 'f':
      vfprintf(h->file, fmt, ap);
      fflush(h->file);
      break;
    case 's':
      vsyslog(priority, fmt, ap);
      break;
    default:
      break;
    }
    va_end(ap);
  }
}

/* "UDP: [127.0.0.1]:161->[0.0.0.0]:40000" or "UDP/IPv6: [::1]:161", as
 * net-snmp's UDP transports name the two ends of a datagram. */
static void address_text(char *buf, size_t size, const usnmp_packet *p) {
  char peer[INET6_ADDRSTRLEN] = "", local[INET6_ADDRSTRLEN] = "";
  if (p->peer->sa_family == AF_INET6) {
    const struct sockaddr_in6 *a = (const struct sockaddr_in6 *)p->peer;
    inet_ntop(AF_INET6, &a->sin6_addr, peer, sizeof peer);
    snprintf(buf, size, "UDP/IPv6: [%s]:%u", peer, ntohs(a->sin6_port));
    return;
  }
  const struct sockaddr_in *a = (const struct sockaddr_in *)p->peer;
  const struct sockaddr_in *l = (const struct sockaddr_in *)p->local;
  inet_ntop(AF_INET, &a->sin_addr, peer, sizeof peer);
  if (l->sin_family == AF_INET)
    inet_ntop(AF_INET, &l->sin_addr, local, sizeof local);
  else
    snprintf(local, sizeof local, "0.0.0.0");
  snprintf(buf, size, "UDP: [%s]:%u->[%s]:%u", peer, ntohs(a->sin_port), local,
           l->sin_family == AF_INET ? ntohs(l->sin_port) : 0u);
}

void usnmp__cli_log_packet(usnmp_cli_log *log, const usnmp_packet *p) {
  char addr[128];
  address_text(addr, sizeof addr, p);
  if (p->sent)
    usnmp__cli_log(log, LOG_DEBUG, "\nSending %zu bytes to %s\n", p->len, addr);
  else
    usnmp__cli_log(log, LOG_DEBUG, "\nReceived %zu byte packet from %s\n",
                   p->len, addr);
  /* Rows of sixteen octets: "%.4d: ", each octet "%02X " with one more
   * space after every fourth, blanks for the missing ones, two spaces and
   * the octets as text ('.' for what isprint() refuses); then one empty
   * line. */
  for (size_t row = 0; row < p->len; row += 16) {
    char line[96];
    size_t n = (size_t)snprintf(line, sizeof line, "%.4zu: ", row);
    for (size_t col = 0; col < 16; col++) {
      if (row + col < p->len)
        n += (size_t)snprintf(line + n, sizeof line - n, "%02X ",
                              p->data[row + col]);
      else
        n += (size_t)snprintf(line + n, sizeof line - n, "   ");
      if (col % 4 == 3)
        line[n++] = ' ';
    }
    line[n++] = ' ';
    line[n++] = ' ';
    for (size_t col = 0; col < 16 && row + col < p->len; col++) {
      uint8_t c = p->data[row + col];
      line[n++] = c >= 0x20 && c <= 0x7e ? (char)c : '.';
    }
    line[n] = '\0';
    usnmp__cli_log(log, LOG_DEBUG, "%s\n", line);
  }
  usnmp__cli_log(log, LOG_DEBUG, "\n");
}

void usnmp__cli_log_debug_tokens(usnmp_cli_log *log, const char *tokens) {
  /* net-snmp announces each token it turns on (1) or off (a leading '-',
   * 0); "ALL" turns on its library's whole trace, which usnmp does not
   * have, so nothing is printed for it. */
  const char *p = tokens;
  while (*p != '\0') {
    size_t len = strcspn(p, ",");
    int on = 1;
    const char *name = p;
    if (len > 0 && *name == '-') {
      on = 0;
      name++;
      len--;
    }
    if (len > 0 && !(len == 3 && strncmp(name, "ALL", 3) == 0))
      usnmp__cli_log(log, LOG_DEBUG, "registered debug token %.*s, %d\n",
                     (int)len, name, on);
    p = name + len;
    if (*p == ',')
      p++;
  }
}
