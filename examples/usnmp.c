/*
 * usnmp: the command-line tool.
 *
 *   usnmp get|getnext|bulkget|set|walk|bulkwalk|table [OPTIONS] AGENT ARGS...
 *
 * It takes net-snmp's options with their meanings and prints what net-snmp
 * 5.9's snmpget, snmpgetnext, snmpbulkget, snmpset, snmpwalk and
 * snmpbulkwalk print with no MIB modules loaded, byte for byte, with the
 * same exit codes, so scripts written for those tools keep working.  net-snmp
 * cannot print a table without MIB modules; `usnmp table` prints one in
 * snmptable's layout with column numbers as headers (README.md, "The usnmp
 * command").  With --json every command prints one JSON document instead.
 *
 * The command is a client of the library like any other: it includes only
 * usnmp.h and runs the async manager, walks and tables on a libuv loop.
 * Values are printed by the library's formatters.
 */
#include "cli.h"
#include "cli_notify.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>

/* Exit codes, as net-snmp's tools use them. */
enum {
  EXIT_OK = 0,
  EXIT_FAILURE_ = 1,  /* bad input, timeout, unknown host, any failure */
  EXIT_SNMP_ERROR = 2 /* the agent answered with an error-status */
};

typedef enum command {
  CMD_GET,
  CMD_GETNEXT,
  CMD_BULKGET,
  CMD_SET,
  CMD_WALK,
  CMD_BULKWALK,
  CMD_TABLE
} command;

/* What distinguishes the subcommands: net-snmp's tools differ in small
 * things (a period after "Error in packet", after the timeout message),
 * and each has its own -C flags. */
typedef struct command_info {
  const char *name;
  command cmd;
  const char *args;   /* for the usage line */
  const char *cflags; /* -C letters it accepts */
  int error_dot;      /* "Error in packet." rather than "Error in packet" */
  int timeout_dot;    /* "Timeout: No Response from X." */
} command_info;

static const command_info commands[] = {
    {"get", CMD_GET, "OID [OID]...", "f", 0, 1},
    {"getnext", CMD_GETNEXT, "OID [OID]...", "f", 1, 1},
    {"bulkget", CMD_BULKGET, "OID [OID]...", "nr", 1, 0},
    {"set", CMD_SET, "OID TYPE VALUE [OID TYPE VALUE]...", "q", 1, 0},
    {"walk", CMD_WALK, "[OID]", "pciIEt", 1, 0},
    {"bulkwalk", CMD_BULKWALK, "[OID]", "cinpr", 1, 0},
    {"table", CMD_TABLE, "TABLE-OID", "bBcfhHilrw", 1, 0},
};

/* How OIDs are printed.  net-snmp with no MIB module names only the three
 * top arcs: the default (and -Os, -OS) prints iso.3.6.1..., -Of and -Ou
 * print .iso.3.6.1..., -On prints .1.3.6.1... */
typedef enum oid_style { OID_NUMERIC, OID_SHORT, OID_FULL } oid_style;

/* SNMPv3 options (-l -u -a -A -x -X -e -E -n -Z), checked in
 * prepare_v3() and given to the target in setup_v3(). */
typedef struct v3_options {
  const char *level, *user, *auth_proto, *auth_pass, *priv_proto, *priv_pass;
  const char *engine_id, *context_engine_id, *context, *boots_time;
  char first; /* the first v3 option given, 0 if none */
  /* Parsed by prepare_v3(). */
  usnmp_sec_level sec_level;
  usnmp_auth_proto auth;
  usnmp_priv_proto priv;
  uint8_t engine[32], context_engine[32];
  size_t engine_len, context_engine_len;
} v3_options;

/* A table as it arrives: cells are kept as text (the column widths are
 * known only at the end) and, with --json, as JSON objects. */
typedef struct table_data {
  usnmp_oid *columns;
  size_t n_columns;
  char **cells; /* rows x n_columns, NULL for a hole */
  char **indexes;
  size_t rows, cap;
} table_data;

typedef struct cli {
  const command_info *info;
  const char *agent;
  /* Options. */
  usnmp_version version;
  const char *community;
  uint32_t resend_ms;
  int32_t retries;
  oid_style style;
  /* -O toggles, as net-snmp keeps them: each letter flips its flag, so
   * -Oqq is -O with nothing; -OQ sets quicke and flips quick. */
  int value_only;        /* v */
  int quick, quicke;     /* q, Q */
  int raw_ticks;         /* t */
  int hex_text;          /* T */
  unsigned strings;      /* a or x (the later wins): USNMP_FORMAT_ASCII/HEX */
  char float_format[32]; /* -Op PRECISION: "%PRECISIONf", or "" */
  /* -I toggles and texts: how OID arguments are read. */
  int in_ucd, in_regex, in_random;
  const char *oid_prefix, *oid_suffix;
  /* -d, -L, -D. */
  int dump;
  usnmp_cli_log log;
  int json;
  v3_options v3;
  /* -C flags. */
  int no_fix;           /* get, getnext: -Cf */
  int quiet;            /* set: -Cq */
  long non_repeaters;   /* bulkget, bulkwalk: -Cn */
  long max_repetitions; /* bulkget, bulkwalk, table: -Cr */
  int allow_not_increasing, include_root, no_root_get, print_count;
  int print_time; /* walk: -Ct */
  uint64_t walk_start_ns;
  int have_end; /* walk: -CE OID */
  usnmp_oid end_oid;
  int tbl_no_bulk, tbl_headers_only, tbl_no_headers, tbl_show_index;
  int tbl_left;
  long tbl_col_width, tbl_max_width;
  const char *tbl_sep;
  /* Arguments after the agent. */
  char **args;
  size_t n_args;
  /* The request. */
  usnmp_oid *oids;
  size_t n_oids;
  usnmp_value *values;
  uint8_t **value_bufs;
  /* Running. */
  uv_loop_t loop;
  usnmp_manager *manager;
  usnmp_target *target;
  int exit_code;
  uint64_t printed; /* varbinds printed (walk -Cp) */
  int held;         /* a walk's first line is held back */
  char *held_line;
  char *text; /* scratch buffer for formatting */
  size_t text_cap;
  int json_first;    /* no varbind printed yet in the JSON array */
  char *json_errors; /* the "errors" array's members, comma-separated */
  size_t json_errors_len;
  table_data table;
} cli;

/* ------------------------------------------------------------------------
 * Small helpers
 * ------------------------------------------------------------------------ */

static void *xmalloc(size_t n) {
  void *p = malloc(n ? n : 1);
  if (p == NULL) {
    fputs("usnmp: out of memory\n", stderr);
    exit(EXIT_FAILURE_);
  }
  return p;
}

static void *xrealloc(void *p, size_t n) {
  void *q = realloc(p, n ? n : 1);
  if (q == NULL) {
    fputs("usnmp: out of memory\n", stderr);
    exit(EXIT_FAILURE_);
  }
  return q;
}

static char *xstrdup(const char *s) {
  size_t n = strlen(s) + 1;
  return memcpy(xmalloc(n), s, n);
}

/* Prints one line about bad input on stderr and exits 1, as net-snmp's
 * tools do for anything wrong on their command line. */
static void bad_input(const cli *c, const char *fmt, ...)
    __attribute__((format(printf, 2, 3), noreturn));
static void bad_input(const cli *c, const char *fmt, ...) {
  va_list ap;
  fprintf(stderr, "usnmp%s%s: ", c && c->info ? " " : "",
          c && c->info ? c->info->name : "");
  va_start(ap, fmt);
  vfprintf(stderr, fmt, ap);
  va_end(ap);
  fputc('\n', stderr);
  exit(EXIT_FAILURE_);
}

/* Makes c->text hold at least n + 1 bytes. */
static void text_reserve(cli *c, size_t n) {
  if (n + 1 > c->text_cap) {
    c->text_cap = n + 1 > 2 * c->text_cap ? n + 1 : 2 * c->text_cap;
    c->text = xrealloc(c->text, c->text_cap);
  }
}

/* The library's formatters behind one signature, for format_text(). */
static int json_formatter(char *buf, size_t size, const void *obj) {
  return usnmp_varbind_format_json(buf, size, obj);
}

/* Runs a formatter into c->text, growing it when the text does not fit
 * (the formatters return the length they need, like snprintf).  Returns
 * the text, or NULL when the formatter rejects the value. */
static const char *format_text(cli *c,
                               int (*formatter)(char *, size_t, const void *),
                               const void *obj) {
  int need = formatter(c->text, c->text_cap, obj);
  if (need >= 0 && (size_t)need >= c->text_cap) {
    text_reserve(c, (size_t)need);
    need = formatter(c->text, c->text_cap, obj);
  }
  return need < 0 ? NULL : c->text;
}

/* usnmp_value_format_flags() behind format_text()'s signature. */
typedef struct flagged_value {
  const usnmp_value *value;
  unsigned flags;
} flagged_value;

static int flagged_formatter(char *buf, size_t size, const void *obj) {
  const flagged_value *fv = obj;
  return usnmp_value_format_flags(buf, size, fv->value, fv->flags);
}

/* The library's formatting flags that the -O options chose. */
static unsigned format_flags(const cli *c) {
  return (c->quick ? USNMP_FORMAT_QUICK : 0u) |
         (c->raw_ticks ? USNMP_FORMAT_TIMETICKS_RAW : 0u) |
         (c->hex_text ? USNMP_FORMAT_HEX_TEXT : 0u) | c->strings;
}

static const char *format_value_flags(cli *c, const usnmp_value *v,
                                      unsigned flags) {
  flagged_value fv = {v, flags};
  return format_text(c, flagged_formatter, &fv);
}

static const char *format_varbind_json(cli *c, const usnmp_varbind *vb) {
  return format_text(c, json_formatter, vb);
}

/* Longest OID text: 128 arcs of up to 10 digits and a dot, plus a name. */
#define OID_TEXT_MAX (USNMP_OID_MAX_LEN * 11 + 32)

/* Writes oid in the chosen style into buf (OID_TEXT_MAX bytes). */
static const char *oid_text(char *buf, oid_style style, const usnmp_oid *oid) {
  static const char *const top[] = {"ccitt", "iso", "joint-iso-ccitt"};
  char numeric[OID_TEXT_MAX];
  if (usnmp_oid_format(numeric, sizeof numeric, oid) < 0)
    numeric[0] = '\0';
  if (style == OID_NUMERIC || oid->len == 0 || oid->arcs[0] > 2) {
    snprintf(buf, OID_TEXT_MAX, "%s", numeric);
  } else {
    /* numeric is ".A.rest": replace ".A" by the arc's name. */
    const char *rest = strchr(numeric + 1, '.');
    snprintf(buf, OID_TEXT_MAX, "%s%s%s", style == OID_FULL ? "." : "",
             top[oid->arcs[0]], rest ? rest : "");
  }
  return buf;
}

/* Writes s to f as a JSON string, quotes included. */
static void json_put_string(FILE *f, const char *s) {
  fputc('"', f);
  for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
    switch (*p) {
    case '"':
      fputs("\\\"", f);
      break;
    case '\\':
      fputs("\\\\", f);
      break;
    case '\n':
      fputs("\\n", f);
      break;
    case '\r':
      fputs("\\r", f);
      break;
    case '\t':
      fputs("\\t", f);
      break;
    default:
      if (*p < 0x20)
        fprintf(f, "\\u%04x", *p);
      else
        fputc(*p, f);
    }
  }
  fputc('"', f);
}

/* ------------------------------------------------------------------------
 * Output: varbinds, errors, JSON
 * ------------------------------------------------------------------------ */

/* Prints one varbind as the command's output line (or JSON member).
 * Returns 0, or -1 when the library cannot format it (a malformed value
 * from the agent: reported on stderr). */
/* -Op: an Opaque Float or Double (net-snmp's 9F 78 04 and 9F 79 08
 * encodings, exactly as the library's formatter accepts them) printed
 * with the chosen precision.  Returns 1 if v was one, else 0. */
static int print_opaque_float(cli *c, FILE *out, const usnmp_value *v) {
  const uint8_t *d = v->v.bytes.data;
  size_t len = v->v.bytes.len;
  double x;
  if (v->type != USNMP_TYPE_OPAQUE || d == NULL || len < 3 || d[0] != 0x9f)
    return 0;
  if (d[1] == 0x78 && d[2] == 4 && len == 7) {
    uint32_t bits = (uint32_t)d[3] << 24 | (uint32_t)d[4] << 16 |
                    (uint32_t)d[5] << 8 | d[6];
    float f;
    memcpy(&f, &bits, sizeof f);
    x = f;
  } else if (d[1] == 0x79 && d[2] == 8 && len == 11) {
    uint64_t bits = 0;
    for (int i = 3; i < 11; i++)
      bits = bits << 8 | d[i];
    memcpy(&x, &bits, sizeof x);
  } else {
    return 0;
  }
  char text[512];
  /* The format is "%" PRECISION "f" with PRECISION checked by
   * set_float_format() to hold one floating-point conversion only. */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wformat-nonliteral"
  snprintf(text, sizeof text, c->float_format, x);
#pragma GCC diagnostic pop
  fprintf(out, "%s%s\n", c->quick ? "" : "Opaque: Float: ", text);
  return 1;
}

static int print_varbind(cli *c, FILE *out, const usnmp_varbind *vb) {
  if (c->json) {
    const char *j = format_varbind_json(c, vb);
    if (j == NULL)
      goto malformed;
    fputs(c->json_first ? "" : ",", out);
    fputs(j, out);
    c->json_first = 0;
    c->printed++;
    return 0;
  }
  if (!c->value_only) {
    if (c->style == OID_NUMERIC) {
      /* The name as the formatter reads BER OIDs (net-snmp's way). */
      usnmp_value name = {.type = USNMP_TYPE_OID};
      name.v.bytes.data = vb->oid;
      name.v.bytes.len = vb->oid_len;
      const char *text = format_value_flags(c, &name, USNMP_FORMAT_QUICK);
      if (text == NULL)
        goto malformed;
      fputs(text, out);
    } else {
      usnmp_oid name;
      char name_text[OID_TEXT_MAX];
      if (usnmp_oid_from_ber(&name, vb->oid, vb->oid_len) < 0)
        goto malformed;
      fputs(oid_text(name_text, c->style, &name), out);
    }
    /* -Oq: a space; -OQ (which sets quicke) keeps " = ". */
    fputs(c->quick && !c->quicke ? " " : " = ", out);
  }
  if (c->float_format[0] != '\0' && print_opaque_float(c, out, &vb->value)) {
    /* printed with -Op's precision */
  } else if (vb->value.type == USNMP_TYPE_OID && c->style != OID_NUMERIC) {
    usnmp_oid value;
    char value_text[OID_TEXT_MAX];
    if (usnmp_value_get_oid(&vb->value, &value) < 0)
      goto malformed;
    fprintf(out, "%s%s\n",
            c->quick ? "" : "OID: ", oid_text(value_text, c->style, &value));
  } else {
    const char *v = format_value_flags(c, &vb->value, format_flags(c));
    if (v == NULL)
      goto malformed;
    fprintf(out, "%s\n", v);
  }
  c->printed++;
  return 0;
malformed:
  fflush(out);
  fprintf(stderr, "usnmp: the agent sent a malformed varbind\n");
  c->exit_code = EXIT_FAILURE_;
  return -1;
}

/* Appends one member to the JSON "errors" array. */
static void json_error_add(cli *c, const char *member) {
  size_t n = strlen(member);
  c->json_errors = xrealloc(c->json_errors, c->json_errors_len + n + 2);
  if (c->json_errors_len > 0)
    c->json_errors[c->json_errors_len++] = ',';
  memcpy(c->json_errors + c->json_errors_len, member, n + 1);
  c->json_errors_len += n;
}

/* The RFC 3416 names of error-status values, for JSON. */
static const char *error_status_name(int32_t status) {
  return usnmp_error_status_name((usnmp_error_status)status);
}

/* Builds a JSON object member by member into a growing string. */
typedef struct json_buf {
  char *s;
  size_t len;
} json_buf;

static void jb_raw(json_buf *b, const char *text) {
  size_t n = strlen(text);
  b->s = xrealloc(b->s, b->len + n + 1);
  memcpy(b->s + b->len, text, n + 1);
  b->len += n;
}

static void jb_string(json_buf *b, const char *key, const char *value) {
  char *mem = NULL;
  size_t mem_len = 0;
  FILE *f = open_memstream(&mem, &mem_len);
  if (f == NULL) {
    fputs("usnmp: out of memory\n", stderr);
    exit(EXIT_FAILURE_);
  }
  fprintf(f, "%s\"%s\":", b->len > 1 ? "," : "", key);
  json_put_string(f, value);
  fclose(f);
  jb_raw(b, mem);
  free(mem);
}

static void jb_int(json_buf *b, const char *key, long long value) {
  char num[64];
  snprintf(num, sizeof num, "%s\"%s\":%lld", b->len > 1 ? "," : "", key, value);
  jb_raw(b, num);
}

/* "Timeout: No Response from AGENT" (with a period for get and getnext,
 * as their net-snmp tools print it). */
static void report_timeout(cli *c) {
  char msg[512];
  snprintf(msg, sizeof msg, "Timeout: No Response from %s%s", c->agent,
           c->info->timeout_dot ? "." : "");
  if (c->json) {
    json_buf b = {NULL, 0};
    jb_raw(&b, "{");
    jb_string(&b, "type", "timeout");
    jb_string(&b, "message", msg);
    jb_raw(&b, "}");
    json_error_add(c, b.s);
    free(b.s);
  } else {
    fflush(stdout);
    fprintf(stderr, "%s\n", msg);
  }
  c->exit_code = EXIT_FAILURE_;
}

/* An error-status answer: net-snmp's three lines ("Error in packet",
 * "Reason: ...", "Failed object: ..." and an empty line).  failed is the
 * varbind the error-index names, NULL when it names none. */
static void report_snmp_error(cli *c, int32_t status, int32_t index,
                              const usnmp_oid *failed) {
  char oid_buf[OID_TEXT_MAX];
  const char *reason = usnmp_error_status_text(status);
  if (c->json) {
    json_buf b = {NULL, 0};
    jb_raw(&b, "{");
    jb_string(&b, "type", "error-status");
    jb_int(&b, "status", status);
    jb_string(&b, "name", error_status_name(status));
    jb_int(&b, "index", index);
    if (failed != NULL) {
      char num[OID_TEXT_MAX];
      jb_string(&b, "oid", oid_text(num, OID_NUMERIC, failed));
    }
    jb_string(&b, "message", reason);
    jb_raw(&b, "}");
    json_error_add(c, b.s);
    free(b.s);
  } else {
    fflush(stdout);
    fprintf(stderr, "Error in packet%s\nReason: %s\n",
            c->info->error_dot ? "." : "", reason);
    if (index != 0) {
      /* net-snmp prints the OID with its own newline, then one more. */
      if (failed != NULL)
        fprintf(stderr, "Failed object: %s\n\n",
                oid_text(oid_buf, c->style, failed));
      else
        fputs("Failed object: \n", stderr);
    }
  }
  c->exit_code = EXIT_SNMP_ERROR;
}

/* The name of net-snmp's tool for the command, which prefixes its
 * messages about v3 reports. */
static const char *netsnmp_tool(const cli *c) {
  static const char *const names[] = {"snmpget",  "snmpgetnext", "snmpbulkget",
                                      "snmpset",  "snmpwalk",    "snmpbulkwalk",
                                      "snmptable"};
  return names[c->info->cmd];
}

/* Any other failure of a request, walk or table (status < 0). */
static void report_status(cli *c, int status) {
  char msg[512];
  /* A v3 request whose replies all failed our authentication, an agent
   * that does not know the engine ID given with -e, or one whose replies
   * could not be read: net-snmp drops such replies, and says "Timeout"
   * (--json names the real status). */
  if (status == USNMP_E_TIMEOUT ||
      ((status == USNMP_E_AUTH_FAILURE || status == USNMP_E_UNKNOWN_ENGINE_ID ||
        status == USNMP_E_UNREADABLE_REPLY) &&
       !c->json)) {
    report_timeout(c);
    return;
  }
  if (status == USNMP_E_RESOLVE)
    snprintf(msg, sizeof msg, "Unknown host (%s)", c->agent);
  else if (status >= USNMP_E_UNKNOWN_USER && status <= USNMP_E_UNKNOWN_REPORT &&
           !c->json) {
    /* The agent's v3 reports, in net-snmp's words: "snmpget: Unknown
     * user name". */
    usnmp__cli_log(&c->log, LOG_ERR, "%s: %s\n", netsnmp_tool(c),
                   usnmp_strerror(status));
    c->exit_code = EXIT_FAILURE_;
    return;
  } else
    snprintf(msg, sizeof msg, "%s (%s)", usnmp_strerror(status),
             usnmp_err_name(status));
  if (c->json) {
    json_buf b = {NULL, 0};
    jb_raw(&b, "{");
    jb_string(&b, "type",
              status == USNMP_E_RESOLVE ? "unknown-host" : "failure");
    jb_string(&b, "name", usnmp_err_name(status));
    jb_string(&b, "message", msg);
    jb_raw(&b, "}");
    json_error_add(c, b.s);
    free(b.s);
  } else if (status == USNMP_E_RESOLVE) {
    /* net-snmp's library reports an unknown host through its log. */
    usnmp__cli_log(&c->log, LOG_ERR, "usnmp %s: %s\n", c->info->name, msg);
  } else {
    fflush(stdout);
    fprintf(stderr, "usnmp %s: %s\n", c->info->name, msg);
  }
  c->exit_code = EXIT_FAILURE_;
}

static void json_begin(cli *c) {
  if (!c->json)
    return;
  fputs("{\"command\":", stdout);
  json_put_string(stdout, c->info->name);
  fputs(",\"agent\":", stdout);
  json_put_string(stdout, c->agent);
  if (c->info->cmd != CMD_TABLE)
    fputs(",\"varbinds\":[", stdout);
  c->json_first = 1;
}

static void json_end(cli *c) {
  if (!c->json)
    return;
  if (c->info->cmd != CMD_TABLE)
    fputs("]", stdout);
  fputs(",\"errors\":[", stdout);
  if (c->json_errors_len > 0)
    fputs(c->json_errors, stdout);
  fputs("]}\n", stdout);
}

/* Parses an OID argument as net-snmp reads one with no MIB modules: -IS's
 * prefix and -Is's suffix are glued on as text, -Iu makes an OID without
 * a leading dot relative to mib-2, and with -Ib or -IR (which look names
 * up in MIB modules) no OID is found.  Errors end the program. */
static void parse_oid_arg(cli *c, const char *text, usnmp_oid *out) {
  /* On the stack: bad_input() exits from here. */
  char full[2 * OID_TEXT_MAX];
  int n = snprintf(full, sizeof full, "%s%s%s%s",
                   c->in_ucd && (c->oid_prefix ? c->oid_prefix : text)[0] != '.'
                       ? ".1.3.6.1.2.1."
                       : "",
                   c->oid_prefix ? c->oid_prefix : "", text,
                   c->oid_suffix ? c->oid_suffix : "");
  if (n < 0 || (size_t)n >= sizeof full)
    bad_input(c, "%s: Unknown Object Identifier (too long)", text);
  if (c->in_regex)
    bad_input(c, "%s: (-Ib finds MIB names; usnmp loads no MIB modules)", text);
  if (c->in_random)
    bad_input(c,
              "%s: Unknown Object Identifier (-IR finds MIB names; "
              "usnmp loads no MIB modules)",
              text);
  /* A MIB name ("sysDescr.0", also with -m) is the library's
   * USNMP_E_MIB_NAME, whose text says to use numeric OIDs. */
  int rc = usnmp_oid_parse(out, full);
  if (rc < 0)
    bad_input(c, "%s: Unknown Object Identifier (%s)", text,
              usnmp_strerror(rc));
}

/* ------------------------------------------------------------------------
 * Values for set (cli_value.c)
 * ------------------------------------------------------------------------ */

/* Parses "OID TYPE VALUE" number i of set into c->oids[i], c->values[i].
 * Errors end the program with net-snmp's messages. */
static void parse_set_value(cli *c, size_t i, const char *oid_arg,
                            const char *type_arg, const char *value_arg) {
  size_t size = usnmp__cli_value_storage(value_arg);
  c->value_bufs[i] = xmalloc(size);
  switch (usnmp__cli_value_parse(&c->values[i], c->value_bufs[i], size,
                                 type_arg, value_arg)) {
  case USNMP_CLI_VALUE_OK:
    return;
  case USNMP_CLI_BAD_TYPE:
    if (strlen(type_arg) != 1)
      bad_input(c, "%s: Bad variable type (\"%s\")", oid_arg, type_arg);
    bad_input(c, "%s: Bad object type: %c", oid_arg, type_arg[0]);
  case USNMP_CLI_OUT_OF_RANGE:
    bad_input(c, "%s: Value out of range (%s)", oid_arg, value_arg);
  case USNMP_CLI_BAD_OID:
    bad_input(c, "%s: Unknown Object Identifier (%s)", oid_arg, value_arg);
  default:
    bad_input(c, "%s: Bad value notation (%s)", oid_arg, value_arg);
  }
}

/* ------------------------------------------------------------------------
 * get, getnext, bulkget, set
 * ------------------------------------------------------------------------ */

static void finish(cli *c);
static void on_response(const usnmp_response *resp, void *arg);

static int send_request(cli *c) {
  switch (c->info->cmd) {
  case CMD_GET:
    return usnmp_get(c->target, c->oids, c->n_oids, NULL, on_response, c, NULL);
  case CMD_GETNEXT:
    return usnmp_getnext(c->target, c->oids, c->n_oids, NULL, on_response, c,
                         NULL);
  case CMD_BULKGET:
    return usnmp_getbulk(
        c->target, c->oids, c->n_oids, (uint32_t)c->non_repeaters,
        (uint32_t)c->max_repetitions, NULL, on_response, c, NULL);
  case CMD_SET:
    return usnmp_set(c->target, c->oids, c->values, c->n_oids, NULL,
                     on_response, c, NULL);
  default:
    return USNMP_E_INVAL;
  }
}

static void on_response(const usnmp_response *resp, void *arg) {
  cli *c = arg;
  if (resp->status < 0) {
    report_status(c, resp->status);
    finish(c);
    return;
  }
  if (resp->error_status != USNMP_ERROR_STATUS_NOERROR) {
    int32_t ei = resp->error_index;
    int names_one = ei >= 1 && (size_t)ei <= c->n_oids;
    report_snmp_error(c, resp->error_status, ei,
                      names_one ? &c->oids[ei - 1] : NULL);
    /* snmpget and snmpgetnext drop the failed variable and ask again for
     * the rest (unless -Cf); the others stop. */
    if ((c->info->cmd == CMD_GET || c->info->cmd == CMD_GETNEXT) &&
        !c->no_fix && names_one && c->n_oids > 1) {
      memmove(&c->oids[ei - 1], &c->oids[ei],
              (c->n_oids - (size_t)ei) * sizeof c->oids[0]);
      c->n_oids--;
      int rc = send_request(c);
      if (rc == 0)
        return;
      report_status(c, rc);
    }
    finish(c);
    return;
  }
  if (!(c->info->cmd == CMD_SET && c->quiet))
    for (size_t i = 0; i < resp->varbind_count; i++)
      print_varbind(c, stdout, &resp->varbinds[i]);
  finish(c);
}

/* ------------------------------------------------------------------------
 * walk, bulkwalk
 * ------------------------------------------------------------------------ */

/* The first line of a walk is held back until the second arrives or the
 * walk ends: when that line answers the GET of the root that follows an
 * SNMPv1 walk ending on noSuchName, snmpwalk prints "End of MIB" before
 * it. */
static void release_held(cli *c) {
  if (c->held_line != NULL) {
    fputs(c->held_line, stdout);
    free(c->held_line);
    c->held_line = NULL;
  }
  c->held = 0;
}

static int on_walk_varbind(usnmp_walk *w, const usnmp_varbind *vb,
                           const usnmp_oid *name, void *arg) {
  cli *c = arg;
  (void)w;
  (void)name;
  if (c->held && c->printed == 0 && !c->json) {
    /* Capture the first line. */
    char *mem = NULL;
    size_t mem_len = 0;
    FILE *f = open_memstream(&mem, &mem_len);
    if (f != NULL) {
      print_varbind(c, f, vb);
      fclose(f);
      c->held_line = mem;
      return 0;
    }
  }
  release_held(c);
  print_varbind(c, stdout, vb);
  return 0;
}

static void on_walk_done(usnmp_walk *w, const usnmp_walk_result *r, void *arg) {
  cli *c = arg;
  (void)w;
  if (r->status == 0 && r->end == USNMP_WALK_END_NO_SUCH_NAME && !c->json) {
    /* SNMPv1's end of the MIB: snmpwalk says so on stdout, after what the
     * walk itself found (a held line answers the root's GET only when
     * there was one). */
    if (!r->root_get)
      release_held(c);
    fputs("End of MIB\n", stdout);
  }
  release_held(c);
  if (r->status == USNMP_E_SNMP_ERROR) {
    /* The failed variable is the one the last request asked for: the last
     * OID printed, or the root. */
    usnmp_oid failed = r->last_oid.len > 0 ? r->last_oid : c->oids[0];
    report_snmp_error(c, r->error_status, r->error_index,
                      r->error_index == 1 ? &failed : NULL);
  } else if (r->status == USNMP_E_NOT_INCREASING) {
    usnmp_oid prev = r->last_oid.len > 0 ? r->last_oid : c->oids[0];
    usnmp_oid next;
    char a[OID_TEXT_MAX], b[OID_TEXT_MAX];
    /* snmpwalk prints the offending variable, then the error. */
    if (r->end_varbind != NULL &&
        usnmp_oid_from_ber(&next, r->end_varbind->oid,
                           r->end_varbind->oid_len) == 0) {
      print_varbind(c, stdout, r->end_varbind);
      if (c->json) {
        json_buf jb = {NULL, 0};
        char num_a[OID_TEXT_MAX], num_b[OID_TEXT_MAX];
        jb_raw(&jb, "{");
        jb_string(&jb, "type", "not-increasing");
        jb_string(&jb, "previous", oid_text(num_a, OID_NUMERIC, &prev));
        jb_string(&jb, "oid", oid_text(num_b, OID_NUMERIC, &next));
        jb_raw(&jb, "}");
        json_error_add(c, jb.s);
        free(jb.s);
      } else {
        fflush(stdout);
        fprintf(stderr, "Error: OID not increasing: %s >= %s\n",
                oid_text(a, c->style, &prev), oid_text(b, c->style, &next));
      }
      c->exit_code = EXIT_FAILURE_;
    } else {
      report_status(c, r->status);
    }
  } else if (r->status < 0) {
    report_status(c, r->status);
  }
  if (c->print_count && !c->json)
    printf("Variables found: %llu\n", (unsigned long long)c->printed);
  if (c->print_time && !c->json) {
    fflush(stdout);
    fprintf(stderr, "Total traversal time = %f seconds\n",
            (double)(uv_hrtime() - c->walk_start_ns) / 1e9);
  }
  finish(c);
}

static int start_walk(cli *c) {
  usnmp_walk_opts opts;
  memset(&opts, 0, sizeof opts);
  opts.flags = USNMP_WALK_DELIVER_EXCEPTIONS;
  if (c->allow_not_increasing)
    opts.flags |= USNMP_WALK_ALLOW_NOT_INCREASING;
  if (c->include_root)
    opts.flags |= USNMP_WALK_INCLUDE_ROOT;
  if (c->no_root_get)
    opts.flags |= USNMP_WALK_NO_ROOT_GET;
  /* -CE: up to that OID, past the subtree if need be, as snmpwalk. */
  if (c->have_end) {
    opts.flags |= USNMP_WALK_END_OID;
    opts.end = &c->end_oid;
  }
  c->walk_start_ns = uv_hrtime();
  if (c->info->cmd == CMD_WALK) {
    opts.method = USNMP_WALK_GETNEXT;
  } else {
    opts.method = USNMP_WALK_GETBULK;
    opts.max_repetitions = (uint32_t)c->max_repetitions;
  }
  /* Hold the first line back (see release_held), unless -Ci made it the
   * root's own answer, which comes first anyway. */
  c->held = !c->include_root;
  return usnmp_walk_start(c->target, &c->oids[0], &opts, on_walk_varbind,
                          on_walk_done, c, NULL);
}

/* ------------------------------------------------------------------------
 * table
 * ------------------------------------------------------------------------ */

/* A cell's text, as snmptable prints it: the value in -Oq's quick form
 * (no type label, hex strings quoted, TimeTicks as D:H:MM:SS.hh) with the
 * other -O flags, each line break turned into a space. */
static char *cell_text(cli *c, const usnmp_value *v) {
  char *cell;
  if (v->type == USNMP_TYPE_OID && c->style != OID_NUMERIC) {
    usnmp_oid o;
    char buf[OID_TEXT_MAX];
    if (usnmp_value_get_oid(v, &o) == 0)
      return xstrdup(oid_text(buf, c->style, &o));
  }
  const char *text =
      format_value_flags(c, v, format_flags(c) | USNMP_FORMAT_QUICK);
  cell = xstrdup(text != NULL ? text : "?");
  for (char *p = cell; *p; p++)
    if (*p == '\n')
      *p = ' ';
  return cell;
}

static int on_table_row(usnmp_table *tb, const usnmp_table_row *row,
                        void *arg) {
  cli *c = arg;
  table_data *t = &c->table;
  (void)tb;
  if (t->columns == NULL) {
    t->n_columns = row->n_columns;
    t->columns = xmalloc(row->n_columns * sizeof t->columns[0]);
    memcpy(t->columns, row->columns, row->n_columns * sizeof t->columns[0]);
  }
  if (t->rows == t->cap) {
    t->cap = t->cap ? 2 * t->cap : 16;
    t->cells = xrealloc(t->cells, t->cap * t->n_columns * sizeof(char *));
    t->indexes = xrealloc(t->indexes, t->cap * sizeof(char *));
  }
  char idx[OID_TEXT_MAX];
  if (usnmp_oid_format(idx, sizeof idx, row->index) < 0)
    idx[0] = '\0';
  t->indexes[t->rows] = xstrdup(idx[0] == '.' ? idx + 1 : idx);
  char **cells = &t->cells[t->rows * t->n_columns];
  for (size_t k = 0; k < t->n_columns; k++) {
    cells[k] = NULL;
    /* Columns are matched by OID, in case a row's list differs. */
    for (size_t j = 0; j < row->n_columns; j++) {
      const usnmp_value *v = &row->values[j];
      if (usnmp_oid_cmp(&row->columns[j], &t->columns[k]) != 0)
        continue;
      if (v->type == USNMP_TYPE_NOSUCHINSTANCE)
        break; /* a hole */
      if (c->json) {
        /* The cell as a varbind: column OID + index. */
        usnmp_oid name = t->columns[k];
        uint8_t ber[5 * USNMP_OID_MAX_LEN + 8];
        if (name.len + row->index->len > USNMP_OID_MAX_LEN)
          break;
        memcpy(&name.arcs[name.len], row->index->arcs,
               row->index->len * sizeof name.arcs[0]);
        name.len += row->index->len;
        int n = usnmp_oid_to_ber(ber, sizeof ber, &name);
        if (n < 0)
          break;
        usnmp_varbind vb = {ber, (size_t)n, *v};
        const char *j_text = format_varbind_json(c, &vb);
        cells[k] = xstrdup(j_text ? j_text : "null");
      } else {
        cells[k] = cell_text(c, v);
      }
      break;
    }
  }
  t->rows++;
  return 0;
}

/* Prints the table in snmptable's layout: "SNMP table: NAME", an empty
 * line, a header row, then one line per row; columns right-aligned to
 * their widest cell, each preceded by a space (or -Cf's separator), the
 * index first with -Ci.  -Cw splits wide tables into parts. */
static void print_table(cli *c, const char *name) {
  table_data *t = &c->table;
  size_t nc = t->n_columns;
  int *width = xmalloc((nc ? nc : 1) * sizeof(int));
  char **label = xmalloc((nc ? nc : 1) * sizeof(char *));
  int index_width = (int)strlen("index ");
  for (size_t k = 0; k < nc; k++) {
    char num[16];
    snprintf(num, sizeof num, "%u",
             t->columns[k].len ? t->columns[k].arcs[t->columns[k].len - 1]
                               : 0u);
    label[k] = xstrdup(num);
    width[k] = (int)strlen(num);
  }
  /* With -Ch only the headers count, as snmptable fetches no rows then. */
  for (size_t r = 0; r < (c->tbl_headers_only ? 0 : t->rows); r++) {
    if ((int)strlen(t->indexes[r]) > index_width)
      index_width = (int)strlen(t->indexes[r]);
    for (size_t k = 0; k < nc; k++) {
      const char *cell = t->cells[r * nc + k];
      if (cell != NULL && (int)strlen(cell) > width[k])
        width[k] = (int)strlen(cell);
    }
  }
  if (!c->tbl_no_headers && !c->tbl_headers_only)
    printf("SNMP table: %s\n\n", name);
  int lj = c->tbl_left;
  /* One cell: fixed width (-Cc), right- or left-aligned to the column's
   * width, or after the separator (-Cf). */
#define PUT_CELL(first, w, text)                                               \
  do {                                                                         \
    if (c->tbl_col_width > 0)                                                  \
      printf(lj ? "%-*.*s" : "%*.*s", (int)c->tbl_col_width,                   \
             (int)c->tbl_col_width - 1, (text));                               \
    else if (c->tbl_sep == NULL)                                               \
      printf(lj ? "%-*s" : "%*s", (w) + 1, (text));                            \
    else                                                                       \
      printf("%s%s", (first) ? "" : c->tbl_sep, (text));                       \
  } while (0)
  size_t first = 0;
  int part = 0;
  while (first < nc || (nc == 0 && part == 0)) {
    size_t last = nc;
    part++;
    if (part > 1 && !c->tbl_no_headers)
      printf("\nSNMP table %s, part %d\n\n", name, part);
    if (c->tbl_max_width > 0) {
      long used = c->tbl_show_index ? index_width : 0;
      for (last = first; last < nc; last++) {
        long w = c->tbl_col_width > 0 ? c->tbl_col_width : width[last] + 1;
        if (last > first && used + w > c->tbl_max_width)
          break;
        used += w;
      }
    }
    if (!c->tbl_no_headers) {
      /* With -Cc the index goes on a line of its own above each row. */
      if (c->tbl_show_index && c->tbl_col_width == 0) {
        if (c->tbl_sep != NULL)
          printf("index");
        else
          printf(lj ? "%-*s" : "%*s", index_width, "index");
      }
      for (size_t k = first; k < last; k++)
        PUT_CELL(k == first && (!c->tbl_show_index || c->tbl_col_width),
                 width[k], label[k]);
      printf("\n");
    }
    if (!c->tbl_headers_only) {
      for (size_t r = 0; r < t->rows; r++) {
        if (c->tbl_show_index) {
          if (c->tbl_col_width > 0)
            printf("\nindex: %s\n", t->indexes[r]);
          else if (c->tbl_sep != NULL)
            printf("%s", t->indexes[r]);
          else
            printf(lj ? "%-*s" : "%*s", index_width, t->indexes[r]);
        }
        for (size_t k = first; k < last; k++) {
          const char *cell = t->cells[r * nc + k];
          PUT_CELL(k == first && !c->tbl_show_index, width[k],
                   cell ? cell : "?");
        }
        printf("\n");
      }
    }
    if (nc == 0)
      break;
    first = last;
  }
#undef PUT_CELL
  for (size_t k = 0; k < nc; k++)
    free(label[k]);
  free(label);
  free(width);
}

static void print_table_json(cli *c, const char *name) {
  table_data *t = &c->table;
  char buf[OID_TEXT_MAX];
  fputs(",\"table\":", stdout);
  json_put_string(stdout, name);
  fputs(",\"columns\":[", stdout);
  for (size_t k = 0; k < t->n_columns; k++) {
    fputs(k ? "," : "", stdout);
    json_put_string(stdout, oid_text(buf, OID_NUMERIC, &t->columns[k]));
  }
  fputs("],\"rows\":[", stdout);
  for (size_t r = 0; r < t->rows; r++) {
    fputs(r ? ",{\"index\":" : "{\"index\":", stdout);
    json_put_string(stdout, t->indexes[r]);
    fputs(",\"values\":[", stdout);
    for (size_t k = 0; k < t->n_columns; k++) {
      const char *cell = t->cells[r * t->n_columns + k];
      fputs(k ? "," : "", stdout);
      fputs(cell ? cell : "null", stdout);
    }
    fputs("]}", stdout);
  }
  fputs("]", stdout);
}

static void on_table_done(usnmp_table *tb, const usnmp_table_result *r,
                          void *arg) {
  cli *c = arg;
  table_data *t = &c->table;
  char name[OID_TEXT_MAX];
  (void)tb;
  oid_text(name, c->json ? OID_NUMERIC : c->style, &c->oids[0]);
  if (t->columns == NULL && r->n_columns > 0) {
    t->n_columns = r->n_columns;
    t->columns = xmalloc(r->n_columns * sizeof t->columns[0]);
    memcpy(t->columns, r->columns, r->n_columns * sizeof t->columns[0]);
  }
  if (r->status == 0) {
    if (c->json) {
      print_table_json(c, name);
    } else {
      /* SNMPv1's end of the MIB: snmptable says so first. */
      if (r->end == USNMP_WALK_END_NO_SUCH_NAME)
        fputs("End of MIB\n", stdout);
      if (t->rows > 0 || c->tbl_headers_only)
        print_table(c, name);
      /* With -Ch snmptable fetches no rows, so it always says this. */
      if (t->rows == 0 || c->tbl_headers_only)
        printf("%s: No entries\n", name);
    }
  } else {
    /* Like snmptable: on a failure, the rows fetched so far are not
     * printed. */
    if (c->json)
      print_table_json(c, name);
    if (r->status == USNMP_E_SNMP_ERROR)
      report_snmp_error(c, r->error_status, r->error_index, NULL);
    else
      report_status(c, r->status);
  }
  finish(c);
}

static int start_table(cli *c) {
  usnmp_walk_opts opts;
  usnmp_oid entry = c->oids[0];
  memset(&opts, 0, sizeof opts);
  if (entry.len >= USNMP_OID_MAX_LEN)
    bad_input(c, "table OID too long");
  /* As snmptable does without a MIB, the entry is TABLE.1. */
  entry.arcs[entry.len++] = 1;
  opts.method = c->tbl_no_bulk ? USNMP_WALK_GETNEXT : USNMP_WALK_AUTO;
  opts.max_repetitions = (uint32_t)c->max_repetitions;
  if (c->tbl_headers_only) {
    /* Only the headers: the columns are still found by asking. */
    opts.max_varbinds = 1;
  }
  return usnmp_table_start(c->target, &entry, NULL, 0, &opts, on_table_row,
                           on_table_done, c, NULL);
}

/* ------------------------------------------------------------------------
 * Option parsing
 * ------------------------------------------------------------------------ */

static void usage(FILE *f) {
  fputs(
      "usage: usnmp COMMAND [OPTIONS] AGENT ARGS...\n"
      "\n"
      "commands:\n"
      "  get      AGENT OID...                 GET (like snmpget)\n"
      "  getnext  AGENT OID...                 GETNEXT (like snmpgetnext)\n"
      "  bulkget  AGENT OID...                 GETBULK (like snmpbulkget)\n"
      "  set      AGENT OID TYPE VALUE...      SET (like snmpset)\n"
      "  walk     AGENT [OID]                  GETNEXT walk (like snmpwalk)\n"
      "  bulkwalk AGENT [OID]                  GETBULK walk (like "
      "snmpbulkwalk)\n"
      "  table    AGENT TABLE-OID              a table (like snmptable)\n"
      "  trap     AGENT UPTIME TRAP-OID [OID TYPE VALUE]...  (like snmptrap)\n"
      "  inform   AGENT UPTIME TRAP-OID [OID TYPE VALUE]...  (like "
      "snmpinform)\n"
      "  trapd    [LISTEN-ADDRESS...]          print notifications (like "
      "snmptrapd -f -Lo)\n"
      "           (usnmp trap --help: their options)\n"
      "\n"
      "AGENT: host, host:port, udp:host:port, udp6:[addr]:port, [addr]:port\n"
      "\n"
      "OIDs are numeric: 1.3.6.1.2.1.1.1.0, .1.3.6.1.2.1.1.1.0 or\n"
      "iso.3.6.1.2.1.1.1.0; usnmp loads no MIB modules, so names such as\n"
      "sysDescr.0 or IF-MIB::ifDescr.1 are refused.\n"
      "\n"
      "examples:\n"
      "  usnmp get -v2c -c public 192.0.2.1 1.3.6.1.2.1.1.1.0 "
      "1.3.6.1.2.1.1.3.0\n"
      "  usnmp walk -v2c -c public -On 192.0.2.1:161 1.3.6.1.2.1.2.2.1.2\n"
      "  usnmp table -v2c -c public 192.0.2.1 1.3.6.1.2.1.2.2\n"
      "  usnmp get -v3 -l authPriv -u monitor -a SHA-256 -A 'auth secret' \\\n"
      "      -x AES -X 'priv secret' 192.0.2.1 1.3.6.1.2.1.1.1.0\n"
      "\n"
      "options:\n"
      "  -v 1|2c|3        SNMP version (default 2c)\n"
      "  -c COMMUNITY     community string (required for v1 and v2c)\n"
      "  -l LEVEL         v3 security level: noAuthNoPriv (default),\n"
      "                   authNoPriv, authPriv\n"
      "  -u USER          v3 user name\n"
      "  -a PROTOCOL      MD5 (default), SHA, SHA-224, SHA-256, SHA-384, "
      "SHA-512\n"
      "  -A PASSPHRASE    authentication pass phrase\n"
      "  -x PROTOCOL      DES (default), AES, AES-192, AES-256, AES-192-C,\n"
      "                   AES-256-C\n"
      "  -X PASSPHRASE    privacy pass phrase\n"
      "  -e ENGINE-ID     the agent's engine ID in hex (skips discovery)\n"
      "  -E ENGINE-ID     context engine ID in hex\n"
      "  -n CONTEXT       context name\n"
      "  -t TIMEOUT       seconds to wait before each retry (default 1)\n"
      "  -r RETRIES       retries (default 5)\n"
      "  -O FLAGS         output, as net-snmp's (q Q t T v toggle):\n"
      "                   n numeric OIDs, s/S iso.3.6..., f/u .iso.3.6...,\n"
      "                   v values only, q no '=' and no type, Q no type,\n"
      "                   t raw timeticks, T hex with text, a strings as "
      "text,\n"
      "                   x strings in hex, p PRECISION Opaque floats "
      "(\"%PRECISIONf\");\n"
      "                   b e E U X 0 accepted (no MIBs: no effect)\n"
      "  -I FLAGS         OID input: s SUFFIX, S PREFIX glued to every OID,\n"
      "                   u OIDs without a leading dot under mib-2, b R "
      "find\n"
      "                   no OID (MIB names); r h accepted (no effect)\n"
      "  -d               dump every packet sent and received (to the log)\n"
      "  -L e|o|n|f FILE|s FACILITY   where the log goes (default stderr);\n"
      "                   E O N F S take a priority first (0-7 or P1-P2)\n"
      "  -D TOKENS        accepted: prints net-snmp's token lines, no "
      "debugging\n"
      "  -m MIBS, -M DIRS, -P FLAGS   accepted: usnmp loads no MIB modules,\n"
      "                   OIDs are numeric\n"
      "  -C FLAGS         command flags, as net-snmp's tools:\n"
      "                   get, getnext: f (do not retry without the failed "
      "OID)\n"
      "                   set: q (print nothing on success)\n"
      "                   bulkget: nNUM (non-repeaters), rNUM "
      "(max-repetitions)\n"
      "                   walk: p (count) i (GET the OID first) I (never GET "
      "it)\n"
      "                         c (allow non-increasing OIDs) E OID (end "
      "there)\n"
      "                         t (print the traversal time)\n"
      "                   bulkwalk: c i p nNUM rNUM\n"
      "                   table: b B c NUM f SEP h H i l r NUM w NUM\n"
      "  --json           one JSON document on stdout\n"
      "  -h, --help       this help\n"
      "  -V, --version    the version\n"
      "\n"
      "set TYPE: i INTEGER, u Gauge32, t TimeTicks, a IpAddress, o OID,\n"
      "  s string, x hex string, d decimal string, b BITS, n NULL,\n"
      "  U I F D: net-snmp's Opaque UInt64, Int64, Float, Double\n"
      "\n"
      "exit status: 0 success, 1 bad input, timeout or failure, 2 the agent "
      "answered\n"
      "with an error-status\n",
      f);
}

/* Parses a whole number (any base strtol takes) in [min, max]. */
static int parse_long(const char *s, long min, long max, long *out) {
  char *end;
  errno = 0;
  long v = strtol(s, &end, 0);
  if (end == s || *end != '\0' || errno == ERANGE || v < min || v > max)
    return -1;
  *out = v;
  return 0;
}

/* -C FLAGS: letters, some followed by a number within the same argument
 * (bulkget, bulkwalk: -Cr10), some by the next argument (table: -Cr 10,
 * -Cf SEP, walk: -CE OID).  *next is the index of the argument after the
 * -C flags; options that take it advance it. */
static void parse_cflags(cli *c, const char *flags, char **argv, int argc,
                         int *next) {
  const command cmd = c->info->cmd;
  for (const char *p = flags; *p; p++) {
    char f = *p;
    if (strchr(c->info->cflags, f) == NULL)
      bad_input(c, "Unknown flag passed to -C: %c", f);
    if ((cmd == CMD_BULKGET || cmd == CMD_BULKWALK) && (f == 'n' || f == 'r')) {
      char *end;
      errno = 0;
      long v = strtol(p + 1, &end, 10);
      if (end == p + 1 || errno == ERANGE || v < 0 || v > INT32_MAX)
        bad_input(c, "-C%c needs a number after it (e.g. -C%c10)", f, f);
      if (f == 'n')
        c->non_repeaters = v;
      else
        c->max_repetitions = v;
      p = end - 1;
      continue;
    }
    if (cmd == CMD_TABLE && (f == 'c' || f == 'f' || f == 'r' || f == 'w')) {
      if (*next >= argc)
        bad_input(c, "Bad -C%c option: no argument given", f);
      const char *arg = argv[(*next)++];
      long v = 0;
      if (f == 'f') {
        c->tbl_sep = arg;
        continue;
      }
      if (parse_long(arg, f == 'c' ? 3 : 1, INT32_MAX, &v) < 0)
        bad_input(c, "Bad -C%c option: %s", f, arg);
      if (f == 'c')
        c->tbl_col_width = v;
      else if (f == 'r')
        c->max_repetitions = v;
      else
        c->tbl_max_width = v;
      continue;
    }
    switch (f) {
    case 'f':
      c->no_fix = 1;
      break;
    case 'q':
      c->quiet = 1;
      break;
    case 'p':
      c->print_count = 1;
      break;
    case 't':
      c->print_time = 1;
      break;
    case 'i':
      if (cmd == CMD_TABLE)
        c->tbl_show_index = 1;
      else
        c->include_root = 1;
      break;
    case 'I':
      c->no_root_get = 1;
      break;
    case 'c':
      c->allow_not_increasing = 1;
      break;
    case 'E': {
      if (*next >= argc)
        bad_input(c, "-CE needs an OID after it");
      const char *arg = argv[(*next)++];
      parse_oid_arg(c, arg, &c->end_oid);
      c->have_end = 1;
      break;
    }
    case 'b':
      break; /* brief labels: column numbers are already brief */
    case 'B':
      c->tbl_no_bulk = 1;
      break;
    case 'h':
      c->tbl_headers_only = 1;
      break;
    case 'H':
      c->tbl_no_headers = 1;
      break;
    case 'l':
      c->tbl_left = 1;
      break;
    default:
      bad_input(c, "Unknown flag passed to -C: %c", f);
    }
  }
}

/* -Op PRECISION: net-snmp prints Opaque floats with "%" PRECISION "f".
 * Only what makes that a single floating-point conversion is taken:
 * flags, a width, a precision and at most one conversion letter (after
 * which net-snmp's "f" is printed as is). */
static void set_float_format(cli *c, const char *precision) {
  const char *p = precision;
  p += strspn(p, "-+ #0");
  p += strspn(p, "0123456789");
  if (*p == '.') {
    p++;
    p += strspn(p, "0123456789");
  }
  if (*p != '\0' && strchr("eEfFgGaA", *p) != NULL)
    p++;
  if (*p != '\0' || strlen(precision) > 20)
    bad_input(c,
              "-Op %s: the precision must be printf flags, a width, "
              "\".DIGITS\" and at most one of e E f F g G a A",
              precision);
  snprintf(c->float_format, sizeof c->float_format, "%%%sf", precision);
}

/* -O FLAGS; p takes the rest of the argument, or the next one. */
static void parse_oflags(cli *c, const char *flags, char **argv, int argc,
                         int *next) {
  for (const char *p = flags; *p; p++) {
    switch (*p) {
    case 'n':
      c->style = OID_NUMERIC;
      break;
    case 's':
    case 'S':
      c->style = OID_SHORT;
      break;
    case 'f':
    case 'u':
      c->style = OID_FULL;
      break;
    case 'v':
      c->value_only = !c->value_only;
      break;
    case 'q':
      c->quick = !c->quick;
      break;
    case 'Q':
      c->quicke = 1;
      c->quick = !c->quick;
      break;
    case 't':
      c->raw_ticks = !c->raw_ticks;
      break;
    case 'T':
      c->hex_text = !c->hex_text;
      break;
    case 'a':
      c->strings = USNMP_FORMAT_ASCII;
      break;
    case 'x':
      c->strings = USNMP_FORMAT_HEX;
      break;
    case 'p':
      if (p[1] != '\0') {
        set_float_format(c, p + 1);
      } else {
        if (*next >= argc)
          bad_input(c, "-Op needs a precision");
        set_float_format(c, argv[(*next)++]);
      }
      return;
    /* Index breakdown, enum names, quotes in string indexes, units,
     * extended indexes and leading zeros of DISPLAY-HINTs: all come from
     * MIB modules, so without them these change nothing in net-snmp's
     * output either. */
    case '0':
    case 'b':
    case 'e':
    case 'E':
    case 'U':
    case 'X':
      break;
    default:
      bad_input(c, "Unknown output option passed to -O: %c", *p);
    }
  }
}

/* -I FLAGS: toggles; s SUFFIX and S PREFIX take the rest of the argument
 * or the next one.  r (range checks) and h (DISPLAY-HINTs) concern values
 * that MIB modules describe: without them nothing changes. */
static void parse_iflags(cli *c, const char *flags, char **argv, int argc,
                         int *next) {
  for (const char *p = flags; *p; p++) {
    switch (*p) {
    case 'r':
    case 'h':
      break;
    case 'u':
      c->in_ucd = !c->in_ucd;
      break;
    case 'b':
      c->in_regex = !c->in_regex;
      break;
    case 'R':
      c->in_random = !c->in_random;
      break;
    case 's':
    case 'S': {
      const char *text = p + 1;
      if (*text == '\0') {
        if (*next >= argc)
          bad_input(c, "-I%c needs a text", *p);
        text = argv[(*next)++];
      }
      if (*p == 's')
        c->oid_suffix = text;
      else
        c->oid_prefix = text;
      return;
    }
    default:
      bad_input(c, "Unknown input option passed to -I: %c.", *p);
    }
  }
}

/* Options that take an argument, attached (-v2c) or separate (-v 2c). */
static const char options_with_argument[] = "vctrOClLuaAxXeEnZmMPID";

/* -P: net-snmp's MIB parser toggles, which have nothing to parse here. */
static const char mib_parser_flags[] = "ucdewWR";

static void parse_args(cli *c, int argc, char **argv) {
  char **positional = xmalloc((size_t)argc * sizeof(char *));
  size_t n_pos = 0;
  int only_positional = 0;
  for (int i = 2; i < argc; i++) {
    const char *a = argv[i];
    /* set's VALUE is never an option, even "-5" (snmpset agrees): it is
     * the third argument of each OID TYPE VALUE triple after the agent. */
    int is_value = c->info->cmd == CMD_SET && n_pos >= 1 && n_pos % 3 == 0;
    if (only_positional || a[0] != '-' || a[1] == '\0' || is_value) {
      positional[n_pos++] = argv[i];
      continue;
    }
    if (strcmp(a, "--") == 0) {
      only_positional = 1;
      continue;
    }
    if (a[1] == '-') {
      if (strcmp(a, "--json") == 0)
        c->json = 1;
      else if (strcmp(a, "--help") == 0) {
        usage(stdout);
        exit(EXIT_OK);
      } else if (strcmp(a, "--version") == 0) {
        printf("usnmp version: %s\n", usnmp_version_string());
        exit(EXIT_OK);
      } else
        bad_input(c, "unrecognized option '%s' (usnmp --help lists them)", a);
      continue;
    }
    char opt = a[1];
    if (opt == 'h') {
      usage(stdout);
      exit(EXIT_OK);
    }
    if (opt == 'V') {
      printf("usnmp version: %s\n", usnmp_version_string());
      exit(EXIT_OK);
    }
    if (opt == 'd' && a[2] == '\0') {
      c->dump = 1;
      continue;
    }
    if (strchr(options_with_argument, opt) == NULL)
      bad_input(c, "invalid option -- '%c' (usnmp --help lists them)", opt);
    const char *arg;
    if (a[2] != '\0') {
      arg = a + 2;
    } else {
      if (i + 1 >= argc)
        bad_input(c, "option requires an argument -- '%c'", opt);
      arg = argv[++i];
    }
    long num;
    switch (opt) {
    case 'v':
      if (usnmp__cli_version_parse(arg, &c->version) != 0)
        bad_input(c, "Invalid version specified after -v flag: %s", arg);
      break;
    case 'c':
      c->community = arg;
      break;
    case 't': {
      char *end;
      errno = 0;
      double t = strtod(arg, &end);
      if (end == arg || *end != '\0' || errno == ERANGE || !isfinite(t) ||
          t < 0 || t > 86400.0 * 24)
        bad_input(c, "Invalid timeout in seconds after -t flag.");
      /* Whole milliseconds, rounded up; 0 keeps the default of 1 s. */
      c->resend_ms = t > 0 ? (uint32_t)ceil(t * 1000.0) : 1000;
      break;
    }
    case 'r':
      if (parse_long(arg, 0, INT32_MAX, &num) < 0)
        bad_input(c, "Invalid number of retries after -r flag.");
      c->retries = (int32_t)num;
      break;
    case 'O':
    case 'I':
    case 'C': {
      /* Some of their letters take the next argument too. */
      int next = i + 1;
      (opt == 'O'   ? parse_oflags
       : opt == 'I' ? parse_iflags
                    : parse_cflags)(c, arg, argv, argc, &next);
      i = next - 1;
      break;
    }
    case 'L': {
      int next = i + 1;
      char err[256];
      if (usnmp__cli_log_option(&c->log, arg, argv, argc, &next, err,
                                sizeof err) < 0)
        bad_input(c, "%s", err);
      i = next - 1;
      break;
    }
    case 'D':
      /* Announced at once, to the log as -L options so far set it up, as
       * net-snmp does. */
      usnmp__cli_log_debug_tokens(&c->log, arg);
      break;
    case 'P':
      for (const char *p = arg; *p; p++)
        if (strchr(mib_parser_flags, *p) == NULL)
          bad_input(c, "Unknown parsing option passed to -P: %c.", *p);
      break;
    case 'm':
    case 'M':
      /* MIB modules and where to find them: usnmp loads none, so names
       * in OIDs stay unknown (parse_oid_arg says so). */
      break;
    case 'l':
      c->v3.level = arg;
      goto v3;
    case 'u':
      c->v3.user = arg;
      goto v3;
    case 'a':
      c->v3.auth_proto = arg;
      goto v3;
    case 'A':
      c->v3.auth_pass = arg;
      goto v3;
    case 'x':
      c->v3.priv_proto = arg;
      goto v3;
    case 'X':
      c->v3.priv_pass = arg;
      goto v3;
    case 'e':
      c->v3.engine_id = arg;
      goto v3;
    case 'E':
      c->v3.context_engine_id = arg;
      goto v3;
    case 'n':
      c->v3.context = arg;
      goto v3;
    case 'Z':
      c->v3.boots_time = arg;
      goto v3;
    v3:
      if (c->v3.first == 0)
        c->v3.first = opt;
      break;
    default:
      bad_input(c, "invalid option -- '%c' (usnmp --help lists them)", opt);
    }
  }
  if (n_pos == 0)
    bad_input(c, "No hostname specified (usage: usnmp %s [OPTIONS] AGENT %s)",
              c->info->name, c->info->args);
  c->agent = positional[0];
  c->args = positional + 1;
  c->n_args = n_pos - 1;
}

/* Parses net-snmp's hex engine ID ("0x8000..." or "8000..."). */
static void parse_engine_id(cli *c, const char *text, char flag, uint8_t *out,
                            size_t *len) {
  size_t n = 0;
  if (text[0] == '0' && (text[1] == 'x' || text[1] == 'X'))
    text += 2;
  for (; text[0] != '\0'; text += 2) {
    unsigned v;
    if (!isxdigit((unsigned char)text[0]) ||
        !isxdigit((unsigned char)text[1]) || sscanf(text, "%2x", &v) != 1 ||
        n == 32)
      bad_input(c, "Bad engine ID value after -3%c flag.", flag);
    out[n++] = (uint8_t)v;
  }
  if (n < 5)
    bad_input(c, "Invalid engine ID value after -%c flag.", flag);
  *len = n;
}

/* Checks the v3 options as net-snmp does: the level (noAuthNoPriv by
 * default) decides which protocols are used, MD5 and DES being the
 * defaults of -a and -x. */
static void prepare_v3(cli *c) {
  v3_options *v = &c->v3;
  v->sec_level = USNMP_SEC_NOAUTHNOPRIV;
  v->auth = USNMP_AUTH_MD5;
  v->priv = USNMP_PRIV_DES;
  if (v->level != NULL && usnmp_sec_level_parse(v->level, &v->sec_level) < 0)
    bad_input(c, "Invalid security level specified after -3l flag: %s",
              v->level);
  if (v->auth_proto != NULL &&
      usnmp_auth_proto_parse(v->auth_proto, &v->auth) < 0)
    bad_input(c,
              "Invalid authentication protocol specified after -3a "
              "flag: %s",
              v->auth_proto);
  if (v->priv_proto != NULL &&
      usnmp_priv_proto_parse(v->priv_proto, &v->priv) < 0)
    bad_input(c, "Invalid privacy protocol specified after -3x flag: %s",
              v->priv_proto);
  if (v->engine_id != NULL)
    parse_engine_id(c, v->engine_id, 'e', v->engine, &v->engine_len);
  if (v->context_engine_id != NULL)
    parse_engine_id(c, v->context_engine_id, 'E', v->context_engine,
                    &v->context_engine_len);
  if (v->boots_time != NULL)
    bad_input(c, "-Z is not supported: usnmp learns boots and time from "
                 "the agent");
  if (v->user == NULL || v->user[0] == '\0')
    bad_input(c, "No securityName specified");
  if (strlen(v->user) > 32)
    bad_input(c, "%s", usnmp_strerror(USNMP_E_V3_USER_NAME));
  if (v->sec_level < USNMP_SEC_AUTHNOPRIV)
    v->auth = USNMP_AUTH_NONE;
  if (v->sec_level < USNMP_SEC_AUTHPRIV)
    v->priv = USNMP_PRIV_NONE;
  if (v->auth != USNMP_AUTH_NONE &&
      (v->auth_pass == NULL || strlen(v->auth_pass) < 8))
    bad_input(c,
              "Error generating a key (Ku) from the supplied "
              "authentication pass phrase (%s)",
              usnmp_strerror(USNMP_E_V3_PASSPHRASE));
  if (v->priv != USNMP_PRIV_NONE &&
      (v->priv_pass == NULL || strlen(v->priv_pass) < 8))
    bad_input(c,
              "Error generating a key (Ku) from the supplied privacy "
              "pass phrase (%s)",
              usnmp_strerror(USNMP_E_V3_PASSPHRASE));
  if (v->context != NULL && strlen(v->context) > 255)
    bad_input(c, "context name too long (at most 255 bytes)");
}

/* Gives the target the v3 user, engine and context.  Returns 0 or the
 * library's error. */
static int setup_v3(cli *c) {
  v3_options *v = &c->v3;
  int rc = usnmp_target_set_v3_user(c->target, v->user, v->auth, v->auth_pass,
                                    v->priv, v->priv_pass);
  if (rc == 0 && v->engine_len)
    rc = usnmp_target_set_v3_engine_id(c->target, v->engine, v->engine_len);
  if (rc == 0 && (v->context_engine_len || v->context != NULL))
    rc = usnmp_target_set_v3_context(c->target, v->context_engine,
                                     v->context_engine_len, v->context);
  return rc;
}

/* Checks the options together and turns the arguments into OIDs and
 * values. */
static void prepare(cli *c) {
  const command cmd = c->info->cmd;
  if (c->version == USNMP_VERSION_3)
    prepare_v3(c);
  else if (c->community == NULL)
    bad_input(c, "No community name specified.");
  if ((cmd == CMD_BULKGET || cmd == CMD_BULKWALK) &&
      c->version == USNMP_VERSION_1)
    bad_input(c, "Cannot send V2 PDU on V1 session");
  if (cmd == CMD_BULKWALK && c->max_repetitions == 0)
    bad_input(c, "-Cr0: a bulk walk needs max-repetitions of at least 1");
  if (cmd == CMD_WALK || cmd == CMD_BULKWALK) {
    if (c->n_args > 1)
      bad_input(c, "walks take one OID (%zu given)", c->n_args);
  } else if (cmd == CMD_TABLE) {
    if (c->n_args != 1)
      bad_input(c,
                "Must have exactly one table name (usage: usnmp %s "
                "[OPTIONS] AGENT %s)",
                c->info->name, c->info->args);
  } else if (c->n_args == 0) {
    bad_input(c, "Missing object name (usage: usnmp %s [OPTIONS] AGENT %s)",
              c->info->name, c->info->args);
  }
  if (cmd == CMD_SET) {
    size_t n = (c->n_args + 2) / 3;
    if (n > USNMP_MAX_VARBINDS)
      bad_input(c, "at most %d variables in one SET", USNMP_MAX_VARBINDS);
    c->oids = xmalloc(n * sizeof c->oids[0]);
    c->values = xmalloc(n * sizeof c->values[0]);
    c->value_bufs = calloc(n, sizeof c->value_bufs[0]);
    if (c->value_bufs == NULL)
      bad_input(c, "out of memory");
    for (size_t i = 0; i < n; i++) {
      const char *oid_arg = c->args[3 * i];
      parse_oid_arg(c, oid_arg, &c->oids[i]);
      if (3 * i + 1 >= c->n_args)
        bad_input(c, "%s: Needs type and value", oid_arg);
      if (3 * i + 2 >= c->n_args)
        bad_input(c, "%s: Needs value", oid_arg);
      parse_set_value(c, i, oid_arg, c->args[3 * i + 1], c->args[3 * i + 2]);
    }
    c->n_oids = n;
    return;
  }
  size_t n = c->n_args ? c->n_args : 1;
  c->oids = xmalloc(n * sizeof c->oids[0]);
  if (c->n_args == 0) {
    /* snmpwalk's default: the whole of mib-2. */
    usnmp_oid_parse(&c->oids[0], ".1.3.6.1.2.1");
    c->n_oids = 1;
  }
  for (size_t i = 0; i < c->n_args; i++) {
    parse_oid_arg(c, c->args[i], &c->oids[i]);
    c->n_oids = i + 1;
  }
  if (cmd == CMD_BULKGET && (size_t)c->non_repeaters > c->n_oids)
    bad_input(c, "need more objects than <nonrep>");
}

/* ------------------------------------------------------------------------
 * Running
 * ------------------------------------------------------------------------ */

/* The command is done: close the manager; the loop then runs out. */
static void finish(cli *c) {
  fflush(stdout);
  if (c->manager != NULL) {
    usnmp_manager_close(c->manager, NULL, NULL);
    c->manager = NULL;
    c->target = NULL;
  }
}

/* -d: every datagram, as net-snmp's -d shows it. */
static void on_packet(const usnmp_packet *p, void *arg) {
  cli *c = arg;
  usnmp__cli_log_packet(&c->log, p);
}

static void free_cli(cli *c) {
  usnmp__cli_log_close(&c->log);
  if (c->value_bufs != NULL)
    for (size_t i = 0; i < (c->n_args + 2) / 3; i++)
      free(c->value_bufs[i]);
  free(c->value_bufs);
  free(c->values);
  free(c->oids);
  free(c->args ? c->args - 1 : NULL);
  free(c->text);
  free(c->json_errors);
  free(c->held_line);
  table_data *t = &c->table;
  for (size_t r = 0; r < t->rows; r++) {
    free(t->indexes[r]);
    for (size_t k = 0; k < t->n_columns; k++)
      free(t->cells[r * t->n_columns + k]);
  }
  free(t->cells);
  free(t->indexes);
  free(t->columns);
}

int main(int argc, char **argv) {
  static cli c_storage;
  cli *c = &c_storage;
  c->version = USNMP_VERSION_2C;
  c->retries = 5;
  c->resend_ms = 1000;
  c->style = OID_SHORT;
  c->max_repetitions = 10;
  c->exit_code = EXIT_OK;

  if (argc < 2) {
    usage(stderr);
    return EXIT_FAILURE_;
  }
  if (strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0) {
    usage(stdout);
    return EXIT_OK;
  }
  if (strcmp(argv[1], "trap") == 0 || strcmp(argv[1], "inform") == 0 ||
      strcmp(argv[1], "trapd") == 0)
    return usnmp__cli_notify_main(argc, argv);
  if (strcmp(argv[1], "-V") == 0 || strcmp(argv[1], "--version") == 0) {
    printf("usnmp version: %s\n", usnmp_version_string());
    return EXIT_OK;
  }
  for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
    if (strcmp(argv[1], commands[i].name) == 0)
      c->info = &commands[i];
  if (c->info == NULL)
    bad_input(NULL,
              "unknown command '%s' (one of get, getnext, bulkget, set, "
              "walk, bulkwalk, table)",
              argv[1]);
  parse_args(c, argc, argv);
  prepare(c);

  int rc = uv_loop_init(&c->loop);
  if (rc == 0)
    rc = usnmp_manager_init(&c->manager, &c->loop, NULL);
  if (rc == 0 && c->dump)
    usnmp_manager_set_trace(c->manager, on_packet, c);
  if (rc == 0) {
    rc = usnmp_target_init(c->manager, &c->target, c->agent);
    if (rc == USNMP_E_INVAL) {
      usnmp__cli_log(&c->log, LOG_ERR, "usnmp %s: Unknown host (%s)\n",
                     c->info->name, c->agent);
      usnmp_manager_close(c->manager, NULL, NULL);
      uv_run(&c->loop, UV_RUN_DEFAULT);
      uv_loop_close(&c->loop);
      free_cli(c);
      return EXIT_FAILURE_;
    }
  }
  if (rc == 0 && c->version == USNMP_VERSION_3)
    rc = setup_v3(c);
  if (rc == 0) {
    usnmp_target_set_version(c->target, c->version);
    if (c->community != NULL) {
      usnmp_target_set_community(c->target, c->community);
      usnmp_target_set_write_community(c->target, c->community);
    }
    usnmp_target_set_resend(c->target, c->resend_ms);
    usnmp_target_set_retries(c->target, c->retries);
    usnmp_target_set_timeout(c->target, 0);
    /* One request for up to net-snmp's 128 OIDs, as its tools send; more
     * are split.  A SET is never split by number (that would make it
     * several SETs, not atomic as a whole). */
    usnmp_target_set_max_oids(
        c->target, c->info->cmd == CMD_SET ? USNMP_MAX_VARBINDS : 128);
  }
  if (rc == 0) {
    json_begin(c);
    switch (c->info->cmd) {
    case CMD_WALK:
    case CMD_BULKWALK:
      rc = start_walk(c);
      break;
    case CMD_TABLE:
      rc = start_table(c);
      break;
    default:
      rc = send_request(c);
      break;
    }
    if (rc < 0) {
      report_status(c, rc);
      finish(c);
    }
    uv_run(&c->loop, UV_RUN_DEFAULT);
    json_end(c);
  } else {
    fprintf(stderr, "usnmp %s: %s\n", c->info->name, usnmp_strerror(rc));
    c->exit_code = EXIT_FAILURE_;
    if (c->manager != NULL)
      finish(c);
    uv_run(&c->loop, UV_RUN_DEFAULT);
  }
  fflush(stdout);
  uv_loop_close(&c->loop);
  free_cli(c);
  return c->exit_code;
}
