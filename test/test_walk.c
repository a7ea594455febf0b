/*
 * Tests of walks (lib/walk.c).
 *
 * Against net-snmp's snmpd (test/snmpd_fixture.h): full walks of the whole
 * MIB with GETNEXT (v1, v2c) and GETBULK, each compared line by line with
 * what net-snmp's snmpwalk / snmpbulkwalk print (-On, no MIBs) on the same
 * agent; walks of one column, a scalar instance, an empty subtree and the
 * end of the MIB view, and the -Ci / -CI behaviours, compared the same way;
 * the pull form; many walks at once.
 *
 * Against the scripted test agent (test/test_agent.h): loops, repeated and
 * decreasing OIDs, answers outside the subtree, empty, truncated and tooBig
 * GETBULK answers, endOfMibView in the middle of an answer, extra
 * varbinds, error-status answers and a timeout in the middle of a walk.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>

#include <cmocka.h>

#include "snmpd_fixture.h"
#include "test_agent.h"
#include "test_util.h"
#include "usnmp.h"

/* ------------------------------------------------------------------------
 * Helpers
 * ------------------------------------------------------------------------ */

/* Formatted varbinds, one per line. */
typedef usnmp_test_text text;

static void text_add_varbind(text *t, const usnmp_varbind *vb) {
  char line[8192];
  int n = usnmp_varbind_format(line, sizeof line - 1, vb);
  assert_true(n > 0 && (size_t)n < sizeof line - 1);
  line[n++] = '\n';
  usnmp_test_text_add(t, line, (size_t)n);
}

/* What a callback walk collected. */
typedef struct collect {
  text lines;
  usnmp_walk_result res;
  usnmp_varbind end_vb;
  char end_line[512];
  int done;
  uint64_t calls;
  uint64_t stop_after;       /* return 1 on this call (0: never) */
  int cancel_at;             /* usnmp_walk_cancel on this call (0: never) */
  usnmp_target *free_target; /* usnmp_target_close on call free_at */
  int free_at;
  usnmp_oid prev; /* previous OID seen by the callback */
  int order_ok;
} collect;

static int on_vb(usnmp_walk *w, const usnmp_varbind *vb, const usnmp_oid *name,
                 void *arg) {
  collect *c = arg;
  usnmp_oid check;
  c->calls++;
  /* The arcs handed over are those of the varbind's name. */
  assert_int_equal(usnmp_oid_from_ber(&check, vb->oid, vb->oid_len), 0);
  assert_int_equal(usnmp_oid_cmp(&check, name), 0);
  if (c->prev.len != 0 && usnmp_oid_cmp(name, &c->prev) <= 0 &&
      !usnmp_value_is_exception(&vb->value))
    c->order_ok = 0;
  c->prev = *name;
  text_add_varbind(&c->lines, vb);
  if (c->free_at != 0 && c->calls == (uint64_t)c->free_at) {
    usnmp_target_close(c->free_target);
    /* The walk's request in flight went with the target. */
    assert_true(c->done);
    assert_int_equal(c->res.status, USNMP_E_CANCELLED);
    return 0;
  }
  if (c->cancel_at != 0 && c->calls == (uint64_t)c->cancel_at) {
    assert_int_equal(usnmp_walk_cancel(w), 0);
    /* The walk is over: on_done has run already. */
    assert_true(c->done);
    return 0;
  }
  return c->stop_after != 0 && c->calls == c->stop_after;
}

static void on_done(usnmp_walk *w, const usnmp_walk_result *res, void *arg) {
  collect *c = arg;
  (void)w;
  assert_false(c->done);
  c->done = 1;
  c->res = *res;
  c->res.end_varbind = NULL;
  c->end_line[0] = '\0';
  if (res->end_varbind != NULL) {
    int n =
        usnmp_varbind_format(c->end_line, sizeof c->end_line, res->end_varbind);
    assert_true(n > 0);
    c->res.end_varbind = &c->end_vb; /* marks "there was one" */
  }
}

typedef usnmp_test_walk_env env;

static void collect_init(collect *c) {
  memset(c, 0, sizeof *c);
  c->order_ok = 1;
}

/* Runs a callback walk to its end; returns the result's status. */
static int walk(env *e, usnmp_target *t, const char *root,
                const usnmp_walk_opts *opts, collect *c) {
  usnmp_oid oid;
  assert_int_equal(usnmp_oid_parse(&oid, root), 0);
  assert_int_equal(usnmp_walk_start(t, &oid, opts, on_vb, on_done, c, NULL), 0);
  while (!c->done)
    assert_true(uv_run(&e->loop, UV_RUN_ONCE) >= 0 || c->done);
  return c->res.status;
}

static void collect_free(collect *c) { free(c->lines.buf); }

/* Splits text into an array of lines (pointers into a copy). */
typedef struct lines {
  char *copy;
  char **v;
  size_t n;
} lines;

static lines split(const char *s) {
  lines l = {0};
  size_t cap = 16;
  char *p;
  l.copy = strdup(s);
  l.v = malloc(cap * sizeof(char *));
  assert_non_null(l.copy);
  assert_non_null(l.v);
  for (p = l.copy; *p != '\0';) {
    char *nl = strchr(p, '\n');
    if (l.n == cap) {
      cap *= 2;
      l.v = realloc(l.v, cap * sizeof(char *));
      assert_non_null(l.v);
    }
    l.v[l.n++] = p;
    if (nl == NULL)
      break;
    *nl = '\0';
    p = nl + 1;
  }
  return l;
}

static void lines_free(lines *l) {
  free(l->copy);
  free(l->v);
}

static int cmp_str(const void *a, const void *b) {
  return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Sorted copy of the lines, for lookups. */
static lines sorted(const char *s) {
  lines l = split(s);
  qsort(l.v, l.n, sizeof(char *), cmp_str);
  return l;
}

static int has_line(const lines *sorted_l, const char *line) {
  return bsearch(&line, sorted_l->v, sorted_l->n, sizeof(char *), cmp_str) !=
         NULL;
}

/* "OID = TYPE" of a line ("OID = TYPE: value"), or the whole line when it
 * has no value (exceptions, "" strings). */
static void key_of(const char *line, char *key, size_t size) {
  const char *eq = strstr(line, " = ");
  const char *colon = eq != NULL ? strstr(eq + 3, ": ") : NULL;
  size_t n = colon != NULL ? (size_t)(colon - line) : strlen(line);
  if (n >= size)
    n = size - 1;
  memcpy(key, line, n);
  key[n] = '\0';
}

static lines keys(const char *s) {
  lines l = split(s);
  for (size_t i = 0; i < l.n; i++) {
    char key[512];
    key_of(l.v[i], key, sizeof key);
    l.v[i][strlen(key)] = '\0';
  }
  qsort(l.v, l.n, sizeof(char *), cmp_str);
  return l;
}

/* Subtrees whose rows come and go with the machine's processes, sockets
 * and neighbours, or whose values move all the time (load, memory,
 * processor load): in a whole-MIB comparison they are only checked to be
 * inside the MIB and in order.  Every other line is compared exactly. */
static const char *const volatile_prefixes[] = {
    ".1.3.6.1.2.1.25.4.2.",     /* hrSWRunTable */
    ".1.3.6.1.2.1.25.5.1.",     /* hrSWRunPerfTable */
    ".1.3.6.1.2.1.25.2.3.1.6.", /* hrStorageUsed */
    ".1.3.6.1.2.1.25.3.3.1.2.", /* hrProcessorLoad */
    ".1.3.6.1.2.1.4.22.",       /* ipNetToMediaTable (ARP) */
    ".1.3.6.1.2.1.4.35.",       /* ipNetToPhysicalTable */
    ".1.3.6.1.2.1.6.13.",       /* tcpConnTable */
    ".1.3.6.1.2.1.6.19.",       /* tcpConnectionTable */
    ".1.3.6.1.2.1.6.20.",       /* tcpListenerTable */
    ".1.3.6.1.2.1.7.5.",        /* udpTable */
    ".1.3.6.1.2.1.7.7.",        /* udpEndpointTable */
    ".1.3.6.1.4.1.2021.",       /* UCD-SNMP-MIB: memory, load, CPU */
    ".1.3.6.1.4.1.8072.1.5.3.", /* nsCacheTable: states follow requests */
};

static int is_volatile(const char *line) {
  for (size_t i = 0; i < sizeof volatile_prefixes / sizeof volatile_prefixes[0];
       i++)
    if (strncmp(line, volatile_prefixes[i], strlen(volatile_prefixes[i])) == 0)
      return 1;
  return 0;
}

/* Compares our walk with two net-snmp walks of the same agent, one just
 * before and one just after ours (a and b).  Counters move meanwhile, so:
 *   - every line net-snmp printed identically both times is in ours,
 *     byte for byte;
 *   - every OID of ours, with its type, was printed by net-snmp at least
 *     once;
 *   - ours has no line twice.
 * Lines under volatile_prefixes are exempt. */
static void compare_bracketed(const char *ours, const char *a, const char *b) {
  lines o = sorted(ours), la = split(a), sb = sorted(b);
  lines ka = keys(a), kb = keys(b);
  size_t exact = 0, typed = 0;
  for (size_t i = 0; i < la.n; i++) {
    if (is_volatile(la.v[i]) || !has_line(&sb, la.v[i]))
      continue;
    if (!has_line(&o, la.v[i]))
      fail_msg("net-snmp printed twice, usnmp did not: %s", la.v[i]);
    exact++;
  }
  for (size_t i = 0; i < o.n; i++) {
    char key[512];
    if (i > 0 && strcmp(o.v[i - 1], o.v[i]) == 0)
      fail_msg("usnmp printed twice: %s", o.v[i]);
    if (is_volatile(o.v[i]))
      continue;
    key_of(o.v[i], key, sizeof key);
    {
      const char *k = key;
      if (bsearch(&k, ka.v, ka.n, sizeof(char *), cmp_str) == NULL &&
          bsearch(&k, kb.v, kb.n, sizeof(char *), cmp_str) == NULL)
        fail_msg("usnmp printed an OID/type net-snmp did not: %s", o.v[i]);
    }
    typed++;
  }
  /* The comparison must have covered most of the MIB. */
  assert_true(exact > la.n / 2);
  assert_true(typed > o.n / 2);
  print_message("compared %zu stable lines exactly, %zu OIDs with types "
                "(%zu lines)\n",
                exact, typed, o.n);
  lines_free(&o);
  lines_free(&la);
  lines_free(&sb);
  lines_free(&ka);
  lines_free(&kb);
}

/* Removes net-snmp's "End of MIB" line (v1) from a walk's output; returns
 * 1 if it was there. */
static int strip_end_of_mib(text *t) {
  char *p = strstr(t->buf, "End of MIB\n");
  if (p == NULL)
    return 0;
  memmove(p, p + 11, strlen(p + 11) + 1);
  t->len -= 11;
  return 1;
}

/* ------------------------------------------------------------------------
 * Fixtures
 * ------------------------------------------------------------------------ */

/* Each test starts with the test agent in its default state. */
static int reset_agent(void **state) {
  env *e = *state;
  usnmp_test_agent_set_hook(e->agent, NULL, NULL);
  usnmp_test_agent_set_default(e->agent,
                               (usnmp_test_action){USNMP_TEST_ANSWER, 0, 0});
  usnmp_test_agent_set_toobig_over(e->agent, 0);
  return 0;
}

#define NETSNMP "MIBS= SNMPCONFPATH=/nonexistent "

/* ------------------------------------------------------------------------
 * Against snmpd: whole-MIB walks
 * ------------------------------------------------------------------------ */

static void full_walk_v2c_getnext(void **state) {
  env *e = *state;
  usnmp_walk_opts o = {0};
  collect c;
  int st;
  text a, b;
  collect_init(&c);
  o.method = USNMP_WALK_GETNEXT;
  o.flags = USNMP_WALK_DELIVER_EXCEPTIONS;
  a = usnmp_test_run_text(&st, NETSNMP "snmpwalk -On -v2c -c public %s .1",
                          e->snmpd.agent4);
  assert_int_equal(st, 0);
  assert_int_equal(walk(e, e->t2c, ".1", &o, &c), 0);
  b = usnmp_test_run_text(&st, NETSNMP "snmpwalk -On -v2c -c public %s .1",
                          e->snmpd.agent4);
  assert_int_equal(c.res.end, USNMP_WALK_END_OF_MIB_VIEW);
  assert_int_equal(c.res.root_get, 0);
  assert_int_equal(c.res.count, c.calls);
  assert_true(c.order_ok);
  assert_true(c.calls > 1000);
  /* One request per varbind with GETNEXT. */
  assert_int_equal(c.res.requests, c.calls);
  compare_bracketed(c.lines.buf, a.buf, b.buf);
  /* The last line is the same endOfMibView net-snmp prints. */
  {
    lines lo = split(c.lines.buf), la = split(a.buf);
    assert_string_equal(lo.v[lo.n - 1], la.v[la.n - 1]);
    assert_non_null(strstr(lo.v[lo.n - 1], "No more variables left"));
    lines_free(&lo);
    lines_free(&la);
  }
  collect_free(&c);
  free(a.buf);
  free(b.buf);
}

static void full_walk_v1(void **state) {
  env *e = *state;
  collect c;
  int st;
  text a, b;
  collect_init(&c);
  a = usnmp_test_run_text(&st, NETSNMP "snmpwalk -On -v1 -c public %s .1",
                          e->snmpd.agent4);
  assert_int_equal(st, 0);
  assert_int_equal(walk(e, e->t1, ".1", NULL, &c), 0);
  b = usnmp_test_run_text(&st, NETSNMP "snmpwalk -On -v1 -c public %s .1",
                          e->snmpd.agent4);
  /* v1 ends with noSuchName, which net-snmp reports as "End of MIB". */
  assert_true(strip_end_of_mib(&a));
  assert_true(strip_end_of_mib(&b));
  assert_int_equal(c.res.end, USNMP_WALK_END_NO_SUCH_NAME);
  assert_int_equal(c.res.error_status, USNMP_ERROR_STATUS_NOSUCHNAME);
  assert_int_equal(c.res.max_repetitions, 0); /* GETNEXT on v1 */
  assert_true(c.order_ok);
  /* v1 cannot carry Counter64: the agent skips them, so do both walks. */
  assert_null(strstr(c.lines.buf, "Counter64"));
  compare_bracketed(c.lines.buf, a.buf, b.buf);
  collect_free(&c);
  free(a.buf);
  free(b.buf);
}

static void full_bulk_walk(void **state) {
  env *e = *state;
  collect c;
  int st;
  text a, b;
  collect_init(&c);
  usnmp_walk_opts o = {0};
  o.flags = USNMP_WALK_DELIVER_EXCEPTIONS;
  a = usnmp_test_run_text(&st, NETSNMP "snmpbulkwalk -On -v2c -c public %s .1",
                          e->snmpd.agent4);
  assert_int_equal(st, 0);
  assert_int_equal(walk(e, e->t2c, ".1", &o, &c), 0);
  b = usnmp_test_run_text(&st, NETSNMP "snmpbulkwalk -On -v2c -c public %s .1",
                          e->snmpd.agent4);
  assert_int_equal(c.res.end, USNMP_WALK_END_OF_MIB_VIEW);
  assert_int_equal(c.res.max_repetitions, 10);
  /* GETBULK by default on v2c, ten at a time. */
  assert_true(c.res.requests < c.calls / 5);
  assert_true(c.order_ok);
  compare_bracketed(c.lines.buf, a.buf, b.buf);
  collect_free(&c);
  free(a.buf);
  free(b.buf);
}

/* ------------------------------------------------------------------------
 * Against snmpd: subtrees, scalars, empty subtrees, the end of the MIB
 * ------------------------------------------------------------------------ */

/* Walks root with opts on t and checks the output is exactly what the
 * net-snmp command prints. */
static void same_as(env *e, usnmp_target *t, const char *root,
                    const usnmp_walk_opts *opts, const char *tool, collect *c) {
  int st;
  text n = usnmp_test_run_text(&st, NETSNMP "%s -On -c public %s %s", tool,
                               e->snmpd.agent4, root);
  assert_int_equal(st, 0);
  collect_init(c);
  walk(e, t, root, opts, c);
  strip_end_of_mib(&n);
  assert_string_equal(c->lines.buf ? c->lines.buf : "", n.buf);
  free(n.buf);
}

static void column_by_arcs(void **state) {
  env *e = *state;
  collect c;
  usnmp_oid col, got;
  size_t n = 0;
  const char *p;
  /* ifIndex is column 1 of ifEntry; column 10 (ifInOctets) sorts right
   * after it as text (".1.3.6.1.2.1.2.2.1.10." starts with
   * ".1.3.6.1.2.1.2.2.1.1"), never by arcs. */
  same_as(e, e->t2c, ".1.3.6.1.2.1.2.2.1.1", NULL, "snmpbulkwalk -v2c", &c);
  assert_int_equal(usnmp_oid_parse(&col, ".1.3.6.1.2.1.2.2.1.1"), 0);
  assert_int_equal(c.res.end, USNMP_WALK_END_SUBTREE);
  assert_true(c.res.count >= 1);
  assert_null(strstr(c.lines.buf, ".1.3.6.1.2.1.2.2.1.10."));
  for (p = c.lines.buf; *p; p = strchr(p, '\n') + 1) {
    char oid[256];
    size_t len = strcspn(p, " ");
    memcpy(oid, p, len);
    oid[len] = '\0';
    assert_int_equal(usnmp_oid_parse(&got, oid), 0);
    assert_true(usnmp_oid_is_prefix(&col, &got));
    assert_int_equal(got.len, col.len + 1);
    n++;
  }
  assert_int_equal(n, c.res.count);
  /* The walk stopped at the first OID past the column: ifDescr.1. */
  assert_non_null(c.res.end_varbind);
  assert_non_null(strstr(c.end_line, ".1.3.6.1.2.1.2.2.1.2."));
  /* And it reports how far it got. */
  assert_int_equal(usnmp_oid_cmp(&c.res.last_oid, &c.prev), 0);
  collect_free(&c);

  /* The same with GETNEXT on v1. */
  same_as(e, e->t1, ".1.3.6.1.2.1.2.2.1.1", NULL, "snmpwalk -v1", &c);
  assert_int_equal(c.res.end, USNMP_WALK_END_SUBTREE);
  assert_int_equal(c.res.count, n);
  {
    /* And over IPv6, to the same agent. */
    usnmp_target *t6;
    collect c6;
    assert_int_equal(usnmp_target_init(e->m, &t6, e->snmpd.agent6), 0);
    collect_init(&c6);
    assert_int_equal(walk(e, t6, ".1.3.6.1.2.1.2.2.1.1", NULL, &c6), 0);
    assert_string_equal(c6.lines.buf, c.lines.buf);
    collect_free(&c6);
    usnmp_target_close(t6);
  }
  collect_free(&c);
}

static void scalar_instance(void **state) {
  env *e = *state;
  collect c;
  usnmp_walk_opts o = {0};
  o.flags = USNMP_WALK_DELIVER_EXCEPTIONS;
  /* Nothing lies under sysDescr.0: the walk GETs it, as snmpwalk does. */
  same_as(e, e->t2c, ".1.3.6.1.2.1.1.1.0", &o, "snmpwalk -v2c", &c);
  assert_int_equal(c.res.count, 1);
  assert_int_equal(c.res.root_get, 1);
  assert_int_equal(c.res.end, USNMP_WALK_END_SUBTREE);
  assert_non_null(strstr(c.lines.buf, "usnmp test agent"));
  collect_free(&c);
  same_as(e, e->t2c, ".1.3.6.1.2.1.1.1.0", NULL, "snmpbulkwalk -v2c", &c);
  assert_int_equal(c.res.count, 1);
  collect_free(&c);
  same_as(e, e->t1, ".1.3.6.1.2.1.1.1.0", NULL, "snmpwalk -v1", &c);
  assert_int_equal(c.res.count, 1);
  assert_int_equal(c.res.root_get, 1);
  collect_free(&c);
  /* -CI: no GET. */
  o.flags = USNMP_WALK_NO_ROOT_GET;
  same_as(e, e->t2c, ".1.3.6.1.2.1.1.1.0", &o, "snmpwalk -CI -v2c", &c);
  assert_int_equal(c.res.count, 0);
  assert_int_equal(c.res.root_get, 0);
  collect_free(&c);
}

static void empty_subtree(void **state) {
  env *e = *state;
  collect c;
  usnmp_walk_opts o = {0};
  o.flags = USNMP_WALK_DELIVER_EXCEPTIONS;
  /* v2c: the GET of the root answers noSuchObject, which snmpwalk prints. */
  same_as(e, e->t2c, ".1.3.6.1.2.1.99", &o, "snmpwalk -v2c", &c);
  assert_int_equal(c.res.count, 1);
  assert_int_equal(c.res.root_get, 1);
  assert_non_null(strstr(c.lines.buf, "No Such Object"));
  collect_free(&c);
  same_as(e, e->t2c, ".1.3.6.1.2.1.99", &o, "snmpbulkwalk -v2c", &c);
  collect_free(&c);
  /* Without DELIVER_EXCEPTIONS the caller sees no varbind at all. */
  collect_init(&c);
  assert_int_equal(walk(e, e->t2c, ".1.3.6.1.2.1.99", NULL, &c), 0);
  assert_int_equal(c.calls, 0);
  assert_int_equal(c.res.count, 0);
  assert_int_equal(c.res.root_get, 1);
  assert_int_equal(c.res.end, USNMP_WALK_END_SUBTREE);
  assert_int_equal(c.res.last_oid.len, 0);
  collect_free(&c);
  /* v1: the GET fails with noSuchName: nothing, like snmpwalk. */
  same_as(e, e->t1, ".1.3.6.1.2.1.99", &o, "snmpwalk -v1", &c);
  assert_int_equal(c.res.count, 0);
  assert_int_equal(c.res.root_get, 1);
  collect_free(&c);
}

static void end_of_mib(void **state) {
  env *e = *state;
  collect c;
  char last[256];
  int st;
  usnmp_walk_opts o = {0};
  text all =
      usnmp_test_run_text(&st,
                          NETSNMP "snmpbulkwalk -On -v2c -c public %s "
                                  ".1.3.6.1.6.3.16 | tail -1 | cut -d' ' -f1",
                          e->snmpd.agent4);
  assert_int_equal(st, 0);
  assert_true(all.len > 10 && all.len < sizeof last);
  memcpy(last, all.buf, all.len - 1);
  last[all.len - 1] = '\0';
  free(all.buf);
  o.flags = USNMP_WALK_DELIVER_EXCEPTIONS;
  /* v2c past the last OID: endOfMibView, printed by snmpwalk, no GET. */
  same_as(e, e->t2c, last, &o, "snmpwalk -v2c", &c);
  assert_int_equal(c.res.end, USNMP_WALK_END_OF_MIB_VIEW);
  assert_int_equal(c.res.root_get, 0);
  assert_non_null(strstr(c.lines.buf, "No more variables left"));
  collect_free(&c);
  same_as(e, e->t2c, last, &o, "snmpbulkwalk -v2c", &c);
  collect_free(&c);
  /* Without DELIVER_EXCEPTIONS the exception is only in the result. */
  collect_init(&c);
  assert_int_equal(walk(e, e->t2c, last, NULL, &c), 0);
  assert_int_equal(c.calls, 0);
  assert_int_equal(c.res.end, USNMP_WALK_END_OF_MIB_VIEW);
  assert_int_equal(c.res.root_get, 0);
  assert_non_null(c.res.end_varbind);
  assert_non_null(strstr(c.end_line, "No more variables left"));
  collect_free(&c);
  /* v1: noSuchName ("End of MIB"), then the GET of the root. */
  same_as(e, e->t1, last, &o, "snmpwalk -v1", &c);
  assert_int_equal(c.res.end, USNMP_WALK_END_NO_SUCH_NAME);
  assert_int_equal(c.res.root_get, 1);
  assert_int_equal(c.res.count, 1);
  collect_free(&c);
}

static void include_root(void **state) {
  env *e = *state;
  collect c;
  usnmp_walk_opts o = {0};
  o.flags = USNMP_WALK_INCLUDE_ROOT | USNMP_WALK_DELIVER_EXCEPTIONS;
  /* -Ci on a subtree: the root's GET (noSuchObject) comes first. */
  same_as(e, e->t2c, ".1.3.6.1.2.1.1.9", &o, "snmpwalk -Ci -v2c", &c);
  assert_non_null(strstr(c.lines.buf, ".1.3.6.1.2.1.1.9 = No Such Object"));
  assert_true(c.res.count > 5);
  collect_free(&c);
  /* -Ci on a scalar instance: printed once, by the first GET. */
  same_as(e, e->t2c, ".1.3.6.1.2.1.1.1.0", &o, "snmpbulkwalk -Ci -v2c", &c);
  assert_int_equal(c.res.count, 1);
  assert_int_equal(c.res.root_get, 0);
  collect_free(&c);
  same_as(e, e->t1, ".1.3.6.1.2.1.1.1.0", &o, "snmpwalk -Ci -v1", &c);
  assert_int_equal(c.res.count, 1);
  collect_free(&c);
}

static void sparse_table_walks(void **state) {
  env *e = *state;
  collect c;
  usnmp_walk_opts o = {0};
  /* The pass-script table under .1.3.6.1.4.1.99999: index 10 after 5. */
  same_as(e, e->t2c, ".1.3.6.1.4.1.99999", NULL, "snmpbulkwalk -v2c", &c);
  assert_int_equal(c.res.count, 11);
  collect_free(&c);
  o.max_repetitions = 3;
  same_as(e, e->t2c, ".1.3.6.1.4.1.99999.1.1.1", &o, "snmpbulkwalk -Cr3 -v2c",
          &c);
  assert_int_equal(c.res.count, 6);
  /* 3 + 3, then the answer that leaves the column. */
  assert_int_equal(c.res.requests, 3);
  collect_free(&c);
  same_as(e, e->t1, ".1.3.6.1.4.1.99999.1.1.3", NULL, "snmpwalk -v1", &c);
  assert_int_equal(c.res.count, 3);
  collect_free(&c);
}

/* ------------------------------------------------------------------------
 * Against snmpd: the pull form, many walks at once, stop, cancel, limit
 * ------------------------------------------------------------------------ */

/* Runs a pull walk to its end; returns its last usnmp_walk_next() code. */
static int pull_all(env *e, usnmp_target *t, const char *root,
                    const usnmp_walk_opts *opts, text *out,
                    usnmp_walk_result *res) {
  usnmp_oid oid;
  usnmp_walk *w;
  const usnmp_varbind *vb, *prev = NULL;
  char prev_text[8192] = "";
  int rc;
  assert_int_equal(usnmp_oid_parse(&oid, root), 0);
  assert_int_equal(usnmp_walk_init(t, &oid, opts, &w), 0);
  /* Nothing is sent before the first usnmp_walk_next(). */
  assert_int_equal(usnmp_walk_result_get(w, res), UV_EAGAIN);
  for (;;) {
    rc = usnmp_walk_next(w, &vb);
    if (rc == UV_EAGAIN) {
      /* The varbind handed out last survives running the loop. */
      if (prev != NULL) {
        char now[8192];
        assert_true(usnmp_varbind_format(now, sizeof now, prev) > 0);
        assert_string_equal(now, prev_text);
      }
      uv_run(&e->loop, UV_RUN_ONCE);
      continue;
    }
    if (rc != 1)
      break;
    text_add_varbind(out, vb);
    prev = vb;
    assert_true(usnmp_varbind_format(prev_text, sizeof prev_text, vb) > 0);
  }
  assert_int_equal(usnmp_walk_result_get(w, res), 0);
  /* The end is sticky. */
  assert_int_equal(usnmp_walk_next(w, &vb), rc);
  usnmp_walk_close(w);
  return rc;
}

static void pull_form(void **state) {
  env *e = *state;
  collect c;
  text p = {0};
  usnmp_walk_result res;
  usnmp_walk_opts o = {0};
  const char *roots[] = {".1.3.6.1.2.1.1", ".1.3.6.1.2.1.2",
                         ".1.3.6.1.2.1.1.1.0", ".1.3.6.1.2.1.99"};
  for (size_t i = 0; i < sizeof roots / sizeof roots[0]; i++) {
    for (int v = 0; v < 2; v++) {
      usnmp_target *t = v ? e->t1 : e->t2c;
      o.flags = USNMP_WALK_DELIVER_EXCEPTIONS;
      o.max_repetitions = 7;
      collect_init(&c);
      p.len = 0;
      usnmp_test_text_add(&p, "", 0);
      assert_int_equal(walk(e, t, roots[i], &o, &c), 0);
      assert_int_equal(pull_all(e, t, roots[i], &o, &p, &res), 0);
      /* sysUpTime moves: compare up to its value. */
      {
        lines a = split(c.lines.buf ? c.lines.buf : ""), b = split(p.buf);
        assert_int_equal(a.n, b.n);
        for (size_t k = 0; k < a.n; k++) {
          char ka[512], kb[512];
          key_of(a.v[k], ka, sizeof ka);
          key_of(b.v[k], kb, sizeof kb);
          assert_string_equal(ka, kb);
        }
        lines_free(&a);
        lines_free(&b);
      }
      assert_int_equal(res.status, 0);
      assert_int_equal(res.count, c.res.count);
      assert_int_equal(res.end, c.res.end);
      assert_int_equal(res.root_get, c.res.root_get);
      collect_free(&c);
    }
  }
  free(p.buf);
}

static void pull_form_error(void **state) {
  env *e = *state;
  text p = {0};
  usnmp_walk_result res;
  usnmp_walk_opts o = {0};
  usnmp_request_opts ro = {0};
  /* Two answers, then silence: the varbinds before the timeout come out,
   * then the timeout. */
  usnmp_test_agent_push(e->agent, (usnmp_test_action){USNMP_TEST_ANSWER, 0, 0});
  usnmp_test_agent_push(e->agent, (usnmp_test_action){USNMP_TEST_ANSWER, 0, 0});
  usnmp_test_agent_set_default(e->agent,
                               (usnmp_test_action){USNMP_TEST_DROP, 0, 0});
  ro.flags = USNMP_REQUEST_TIMEOUT | USNMP_REQUEST_RESEND;
  ro.timeout_ms = 200;
  ro.resend_ms = 100;
  o.request = &ro;
  o.max_repetitions = 5;
  assert_int_equal(pull_all(e, e->ta, ".1.3.6.1.4.1.99999", &o, &p, &res),
                   USNMP_E_TIMEOUT);
  assert_int_equal(res.status, USNMP_E_TIMEOUT);
  assert_int_equal(res.count, 10);
  assert_int_equal(res.last_oid.len, 9);
  assert_int_equal(res.last_oid.arcs[8], 10);
  assert_non_null(strstr(p.buf, ".1.3.6.1.4.1.99999.1.10 = INTEGER: 10\n"));
  free(p.buf);
}

typedef struct many {
  collect c[8];
  int done;
} many;

static void on_done_many(usnmp_walk *w, const usnmp_walk_result *res,
                         void *arg) {
  collect *c = arg;
  (void)w;
  c->done = 1;
  c->res = *res;
}

static void many_walks(void **state) {
  env *e = *state;
  const char *roots[] = {".1.3.6.1.2.1.1", ".1.3.6.1.2.1.2",
                         ".1.3.6.1.2.1.4.20", ".1.3.6.1.4.1.99999"};
  usnmp_target *targets[] = {e->t1, e->t2c};
  collect c[8], solo;
  usnmp_stats st;
  size_t k = 0;
  /* Eight walks at once through two in-flight slots. */
  assert_int_equal(usnmp_manager_set_max_inflight(e->m, 2), 0);
  for (size_t t = 0; t < 2; t++)
    for (size_t r = 0; r < 4; r++, k++) {
      usnmp_oid oid;
      collect_init(&c[k]);
      assert_int_equal(usnmp_oid_parse(&oid, roots[r]), 0);
      assert_int_equal(usnmp_walk_start(targets[t], &oid, NULL, on_vb,
                                        on_done_many, &c[k], NULL),
                       0);
    }
  for (;;) {
    int left = 0;
    for (k = 0; k < 8; k++)
      left += !c[k].done;
    if (left == 0)
      break;
    usnmp_manager_stats(e->m, &st);
    assert_true(st.inflight <= 2);
    uv_run(&e->loop, UV_RUN_ONCE);
  }
  assert_int_equal(usnmp_manager_set_max_inflight(e->m, 4096), 0);
  /* Each walk got what it gets alone. */
  k = 0;
  for (size_t t = 0; t < 2; t++)
    for (size_t r = 0; r < 4; r++, k++) {
      assert_int_equal(c[k].res.status, 0);
      assert_true(c[k].res.count > 0);
      collect_init(&solo);
      assert_int_equal(walk(e, targets[t], roots[r], NULL, &solo), 0);
      assert_int_equal(solo.res.count, c[k].res.count);
      {
        lines a = split(c[k].lines.buf), b = split(solo.lines.buf);
        for (size_t i = 0; i < a.n; i++) {
          char ka[512], kb[512];
          key_of(a.v[i], ka, sizeof ka);
          key_of(b.v[i], kb, sizeof kb);
          assert_string_equal(ka, kb);
        }
        lines_free(&a);
        lines_free(&b);
      }
      collect_free(&solo);
      collect_free(&c[k]);
    }
}

static void stop_cancel_limit(void **state) {
  env *e = *state;
  collect c;
  usnmp_walk_opts o = {0};
  usnmp_oid oid;
  usnmp_walk *w;
  /* The callback says stop on the 3rd varbind. */
  collect_init(&c);
  c.stop_after = 3;
  assert_int_equal(walk(e, e->t2c, ".1.3.6.1.2.1", NULL, &c), 0);
  assert_int_equal(c.res.end, USNMP_WALK_END_STOPPED);
  assert_int_equal(c.res.count, 3);
  assert_int_equal(c.calls, 3);
  collect_free(&c);
  /* Cancel from inside the callback, on the 12th (second answer). */
  collect_init(&c);
  c.cancel_at = 12;
  walk(e, e->t2c, ".1.3.6.1.2.1", NULL, &c);
  assert_int_equal(c.res.status, USNMP_E_CANCELLED);
  assert_int_equal(c.res.end, USNMP_WALK_END_ERROR);
  assert_int_equal(c.calls, 12);
  collect_free(&c);
  /* Free the walk's target from inside the callback. */
  collect_init(&c);
  assert_int_equal(usnmp_target_init(e->m, &c.free_target, e->snmpd.agent4), 0);
  c.free_at = 4;
  walk(e, c.free_target, ".1.3.6.1.2.1", NULL, &c);
  assert_int_equal(c.res.status, USNMP_E_CANCELLED);
  assert_int_equal(c.calls, 4);
  collect_free(&c);
  /* max_varbinds. */
  collect_init(&c);
  o.max_varbinds = 25;
  assert_int_equal(walk(e, e->t2c, ".1.3.6.1.2.1", &o, &c), 0);
  assert_int_equal(c.res.end, USNMP_WALK_END_LIMIT);
  assert_int_equal(c.res.count, 25);
  assert_int_equal(c.res.requests, 3);
  collect_free(&c);
  o.max_varbinds = 20; /* ends exactly with an answer: no extra request */
  collect_init(&c);
  assert_int_equal(walk(e, e->t2c, ".1.3.6.1.2.1", &o, &c), 0);
  assert_int_equal(c.res.count, 20);
  assert_int_equal(c.res.requests, 2);
  collect_free(&c);
  /* Cancel from outside, with a request in flight. */
  collect_init(&c);
  assert_int_equal(usnmp_oid_parse(&oid, ".1.3.6.1.2.1"), 0);
  assert_int_equal(usnmp_walk_start(e->t2c, &oid, NULL, on_vb, on_done, &c, &w),
                   0);
  assert_int_equal(usnmp_walk_cancel(w), 0);
  assert_true(c.done);
  assert_int_equal(c.res.status, USNMP_E_CANCELLED);
  assert_int_equal(c.calls, 0);
  collect_free(&c);
  uv_run(&e->loop, UV_RUN_NOWAIT);
  /* Bad arguments: no callback. */
  assert_int_equal(usnmp_walk_start(NULL, &oid, NULL, on_vb, on_done, &c, NULL),
                   USNMP_E_INVAL);
  assert_int_equal(usnmp_walk_start(e->t2c, &oid, NULL, on_vb, NULL, &c, NULL),
                   USNMP_E_INVAL);
  o.max_varbinds = 0;
  o.method = USNMP_WALK_GETBULK;
  assert_int_equal(usnmp_walk_start(e->t1, &oid, &o, on_vb, on_done, &c, NULL),
                   USNMP_E_BAD_VERSION);
  oid.len = 0;
  assert_int_equal(
      usnmp_walk_start(e->t2c, &oid, NULL, on_vb, on_done, &c, NULL),
      USNMP_E_INVAL);
  assert_int_equal(usnmp_walk_cancel(NULL), USNMP_E_INVAL);
  assert_int_equal(usnmp_walk_next(NULL, NULL), USNMP_E_INVAL);
  usnmp_walk_close(NULL);
}

/* ------------------------------------------------------------------------
 * Against the scripted agent
 * ------------------------------------------------------------------------ */

/* Hooks: each rewrites GETNEXT / GETBULK answers in one way. */

/* Answers every request with the same OID, inside the subtree. */
static void hook_same(usnmp_test_agent *a, usnmp_test_exchange *ex, void *arg) {
  (void)a;
  (void)arg;
  ex->n_vbs = 0;
  assert_int_equal(usnmp_test_reply_set(ex, 0, "1.3.6.1.4.1.99999.1.7",
                                        usnmp_value_integer(7)),
                   0);
}

/* A cycle: .1.5 -> .1.6 -> .1.4 -> .1.5 ... (one varbind per answer). */
static void hook_cycle(usnmp_test_agent *a, usnmp_test_exchange *ex,
                       void *arg) {
  usnmp_oid req;
  char next[64];
  uint32_t last;
  (void)a;
  (void)arg;
  assert_int_equal(
      usnmp_oid_from_ber(&req, ex->req_vbs[0].oid, ex->req_vbs[0].oid_len), 0);
  last = req.len == 9 ? req.arcs[8] : 0;
  snprintf(next, sizeof next, "1.3.6.1.4.1.99999.1.%u",
           last == 5   ? 6
           : last == 6 ? 4
                       : 5);
  ex->n_vbs = 0;
  assert_int_equal(usnmp_test_reply_set(ex, 0, next, usnmp_value_integer(1)),
                   0);
}

/* After .1.3, answers .1.2 (decreasing), inside a GETBULK answer. */
static void hook_decreasing(usnmp_test_agent *a, usnmp_test_exchange *ex,
                            void *arg) {
  (void)a;
  (void)arg;
  if (ex->n_vbs >= 4)
    assert_int_equal(usnmp_test_reply_set(ex, 3, "1.3.6.1.4.1.99999.1.2",
                                          usnmp_value_integer(2)),
                     0);
}

/* The third varbind jumps outside the subtree, the rest come back in. */
static void hook_outside(usnmp_test_agent *a, usnmp_test_exchange *ex,
                         void *arg) {
  (void)a;
  (void)arg;
  if (ex->n_vbs >= 5) {
    assert_int_equal(usnmp_test_reply_set(ex, 2, "1.3.6.1.4.1.99999.2.1",
                                          usnmp_value_integer(0)),
                     0);
    assert_int_equal(usnmp_test_reply_set(ex, 3, "1.3.6.1.4.1.99999.1.30",
                                          usnmp_value_integer(30)),
                     0);
  }
}

/* GETBULK answers are empty; GETNEXT is answered normally. */
static void hook_empty_bulk(usnmp_test_agent *a, usnmp_test_exchange *ex,
                            void *arg) {
  (void)a;
  (void)arg;
  if (ex->request->type == USNMP_PDU_GETBULK)
    ex->n_vbs = 0;
}

/* GETBULK answers are cut to 3 varbinds. */
static void hook_truncate(usnmp_test_agent *a, usnmp_test_exchange *ex,
                          void *arg) {
  (void)a;
  (void)arg;
  if (ex->request->type == USNMP_PDU_GETBULK && ex->n_vbs > 3)
    ex->n_vbs = 3;
}

/* tooBig for more than 4 repetitions. */
static void hook_toobig(usnmp_test_agent *a, usnmp_test_exchange *ex,
                        void *arg) {
  (void)a;
  (void)arg;
  if (ex->request->type == USNMP_PDU_GETBULK && ex->request->error_index > 4)
    ex->action.act = USNMP_TEST_TOOBIG;
}

/* endOfMibView as the 4th varbind, real varbinds after it. */
static void hook_eomv(usnmp_test_agent *a, usnmp_test_exchange *ex, void *arg) {
  usnmp_value v;
  (void)a;
  (void)arg;
  memset(&v, 0, sizeof v);
  v.type = USNMP_TYPE_ENDOFMIBVIEW;
  if (ex->n_vbs >= 6)
    assert_int_equal(usnmp_test_reply_set(ex, 3, "1.3.6.1.4.1.99999.1.3", v),
                     0);
}

/* Three varbinds more than asked for. */
static void hook_extra(usnmp_test_agent *a, usnmp_test_exchange *ex,
                       void *arg) {
  (void)a;
  (void)arg;
  for (int i = 0; i < 3; i++)
    assert_int_equal(usnmp_test_reply_set(ex, ex->n_vbs,
                                          "1.3.6.1.4.1.99999.1.39",
                                          usnmp_value_integer(39)),
                     0);
}

static void agent_loops(void **state) {
  env *e = *state;
  collect c;
  usnmp_walk_opts o = {0};
  usnmp_test_agent_stats st;
  /* The same OID again: an error at once... */
  usnmp_test_agent_set_hook(e->agent, hook_same, NULL);
  collect_init(&c);
  assert_int_equal(walk(e, e->ta, ".1.3.6.1.4.1.99999", NULL, &c),
                   USNMP_E_NOT_INCREASING);
  assert_int_equal(c.res.count, 1);
  assert_int_equal(c.res.requests, 2);
  assert_non_null(strstr(c.end_line, ".1.3.6.1.4.1.99999.1.7 = INTEGER: 7"));
  collect_free(&c);
  /* ...and with -Cc, found as a cycle instead of looping forever. */
  o.flags = USNMP_WALK_ALLOW_NOT_INCREASING;
  collect_init(&c);
  assert_int_equal(walk(e, e->ta, ".1.3.6.1.4.1.99999", &o, &c),
                   USNMP_E_NOT_INCREASING);
  assert_int_equal(c.res.count, 1);
  collect_free(&c);
  /* A longer cycle with -Cc, over GETNEXT. */
  usnmp_test_agent_set_hook(e->agent, hook_cycle, NULL);
  o.method = USNMP_WALK_GETNEXT;
  collect_init(&c);
  assert_int_equal(walk(e, e->ta, ".1.3.6.1.4.1.99999", &o, &c),
                   USNMP_E_NOT_INCREASING);
  assert_true(c.res.count >= 3 && c.res.count <= 12);
  assert_null(strstr(c.lines.buf, "99999.1.7"));
  collect_free(&c);
  /* Without -Cc the cycle's first step back ends it: 5, 6, then 4. */
  o.flags = 0;
  collect_init(&c);
  assert_int_equal(walk(e, e->ta, ".1.3.6.1.4.1.99999", &o, &c),
                   USNMP_E_NOT_INCREASING);
  assert_int_equal(c.res.count, 2);
  assert_string_equal(c.lines.buf, ".1.3.6.1.4.1.99999.1.5 = INTEGER: 1\n"
                                   ".1.3.6.1.4.1.99999.1.6 = INTEGER: 1\n");
  assert_non_null(strstr(c.end_line, ".1.3.6.1.4.1.99999.1.4 ="));
  collect_free(&c);
  /* -Cc and a limit: the limit ends a non-repeating pattern. */
  usnmp_test_agent_set_hook(e->agent, NULL, NULL);
  o.flags = USNMP_WALK_ALLOW_NOT_INCREASING;
  o.max_varbinds = 7;
  collect_init(&c);
  assert_int_equal(walk(e, e->ta, ".1.3.6.1.4.1.99999", &o, &c), 0);
  assert_int_equal(c.res.end, USNMP_WALK_END_LIMIT);
  assert_int_equal(c.res.count, 7);
  collect_free(&c);
  usnmp_test_agent_get_stats(e->agent, &st);
  assert_true(st.requests > 0);
}

static void agent_decreasing_and_outside(void **state) {
  env *e = *state;
  collect c;
  usnmp_walk_opts o = {0};
  o.max_repetitions = 10;
  usnmp_test_agent_set_hook(e->agent, hook_decreasing, NULL);
  collect_init(&c);
  assert_int_equal(walk(e, e->ta, ".1.3.6.1.4.1.99999", &o, &c),
                   USNMP_E_NOT_INCREASING);
  /* .1.1 .1.2 .1.3 delivered, .1.2 again refused. */
  assert_int_equal(c.res.count, 3);
  assert_int_equal(c.res.last_oid.arcs[c.res.last_oid.len - 1], 3);
  assert_non_null(strstr(c.end_line, ".1.3.6.1.4.1.99999.1.2 = INTEGER: 2"));
  collect_free(&c);
  /* Outside the subtree: the walk ends there; later varbinds of the same
   * answer, back inside, are not delivered. */
  usnmp_test_agent_set_hook(e->agent, hook_outside, NULL);
  collect_init(&c);
  assert_int_equal(walk(e, e->ta, ".1.3.6.1.4.1.99999.1", &o, &c), 0);
  assert_int_equal(c.res.end, USNMP_WALK_END_SUBTREE);
  assert_int_equal(c.res.count, 2);
  assert_null(strstr(c.lines.buf, "99999.1.30"));
  assert_non_null(strstr(c.end_line, ".1.3.6.1.4.1.99999.2.1"));
  /* Something was found: no GET of the root. */
  assert_int_equal(c.res.root_get, 0);
  collect_free(&c);
}

static void agent_bulk_adapts(void **state) {
  env *e = *state;
  collect c;
  usnmp_walk_opts o = {0};
  usnmp_test_agent_stats before, after;
  o.max_repetitions = 16;
  /* Empty GETBULK answers: fewer repetitions, then GETNEXT; all 40. */
  usnmp_test_agent_set_hook(e->agent, hook_empty_bulk, NULL);
  usnmp_test_agent_get_stats(e->agent, &before);
  collect_init(&c);
  assert_int_equal(walk(e, e->ta, ".1.3.6.1.4.1.99999", &o, &c), 0);
  usnmp_test_agent_get_stats(e->agent, &after);
  assert_int_equal(c.res.count, 40);
  assert_int_equal(c.res.max_repetitions, 0); /* went over to GETNEXT */
  /* 16 -> 8 -> 4 -> 2 -> 1: five empty GETBULKs, then 41 GETNEXTs. */
  assert_int_equal(after.by_type[USNMP_PDU_GETBULK - 0xA0] -
                       before.by_type[USNMP_PDU_GETBULK - 0xA0],
                   5);
  assert_int_equal(after.by_type[USNMP_PDU_GETNEXT - 0xA0] -
                       before.by_type[USNMP_PDU_GETNEXT - 0xA0],
                   41);
  collect_free(&c);
  /* Truncated answers: ask for what fitted. */
  usnmp_test_agent_set_hook(e->agent, hook_truncate, NULL);
  collect_init(&c);
  assert_int_equal(walk(e, e->ta, ".1.3.6.1.4.1.99999", &o, &c), 0);
  assert_int_equal(c.res.count, 40);
  assert_int_equal(c.res.max_repetitions, 3);
  assert_int_equal(c.res.requests, 14); /* 40 / 3, then the end */
  collect_free(&c);
  /* tooBig over 4 repetitions: 16 -> 8 -> 4. */
  usnmp_test_agent_set_hook(e->agent, hook_toobig, NULL);
  collect_init(&c);
  assert_int_equal(walk(e, e->ta, ".1.3.6.1.4.1.99999", &o, &c), 0);
  assert_int_equal(c.res.count, 40);
  assert_int_equal(c.res.max_repetitions, 4);
  collect_free(&c);
  /* ...unless told to keep the repetitions. */
  o.flags = USNMP_WALK_FIXED_REPETITIONS;
  collect_init(&c);
  assert_int_equal(walk(e, e->ta, ".1.3.6.1.4.1.99999", &o, &c),
                   USNMP_E_SNMP_ERROR);
  assert_int_equal(c.res.error_status, USNMP_ERROR_STATUS_TOOBIG);
  assert_int_equal(c.res.count, 0);
  collect_free(&c);
  /* Varbinds beyond max-repetitions are ignored. */
  o.flags = 0;
  o.max_repetitions = 5;
  usnmp_test_agent_set_hook(e->agent, hook_extra, NULL);
  collect_init(&c);
  assert_int_equal(walk(e, e->ta, ".1.3.6.1.4.1.99999.1", &o, &c), 0);
  assert_int_equal(c.res.count, 40);
  assert_int_equal(c.res.requests, 9);
  collect_free(&c);
}

static void agent_eomv_in_the_middle(void **state) {
  env *e = *state;
  collect c;
  usnmp_walk_opts o = {0};
  o.max_repetitions = 10;
  usnmp_test_agent_set_hook(e->agent, hook_eomv, NULL);
  collect_init(&c);
  assert_int_equal(walk(e, e->ta, ".1.3.6.1.4.1.99999", &o, &c), 0);
  assert_int_equal(c.res.end, USNMP_WALK_END_OF_MIB_VIEW);
  assert_int_equal(c.res.count, 3);
  assert_string_equal(c.lines.buf, ".1.3.6.1.4.1.99999.1.1 = INTEGER: 1\n"
                                   ".1.3.6.1.4.1.99999.1.2 = INTEGER: 2\n"
                                   ".1.3.6.1.4.1.99999.1.3 = INTEGER: 3\n");
  collect_free(&c);
  /* With DELIVER_EXCEPTIONS the endOfMibView comes last, and nothing
   * after it. */
  o.flags = USNMP_WALK_DELIVER_EXCEPTIONS;
  collect_init(&c);
  assert_int_equal(walk(e, e->ta, ".1.3.6.1.4.1.99999", &o, &c), 0);
  assert_int_equal(c.res.count, 4);
  assert_non_null(strstr(c.lines.buf, ".1.3.6.1.4.1.99999.1.3 = No more "
                                      "variables left in this MIB View"));
  collect_free(&c);
}

static void agent_errors_and_timeout(void **state) {
  env *e = *state;
  collect c;
  usnmp_walk_opts o = {0};
  usnmp_request_opts ro = {0};
  ro.flags = USNMP_REQUEST_TIMEOUT | USNMP_REQUEST_RESEND;
  ro.timeout_ms = 300;
  ro.resend_ms = 100;
  o.request = &ro;
  o.max_repetitions = 4;
  /* genErr in the third answer: how far the walk got, and why it ended. */
  usnmp_test_agent_push(e->agent, (usnmp_test_action){USNMP_TEST_ANSWER, 0, 0});
  usnmp_test_agent_push(e->agent, (usnmp_test_action){USNMP_TEST_ANSWER, 0, 0});
  usnmp_test_agent_push(e->agent, (usnmp_test_action){USNMP_TEST_ERROR, 5, 1});
  collect_init(&c);
  assert_int_equal(walk(e, e->ta, ".1.3.6.1.4.1.99999", &o, &c),
                   USNMP_E_SNMP_ERROR);
  assert_int_equal(c.res.error_status, USNMP_ERROR_STATUS_GENERR);
  assert_int_equal(c.res.error_index, 1);
  assert_int_equal(c.res.count, 8);
  assert_int_equal(c.res.last_oid.arcs[8], 8);
  collect_free(&c);
  /* Silence after two answers: a timeout that says how far it got. */
  usnmp_test_agent_push(e->agent, (usnmp_test_action){USNMP_TEST_ANSWER, 0, 0});
  usnmp_test_agent_push(e->agent, (usnmp_test_action){USNMP_TEST_ANSWER, 0, 0});
  usnmp_test_agent_set_default(e->agent,
                               (usnmp_test_action){USNMP_TEST_DROP, 0, 0});
  collect_init(&c);
  assert_int_equal(walk(e, e->ta, ".1.3.6.1.4.1.99999", &o, &c),
                   USNMP_E_TIMEOUT);
  assert_int_equal(c.res.end, USNMP_WALK_END_ERROR);
  assert_int_equal(c.res.count, 8);
  assert_int_equal(c.res.requests, 2);
  assert_int_equal(c.res.last_oid.len, 9);
  assert_int_equal(c.res.last_oid.arcs[8], 8);
  assert_int_equal(c.res.root_get, 0);
  collect_free(&c);
  /* v1 over the test agent: noSuchName at the end. */
  usnmp_test_agent_set_default(e->agent,
                               (usnmp_test_action){USNMP_TEST_ANSWER, 0, 0});
  collect_init(&c);
  assert_int_equal(walk(e, e->ta1, ".1.3.6.1.4.1.99999", NULL, &c), 0);
  assert_int_equal(c.res.count, 40);
  assert_int_equal(c.res.end, USNMP_WALK_END_NO_SUCH_NAME);
  collect_free(&c);
}

/* Arcs whose encodings differ in length: the walk orders names arc by arc
 * (16256 is 0xFF 0x00 on the wire, 16384 the larger 0x81 0x80 0x00). */
static void agent_multibyte_arcs(void **state) {
  env *e = *state;
  static const uint32_t arcs[] = {1,         127,        128,     16256,
                                  16383,     16384,      2097151, 2097152,
                                  268435456, 4294967295u};
  collect c;
  text expect = {0};
  char oid[64], line[128];
  usnmp_test_agent_mib_clear(e->agent);
  usnmp_test_text_add(&expect, "", 0);
  for (size_t i = 0; i < sizeof arcs / sizeof arcs[0]; i++) {
    snprintf(oid, sizeof oid, "1.3.6.1.4.1.99999.7.%u", arcs[i]);
    assert_int_equal(
        usnmp_test_agent_mib_set(e->agent, oid, usnmp_value_integer((int)i), 0),
        0);
    snprintf(line, sizeof line, ".%s = INTEGER: %zu\n", oid, i);
    usnmp_test_text_add(&expect, line, strlen(line));
  }
  for (uint32_t reps = 1; reps <= 4; reps += 3) {
    usnmp_walk_opts o = {0};
    o.max_repetitions = reps;
    collect_init(&c);
    assert_int_equal(walk(e, e->ta, ".1.3.6.1.4.1.99999.7", &o, &c), 0);
    assert_string_equal(c.lines.buf, expect.buf);
    assert_int_equal(c.res.last_oid.len, 9);
    assert_int_equal(c.res.last_oid.arcs[8], 4294967295u);
    collect_free(&c);
  }
  /* A subtree under a multi-byte arc holds only itself. */
  assert_int_equal(usnmp_test_agent_mib_set(e->agent,
                                            "1.3.6.1.4.1.99999.7.16384.5",
                                            usnmp_value_integer(99), 0),
                   0);
  collect_init(&c);
  assert_int_equal(walk(e, e->ta, ".1.3.6.1.4.1.99999.7.16384", NULL, &c), 0);
  assert_string_equal(c.lines.buf,
                      ".1.3.6.1.4.1.99999.7.16384.5 = INTEGER: 99\n");
  collect_free(&c);
  free(expect.buf);
  /* Put the numbered subtree the other tests walk back. */
  usnmp_test_agent_mib_clear(e->agent);
  assert_int_equal(
      usnmp_test_agent_mib_fill(e->agent, "1.3.6.1.4.1.99999.1", 40), 0);
}

/* Every allocation of a walk (and of the manager under it) fails in turn:
 * each walk then ends with USNMP_E_NOMEM or completes, and nothing leaks
 * (valgrind and ASan runs check). */
static void allocation_failures(void **state) {
  env *e = *state;
  usnmp_test_failing f = {0};
  usnmp_allocator alloc = usnmp_test_failing_allocator(&f);
  int completed = 0;
  for (long n = 0; n < 200 && completed < 2; n++) {
    for (int pull = 0; pull < 2; pull++) {
      usnmp_manager *m;
      usnmp_target *t;
      usnmp_oid root;
      usnmp_walk_opts o = {0};
      int rc;
      usnmp_test_failing_disarm(&f);
      assert_int_equal(usnmp_manager_init(&m, &e->loop, &alloc), 0);
      assert_int_equal(
          usnmp_target_init(m, &t, usnmp_test_agent_address(e->agent)), 0);
      /* A failure inside the manager may cost an answer: do not wait. */
      assert_int_equal(usnmp_target_set_resend(t, 200), 0);
      assert_int_equal(usnmp_target_set_retries(t, 0), 0);
      assert_int_equal(usnmp_oid_parse(&root, ".1.3.6.1.4.1.99999.1"), 0);
      o.max_repetitions = 7;
      usnmp_test_failing_arm(&f, n);
      if (!pull) {
        collect c;
        collect_init(&c);
        rc = usnmp_walk_start(t, &root, &o, on_vb, on_done, &c, NULL);
        if (rc == 0) {
          while (!c.done)
            uv_run(&e->loop, UV_RUN_ONCE);
          rc = c.res.status;
          if (rc == 0)
            assert_int_equal(c.res.count, 40);
        }
        collect_free(&c);
      } else {
        usnmp_walk *w;
        const usnmp_varbind *vb;
        uint64_t got = 0;
        rc = usnmp_walk_init(t, &root, &o, &w);
        if (rc == 0) {
          while ((rc = usnmp_walk_next(w, &vb)) == 1 || rc == UV_EAGAIN) {
            if (rc == 1)
              got++;
            else
              uv_run(&e->loop, UV_RUN_ONCE);
          }
          if (rc == 0)
            assert_int_equal(got, 40);
          usnmp_walk_close(w);
        }
      }
      if (f.failed && rc != 0 && rc != USNMP_E_NOMEM)
        print_message("allocation %ld failed: %s\n", n, usnmp_err_name(rc));
      if (f.failed)
        assert_true(rc == 0 || rc == USNMP_E_NOMEM || rc == USNMP_E_TIMEOUT);
      else
        assert_int_equal(rc, 0);
      completed += !f.failed;
      usnmp_test_failing_disarm(&f);
      {
        int closed = 0;
        usnmp_manager_close(m, usnmp_test_set_flag, &closed);
        while (!closed)
          uv_run(&e->loop, UV_RUN_ONCE);
      }
    }
  }
  /* The loop ran out of failures to inject: walks completed. */
  assert_true(completed >= 2);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test_setup(full_walk_v2c_getnext, reset_agent),
      cmocka_unit_test_setup(full_walk_v1, reset_agent),
      cmocka_unit_test_setup(full_bulk_walk, reset_agent),
      cmocka_unit_test_setup(column_by_arcs, reset_agent),
      cmocka_unit_test_setup(scalar_instance, reset_agent),
      cmocka_unit_test_setup(empty_subtree, reset_agent),
      cmocka_unit_test_setup(end_of_mib, reset_agent),
      cmocka_unit_test_setup(include_root, reset_agent),
      cmocka_unit_test_setup(sparse_table_walks, reset_agent),
      cmocka_unit_test_setup(pull_form, reset_agent),
      cmocka_unit_test_setup(pull_form_error, reset_agent),
      cmocka_unit_test_setup(many_walks, reset_agent),
      cmocka_unit_test_setup(stop_cancel_limit, reset_agent),
      cmocka_unit_test_setup(agent_loops, reset_agent),
      cmocka_unit_test_setup(agent_decreasing_and_outside, reset_agent),
      cmocka_unit_test_setup(agent_bulk_adapts, reset_agent),
      cmocka_unit_test_setup(agent_eomv_in_the_middle, reset_agent),
      cmocka_unit_test_setup(agent_errors_and_timeout, reset_agent),
      cmocka_unit_test_setup(agent_multibyte_arcs, reset_agent),
      cmocka_unit_test_setup(allocation_failures, reset_agent),
  };
  return cmocka_run_group_tests(tests, usnmp_test_walk_env_setup,
                                usnmp_test_walk_env_teardown);
}
