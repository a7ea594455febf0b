/*
 * usnmp trap, usnmp inform and usnmp trapd: net-snmp's snmptrap,
 * snmpinform and snmptrapd -f -Lo on the library's notification sender
 * and receiver.  Tested by test/test_notify_cli.sh against net-snmp.
 */
#include "cli_notify.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli.h"

#define MAX_ARGS_VB USNMP_MAX_VARBINDS

/* Options of trap, inform and trapd. */
typedef struct notify_cli {
  const char *cmd;  /* "trap", "inform", "trapd" */
  const char *tool; /* net-snmp's name for messages */
  usnmp_version version;
  const char *community;
  const char *user, *level, *auth_proto, *auth_pass, *priv_proto, *priv_pass;
  const char *engine_hex, *context_engine_hex, *context;
  const char *boots_time;
  double timeout_s;
  long retries;
  int numeric;
  int json;
  long count;
  const char *conf;
  const char **communities;
  size_t n_communities;
  const char **listen;
  size_t n_listen;
  char **args;
  int n_args;
  /* Run state. */
  uv_loop_t loop;
  usnmp_manager *manager;
  usnmp_target *target;
  usnmp_receiver *rx;
  uv_signal_t sigint, sigterm;
  long seen;
  int exit_code;
  char *text;
  size_t text_size;
} notify_cli;

static void die(const notify_cli *c, const char *fmt, ...)
    __attribute__((format(printf, 2, 3), noreturn));
static void die(const notify_cli *c, const char *fmt, ...) {
  va_list ap;
  fprintf(stderr, "%s: ", c->tool);
  va_start(ap, fmt);
  vfprintf(stderr, fmt, ap);
  va_end(ap);
  fputc('\n', stderr);
  exit(1);
}

static void *xrealloc(void *p, size_t n) {
  p = realloc(p, n);
  if (p == NULL) {
    fputs("usnmp: out of memory\n", stderr);
    exit(1);
  }
  return p;
}

static void usage(const notify_cli *c, FILE *f) {
  (void)c;
  fputs("usage: usnmp trap [OPTIONS] AGENT ENTERPRISE AGENT-ADDR GENERIC "
        "SPECIFIC UPTIME [OID TYPE VALUE]...   (-v 1)\n"
        "       usnmp trap [OPTIONS] AGENT UPTIME TRAP-OID "
        "[OID TYPE VALUE]...   (-v 2c, -v 3)\n"
        "       usnmp inform [OPTIONS] AGENT UPTIME TRAP-OID "
        "[OID TYPE VALUE]...\n"
        "       usnmp trapd [OPTIONS] [LISTEN-ADDRESS...]\n"
        "\n"
        "An empty UPTIME means now; AGENT's port is 162 by default.\n"
        "trap, inform: -v -c -u -l -a -A -x -X -e -E -n -t -r -Z as "
        "snmptrap\n"
        "  (-e: for a v3 trap our own engine ID, for an inform the "
        "receiver's;\n"
        "   -Z BOOTS[,TIME]: a v3 trap's engine boots)\n"
        "trapd: -c COMMUNITY (repeatable), -C FILE (createUser and "
        "authCommunity lines\n"
        "  of snmptrapd.conf), -e ENGINE-ID (ours, for v3 informs), -On, "
        "--json,\n"
        "  --count N (exit after N notifications); LISTEN-ADDRESS as "
        "udp:127.0.0.1:162,\n"
        "  udp6:[::1]:162 (default udp:0.0.0.0:162)\n",
        f);
}

static size_t parse_hex(const notify_cli *c, const char *text, uint8_t *out,
                        size_t size) {
  size_t n = 0;
  if (text[0] == '0' && (text[1] == 'x' || text[1] == 'X'))
    text += 2;
  for (; text[0] != '\0'; text += 2) {
    unsigned v;
    if (!isxdigit((unsigned char)text[0]) ||
        !isxdigit((unsigned char)text[1]) || sscanf(text, "%2x", &v) != 1 ||
        n == size)
      die(c, "Bad engine ID value: %s", text);
    out[n++] = (uint8_t)v;
  }
  if (n < 5)
    die(c, "Invalid engine ID value (5 to 32 bytes of hex)");
  return n;
}

static usnmp_oid parse_oid(const notify_cli *c, const char *text) {
  usnmp_oid oid;
  if (usnmp_oid_parse(&oid, text) < 0)
    die(c, "Unknown Object Identifier (%s)", text);
  return oid;
}

/* ------------------------------------------------------------------------
 * Options
 * ------------------------------------------------------------------------ */

static const char with_arg[] = "vcuaAxXlneEtrZCO";

static void parse_args(notify_cli *c, int argc, char **argv) {
  int i;
  c->version = USNMP_VERSION_2C;
  c->timeout_s = 1.0;
  c->retries = 5;
  for (i = 2; i < argc; i++) {
    const char *a = argv[i], *v;
    char opt;
    if (strcmp(a, "--json") == 0) {
      c->json = 1;
      continue;
    }
    if (strcmp(a, "--count") == 0 || strncmp(a, "--count=", 8) == 0) {
      const char *n = a[7] == '=' ? a + 8 : (i + 1 < argc ? argv[++i] : "");
      char *end;
      c->count = strtol(n, &end, 10);
      if (*n == '\0' || *end != '\0' || c->count < 1)
        die(c, "--count needs a positive number");
      continue;
    }
    if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
      usage(c, stdout);
      exit(0);
    }
    if (a[0] != '-' || a[1] == '\0' || strcmp(a, "--") == 0) {
      if (strcmp(a, "--") == 0)
        i++;
      break;
    }
    opt = a[1];
    if (strchr(with_arg, opt) == NULL)
      die(c, "Invalid option: -%c", opt);
    v = a[2] != '\0' ? a + 2 : (i + 1 < argc ? argv[++i] : NULL);
    if (v == NULL)
      die(c, "option -%c needs an argument", opt);
    switch (opt) {
    case 'v':
      if (usnmp__cli_version_parse(v, &c->version) != 0)
        die(c, "Invalid version specified after -v flag: %s", v);
      break;
    case 'c':
      c->community = v;
      c->communities =
          xrealloc(c->communities, (c->n_communities + 1) * sizeof(char *));
      c->communities[c->n_communities++] = v;
      break;
    case 'u':
      c->user = v;
      break;
    case 'l':
      c->level = v;
      break;
    case 'a':
      c->auth_proto = v;
      break;
    case 'A':
      c->auth_pass = v;
      break;
    case 'x':
      c->priv_proto = v;
      break;
    case 'X':
      c->priv_pass = v;
      break;
    case 'e':
      c->engine_hex = v;
      break;
    case 'E':
      c->context_engine_hex = v;
      break;
    case 'n':
      c->context = v;
      break;
    case 'Z':
      c->boots_time = v;
      break;
    case 'C':
      c->conf = v;
      break;
    case 'O':
      if (strchr(v, 'n') != NULL)
        c->numeric = 1;
      break;
    case 't':
      c->timeout_s = strtod(v, NULL);
      if (!(c->timeout_s > 0))
        die(c, "Invalid timeout: %s", v);
      break;
    case 'r':
      c->retries = strtol(v, NULL, 10);
      if (c->retries < 0)
        die(c, "Invalid retries: %s", v);
      break;
    default:
      break;
    }
  }
  c->args = argv + i;
  c->n_args = argc - i;
}

/* ------------------------------------------------------------------------
 * trap and inform
 * ------------------------------------------------------------------------ */

static void on_inform(const usnmp_response *resp, void *arg) {
  notify_cli *c = arg;
  if (resp->status == USNMP_E_TIMEOUT) {
    fprintf(stderr, "%s: Timeout\n", c->tool);
    c->exit_code = 1;
  } else if (resp->status < 0) {
    fprintf(stderr, "%s: %s\n", c->tool, usnmp_strerror(resp->status));
    c->exit_code = 1;
  } else if (resp->error_status != 0) {
    fprintf(stderr, "%s: %s\n", c->tool,
            usnmp_error_status_text(resp->error_status));
    c->exit_code = 1;
  } else {
    c->exit_code = 0;
  }
  usnmp_manager_close(c->manager, NULL, NULL);
}

/* The AGENT argument with port 162 unless it names one. */
static char *agent_with_port(const char *agent) {
  const char *p = agent;
  size_t colons = 0, len = strlen(agent);
  char *out = xrealloc(NULL, len + 16);
  int has_port;
  if (strncmp(p, "udp6:", 5) == 0)
    p += 5;
  else if (strncmp(p, "udp:", 4) == 0)
    p += 4;
  for (const char *q = p; *q; q++)
    colons += *q == ':';
  has_port = p[0] == '[' ? strstr(p, "]:") != NULL : colons == 1;
  if (has_port)
    snprintf(out, len + 16, "%s", agent);
  else if (colons > 1 && p[0] != '[')
    snprintf(out, len + 16, "%.*s[%s]:162", (int)(p - agent), agent, p);
  else
    snprintf(out, len + 16, "%s:162", agent);
  return out;
}

static int send_notification(notify_cli *c) {
  usnmp_varbind vbs[64];
  uint8_t *storage[64];
  usnmp_oid names[64];
  uint8_t names_ber[64][5 * USNMP_OID_MAX_LEN];
  usnmp_trap_v1 v1;
  usnmp_oid trap_oid;
  uint32_t uptime;
  const char *up;
  char **a = c->args;
  int n = c->n_args, first, i, rc, inform = strcmp(c->cmd, "inform") == 0;
  size_t nvb = 0;
  char *agent;

  if (n < 1)
    die(c, "No hostname specified");
  memset(&v1, 0, sizeof(v1));
  if (c->version == USNMP_VERSION_1) {
    if (inform)
      die(c, "Cannot send INFORM as SNMPv1 PDU");
    if (n < 6)
      die(c, "Missing parameter (v1: AGENT ENTERPRISE AGENT-ADDR GENERIC "
             "SPECIFIC UPTIME)");
    v1.enterprise = parse_oid(c, a[1][0] ? a[1] : ".1.3.6.1.4.1.3.1.1");
    if (a[2][0] && inet_pton(AF_INET, a[2], v1.agent_addr) != 1)
      die(c, "Bad IP address (%s)", a[2]);
    v1.generic_trap = (int32_t)strtol(a[3], NULL, 10);
    v1.specific_trap = (int32_t)strtol(a[4], NULL, 10);
    up = a[5];
    first = 6;
  } else {
    if (n < 3)
      die(c, "Missing parameter (AGENT UPTIME TRAP-OID)");
    up = a[1];
    trap_oid = parse_oid(c, a[2]);
    first = 3;
  }
  if (up[0] == '\0') {
    double s = 0;
    uv_uptime(&s);
    uptime = (uint32_t)(s * 100);
  } else {
    uptime = (uint32_t)strtoul(up, NULL, 10);
  }
  v1.time_stamp = uptime;
  if ((n - first) % 3 != 0)
    die(c, "Missing type/value for variable");
  for (i = first; i + 2 < n; i += 3) {
    size_t size = usnmp__cli_value_storage(a[i + 2]);
    if (nvb == 64)
      die(c, "Too many variables (at most 64)");
    names[nvb] = parse_oid(c, a[i]);
    rc = usnmp_oid_to_ber(names_ber[nvb], sizeof(names_ber[nvb]), &names[nvb]);
    if (rc < 0)
      die(c, "Unknown Object Identifier (%s)", a[i]);
    vbs[nvb].oid = names_ber[nvb];
    vbs[nvb].oid_len = (size_t)rc;
    storage[nvb] = xrealloc(NULL, size);
    rc = usnmp__cli_value_parse(&vbs[nvb].value, storage[nvb], size, a[i + 1],
                                a[i + 2]);
    if (rc != USNMP_CLI_VALUE_OK)
      die(c, "%s: Bad value notation (%s)", a[i], a[i + 2]);
    nvb++;
  }

  agent = agent_with_port(a[0]);
  rc = uv_loop_init(&c->loop);
  if (rc == 0)
    rc = usnmp_manager_init(&c->manager, &c->loop, NULL);
  if (rc == 0)
    rc = usnmp_target_init(c->manager, &c->target, agent);
  if (rc == USNMP_E_INVAL)
    die(c, "Unknown host (%s)", a[0]);
  /* A v3 target becomes v3 with its user (usnmp_target_set_v3_user). */
  if (rc == 0 && c->version != USNMP_VERSION_3)
    rc = usnmp_target_set_version(c->target, c->version);
  if (rc == 0 && c->version != USNMP_VERSION_3) {
    if (c->community == NULL)
      die(c, "No community name specified.");
    rc = usnmp_target_set_community(c->target, c->community);
  }
  if (rc == 0 && c->version == USNMP_VERSION_3) {
    usnmp_sec_level level = USNMP_SEC_NOAUTHNOPRIV;
    usnmp_auth_proto auth = USNMP_AUTH_MD5;
    usnmp_priv_proto priv = USNMP_PRIV_DES;
    if (c->user == NULL || c->user[0] == '\0')
      die(c, "No securityName specified");
    if (c->level != NULL && usnmp_sec_level_parse(c->level, &level) < 0)
      die(c, "Invalid security level specified after -l flag: %s", c->level);
    if (c->auth_proto != NULL &&
        usnmp_auth_proto_parse(c->auth_proto, &auth) < 0)
      die(c, "Invalid authentication protocol specified after -a flag: %s",
          c->auth_proto);
    if (c->priv_proto != NULL &&
        usnmp_priv_proto_parse(c->priv_proto, &priv) < 0)
      die(c, "Invalid privacy protocol specified after -x flag: %s",
          c->priv_proto);
    if (level < USNMP_SEC_AUTHNOPRIV)
      auth = USNMP_AUTH_NONE;
    if (level < USNMP_SEC_AUTHPRIV)
      priv = USNMP_PRIV_NONE;
    rc = usnmp_target_set_v3_user(c->target, c->user, auth, c->auth_pass, priv,
                                  c->priv_pass);
    if (rc == USNMP_E_INVAL)
      die(c, "Error generating a key (Ku) from the supplied pass phrase "
             "(at least 8 characters)");
    if (rc == 0 && c->context != NULL)
      rc = usnmp_target_set_v3_context(c->target, NULL, 0, c->context);
    if (rc == 0 && c->engine_hex != NULL) {
      uint8_t id[32];
      size_t len = parse_hex(c, c->engine_hex, id, sizeof(id));
      uint32_t boots =
          c->boots_time ? (uint32_t)strtoul(c->boots_time, NULL, 10) : 0;
      rc = inform ? usnmp_target_set_v3_engine_id(c->target, id, len)
                  : usnmp_manager_set_v3_engine(c->manager, id, len, boots);
    } else if (rc == 0 && c->boots_time != NULL && !inform) {
      rc = usnmp_manager_set_v3_engine(
          c->manager, NULL, 0, (uint32_t)strtoul(c->boots_time, NULL, 10));
    }
  }
  if (rc < 0)
    die(c, "%s", usnmp_strerror(rc));
  usnmp_target_set_resend(c->target, (uint32_t)(c->timeout_s * 1000));
  usnmp_target_set_retries(c->target, (int32_t)c->retries);
  usnmp_target_set_timeout(c->target, 0);

  c->exit_code = 0;
  if (inform) {
    rc = usnmp_inform_send(c->target, uptime, &trap_oid, vbs, nvb, NULL,
                           on_inform, c, NULL);
    if (rc < 0)
      die(c, "%s", usnmp_strerror(rc));
  } else {
    /* A host name resolves on the loop first (UV_EAGAIN meanwhile). */
    for (int alive = 1;;) {
      rc =
          usnmp_trap_send(c->target, c->version == USNMP_VERSION_1 ? &v1 : NULL,
                          uptime, &trap_oid, vbs, nvb);
      if (rc != UV_EAGAIN || !alive)
        break;
      alive = uv_run(&c->loop, UV_RUN_ONCE) != 0;
    }
    if (rc == USNMP_E_RESOLVE)
      die(c, "Unknown host (%s)", a[0]);
    if (rc < 0) {
      fprintf(stderr, "%s: %s\n", c->tool, usnmp_strerror(rc));
      c->exit_code = 1;
    }
    usnmp_manager_close(c->manager, NULL, NULL);
  }
  uv_run(&c->loop, UV_RUN_DEFAULT);
  uv_loop_close(&c->loop);
  for (size_t k = 0; k < nvb; k++)
    free(storage[k]);
  free(agent);
  return c->exit_code;
}

/* ------------------------------------------------------------------------
 * trapd
 * ------------------------------------------------------------------------ */

static void read_conf(notify_cli *c) {
  FILE *f = fopen(c->conf, "r");
  char line[4096];
  unsigned lineno = 0;
  if (f == NULL)
    die(c, "cannot open %s", c->conf);
  while (fgets(line, sizeof(line), f) != NULL) {
    char *w[10];
    int n = 0;
    char *save = NULL, *tok;
    lineno++;
    for (tok = strtok_r(line, " \t\r\n", &save); tok != NULL && n < 10;
         tok = strtok_r(NULL, " \t\r\n", &save))
      w[n++] = tok;
    if (n == 0 || w[0][0] == '#')
      continue;
    if (strcmp(w[0], "authCommunity") == 0 && n >= 3) {
      if (usnmp_receiver_add_community(c->rx, w[2]) < 0)
        die(c, "%s:%u: bad community", c->conf, lineno);
    } else if (strcmp(w[0], "createUser") == 0 && n >= 2) {
      uint8_t id[32];
      size_t id_len = 0;
      int k = 1, rc;
      usnmp_auth_proto auth = USNMP_AUTH_NONE;
      usnmp_priv_proto priv = USNMP_PRIV_NONE;
      const char *ap = NULL, *pp = NULL, *name;
      if (strcmp(w[k], "-e") == 0 && n >= 4) {
        id_len = parse_hex(c, w[k + 1], id, sizeof(id));
        k += 2;
      }
      name = w[k++];
      if (k < n) {
        if (usnmp_auth_proto_parse(w[k], &auth) < 0 || k + 1 >= n)
          die(c, "%s:%u: bad authentication protocol or pass phrase", c->conf,
              lineno);
        ap = w[k + 1];
        k += 2;
      }
      if (k < n) {
        if (usnmp_priv_proto_parse(w[k], &priv) < 0)
          die(c, "%s:%u: bad privacy protocol", c->conf, lineno);
        pp = k + 1 < n ? w[k + 1] : ap; /* net-snmp: the auth pass phrase */
      }
      rc = usnmp_receiver_add_v3_user(c->rx, name, auth, ap, priv, pp,
                                      id_len ? id : NULL, id_len);
      if (rc < 0)
        die(c, "%s:%u: createUser: %s", c->conf, lineno, usnmp_strerror(rc));
    }
    /* Other lines (authUser, disableAuthorization, ...) change nothing:
     * every configured user and community is accepted. */
  }
  fclose(f);
}

static const char *text_of(notify_cli *c,
                           int (*fmt)(char *, size_t, const void *),
                           const void *obj) {
  int n = fmt(c->text, c->text_size, obj);
  if (n >= 0 && (size_t)n >= c->text_size) {
    c->text_size = (size_t)n + 1;
    c->text = xrealloc(c->text, c->text_size);
    n = fmt(c->text, c->text_size, obj);
  }
  return n < 0 ? "" : c->text;
}

static int fmt_vb(char *b, size_t s, const void *o) {
  return usnmp_varbind_format(b, s, o);
}
static int fmt_vb_json(char *b, size_t s, const void *o) {
  return usnmp_varbind_format_json(b, s, o);
}

static void put_json_string(FILE *f, const uint8_t *s, size_t len) {
  size_t i;
  fputc('"', f);
  for (i = 0; i < len; i++) {
    unsigned ch = s[i];
    if (ch == '"' || ch == '\\')
      fprintf(f, "\\%c", ch);
    else if (ch < 0x20 || ch >= 0x7f)
      fprintf(f, "\\u%04x", ch);
    else
      fputc((int)ch, f);
  }
  fputc('"', f);
}

static void put_hex(FILE *f, const uint8_t *s, size_t len) {
  for (size_t i = 0; i < len; i++)
    fprintf(f, "%02x", s[i]);
}

static void addr_text(const struct sockaddr *sa, char *buf, size_t size) {
  char host[64] = "?";
  int port = 0;
  if (sa != NULL && sa->sa_family == AF_INET) {
    const struct sockaddr_in *a = (const struct sockaddr_in *)sa;
    uv_ip4_name(a, host, sizeof(host));
    port = ntohs(a->sin_port);
    snprintf(buf, size, "%s:%d", host, port);
  } else if (sa != NULL && sa->sa_family == AF_INET6) {
    const struct sockaddr_in6 *a = (const struct sockaddr_in6 *)sa;
    uv_ip6_name(a, host, sizeof(host));
    port = ntohs(a->sin6_port);
    snprintf(buf, size, "[%s]:%d", host, port);
  } else {
    snprintf(buf, size, "?");
  }
}

static const char *level_name(usnmp_sec_level l) {
  return l == USNMP_SEC_AUTHPRIV     ? "authPriv"
         : l == USNMP_SEC_AUTHNOPRIV ? "authNoPriv"
                                     : "noAuthNoPriv";
}

/* The enterprise of a v1 trap as ".1.3.6..." ("" if it does not decode). */
static void enterprise_text(const usnmp_msg *v1, char *buf, size_t size) {
  usnmp_oid e;
  buf[0] = '\0';
  if (usnmp_oid_from_ber(&e, v1->trap.enterprise, v1->trap.enterprise_len) == 0)
    usnmp_oid_format(buf, size, &e);
}

static void print_json(notify_cli *c, const usnmp_notification *n) {
  FILE *f = stdout;
  char src[96];
  const usnmp_varbind *vbs = n->v1 ? n->v1_varbinds : n->varbinds;
  size_t nvb = n->v1 ? n->v1_varbind_count : n->varbind_count, i;
  addr_text(n->source, src, sizeof(src));
  fprintf(f, "{\"version\":\"%s\",\"pdu\":\"%s\",\"source\":\"%s\"",
          n->version == USNMP_VERSION_1    ? "1"
          : n->version == USNMP_VERSION_2C ? "2c"
                                           : "3",
          n->pdu == USNMP_PDU_TRAP_V1  ? "trap-v1"
          : n->pdu == USNMP_PDU_INFORM ? "inform"
                                       : "trap",
          src);
  if (n->version == USNMP_VERSION_3) {
    fputs(",\"user\":", f);
    put_json_string(f, n->user, n->user_len);
    fputs(",\"engine_id\":\"", f);
    put_hex(f, n->engine_id, n->engine_id_len);
    fputs("\",\"context\":", f);
    put_json_string(f, n->context_name, n->context_name_len);
    fprintf(f, ",\"security_level\":\"%s\"", level_name(n->security_level));
  } else {
    fputs(",\"community\":", f);
    put_json_string(f, n->community, n->community_len);
  }
  if (n->v1 != NULL) {
    char oid[5 * USNMP_OID_MAX_LEN + 8];
    const uint8_t *a = n->v1->trap.agent_addr;
    enterprise_text(n->v1, oid, sizeof(oid));
    fprintf(f,
            ",\"enterprise\":\"%s\",\"agent_addr\":\"%u.%u.%u.%u\","
            "\"generic\":%d,\"specific\":%d,\"timestamp\":%u",
            oid, a[0], a[1], a[2], a[3], (int)n->v1->trap.generic_trap,
            (int)n->v1->trap.specific_trap, (unsigned)n->v1->trap.time_stamp);
  }
  fputs(",\"varbinds\":[", f);
  for (i = 0; i < nvb; i++) {
    if (i)
      fputc(',', f);
    fputs(text_of(c, fmt_vb_json, &vbs[i]), f);
  }
  fputs("]}\n", f);
}

static void print_text(notify_cli *c, const usnmp_notification *n) {
  char src[96], dst[96], when[64];
  time_t now = time(NULL);
  struct tm tm;
  size_t i;
  addr_text(n->source, src, sizeof(src));
  addr_text(n->local, dst, sizeof(dst));
  localtime_r(&now, &tm);
  strftime(when, sizeof(when), "%Y-%m-%d %H:%M:%S", &tm);
  printf("%s [UDP: %s->%s]:\n", when, src, dst);
  if (n->v1 != NULL) {
    char oid[5 * USNMP_OID_MAX_LEN + 8];
    const uint8_t *a = n->v1->trap.agent_addr;
    enterprise_text(n->v1, oid, sizeof(oid));
    printf("%s\n\t%u.%u.%u.%u\n\tGeneric: %d Specific: %d Uptime: %u\n", oid,
           a[0], a[1], a[2], a[3], (int)n->v1->trap.generic_trap,
           (int)n->v1->trap.specific_trap, (unsigned)n->v1->trap.time_stamp);
    for (i = 0; i < n->v1_varbind_count; i++)
      printf("%s\t", text_of(c, fmt_vb, &n->v1_varbinds[i]));
  } else {
    for (i = 0; i < n->varbind_count; i++)
      printf("%s\t", text_of(c, fmt_vb, &n->varbinds[i]));
  }
  putchar('\n');
}

static void stop_trapd(notify_cli *c) {
  if (c->rx == NULL)
    return;
  usnmp_receiver_close(c->rx, NULL, NULL);
  c->rx = NULL;
  uv_close((uv_handle_t *)&c->sigint, NULL);
  uv_close((uv_handle_t *)&c->sigterm, NULL);
}

static void on_notification(usnmp_receiver *rx, const usnmp_notification *n,
                            void *arg) {
  notify_cli *c = arg;
  (void)rx;
  if (c->json)
    print_json(c, n);
  else
    print_text(c, n);
  fflush(stdout);
  if (c->count > 0 && ++c->seen >= c->count)
    stop_trapd(c);
}

static void on_signal(uv_signal_t *h, int signum) {
  (void)signum;
  stop_trapd(h->data);
}

static int run_trapd(notify_cli *c) {
  const char *def = "udp:0.0.0.0:162";
  size_t i;
  int rc;

  rc = uv_loop_init(&c->loop);
  if (rc == 0)
    rc = usnmp_receiver_init(&c->rx, &c->loop, NULL);
  if (rc < 0)
    die(c, "%s", usnmp_strerror(rc));
  for (i = 0; i < c->n_communities; i++)
    if (usnmp_receiver_add_community(c->rx, c->communities[i]) < 0)
      die(c, "bad community: %s", c->communities[i]);
  if (c->conf != NULL)
    read_conf(c);
  if (c->engine_hex != NULL) {
    uint8_t id[32];
    size_t len = parse_hex(c, c->engine_hex, id, sizeof(id));
    usnmp_receiver_set_engine_id(c->rx, id, len);
  }
  if (c->boots_time != NULL)
    usnmp_receiver_set_engine_boots(c->rx,
                                    (uint32_t)strtoul(c->boots_time, NULL, 10));
  for (i = 0; i < (size_t)c->n_args; i++) {
    rc = usnmp_receiver_bind(c->rx, c->args[i]);
    if (rc < 0)
      die(c, "cannot listen on %s: %s", c->args[i], usnmp_strerror(rc));
  }
  if (c->n_args == 0 && (rc = usnmp_receiver_bind(c->rx, def)) < 0)
    die(c, "cannot listen on %s: %s", def, usnmp_strerror(rc));
  rc = usnmp_receiver_start(c->rx, on_notification, c);
  if (rc < 0)
    die(c, "%s", usnmp_strerror(rc));
  uv_signal_init(&c->loop, &c->sigint);
  uv_signal_init(&c->loop, &c->sigterm);
  c->sigint.data = c->sigterm.data = c;
  uv_signal_start(&c->sigint, on_signal, SIGINT);
  uv_signal_start(&c->sigterm, on_signal, SIGTERM);
  uv_run(&c->loop, UV_RUN_DEFAULT);
  uv_loop_close(&c->loop);
  fflush(stdout);
  return 0;
}

int usnmp__cli_notify_main(int argc, char **argv) {
  notify_cli c;
  int rc;
  memset(&c, 0, sizeof(c));
  c.cmd = argv[1];
  c.tool = strcmp(c.cmd, "trap") == 0     ? "snmptrap"
           : strcmp(c.cmd, "inform") == 0 ? "snmpinform"
                                          : "snmptrapd";
  parse_args(&c, argc, argv);
  if (strcmp(c.cmd, "trapd") == 0)
    rc = run_trapd(&c);
  else
    rc = send_notification(&c);
  free(c.communities);
  free(c.text);
  return rc;
}
