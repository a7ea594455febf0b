/*
 * Memory: the default allocator (malloc, realloc, free behind the
 * usnmp_allocator hook), the zeroing allocation and the wipe of secrets.
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

void *usnmp__calloc(const usnmp_allocator *a, size_t n, size_t size) {
  void *p;
  if (n != 0 && size > SIZE_MAX / n)
    return NULL;
  p = usnmp__alloc(a, n * size);
  if (p != NULL)
    memset(p, 0, n * size);
  return p;
}

char *usnmp__strdup(const usnmp_allocator *a, const char *s) {
  size_t n = strlen(s) + 1;
  char *d = usnmp__alloc(a, n);
  if (d != NULL)
    memcpy(d, s, n);
  return d;
}

/* memset through a volatile pointer: the compiler must call it, even
 * when the memory is freed right after. */
static void *(*const volatile wipe_memset)(void *, int, size_t) = memset;

void usnmp__wipe(void *p, size_t len) {
  if (len != 0)
    wipe_memset(p, 0, len);
}
