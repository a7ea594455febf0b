/*
 * Loads the net-snmp messages captured in test/captures/<name>.txt (see
 * capture.sh there): one "request|response|notification <hex>" line per
 * UDP payload, '#' lines are comments.  Tests run with test/ as their
 * working directory.
 */
#ifndef USNMP_TEST_CAPTURES_H
#define USNMP_TEST_CAPTURES_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CAPTURE_MAX 2048
#define CAPTURE_MAX_MSGS 4

typedef struct capture_msg {
  char kind[16];
  uint8_t bytes[CAPTURE_MAX];
  size_t len;
} capture_msg;

typedef struct capture {
  capture_msg msgs[CAPTURE_MAX_MSGS];
  size_t n;
} capture;

/* Every capture file, for tests that loop over all of them. */
static const char *const capture_names[] = {
    "get_v2c",
    "get_v1",
    "get_v1_nosuchname",
    "get_v2c_types",
    "get_v2c_exceptions",
    "getnext_v2c",
    "getnext_v2c_end",
    "getnext_v1",
    "bulkget_v2c",
    "set_v2c",
    "set_v2c_wrongtype",
    "set_v2c_types",
    "set_v2c_readonly",
    "trap_v1",
    "trap_v2c",
    "inform_v2c",
};
#define CAPTURE_COUNT (sizeof capture_names / sizeof capture_names[0])

static int hex_nibble(int c) {
  if (c >= '0' && c <= '9')
    return c - '0';
  if (c >= 'a' && c <= 'f')
    return c - 'a' + 10;
  if (c >= 'A' && c <= 'F')
    return c - 'A' + 10;
  return -1;
}

/* Decodes hex text (spaces allowed) into out; returns the byte count, or
 * (size_t)-1 on a syntax error or overflow. */
static size_t hex_decode(uint8_t *out, size_t size, const char *hex) {
  size_t n = 0;
  while (*hex) {
    int hi;
    int lo;
    if (*hex == ' ' || *hex == '\n' || *hex == '\r') {
      hex++;
      continue;
    }
    hi = hex_nibble(hex[0]);
    lo = hex[1] ? hex_nibble(hex[1]) : -1;
    if (hi < 0 || lo < 0 || n == size)
      return (size_t)-1;
    out[n++] = (uint8_t)(hi << 4 | lo);
    hex += 2;
  }
  return n;
}

/* Loads captures/<name>.txt into *c; returns 0 or -1. */
static int capture_load(capture *c, const char *name) {
  char path[256];
  char line[2 * CAPTURE_MAX + 64];
  FILE *f;
  snprintf(path, sizeof path, "captures/%s.txt", name);
  f = fopen(path, "r");
  if (f == NULL)
    return -1;
  c->n = 0;
  while (fgets(line, sizeof line, f)) {
    char *space = strchr(line, ' ');
    capture_msg *m;
    if (line[0] == '#' || space == NULL)
      continue;
    if (c->n == CAPTURE_MAX_MSGS) {
      fclose(f);
      return -1;
    }
    m = &c->msgs[c->n];
    *space = '\0';
    snprintf(m->kind, sizeof m->kind, "%.15s", line);
    m->len = hex_decode(m->bytes, sizeof m->bytes, space + 1);
    if (m->len == (size_t)-1) {
      fclose(f);
      return -1;
    }
    c->n++;
  }
  fclose(f);
  return c->n ? 0 : -1;
}

#endif /* USNMP_TEST_CAPTURES_H */
