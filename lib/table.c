/*
 * Tables: every row of a set of columns, fetched with GETBULK over the
 * columns together (GETNEXT on v1), delivered row by row in index order.
 *
 * Each column has a cursor: the last OID received in it.  A request asks
 * for the successors of the cursors of the columns still running; the
 * answer of a GETBULK is laid out repetition by repetition, so varbind p
 * belongs to the (p mod c)-th column asked.  A column ends at its first
 * OID outside the column, or at an exception (endOfMibView...).
 *
 * Cells wait in a sorted list of pending rows.  A row is complete once
 * every running column has moved to its index or past it: then any
 * column that has no cell there has a hole.  So after each answer the rows
 * up to the smallest index any running column has reached (its
 * "frontier") are delivered, in order.  Columns far ahead of the slowest
 * one are left out of requests while many rows wait, which bounds the
 * memory a sparse column can make us hold.
 *
 * With an entry OID instead of columns, the columns are found first by
 * GETNEXT probes: the successor of entry.c is the first instance of the
 * first column numbered c or more that has one, so a batch of probes
 * entry.c ... entry.c+P-1 finds the columns in that range and tells where
 * the next batch starts.
 */
#include <stdlib.h>
#include <string.h>

#include "alloc.h"
#include "iter.h"
#include "manager_int.h"
#include "pdu.h"
#include "usnmp.h"
#include "varbinds.h"

/* Column numbers probed per discovery request. */
#define PROBES 8

enum { PH_DISCOVER = 1, PH_FETCH, PH_DONE };

typedef struct column {
  usnmp_oid oid;    /* the column */
  usnmp_oid cursor; /* last OID received in it (initially the column) */
  uint8_t cursor_ber[USNMP__OID_BER_MAX];
  size_t cursor_ber_len;
  uint8_t done;
} column;

/* One pending row: its index and a cell per column. */
typedef struct row {
  uint32_t index_len;
  uint32_t *index;
  usnmp_value *cells; /* type 0 = no cell yet */
  uint8_t **owned;    /* per cell: heap copy of its bytes, or NULL */
} row;

struct usnmp_table {
  usnmp__iter it; /* the life, options and request shared with walks */
  usnmp_table_row_cb on_row;
  usnmp_table_done_cb on_done;
  void *arg;
  int ran_off_mib; /* v1: a column ended on noSuchName */
  uint8_t phase;
  usnmp_oid entry;
  uint32_t probe_base; /* discovery: the first column number probed */
  uint32_t n_probes;
  column *cols;
  size_t n_cols, cap_cols;
  usnmp_oid *col_oids; /* the columns' OIDs, for rows and the result */
  /* The columns of the request in flight, in its varbind order. */
  uint32_t *asked;
  size_t n_asked;
  row **rows; /* pending, sorted by index */
  size_t n_rows, cap_rows;
  usnmp_value *row_values; /* scratch for delivery */
  usnmp_oid row_index;
  usnmp_table_result result;
  usnmp_varbind *tx; /* request varbinds */
};

/* ------------------------------------------------------------------------
 * Memory
 * ------------------------------------------------------------------------ */

static void row_free(usnmp_table *tb, row *r) {
  for (size_t i = 0; i < tb->n_cols; i++)
    usnmp__dealloc(&tb->it.alloc, r->owned[i]);
  usnmp__dealloc(&tb->it.alloc, r);
}

static void table_free(usnmp_table *tb) {
  usnmp_allocator a = tb->it.alloc;
  for (size_t i = 0; i < tb->n_rows; i++)
    row_free(tb, tb->rows[i]);
  usnmp__dealloc(&a, tb->rows);
  usnmp__dealloc(&a, tb->cols);
  usnmp__dealloc(&a, tb->col_oids);
  usnmp__dealloc(&a, tb->asked);
  usnmp__dealloc(&a, tb->row_values);
  usnmp__dealloc(&a, tb->tx);
  usnmp__iter_free(&tb->it);
  usnmp__dealloc(&a, tb);
}

static void leave(usnmp_table *tb) {
  if (usnmp__iter_leave(&tb->it))
    table_free(tb);
}

/* ------------------------------------------------------------------------
 * Ending
 * ------------------------------------------------------------------------ */

static void complete(usnmp_table *tb, int status) {
  if (!usnmp__iter_finish(&tb->it))
    return;
  tb->phase = PH_DONE;
  tb->result.status = status;
  if (status < 0)
    tb->result.end = USNMP_WALK_END_ERROR;
  /* The column list exists once fetching began (discovery over). */
  tb->result.columns = tb->col_oids;
  tb->result.n_columns = tb->col_oids != NULL ? tb->n_cols : 0;
  usnmp__iter_enter(&tb->it);
  tb->on_done(tb, &tb->result, tb->arg);
  usnmp__iter_fired(&tb->it);
}

/* ------------------------------------------------------------------------
 * Index order
 * ------------------------------------------------------------------------ */

static int cmp_arcs(const uint32_t *a, size_t alen, const uint32_t *b,
                    size_t blen) {
  size_t n = alen < blen ? alen : blen;
  for (size_t i = 0; i < n; i++)
    if (a[i] != b[i])
      return a[i] < b[i] ? -1 : 1;
  return alen < blen ? -1 : alen > blen ? 1 : 0;
}

/* The index a column has reached (empty before its first answer). */
static const uint32_t *frontier(const column *c, size_t *len) {
  *len = c->cursor.len - c->oid.len;
  return c->cursor.arcs + c->oid.len;
}

/* Finds the pending row with that index, creating it in order.  Returns
 * it, or NULL when memory runs out. */
static row *find_row(usnmp_table *tb, const uint32_t *idx, size_t len) {
  size_t lo = 0, hi = tb->n_rows;
  row *r;
  size_t size;
  /* Cells mostly arrive in index order: try the end first. */
  if (hi > 0) {
    int c = cmp_arcs(tb->rows[hi - 1]->index, tb->rows[hi - 1]->index_len, idx,
                     len);
    if (c == 0)
      return tb->rows[hi - 1];
    if (c < 0)
      lo = hi;
  }
  while (lo < hi) {
    size_t mid = lo + (hi - lo) / 2;
    int c = cmp_arcs(tb->rows[mid]->index, tb->rows[mid]->index_len, idx, len);
    if (c == 0)
      return tb->rows[mid];
    if (c < 0)
      lo = mid + 1;
    else
      hi = mid;
  }
  if (tb->n_rows == tb->cap_rows) {
    size_t cap = tb->cap_rows ? tb->cap_rows * 2 : 64;
    row **p = usnmp__alloc(&tb->it.alloc, cap * sizeof *p);
    if (p == NULL)
      return NULL;
    if (tb->n_rows != 0)
      memcpy(p, tb->rows, tb->n_rows * sizeof *p);
    usnmp__dealloc(&tb->it.alloc, tb->rows);
    tb->rows = p;
    tb->cap_rows = cap;
  }
  /* One block: the row, its cells, their owners, its index. */
  size = sizeof(row) + tb->n_cols * (sizeof(usnmp_value) + sizeof(uint8_t *)) +
         len * sizeof(uint32_t);
  r = usnmp__alloc(&tb->it.alloc, size);
  if (r == NULL)
    return NULL;
  memset(r, 0, size);
  r->cells = (usnmp_value *)(void *)(r + 1);
  r->owned = (uint8_t **)(void *)(r->cells + tb->n_cols);
  r->index = (uint32_t *)(void *)(r->owned + tb->n_cols);
  r->index_len = (uint32_t)len;
  memcpy(r->index, idx, len * sizeof(uint32_t));
  memmove(tb->rows + lo + 1, tb->rows + lo,
          (tb->n_rows - lo) * sizeof *tb->rows);
  tb->rows[lo] = r;
  tb->n_rows++;
  return r;
}

/* Stores a copy of value as column col's cell of row r. */
static int set_cell(usnmp_table *tb, row *r, size_t col,
                    const usnmp_value *value) {
  r->cells[col] = *value;
  usnmp__dealloc(&tb->it.alloc, r->owned[col]);
  r->owned[col] = NULL;
  if (usnmp__value_has_bytes(value->type)) {
    size_t len = value->v.bytes.len;
    uint8_t *copy = usnmp__alloc(&tb->it.alloc, len ? len : 1);
    if (copy == NULL)
      return USNMP_E_NOMEM;
    if (len != 0)
      memcpy(copy, value->v.bytes.data, len);
    r->owned[col] = copy;
    r->cells[col].v.bytes.data = copy;
  }
  return 0;
}

/* Delivers the pending rows whose index is at most idx (all rows when idx
 * is NULL).  Returns 0, or 1 when the fetch ended (stopped, limit). */
static int flush_rows(usnmp_table *tb, const uint32_t *idx, size_t len) {
  size_t done = 0;
  int stop = 0;
  while (done < tb->n_rows && !stop) {
    row *r = tb->rows[done];
    if (idx != NULL && cmp_arcs(r->index, r->index_len, idx, len) > 0)
      break;
    done++;
    for (size_t c = 0; c < tb->n_cols; c++) {
      if (r->cells[c].type == 0) {
        memset(&tb->row_values[c], 0, sizeof(usnmp_value));
        tb->row_values[c].type = USNMP_TYPE_NOSUCHINSTANCE;
      } else {
        tb->row_values[c] = r->cells[c];
      }
    }
    tb->row_index.len = r->index_len;
    memcpy(tb->row_index.arcs, r->index, r->index_len * sizeof(uint32_t));
    tb->result.rows++;
    tb->result.last_index = tb->row_index;
    if (tb->on_row != NULL) {
      usnmp_table_row rw;
      rw.index = &tb->row_index;
      rw.values = tb->row_values;
      rw.n_columns = tb->n_cols;
      rw.columns = tb->col_oids;
      tb->it.depth++;
      if (tb->on_row(tb, &rw, tb->arg) != 0) {
        tb->result.end = USNMP_WALK_END_STOPPED;
        stop = 1;
      }
      tb->it.depth--;
    }
    if (!stop && tb->it.limit != 0 && tb->result.rows >= tb->it.limit) {
      tb->result.end = USNMP_WALK_END_LIMIT;
      stop = 1;
    }
    if (tb->it.finished)
      stop = 1; /* cancelled from the row callback */
  }
  if (done == 0)
    return stop;
  for (size_t i = 0; i < done; i++)
    row_free(tb, tb->rows[i]);
  memmove(tb->rows, tb->rows + done, (tb->n_rows - done) * sizeof *tb->rows);
  tb->n_rows -= done;
  return stop;
}

/* ------------------------------------------------------------------------
 * Requests
 * ------------------------------------------------------------------------ */

static void on_response(const usnmp_response *resp, void *arg);

/* Sends GETNEXT probes for column numbers probe_base .. +count-1. */
static int send_probes(usnmp_table *tb, uint32_t count) {
  uint8_t *space;
  usnmp_oid probe = tb->entry;
  uint32_t n = count;
  int rc;
  if (UINT32_MAX - tb->probe_base < n - 1)
    n = UINT32_MAX - tb->probe_base + 1;
  space = (uint8_t *)(tb->tx + PROBES);
  probe.len = tb->entry.len + 1;
  for (uint32_t i = 0; i < n; i++) {
    probe.arcs[tb->entry.len] = tb->probe_base + i;
    rc = usnmp_oid_to_ber(space, USNMP__OID_BER_MAX, &probe);
    if (rc < 0)
      return rc;
    memset(&tb->tx[i], 0, sizeof tb->tx[i]);
    tb->tx[i].oid = space;
    tb->tx[i].oid_len = (size_t)rc;
    tb->tx[i].value.type = USNMP_TYPE_NULL;
    space += rc;
  }
  tb->n_probes = n;
  return usnmp__iter_send(&tb->it, USNMP_PDU_GETNEXT, tb->tx, n, 0, on_response,
                          tb);
}

/* Pending rows beyond which columns ahead of the slowest are not asked. */
static size_t pending_cap(const usnmp_table *tb) {
  return 4 * (size_t)(tb->it.bulk ? tb->it.reps : 1) + 16;
}

static int send_fetch(usnmp_table *tb) {
  const uint32_t *low = NULL;
  size_t low_len = 0, n = 0, max_cols;
  int crowded = tb->n_rows >= pending_cap(tb);

  /* The slowest running column's frontier. */
  for (size_t c = 0; c < tb->n_cols; c++) {
    size_t len;
    const uint32_t *f;
    if (tb->cols[c].done)
      continue;
    f = frontier(&tb->cols[c], &len);
    if (low == NULL || cmp_arcs(f, len, low, low_len) < 0) {
      low = f;
      low_len = len;
    }
  }
  max_cols =
      tb->it.bulk ? USNMP_MAX_VARBINDS / tb->it.reps : USNMP_MAX_VARBINDS;
  if (max_cols == 0)
    max_cols = 1;
  /* The slowest columns first (pass 0), so that when not every column
   * fits in one request the rows they hold back still advance; then the
   * others (pass 1), unless too many rows wait already. */
  for (int pass = 0; pass < 2; pass++) {
    for (size_t c = 0; c < tb->n_cols && n < max_cols; c++) {
      size_t len;
      const uint32_t *f;
      int ahead;
      if (tb->cols[c].done)
        continue;
      f = frontier(&tb->cols[c], &len);
      ahead = cmp_arcs(f, len, low, low_len) > 0;
      if (ahead != pass || (ahead && crowded))
        continue;
      tb->asked[n] = (uint32_t)c;
      memset(&tb->tx[n], 0, sizeof tb->tx[n]);
      tb->tx[n].oid = tb->cols[c].cursor_ber;
      tb->tx[n].oid_len = tb->cols[c].cursor_ber_len;
      tb->tx[n].value.type = USNMP_TYPE_NULL;
      n++;
    }
  }
  tb->n_asked = n;
  return usnmp__iter_send(
      &tb->it, tb->it.bulk ? USNMP_PDU_GETBULK : USNMP_PDU_GETNEXT, tb->tx, n,
      tb->it.bulk ? (int32_t)tb->it.reps : 0, on_response, tb);
}

/* Starts fetching rows once the columns are known. */
static int begin_fetch(usnmp_table *tb) {
  size_t n = tb->n_cols;
  tb->phase = PH_FETCH;
  if (n == 0) {
    tb->result.end = USNMP_WALK_END_SUBTREE;
    return 1; /* nothing to fetch */
  }
  tb->col_oids = usnmp__calloc(&tb->it.alloc, n, sizeof(usnmp_oid));
  tb->row_values = usnmp__calloc(&tb->it.alloc, n, sizeof(usnmp_value));
  if (tb->col_oids == NULL || tb->row_values == NULL)
    return USNMP_E_NOMEM;
  for (size_t c = 0; c < n; c++) {
    int rc;
    column *col = &tb->cols[c];
    tb->col_oids[c] = col->oid;
    col->cursor = col->oid;
    rc = usnmp_oid_to_ber(col->cursor_ber, sizeof col->cursor_ber, &col->oid);
    if (rc < 0)
      return rc;
    col->cursor_ber_len = (size_t)rc;
  }
  return send_fetch(tb);
}

/* ------------------------------------------------------------------------
 * Answers
 * ------------------------------------------------------------------------ */

static int add_column(usnmp_table *tb, const usnmp_oid *oid) {
  if (tb->n_cols == USNMP_MAX_VARBINDS)
    return USNMP_E_INVAL;
  if (tb->n_cols == tb->cap_cols) {
    size_t cap = tb->cap_cols ? tb->cap_cols * 2 : 16;
    column *p = usnmp__alloc(&tb->it.alloc, cap * sizeof *p);
    if (p == NULL)
      return USNMP_E_NOMEM;
    if (tb->n_cols != 0)
      memcpy(p, tb->cols, tb->n_cols * sizeof *p);
    usnmp__dealloc(&tb->it.alloc, tb->cols);
    tb->cols = p;
    tb->cap_cols = cap;
  }
  memset(&tb->cols[tb->n_cols], 0, sizeof(column));
  tb->cols[tb->n_cols].oid = *oid;
  tb->n_cols++;
  return 0;
}

/* Buffers for the request varbinds and the columns asked, sized for the
 * number of columns (or probes). */
static int size_scratch(usnmp_table *tb, size_t n) {
  usnmp__dealloc(&tb->it.alloc, tb->tx);
  usnmp__dealloc(&tb->it.alloc, tb->asked);
  if (n < PROBES)
    n = PROBES;
  /* Varbinds, then room for the probes' BER names. */
  tb->tx = usnmp__alloc(&tb->it.alloc, n * sizeof(usnmp_varbind) +
                                           PROBES * USNMP__OID_BER_MAX);
  tb->asked = usnmp__calloc(&tb->it.alloc, n, sizeof(uint32_t));
  return tb->tx != NULL && tb->asked != NULL ? 0 : USNMP_E_NOMEM;
}

/* Returns 1 when discovery is over, 0 when another batch was sent, or a
 * negative code. */
static int on_probe_answer(usnmp_table *tb, const usnmp_response *resp) {
  size_t n = resp->varbind_count;
  uint32_t highest = 0;
  int more = 1, found = 0;
  int rc;
  usnmp_oid name, col;

  if (resp->error_status == USNMP_ERROR_STATUS_NOSUCHNAME) {
    /* v1: the probe at error_index ran off the MIB, so did every later
     * one; ask again without them. */
    if (resp->error_index <= 1 || (uint32_t)resp->error_index > tb->n_probes)
      return 1;
    rc = send_probes(tb, (uint32_t)resp->error_index - 1);
    return rc < 0 ? rc : 0;
  }
  if (resp->error_status != 0) {
    tb->result.error_status = resp->error_status;
    tb->result.error_index = resp->error_index;
    return USNMP_E_SNMP_ERROR;
  }
  if (n > tb->n_probes)
    n = tb->n_probes;
  if (n < tb->n_probes)
    return USNMP_E_NOT_INCREASING; /* an answer short of varbinds */
  for (size_t i = 0; i < n; i++) {
    const usnmp_varbind *vb = &resp->varbinds[i];
    uint32_t c;
    if (usnmp_value_is_exception(&vb->value) ||
        usnmp_oid_from_ber(&name, vb->oid, vb->oid_len) < 0 ||
        name.len < tb->entry.len + 2 ||
        !usnmp_oid_is_prefix(&tb->entry, &name)) {
      more = 0; /* nothing at or after this column number */
      break;
    }
    c = name.arcs[tb->entry.len];
    if (c < tb->probe_base + (uint32_t)i)
      return USNMP_E_NOT_INCREASING;
    if (tb->n_cols == 0 ||
        tb->cols[tb->n_cols - 1].oid.arcs[tb->entry.len] < c) {
      col = tb->entry;
      col.arcs[col.len++] = c;
      rc = add_column(tb, &col);
      if (rc < 0)
        return rc;
    }
    highest = c;
    found = 1;
  }
  if (!more || !found || highest == UINT32_MAX)
    return 1;
  tb->probe_base = highest + 1;
  rc = send_probes(tb, PROBES);
  return rc < 0 ? rc : 0;
}

/* Treats a fetch answer.  Returns 0 (next request sent, or the fetch
 * ended), or a negative code to end it with. */
static int on_fetch_answer(usnmp_table *tb, const usnmp_response *resp) {
  size_t n = resp->varbind_count;
  size_t k = tb->n_asked;
  size_t reps = tb->it.sent_bulk ? tb->it.reps : 1;
  const uint32_t *low = NULL;
  size_t low_len = 0;
  int running = 0;
  usnmp_oid name;

  if (resp->error_status == USNMP_ERROR_STATUS_NOSUCHNAME &&
      !tb->it.sent_bulk) {
    /* v1: that column ran off the end of the MIB. */
    if (resp->error_index < 1 || (size_t)resp->error_index > k)
      goto snmp_error;
    tb->cols[tb->asked[resp->error_index - 1]].done = 1;
    tb->ran_off_mib = 1;
    goto next;
  }
  if (resp->error_status == USNMP_ERROR_STATUS_TOOBIG) {
    if (tb->it.sent_bulk && tb->it.reps > 1 &&
        !(tb->it.flags & USNMP_WALK_FIXED_REPETITIONS)) {
      tb->it.reps /= 2;
      goto next;
    }
    goto snmp_error;
  }
  if (resp->error_status != 0)
    goto snmp_error;
  if (n > k * reps)
    n = k * reps;
  if (n == 0) {
    if (tb->it.sent_bulk && !(tb->it.flags & USNMP_WALK_FIXED_REPETITIONS)) {
      if (tb->it.reps > 1)
        tb->it.reps /= 2;
      else
        tb->it.bulk = 0;
      goto next;
    }
    return USNMP_E_NOT_INCREASING; /* no progress is possible */
  }
  if (tb->it.sent_bulk && n < k * reps && n >= k &&
      !(tb->it.flags & USNMP_WALK_FIXED_REPETITIONS))
    tb->it.reps = (uint32_t)(n / k); /* what fitted */

  for (size_t j = 0; j < k; j++) {
    column *col = &tb->cols[tb->asked[j]];
    for (size_t p = j; p < n && !col->done; p += k) {
      const usnmp_varbind *vb = &resp->varbinds[p];
      row *r;
      int rc;
      if (usnmp_value_is_exception(&vb->value)) {
        col->done = 1;
        break;
      }
      rc = usnmp_oid_from_ber(&name, vb->oid, vb->oid_len);
      if (rc < 0)
        return rc;
      if (usnmp_oid_cmp(&name, &col->cursor) <= 0)
        return USNMP_E_NOT_INCREASING;
      if (name.len <= col->oid.len || !usnmp_oid_is_prefix(&col->oid, &name)) {
        col->done = 1;
        break;
      }
      r = find_row(tb, name.arcs + col->oid.len, name.len - col->oid.len);
      if (r == NULL)
        return USNMP_E_NOMEM;
      rc = set_cell(tb, r, tb->asked[j], &vb->value);
      if (rc < 0)
        return rc;
      col->cursor = name;
      memcpy(col->cursor_ber, vb->oid, vb->oid_len);
      col->cursor_ber_len = vb->oid_len;
    }
  }

next:
  for (size_t c = 0; c < tb->n_cols; c++) {
    size_t len;
    const uint32_t *f;
    if (tb->cols[c].done)
      continue;
    running = 1;
    f = frontier(&tb->cols[c], &len);
    if (low == NULL || cmp_arcs(f, len, low, low_len) < 0) {
      low = f;
      low_len = len;
    }
  }
  if (!running) {
    /* Every column ran out: whatever waits is complete. */
    if (flush_rows(tb, NULL, 0) == 0)
      tb->result.end = tb->ran_off_mib ? USNMP_WALK_END_NO_SUCH_NAME
                                       : USNMP_WALK_END_SUBTREE;
    complete(tb, 0);
    return 0;
  }
  {
    /* Ask before the caller sees the rows, so a request is in flight while
     * its callbacks run (and the agent works meanwhile). */
    int rc = send_fetch(tb);
    int sent = rc == 0;
    if (low_len != 0 && flush_rows(tb, low, low_len)) {
      if (sent)
        usnmp__iter_abort(&tb->it);
      complete(tb, 0);
      return 0;
    }
    if (tb->it.finished)
      return 0;
    return rc;
  }

snmp_error:
  tb->result.error_status = resp->error_status;
  tb->result.error_index = resp->error_index;
  return USNMP_E_SNMP_ERROR;
}

static void on_response(const usnmp_response *resp, void *arg) {
  usnmp_table *tb = arg;
  int rc;
  if (!usnmp__iter_answer(&tb->it))
    return;
  if (resp->status < 0) {
    complete(tb, resp->status);
  } else {
    tb->result.requests++;
    if (tb->phase == PH_DISCOVER) {
      rc = on_probe_answer(tb, resp);
      if (rc == 1) {
        rc = size_scratch(tb, tb->n_cols);
        if (rc == 0)
          rc = begin_fetch(tb);
        if (rc == 1) {
          complete(tb, 0);
          rc = 0;
        }
      }
    } else {
      rc = on_fetch_answer(tb, resp);
    }
    if (rc < 0)
      complete(tb, rc);
  }
  leave(tb);
}

/* ------------------------------------------------------------------------
 * Public API
 * ------------------------------------------------------------------------ */

int usnmp_table_start(usnmp_target *t, const usnmp_oid *entry,
                      const usnmp_oid *columns, size_t n_columns,
                      const usnmp_walk_opts *opts, usnmp_table_row_cb on_row,
                      usnmp_table_done_cb on_done, void *arg,
                      usnmp_table **out) {
  usnmp_allocator a;
  usnmp_table *tb;
  int rc;

  if (t == NULL || on_done == NULL || n_columns > USNMP_MAX_VARBINDS)
    return USNMP_E_INVAL;
  if (n_columns == 0 &&
      (entry == NULL || entry->len < 2 || entry->len >= USNMP_OID_MAX_LEN))
    return USNMP_E_INVAL;
  if (n_columns != 0 && columns == NULL)
    return USNMP_E_INVAL;
  for (size_t i = 0; i < n_columns; i++)
    if (columns[i].len < 2 || columns[i].len >= USNMP_OID_MAX_LEN)
      return USNMP_E_INVAL;
  a = t->m->alloc;
  tb = usnmp__calloc(&a, 1, sizeof *tb);
  if (tb == NULL)
    return USNMP_E_NOMEM;
  usnmp__iter_init(&tb->it, t);
  tb->on_row = on_row;
  tb->on_done = on_done;
  tb->arg = arg;
  rc = opts != NULL ? usnmp__iter_opts(&tb->it, opts) : 0;
  if (rc == 0)
    rc = usnmp__iter_opts_end(&tb->it, opts);
  if (rc < 0)
    goto fail;

  if (n_columns == 0) {
    tb->entry = *entry;
    tb->probe_base = 1;
    tb->phase = PH_DISCOVER;
    rc = size_scratch(tb, PROBES);
    if (rc == 0)
      rc = send_probes(tb, PROBES);
  } else {
    for (size_t i = 0; i < n_columns; i++) {
      rc = add_column(tb, &columns[i]);
      if (rc < 0)
        goto fail;
    }
    rc = size_scratch(tb, n_columns);
    if (rc == 0)
      rc = begin_fetch(tb);
  }
  if (rc < 0)
    goto fail;
  if (out != NULL)
    *out = tb;
  return 0;
fail:
  table_free(tb);
  return rc;
}

int usnmp_table_cancel(usnmp_table *tb) {
  if (tb == NULL)
    return USNMP_E_INVAL;
  if (tb->it.finished)
    return 0;
  usnmp__iter_enter(&tb->it);
  usnmp__iter_cancel_request(&tb->it);
  complete(tb, USNMP_E_CANCELLED);
  leave(tb);
  return 0;
}
