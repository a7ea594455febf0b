/*
 * Request-ids and the id table: the cold parts (see reqid.h), growing the
 * table and refilling the pool of random ids.
 */
#include <string.h>

#include "reqid.h"

int usnmp__reqid_grow(usnmp_manager *m) {
  uint32_t size = (m->table_mask + 1) * 2;
  usnmp_request **t = usnmp__malloc(m, size * sizeof *t);
  uint32_t i;
  if (t == NULL)
    return USNMP_E_NOMEM;
  memset(t, 0, size * sizeof *t);
  for (i = 0; i <= m->table_mask; i++)
    if (m->table[i] != NULL)
      usnmp__reqid_put(t, size - 1, m->table[i]);
  usnmp__free(m, m->table);
  m->table = t;
  m->table_mask = size - 1;
  return 0;
}

int usnmp__reqid_refill(usnmp_manager *m) {
  int rc = uv_random(NULL, NULL, m->id_pool, sizeof m->id_pool, 0, NULL);
  if (rc < 0)
    return rc;
  m->id_pool_left = USNMP__ID_POOL;
  return 0;
}
