/*
 * Allocation through a usnmp_allocator hook: the default allocator, shared
 * by the manager and the SNMPv3 crypto object (plain malloc, realloc and
 * free), and the small wrappers every object that keeps its own allocator
 * (the cache, the blocking layer) allocates with.
 */
#ifndef USNMP_ALLOC_H
#define USNMP_ALLOC_H

#include <stdint.h>
#include <string.h>

#include "usnmp.h"

/* Used wherever the caller passed no allocator. */
extern const usnmp_allocator usnmp__default_allocator;

/* Returns size bytes (at least one, so that NULL always means failure)
 * from a's hook, or NULL. */
static inline void *usnmp__alloc(const usnmp_allocator *a, size_t size) {
  return a->malloc(size ? size : 1, a->ctx);
}

/* Returns n zeroed elements of size bytes, or NULL (also on overflow). */
static inline void *usnmp__calloc(const usnmp_allocator *a, size_t n,
                                  size_t size) {
  void *p;
  size_t total;
  if (size != 0 && n > SIZE_MAX / size)
    return NULL;
  total = n * size;
  p = usnmp__alloc(a, total);
  if (p != NULL && total != 0)
    memset(p, 0, total);
  return p;
}

/* Frees p (NULL is fine) through a's hook. */
static inline void usnmp__dealloc(const usnmp_allocator *a, void *p) {
  if (p != NULL)
    a->free(p, a->ctx);
}

/* Returns a copy of text, or NULL. */
static inline char *usnmp__strdup(const usnmp_allocator *a, const char *text) {
  size_t len = strlen(text) + 1;
  char *copy = usnmp__alloc(a, len);
  if (copy != NULL)
    memcpy(copy, text, len);
  return copy;
}

#endif /* USNMP_ALLOC_H */
