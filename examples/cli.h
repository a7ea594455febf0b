/*
 * Pieces of the usnmp command (examples/usnmp.c) kept in files of their
 * own.
 */
#ifndef USNMP_CLI_H
#define USNMP_CLI_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <usnmp.h>

/* What usnmp__cli_value_parse() found wrong, for net-snmp's messages. */
enum {
  USNMP_CLI_VALUE_OK = 0,
  USNMP_CLI_BAD_TYPE = -1,     /* "Bad object type: c" */
  USNMP_CLI_OUT_OF_RANGE = -2, /* "Value out of range (x)" */
  USNMP_CLI_BAD_NOTATION = -3, /* "Bad value notation (zz)" */
  USNMP_CLI_BAD_OID = -4       /* "Unknown Object Identifier (foo)" */
};

/* Returns how many bytes of storage usnmp__cli_value_parse() may need for
 * a value written as text. */
size_t usnmp__cli_value_storage(const char *text);

/* Parses a set VALUE written as text with net-snmp's TYPE letter (i u t a
 * o s x d b n, and U I F D for its Opaque-wrapped 64-bit integers and
 * floating-point numbers) into *v, whose bytes go into storage (size bytes,
 * at least usnmp__cli_value_storage(text); it must outlive the request).
 * Returns USNMP_CLI_VALUE_OK or one of the errors above. */
int usnmp__cli_value_parse(usnmp_value *v, uint8_t *storage, size_t size,
                           const char *type, const char *text);

/* Parses net-snmp's -v argument ("1", "2c" or "3") into *version.
 * Returns 0, or -1 for anything else (the caller prints net-snmp's
 * "Invalid version specified after -v flag"). */
int usnmp__cli_version_parse(const char *text, usnmp_version *version);

/* One destination of log messages (-L): kind 'e' (stderr), 'o' (stdout),
 * 'f' (file) or 's' (syslog), for priorities from high (most severe) to
 * low, syslog's numbers (LOG_EMERG 0 .. LOG_DEBUG 7). */
typedef struct usnmp_cli_log_handler {
  char kind;
  int low, high;
  FILE *file;   /* 'f' */
  int facility; /* 's' */
} usnmp_cli_log_handler;

/* The log: with no -L option (configured 0) everything goes to stderr. */
typedef struct usnmp_cli_log {
  usnmp_cli_log_handler handlers[8];
  size_t n;
  int configured;
} usnmp_cli_log;

/* Applies one -L argument (arg is what follows "-L": "o", "f", "E3",
 * "S d"...) with net-snmp's meaning; the file, facility or priority may be
 * in the next arguments, argv[*next] on, which it then consumes.  Returns
 * 0, or -1 with a message in err. */
int usnmp__cli_log_option(usnmp_cli_log *log, const char *arg, char **argv,
                          int argc, int *next, char *err, size_t err_size);

/* Writes a message of priority (LOG_ERR, LOG_DEBUG...) to every
 * destination that takes it. */
void usnmp__cli_log(usnmp_cli_log *log, int priority, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* -d: one datagram in net-snmp's format ("Sending N bytes to UDP: ...",
 * the rows of its hex dump, an empty line), at LOG_DEBUG. */
void usnmp__cli_log_packet(usnmp_cli_log *log, const usnmp_packet *p);

/* -D TOKENS: net-snmp's "registered debug token X, 1" lines. */
void usnmp__cli_log_debug_tokens(usnmp_cli_log *log, const char *tokens);

/* Closes the log files and syslog. */
void usnmp__cli_log_close(usnmp_cli_log *log);

#endif
