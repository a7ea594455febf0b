/*
 * Request-ids and the id table: each request in flight has an id drawn
 * from the CSPRNG (unique among pending requests, never 0), under which an
 * open-addressing table (linear probing, backward-shift deletion, at most
 * half full) finds it when its reply comes.  The lookups are on every
 * GET's path, so they are inline; growing the table and refilling the pool
 * of random ids are not (reqid.c).
 */
#ifndef USNMP_REQID_H
#define USNMP_REQID_H

#include <stdint.h>

#include "manager_int.h"

/* Doubles m's table (reqid.c).  Returns 0 or USNMP_E_NOMEM. */
int usnmp__reqid_grow(usnmp_manager *m);

/* Refills m's pool of random ids (reqid.c).  Returns 0 or a libuv code. */
int usnmp__reqid_refill(usnmp_manager *m);

/* Returns the request whose id is id, or NULL. */
static inline usnmp_request *usnmp__reqid_find(const usnmp_manager *m,
                                               int32_t id) {
  uint32_t i = (uint32_t)id & m->table_mask;
  usnmp_request *r;
  while ((r = m->table[i]) != NULL) {
    if (r->id == id)
      return r;
    i = (i + 1) & m->table_mask;
  }
  return NULL;
}

/* Puts r in a table of mask + 1 slots (one is free). */
static inline void usnmp__reqid_put(usnmp_request **table, uint32_t mask,
                                    usnmp_request *r) {
  uint32_t i = (uint32_t)r->id & mask;
  while (table[i] != NULL)
    i = (i + 1) & mask;
  table[i] = r;
}

/* Adds r under r->id, keeping the table at most half full; the ids are
 * uniform random bits, so their low bits index it directly.  Returns 0 or
 * USNMP_E_NOMEM. */
static inline int usnmp__reqid_insert(usnmp_manager *m, usnmp_request *r) {
  if ((m->table_count + 1) * 2 > m->table_mask + 1) {
    int rc = usnmp__reqid_grow(m);
    if (rc < 0)
      return rc;
  }
  usnmp__reqid_put(m->table, m->table_mask, r);
  m->table_count++;
  return 0;
}

/* Removes r (if present) with backward-shift deletion, so no tombstones
 * accumulate, and sets r->id to 0. */
static inline void usnmp__reqid_remove(usnmp_manager *m, usnmp_request *r) {
  uint32_t mask = m->table_mask;
  uint32_t i = (uint32_t)r->id & mask;
  uint32_t j, k;
  while (m->table[i] != r) {
    if (m->table[i] == NULL)
      return;
    i = (i + 1) & mask;
  }
  m->table_count--;
  r->id = 0;
  for (;;) {
    m->table[i] = NULL;
    j = i;
    for (;;) {
      j = (j + 1) & mask;
      if (m->table[j] == NULL)
        return;
      k = (uint32_t)m->table[j]->id & mask;
      /* Move the entry at j back to i unless its home k lies cyclically
       * in (i, j]. */
      if (i <= j ? (k <= i || k > j) : (k <= i && k > j))
        break;
    }
    m->table[i] = m->table[j];
    i = j;
  }
}

/* Draws a fresh request-id: 31 random bits from the manager's pool of
 * CSPRNG output (refilled in batches), never 0, never one in use.
 * Returns 0, a libuv code (no randomness) or USNMP_E_BUSY. */
static inline int usnmp__reqid_draw(usnmp_manager *m, int32_t *out) {
  int tries;
  for (tries = 0; tries < 64; tries++) {
    int32_t id;
    if (m->id_pool_left == 0) {
      int rc = usnmp__reqid_refill(m);
      if (rc < 0)
        return rc;
    }
    id = (int32_t)(m->id_pool[--m->id_pool_left] & 0x7fffffffu);
    if (id != 0 && usnmp__reqid_find(m, id) == NULL) {
      *out = id;
      return 0;
    }
  }
  return USNMP_E_BUSY;
}

#endif /* USNMP_REQID_H */
