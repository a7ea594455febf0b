/*
 * cli_agent: the project's scripted test agent (test/test_agent.h) as a
 * program, for test/test_cli.sh.
 *
 *   cli_agent
 *
 * Listens on 127.0.0.1 on a free UDP port (communities "public" and
 * "private"), prints the port on stdout and serves until SIGTERM or
 * SIGINT.  Besides the default MIB it holds the values of
 * test/typed_values.h, value N at .1.3.6.1.4.1.99999.2.N, and the table of
 * test/USNMP-CLI-TABLE-MIB.txt at .1.3.6.1.4.1.99999.3.  A GET of
 * .1.3.6.1.4.1.99999.2.N.0 (no such entry) answers noSuchObject, and a
 * GETNEXT past the end endOfMibView.
 */
#include <signal.h>
#include <stdio.h>
#include <string.h>

#include <uv.h>

#include "test_agent.h"
#include "typed_values.h"

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

/* The table of test/USNMP-CLI-TABLE-MIB.txt at .1.3.6.1.4.1.99999.3:
 * columns 2 (INTEGER), 3 (text), 4 (Gauge32) and 6 (binary), rows 1, 2
 * and 10, with holes (no column 4 in row 2, no column 6 in row 1). */
static int fill_table(void) {
  static const struct {
    const char *oid;
    int kind; /* 'i' integer, 's' string, 'g' gauge */
    const char *text;
    size_t len;
    uint32_t num;
  } cells[] = {
      {"2.1", 'i', NULL, 0, 1},
      {"2.2", 'i', NULL, 0, 20},
      {"2.10", 'i', NULL, 0, 300},
      {"3.1", 's', "alpha", 5, 0},
      {"3.2", 's', "beta gamma delta", 16, 0},
      {"3.10", 's', "", 0, 0},
      {"4.1", 'g', NULL, 0, 4000000000u},
      {"4.10", 'g', NULL, 0, 7},
      {"6.2", 's', "\x00\x01\xfe\xff", 4, 0},
      {"6.10", 's',
       "\x80\x81\x82\x83\x84\x85\x86\x87\x88\x89\x8a\x8b\x8c"
       "\x8d\x8e\x8f\x90\x91",
       18, 0},
  };
  for (size_t i = 0; i < sizeof cells / sizeof cells[0]; i++) {
    char name[64];
    usnmp_value v;
    snprintf(name, sizeof name, "1.3.6.1.4.1.99999.3.1.%s", cells[i].oid);
    if (cells[i].kind == 'i')
      v = usnmp_value_integer((int32_t)cells[i].num);
    else if (cells[i].kind == 'g')
      v = usnmp_value_gauge32(cells[i].num);
    else
      v = usnmp_value_octets(cells[i].text, cells[i].len);
    if (usnmp_test_agent_mib_set(agent, name, v, 0) != 0)
      return -1;
  }
  return 0;
}

static int fill(void) {
  for (size_t i = 0; i < USNMP_TEST_TYPED_VALUES; i++) {
    char name[64];
    uint8_t oid_buf[64];
    usnmp_value v;
    snprintf(name, sizeof name, "1.3.6.1.4.1.99999.2.%zu", i + 1);
    if (usnmp_test_typed_value_make(i, &v, oid_buf, sizeof oid_buf) < 0 ||
        usnmp_test_agent_mib_set(agent, name, v, 1) != 0)
      return -1;
  }
  return fill_table();
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
