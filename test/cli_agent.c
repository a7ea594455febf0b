/*
 * cli_agent: the project's scripted test agent (test/test_agent.h) as a
 * program, for test/test_cli.sh.
 *
 *   cli_agent
 *
 * Listens on 127.0.0.1 on a free UDP port (communities "public" and
 * "private"), prints the port on stdout and serves until SIGTERM or
 * SIGINT.  Besides the default MIB it holds one value of every kind that
 * net-snmp prints differently under its -O flags, under
 * .1.3.6.1.4.1.99999.2.N: text, text with quotes, backslashes and line
 * breaks, binary strings shorter and longer than a 16-octet dump line,
 * exactly 16 octets, every integer type at its limits, TimeTicks of less
 * than a day, one day and many days, IpAddress, OIDs, NULL, a raw Opaque
 * and each of net-snmp's Opaque-wrapped Float, Double, Counter64, Int64
 * and UInt64.  A GET of .1.3.6.1.4.1.99999.2.N.0 (no such entry) answers
 * noSuchObject, and a GETNEXT past the end endOfMibView.
 */
#include <signal.h>
#include <stdio.h>
#include <string.h>

#include <uv.h>

#include "test_agent.h"

#define BASE "1.3.6.1.4.1.99999.2."

static usnmp_test_agent *agent;
static uv_signal_t sig_term, sig_int;

static void on_signal(uv_signal_t *h, int signum) {
  (void)h;
  (void)signum;
  uv_signal_stop(&sig_term);
  uv_signal_stop(&sig_int);
  uv_close((uv_handle_t *)&sig_term, NULL);
  uv_close((uv_handle_t *)&sig_int, NULL);
  usnmp_test_agent_close(agent);
}

static int add(const char *arc, usnmp_value v) {
  char name[64];
  snprintf(name, sizeof name, BASE "%s", arc);
  return usnmp_test_agent_mib_set(agent, name, v, 1);
}

static int add_bytes(const char *arc, usnmp_type type, const char *bytes,
                     size_t len) {
  usnmp_value v = {.type = type};
  v.v.bytes.data = (const uint8_t *)bytes;
  v.v.bytes.len = len;
  return add(arc, v);
}

static int fill(void) {
  static const uint8_t ip[4] = {10, 1, 2, 254};
  int rc = 0;
  usnmp_oid oid;
  uint8_t oid_buf[64];
  usnmp_value v;

  rc |= add_bytes("1", USNMP_TYPE_OCTET_STRING, "plain text", 10);
  rc |= add_bytes("2", USNMP_TYPE_OCTET_STRING, "a \"quoted\" \\ back", 17);
  rc |= add_bytes("3", USNMP_TYPE_OCTET_STRING, "line1\r\nline2\ttab", 16);
  rc |= add_bytes("4", USNMP_TYPE_OCTET_STRING, "", 0);
  rc |= add_bytes("5", USNMP_TYPE_OCTET_STRING, "\x00\x01\xff\x7f", 4);
  rc |= add_bytes("6", USNMP_TYPE_OCTET_STRING,
                  "\x80\x00\x1f\x88" "abcdefghijkl", 16);
  rc |= add_bytes("7", USNMP_TYPE_OCTET_STRING,
                  "binary \x01 with \"quotes\" and more than 16 octets", 45);
  rc |= add_bytes("8", USNMP_TYPE_OCTET_STRING,
                  "\x00\x11\x22\x33\x44\x55\x66\x77\x88\x99\xaa\xbb\xcc\xdd"
                  "\xee\xff\x00\x11\x22\x33\x44\x55\x66\x77\x88\x99\xaa\xbb"
                  "\xcc\xdd\xee\xff\x42",
                  33);
  rc |= add_bytes("9", USNMP_TYPE_OCTET_STRING, "caf\xc3\xa9", 5);
  rc |= add("10", usnmp_value_integer(0));
  rc |= add("11", usnmp_value_integer(INT32_MIN));
  rc |= add("12", usnmp_value_integer(INT32_MAX));
  rc |= add("13", usnmp_value_counter32(UINT32_MAX));
  rc |= add("14", usnmp_value_gauge32(42));
  rc |= add("15", usnmp_value_counter64(UINT64_MAX));
  rc |= add("16", usnmp_value_timeticks(123));
  rc |= add("17", usnmp_value_timeticks(8640000 + 360000 * 3 + 6000 * 4 + 505));
  rc |= add("18", usnmp_value_timeticks(UINT32_MAX));
  rc |= add("19", usnmp_value_ipaddress(ip));
  usnmp_oid_parse(&oid, "1.3.6.1.4.1.8072.3.2.10");
  rc |= usnmp_value_oid(&v, oid_buf, sizeof oid_buf, &oid) < 0;
  rc |= add("20", v);
  usnmp_oid_parse(&oid, "0.0");
  rc |= usnmp_value_oid(&v, oid_buf, sizeof oid_buf, &oid) < 0;
  rc |= add("21", v);
  rc |= add("22", usnmp_value_null());
  rc |= add_bytes("23", USNMP_TYPE_OPAQUE, "\x01\x02\x41\x42", 4);
  rc |= add_bytes("24", USNMP_TYPE_OPAQUE, "\x9f\x78\x04\x3f\xc0\x00\x00", 7);
  rc |= add_bytes("25", USNMP_TYPE_OPAQUE,
                  "\x9f\x79\x08\xc0\x04\x00\x00\x00\x00\x00\x00", 11);
  rc |= add_bytes("26", USNMP_TYPE_OPAQUE, "\x9f\x76\x02\x01\x00", 5);
  rc |= add_bytes("27", USNMP_TYPE_OPAQUE, "\x9f\x7a\x01\xfb", 4);
  rc |= add_bytes("28", USNMP_TYPE_OPAQUE,
                  "\x9f\x7b\x09\x00\xff\xff\xff\xff\xff\xff\xff\xff", 12);
  rc |= add_bytes("29", USNMP_TYPE_OPAQUE,
                  "opaque bytes longer than sixteen", 32);
  return rc;
}

int main(void) {
  uv_loop_t loop;
  if (uv_loop_init(&loop) != 0 ||
      usnmp_test_agent_new(&agent, &loop, AF_INET) != 0) {
    fputs("cli_agent: cannot start the agent\n", stderr);
    return 2;
  }
  if (fill() != 0) {
    fputs("cli_agent: cannot fill the MIB\n", stderr);
    return 2;
  }
  uv_signal_init(&loop, &sig_term);
  uv_signal_init(&loop, &sig_int);
  uv_signal_start(&sig_term, on_signal, SIGTERM);
  uv_signal_start(&sig_int, on_signal, SIGINT);
  printf("%u\n", (unsigned)usnmp_test_agent_port(agent));
  fflush(stdout);
  uv_run(&loop, UV_RUN_DEFAULT);
  return uv_loop_close(&loop) == 0 ? 0 : 2;
}
