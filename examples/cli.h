/*
 * Pieces of the usnmp command (examples/usnmp.c) kept in files of their
 * own.
 */
#ifndef USNMP_CLI_H
#define USNMP_CLI_H

#include <stddef.h>
#include <stdint.h>

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

#endif
