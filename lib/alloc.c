/*
 * Memory: the default allocator (malloc, realloc, free behind the
 * usnmp_allocator hook) and the wipe of secrets; the wrappers are inline
 * in alloc.h.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "alloc.h"

static void *default_malloc(size_t size, void *ctx) {
  (void)ctx;
  return malloc(size);
}

static void *default_realloc(void *ptr, size_t size, void *ctx) {
  (void)ctx;
  return realloc(ptr, size);
}

static void default_free(void *ptr, void *ctx) {
  (void)ctx;
  free(ptr);
}

const usnmp_allocator usnmp__default_allocator = {
    default_malloc, default_realloc, default_free, NULL};

/* memset through a volatile pointer: the compiler must call it, even
 * when the memory is freed right after. */
static void *(*const volatile wipe_memset)(void *, int, size_t) = memset;

void usnmp__wipe(void *p, size_t len) {
  if (len != 0)
    wipe_memset(p, 0, len);
}
