/*
 * Tests of tables (lib/table.c).
 *
 * Against net-snmp's snmpd (test/snmpd_fixture.h): a sparse three-column
 * table served by test/walk_pass.sh through snmpd's `pass`, fetched by
 * columns and by entry (column discovery), over GETBULK with several
 * max-repetitions and over GETNEXT (v1), each compared with the rows made
 * from what net-snmp's snmpbulkwalk prints for the same table, with what
 * net-snmp's snmptable prints (given test/USNMP-WALK-TEST-MIB.txt) and with
 * the table written out by hand; ifTable, and ifTable with ifXTable columns,
 * compared with snmpbulkwalk the same way.
 *
 * Against the scripted test agent (test/test_agent.h): a larger sparse
 * table, tooBig and truncated answers, a column that goes backwards, a
 * timeout, the row callback stopping the fetch, a row limit, cancelling.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "snmpd_fixture.h"
#include "test_agent.h"
#include "test_util.h"
#include "usnmp.h"

/* ------------------------------------------------------------------------
 * Helpers
 * ------------------------------------------------------------------------ */

typedef usnmp_test_text text;

/* A row as text: "INDEX | value | value ...", a hole as "-", one per
 * line.  mask selects the columns whose values are written (the others
 * show only their type name, for values that move). */
static void row_text(text *out, const usnmp_oid *index, const usnmp_value *v,
                     size_t n, uint64_t mask) {
  char buf[2048];
  int len = usnmp_oid_format(buf, sizeof buf, index);
  assert_true(len > 0);
  usnmp_test_text_add_str(out, buf);
  for (size_t c = 0; c < n; c++) {
    usnmp_test_text_add_str(out, " | ");
    if (v[c].type == USNMP_TYPE_NOSUCHINSTANCE) {
      usnmp_test_text_add_str(out, "-");
      continue;
    }
    assert_true(usnmp_value_format(buf, sizeof buf, &v[c]) > 0);
    if (!(mask & (1ull << c)))
      buf[strcspn(buf, ":")] = '\0';
    usnmp_test_text_add_str(out, buf);
  }
  usnmp_test_text_add_str(out, "\n");
}

typedef struct collect {
  text rows;
  uint64_t mask;
  usnmp_table_result res;
  usnmp_oid columns[64];
  size_t n_columns;
  int done;
  uint64_t calls;
  uint64_t stop_after;
  int cancel_at;
  usnmp_oid prev;
  int order_ok;
} collect;

static int on_row(usnmp_table *tb, const usnmp_table_row *row, void *arg) {
  collect *c = arg;
  c->calls++;
  if (c->prev.len != 0 && usnmp_oid_cmp(row->index, &c->prev) <= 0)
    c->order_ok = 0;
  c->prev = *row->index;
  row_text(&c->rows, row->index, row->values, row->n_columns, c->mask);
  if (c->cancel_at != 0 && c->calls == (uint64_t)c->cancel_at) {
    assert_int_equal(usnmp_table_cancel(tb), 0);
    assert_true(c->done);
  }
  return c->stop_after != 0 && c->calls == c->stop_after;
}

static void on_done(usnmp_table *tb, const usnmp_table_result *res, void *arg) {
  collect *c = arg;
  (void)tb;
  assert_false(c->done);
  c->done = 1;
  c->res = *res;
  c->n_columns = res->n_columns < 64 ? res->n_columns : 64;
  for (size_t i = 0; i < c->n_columns; i++)
    c->columns[i] = res->columns[i];
  c->res.columns = NULL;
}

typedef usnmp_test_walk_env env;

static void collect_init(collect *c) {
  memset(c, 0, sizeof *c);
  c->mask = ~0ull;
  c->order_ok = 1;
  usnmp_test_text_add_str(&c->rows, "");
}

/* Fetches a table by entry (n_cols 0) or by columns (dotted texts). */
static int fetch(env *e, usnmp_target *t, const char *entry,
                 const char *const *cols, size_t n_cols,
                 const usnmp_walk_opts *opts, collect *c) {
  usnmp_oid ent, oids[64];
  assert_true(n_cols <= 64);
  if (entry != NULL)
    assert_int_equal(usnmp_oid_parse(&ent, entry), 0);
  for (size_t i = 0; i < n_cols; i++)
    assert_int_equal(usnmp_oid_parse(&oids[i], cols[i]), 0);
  assert_int_equal(usnmp_table_start(t, entry ? &ent : NULL, oids, n_cols, opts,
                                     on_row, on_done, c, NULL),
                   0);
  while (!c->done)
    uv_run(&e->loop, UV_RUN_ONCE);
  return c->res.status;
}

/* Rows made from snmpbulkwalk's lines for the given columns, in index
 * order (arc by arc), in the same text form as row_text() (values as
 * net-snmp prints them, "-" for holes). */
typedef struct cell {
  usnmp_oid index;
  size_t col;
  char value[512];
} cell;

static int cmp_cell(const void *a, const void *b) {
  const cell *x = a, *y = b;
  int c = usnmp_oid_cmp(&x->index, &y->index);
  return c != 0 ? c : (x->col > y->col) - (x->col < y->col);
}

static text rows_from_walk(const char *walk, const char *const *cols,
                           size_t n_cols, uint64_t mask) {
  usnmp_oid colv[64];
  cell *cells = NULL;
  size_t n = 0, cap = 0;
  text out = {0};
  char *copy = strdup(walk), *save = NULL;
  usnmp_test_text_add_str(&out, "");
  for (size_t i = 0; i < n_cols; i++)
    assert_int_equal(usnmp_oid_parse(&colv[i], cols[i]), 0);
  for (char *line = strtok_r(copy, "\n", &save); line != NULL;
       line = strtok_r(NULL, "\n", &save)) {
    char *eq = strstr(line, " = ");
    usnmp_oid name;
    assert_non_null(eq);
    *eq = '\0';
    assert_int_equal(usnmp_oid_parse(&name, line), 0);
    for (size_t c = 0; c < n_cols; c++) {
      if (!usnmp_oid_is_prefix(&colv[c], &name) || name.len == colv[c].len)
        continue;
      if (n == cap) {
        cap = cap ? cap * 2 : 64;
        cells = realloc(cells, cap * sizeof *cells);
        assert_non_null(cells);
      }
      cells[n].index.len = name.len - colv[c].len;
      memcpy(cells[n].index.arcs, name.arcs + colv[c].len,
             cells[n].index.len * sizeof(uint32_t));
      cells[n].col = c;
      snprintf(cells[n].value, sizeof cells[n].value, "%s", eq + 3);
      if (!(mask & (1ull << c)))
        cells[n].value[strcspn(cells[n].value, ":")] = '\0';
      n++;
    }
  }
  qsort(cells, n, sizeof *cells, cmp_cell);
  for (size_t i = 0; i < n;) {
    char buf[2048];
    size_t j = i;
    assert_true(usnmp_oid_format(buf, sizeof buf, &cells[i].index) > 0);
    usnmp_test_text_add_str(&out, buf);
    for (size_t c = 0; c < n_cols; c++) {
      usnmp_test_text_add_str(&out, " | ");
      if (j < n && usnmp_oid_cmp(&cells[j].index, &cells[i].index) == 0 &&
          cells[j].col == c)
        usnmp_test_text_add_str(&out, cells[j++].value);
      else
        usnmp_test_text_add_str(&out, "-");
    }
    usnmp_test_text_add_str(&out, "\n");
    i = j;
  }
  free(cells);
  free(copy);
  return out;
}

#define NETSNMP "MIBS= SNMPCONFPATH=/nonexistent "
#define ENTRY ".1.3.6.1.4.1.99999.1.1"

static const char *const pass_cols[] = {ENTRY ".1", ENTRY ".2", ENTRY ".3"};

/* The pass script's table, by hand. */
static const char pass_rows[] = ".1 | INTEGER: 101 | - | Gauge32: 301\n"
                                ".2 | INTEGER: 102 | STRING: \"two\" | -\n"
                                ".3 | INTEGER: 103 | - | -\n"
                                ".5 | INTEGER: 105 | - | Gauge32: 305\n"
                                ".10 | INTEGER: 110 | STRING: \"ten\" | -\n"
                                ".10.1 | INTEGER: 111 | - | Gauge32: 311\n";

/* ------------------------------------------------------------------------
 * Fixtures
 * ------------------------------------------------------------------------ */

/* The scripted agent's table: entry .1.3.6.1.4.1.99999.2.1, 60 rows;
 * column 1 in every row, column 2 in even rows, column 5 in rows that
 * are multiples of 7 (columns 3 and 4 do not exist), plus a value after
 * the table so that its end is an OID outside it. */
#define AENTRY "1.3.6.1.4.1.99999.2.1"
static int reset_agent(void **state) {
  env *e = *state;
  char oid[128];
  usnmp_test_agent_set_hook(e->agent, NULL, NULL);
  usnmp_test_agent_set_default(e->agent,
                               (usnmp_test_action){USNMP_TEST_ANSWER, 0, 0});
  usnmp_test_agent_mib_clear(e->agent);
  for (int r = 1; r <= 60; r++) {
    snprintf(oid, sizeof oid, AENTRY ".1.%d", r);
    assert_int_equal(
        usnmp_test_agent_mib_set(e->agent, oid, usnmp_value_integer(r), 0), 0);
    if (r % 2 == 0) {
      snprintf(oid, sizeof oid, AENTRY ".2.%d", r);
      assert_int_equal(usnmp_test_agent_mib_set(e->agent, oid,
                                                usnmp_value_string("even"), 0),
                       0);
    }
    if (r % 7 == 0) {
      snprintf(oid, sizeof oid, AENTRY ".5.%d", r);
      assert_int_equal(
          usnmp_test_agent_mib_set(e->agent, oid,
                                   usnmp_value_counter32((uint32_t)r), 0),
          0);
    }
  }
  assert_int_equal(usnmp_test_agent_mib_set(e->agent, "1.3.6.1.4.1.99999.3.0",
                                            usnmp_value_integer(0), 0),
                   0);
  return 0;
}

/* The agent's table as text. */
static text agent_rows(void) {
  text t = {0};
  char line[256];
  usnmp_test_text_add_str(&t, "");
  for (int r = 1; r <= 60; r++) {
    char c2[32] = "-", c5[32] = "-";
    if (r % 2 == 0)
      snprintf(c2, sizeof c2, "STRING: \"even\"");
    if (r % 7 == 0)
      snprintf(c5, sizeof c5, "Counter32: %d", r);
    snprintf(line, sizeof line, ".%d | INTEGER: %d | %s | %s\n", r, r, c2, c5);
    usnmp_test_text_add_str(&t, line);
  }
  return t;
}

static const char *const agent_cols[] = {AENTRY ".1", AENTRY ".2", AENTRY ".5"};

/* ------------------------------------------------------------------------
 * Against snmpd
 * ------------------------------------------------------------------------ */

static void sparse_by_columns(void **state) {
  env *e = *state;
  text walk = usnmp_test_run_text(
      NULL, NETSNMP "snmpbulkwalk -On -v2c -c public %s " ENTRY,
      e->snmpd.agent4);
  text expect = rows_from_walk(walk.buf, pass_cols, 3, ~0ull);
  /* net-snmp's view of the table is the one written by hand. */
  assert_string_equal(expect.buf, pass_rows);
  for (uint32_t reps = 0; reps <= 4; reps++) {
    collect c;
    usnmp_walk_opts o = {0};
    o.max_repetitions = reps; /* 0: the default, 10 */
    collect_init(&c);
    assert_int_equal(fetch(e, e->t2c, NULL, pass_cols, 3, &o, &c), 0);
    assert_string_equal(c.rows.buf, pass_rows);
    assert_int_equal(c.res.rows, 6);
    assert_int_equal(c.res.end, USNMP_WALK_END_SUBTREE);
    assert_int_equal(c.res.n_columns, 3);
    assert_true(c.order_ok);
    assert_int_equal(c.res.last_index.len, 2);
    free(c.rows.buf);
  }
  free(walk.buf);
  free(expect.buf);
}

/* Rows in snmptable's "-Ci -Cf | -CH" form: index without its leading
 * dot, each value as net-snmp prints it without its "TYPE: " label, "?"
 * for a hole. */
static int on_row_snmptable(usnmp_table *tb, const usnmp_table_row *row,
                            void *arg) {
  collect *c = arg;
  char buf[2048];
  (void)tb;
  c->calls++;
  assert_true(usnmp_oid_format(buf, sizeof buf, row->index) > 0);
  usnmp_test_text_add_str(&c->rows, buf + 1);
  for (size_t i = 0; i < row->n_columns; i++) {
    const char *v = "?";
    usnmp_test_text_add_str(&c->rows, "|");
    if (row->values[i].type != USNMP_TYPE_NOSUCHINSTANCE) {
      assert_true(usnmp_value_format(buf, sizeof buf, &row->values[i]) > 0);
      v = strstr(buf, ": ") + 2;
    }
    usnmp_test_text_add_str(&c->rows, v);
  }
  usnmp_test_text_add_str(&c->rows, "\n");
  return 0;
}

/* The same table through net-snmp's snmptable, which needs a MIB to know
 * the columns: test/USNMP-WALK-TEST-MIB.txt describes it.  (snmptable's
 * own GETNEXT mode, -v1 or -CB, gets this table wrong: it shows row 10.1's
 * usnmpSparseC, 311, in row 10 as well.) */
static void sparse_vs_snmptable(void **state) {
  env *e = *state;
  char cwd[512];
  text net;
  assert_non_null(getcwd(cwd, sizeof cwd));
  net = usnmp_test_run_text(NULL,
                            NETSNMP
                            "snmptable -m USNMP-WALK-TEST-MIB -M '%s' -v2c -c "
                            "public -Ci -Cf '|' -CH %s "
                            "USNMP-WALK-TEST-MIB::usnmpSparseTable",
                            cwd, e->snmpd.agent4);
  assert_string_equal(net.buf, "1|101|?|301\n"
                               "2|102|\"two\"|?\n"
                               "3|103|?|?\n"
                               "5|105|?|305\n"
                               "10|110|\"ten\"|?\n"
                               "10.1|111|?|311\n");
  for (int v = 0; v < 2; v++) {
    usnmp_oid entry;
    collect c;
    collect_init(&c);
    assert_int_equal(usnmp_oid_parse(&entry, ENTRY), 0);
    assert_int_equal(usnmp_table_start(v ? e->t1 : e->t2c, &entry, NULL, 0,
                                       NULL, on_row_snmptable, on_done, &c,
                                       NULL),
                     0);
    while (!c.done)
      uv_run(&e->loop, UV_RUN_ONCE);
    assert_int_equal(c.res.status, 0);
    assert_string_equal(c.rows.buf, net.buf);
    free(c.rows.buf);
  }
  free(net.buf);
}

static void sparse_by_entry(void **state) {
  env *e = *state;
  collect c;
  /* v2c: columns found by probing, then GETBULK. */
  collect_init(&c);
  assert_int_equal(fetch(e, e->t2c, ENTRY, NULL, 0, NULL, &c), 0);
  assert_string_equal(c.rows.buf, pass_rows);
  assert_int_equal(c.n_columns, 3);
  for (size_t i = 0; i < 3; i++) {
    usnmp_oid col;
    assert_int_equal(usnmp_oid_parse(&col, pass_cols[i]), 0);
    assert_int_equal(usnmp_oid_cmp(&c.columns[i], &col), 0);
  }
  free(c.rows.buf);
  /* v1: GETNEXT over the columns; the table's end is the MIB's end for
   * column 3, which v1 reports as noSuchName. */
  collect_init(&c);
  assert_int_equal(fetch(e, e->t1, ENTRY, NULL, 0, NULL, &c), 0);
  assert_string_equal(c.rows.buf, pass_rows);
  free(c.rows.buf);
  collect_init(&c);
  assert_int_equal(fetch(e, e->t1, NULL, pass_cols, 3, NULL, &c), 0);
  assert_string_equal(c.rows.buf, pass_rows);
  free(c.rows.buf);
  /* One column alone, and a column that does not exist (all holes are
   * nothing: no rows). */
  {
    const char *one[] = {ENTRY ".2"};
    const char *none[] = {ENTRY ".4"};
    collect_init(&c);
    assert_int_equal(fetch(e, e->t2c, NULL, one, 1, NULL, &c), 0);
    assert_string_equal(c.rows.buf, ".2 | STRING: \"two\"\n"
                                    ".10 | STRING: \"ten\"\n");
    free(c.rows.buf);
    collect_init(&c);
    assert_int_equal(fetch(e, e->t2c, NULL, none, 1, NULL, &c), 0);
    assert_string_equal(c.rows.buf, "");
    assert_int_equal(c.res.rows, 0);
    free(c.rows.buf);
  }
}

static void if_table(void **state) {
  env *e = *state;
  const char *cols[22];
  char names[22][64];
  collect c;
  text walk, expect;
  /* Values of the counters and ifLastChange move: compare their types
   * only (columns 9 to 21). */
  uint64_t mask = 0xff | (1ull << 21);
  for (int i = 0; i < 22; i++) {
    snprintf(names[i], sizeof names[i], ".1.3.6.1.2.1.2.2.1.%d", i + 1);
    cols[i] = names[i];
  }
  walk = usnmp_test_run_text(NULL,
                             NETSNMP "snmpbulkwalk -On -v2c -c public %s "
                                     ".1.3.6.1.2.1.2.2.1",
                             e->snmpd.agent4);
  expect = rows_from_walk(walk.buf, cols, 22, mask);
  collect_init(&c);
  c.mask = mask;
  assert_int_equal(fetch(e, e->t2c, ".1.3.6.1.2.1.2.2.1", NULL, 0, NULL, &c),
                   0);
  assert_int_equal(c.n_columns, 22);
  assert_string_equal(c.rows.buf, expect.buf);
  assert_true(c.res.rows >= 1);
  free(c.rows.buf);
  /* v1 GETNEXT: the same rows (no Counter64 in ifTable). */
  collect_init(&c);
  c.mask = mask;
  assert_int_equal(fetch(e, e->t1, NULL, cols, 22, NULL, &c), 0);
  assert_string_equal(c.rows.buf, expect.buf);
  free(c.rows.buf);
  free(walk.buf);
  free(expect.buf);
}

static void if_and_ifx_columns(void **state) {
  env *e = *state;
  /* ifDescr, ifType (ifTable) and ifName, ifHighSpeed (ifXTable) share
   * ifIndex. */
  const char *cols[] = {".1.3.6.1.2.1.2.2.1.2", ".1.3.6.1.2.1.2.2.1.3",
                        ".1.3.6.1.2.1.31.1.1.1.1", ".1.3.6.1.2.1.31.1.1.1.15"};
  text w1 = usnmp_test_run_text(NULL,
                                NETSNMP "snmpbulkwalk -On -v2c -c public %s "
                                        ".1.3.6.1.2.1.2.2.1",
                                e->snmpd.agent4);
  text w2 = usnmp_test_run_text(NULL,
                                NETSNMP "snmpbulkwalk -On -v2c -c public %s "
                                        ".1.3.6.1.2.1.31.1.1.1",
                                e->snmpd.agent4);
  text both = {0}, expect;
  collect c;
  usnmp_test_text_add_str(&both, w1.buf);
  usnmp_test_text_add_str(&both, w2.buf);
  expect = rows_from_walk(both.buf, cols, 4, ~0ull);
  collect_init(&c);
  assert_int_equal(fetch(e, e->t2c, NULL, cols, 4, NULL, &c), 0);
  assert_string_equal(c.rows.buf, expect.buf);
  assert_null(strstr(c.rows.buf, " | -")); /* no holes here */
  free(c.rows.buf);
  free(w1.buf);
  free(w2.buf);
  free(both.buf);
  free(expect.buf);
}

/* ------------------------------------------------------------------------
 * Against the scripted agent
 * ------------------------------------------------------------------------ */

static void agent_sparse(void **state) {
  env *e = *state;
  text expect = agent_rows();
  usnmp_test_agent_stats before, after;
  for (uint32_t reps = 1; reps <= 25; reps += 8) {
    collect c;
    usnmp_walk_opts o = {0};
    o.max_repetitions = reps;
    collect_init(&c);
    assert_int_equal(fetch(e, e->ta, NULL, agent_cols, 3, &o, &c), 0);
    assert_string_equal(c.rows.buf, expect.buf);
    assert_int_equal(c.res.rows, 60);
    free(c.rows.buf);
  }
  /* 1024 repetitions leave room for two of the three columns in one
   * request (USNMP_MAX_VARBINDS): the slowest go first. */
  {
    collect c;
    usnmp_walk_opts o = {0};
    o.max_repetitions = 1024;
    collect_init(&c);
    assert_int_equal(fetch(e, e->ta, NULL, agent_cols, 3, &o, &c), 0);
    assert_string_equal(c.rows.buf, expect.buf);
    free(c.rows.buf);
  }
  /* By entry: columns 1, 2 and 5 are found, 3 and 4 do not exist. */
  {
    collect c;
    collect_init(&c);
    usnmp_test_agent_get_stats(e->agent, &before);
    assert_int_equal(fetch(e, e->ta, AENTRY, NULL, 0, NULL, &c), 0);
    usnmp_test_agent_get_stats(e->agent, &after);
    assert_string_equal(c.rows.buf, expect.buf);
    assert_int_equal(c.n_columns, 3);
    assert_int_equal(c.columns[2].arcs[c.columns[2].len - 1], 5);
    /* One batch of probes finds all three columns and, with its 6th
     * probe already past the table, the end. */
    assert_int_equal(after.by_type[USNMP_PDU_GETNEXT - 0xA0] -
                         before.by_type[USNMP_PDU_GETNEXT - 0xA0],
                     1);
    free(c.rows.buf);
    /* v1: GETNEXT throughout, noSuchName past the end of the MIB. */
    collect_init(&c);
    assert_int_equal(fetch(e, e->ta1, AENTRY, NULL, 0, NULL, &c), 0);
    assert_string_equal(c.rows.buf, expect.buf);
    free(c.rows.buf);
    usnmp_test_agent_mib_clear(e->agent);
    assert_int_equal(reset_agent(state), 0);
  }
  free(expect.buf);
}

/* tooBig for more than 12 varbinds in an answer's request. */
static void hook_toobig(usnmp_test_agent *a, usnmp_test_exchange *ex,
                        void *arg) {
  (void)a;
  (void)arg;
  if (ex->request->type == USNMP_PDU_GETBULK &&
      ex->request->error_index * (int32_t)ex->n_req_vbs > 12)
    ex->action.act = USNMP_TEST_TOOBIG;
}

/* Cuts GETBULK answers to 7 varbinds (two full repetitions of three
 * columns and one more). */
static void hook_truncate(usnmp_test_agent *a, usnmp_test_exchange *ex,
                          void *arg) {
  (void)a;
  (void)arg;
  if (ex->request->type == USNMP_PDU_GETBULK && ex->n_vbs > 7)
    ex->n_vbs = 7;
}

/* Column 2 goes back to row 2 in the second answer. */
static void hook_backwards(usnmp_test_agent *a, usnmp_test_exchange *ex,
                           void *arg) {
  int *bulks = arg;
  (void)a;
  if (ex->request->type == USNMP_PDU_GETBULK && ++*bulks == 2 && ex->n_vbs > 1)
    assert_int_equal(
        usnmp_test_reply_set(ex, 1, AENTRY ".2.2", usnmp_value_string("back")),
        0);
}

static void agent_adapts_and_fails(void **state) {
  env *e = *state;
  text expect = agent_rows();
  usnmp_walk_opts o = {0};
  usnmp_request_opts ro = {0};
  collect c;
  int bulks = 0;
  o.max_repetitions = 20;
  usnmp_test_agent_set_hook(e->agent, hook_toobig, NULL);
  collect_init(&c);
  assert_int_equal(fetch(e, e->ta, NULL, agent_cols, 3, &o, &c), 0);
  assert_string_equal(c.rows.buf, expect.buf);
  free(c.rows.buf);
  usnmp_test_agent_set_hook(e->agent, hook_truncate, NULL);
  collect_init(&c);
  assert_int_equal(fetch(e, e->ta, NULL, agent_cols, 3, &o, &c), 0);
  assert_string_equal(c.rows.buf, expect.buf);
  free(c.rows.buf);
  /* A column going backwards is an error; the rows before stand. */
  usnmp_test_agent_set_hook(e->agent, hook_backwards, &bulks);
  o.max_repetitions = 4;
  collect_init(&c);
  assert_int_equal(fetch(e, e->ta, NULL, agent_cols, 3, &o, &c),
                   USNMP_E_NOT_INCREASING);
  assert_int_equal(c.res.end, USNMP_WALK_END_ERROR);
  assert_true(c.res.rows <= 4);
  assert_int_equal(strncmp(c.rows.buf, expect.buf, c.rows.len), 0);
  free(c.rows.buf);
  /* Silence after the first answer: a timeout. */
  usnmp_test_agent_set_hook(e->agent, NULL, NULL);
  usnmp_test_agent_push(e->agent, (usnmp_test_action){USNMP_TEST_ANSWER, 0, 0});
  usnmp_test_agent_set_default(e->agent,
                               (usnmp_test_action){USNMP_TEST_DROP, 0, 0});
  ro.flags = USNMP_REQUEST_TIMEOUT | USNMP_REQUEST_RESEND;
  ro.timeout_ms = 200;
  ro.resend_ms = 100;
  o.request = &ro;
  collect_init(&c);
  assert_int_equal(fetch(e, e->ta, NULL, agent_cols, 3, &o, &c),
                   USNMP_E_TIMEOUT);
  /* Rows 1..4 complete after the first answer (column 5 is far ahead). */
  assert_int_equal(c.res.rows, 4);
  assert_int_equal(c.res.last_index.arcs[0], 4);
  assert_int_equal(c.res.requests, 1);
  free(c.rows.buf);
  /* error-status. */
  usnmp_test_agent_set_default(e->agent,
                               (usnmp_test_action){USNMP_TEST_ERROR, 5, 2});
  o.request = NULL;
  collect_init(&c);
  assert_int_equal(fetch(e, e->ta, NULL, agent_cols, 3, &o, &c),
                   USNMP_E_SNMP_ERROR);
  assert_int_equal(c.res.error_status, USNMP_ERROR_STATUS_GENERR);
  assert_int_equal(c.res.error_index, 2);
  free(c.rows.buf);
  free(expect.buf);
}

static void agent_stop_limit_cancel(void **state) {
  env *e = *state;
  usnmp_walk_opts o = {0};
  collect c;
  usnmp_oid col;
  usnmp_table *tb;
  collect_init(&c);
  c.stop_after = 5;
  assert_int_equal(fetch(e, e->ta, NULL, agent_cols, 3, NULL, &c), 0);
  assert_int_equal(c.res.end, USNMP_WALK_END_STOPPED);
  assert_int_equal(c.res.rows, 5);
  assert_int_equal(c.calls, 5);
  free(c.rows.buf);
  o.max_varbinds = 7; /* rows, for tables */
  collect_init(&c);
  assert_int_equal(fetch(e, e->ta, NULL, agent_cols, 3, &o, &c), 0);
  assert_int_equal(c.res.end, USNMP_WALK_END_LIMIT);
  assert_int_equal(c.res.rows, 7);
  free(c.rows.buf);
  collect_init(&c);
  c.cancel_at = 3;
  assert_int_equal(fetch(e, e->ta, NULL, agent_cols, 3, NULL, &c),
                   USNMP_E_CANCELLED);
  assert_int_equal(c.calls, 3);
  free(c.rows.buf);
  /* Cancel from outside while the first request is in flight. */
  collect_init(&c);
  assert_int_equal(usnmp_oid_parse(&col, agent_cols[0]), 0);
  assert_int_equal(
      usnmp_table_start(e->ta, NULL, &col, 1, NULL, on_row, on_done, &c, &tb),
      0);
  assert_int_equal(usnmp_table_cancel(tb), 0);
  assert_true(c.done);
  assert_int_equal(c.res.status, USNMP_E_CANCELLED);
  assert_int_equal(c.res.rows, 0);
  free(c.rows.buf);
  uv_run(&e->loop, UV_RUN_NOWAIT);
  /* Bad arguments. */
  assert_int_equal(
      usnmp_table_start(e->ta, NULL, NULL, 0, NULL, on_row, on_done, &c, NULL),
      USNMP_E_INVAL);
  assert_int_equal(
      usnmp_table_start(e->ta, NULL, &col, 1, NULL, on_row, NULL, &c, NULL),
      USNMP_E_INVAL);
  o.max_varbinds = 0;
  o.method = USNMP_WALK_GETBULK;
  assert_int_equal(
      usnmp_table_start(e->ta1, NULL, &col, 1, &o, on_row, on_done, &c, NULL),
      USNMP_E_BAD_VERSION);
  assert_int_equal(usnmp_table_cancel(NULL), USNMP_E_INVAL);
}

/* Every allocation of a table fetch (and of the manager under it) fails
 * in turn, by entry (discovery) and by columns: each fetch ends with
 * USNMP_E_NOMEM (or a timeout, when the manager lost the answer) or
 * completes with the whole table; nothing leaks. */
static void allocation_failures(void **state) {
  env *e = *state;
  usnmp_test_failing f = {0};
  usnmp_allocator alloc = usnmp_test_failing_allocator(&f);
  text expect = agent_rows();
  int completed = 0;
  for (long n = 0; n < 400 && completed < 2; n++) {
    for (int by_entry = 0; by_entry < 2; by_entry++) {
      usnmp_manager *m;
      usnmp_target *t;
      usnmp_oid entry, cols[3];
      usnmp_walk_opts o = {0};
      collect c;
      int rc, closed = 0;
      usnmp_test_failing_disarm(&f);
      assert_int_equal(usnmp_manager_init(&m, &e->loop, &alloc), 0);
      assert_int_equal(
          usnmp_target_init(m, &t, usnmp_test_agent_address(e->agent)), 0);
      assert_int_equal(usnmp_target_set_resend(t, 200), 0);
      assert_int_equal(usnmp_target_set_retries(t, 0), 0);
      assert_int_equal(usnmp_oid_parse(&entry, AENTRY), 0);
      for (int i = 0; i < 3; i++)
        assert_int_equal(usnmp_oid_parse(&cols[i], agent_cols[i]), 0);
      o.max_repetitions = 9;
      collect_init(&c);
      usnmp_test_failing_arm(&f, n);
      rc =
          usnmp_table_start(t, by_entry ? &entry : NULL, by_entry ? NULL : cols,
                            by_entry ? 0 : 3, &o, on_row, on_done, &c, NULL);
      if (rc == 0) {
        while (!c.done)
          uv_run(&e->loop, UV_RUN_ONCE);
        rc = c.res.status;
        if (rc == 0)
          assert_string_equal(c.rows.buf, expect.buf);
      }
      usnmp_test_failing_disarm(&f);
      if (f.failed)
        assert_true(rc == 0 || rc == USNMP_E_NOMEM || rc == USNMP_E_TIMEOUT);
      else
        assert_int_equal(rc, 0);
      completed += !f.failed;
      free(c.rows.buf);
      usnmp_manager_close(m, usnmp_test_set_flag, &closed);
      while (!closed)
        uv_run(&e->loop, UV_RUN_ONCE);
    }
  }
  assert_true(completed >= 2);
  free(expect.buf);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test_setup(sparse_by_columns, reset_agent),
      cmocka_unit_test_setup(sparse_by_entry, reset_agent),
      cmocka_unit_test_setup(sparse_vs_snmptable, reset_agent),
      cmocka_unit_test_setup(if_table, reset_agent),
      cmocka_unit_test_setup(if_and_ifx_columns, reset_agent),
      cmocka_unit_test_setup(agent_sparse, reset_agent),
      cmocka_unit_test_setup(agent_adapts_and_fails, reset_agent),
      cmocka_unit_test_setup(agent_stop_limit_cancel, reset_agent),
      cmocka_unit_test_setup(allocation_failures, reset_agent),
  };
  return cmocka_run_group_tests(tests, usnmp_test_walk_env_setup,
                                usnmp_test_walk_env_teardown);
}
