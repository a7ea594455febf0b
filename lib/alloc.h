/*
 * Memory: the default allocator and the one wrapper every layer allocates
 * through (the usnmp_allocator hook, so tests can fail the Nth
 * allocation), and the wipe of secrets.
 */
#ifndef USNMP_ALLOC_H
#define USNMP_ALLOC_H

#include <stddef.h>

#include "usnmp.h"

/* Used wherever the caller passed no allocator. */
extern const usnmp_allocator usnmp__default_allocator;

/* Allocates size bytes (at least one, so that a NULL return always means
 * no memory) through a, whose malloc and free were checked when it was
 * accepted.  Returns NULL when the allocator fails. */
static inline void *usnmp__alloc(const usnmp_allocator *a, size_t size) {
  return a->malloc(size != 0 ? size : 1, a->ctx);
}

/* Allocates n zeroed elements of size bytes.  Returns NULL when the
 * allocator fails or n * size overflows. */
void *usnmp__calloc(const usnmp_allocator *a, size_t n, size_t size);

/* Frees p (NULL does nothing) through a. */
static inline void usnmp__dealloc(const usnmp_allocator *a, void *p) {
  if (p != NULL)
    a->free(p, a->ctx);
}

/* Returns a copy of the string s allocated through a, or NULL. */
char *usnmp__strdup(const usnmp_allocator *a, const char *s);

/* Overwrites len bytes at p in a way the compiler cannot drop as a dead
 * store (secrets: SNMPv3 keys, PDUs in clear, decrypted replies).  Needs
 * no OpenSSL, so a build without SNMPv3 has it too. */
void usnmp__wipe(void *p, size_t len);

#endif /* USNMP_ALLOC_H */
