/*
 * Request handles: the cold parts (see handle.h), growing the table of
 * slots and finding the request a handle names.
 */
#include <string.h>

#include "handle.h"

int usnmp__handle_reserve(usnmp_manager *m) {
  usnmp__handle_slot *h;
  uint32_t cap, i;
  if (m->handles_free != UINT32_MAX)
    return 0;
  cap = m->handles_cap != 0 ? m->handles_cap * 2 : 64;
  if (cap <= m->handles_cap || cap > UINT32_MAX / 2)
    return USNMP_E_NOMEM;
  h = usnmp__malloc(m, cap * sizeof *h);
  if (h == NULL)
    return USNMP_E_NOMEM;
  if (m->handles_cap != 0)
    memcpy(h, m->handles, m->handles_cap * sizeof *h);
  for (i = m->handles_cap; i < cap; i++) {
    h[i].r = NULL;
    h[i].gen = 0;
    h[i].next_free = i + 1 < cap ? i + 1 : UINT32_MAX;
  }
  usnmp__free(m, m->handles);
  m->handles_free = m->handles_cap;
  m->handles = h;
  m->handles_cap = cap;
  return 0;
}

int usnmp__handle_find(const usnmp_request_ref *ref, usnmp_request **out) {
  usnmp_manager *m;
  const usnmp__handle_slot *slot;
  if (ref == NULL || ref->manager == NULL)
    return USNMP_E_INVAL;
  m = ref->manager;
  if (ref->slot >= m->handles_cap)
    return USNMP_E_INVAL;
  slot = &m->handles[ref->slot];
  if (slot->r == NULL || slot->gen != ref->generation)
    return USNMP_E_STALE;
  *out = slot->r;
  return 0;
}
