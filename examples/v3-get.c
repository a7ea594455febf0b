/*
 * v3-get: an SNMPv3 authPriv GET with the async API on a libuv loop.
 *
 *   v3-get [-a AUTH] [-x PRIV] AGENT USER AUTHPASS PRIVPASS [OID...]
 *
 * AUTH and PRIV are net-snmp's protocol names (-a SHA-256, -x AES-256-C;
 * defaults SHA and AES); OIDs default to sysDescr.0 and sysName.0.  The
 * agent's engine ID is discovered by the first request.  Each varbind is
 * printed as snmpget -On prints it.  A bad setting (an unknown protocol
 * name, a pass phrase under 8 characters, a user name over 32 bytes) is
 * reported with the library's own message before anything is sent; an
 * agent's report (unknown user, wrong digest...) with its own.
 *
 * Exit status: 0 for an answer without error-status, 1 otherwise, 2 for
 * a usage error or a bad setting.
 */
#include <stdio.h>
#include <string.h>

#include <usnmp.h>
#include <uv.h>

#define MAX_OIDS 16

static int exit_code = 1;

static void on_answer(const usnmp_response *resp, void *arg) {
  char line[1024];
  (void)arg;
  if (resp->status != 0) {
    fprintf(stderr, "v3-get: %s (%s)\n", usnmp_strerror(resp->status),
            usnmp_err_name(resp->status));
    return;
  }
  if (resp->error_status != 0) {
    fprintf(stderr, "v3-get: %s at varbind %d\n",
            usnmp_error_status_text(resp->error_status),
            (int)resp->error_index);
    return;
  }
  for (size_t i = 0; i < resp->varbind_count; i++) {
    usnmp_varbind_format(line, sizeof line, &resp->varbinds[i]);
    printf("%s\n", line);
  }
  exit_code = 0;
}

/* Reports a bad setting and returns 2. */
static int bad(const char *what, const char *value, int rc) {
  fprintf(stderr, "v3-get: %s%s%s: %s (%s)\n", what, value ? " " : "",
          value ? value : "", usnmp_strerror(rc), usnmp_err_name(rc));
  return 2;
}

int main(int argc, char **argv) {
  usnmp_auth_proto auth = USNMP_AUTH_SHA;
  usnmp_priv_proto priv = USNMP_PRIV_AES;
  usnmp_oid oids[MAX_OIDS];
  size_t n = 0;
  int i = 1, rc;

  for (; i + 1 < argc && argv[i][0] == '-'; i += 2) {
    if (strcmp(argv[i], "-a") == 0)
      rc = usnmp_auth_proto_parse(argv[i + 1], &auth);
    else if (strcmp(argv[i], "-x") == 0)
      rc = usnmp_priv_proto_parse(argv[i + 1], &priv);
    else
      break;
    if (rc != 0)
      return bad(argv[i][1] == 'a' ? "authentication protocol"
                                   : "privacy protocol",
                 argv[i + 1], rc);
  }
  if (argc - i < 4 || argc - i > 4 + MAX_OIDS) {
    fprintf(stderr,
            "usage: %s [-a AUTH] [-x PRIV] AGENT USER AUTHPASS "
            "PRIVPASS [OID...]\n",
            argv[0]);
    return 2;
  }
  const char *agent = argv[i], *user = argv[i + 1];
  const char *authpass = argv[i + 2], *privpass = argv[i + 3];
  for (int k = i + 4; k < argc; k++)
    if ((rc = usnmp_oid_parse(&oids[n++], argv[k])) != 0)
      return bad("OID", argv[k], rc);
  if (n == 0) {
    usnmp_oid_parse(&oids[n++], "1.3.6.1.2.1.1.1.0"); /* sysDescr.0 */
    usnmp_oid_parse(&oids[n++], "1.3.6.1.2.1.1.5.0"); /* sysName.0 */
  }

  uv_loop_t loop;
  usnmp_manager *m;
  usnmp_target *t;
  if (uv_loop_init(&loop) != 0)
    return 1;
  if ((rc = usnmp_manager_init(&m, &loop, NULL)) != 0)
    return bad("manager", NULL, rc);
  rc = usnmp_target_init(m, &t, agent);
  if (rc != 0)
    exit_code = bad("agent", agent, rc);
  else if ((rc = usnmp_target_set_v3_user(t, user, auth, authpass, priv,
                                          privpass)) != 0)
    exit_code = bad("user", user, rc);
  else if ((rc = usnmp_get(t, oids, n, NULL, on_answer, NULL, NULL)) != 0)
    exit_code = bad("GET", NULL, rc);
  else
    uv_run(&loop, UV_RUN_DEFAULT); /* until on_answer */
  usnmp_manager_close(m, NULL, NULL);
  uv_run(&loop, UV_RUN_DEFAULT);
  uv_loop_close(&loop);
  return exit_code;
}
