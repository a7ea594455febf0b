/*
 * The default allocator, shared by the manager and the SNMPv3 crypto
 * object: plain malloc, realloc and free behind the usnmp_allocator hook.
 */
#ifndef USNMP_ALLOC_H
#define USNMP_ALLOC_H

#include "usnmp.h"

/* Used wherever the caller passed no allocator. */
extern const usnmp_allocator usnmp__default_allocator;

#endif /* USNMP_ALLOC_H */
