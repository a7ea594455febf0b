/*
 * cli_agent: the project's scripted test agent (test/test_agent.h) as a
 * program, for test/test_cli.sh.
 *
 *   cli_agent
 *
 * Listens on 127.0.0.1 on a free UDP port (communities "public" and
 * "private"), prints the port on stdout and serves until SIGTERM or
 * SIGINT.  Besides the default MIB it holds the values of
 * test/typed_values.h, value N at .1.3.6.1.4.1.99999.2.N.  A GET of
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
  return 0;
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
