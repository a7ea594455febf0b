/*
 * The blocking layer: one call per question, on a private loop.
 *
 * Each blocking call turns into async work of the library: the agent
 * string names a target (one per address and port, kept in a small
 * registry), the OIDs go through the value cache (lib/cache.c, one per
 * usnmp_sync), and every target orders its GETs and SETs writer-preferred
 * (lib/order.c).  The call then runs the private loop until the cache
 * holds every answer, or the call's deadline passes.  Nothing here blocks
 * except uv_run() on the private loop, so requests that earlier
 * non-blocking calls started make progress during any later call, and
 * their answers (or failures) wait in the cache for the call that
 * collects them.
 *
 * Here: the calls and the wait, the sync object's life, and the pull
 * walks.  The hosts, the agent strings that name them and the settings
 * each host gets are in sync_hosts.c (which calls nothing here); the
 * objects and the re-entrance rule (GUARD) in sync_int.h.
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "sync_int.h"
#include "varbinds.h"

static void *mem_alloc(usnmp_sync *s, size_t size) {
  return usnmp__sync_alloc(s, size);
}

static void mem_free(usnmp_sync *s, void *p) { usnmp__sync_free(s, p); }

struct usnmp_vblist {
  usnmp_allocator alloc; /* the sync object's, to free the list with */
  size_t n;
  usnmp_varbind *vbs;
};

/* ---- owned varbind lists ---- */

static usnmp_vblist *vblist_build(usnmp_sync *s, const usnmp_varbind *vbs,
                                  size_t n) {
  usnmp_vblist *l =
      mem_alloc(s, sizeof(usnmp_vblist) + n * sizeof(usnmp_varbind) +
                       usnmp__varbinds_bytes(vbs, n));
  if (l == NULL)
    return NULL;
  l->alloc = s->alloc;
  l->n = n;
  l->vbs = (usnmp_varbind *)(l + 1);
  uint8_t *cursor = (uint8_t *)(l->vbs + n);
  usnmp__varbinds_copy(l->vbs, vbs, n, &cursor);
  return l;
}

size_t usnmp_vblist_count(const usnmp_vblist *l) { return l ? l->n : 0; }

const usnmp_varbind *usnmp_vblist_get(const usnmp_vblist *l, size_t i) {
  return l && i < l->n ? &l->vbs[i] : NULL;
}

void usnmp_vblist_free(usnmp_vblist *l) {
  if (l)
    l->alloc.free(l, l->alloc.ctx);
}

/* ---- the cache ---- */

int usnmp_sync_cache_clear(usnmp_sync *s) {
  GUARD(s, usnmp_cache_clear(s->cache));
}

size_t usnmp_sync_cache_size(const usnmp_sync *s) {
  return usnmp_cache_size(s->cache);
}

int usnmp_sync_set_cache_limit(usnmp_sync *s, size_t max) {
  GUARD(s, usnmp_cache_set_limit(s->cache, max));
}

int usnmp_sync_set_cache_ttl(usnmp_sync *s, uint32_t ttl_ms) {
  GUARD(s, usnmp_cache_set_ttl(s->cache, ttl_ms));
}

/* ---- the blocking calls ---- */

/* A flag this version does not know may guard a field our struct lacks
 * (see "ABI" in usnmp.h): refuse it rather than ignore what it asks. */
static int call_flags_known(const usnmp_call_opts *o) {
  return !o || !(o->flags & ~(USNMP_CALL_TIMEOUT | USNMP_CALL_COMMUNITY |
                              USNMP_CALL_NONBLOCK | USNMP_CALL_REFRESH));
}

/* A call's timeout: its own, else its host's (h NULL: not known yet),
 * else the object's. */
static uint32_t call_timeout(const usnmp_sync *s, const sync_host *h,
                             const usnmp_call_opts *o) {
  return o && (o->flags & USNMP_CALL_TIMEOUT) ? o->timeout_ms
                                              : usnmp__sync_host_timeout(s, h);
}

/* The request options of a call: its timeout and community override. */
static void call_ropts(const usnmp_sync *s, const sync_host *h,
                       const usnmp_call_opts *opts, usnmp_request_opts *ropts) {
  memset(ropts, 0, sizeof *ropts);
  ropts->flags = USNMP_REQUEST_TIMEOUT;
  ropts->timeout_ms = call_timeout(s, h, opts);
  if (opts && (opts->flags & USNMP_CALL_COMMUNITY) && opts->community) {
    ropts->flags |= USNMP_REQUEST_COMMUNITY;
    ropts->community = opts->community;
  }
}

static void deadline_cb(uv_timer_t *timer) {
  int *expired = timer->data;
  *expired = 1;
}

static void close_timer_cb(uv_handle_t *handle) { (void)handle; }

/* Runs the private loop until done(arg) or the deadline passes.  Returns
 * 0 or USNMP_E_TIMEOUT. */
static int run_until(usnmp_sync *s, int (*done)(void *), void *arg,
                     uint32_t timeout_ms) {
  if (done(arg))
    return 0;
  uv_timer_t deadline;
  int expired = 0;
  uv_timer_init(&s->loop, &deadline);
  deadline.data = &expired;
  /* A small grace lets the request's own timeout, which has the same
   * length, report first. */
  uv_timer_start(&deadline, deadline_cb, (uint64_t)timeout_ms + 50, 0);
  while (!expired && !done(arg))
    uv_run(&s->loop, UV_RUN_ONCE);
  uv_timer_stop(&deadline);
  uv_close((uv_handle_t *)&deadline, close_timer_cb);
  uv_run(&s->loop, UV_RUN_NOWAIT);
  return done(arg) ? 0 : USNMP_E_TIMEOUT;
}

static int target_resolved(void *arg) {
  return ((usnmp_target *)arg)->resolve_status != 1;
}

/* Finds or makes the host an agent string names (sync_hosts.c); a host
 * name is resolved now (within timeout_ms), so that every string naming
 * one address and port finds one host.  Returns 0, USNMP_E_INVAL,
 * USNMP_E_RESOLVE, USNMP_E_TIMEOUT (the resolver did not answer in time)
 * or USNMP_E_NOMEM. */
static int host_get(usnmp_sync *s, const char *name, uint32_t timeout_ms,
                    sync_host **out) {
  usnmp_target *t = NULL;
  int rc = usnmp__sync_host_find(s, name, &t, out);
  if (rc != UV_EAGAIN)
    return rc;
  rc = run_until(s, target_resolved, t, timeout_ms);
  if (rc == 0 && t->resolve_status < 0)
    rc = USNMP_E_RESOLVE;
  if (rc) {
    usnmp_target_close(t);
    return rc;
  }
  return usnmp__sync_host_add(s, name, &t->addr, t, out);
}

/* One blocking call's wait: the cache collects its answers. */
typedef struct wait_set {
  usnmp_sync *s;
  usnmp_target *target;
  usnmp_cache_kind kind;
  const usnmp_oid *oids;
  size_t n;
  usnmp_cache_result result;
  int status; /* UV_EAGAIN until collected */
} wait_set;

static int collected(void *arg) {
  wait_set *w = arg;
  if (w->status == UV_EAGAIN)
    w->status = usnmp_cache_collect(w->s->cache, w->target, w->kind, w->oids,
                                    w->n, &w->result);
  return w->status != UV_EAGAIN;
}

/* Each answer the cache receives stops the loop: the waiting call looks
 * again after every uv_run(), and stopping makes that run return even
 * when the answer came from a timer that ran before the loop's poll,
 * which would otherwise block until the next event. */
static void cache_notify(usnmp_cache *c, void *arg) {
  (void)c;
  uv_stop(arg);
}

/* The common body of get, getnext and set. */
static int call(usnmp_sync *s, const char *hostname, usnmp_cache_kind kind,
                const usnmp_oid *oids, const usnmp_value *values, size_t n,
                const usnmp_call_opts *opts, usnmp_vblist **result) {
  if (result)
    *result = NULL;
  if (!s || !hostname || !oids || n == 0 || n > USNMP_MAX_VARBINDS ||
      (kind == USNMP_CACHE_SET && !values) || !call_flags_known(opts))
    return USNMP_E_INVAL;
  s->last_error_status = 0;
  s->last_error_index = 0;
  usnmp_cache_trim(s->cache);
  sync_host *h;
  int rc = host_get(s, hostname, call_timeout(s, NULL, opts), &h);
  if (rc)
    return rc;
  usnmp_request_opts ropts;
  call_ropts(s, h, opts, &ropts);
  uint32_t timeout_ms = ropts.timeout_ms;
  rc = usnmp_cache_start(
      s->cache, h->target, kind, oids, values, n,
      opts && (opts->flags & USNMP_CALL_REFRESH) ? USNMP_CACHE_REFRESH : 0,
      &ropts);
  if (rc)
    return rc;
  if (opts && (opts->flags & USNMP_CALL_NONBLOCK)) {
    uv_run(&s->loop, UV_RUN_NOWAIT);
    return 0;
  }
  wait_set w = {s, h->target, kind, oids, n, {NULL, 0, 0}, UV_EAGAIN};
  w.result.varbinds = mem_alloc(s, n * sizeof *w.result.varbinds);
  if (w.result.varbinds == NULL)
    return USNMP_E_NOMEM;
  rc = run_until(s, collected, &w, timeout_ms);
  if (rc == 0)
    rc = w.status;
  if (rc == USNMP_E_SNMP_ERROR) {
    s->last_error_status = w.result.error_status;
    s->last_error_index = w.result.error_index;
  }
  if (rc == 0 && result) {
    *result = vblist_build(s, w.result.varbinds, n);
    if (!*result)
      rc = USNMP_E_NOMEM;
  }
  mem_free(s, w.result.varbinds);
  usnmp_cache_trim(s->cache);
  return rc;
}

int usnmp_sync_get(usnmp_sync *s, const char *agent, const usnmp_oid *oids,
                   size_t n, const usnmp_call_opts *opts,
                   usnmp_vblist **result) {
  GUARD(s, call(s, agent, USNMP_CACHE_GET, oids, NULL, n, opts, result));
}

int usnmp_sync_getnext(usnmp_sync *s, const char *agent, const usnmp_oid *oids,
                       size_t n, const usnmp_call_opts *opts,
                       usnmp_vblist **result) {
  GUARD(s, call(s, agent, USNMP_CACHE_GETNEXT, oids, NULL, n, opts, result));
}

int usnmp_sync_set(usnmp_sync *s, const char *agent, const usnmp_oid *oid,
                   const usnmp_value *value, const usnmp_call_opts *opts,
                   usnmp_vblist **result) {
  GUARD(s, call(s, agent, USNMP_CACHE_SET, oid, value, 1, opts, result));
}

int usnmp_sync_set_many(usnmp_sync *s, const char *agent, const usnmp_oid *oids,
                        const usnmp_value *values, size_t n,
                        const usnmp_call_opts *opts, usnmp_vblist **result) {
  GUARD(s, call(s, agent, USNMP_CACHE_SET, oids, values, n, opts, result));
}

/* ---- GETBULK and tables: not cached, one async request or fetch ---- */

/* The start of a call that is not cached: clears the last error, finds
 * the host and fills the request options.  Returns host_get()'s codes. */
static int uncached_begin(usnmp_sync *s, const char *agent,
                          const usnmp_call_opts *opts, sync_host **h,
                          usnmp_request_opts *ropts) {
  s->last_error_status = 0;
  s->last_error_index = 0;
  int rc = host_get(s, agent, call_timeout(s, NULL, opts), h);
  if (rc == 0)
    call_ropts(s, *h, opts, ropts);
  return rc;
}

/* The flags a call that is never cached cannot honour. */
static int uncached_flags_known(const usnmp_call_opts *o) {
  return call_flags_known(o) && !(o && (o->flags & USNMP_CALL_NONBLOCK));
}

typedef struct bulk_wait {
  usnmp_sync *s;
  int done;
  int status;
  int32_t error_status, error_index;
  usnmp_vblist *list;
} bulk_wait;

static void bulk_done(const usnmp_response *resp, void *arg) {
  bulk_wait *b = arg;
  b->done = 1;
  b->status = resp->status;
  if (b->status == 0 && resp->error_status != 0) {
    b->status = USNMP_E_SNMP_ERROR;
    b->error_status = resp->error_status;
    b->error_index = resp->error_index;
  } else if (b->status == 0) {
    b->list = vblist_build(b->s, resp->varbinds, resp->varbind_count);
    if (b->list == NULL)
      b->status = USNMP_E_NOMEM;
  }
  uv_stop(&b->s->loop);
}

static int bulk_finished(void *arg) { return ((bulk_wait *)arg)->done; }

static int get_bulk(usnmp_sync *s, const char *agent, const usnmp_oid *oids,
                    size_t n, uint32_t non_repeaters, uint32_t max_repetitions,
                    const usnmp_call_opts *opts, usnmp_vblist **result) {
  sync_host *h;
  usnmp_request_opts ropts;
  int rc = uncached_begin(s, agent, opts, &h, &ropts);
  if (rc)
    return rc;
  bulk_wait b = {s, 0, 0, 0, 0, NULL};
  usnmp_request_ref ref;
  rc = usnmp_getbulk(h->target, oids, n, non_repeaters, max_repetitions, &ropts,
                     bulk_done, &b, &ref);
  if (rc)
    return rc;
  rc = run_until(s, bulk_finished, &b, ropts.timeout_ms);
  if (rc) {
    /* Its callback fires now, with USNMP_E_CANCELLED. */
    usnmp_cancel(&ref);
    usnmp_vblist_free(b.list);
    return rc;
  }
  s->last_error_status = b.error_status;
  s->last_error_index = b.error_index;
  *result = b.list;
  return b.status;
}

int usnmp_sync_getbulk(usnmp_sync *s, const char *agent, const usnmp_oid *oids,
                       size_t n, uint32_t non_repeaters,
                       uint32_t max_repetitions, const usnmp_call_opts *opts,
                       usnmp_vblist **result) {
  if (result)
    *result = NULL;
  if (!s || !agent || !oids || n == 0 || n > USNMP_MAX_VARBINDS || !result ||
      !uncached_flags_known(opts))
    return USNMP_E_INVAL;
  GUARD(s, get_bulk(s, agent, oids, n, non_repeaters, max_repetitions, opts,
                    result));
}

/* Rows the caller owns: each row one allocation (its usnmp_table_row,
 * index, values and the bytes they point to), the columns one more. */
struct usnmp_rowlist {
  usnmp_allocator alloc;
  size_t n, room;
  usnmp_table_row **rows;
  usnmp_oid *columns;
  size_t n_columns;
};

size_t usnmp_rowlist_count(const usnmp_rowlist *l) { return l ? l->n : 0; }

const usnmp_table_row *usnmp_rowlist_get(const usnmp_rowlist *l, size_t i) {
  return l && i < l->n ? l->rows[i] : NULL;
}

void usnmp_rowlist_free(usnmp_rowlist *l) {
  if (l == NULL)
    return;
  for (size_t i = 0; i < l->n; i++)
    l->alloc.free(l->rows[i], l->alloc.ctx);
  if (l->rows)
    l->alloc.free(l->rows, l->alloc.ctx);
  if (l->columns)
    l->alloc.free(l->columns, l->alloc.ctx);
  l->alloc.free(l, l->alloc.ctx);
}

typedef struct table_wait {
  usnmp_sync *s;
  usnmp_rowlist *list;
  int done;
  int status; /* USNMP_E_NOMEM once a row could not be kept */
  int32_t error_status, error_index;
} table_wait;

static int rows_keep_columns(table_wait *tw, const usnmp_oid *columns,
                             size_t n) {
  usnmp_rowlist *l = tw->list;
  if (l->columns || n == 0)
    return 0;
  l->columns = mem_alloc(tw->s, n * sizeof *columns);
  if (l->columns == NULL)
    return USNMP_E_NOMEM;
  memcpy(l->columns, columns, n * sizeof *columns);
  l->n_columns = n;
  return 0;
}

static int table_row(usnmp_table *tb, const usnmp_table_row *row, void *arg) {
  (void)tb;
  table_wait *tw = arg;
  usnmp_rowlist *l = tw->list;
  if (rows_keep_columns(tw, row->columns, row->n_columns) != 0)
    goto nomem;
  if (l->n == l->room) {
    size_t room = l->room ? 2 * l->room : 16;
    usnmp_table_row **rows = mem_alloc(tw->s, room * sizeof *rows);
    if (rows == NULL)
      goto nomem;
    if (l->n)
      memcpy(rows, l->rows, l->n * sizeof *rows);
    mem_free(tw->s, l->rows);
    l->rows = rows;
    l->room = room;
  }
  size_t bytes = 0;
  for (size_t i = 0; i < row->n_columns; i++)
    bytes += usnmp__value_bytes(&row->values[i]);
  usnmp_table_row *copy =
      mem_alloc(tw->s, sizeof *copy + sizeof(usnmp_oid) +
                           row->n_columns * sizeof(usnmp_value) + bytes);
  if (copy == NULL)
    goto nomem;
  /* The values first: they need the row's 8-byte alignment, the index
   * only 4. */
  usnmp_value *values = (usnmp_value *)(copy + 1);
  usnmp_oid *index = (usnmp_oid *)(values + row->n_columns);
  uint8_t *cursor = (uint8_t *)(index + 1);
  *index = *row->index;
  for (size_t i = 0; i < row->n_columns; i++)
    usnmp__value_copy(&values[i], &row->values[i], &cursor);
  copy->index = index;
  copy->values = values;
  copy->n_columns = row->n_columns;
  copy->columns = l->columns;
  l->rows[l->n++] = copy;
  return 0;
nomem:
  tw->status = USNMP_E_NOMEM;
  return 1;
}

static void table_done(usnmp_table *tb, const usnmp_table_result *result,
                       void *arg) {
  (void)tb;
  table_wait *tw = arg;
  tw->done = 1;
  if (tw->status == 0)
    tw->status = result->status;
  if (tw->status == 0)
    tw->status = rows_keep_columns(tw, result->columns, result->n_columns);
  tw->error_status = result->error_status;
  tw->error_index = result->error_index;
  uv_stop(&tw->s->loop);
}

static int table(usnmp_sync *s, const char *agent, const usnmp_oid *entry,
                 const usnmp_oid *columns, size_t n_columns,
                 const usnmp_call_opts *opts, usnmp_rowlist **out) {
  sync_host *h;
  usnmp_request_opts ropts;
  int rc = uncached_begin(s, agent, opts, &h, &ropts);
  if (rc)
    return rc;
  table_wait tw = {s, NULL, 0, 0, 0, 0};
  tw.list = usnmp__calloc(&s->alloc, 1, sizeof *tw.list);
  if (tw.list == NULL)
    return USNMP_E_NOMEM;
  tw.list->alloc = s->alloc;
  usnmp_walk_opts wopts = {0};
  wopts.request = &ropts;
  rc = usnmp_table_start(h->target, entry, columns, n_columns, &wopts,
                         table_row, table_done, &tw, NULL);
  /* Every request of the fetch carries the call's timeout, so this loop
   * ends: on_done fires with the rows, or the fetch's failure. */
  while (rc == 0 && !tw.done)
    uv_run(&s->loop, UV_RUN_ONCE);
  if (rc == 0)
    rc = tw.status;
  if (rc == USNMP_E_SNMP_ERROR) {
    s->last_error_status = tw.error_status;
    s->last_error_index = tw.error_index;
  }
  if (rc) {
    usnmp_rowlist_free(tw.list);
    return rc;
  }
  *out = tw.list;
  return 0;
}

int usnmp_sync_table(usnmp_sync *s, const char *agent, const usnmp_oid *entry,
                     const usnmp_oid *columns, size_t n_columns,
                     const usnmp_call_opts *opts, usnmp_rowlist **out) {
  if (out)
    *out = NULL;
  if (!s || !agent || !out || (n_columns == 0 && !entry) ||
      (n_columns && !columns) || n_columns > USNMP_MAX_VARBINDS ||
      !uncached_flags_known(opts))
    return USNMP_E_INVAL;
  GUARD(s, table(s, agent, entry, columns, n_columns, opts, out));
}

static int set_host(usnmp_sync *s, const char *agent,
                    const usnmp_host_opts *opts) {
  sync_host *h;
  int rc = host_get(s, agent, s->timeout_ms, &h);
  return rc ? rc : usnmp__sync_host_set(s, h, opts);
}

int usnmp_sync_set_host(usnmp_sync *s, const char *agent,
                        const usnmp_host_opts *opts) {
  if (!s || !agent || !opts)
    return USNMP_E_INVAL;
  GUARD(s, set_host(s, agent, opts));
}

usnmp_error_status usnmp_sync_error_status(const usnmp_sync *s) {
  return s->last_error_status;
}

int32_t usnmp_sync_error_index(const usnmp_sync *s) {
  return s->last_error_index;
}

/* ---- life cycle and settings ---- */

int usnmp_sync_init(usnmp_sync **out) { return usnmp_sync_init_ex(out, NULL); }

int usnmp_sync_init_ex(usnmp_sync **out, const usnmp_allocator *alloc) {
  if (out == NULL)
    return USNMP_E_INVAL;
  *out = NULL;
  if (alloc == NULL)
    alloc = &usnmp__default_allocator;
  if (!alloc->malloc || !alloc->free)
    return USNMP_E_INVAL;
  usnmp_sync *s = alloc->malloc(sizeof *s, alloc->ctx);
  if (s == NULL)
    return USNMP_E_NOMEM;
  memset(s, 0, sizeof *s);
  s->alloc = *alloc;
  s->version = USNMP_VERSION_2C;
  s->port = 161;
  s->resend_ms = 1000;
  s->timeout_ms = 10000;
  s->community = usnmp__strdup(&s->alloc, "public");
  int rc = s->community ? 0 : USNMP_E_NOMEM;
  if (rc == 0)
    rc = uv_loop_init(&s->loop);
  if (rc == 0) {
    /* The manager and the cache allocate through the same hook. */
    rc = usnmp_manager_init(&s->manager, &s->loop, &s->alloc);
    if (rc == 0) {
      rc = usnmp_cache_init(s->manager, &s->alloc, &s->cache);
      if (rc == 0)
        usnmp_cache_set_notify(s->cache, cache_notify, &s->loop);
      if (rc != 0) {
        usnmp_manager_close(s->manager, NULL, NULL);
        while (uv_run(&s->loop, UV_RUN_DEFAULT) != 0)
          ;
      }
    }
    if (rc != 0)
      uv_loop_close(&s->loop);
  }
  if (rc != 0) {
    mem_free(s, s->community);
    mem_free(s, s);
    return rc;
  }
  *out = s;
  return 0;
}

static void walk_detach(usnmp_sync_walk *sw);

static void set_flag(void *arg) { *(int *)arg = 1; }

/* The end of a close that found name lookups still on the thread pool:
 * on a thread of its own, runs the private loop until they come back and
 * the manager is gone, then frees the loop's owner. */
static void *close_later(void *arg) {
  usnmp_sync *s = arg;
  usnmp_allocator a = s->alloc;
  while (uv_run(&s->loop, UV_RUN_DEFAULT) != 0)
    ;
  uv_loop_close(&s->loop);
  a.free(s, a.ctx);
  return NULL;
}

int usnmp_sync_close(usnmp_sync *s) {
  if (s == NULL)
    return 0;
  if (s->running)
    return USNMP_E_IN_CALLBACK;
  /* Hooks called from here on find s busy. */
  s->running = 1;
  /* Live walks are detached: their requests go now, and what the caller
   * still holds answers USNMP_E_CLOSED until usnmp_sync_walk_close(). */
  while (s->walks)
    walk_detach(s->walks);
  /* The cache goes first: its requests are cancelled, its entries freed. */
  usnmp_cache_close(s->cache);
  s->cache = NULL;
  usnmp_manager_close(s->manager, set_flag, &s->manager_closed);
  /* Run until the manager's handles are closed.  What can keep it after
   * that is a name lookup already running on the thread pool, which
   * cannot be cancelled and may take as long as the system's resolver
   * likes: it is not waited for (see close_later). */
  while (!s->manager_closed &&
         s->manager->open_handles != s->manager->tp.resolutions)
    uv_run(&s->loop, UV_RUN_ONCE);
  usnmp__sync_hosts_free(s);
  if (!s->manager_closed) {
    pthread_t thread;
    pthread_attr_t attr;
    int rc = pthread_attr_init(&attr);
    if (rc == 0) {
      rc = pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
      if (rc == 0)
        rc = pthread_create(&thread, &attr, close_later, s);
      pthread_attr_destroy(&attr);
    }
    if (rc == 0)
      return 0;
    /* No thread: wait here after all. */
  }
  while (uv_run(&s->loop, UV_RUN_DEFAULT) != 0)
    ;
  uv_loop_close(&s->loop);
  mem_free(s, s);
  return 0;
}

usnmp_manager *usnmp_sync_manager(usnmp_sync *s) { return s->manager; }

/* ---- walks as pull iterators ---- */

struct usnmp_sync_walk {
  usnmp_sync_walk *prev, *next; /* in the sync object's live walks */
  usnmp_allocator alloc; /* to free a walk that outlived its sync object */
  usnmp_sync *sync;      /* NULL once usnmp_sync_close() detached it */
  usnmp_walk *walk;
  usnmp_request_opts ropts;
  char *community;
};

static int walk_start(usnmp_sync *s, const char *agent, const usnmp_oid *root,
                      const usnmp_call_opts *opts, usnmp_sync_walk **out) {
  sync_host *h;
  int rc = host_get(s, agent, call_timeout(s, NULL, opts), &h);
  if (rc)
    return rc;
  usnmp_sync_walk *sw = usnmp__calloc(&s->alloc, 1, sizeof *sw);
  if (sw == NULL)
    return USNMP_E_NOMEM;
  sw->alloc = s->alloc;
  sw->sync = s;
  sw->ropts.flags = USNMP_REQUEST_TIMEOUT;
  sw->ropts.timeout_ms = call_timeout(s, h, opts);
  if (opts && (opts->flags & USNMP_CALL_COMMUNITY) && opts->community) {
    sw->community = usnmp__strdup(&s->alloc, opts->community);
    if (sw->community == NULL) {
      mem_free(s, sw);
      return USNMP_E_NOMEM;
    }
    sw->ropts.flags |= USNMP_REQUEST_COMMUNITY;
    sw->ropts.community = sw->community;
  }
  usnmp_walk_opts wopts = {0};
  wopts.request = &sw->ropts;
  rc = usnmp_walk_init(h->target, root, &wopts, &sw->walk);
  if (rc) {
    mem_free(s, sw->community);
    mem_free(s, sw);
    return rc;
  }
  sw->next = s->walks;
  if (s->walks)
    s->walks->prev = sw;
  s->walks = sw;
  *out = sw;
  return 0;
}

int usnmp_sync_walk_init(usnmp_sync *s, const char *agent,
                         const usnmp_oid *root, const usnmp_call_opts *opts,
                         usnmp_sync_walk **out) {
  if (!s || !agent || !root || !out)
    return USNMP_E_INVAL;
  *out = NULL;
  if (!call_flags_known(opts))
    return USNMP_E_INVAL;
  GUARD(s, walk_start(s, agent, root, opts, out));
}

static int walk_next(usnmp_sync_walk *sw, const usnmp_varbind **vb) {
  usnmp_sync *s = sw->sync;
  int rc;
  s->last_error_status = 0;
  s->last_error_index = 0;
  /* Each request of the walk carries the call's timeout, so this loop
   * ends: with a varbind, the end, or the walk's failure. */
  while ((rc = usnmp_walk_next(sw->walk, vb)) == UV_EAGAIN)
    uv_run(&s->loop, UV_RUN_ONCE);
  if (rc == USNMP_E_SNMP_ERROR) {
    usnmp_walk_result result;
    if (usnmp_walk_result_get(sw->walk, &result) == 0) {
      s->last_error_status = result.error_status;
      s->last_error_index = result.error_index;
    }
  }
  return rc;
}

int usnmp_sync_walk_next(usnmp_sync_walk *sw, const usnmp_varbind **vb) {
  if (!sw || !vb)
    return USNMP_E_INVAL;
  if (sw->sync == NULL)
    return USNMP_E_CLOSED;
  GUARD(sw->sync, walk_next(sw, vb));
}

/* Closes the async walk of sw and takes sw off its sync object's list. */
static void walk_detach(usnmp_sync_walk *sw) {
  usnmp_sync *s = sw->sync;
  usnmp_walk_close(sw->walk);
  sw->walk = NULL;
  if (sw->prev)
    sw->prev->next = sw->next;
  else
    s->walks = sw->next;
  if (sw->next)
    sw->next->prev = sw->prev;
  sw->prev = sw->next = NULL;
  sw->sync = NULL;
}

static int walk_free(usnmp_sync_walk *sw) {
  usnmp_allocator a = sw->alloc;
  if (sw->sync)
    walk_detach(sw);
  if (sw->community)
    a.free(sw->community, a.ctx);
  a.free(sw, a.ctx);
  return 0;
}

int usnmp_sync_walk_close(usnmp_sync_walk *sw) {
  if (sw == NULL)
    return 0;
  usnmp_sync *s = sw->sync;
  if (s == NULL)
    return walk_free(sw);
  GUARD(s, walk_free(sw));
}
